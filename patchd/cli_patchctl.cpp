// patchctl [--config F] status [--json] | list | apply BUNDLE | revert [ID] | check
#include <iostream>
#include <vector>

#include "patchd/cli.hpp"
#include "patchd/cli_common.hpp"
#include "patchd/device.hpp"
#include "patchd/state_lock.hpp"
#include "patchd/status.hpp"

namespace lp::patchd::cli {
namespace {

constexpr const char* kUsage =
    "usage: patchctl [--config FILE] COMMAND\n"
    "  status [--json]   kernel, livepatch support, patches and their state, CVEs fixed,\n"
    "                    last check-in, last error. Exit: 0 up to date, 1 error,\n"
    "                    2 nothing applied, 3 pending, 4 unsupported kernel\n"
    "  list              every patch version this device has dealt with\n"
    "  apply BUNDLE      verify a bundle with the root key and apply it (offline)\n"
    "  revert [ID]       revert one applied patch, or all\n"
    "  check             check in with the portal now (one cycle)\n";

int Status(const Config& config, bool as_json, bool list) {
  auto kernel = MakeKernel(config);
  if (!kernel) return Log(kernel.error().message), 1;
  DeviceStatus s = CollectStatus(config, **kernel);
  std::cout << (list ? ListText(s) : as_json ? StatusJson(s) : StatusText(s));
  return list ? 0 : s.exit;
}

// apply/revert/check change state: run them under the state lock.
int Mutate(const Config& config, const std::string& command, const std::string& arg) {
  auto device = Device::Open(config);
  if (!device) return Log(device.error().message), 1;
  // patchd holds the lock for one cycle, which includes a long poll.
  std::int64_t wait_s = config.long_poll_s + config.http_timeout_s + config.transition_timeout_s + 60;
  auto lock = StateLock::Acquire(config.paths.state_dir, (*device)->clock(), wait_s * 1000);
  if (!lock) return Log(lock.error().message), 1;
  std::vector<Job> jobs;
  if (command == "apply") {
    auto job = (*device)->ApplyBundle(arg);
    if (!job) return Log(job.error().message), 1;
    jobs.push_back(*job);
  } else if (command == "revert") {
    auto done = (*device)->Revert(arg);
    if (!done) return Log(done.error().message), 1;
    jobs = *done;
  } else {
    auto job = (*device)->CheckInOnce();
    if (!job) return Log(job.error().message), 1;
    if ((*device)->updater().checkin_failed()) return Log("check-in failed: " + job->error), 1;
    jobs.push_back(*job);
  }
  int rc = 0;
  for (const auto& job : jobs) {
    std::cout << Describe(job) << "\n";
    bool good = job.result.empty() ? job.error.empty() : job.result == "applied" || job.result == "reverted";
    if (!good) rc = 1;
  }
  return rc;
}

}  // namespace

int PatchctlMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string config_flag;
  bool as_json = false;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) config_flag = args[++i];
    else if (args[i].rfind("--config=", 0) == 0) config_flag = args[i].substr(9);
    else if (args[i] == "--json") as_json = true;
    else if (args[i] == "-h" || args[i] == "--help") return std::cout << kUsage, 0;
    else rest.push_back(args[i]);
  }
  if (rest.empty()) return std::cerr << kUsage, 1;
  auto config = LoadCliConfig(config_flag);
  if (!config) return Log(config.error().message), 1;
  const std::string& cmd = rest[0];
  if (cmd == "status" && rest.size() == 1) return Status(*config, as_json, false);
  if (cmd == "list" && rest.size() == 1) return Status(*config, false, true);
  if (cmd == "apply" && rest.size() == 2) return Mutate(*config, cmd, rest[1]);
  if (cmd == "revert" && rest.size() <= 2) return Mutate(*config, cmd, rest.size() == 2 ? rest[1] : "");
  if (cmd == "check" && rest.size() == 1) return Mutate(*config, cmd, "");
  std::cerr << kUsage;
  return 1;
}

}  // namespace lp::patchd::cli
