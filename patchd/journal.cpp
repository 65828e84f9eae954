#include "patchd/journal.hpp"

#include <nlohmann/json.hpp>

#include "common/file_util.hpp"

namespace lp::patchd {
using nlohmann::json;
namespace {

constexpr std::pair<StepState, const char*> kNames[] = {
    {StepState::kIdle, "idle"},           {StepState::kPoll, "poll"},
    {StepState::kDownload, "download"},   {StepState::kVerify, "verify"},
    {StepState::kLoad, "load"},           {StepState::kAwaitTransition, "await_transition"},
    {StepState::kCommit, "commit"},       {StepState::kRollback, "rollback"},
    {StepState::kReport, "report"},
};

}  // namespace

const char* StepStateName(StepState s) {
  for (const auto& [state, name] : kNames)
    if (state == s) return name;
  return "?";
}

Expected<StepState> StepStateFromName(const std::string& name) {
  for (const auto& [state, n] : kNames)
    if (name == n) return state;
  return MakeError(ErrorCode::kParse, "unknown journal state " + name);
}

Job NewJob(StepState state, std::string action, std::string source, std::string patch_id,
           std::uint64_t version, std::string sha256, std::string module_name, bool replace) {
  Job job;
  job.state = state;
  job.action = std::move(action);
  job.source = std::move(source);
  job.patch_id = std::move(patch_id);
  job.version = version;
  job.sha256 = std::move(sha256);
  job.module_name = std::move(module_name);
  job.replace = replace;
  return job;
}

std::filesystem::path JournalFile(const std::filesystem::path& state_dir) {
  return state_dir / "journal.json";
}

Expected<Job> LoadJournal(const std::filesystem::path& state_dir) {
  auto text = ReadFile(JournalFile(state_dir), 4u << 20);
  if (!text && text.error().code == ErrorCode::kNotFound) return Job{};
  if (!text) return text.error();
  try {
    json j = json::parse(*text);
    Job job;
    auto state = StepStateFromName(j.at("state").get<std::string>());
    if (!state) return state.error();
    job.state = *state;
    job.action = j.value("action", "apply");
    job.source = j.value("source", "");
    job.patch_id = j.value("patch_id", "");
    job.version = j.value("version", std::uint64_t{0});
    job.sha256 = j.value("sha256", "");
    job.module_name = j.value("module_name", "");
    job.replace = j.value("replace", true);
    job.result = j.value("result", "");
    job.error = j.value("error", "");
    job.blocking_tasks = j.value("blocking_tasks", std::vector<std::string>{});
    job.timings_ms = j.value("timings_ms", std::map<std::string, std::int64_t>{});
    job.restarts = j.value("restarts", 0);
    job.boot_id = j.value("boot_id", "");
    return job;
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kParse, JournalFile(state_dir).string() + ": " + e.what());
  }
}

Status SaveJournal(const std::filesystem::path& state_dir, const Job& job) {
  json j{{"state", StepStateName(job.state)}, {"action", job.action},
         {"source", job.source},             {"patch_id", job.patch_id},
         {"version", job.version},           {"sha256", job.sha256},
         {"module_name", job.module_name},   {"replace", job.replace},
         {"result", job.result},             {"error", job.error},
         {"blocking_tasks", job.blocking_tasks}, {"timings_ms", job.timings_ms},
         {"restarts", job.restarts},         {"boot_id", job.boot_id}};
  LP_TRY(MakeDirs(state_dir));
  return WriteFileAtomic(JournalFile(state_dir), j.dump() + "\n", 0600);
}

}  // namespace lp::patchd
