// The planner on FLEETPATCH_PRE_PATCH(fn) & co. (kmod/include/fleetpatch/
// livepatch.h): a pointer in .fleetpatch.callbacks.<kind> makes a new
// function of the patch a callback of its object. Objects compiled by gcc at
// test time like kernel code, against a hand-made symbol table.
#include <gtest/gtest.h>

#include <algorithm>

#include "patchbuild/diff/diff.hpp"
#include "patchbuild/generate/kernel_symbols.hpp"
#include "patchbuild/generate/object_planner.hpp"
#include "tests/patchbuild/diff/compile.hpp"

namespace lp::patchbuild::generate {
namespace {

const char* kOriginal = R"(
struct klp_object;
extern int printk(const char *fmt, ...);
int target(int x) { return x + 1; }
int existing(struct klp_object *obj) { return 0; }
)";

// What the header's macros expand to, without the kernel's headers.
const char* kCallbackMacro = R"(
struct klp_object;
struct klp_callbacks {
  int (*pre_patch)(struct klp_object *obj);
  void (*post_patch)(struct klp_object *obj);
  void (*pre_unpatch)(struct klp_object *obj);
  void (*post_unpatch)(struct klp_object *obj);
  _Bool post_unpatch_enabled;
};
extern int printk(const char *fmt, ...);
#define CB(kind, fn) \
  static const struct klp_callbacks __fleetpatch_##kind##_##fn \
  __attribute__((used, section(".fleetpatch.callbacks." #kind))) = { .kind = (fn) }
int target(int x) { return x + 2; }
int existing(struct klp_object *obj) { return 0; }
)";

class CallbackPlanTest : public ::testing::Test {
 protected:
  Expected<ObjectPlan> Plan(const std::string& patched_extra) {
    const std::string flags = patchbuild::testing::kKernelFlavour.flags;
    auto orig_path = patchbuild::testing::CompileC(dir_, "orig", kOriginal, flags);
    auto patched_path =
        patchbuild::testing::CompileC(dir_, "patched", std::string(kCallbackMacro) + patched_extra, flags);
    if (orig_path.empty() || patched_path.empty()) return MakeError(ErrorCode::kInternal, "gcc failed");
    auto o = elf::ObjectFile::Open(orig_path);
    auto p = elf::ObjectFile::Open(patched_path);
    if (!o || !p) return MakeError(ErrorCode::kInternal, "cannot open the objects");
    original_ = std::move(*o);
    patched_ = std::move(*p);
    auto diff = DiffObjects(*original_, *patched_);
    if (!diff) return diff.error();
    for (const auto& [name, type] : std::vector<std::pair<std::string, char>>{
             {"target", 'T'}, {"existing", 'T'}, {"printk", 'T'}, {"__fentry__", 'T'}})
      table_.Add(symbols::Symbol{name, 0xffffffff81000000ull + 0x100 * table_.size(), type, "vmlinux", 0});
    KernelSymbols kernel(table_, nullptr, {"printk", "__fentry__"}, "vmlinux", original_.get());
    return PlanObject(*patched_, kernel);
  }

  lp::testing::TempDir dir_;
  std::unique_ptr<elf::ObjectFile> original_, patched_;
  symbols::SymbolTable table_;
};

TEST_F(CallbackPlanTest, CallbacksAreCopiedGlobalAndNamedInThePlan) {
  auto plan = Plan(R"(
static int my_pre(struct klp_object *obj) { printk("pre\n"); return 0; }
CB(pre_patch, my_pre);
static void my_post_unpatch(struct klp_object *obj) { printk("post\n"); }
CB(post_unpatch, my_post_unpatch);
)");
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->callbacks.size(), 2u);
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& c : plan->callbacks) got.emplace_back(c.kind, c.function);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{{"post_unpatch", "livepatch_my_post_unpatch"},
                                                                   {"pre_patch", "livepatch_my_pre"}}));
  for (const char* name : {"livepatch_my_pre", "livepatch_my_post_unpatch"}) {
    auto it = std::find_if(plan->symbols.begin(), plan->symbols.end(),
                           [&](const PlannedSymbol& s) { return s.name == name; });
    ASSERT_NE(it, plan->symbols.end()) << name;
    EXPECT_TRUE(it->defined);
    EXPECT_EQ(it->bind, STB_GLOBAL) << name;
  }
  for (const auto& s : plan->sections) EXPECT_EQ(s.name.rfind(".fleetpatch.", 0), std::string::npos) << s.name;
  ASSERT_EQ(plan->replaced.size(), 1u);
  EXPECT_EQ(plan->replaced[0].old_name, "target");
}

TEST_F(CallbackPlanTest, ACallbackMustBeAFunctionThePatchAdds) {
  auto plan = Plan("CB(pre_patch, existing);\n");
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("a pre_patch callback must be a function the patch adds (existing is not)"),
            std::string::npos)
      << plan.error().message;
}

TEST_F(CallbackPlanTest, TwoCallbacksOfOneKindInAUnitAreRefused) {
  auto plan = Plan(R"(
static void a(struct klp_object *obj) { printk("a\n"); }
static void b(struct klp_object *obj) { printk("b\n"); }
CB(post_patch, a);
CB(post_patch, b);
)");
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("two post_patch callbacks"), std::string::npos) << plan.error().message;
}

TEST_F(CallbackPlanTest, UnknownCallbackKindIsRefused) {
  auto plan = Plan(R"(
static void a(struct klp_object *obj) { printk("a\n"); }
static void (*const p)(struct klp_object *) __attribute__((used, section(".fleetpatch.callbacks.post_reboot"))) = a;
)");
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("unknown callback kind 'post_reboot'"), std::string::npos)
      << plan.error().message;
}

}  // namespace
}  // namespace lp::patchbuild::generate
