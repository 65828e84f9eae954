#include "patchbuild/build/units.hpp"

#include <gtest/gtest.h>

namespace lp::patchbuild::tree {
namespace {

// The shape kbuild 6.1 writes (scripts/basic/fixdep), shortened.
const char* kModuleCmd =
    "cmd_fs/nls/nls_utf8.o := gcc-12 -Wp,-MMD,fs/nls/.nls_utf8.o.d -nostdinc -O2 -ffunction-sections "
    "-fdata-sections -DMODULE  -DKBUILD_BASENAME='\"nls_utf8\"' -DKBUILD_MODNAME='\"nls_utf8\"' "
    "-D__KBUILD_MODNAME=kmod_nls_utf8 -c -o fs/nls/nls_utf8.o fs/nls/nls_utf8.c\n"
    "\n"
    "source_fs/nls/nls_utf8.o := fs/nls/nls_utf8.c\n"
    "\n"
    "deps_fs/nls/nls_utf8.o := \\\n"
    "  include/linux/compiler-version.h \\\n"
    "    $(wildcard include/config/CC_VERSION_TEXT) \\\n"
    "  include/linux/module.h \\\n"
    "\n"
    "fs/nls/nls_utf8.o: $(deps_fs/nls/nls_utf8.o)\n"
    "\n"
    "$(deps_fs/nls/nls_utf8.o):\n"
    "\n"
    "fs/nls/nls_utf8.o: $(wildcard ./tools/objtool/objtool)\n";

TEST(ObjectCmd, ReadsFlagsSourceAndDeps) {
  auto cmd = ParseObjectCmd(kModuleCmd, "fs/nls/nls_utf8.o");
  ASSERT_TRUE(cmd) << cmd.error().message;
  EXPECT_TRUE(cmd->is_module);
  EXPECT_EQ(cmd->modname, "nls_utf8");
  EXPECT_EQ(cmd->deps, (std::vector<std::filesystem::path>{"fs/nls/nls_utf8.c", "include/linux/compiler-version.h",
                                                            "include/linux/module.h"}));
  // Prerequisites only once they exist: what OriginalStampStore checks too.
  EXPECT_EQ(cmd->optional_deps,
            (std::vector<std::filesystem::path>{"include/config/CC_VERSION_TEXT", "./tools/objtool/objtool"}));
  EXPECT_NE(cmd->command.find("-ffunction-sections"), std::string::npos);
}

TEST(ObjectCmd, BuiltInObjectStillHasAModnameButNoModuleFlag) {
  auto cmd = ParseObjectCmd(
      "cmd_fs/proc/cmdline.o := gcc-12 -DKBUILD_MODFILE='\"fs/proc/proc\"' -DKBUILD_MODNAME='\"proc\"' -c\n",
      "fs/proc/cmdline.o");
  ASSERT_TRUE(cmd);
  EXPECT_FALSE(cmd->is_module);
  EXPECT_EQ(cmd->modname, "proc");
}

TEST(ObjectCmd, RecordOfAnotherObjectIsAnError) {
  EXPECT_FALSE(ParseObjectCmd(kModuleCmd, "fs/nls/other.o"));
}

}  // namespace
}  // namespace lp::patchbuild::tree
