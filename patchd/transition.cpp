#include "patchd/transition.hpp"

#include <algorithm>

#include "common/file_util.hpp"
#include "patchd/patch_tree.hpp"

namespace lp::patchd {
namespace fs = std::filesystem;
namespace {

bool IsNumber(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string OneLine(std::string text, const std::string& joiner) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::string out;
  for (char c : text) {
    if (c == '\n') out += joiner;
    else out += c;
  }
  return out;
}

std::string DescribeTask(const fs::path& task_dir, const std::string& pid) {
  std::string comm = "?";
  if (auto c = ReadFile(task_dir / "comm", 4096)) comm = OneLine(*c, " ");
  std::string line = "pid " + pid + " comm " + comm;
  // /proc/<pid>/stack is root-only; without it the name is still worth reporting.
  if (auto stack = ReadFile(task_dir / "stack", 64 * 1024); stack && !stack->empty())
    line += ": " + OneLine(*stack, " | ");
  return line;
}

bool Blocks(const fs::path& task_dir, int target_state) {
  auto state = ReadIntAttribute(task_dir / "patch_state");
  return state && *state != -1 && *state != target_state;
}

}  // namespace

Expected<TransitionWait> WaitForTransition(LivepatchKernel& kernel, Clock& clock,
                                           const std::string& name, std::int64_t timeout_ms,
                                           std::int64_t poll_ms) {
  const std::int64_t start = clock.NowMs();
  for (;;) {
    TransitionWait wait;
    wait.elapsed_ms = clock.NowMs() - start;
    auto state = kernel.ReadPatchState(name);
    if (!state && state.error().code == ErrorCode::kNotFound) {
      wait.finished = wait.patch_gone = true;
      return wait;
    }
    if (!state) return state.error();
    if (!state->transition) {
      wait.finished = true;
      return wait;
    }
    if (wait.elapsed_ms >= timeout_ms) return wait;
    clock.SleepMs(std::min(poll_ms, timeout_ms - wait.elapsed_ms));
  }
}

std::vector<std::string> FindBlockingTasks(const fs::path& procfs_root, int target_state,
                                           std::size_t max_tasks) {
  std::vector<std::string> out;
  std::error_code ec;
  std::vector<std::string> pids;
  for (const auto& e : fs::directory_iterator(procfs_root, ec))
    if (IsNumber(e.path().filename().string())) pids.push_back(e.path().filename().string());
  std::sort(pids.begin(), pids.end(), [](const auto& a, const auto& b) { return std::stoll(a) < std::stoll(b); });
  for (const auto& pid : pids) {
    if (out.size() >= max_tasks) break;
    fs::path dir = procfs_root / pid;
    if (Blocks(dir, target_state)) {
      out.push_back(DescribeTask(dir, pid));
      continue;
    }
    // A multi-threaded process: the blocking thread may not be the leader.
    for (const auto& t : fs::directory_iterator(dir / "task", ec)) {
      std::string tid = t.path().filename().string();
      if (tid != pid && IsNumber(tid) && Blocks(t.path(), target_state)) {
        out.push_back(DescribeTask(t.path(), tid));
        break;
      }
    }
  }
  return out;
}

}  // namespace lp::patchd
