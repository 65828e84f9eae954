// `patchbuild build --kallsyms FILE`: a device's dump of the target kernel is
// accepted with KASLR-shifted (or all-zero) addresses and its module lines;
// a dump of another build is refused. Uses the installed /boot/vmlinuz-*.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "common/file_util.hpp"
#include "common/identity.hpp"
#include "patchbuild/generate/pipeline.hpp"
#include "patchbuild/symbols/kallsyms_decode.hpp"
#include "tests/patchbuild/test_module.hpp"

namespace lp::patchbuild {
namespace {

namespace fs = std::filesystem;

fs::path InstalledVmlinuz() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/boot", ec))
    if (e.path().filename().string().rfind("vmlinuz-", 0) == 0) return e.path();
  return {};
}

// /proc/kallsyms lines of table, vmlinux addresses plus shift, then one module.
std::string Dump(const symbols::SymbolTable& table, uint64_t shift, bool zero) {
  std::ostringstream out;
  char line[64];
  for (const auto& s : table.symbols()) {
    std::snprintf(line, sizeof line, "%016llx", zero ? 0ull : static_cast<unsigned long long>(s.address + shift));
    out << line << ' ' << s.type << ' ' << s.name << '\n';
  }
  out << "ffffffffc0a01000 t uni2char\t[nls_utf8]\n";
  return out.str();
}

TEST(BuildKallsymsOption, DeviceDumpOfTheTargetWithKaslr) {
  const fs::path vmlinuz = InstalledVmlinuz();
  if (vmlinuz.empty()) GTEST_SKIP() << "no /boot/vmlinuz-*";
  auto bytes = ExtractVmlinux(vmlinuz);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().message;
  auto image = symbols::VmlinuxImage::Open(*bytes);
  ASSERT_TRUE(image.has_value()) << image.error().message;
  auto decoded = symbols::DecodeKallsyms(*image);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  testing::TempDir dir;
  generate::PipelineOptions options;
  options.kallsyms = dir.path() / "kallsyms";

  for (bool zero : {false, true}) {
    ASSERT_TRUE(WriteFileAtomic(options.kallsyms, Dump(*decoded, 0x1e000000, zero)).has_value());
    auto table = generate::LoadTargetSymbols(options, *image);
    ASSERT_TRUE(table.has_value()) << table.error().message;
    ASSERT_EQ(table->size(), decoded->size() + 1);
    for (size_t i = 0; i < decoded->size(); i += 997) {
      EXPECT_EQ(table->symbols()[i].name, decoded->symbols()[i].name);
      EXPECT_EQ(table->symbols()[i].address, decoded->symbols()[i].address) << "the image's address, not the dump's";
    }
    EXPECT_EQ(table->symbols().back().object, "nls_utf8");
  }

  // Another build: one symbol renamed in the middle.
  std::string other = Dump(*decoded, 0, false);
  const std::string& victim = decoded->symbols()[decoded->size() / 2].name;
  other.replace(other.find(" " + victim + "\n"), victim.size() + 2, " " + victim + "_x\n");
  ASSERT_TRUE(WriteFileAtomic(options.kallsyms, other).has_value());
  auto refused = generate::LoadTargetSymbols(options, *image);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("a dump of another kernel build"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find(victim), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace lp::patchbuild
