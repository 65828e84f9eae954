// Correlation: pairing each symbol of the original object with its twin in
// the patched one.
//
// Pass 1 pairs names that carry no compiler counter and occur once on each
// side (`cmdline_proc_show`, `printk`, a file-scope `static int max_threads`).
//
// Pass 2 pairs names with counters by their name without the counter, then
// by who uses them. Example: fs/proc/foo.c has two functions each with
// `static int counter;` -> `counter.0` (in f) and `counter.1` (in g). A fix
// adds `static bool warned;` to f: now gcc may emit `counter.1` for f and
// `counter.2` for g. Matching by exact name would swap them; matching by
// "the counter referenced by f" pairs them right. Clones are handled the
// same way: `show.isra.0` <-> `show.isra.1` when each side has one.
#include <algorithm>
#include <map>
#include <set>

#include "patchbuild/diff/diff_context.hpp"
#include "patchbuild/diff/names.hpp"

namespace lp::patchbuild {
namespace {

using elf::ObjectFile;
using elf::Symbol;

bool Correlatable(const Symbol& s) {
  if (s.index == 0 || s.type == STT_SECTION || s.type == STT_FILE) return false;
  return !s.name.empty() && !IsAssemblerLocal(s.name);
}

void Link(Symbol& o, Symbol& p) {
  o.twin = &p;
  p.twin = &o;
}

bool Compatible(const Symbol& o, const Symbol& p) {
  return o.type == p.type && o.IsUndefined() == p.IsUndefined();
}

using NameIndex = std::map<std::string, std::vector<Symbol*>>;

// Correlatable symbols of `obj` keyed by name, or by normalised name when
// `numbered` (then only names that have a counter are included).
NameIndex IndexByName(const ObjectFile& obj, bool numbered) {
  NameIndex index;
  for (const auto& sym : obj.symbols()) {
    if (!Correlatable(*sym) || HasNumberedSuffix(sym->name) != numbered) continue;
    index[numbered ? NormalizedName(sym->name) : sym->name].push_back(sym.get());
  }
  return index;
}

void CorrelateExactNames(DiffContext& ctx) {
  const NameIndex orig = IndexByName(ctx.orig, false);
  const NameIndex patched = IndexByName(ctx.patched, false);
  for (const auto& [name, olist] : orig) {
    auto it = patched.find(name);
    if (it == patched.end()) continue;
    const auto& plist = it->second;
    if (olist.size() != 1 || plist.size() != 1) {
      ctx.warnings.push_back("symbol name '" + name + "' is not unique; not correlated by name");
      continue;
    }
    if (Compatible(*olist[0], *plist[0])) Link(*olist[0], *plist[0]);
  }
}

// How many users of `o` (original side) have their twin among the users of
// `p` (patched side).
size_t SharedUsers(const DiffContext& ctx, const Symbol* o, const Symbol* p) {
  auto ou = ctx.orig_users.find(o);
  auto pu = ctx.patched_users.find(p);
  if (ou == ctx.orig_users.end() || pu == ctx.patched_users.end()) return 0;
  size_t shared = 0;
  for (const Symbol* user : ou->second) {
    if (user->twin && std::find(pu->second.begin(), pu->second.end(), user->twin) != pu->second.end()) {
      ++shared;
    }
  }
  return shared;
}

bool HasUsers(const UsersMap& users, const Symbol* s) {
  auto it = users.find(s);
  return it != users.end() && !it->second.empty();
}

// Pairs o<->p when p is o's unique best match by shared users and vice versa.
bool MatchByUsers(DiffContext& ctx, std::vector<Symbol*>& olist, std::vector<Symbol*>& plist) {
  bool progress = false;
  for (Symbol* o : olist) {
    if (o->twin) continue;
    Symbol* best = nullptr;
    size_t best_score = 0;
    bool tie = false;
    for (Symbol* p : plist) {
      if (p->twin || !Compatible(*o, *p)) continue;
      const size_t score = SharedUsers(ctx, o, p);
      if (score > best_score) {
        best = p, best_score = score, tie = false;
      } else if (score == best_score && score > 0) {
        tie = true;
      }
    }
    if (!best || tie) continue;
    bool best_for_p = true;  // no other unmatched o scores as high for `best`
    for (Symbol* other : olist) {
      if (other != o && !other->twin && SharedUsers(ctx, other, best) >= best_score) best_for_p = false;
    }
    if (best_for_p) {
      Link(*o, *best);
      progress = true;
    }
  }
  return progress;
}

// The members of `group` that `user` references, in relocation order.
std::vector<Symbol*> GroupRefsOf(const UsersMap& refs, const Symbol* user, const std::vector<Symbol*>& group) {
  std::vector<Symbol*> out;
  auto it = refs.find(user);
  if (it == refs.end()) return out;
  for (Symbol* target : it->second) {
    if (std::find(group.begin(), group.end(), target) != group.end()) out.push_back(target);
  }
  return out;
}

// One function often holds several statics of one name: each
// spin_lock_init()/mutex_init() in kernel/fork.c's mm_init() and
// copy_process() brings its own lockdep `static struct lock_class_key
// __key`. Shared users cannot tell those apart, but their order can: the
// k-th `__key` that mm_init references before the fix is the k-th after it,
// as long as mm_init references the same number of them.
void MatchByReferenceOrder(DiffContext& ctx, const std::vector<Symbol*>& olist,
                           const std::vector<Symbol*>& plist) {
  std::vector<const Symbol*> users;
  for (const Symbol* o : olist) {
    auto it = ctx.orig_users.find(o);
    if (it == ctx.orig_users.end()) continue;
    for (const Symbol* u : it->second) {
      if (u->twin && std::find(users.begin(), users.end(), u) == users.end()) users.push_back(u);
    }
  }
  for (const Symbol* u : users) {
    const auto oseq = GroupRefsOf(ctx.orig_refs, u, olist);
    const auto pseq = GroupRefsOf(ctx.patched_refs, u->twin, plist);
    if (oseq.size() != pseq.size()) continue;
    for (size_t k = 0; k < oseq.size(); ++k) {
      if (!oseq[k]->twin && !pseq[k]->twin && Compatible(*oseq[k], *pseq[k])) Link(*oseq[k], *pseq[k]);
    }
  }
}

void MatchGroup(DiffContext& ctx, const std::string& key, std::vector<Symbol*> olist,
                std::vector<Symbol*> plist) {
  if (olist.size() == 1 && plist.size() == 1 && Compatible(*olist[0], *plist[0])) {
    Symbol* o = olist[0];
    Symbol* p = plist[0];
    // A lone static local is still not paired with one that only unrelated
    // functions use: then it was dropped from one function and another got
    // a new one of the same name.
    const bool both_used = HasUsers(ctx.orig_users, o) && HasUsers(ctx.patched_users, p);
    if (o->IsFunction() || !both_used || SharedUsers(ctx, o, p) > 0) {
      Link(*o, *p);
      return;
    }
  }
  MatchByReferenceOrder(ctx, olist, plist);
  while (MatchByUsers(ctx, olist, plist)) {
  }
  // Symbols nobody references (or clones whose callers all changed) keep
  // their full name when nothing around them changed. Referenced statics
  // are never paired this way: after a renumbering the same full name
  // usually means a *different* variable, and pairing the wrong kernel
  // variable is worse than treating one as new.
  for (Symbol* o : olist) {
    for (Symbol* p : plist) {
      if (o->twin || p->twin || o->name != p->name || !Compatible(*o, *p)) continue;
      if (o->IsFunction() || (!HasUsers(ctx.orig_users, o) && !HasUsers(ctx.patched_users, p))) Link(*o, *p);
    }
  }
  const auto unmatched = [](const std::vector<Symbol*>& l) {
    return std::count_if(l.begin(), l.end(), [](const Symbol* s) { return !s->twin; });
  };
  if (unmatched(olist) > 0 && unmatched(plist) > 0) {
    ctx.warnings.push_back("could not pair every '" + key + ".N' symbol; unpaired ones count as new");
  }
}

void CorrelateNumberedNames(DiffContext& ctx, uint8_t type) {
  const NameIndex orig = IndexByName(ctx.orig, true);
  const NameIndex patched = IndexByName(ctx.patched, true);
  const auto of_type = [type](const std::vector<Symbol*>& l) {
    std::vector<Symbol*> out;
    std::copy_if(l.begin(), l.end(), std::back_inserter(out), [type](Symbol* s) { return s->type == type; });
    return out;
  };
  for (const auto& [key, olist] : orig) {
    auto it = patched.find(key);
    if (it == patched.end()) continue;
    auto o = of_type(olist);
    auto p = of_type(it->second);
    if (!o.empty() && !p.empty()) MatchGroup(ctx, key, std::move(o), std::move(p));
  }
}

}  // namespace

void BuildReferenceMaps(const ObjectFile& obj, TargetResolver& targets, UsersMap& users, UsersMap& refs) {
  for (const auto& sec : obj.sections()) {
    for (const elf::Relocation& r : sec->relocations) {
      Symbol* user = sec->SymbolAt(r.offset);
      if (!user) continue;
      const RelocTarget t = targets.Resolve(*sec, r);
      if (t.kind != RelocTarget::Kind::Symbol || t.symbol == user) continue;
      auto& by = users[t.symbol];
      if (std::find(by.begin(), by.end(), user) == by.end()) by.push_back(user);
      auto& to = refs[user];
      if (std::find(to.begin(), to.end(), t.symbol) == to.end()) to.push_back(t.symbol);
    }
  }
}

Status CorrelateSymbols(DiffContext& ctx) {
  BuildReferenceMaps(ctx.orig, ctx.orig_targets, ctx.orig_users, ctx.orig_refs);
  BuildReferenceMaps(ctx.patched, ctx.patched_targets, ctx.patched_users, ctx.patched_refs);
  CorrelateExactNames(ctx);
  // Functions first: static locals are then paired through their (already
  // paired) user functions.
  CorrelateNumberedNames(ctx, STT_FUNC);
  CorrelateNumberedNames(ctx, STT_OBJECT);
  return Ok();
}

}  // namespace lp::patchbuild
