// Which sections hold code livepatch can redirect. Shared by the diff's
// report and the generate stage's planner (object_planner.cpp), which
// refuses changed functions outside them.
//
// livepatch redirects a function through its ftrace site (the __fentry__
// call at its start), and only while the code can still be reached:
// - __init code (.init.text) ran at boot or module load and is freed; a
//   module's __exit code (.exit.text, notrace) runs once, at unload. A
//   change there has no live copy to replace.
// - noinstr code (.noinstr.text: entry, idle, early exception paths) is
//   notrace by definition and runs where tracing is unsafe; .entry.text is
//   assembly entry code; .cpuidle.text runs in the idle loop with RCU not
//   watching; .head.text (__head) runs once at early boot, before ftrace.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lp::patchbuild {

// .init.text / .exit.text (and their .init.* / .exit.* kin).
bool IsInitOrExitSection(std::string_view section);

// Why code in `section` cannot be redirected (not counting __init/__exit
// code, see IsInitOrExitSection), or nullopt when it can.
std::optional<std::string> UnredirectableSection(std::string_view section);

}  // namespace lp::patchbuild
