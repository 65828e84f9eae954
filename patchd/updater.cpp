#include "patchd/updater.hpp"

#include <utility>

#include "common/file_util.hpp"

namespace lp::patchd {
namespace {

struct TransitionRule {
  StepState from;
  Event on;
  StepState to;
};

// The whole control flow in one table. A (state, event) pair missing here
// ends the job at Report, so an unexpected event can never loop.
constexpr TransitionRule kRules[] = {
    {StepState::kPoll, Event::kOk, StepState::kDownload},
    {StepState::kPoll, Event::kNothingToDo, StepState::kIdle},
    {StepState::kPoll, Event::kRevert, StepState::kRollback},
    {StepState::kPoll, Event::kFailed, StepState::kReport},
    {StepState::kDownload, Event::kOk, StepState::kVerify},
    {StepState::kDownload, Event::kFailed, StepState::kReport},
    {StepState::kVerify, Event::kOk, StepState::kLoad},
    {StepState::kVerify, Event::kNothingToDo, StepState::kIdle},
    {StepState::kVerify, Event::kFailed, StepState::kReport},
    {StepState::kLoad, Event::kOk, StepState::kAwaitTransition},
    {StepState::kLoad, Event::kNothingToDo, StepState::kIdle},
    {StepState::kLoad, Event::kFailed, StepState::kReport},
    {StepState::kAwaitTransition, Event::kOk, StepState::kCommit},
    {StepState::kAwaitTransition, Event::kStalled, StepState::kRollback},
    {StepState::kAwaitTransition, Event::kFailed, StepState::kRollback},
    {StepState::kCommit, Event::kOk, StepState::kReport},
    {StepState::kRollback, Event::kOk, StepState::kReport},
    {StepState::kRollback, Event::kFailed, StepState::kReport},
    {StepState::kReport, Event::kOk, StepState::kIdle},
};

// A job visits each state at most once, plus Idle: more steps is a bug.
constexpr int kMaxSteps = 16;
// A job interrupted by this many reboots inside the kernel is given up (reversed).
constexpr int kMaxRestarts = 3;

}  // namespace

std::string ReadBootId(const SystemPaths& paths) {
  auto text = ReadFile(paths.procfs_root / "sys" / "kernel" / "random" / "boot_id", 4096);
  if (!text) return "";
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
  return *text;
}

Updater::Updater(UpdaterDeps deps)
    : deps_(std::move(deps)),
      cache_(deps_.config.paths.state_dir / "cache"),
      engine_(deps_.kernel, deps_.clock, deps_.config.paths,
              ApplyOptions{deps_.config.transition_timeout_s * 1000, 100}) {}

StepState Updater::Next(StepState from, Event on) {
  for (const auto& rule : kRules)
    if (rule.from == from && rule.on == on) return rule.to;
  return from == StepState::kReport ? StepState::kIdle : StepState::kReport;
}

Status Updater::SaveState() {
  return SaveDeviceState(deps_.config.paths.state_dir, state_);
}

void Updater::Fail(Job& job, const std::string& result, const std::string& error) {
  job.result = result;
  job.error = error;
}

Status Updater::LoadState() {
  auto loaded = LoadDeviceState(deps_.config.paths.state_dir);
  if (!loaded) return loaded.error();
  state_ = std::move(*loaded);
  return Ok();
}

Expected<Job> Updater::Run(Job job) {
  LP_TRY(LoadState());
  verified_.reset();
  checkin_failed_ = false;
  const std::string boot_id = ReadBootId(deps_.config.paths);
  for (int steps = 0;; ++steps) {
    if (steps > kMaxSteps)
      return MakeError(ErrorCode::kInternal, std::string("state machine loop at ") + StepStateName(job.state));
    job.boot_id = boot_id;
    LP_TRY(SaveJournal(deps_.config.paths.state_dir, job));
    if (crash_hook_ && crash_hook_(job.state, CrashPoint::kBeforeEffect))
      return MakeError(ErrorCode::kInternal, kCrashInjected);
    if (job.state == StepState::kIdle) return job;
    Event event = Step(job);
    if (crash_hook_ && crash_hook_(job.state, CrashPoint::kAfterEffect))
      return MakeError(ErrorCode::kInternal, kCrashInjected);
    job.state = Next(job.state, event);
  }
}

Expected<Job> Updater::Recover() {
  LP_TRY(LoadState());
  auto job = LoadJournal(deps_.config.paths.state_dir);
  if (!job) return job.error();
  if (job->state == StepState::kIdle) return *job;
  // Only a *reboot* while the patch was inside the kernel counts: that is
  // what a patch that panics the machine looks like (load, crash, boot,
  // apply-cached, crash ...). A killed or restarted patchd on the same boot
  // says nothing about the patch and just resumes.
  const bool in_kernel = job->state == StepState::kLoad || job->state == StepState::kAwaitTransition ||
                         job->state == StepState::kCommit;
  if (in_kernel && job->boot_id != ReadBootId(deps_.config.paths)) ++job->restarts;
  if (job->restarts > kMaxRestarts) {
    std::string why = "gave up after " + std::to_string(kMaxRestarts) + " restarts in state " +
                      StepStateName(job->state);
    switch (job->state) {
      case StepState::kLoad:
      case StepState::kAwaitTransition:
      case StepState::kCommit:
        Fail(*job, "failed", why);
        job->state = StepState::kRollback;
        break;
      case StepState::kRollback:
      case StepState::kReport:
        job->error += (job->error.empty() ? "" : "; ") + why;
        job->state = StepState::kReport;
        break;
      default:  // nothing reached the kernel yet
        job->state = StepState::kIdle;
    }
  }
  return Run(std::move(*job));
}

Event Updater::Step(Job& job) {
  switch (job.state) {
    case StepState::kIdle: return Event::kNothingToDo;
    case StepState::kPoll: return DoPoll(job);
    case StepState::kDownload: return DoDownload(job);
    case StepState::kVerify: return DoVerify(job);
    case StepState::kLoad: return DoLoad(job);
    case StepState::kAwaitTransition: return DoAwaitTransition(job);
    case StepState::kCommit: return DoCommit(job);
    case StepState::kRollback: return DoRollback(job);
    case StepState::kReport: return DoReport(job);
  }
  return Event::kFailed;
}

}  // namespace lp::patchd
