// Symbol tables given as text: a kallsyms dump taken on a device
// (`cat /proc/kallsyms` as root, `--kallsyms FILE`) and System.map / `nm -n`
// output (`--system-map`, e.g. from the linux-image-R-dbg package).
#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"
#include "patchbuild/symbols/symbol_table.hpp"

namespace lp::patchbuild::symbols {

// "ffffffff81000000 T _text" for vmlinux, "ffffffffc0a01000 t foo\t[ext4]"
// for module symbols. Lines keep their order: it is the order livepatch
// counts sympos in. A dump taken without root has all-zero addresses; it
// still gives sympos but cannot locate code.
Expected<SymbolTable> ParseKallsymsFile(std::string_view text);

// "ffffffff81000000 T _text" lines, all of vmlinux. Debian's
// /boot/System.map-R is a one-line stub pointing to the -dbg package; that
// is reported as such. A System.map also lists a few symbols kallsyms drops
// (absolute __crc_*, for one), which never share a name with a function.
Expected<SymbolTable> ParseSystemMap(std::string_view text);

// The table in /proc/kallsyms format (what ParseKallsymsFile reads back):
// lets a kallsyms decoded from a vmlinuz be saved as a --kallsyms file, or
// diffed against a dump from a device booted with nokaslr.
std::string FormatKallsyms(const SymbolTable& table);

}  // namespace lp::patchbuild::symbols
