// The generate stage's decisions, pass by pass: copy the changed and new
// functions, follow their relocations (copying what they need, pointing at
// the running kernel for the rest), then filter the special sections.
#include "patchbuild/generate/object_planner.hpp"

#include <deque>
#include <map>
#include <string_view>

#include "patchbuild/diff/patchability.hpp"
#include "patchbuild/diff/reloc_target.hpp"
#include "patchbuild/elf/disassembler.hpp"
#include "patchbuild/generate/special_sections.hpp"

namespace lp::patchbuild::generate {
namespace {

using ChangeStatus = elf::Status;

bool IsCopiedStatus(ChangeStatus s) { return s == ChangeStatus::New || s == ChangeStatus::Changed; }

// gcc's split-off cold part of a function (foo.cold, in .text.unlikely.foo):
// reached only by jumps from foo itself, never by ftrace. It is copied with
// its changed parent, but is no klp_func of its own.
bool IsColdPart(const std::string& name) { return name.find(".cold") != std::string::npos; }

// livepatch redirects a function through its ftrace site: a call to
// __fentry__ at the very start (x86_64, -mfentry; after an endbr64 when IBT
// is on). A notrace function cannot be replaced; the kernel would refuse the
// whole patch at load, so refuse it here, by name.
bool HasFtraceSite(const elf::Symbol& fn) {
  for (const elf::Relocation& r : fn.section->RelocationsIn(fn.value, fn.value + 16))
    if (r.symbol && r.symbol->name == "__fentry__") return true;
  return false;
}

// FLEETPATCH_PRE_PATCH(fn) & co. (kmod/include/fleetpatch/livepatch.h).
constexpr std::string_view kCallbackPrefix = ".fleetpatch.callbacks.";

bool IsCallbackSection(const elf::Section& sec) { return sec.name.rfind(kCallbackPrefix, 0) == 0; }

size_t FunctionCount(const elf::Section& sec) {
  size_t n = 0;
  for (const elf::Symbol* s : sec.symbols) n += s->IsFunction() ? 1 : 0;
  return n;
}

class Planner {
 public:
  Planner(const elf::ObjectFile& patched, const KernelSymbols& kernel, TargetResolver& targets)
      : patched_(patched), kernel_(kernel), targets_(targets) {
    plan_.machine = patched.arch().Machine();
    plan_.object = kernel.object();
  }

  Expected<ObjectPlan> Run() {
    LP_TRY(FindCallbacks());
    LP_TRY(AddFunctions());
    if (plan_.callbacks.size() != callbacks_.size())
      return MakeError(ErrorCode::kUnsupported, "a callback of " + patched_.path().string() +
                                                    " is in init or exit code, which never runs again");
    LP_TRY(CheckInitOrExitChanges());
    LP_TRY(DrainWorklist());
    LP_TRY(AddSpecialSections());
    LP_TRY(DrainWorklist());
    return std::move(plan_);
  }

 private:
  Status FindCallbacks();
  Status AddFunctions();
  Status CheckInitOrExitChanges() const;
  Status DrainWorklist();
  Status AddSpecialSections();
  Status PlanRelocation(const elf::Section& from, const elf::Relocation& r, size_t out, uint64_t new_offset);
  Expected<bool> CopyReadOnlyObject(const elf::Symbol& owner, const std::string& kernel_name) const;
  Status ToKernel(size_t out, PlannedReloc reloc, const std::string& name, const elf::Symbol* in_original);
  size_t Copy(const elf::Section& sec, std::string name);
  size_t CopyObject(const elf::Symbol& object);
  size_t Undefined(const std::string& name);
  void AddSectionReloc(size_t out, PlannedReloc reloc, size_t target, int64_t addend) {
    reloc.target = PlannedReloc::Target::kSection;
    reloc.index = target;
    reloc.addend = addend;
    plan_.sections[out].relocs.push_back(reloc);
  }

  const elf::ObjectFile& patched_;
  const KernelSymbols& kernel_;
  TargetResolver& targets_;
  ObjectPlan plan_;
  std::map<const elf::Section*, size_t> copied_;  // source section -> plan index
  std::deque<const elf::Section*> work_;
  std::map<const elf::Symbol*, size_t> copied_objects_;  // CopyObject: object -> plan index
  std::deque<const elf::Symbol*> object_work_;
  std::map<std::string, size_t> undefined_;  // name -> plan symbol index
  std::vector<const elf::Symbol*> init_or_exit_changed_;  // Changed functions in .init.* / .exit.*
  std::map<const elf::Symbol*, std::string> callbacks_;  // callback function -> kind
};

// Each pointer in a .fleetpatch.callbacks.<kind> section names a function of
// the patch (gas refers to a static function through its section symbol).
Status Planner::FindCallbacks() {
  for (const auto& sec : patched_.sections()) {
    if (!sec || !IsCallbackSection(*sec) || sec->header.sh_type == SHT_RELA) continue;
    const std::string kind = sec->name.substr(kCallbackPrefix.size());
    if (kind != "pre_patch" && kind != "post_patch" && kind != "pre_unpatch" && kind != "post_unpatch")
      return MakeError(ErrorCode::kUnsupported, "section " + sec->name + ": unknown callback kind '" + kind + "'");
    for (const elf::Relocation& r : sec->relocations) {
      const elf::Symbol* fn = r.symbol;
      if (fn && fn->IsSectionSymbol() && fn->section) {
        fn = nullptr;
        for (const elf::Symbol* s : r.symbol->section->symbols)
          if (s->IsFunction() && static_cast<int64_t>(s->value) == r.addend) fn = s;
      }
      if (!fn || !fn->IsFunction() || !fn->section || fn->status != ChangeStatus::New)
        return MakeError(ErrorCode::kUnsupported,
                         sec->name + ": a " + kind + " callback must be a function the patch adds" +
                             (fn ? " (" + fn->name + " is not)" : std::string()));
      for (const auto& [other, other_kind] : callbacks_)
        if (other_kind == kind)
          return MakeError(ErrorCode::kUnsupported, "two " + kind + " callbacks in " + patched_.path().string() +
                                                        ": " + other->name + " and " + fn->name);
      callbacks_.emplace(fn, kind);
    }
  }
  return Ok();
}

Status Planner::AddFunctions() {
  for (const auto& sym : patched_.symbols()) {
    if (!sym->IsFunction() || !sym->section || !IsCopiedStatus(sym->status)) continue;
    const elf::Section& sec = *sym->section;
    if (IsInitOrExitSection(sec.name)) {  // see CheckInitOrExitChanges
      if (sym->status == ChangeStatus::Changed) init_or_exit_changed_.push_back(sym.get());
      continue;
    }
    // Checked before the section's layout: .noinstr.text holds many functions.
    if (auto why = UnredirectableSection(sec.name))
      return MakeError(ErrorCode::kUnsupported, sym->name + ": " + *why);
    if (FunctionCount(sec) != 1 || sym->value != 0)
      return MakeError(ErrorCode::kUnsupported, sym->name + ": section " + sec.name +
                                                    " holds other functions too (object not built with "
                                                    "-ffunction-sections?)");
    const std::string new_name = ReplacementName(sym->name);
    const size_t out = Copy(sec, ".text." + new_name);
    const bool replaces = sym->status == ChangeStatus::Changed && !IsColdPart(sym->name);
    const auto callback = callbacks_.find(sym.get());
    if (replaces && !HasFtraceSite(*sym))
      return MakeError(ErrorCode::kUnsupported, sym->name + ": no ftrace call at its start (notrace?): "
                                                "livepatch cannot redirect it");
    const bool global = replaces || callback != callbacks_.end();
    plan_.symbols.push_back(PlannedSymbol{new_name, STT_FUNC,
                                          static_cast<uint8_t>(global ? STB_GLOBAL : STB_LOCAL), true, out, 0,
                                          sym->size});
    if (callback != callbacks_.end()) plan_.callbacks.push_back(PlannedCallback{callback->second, new_name});
    if (!replaces) {
      plan_.new_functions.push_back(sym->name);
      continue;
    }
    const elf::Symbol* old = sym->twin ? sym->twin : sym.get();
    auto sympos = kernel_.Sympos(old->name, sym->twin);
    if (!sympos) return sympos.error().WithContext("patched function " + old->name);
    plan_.replaced.push_back(ReplacedFunction{old->name, new_name, *sympos});
  }
  return Ok();
}

// __init code ran at boot (or at module load) and is freed; __exit code runs
// at module unload. Neither has a live copy to redirect. A patch that
// changes only such code has nothing to patch (exit 3, "no change"); one
// that changes it next to live code would ship a fix whose __init part
// never takes effect, so it is refused (exit 2) with the usual way out.
// New __init functions are only reachable from changed __init code and are
// simply not copied.
Status Planner::CheckInitOrExitChanges() const {
  // (GenerateLivepatchSource names the object in front of these messages.)
  if (plan_.replaced.empty() && plan_.new_functions.empty()) {
    if (init_or_exit_changed_.empty())
      return MakeError(ErrorCode::kNothingToDo, "the patch changes no function (nothing to patch)");
    std::string names;
    for (const elf::Symbol* s : init_or_exit_changed_) names += (names.empty() ? "" : ", ") + s->name;
    return MakeError(ErrorCode::kNothingToDo, "only __init/__exit code changed (" + names +
                                               "): it already ran or runs only at unload, nothing to patch");
  }
  if (init_or_exit_changed_.empty()) return Ok();
  const elf::Symbol& fn = *init_or_exit_changed_.front();
  return MakeError(ErrorCode::kUnsupported,
                   fn.name + ": changed in " + fn.section->name +
                       ", which livepatch cannot redirect (__init code already ran, __exit code runs at "
                       "unload); move the fix out of it or apply it once from a post-patch callback "
                       "(kmod/README.md)");
}

size_t Planner::Copy(const elf::Section& sec, std::string name) {
  auto it = copied_.find(&sec);
  if (it != copied_.end()) return it->second;
  PlannedSection out;
  out.name = std::move(name);
  out.type = sec.header.sh_type;
  out.flags = sec.header.sh_flags & (SHF_ALLOC | SHF_WRITE | SHF_EXECINSTR | SHF_MERGE | SHF_STRINGS);
  out.align = sec.header.sh_addralign;
  out.entsize = sec.header.sh_entsize;
  out.size = sec.size();
  out.bytes.assign(sec.data.begin(), sec.data.end());
  plan_.sections.push_back(std::move(out));
  copied_.emplace(&sec, plan_.sections.size() - 1);
  work_.push_back(&sec);
  return plan_.sections.size() - 1;
}

// One object of a section that holds several: a new pr_debug's descriptor
// in __dyndbg. Copying the whole section would register the unit's other
// descriptors again under the patch module's name. The copies of several
// descriptors (and of several objects of the patch) are merged into one
// __dyndbg array by the link, as in any module.
size_t Planner::CopyObject(const elf::Symbol& object) {
  auto it = copied_objects_.find(&object);
  if (it != copied_objects_.end()) return it->second;
  const elf::Section& sec = *object.section;
  PlannedSection out;
  out.name = sec.name;
  out.type = sec.header.sh_type;
  out.flags = sec.header.sh_flags & (SHF_ALLOC | SHF_WRITE);
  out.align = sec.header.sh_addralign;
  out.size = object.size;
  if (sec.header.sh_type != SHT_NOBITS) {
    auto bytes = object.Bytes();
    out.bytes.assign(bytes.begin(), bytes.end());
  }
  plan_.sections.push_back(std::move(out));
  copied_objects_.emplace(&object, plan_.sections.size() - 1);
  object_work_.push_back(&object);
  return plan_.sections.size() - 1;
}

size_t Planner::Undefined(const std::string& name) {
  auto [it, added] = undefined_.try_emplace(name, plan_.symbols.size());
  if (added) plan_.symbols.push_back(PlannedSymbol{name, STT_NOTYPE, STB_GLOBAL, false, 0, 0, 0});
  return it->second;
}

Status Planner::DrainWorklist() {
  while (!work_.empty() || !object_work_.empty()) {
    if (!object_work_.empty()) {
      const elf::Symbol* object = object_work_.front();
      object_work_.pop_front();
      const size_t out = copied_objects_.at(object);
      for (const elf::Relocation& r :
           object->section->RelocationsIn(object->value, object->value + object->size))
        LP_TRY(PlanRelocation(*object->section, r, out, r.offset - object->value));
      continue;
    }
    const elf::Section* sec = work_.front();
    work_.pop_front();
    const size_t out = copied_.at(sec);
    for (const elf::Relocation& r : sec->relocations) LP_TRY(PlanRelocation(*sec, r, out, r.offset));
  }
  return Ok();
}

// A relocation of copied bytes. Its target, by what it designates:
//   copied section (a changed function, its strings) -> stays local
//   exported symbol of the running kernel (seq_puts)  -> undefined symbol
//   other symbol of the running kernel                -> livepatch relocation
//   new variable, anonymous read-only data            -> copied along
Status Planner::PlanRelocation(const elf::Section& from, const elf::Relocation& r, size_t out,
                               uint64_t new_offset) {
  const elf::Symbol* sym = r.symbol;
  PlannedReloc reloc{new_offset, r.type, r.addend, PlannedReloc::Target::kSection, 0};
  auto where = [&] { return from.name + "+0x" + std::to_string(r.offset); };
  if (!sym || sym->index == 0) return MakeError(ErrorCode::kUnsupported, where() + ": relocation without symbol");
  if (sym->IsUndefined()) return ToKernel(out, reloc, sym->name, nullptr);
  const elf::Section* sec = sym->section;
  if (!sec) return MakeError(ErrorCode::kUnsupported, where() + ": " + sym->name + " is absolute or common");
  const int64_t in_section = r.addend + (sym->IsSectionSymbol() ? 0 : static_cast<int64_t>(sym->value));
  if (auto it = copied_.find(sec); it != copied_.end()) {
    AddSectionReloc(out, reloc, it->second, in_section);
    return Ok();
  }
  RelocTarget target = targets_.Resolve(from, r);
  const elf::Symbol* owner = target.kind == RelocTarget::Kind::Symbol ? target.symbol : nullptr;
  if (owner && owner->section == sec && (owner->IsFunction() || owner->IsObject())) {
    if (owner->status != ChangeStatus::New) {
      const std::string name = owner->twin ? owner->twin->name : owner->name;
      auto copy = CopyReadOnlyObject(*owner, name);
      if (!copy) return copy.error().WithContext(where());
      if (*copy) {
        AddSectionReloc(out, reloc, Copy(*sec, sec->name), in_section);
        return Ok();
      }
      reloc.addend = in_section - static_cast<int64_t>(owner->value);
      return ToKernel(out, reloc, name, owner->twin);
    }
    if (owner->IsObject()) {
      // A per-cpu variable is an offset into every CPU's area, which only
      // the loader's percpu allocation for the module could provide.
      if (sec->name.rfind(".data..percpu", 0) == 0)
        return MakeError(ErrorCode::kUnsupported, owner->name + ": new per-cpu variables are not supported");
      if (sec->name == "__dyndbg") {  // one descriptor, not the unit's others (see CopyObject)
        AddSectionReloc(out, reloc, CopyObject(*owner), in_section - static_cast<int64_t>(owner->value));
        return Ok();
      }
      AddSectionReloc(out, reloc, Copy(*sec, sec->name), in_section);
      return Ok();
    }
  }
  // Anonymous read-only bytes: string literals, switch tables, constants,
  // and alternative replacement code (.altinstr_replacement, no symbols).
  const bool read_only_data = !sec->IsCode() && !sec->IsWritable();
  const bool anonymous_code = sec->IsCode() && FunctionCount(*sec) == 0;
  if ((sec->header.sh_flags & SHF_ALLOC) && (read_only_data || anonymous_code) && !owner) {
    AddSectionReloc(out, reloc, Copy(*sec, sec->name), in_section);
    return Ok();
  }
  return MakeError(ErrorCode::kUnsupported,
                   where() + ": cannot tell what " + DescribeTarget(target) + " in " + sec->name + " is");
}

// Read-only data of the running kernel that holds no pointers (a __func__
// string, a table of numbers) is copied instead of referenced when that is
// the only right choice or the only possible one:
// - Changed contents (a table the fix edits): the running kernel's copy is
//   the old one, and the patched functions must read the new one (the diff
//   changes every function reading it);
// - a file-local object whose kallsyms name does not tell its instance
//   (vmlinux has hundreds of __func__.0): same bytes, no identity to keep.
// Otherwise (con_flags.0 of show_console_dev) it stays the kernel's. A
// read-only object with pointers (an ops table) has an identity: its
// address is stored and compared, and would outlive the patch module, so a
// changed one is refused.
Expected<bool> Planner::CopyReadOnlyObject(const elf::Symbol& owner, const std::string& kernel_name) const {
  const elf::Section& sec = *owner.section;
  if (!owner.IsObject() || sec.IsWritable() || sec.IsCode() || !(sec.header.sh_flags & SHF_ALLOC)) return false;
  const bool has_pointers = !sec.RelocationsIn(owner.value, owner.value + owner.size).empty();
  if (owner.status == ChangeStatus::Changed) {
    if (!has_pointers) return true;
    return MakeError(ErrorCode::kUnsupported,
                     owner.name + ": changed read-only data with pointers (an ops table?) cannot be replaced: "
                                  "the running kernel stores its address; add a new object instead");
  }
  return !has_pointers && owner.IsLocal() && !kernel_.Sympos(kernel_name, owner.twin);
}

Status Planner::ToKernel(size_t out, PlannedReloc reloc, const std::string& name,
                         const elf::Symbol* in_original) {
  const bool local = in_original && in_original->IsLocal();
  if (!local && kernel_.IsExported(name)) {
    reloc.target = PlannedReloc::Target::kSymbol;
    reloc.index = Undefined(name);
    plan_.sections[out].relocs.push_back(reloc);
    return Ok();
  }
  PlannedSection& sec = plan_.sections[out];
  // For a module target the kernel applies livepatch relocations only when
  // that module loads, but it reads the patch module's own tables (a
  // __jump_table key, a static call site) when the patch module loads.
  if (sec.special && kernel_.object() != "vmlinux")
    return MakeError(ErrorCode::kUnsupported, sec.name + " entry of the copied code refers to " + name + " of " +
                                                  kernel_.object() + ": not supported for module targets");
  auto sympos = kernel_.Sympos(name, in_original);
  if (!sympos) return sympos.error().WithContext("reference to " + name);
  // The loader refuses a livepatch relocation over non-zero bytes.
  const uint64_t width = patched_.arch().RelocWidth(reloc.type);
  for (uint64_t i = 0; i < width && reloc.offset + i < sec.bytes.size(); ++i) sec.bytes[reloc.offset + i] = 0;
  sec.klp.emplace_back(reloc.offset,
                       KlpRelocEntry{reloc.type, reloc.addend, KlpSymbolName(kernel_.object(), name, *sympos)});
  return Ok();
}

Status Planner::AddSpecialSections() {
  auto is_copied = [&](const elf::Section* s) { return copied_.count(s) != 0; };
  for (const auto& sec : patched_.sections()) {
    if (!sec || copied_.count(sec.get()) || IsCallbackSection(*sec)) continue;
    auto filtered = FilterSpecialSection(patched_, *sec, is_copied);
    if (!filtered) return filtered.error();
    if (!filtered->has_value()) continue;
    const FilteredTable& table = **filtered;
    const size_t out = Copy(*sec, sec->name);
    work_.pop_back();  // its relocations are planned here, at their new offsets
    plan_.sections[out].special = true;
    plan_.sections[out].bytes = table.bytes;
    plan_.sections[out].size = table.bytes.size();
    for (const auto& [r, offset] : table.relocations) LP_TRY(PlanRelocation(*sec, *r, out, offset));
    if (table.paired) {
      PlannedSection paired;
      paired.name = table.paired->name;
      paired.type = table.paired->header.sh_type;
      paired.flags = table.paired->header.sh_flags & (SHF_ALLOC | SHF_WRITE);
      paired.align = table.paired->header.sh_addralign;
      paired.entsize = table.paired->header.sh_entsize;
      paired.bytes = table.paired_bytes;
      paired.size = paired.bytes.size();
      plan_.sections.push_back(std::move(paired));
    }
  }
  return Ok();
}

}  // namespace

Expected<ObjectPlan> PlanObject(const elf::ObjectFile& patched, const KernelSymbols& kernel) {
  auto disasm = elf::Disassembler::Open(patched.arch());
  if (!disasm) return disasm.error();
  TargetResolver targets(patched, *disasm);
  Planner planner(patched, kernel, targets);
  return planner.Run();
}

}  // namespace lp::patchbuild::generate
