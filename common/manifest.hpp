// The signed patch manifest: the unit the whole system trusts (DESIGN.md).
// Signed bytes are exactly SerializeManifest()'s output as stored in the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/identity.hpp"

namespace lp {

inline constexpr int kManifestSchema = 1;

// Bounds on the manifest and on every field and array in it (docs/api.md).
// A value past one is a parse error naming the field; nothing is unbounded.
inline constexpr std::size_t kMaxManifestBytes = 1u << 20;
inline constexpr std::size_t kMaxPatchIdLength = 128;
inline constexpr std::size_t kMaxReleaseLength = 64;      // utsname.release without its NUL
inline constexpr std::size_t kMaxArchLength = 64;         // utsname.machine without its NUL
inline constexpr std::size_t kMaxBuildIdBytes = 64;       // hex: twice as many characters
inline constexpr std::size_t kMaxModuleNameLength = 55;   // MODULE_NAME_LEN - 1
inline constexpr std::size_t kMaxModuleFileLength = 99;   // a ustar member name
inline constexpr std::size_t kMaxFunctions = 4096;
inline constexpr std::size_t kMaxObjectNameLength = 55;   // "vmlinux" or a module name
inline constexpr std::size_t kMaxFunctionNameLength = 512;  // KSYM_NAME_LEN
inline constexpr std::size_t kMaxCves = 256;
inline constexpr std::size_t kMaxCveIdLength = 32;        // "CVE-2024-" and up to 23 digits
inline constexpr std::size_t kMaxDescriptionLength = 16u << 10;
inline constexpr std::size_t kMaxBuilderLength = 256;
inline constexpr std::size_t kMaxTimeLength = 32;         // "created": RFC 3339, 20 characters

struct PatchedFunction {
  std::string object;   // "vmlinux" or a module name ("testmod")
  std::string name;     // function symbol name
  std::uint32_t sympos = 0;  // 0 = unique name; else 1-based position (kallsyms order)

  bool operator==(const PatchedFunction&) const = default;
};

struct Manifest {
  int schema = kManifestSchema;
  std::string patch_id;          // stable id of this patch stream, e.g. "lp-cmdline"
  std::uint64_t version = 0;     // monotonic per target build_id stream
  KernelIdentity target;
  std::string module_name;       // kernel module name (KBUILD_MODNAME, '_' form)
  std::string module_file;       // file name inside the bundle, e.g. "lp_cmdline.ko"
  std::string module_sha256;     // hex sha256 of the module file bytes
  std::uint64_t module_size = 0;
  bool replace = true;           // atomic-replace (cumulative) patch
  std::vector<PatchedFunction> functions;
  std::vector<std::string> cves;
  std::string description;
  std::string created;           // RFC 3339 UTC, "2026-11-23T10:00:00Z"
  std::string builder;           // who/what built it, e.g. "patchbuild 0.1.0 on host"
  std::string signing_key_id;    // Ed25519Key::KeyId() of the patch key

  bool operator==(const Manifest&) const = default;
};

// Canonical JSON: fixed key order, no insignificant whitespace, trailing "\n".
std::string SerializeManifest(const Manifest& m);

// Strict: unknown schema, missing or extra field, wrong type, bad hex, empty
// ids, a field or array over its bound or oversized input are each an error
// naming the field. Bounded work on any input (no std::regex, no recursion
// per character). Callers that trust the result verify the signature over
// the same bytes first (TrustStore::VerifyManifest).
Expected<Manifest> ParseManifest(std::string_view bytes);

// The manifest's rules for two fields a producer takes from user input
// (patchbuild's --patch-id and --cve), so it can refuse them before the
// expensive work instead of when the manifest is made.
Status CheckPatchId(const std::string& patch_id);
Status CheckCveId(const std::string& cve, const std::string& field = "cves[]");

}  // namespace lp
