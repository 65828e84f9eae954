// Symbol names that change between two builds of the same source.
//
// gcc numbers what it invents: function-scope statics get a counter suffix
// (`static int counter` in fs/proc/foo.c becomes `counter.3`; the kernel's
// WARN_ONCE flag `__already_done.12`, dynamic-debug `descriptor.7`), and
// clones carry their pass plus a counter (`show_map.isra.0`,
// `__do_sys_foo.constprop.0`, `foo.part.0`, cold halves `foo.cold` or, with
// older gcc, `foo.cold.5`). Adding one static anywhere before renumbers all
// later ones, so these counters must not decide whether two symbols match.
#pragma once

#include <string>
#include <string_view>

namespace lp::patchbuild {

// Drops every all-digit dot component: "counter.3" -> "counter",
// "foo.constprop.0.isra.0" -> "foo.constprop.isra", "foo.cold.5" -> "foo.cold".
// Kernel __UNIQUE_ID_<prefix><counter> names lose their trailing counter.
// Names without such components come back unchanged.
std::string NormalizedName(std::string_view name);

// True when NormalizedName(name) != name.
bool HasNumberedSuffix(std::string_view name);

// "foo.cold" / "foo.cold.5" -> "foo" (the function a cold part was split
// from); "" for anything else.
std::string ColdParentName(std::string_view name);

// Assembler-local labels (".LC0" string literals, ".L__unnamed_1") are never
// correlated by name: their numbers are assigned per build.
bool IsAssemblerLocal(std::string_view name);

}  // namespace lp::patchbuild
