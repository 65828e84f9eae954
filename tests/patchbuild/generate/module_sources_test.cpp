#include "patchbuild/generate/module_sources.hpp"

#include <gtest/gtest.h>

namespace lp::patchbuild::generate {
namespace {

GeneratedObject Object(std::string object_name, std::filesystem::path file, std::vector<ReplacedFunction> replaced) {
  GeneratedObject o;
  o.object_name = std::move(object_name);
  o.file = std::move(file);
  o.replaced = std::move(replaced);
  return o;
}

GeneratedPatch TwoObjects() {
  GeneratedPatch p;
  p.name = "lp_fix";
  p.build_dir = "/tmp/x";
  p.objects.push_back(Object("vmlinux", "/tmp/x/lp_fix_patch0.o_shipped",
                             {{"cmdline_proc_show", "livepatch_cmdline_proc_show", 0}, {"c_start", "livepatch_c_start", 2}}));
  p.objects.push_back(Object("lp_testmod", "/tmp/x/lp_fix_patch1.o_shipped",
                             {{"lp_testmod_static_fn", "livepatch_lp_testmod_static_fn", 0}}));
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

GeneratedPatch WithCallbacks() {
  GeneratedPatch p = TwoObjects();
  p.objects[0].callbacks = {{"pre_patch", "livepatch_my_pre"}, {"post_unpatch", "livepatch_my_post_unpatch"}};
  // A second unit of vmlinux that only adds a callback (no klp_func of its own).
  GeneratedObject only_callback;
  only_callback.object_name = "vmlinux";
  only_callback.file = "/tmp/x/lp_fix_patch2.o_shipped";
  only_callback.callbacks = {{"post_patch", "livepatch_my_post"}};
  p.objects.push_back(only_callback);
  // A module whose only content is a callback still gets its klp_object.
  GeneratedObject module_callback;
  module_callback.object_name = "nls_utf8";
  module_callback.file = "/tmp/x/lp_fix_patch3.o_shipped";
  module_callback.callbacks = {{"pre_unpatch", "livepatch_nls_pre_unpatch"}};
  p.objects.push_back(module_callback);
  return p;
}

TEST(ModuleSources, CallbacksGoIntoTheirObjectsKlpCallbacks) {
  const GeneratedPatch p = WithCallbacks();
  ASSERT_TRUE(CheckCallbacks(p));
  const std::string table = GenTable(p);
  EXPECT_NE(table.find("static struct klp_object lp_objects[] = {\n"
                       "\tLP_OBJECT(\"lp_testmod\", lp_funcs_lp_testmod),\n"
                       "\tLP_OBJECT_CB(\"nls_utf8\", lp_funcs_nls_utf8, NULL, NULL, livepatch_nls_pre_unpatch, NULL),\n"
                       "\tLP_OBJECT_CB(LP_VMLINUX, lp_funcs_vmlinux, livepatch_my_pre, livepatch_my_post, NULL, "
                       "livepatch_my_post_unpatch),\n\t{ }\n};"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("static struct klp_func lp_funcs_nls_utf8[] = {\n\t{ }\n};"), std::string::npos) << table;
  const std::string h = GenHeader(p, GenerateOptions{});
  EXPECT_NE(h.find("LP_PRE_PATCH_CB(livepatch_my_pre);\n"), std::string::npos) << h;
  EXPECT_NE(h.find("LP_POST_PATCH_CB(livepatch_my_post);\n"), std::string::npos) << h;
  EXPECT_NE(h.find("LP_PRE_UNPATCH_CB(livepatch_nls_pre_unpatch);\n"), std::string::npos) << h;
  EXPECT_NE(h.find("LP_POST_UNPATCH_CB(livepatch_my_post_unpatch);\n"), std::string::npos) << h;
}

TEST(ModuleSources, TwoCallbacksOfOneKindForOneObjectAreRefused) {
  GeneratedPatch p = WithCallbacks();
  p.objects[2].callbacks.push_back({"pre_patch", "livepatch_other_pre"});
  auto st = CheckCallbacks(p);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("two pre_patch callbacks for vmlinux (livepatch_my_pre and livepatch_other_pre)"),
            std::string::npos)
      << st.error().message;
  // The same kind for two different objects is fine.
  p.objects[2].callbacks.pop_back();
  p.objects[1].callbacks.push_back({"pre_patch", "livepatch_testmod_pre"});
  EXPECT_TRUE(CheckCallbacks(p));
}

TEST(ModuleSources, KbuildLinksMainAndTheShippedObjects) {
  const std::string k = GenKbuild(TwoObjects());
  EXPECT_NE(k.find("obj-m += lp_fix.o\nlp_fix-y := lp_fix_main.o lp_fix_patch0.o lp_fix_patch1.o\n"),
            std::string::npos)
      << k;
}

}  // namespace
}  // namespace lp::patchbuild::generate
