# Every target links lp_warnings so the whole tree builds with the same checks.
add_library(lp_warnings INTERFACE)
target_compile_options(lp_warnings INTERFACE
  -Wall                 # the standard set
  -Wextra               # unused parameters, sign compares, missing initialisers
  -Wsuggest-override    # virtuals that override must say so
  -Wnon-virtual-dtor    # interfaces (LivepatchKernel, PortalApi) need virtual dtors
  $<$<BOOL:${LP_WERROR}>:-Werror>)
option(LP_WERROR "Treat warnings as errors (CI turns this on)" OFF)
