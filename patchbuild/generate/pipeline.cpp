#include "patchbuild/generate/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <system_error>
#include <unordered_set>

#include "common/file_util.hpp"
#include "common/identity.hpp"
#include "patchbuild/diff/export_crcs.hpp"
#include "patchbuild/elf/object_file.hpp"
#include "patchbuild/generate/kernel_symbols.hpp"
#include "patchbuild/symbols/kallsyms_decode.hpp"
#include "patchbuild/symbols/module_symbols.hpp"
#include "patchbuild/symbols/shipped_compare.hpp"
#include "patchbuild/symbols/symbol_text.hpp"

namespace lp::patchbuild::generate {
namespace {

// The target module's .ko as modules.dep names it ("kernel/fs/nls/nls_utf8.ko:
// ..."); kbuild's KBUILD_MODNAME has '_' where the file name may have '-'.
Expected<std::filesystem::path> FindModuleFile(const std::filesystem::path& moddir, const std::string& name) {
  auto dep = ReadFile(moddir / "modules.dep");
  if (!dep) return dep.error().WithContext("finding module " + name);
  std::istringstream in(*dep);
  std::string line;
  while (std::getline(in, line)) {
    const std::string path = line.substr(0, line.find(':'));
    std::string base = std::filesystem::path(path).filename().string();
    base = base.substr(0, base.find(".ko"));
    std::replace(base.begin(), base.end(), '-', '_');
    if (base == name) return moddir / path;
  }
  return MakeError(ErrorCode::kNotFound, "module " + name + " is not in " + (moddir / "modules.dep").string());
}

// A livepatch for a module object counts sympos among that module's own
// symbols (klp_find_object_symbol walks the module's kallsyms), so they join
// the table under the module's name.
Status AddModuleSymbols(symbols::SymbolTable& table, const std::filesystem::path& moddir, const std::string& name) {
  for (const auto& s : table.symbols())
    if (s.object == name) return Ok();  // a second unit of the same module
  auto file = FindModuleFile(moddir, name);
  if (!file) return file.error();
  auto bytes = ReadFile(*file);
  if (!bytes) return bytes.error();
  auto module = symbols::ReadModuleSymbols(*bytes, name);
  if (!module) return module.error().WithContext(file->string());
  for (const auto& s : module->symbols()) table.Add(s);
  return Ok();
}

// Records the time since the previous lap under a stage name.
class Laps {
 public:
  explicit Laps(std::vector<StageTime>& stages) : stages_(stages) {}
  void Lap(const std::string& name) {
    const auto now = std::chrono::steady_clock::now();
    stages_.push_back(StageTime{name, std::chrono::duration<double>(now - last_).count()});
    last_ = now;
  }

 private:
  std::vector<StageTime>& stages_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// A kallsyms dump from a device: its vmlinux lines must be this vmlinuz's
// symbols in the same order (else it is another kernel build, and its sympos
// would be wrong). Their addresses are taken from the decode, so a dump of a
// KASLR boot or one read without root (all zeros) still locates code in the
// image; the dump's own value is the module lines.
Expected<symbols::SymbolTable> KallsymsFromDump(const symbols::SymbolTable& dump, const std::filesystem::path& file,
                                                const symbols::VmlinuxImage& image) {
  auto decoded = symbols::DecodeKallsyms(image);
  if (!decoded) return decoded.error();
  symbols::SymbolTable table;
  table.Reserve(dump.size());
  size_t next = 0;
  for (symbols::Symbol s : dump.symbols()) {
    if (s.object == symbols::kVmlinux) {
      if (next >= decoded->size() || decoded->symbols()[next].name != s.name)
        return MakeError(ErrorCode::kVerification,
                         file.string() + ": vmlinux symbol " + std::to_string(next + 1) + " is " + s.name +
                             ", the target's vmlinuz has " +
                             (next < decoded->size() ? decoded->symbols()[next].name : std::string("no more")) +
                             ": a dump of another kernel build");
      s.address = decoded->symbols()[next++].address;
    }
    table.Add(std::move(s));
  }
  if (next != decoded->size())
    return MakeError(ErrorCode::kVerification, file.string() + ": " + std::to_string(next) +
                                                   " vmlinux symbols, the target's vmlinuz has " +
                                                   std::to_string(decoded->size()) + ": a dump of another kernel build");
  return table;
}

}  // namespace

Expected<std::optional<symbols::SymbolTable>> ReadSymbolFile(const PipelineOptions& options) {
  if (!options.kallsyms.empty() && !options.system_map.empty())
    return MakeError(ErrorCode::kInvalidArgument, "give at most one of --kallsyms and --system-map");
  const bool kallsyms = !options.kallsyms.empty();
  const std::filesystem::path& file = kallsyms ? options.kallsyms : options.system_map;
  if (file.empty()) return std::optional<symbols::SymbolTable>();
  auto text = ReadFile(file, 256u << 20);
  if (!text) return text.error().WithContext(kallsyms ? "--kallsyms" : "--system-map");
  auto table = kallsyms ? symbols::ParseKallsymsFile(*text) : symbols::ParseSystemMap(*text);
  if (!table) return table.error().WithContext(file.string());
  return std::optional<symbols::SymbolTable>(std::move(*table));
}

Expected<symbols::SymbolTable> LoadTargetSymbols(const PipelineOptions& options, const symbols::VmlinuxImage& image) {
  auto file = ReadSymbolFile(options);
  if (!file) return file.error();
  if (*file && !options.kallsyms.empty()) return KallsymsFromDump(**file, options.kallsyms, image);
  if (*file) return std::move(**file);
  auto table = symbols::DecodeKallsyms(image);
  if (!table) return table.error().WithContext("kallsyms of the target's vmlinux");
  return table;
}

namespace {

// The running kernel's address of a replaced function: the sympos-th of its
// name in the object (0: the only one).
Expected<uint64_t> AddressOf(const symbols::SymbolTable& table, const std::string& object,
                             const ReplacedFunction& f) {
  auto candidates = table.FindInObject(object, f.old_name);
  const size_t index = f.sympos == 0 ? 0 : f.sympos - 1;
  if (candidates.empty() || index >= candidates.size() || (f.sympos == 0 && candidates.size() != 1))
    return MakeError(ErrorCode::kInternal, object + ":" + f.old_name + "," + std::to_string(f.sympos) +
                                               " is not in the target's symbol table");
  return candidates[index]->address;
}

std::string Hex(std::span<const uint8_t> bytes, size_t from, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = from; i < from + n && i < bytes.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

// The i-th (sympos; 0 = the only) function called name in the object's
// symbol table, which is the order the module's kallsyms keeps.
const elf::Symbol* FindFunction(const elf::ObjectFile& obj, const std::string& name, uint32_t sympos) {
  uint32_t seen = 0;
  for (const auto& s : obj.symbols())
    if (s->IsFunction() && s->section && s->name == name && ++seen == std::max<uint32_t>(sympos, 1)) return s.get();
  return nullptr;
}

// A module function against the target's .ko. Both are kbuild's code before
// the final link (the .ko is relocatable too), so they must be the same bytes
// wherever neither side has a relocation, and the same size (Debian's
// modules are not built with -ffunction-sections, so a call inside one
// section may be resolved in the .ko and a relocation here). Returns the
// mismatch line, or nothing.
std::optional<std::string> CompareModuleFunction(const std::string& name, const symbols::FunctionCode& original,
                                                 const symbols::FunctionCode& shipped) {
  const size_t common = std::min(original.bytes.size(), shipped.bytes.size());
  std::vector<bool> masked(common, false);
  for (const auto* code : {&original, &shipped})
    for (const auto& r : code->relocs)
      for (uint64_t i = r.offset; i < r.offset + r.size && i < masked.size(); ++i) masked[i] = true;
  for (size_t i = 0; i < common; ++i) {
    if (masked[i] || original.bytes[i] == shipped.bytes[i]) continue;
    std::ostringstream where;
    where << std::hex << i;
    return name + "+0x" + where.str() + ": bytes differ: original `" + Hex(original.bytes, i, 8) +
           "`, shipped module `" + Hex(shipped.bytes, i, 8) + "`";
  }
  if (original.bytes.size() != shipped.bytes.size())
    return name + ": " + std::to_string(original.bytes.size()) + " bytes rebuilt, " +
           std::to_string(shipped.bytes.size()) + " in the shipped module";
  return std::nullopt;
}

Error Mismatch(const std::string& line) {
  return MakeError(ErrorCode::kVerification,
                   "the rebuilt original does not match the shipped kernel (wrong source, config or compiler?): " +
                       line);
}

// The rebuilt original of a replaced function (the diff found it there).
Expected<symbols::FunctionCode> OriginalCode(const elf::ObjectFile& original, const ReplacedFunction& f) {
  const elf::Symbol* sym = original.FindSymbol(f.old_name);
  if (!sym || !sym->IsFunction() || !sym->section)
    return MakeError(ErrorCode::kInternal, f.old_name + ": not a function of " + original.path().string());
  return ToFunctionCode(original, *sym);
}

Status ProveModuleObject(const GeneratedObject& object, const elf::ObjectFile& original,
                         const std::filesystem::path& moddir, ShippedProof& proof) {
  auto ko_path = FindModuleFile(moddir, object.object_name);
  if (!ko_path) return ko_path.error();
  auto ko = elf::ObjectFile::Open(*ko_path);
  if (!ko) return ko.error().WithContext("the shipped module");
  for (const ReplacedFunction& f : object.replaced) {
    auto code = OriginalCode(original, f);
    if (!code) return code.error();
    const elf::Symbol* shipped = FindFunction(**ko, f.old_name, f.sympos);
    if (!shipped)
      return Mismatch(f.old_name + "," + std::to_string(f.sympos) + " is not a function of " + ko_path->string());
    if (auto diff = CompareModuleFunction(f.old_name, *code, ToFunctionCode(**ko, *shipped)))
      return Mismatch(*diff + " (" + ko_path->string() + ")");
    ++proof.module_functions;
    proof.module_bytes += code->bytes.size();
  }
  return Ok();
}

// Proof against the shipped kernel (issue 5): the original of every replaced
// function must be the shipped code, or the tree/config/compiler is not the
// target's and the patch must not be built.
Status ProveAgainstShipped(const PipelineResult& result, const symbols::SymbolTable& table,
                           const symbols::VmlinuxImage& image, const std::filesystem::path& moddir,
                           ShippedProof& proof) {
  for (size_t i = 0; i < result.patch.objects.size(); ++i) {
    const GeneratedObject& object = result.patch.objects[i];
    if (object.replaced.empty()) continue;
    // Each object from its own diff: units whose code did not change are left
    // out of patch.objects, so objects and compiled pairs do not line up.
    auto original = elf::ObjectFile::Open(object.diff.original_path);
    if (!original) return original.error();
    if (object.object_name != symbols::kVmlinux) {
      LP_TRY(ProveModuleObject(object, **original, moddir, proof));
      continue;
    }
    for (const ReplacedFunction& f : object.replaced) {
      auto code = OriginalCode(**original, f);
      if (!code) return code.error();
      auto address = AddressOf(table, object.object_name, f);
      if (!address) return address.error();
      std::optional<uint64_t> extent;
      if (auto next = table.NextAddressAfter(object.object_name, *address)) extent = *next - *address;
      // Instruction by instruction first, so a mismatch names the first
      // differing instruction even when the lengths differ too; then with
      // the extent (the shipped function ends where the original does).
      size_t instructions = 0;
      for (const auto limit : {std::optional<uint64_t>(), extent}) {
        auto compared = symbols::CompareWithShipped(image, *address, *code, limit, &table);
        if (!compared) return compared.error().WithContext("comparing " + f.old_name + " with the shipped kernel");
        if (!compared->matches()) return Mismatch(symbols::DescribeMismatch(f.old_name, *compared->mismatch));
        instructions = compared->instructions;
      }
      ++proof.functions;
      proof.instructions += instructions;
    }
  }
  return Ok();
}

// What the target's own files say, which does not depend on the compile.
// Owned through a pointer: `image` views `vmlinux`'s bytes.
struct LoadedTarget {
  std::string vmlinux;  // the ELF inside the vmlinuz
  std::optional<symbols::VmlinuxImage> image;
  std::string build_id;
  std::string arch;
  symbols::SymbolTable table;
  std::unordered_set<std::string> exported;  // Module.symvers
};

// Decompresses the vmlinuz and decodes its kallsyms (about 0.7 s on the
// 6.1 target): RunStages does it on a second thread during the compile.
Expected<std::unique_ptr<LoadedTarget>> LoadTarget(const PipelineOptions& options,
                                                   const std::filesystem::path& vmlinuz,
                                                   const std::filesystem::path& kdir) {
  auto target = std::make_unique<LoadedTarget>();
  auto vmlinux = ExtractVmlinux(vmlinuz);
  if (!vmlinux) return vmlinux.error().WithContext("reading the target's symbols from " + vmlinuz.string());
  target->vmlinux = std::move(*vmlinux);
  auto image = symbols::VmlinuxImage::Open(target->vmlinux);
  if (!image) return image.error().WithContext(vmlinuz.string());
  target->image = std::move(*image);
  auto build_id = BuildIdFromElf(target->vmlinux);
  if (!build_id) return build_id.error().WithContext("vmlinux in " + vmlinuz.string());
  target->build_id = std::move(*build_id);
  auto arch = ElfArch(target->vmlinux);
  if (!arch) return arch.error().WithContext(vmlinuz.string());
  target->arch = std::move(*arch);
  auto table = LoadTargetSymbols(options, *target->image);
  if (!table) return table.error();
  target->table = std::move(*table);
  auto exported = ReadExportedSymbols(kdir / "Module.symvers");
  if (!exported) return exported.error();
  target->exported = std::move(*exported);
  return target;
}

// The compile, with the target loading on a second thread meanwhile. The
// compile's error comes first, as it would without the thread.
Expected<std::unique_ptr<LoadedTarget>> CompileWhileLoadingTarget(const PipelineOptions& options,
                                                                  const tree::PreparedTree& tree,
                                                                  PipelineResult& result, Laps& laps) {
  const auto vmlinuz =
      options.vmlinuz.empty() ? std::filesystem::path("/boot/vmlinuz-" + result.release) : options.vmlinuz;
  std::future<Expected<std::unique_ptr<LoadedTarget>>> loading;
  try {
    loading = std::async(std::launch::async, LoadTarget, std::cref(options), vmlinuz, tree.target.headers_dir);
  } catch (const std::system_error& e) {
    return MakeError(ErrorCode::kInternal, std::string("starting a thread: ") + e.what());
  }
  // A patch may #include <fleetpatch/livepatch.h>: kmod/include, next to kmod/skeleton.
  tree::CompileOptions compile_options;
  compile_options.include_dirs.push_back((options.skeleton_dir / "..").lexically_normal() / "include");
  auto compiled = tree::CompileTwice(tree, options.patches, options.work_dir / "objects", compile_options);
  laps.Lap("compile");
  auto target = loading.get();
  if (!compiled) return compiled.error();
  result.compiled = std::move(*compiled);
  return target;
}

// The stages, each lapped into result.stages as it completes. "symbols" is
// the time spent on them after the compile (most of it overlaps the compile).
Status RunStages(const PipelineOptions& options, PipelineResult& result) {
  Laps laps(result.stages);
  auto tree = tree::PrepareTree(options.tree);
  if (!tree) return tree.error();
  result.release = tree->target.release;
  result.tree_dir = tree->source_dir;
  laps.Lap("prepare");
  auto loaded = CompileWhileLoadingTarget(options, *tree, result, laps);
  if (!loaded) return loaded.error();
  LoadedTarget& target = **loaded;
  result.build_id = target.build_id;
  result.arch = target.arch;
  const auto moddir = options.modules_dir.empty() ? std::filesystem::path("/lib/modules/" + result.release)
                                                  : options.modules_dir;
  for (const auto& p : result.compiled.pairs)
    if (p.in_module) LP_TRY(AddModuleSymbols(target.table, moddir, p.object_name));
  // The originals must export what the target exports, CRC for CRC (else the
  // tree is not the target's); the diff compares original and patched CRCs.
  std::vector<std::filesystem::path> originals;
  for (const auto& p : result.compiled.pairs) originals.push_back(p.original);
  LP_TRY(CheckOriginalCrcsAgainstTarget(originals, tree->target.headers_dir / "Module.symvers"));
  laps.Lap("symbols");

  std::vector<ObjectInput> inputs;
  for (const auto& p : result.compiled.pairs) inputs.push_back(ObjectInput{p.original, p.patched, p.object_name});
  GenerateOptions gen{options.name, options.work_dir / "module", options.skeleton_dir, options.description,
                      options.replace};
  const symbols::SymbolTable& table = target.table;
  const symbols::VmlinuxImage& image = *target.image;
  auto patch = GenerateLivepatchSource(inputs, TargetSymbols{&table, &image, std::move(target.exported)}, gen);
  if (!patch) return patch.error();
  result.patch = std::move(*patch);
  laps.Lap("generate");
  // Before the module is linked: a tree that does not match the target is
  // refused without spending the kbuild run on it.
  LP_TRY(ProveAgainstShipped(result, table, image, moddir, result.proof));
  laps.Lap("proof");
  auto module = BuildLivepatchModule(result.patch, tree->target.headers_dir);
  if (!module) return module.error();
  result.module = std::move(*module);
  laps.Lap("module");
  return Ok();
}

}  // namespace

Expected<PipelineResult> BuildLivepatchFromPatches(const PipelineOptions& options) {
  PipelineResult result;
  LP_TRY(RunStages(options, result));
  return result;
}

}  // namespace lp::patchbuild::generate
