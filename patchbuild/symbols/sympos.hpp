// livepatch sympos: which of several same-named symbols of an object a
// klp_func (old_sympos) or a .klp.sym.<obj>.<name>,<sympos> means. The
// kernel (kernel/livepatch/core.c, klp_find_callback) walks the object's
// symbols in kallsyms order and counts every entry with that name, of any
// type: the function `c_start` of fs/proc/consoles.c is the 2nd of three
// c_start in Debian's 6.1 vmlinux, so sympos 2; and a static variable named
// like a function elsewhere counts too. sympos 0 means "must be unique".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "patchbuild/symbols/function_code.hpp"
#include "patchbuild/symbols/symbol_table.hpp"
#include "patchbuild/symbols/vmlinux_image.hpp"

namespace lp::patchbuild::symbols {

// 0 when name occurs once in object, else the 1-based position of the
// instance at candidate_address. Errors when the name is missing or no
// instance sits at candidate_address.
Expected<std::uint32_t> ComputeSympos(const SymbolTable& table, std::string_view object,
                                      std::string_view name, std::uint64_t candidate_address);

// The address of the vmlinux function called name whose code equals the
// rebuilt original (relocation-filled bytes and the ftrace site excused,
// relocation targets that kallsyms can name checked). With kallsyms alone
// this is how a static function that several files define (type_show: 17
// of them) is told apart.
//
// Identical copies remain: a static inline from a header that two files
// emit out of line (pfn_swap_entry_to_page in fs/proc/task_mmu.c and
// mm/...). For those, object_functions (the other functions the same
// object defines) breaks the tie: the linker keeps one object's .text
// together, so the right copy has a neighbour in kallsyms from that list.
// Never guesses: an error when no instance matches, or when several still do.
Expected<std::uint64_t> FindMatchingInstance(const SymbolTable& table, const VmlinuxImage& image,
                                             std::string_view name, const FunctionCode& original,
                                             const std::vector<std::string>& object_functions = {});

}  // namespace lp::patchbuild::symbols
