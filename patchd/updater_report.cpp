// The Report state: remember the outcome, then tell the portal (at least once:
// undelivered reports stay queued in state.json and go with the next check-in).
#include <nlohmann/json.hpp>

#include "patchd/patch_tree.hpp"
#include "patchd/updater.hpp"

namespace lp::patchd {
using nlohmann::json;
namespace {

// The portal takes request bodies up to 64 KiB (docs/api.md): keep a report
// well under that however long the stacks and log lines are.
std::vector<std::string> Capped(std::vector<std::string> lines, std::size_t max_lines) {
  constexpr std::size_t kMaxLine = 1024;
  if (lines.size() > max_lines) lines.resize(max_lines);
  for (auto& line : lines)
    if (line.size() > kMaxLine) line = line.substr(0, kMaxLine) + "...";
  return lines;
}

std::string WireResult(const std::string& result) {
  return result == "stalled" || result == "applied" || result == "failed" || result == "reverted" ||
                 result == "refused"
             ? result
             : "failed";
}

}  // namespace

std::vector<std::string> Updater::Dmesg(const Job& job) const {
  // Only failures need the kernel's side of the story; success stays small.
  if (!deps_.kernel_log || job.result == "applied" || job.result == "reverted") return {};
  return deps_.kernel_log(job.module_name);
}

void Updater::QueueReport(const Job& job) {
  int taint = 0;
  // <procfs>/sys/kernel/tainted: worth sending with every outcome, an oops taints.
  if (auto t = ReadIntAttribute(deps_.config.paths.procfs_root / "sys" / "kernel" / "tainted")) taint = *t;
  json body{{"patch_id", job.patch_id},
            {"version", job.version},
            {"action", job.action},
            {"result", WireResult(job.result)},
            {"error", job.error.substr(0, 2048)},
            {"timings_ms", job.timings_ms},
            {"taint", taint},
            {"dmesg", Capped(Dmesg(job), 20)},
            {"blocking_tasks", Capped(job.blocking_tasks, 16)}};
  state_.pending_reports.push_back(body.dump());
}

void Updater::ReportFault(Job& job, const std::string& error) {
  Job report = job;
  Fail(report, "refused", error);
  QueueReport(report);
  state_.last_error = error;
  Fail(job, "", error);
}

void Updater::FlushReports() {
  if (!deps_.portal || state_.credential.empty() || state_.pending_reports.empty()) return;
  std::vector<std::string> undelivered;
  for (const auto& body : state_.pending_reports)
    if (!deps_.portal->Report(state_.credential, body)) undelivered.push_back(body);
  // A portal that keeps refusing must not make the queue grow without bound.
  constexpr std::size_t kMaxQueued = 64;
  if (undelivered.size() > kMaxQueued)
    undelivered.erase(undelivered.begin(), undelivered.end() - kMaxQueued);
  state_.pending_reports = std::move(undelivered);
  (void)SaveState();
}

Event Updater::DoReport(Job& job) {
  state_.last_error = job.error;
  // A cached copy that no longer verifies (expired keys document, a damaged
  // file) says nothing about the patch itself: keep the record, so the next
  // check-in fetches it again instead of treating the version as refused.
  bool cache_refusal = job.source == "cache" && job.result == "refused";
  if (!job.result.empty() && !job.patch_id.empty() && job.result != "applied" && !cache_refusal) {
    PatchRecord rec{job.patch_id, job.version, deps_.identity.build_id, job.sha256, job.module_name,
                    job.replace, job.result, {}, "", deps_.clock.WallNow()};
    if (const PatchRecord* old = state_.Find(job.patch_id, job.version)) {
      rec.cves = old->cves;
      rec.description = old->description;
    }
    state_.Record(rec);
  }
  if (!job.result.empty()) QueueReport(job);
  // Save before sending: a crash after delivery re-sends (at least once),
  // never loses the outcome.
  (void)SaveState();
  FlushReports();
  return Event::kOk;
}

}  // namespace lp::patchd
