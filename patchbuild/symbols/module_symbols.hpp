// The symbols of a loadable module as livepatch counts them, read from its
// .ko file: when a patch targets a module (klp_object.name = "ext4"), the
// kernel resolves sympos over that module's kallsyms, which is the .ko's
// own .symtab in order, keeping only what kernel/module/kallsyms.c
// (is_core_symbol) keeps once the module is live: named, defined symbols of
// allocated sections, minus .init* sections (freed after init) and the
// .modinfo / __versions sections the loader drops, plus per-cpu data
// (CONFIG_KALLSYMS_ALL). A dump of /proc/kallsyms from a device with the
// module loaded gives the same list (ParseKallsymsFile).
#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"
#include "patchbuild/symbols/symbol_table.hpp"

namespace lp::patchbuild::symbols {

// Addresses are section offsets (st_value): a .ko is not linked yet. Type
// letters are what /proc/kallsyms shows for the loaded module: t, d, r, b,
// a (per-cpu), w/v (weak), upper case when the module exports the symbol.
Expected<SymbolTable> ReadModuleSymbols(std::string_view ko_bytes, const std::string& module_name);

}  // namespace lp::patchbuild::symbols
