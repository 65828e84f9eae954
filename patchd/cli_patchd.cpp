// patchd [--config F] [--once] [--apply-cached]
#include <boost/program_options.hpp>

#include <atomic>
#include <csignal>

#include "patchd/cli.hpp"
#include "patchd/cli_common.hpp"
#include "patchd/device.hpp"
#include "patchd/poll_schedule.hpp"
#include "patchd/state_lock.hpp"

namespace lp::patchd::cli {
namespace {

namespace po = boost::program_options;

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

constexpr std::int64_t kLockTimeoutMs = 10 * 60 * 1000;  // a stalled patchctl apply is bounded too

struct Flags {
  std::string config;
  bool once = false;
  bool apply_cached = false;
};

Expected<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  po::options_description desc("patchd options");
  desc.add_options()("help,h", "show this help")
      ("config", po::value(&f.config), "config file (default /etc/patchd/patchd.conf)")
      ("once", po::bool_switch(&f.once), "one check-in cycle, then exit")
      ("apply-cached", po::bool_switch(&f.apply_cached), "re-apply cached patches for this kernel (boot), then exit");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << "usage: patchd [--config F] [--once] [--apply-cached]\n" << desc;
      std::exit(0);
    }
  } catch (const po::error& e) {
    return MakeError(ErrorCode::kInvalidArgument, e.what());
  }
  return f;
}

int ApplyCached(Device& device) {
  if (auto probe = device.kernel().Probe(); !probe) {
    Log("apply-cached: " + probe.error().message + "; nothing to do");
    return 0;
  }
  auto lock = StateLock::Acquire(device.config().paths.state_dir, device.clock(), kLockTimeoutMs);
  if (!lock) return Log(lock.error().message), 1;
  auto jobs = device.ApplyCached();
  if (!jobs) return Log("apply-cached: " + jobs.error().message), 1;
  int rc = 0;
  for (const auto& job : *jobs) {
    Log("apply-cached: " + Describe(job));
    if (!job.result.empty() && job.result != "applied") rc = 1;
  }
  if (jobs->empty()) Log("apply-cached: no cached patch for this kernel");
  return rc;
}

// One cycle under the lock; true when the portal answered.
bool Cycle(Device& device) {
  auto lock = StateLock::Acquire(device.config().paths.state_dir, device.clock(), kLockTimeoutMs);
  if (!lock) return Log(lock.error().message), false;
  auto job = device.CheckInOnce();
  if (!job) return Log("check-in cycle: " + job.error().message), false;
  if (!job->result.empty() || !job->error.empty()) Log(Describe(*job));
  return !device.updater().checkin_failed();
}

int RunForever(Device& device) {
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  PollSchedule schedule(device.config().backoff_max_s, SystemRandom());
  while (!g_stop) {
    bool ok = Cycle(device);
    std::int64_t interval = device.updater().state().poll_interval_s;
    if (interval <= 0) interval = device.config().poll_interval_s;
    std::int64_t delay = ok ? schedule.AfterSuccess(interval) : schedule.AfterFailure();
    if (!ok) Log("next check-in in " + std::to_string(delay / 1000) + " s (failure " +
                 std::to_string(schedule.consecutive_failures()) + ")");
    // Sleep in short steps so SIGTERM is honoured promptly.
    for (std::int64_t slept = 0; slept < delay && !g_stop; slept += 500) device.clock().SleepMs(500);
  }
  Log("patchd: stopping");
  return 0;
}

}  // namespace

int PatchdMain(int argc, char** argv) {
  auto flags = ParseFlags(argc, argv);
  if (!flags) return Log("patchd: " + flags.error().message), 1;
  auto config = LoadCliConfig(flags->config);
  if (!config) return Log("patchd: " + config.error().message), 1;
  auto device = Device::Open(*config);
  if (!device) return Log("patchd: " + device.error().message), 1;
  if (flags->apply_cached) return ApplyCached(**device);
  if (flags->once) return Cycle(**device) ? 0 : 1;
  return RunForever(**device);
}

}  // namespace lp::patchd::cli
