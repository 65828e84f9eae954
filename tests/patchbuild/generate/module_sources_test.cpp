#include "patchbuild/generate/module_sources.hpp"

#include <gtest/gtest.h>

namespace lp::patchbuild::generate {
namespace {

GeneratedPatch TwoObjects() {
  GeneratedPatch p;
  p.name = "lp_fix";
  p.build_dir = "/tmp/x";
  p.objects.push_back({"vmlinux", "/tmp/x/lp_fix_patch0.o_shipped",
                       {{"cmdline_proc_show", "livepatch_cmdline_proc_show", 0}, {"c_start", "livepatch_c_start", 2}},
                       {},
                       1});
  p.objects.push_back({"lp_testmod", "/tmp/x/lp_fix_patch1.o_shipped",
                       {{"lp_testmod_static_fn", "livepatch_lp_testmod_static_fn", 0}},
                       {},
                       0});
  return p;
}

TEST(ModuleSources, TableHasOneFuncArrayPerObjectWithSympos) {
  const std::string table = GenTable(TwoObjects());
  EXPECT_NE(table.find("static struct klp_func lp_funcs_vmlinux[] = {\n"
                       "\tLP_FUNC(\"cmdline_proc_show\", livepatch_cmdline_proc_show, 0),\n"
                       "\tLP_FUNC(\"c_start\", livepatch_c_start, 2),\n\t{ }\n};"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("LP_FUNC(\"lp_testmod_static_fn\", livepatch_lp_testmod_static_fn, 0)"), std::string::npos);
  EXPECT_NE(table.find("static struct klp_object lp_objects[] = {\n"
                       "\tLP_OBJECT(\"lp_testmod\", lp_funcs_lp_testmod),\n"
                       "\tLP_OBJECT(LP_VMLINUX, lp_funcs_vmlinux),\n\t{ }\n};"),
            std::string::npos)
      << table;
}

TEST(ModuleSources, HeaderDeclaresReplacementsAndOptions) {
  GenerateOptions o;
  o.description = "fix \"cmdline\"";
  o.replace = false;
  const std::string h = GenHeader(TwoObjects(), o);
  EXPECT_NE(h.find("#define LP_REPLACE false\n"), std::string::npos);
  EXPECT_NE(h.find("#define LP_DESCRIPTION \"fix \\\"cmdline\\\"\"\n"), std::string::npos) << h;
  EXPECT_NE(h.find("void livepatch_c_start(void);\n"), std::string::npos);
  EXPECT_NE(h.find("void livepatch_lp_testmod_static_fn(void);\n"), std::string::npos);
}

TEST(ModuleSources, KbuildLinksMainAndTheShippedObjects) {
  const std::string k = GenKbuild(TwoObjects());
  EXPECT_NE(k.find("obj-m += lp_fix.o\nlp_fix-y := lp_fix_main.o lp_fix_patch0.o lp_fix_patch1.o\n"),
            std::string::npos)
      << k;
}

}  // namespace
}  // namespace lp::patchbuild::generate
