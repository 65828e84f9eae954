#include "common/identity.hpp"

#include <elf.h>
#include <sys/utsname.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <regex>

#include "common/decompress.hpp"
#include "common/file_util.hpp"
#include "tests/common/test_helpers.hpp"

namespace lp {
namespace {

// One note in /sys/kernel/notes layout: Elf_Nhdr, name, desc, each padded to 4.
std::string Note(std::uint32_t type, std::string_view name, std::string_view desc) {
  auto pad = [](std::string s) {
    s.resize((s.size() + 3) / 4 * 4, '\0');
    return s;
  };
  Elf64_Nhdr nh{static_cast<Elf64_Word>(name.size()), static_cast<Elf64_Word>(desc.size()), type};
  std::string out(reinterpret_cast<const char*>(&nh), sizeof nh);
  return out + pad(std::string(name)) + pad(std::string(desc));
}

// "Build ID: <hex>" as readelf -n prints it, or "" if absent.
std::string ReadelfBuildId(const std::filesystem::path& file) {
  auto r = testing::RunCommand("readelf -n " + file.string() + " 2>/dev/null");
  std::smatch m;
  static const std::regex kRe("Build ID: ([0-9a-f]+)");
  return std::regex_search(r.output, m, kRe) ? m[1].str() : std::string();
}

TEST(BuildIdFromNotesTest, FindsGnuNoteAmongOthers) {
  std::string id("\xde\xad\xbe\xef\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 20);
  std::string notes = Note(6, std::string("Xen\0", 4), "abc") +          // odd desc: padding
                      Note(NT_GNU_BUILD_ID, std::string("LNX\0", 4), "nope") +  // wrong owner
                      Note(NT_GNU_BUILD_ID, std::string("GNU\0", 4), id);
  auto got = BuildIdFromNotes(notes);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, "deadbeef0102030405060708090a0b0c0d0e0f10");
}

TEST(BuildIdFromNotesTest, MissingAndTruncated) {
  std::string other = Note(1, std::string("Linux\0", 6), "1234");
  auto missing = BuildIdFromNotes(other);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  std::string note = Note(NT_GNU_BUILD_ID, std::string("GNU\0", 4), std::string(20, 'x'));
  for (std::size_t cut : {std::size_t{5}, std::size_t{12}, note.size() - 4}) {
    auto r = BuildIdFromNotes(std::string_view(note).substr(0, cut));
    EXPECT_FALSE(r.has_value()) << "cut at " << cut;
  }
}

TEST(BuildIdFromElfTest, MatchesReadelfForGccOutput) {
  testing::TempDir dir;
  std::ofstream(dir / "t.c") << "int main(void) { return 0; }\n";
  auto cc = testing::RunCommand("gcc -Wl,--build-id=sha1 -o " + (dir / "t").string() + " " +
                                (dir / "t.c").string() + " 2>&1");
  ASSERT_EQ(cc.status, 0) << cc.output;
  std::string expected = ReadelfBuildId(dir / "t");
  ASSERT_EQ(expected.size(), 40u);
  auto bytes = ReadFile(dir / "t");
  ASSERT_TRUE(bytes.has_value());
  auto got = BuildIdFromElf(*bytes);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, expected);
}

TEST(BuildIdFromElfTest, FallsBackToProgramHeaders) {
  testing::TempDir dir;
  std::ofstream(dir / "t.c") << "int main(void) { return 0; }\n";
  ASSERT_EQ(testing::RunCommand("gcc -Wl,--build-id=md5 -o " + (dir / "t").string() + " " +
                                (dir / "t.c").string()).status, 0);
  std::string expected = ReadelfBuildId(dir / "t");
  auto bytes = ReadFile(dir / "t");
  ASSERT_TRUE(bytes.has_value());
  // Drop the section header table: only PT_NOTE can lead to the note now.
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes->data(), sizeof eh);
  eh.e_shnum = 0;
  eh.e_shoff = 0;
  std::memcpy(bytes->data(), &eh, sizeof eh);
  auto got = BuildIdFromElf(*bytes);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, expected);
  EXPECT_EQ(got->size(), 32u);
}

TEST(ElfArchTest, NamesTheMachine) {
  auto self = ReadFile("/proc/self/exe");
  ASSERT_TRUE(self.has_value());
  auto arch = ElfArch(*self);
  ASSERT_TRUE(arch.has_value()) << arch.error().message;
  struct utsname uts {};
  ASSERT_EQ(::uname(&uts), 0);
  EXPECT_EQ(*arch, uts.machine);
  Elf64_Ehdr eh;
  std::memcpy(&eh, self->data(), sizeof eh);
  eh.e_machine = EM_PPC64;
  std::memcpy(self->data(), &eh, sizeof eh);
  auto ppc = ElfArch(*self);
  ASSERT_FALSE(ppc.has_value());
  EXPECT_EQ(ppc.error().code, ErrorCode::kUnsupported);
}

TEST(BuildIdFromElfTest, RejectsNonElfAndTruncated) {
  EXPECT_FALSE(BuildIdFromElf("hello world, definitely not an ELF file").has_value());
  auto self = ReadFile("/proc/self/exe");
  ASSERT_TRUE(self.has_value());
  auto truncated = BuildIdFromElf(std::string_view(*self).substr(0, 100));
  EXPECT_FALSE(truncated.has_value());
}

// Hostile headers: offsets and counts pointing anywhere must give an error,
// never a read outside the buffer (run under ASan to see the difference).
TEST(BuildIdFromElfTest, HostileHeadersAreErrorsNotCrashes) {
  testing::TempDir dir;
  std::ofstream(dir / "t.c") << "int main(void) { return 0; }\n";
  ASSERT_EQ(testing::RunCommand("gcc -Wl,--build-id -o " + (dir / "t").string() + " " +
                                (dir / "t.c").string()).status, 0);
  const std::string elf = *ReadFile(dir / "t");
  Elf64_Ehdr eh;
  std::memcpy(&eh, elf.data(), sizeof eh);
  auto with_header = [&](auto edit) {
    Elf64_Ehdr h = eh;
    edit(h);
    std::string copy = elf;
    std::memcpy(copy.data(), &h, sizeof h);
    return BuildIdFromElf(copy);
  };
  auto wrapped = with_header([](Elf64_Ehdr& h) { h.e_shoff = ~0ull - 100; h.e_phnum = 0; });
  ASSERT_FALSE(wrapped.has_value());
  EXPECT_NE(wrapped.error().message.find("outside the file"), std::string::npos);
  const std::size_t size = elf.size();
  EXPECT_FALSE(with_header([&](Elf64_Ehdr& h) { h.e_shoff = size - 32; h.e_phnum = 0; }).has_value());
  EXPECT_FALSE(with_header([](Elf64_Ehdr& h) { h.e_shnum = 0; h.e_phoff = ~0ull; }).has_value());
  EXPECT_FALSE(with_header([](Elf64_Ehdr& h) { h.e_ident[EI_CLASS] = ELFCLASS32; }).has_value());

  // Random byte changes across the headers and note: any outcome but a crash.
  std::mt19937 rng(12345);
  std::size_t still_found = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string copy = elf;
    for (int k = 0; k < 4; ++k) {
      std::size_t region = rng() % 2 ? sizeof eh : copy.size();
      copy[rng() % region] = static_cast<char>(rng());
    }
    auto r = BuildIdFromElf(copy);
    still_found += r.has_value();
  }
  EXPECT_GT(still_found, 0u);  // most changes miss the headers that matter
}

TEST(ExtractVmlinuxTest, FindsXzAndGzipPayloadAfterJunk) {
  testing::TempDir dir;
  std::ofstream(dir / "t.c") << "int main(void) { return 0; }\n";
  ASSERT_EQ(testing::RunCommand("gcc -Wl,--build-id -o " + (dir / "t").string() + " " +
                                (dir / "t.c").string()).status, 0);
  std::string expected = ReadelfBuildId(dir / "t");
  for (const char* tool : {"xz --check=crc32", "gzip -9"}) {
    std::string cmd = std::string("cd ") + dir.path().string() +
                      " && { printf 'MZjunk\\375junk'; " + tool + " -c t; printf 'trailer'; } > img";
    ASSERT_EQ(testing::RunCommand(cmd).status, 0) << tool;
    auto id = BuildIdFromVmlinuz(dir / "img");
    ASSERT_TRUE(id.has_value()) << tool << ": " << id.error().message;
    EXPECT_EQ(*id, expected) << tool;
  }
  std::ofstream(dir / "none") << "no kernel here";
  EXPECT_FALSE(ExtractVmlinux(dir / "none").has_value());
}

TEST(DecompressTest, RefusesOutputOverLimit) {
  testing::TempDir dir;
  ASSERT_EQ(testing::RunCommand("head -c 3000000 /dev/zero | xz > " + (dir / "z.xz").string()).status, 0);
  auto data = ReadFile(dir / "z.xz");
  ASSERT_TRUE(data.has_value());
  EXPECT_TRUE(Decompress(Compression::kXz, *data, 4u << 20).has_value());
  EXPECT_FALSE(Decompress(Compression::kXz, *data, 1u << 20).has_value());
}

// The real target kernel: the build id we read from /boot/vmlinuz-R must be
// the one readelf prints for the vmlinux extracted from it.
TEST(ExtractVmlinuxTest, RealVmlinuzMatchesReadelf) {
  std::filesystem::path vmlinuz;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/boot", ec))
    if (e.path().filename().string().rfind("vmlinuz-", 0) == 0) vmlinuz = e.path();
  if (vmlinuz.empty() || ::access(vmlinuz.c_str(), R_OK) != 0) GTEST_SKIP() << "no readable /boot/vmlinuz-*";
  auto vmlinux = ExtractVmlinux(vmlinuz);
  ASSERT_TRUE(vmlinux.has_value()) << vmlinux.error().message;
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir / "vmlinux", *vmlinux).has_value());
  std::string expected = ReadelfBuildId(dir / "vmlinux");
  ASSERT_EQ(expected.size(), 40u) << "readelf found no build id in " << vmlinuz;
  auto got = BuildIdFromVmlinuz(vmlinuz);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, expected);
}

TEST(ReadRunningIdentityTest, ReadsFakeSysfsRoot) {
  testing::TempDir root;
  ASSERT_TRUE(MakeDirs(root / "kernel").has_value());
  std::string id(20, '\x11');
  ASSERT_TRUE(WriteFileAtomic(root / "kernel" / "notes",
                              Note(NT_GNU_BUILD_ID, std::string("GNU\0", 4), id)).has_value());
  auto ident = ReadRunningIdentity(root.path());
  ASSERT_TRUE(ident.has_value()) << ident.error().message;
  EXPECT_EQ(ident->build_id, std::string(40, '1'));
  EXPECT_FALSE(ident->release.empty());
  EXPECT_FALSE(ident->arch.empty());
  testing::TempDir empty;
  EXPECT_FALSE(ReadRunningIdentity(empty.path()).has_value());
}

}  // namespace
}  // namespace lp
