// The apply journal: <state_dir>/journal.json, rewritten atomically *before*
// each side effect (mender's SaveState). After a kill -9 the restarted daemon
// reads it and resumes the state it names; every state's work is idempotent,
// so redoing it converges.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace lp::patchd {

enum class StepState {
  kIdle,
  kPoll,
  kDownload,
  kVerify,
  kLoad,
  kAwaitTransition,
  kCommit,
  kRollback,
  kReport,
};

const char* StepStateName(StepState s);
Expected<StepState> StepStateFromName(const std::string& name);

// The job the state machine is working on, persisted with the state.
struct Job {
  StepState state = StepState::kIdle;
  std::string action = "apply";  // "apply" | "revert"
  std::string source;            // "portal" | "local" | "cache"
  std::string patch_id;
  std::uint64_t version = 0;
  std::string sha256;            // module blob; cache key of the manifest too
  std::string module_name;
  bool replace = true;
  std::string result;            // wire result once known: applied|failed|reverted|refused|stalled
  std::string error;
  std::vector<std::string> blocking_tasks;
  std::map<std::string, std::int64_t> timings_ms;
  int restarts = 0;              // reboots that interrupted this job inside the kernel
  std::string boot_id;           // kernel boot id when the state was journaled
};

// A fresh job starting at `state` (the rest empty).
Job NewJob(StepState state, std::string action, std::string source, std::string patch_id = "",
           std::uint64_t version = 0, std::string sha256 = "", std::string module_name = "",
           bool replace = true);

std::filesystem::path JournalFile(const std::filesystem::path& state_dir);

// No journal file = Idle job.
Expected<Job> LoadJournal(const std::filesystem::path& state_dir);
Status SaveJournal(const std::filesystem::path& state_dir, const Job& job);

}  // namespace lp::patchd
