// A tiny stand-in for a kernel tree, for tests that must not need the real
// one: a Makefile whose pattern rule "compiles" dir/x.c into dir/x.o by
// copying it and writes a kbuild-like .x.o.cmd record (flags, source, deps).
// Units under mod/ are "module" objects (-DMODULE, KBUILD_MODNAME fakemod);
// a source containing BREAK fails to compile like gcc would. fs/b.c alone
// includes the local header fs/local.h; fs/a.c and fs/b.c include the
// global include/fake.h.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "common/file_util.hpp"
#include "patchbuild/build/kernel_tree.hpp"

namespace lp::patchbuild::tree::testing {

inline const char* kFakeMakefile =
    "# make dir/x.o: ./fake-cc compiles dir/x.c\n"
    "%.o: %.c\n"
    "\t./fake-cc $@ $< \"$(KCFLAGS)\"\n";

// deps_ lists what the source #includes ("#include "path"" lines).
inline const char* kFakeCc = R"SH(#!/bin/sh
obj=$1 src=$2 flags=$3
if grep -q BREAK "$src"; then echo "$src:1:1: error: broken on purpose" >&2; exit 1; fi
case "$obj" in
  mod/*) mod="-DMODULE -DKBUILD_MODNAME='\"fakemod\"'" ;;
  *) mod="-DKBUILD_MODNAME='\"core\"'" ;;
esac
cat "$src" > "$obj"
cmd="$(dirname "$obj")/.$(basename "$obj").cmd"
{
  printf 'cmd_%s := fakecc %s %s -c -o %s %s\n\nsource_%s := %s\n\ndeps_%s := \\\n' \
    "$obj" "$flags" "$mod" "$obj" "$src" "$obj" "$src" "$obj"
  for dep in $(sed -n 's/^#include "\(.*\)"$/\1/p' "$src"); do printf '  %s \\\n' "$dep"; done
  printf '    $(wildcard include/config/X) \\\n\n%s: $(deps_%s)\n' "$obj" "$obj"
} > "$cmd"
)SH";

// <root>/linux holds the tree; the PreparedTree points at it and holds <root>/lock.
inline PreparedTree MakeFakeTree(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  fs::path src = root / "linux";
  for (const char* d : {"fs", "mod", "include", "Documentation"}) fs::create_directories(src / d);
  auto write = [&](const char* rel, const std::string& text) { (void)WriteFileAtomic(src / rel, text); };
  write("Makefile", kFakeMakefile);
  write("fake-cc", kFakeCc);
  ::chmod((src / "fake-cc").c_str(), 0755);
  write("fs/a.c", "#include \"include/fake.h\"\nint a = 1;\n");
  write("fs/b.c", "#include \"include/fake.h\"\n#include \"fs/local.h\"\nint b = 1;\n");
  write("fs/local.h", "#define LOCAL 1\n");
  write("mod/m.c", "#include \"include/mod.h\"\nint m = 1;\n");
  write("include/fake.h", "#define FAKE 1\n");
  write("include/mod.h", "#define MOD 1\n");
  write("Documentation/a.rst", "docs\n");
  PreparedTree t;
  t.target.release = "fake";
  t.dir = root;
  t.source_dir = src;
  t.jobs = 2;
  t.lock = *FileLock::Acquire(root / "lock");
  return t;
}

}  // namespace lp::patchbuild::tree::testing
