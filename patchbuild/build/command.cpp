#include "patchbuild/build/command.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/raii.hpp"

extern char** environ;

namespace lp::patchbuild::tree {
namespace {

Error SysError(const std::string& what, int err) {
  return MakeError(ErrorCode::kIo, what + ": " + std::strerror(err));
}

// Keeps the first and last halves of the allowed size; what a human needs
// from a 50 MB make log is how it started and how it ended.
class BoundedOutput {
 public:
  explicit BoundedOutput(std::size_t max) : max_(max) {}
  void Append(const char* data, std::size_t n) {
    std::size_t head_room = max_ / 2;
    if (head_.size() < head_room) {
      std::size_t take = std::min(n, head_room - head_.size());
      head_.append(data, take);
      data += take;
      n -= take;
    }
    if (n == 0) return;
    tail_.append(data, n);
    std::size_t tail_room = max_ - head_room;
    if (tail_.size() > 2 * tail_room) {
      dropped_ = true;
      tail_.erase(0, tail_.size() - tail_room);
    }
  }
  std::string Take() {
    std::size_t tail_room = max_ - max_ / 2;
    if (tail_.size() > tail_room) {
      dropped_ = true;
      tail_.erase(0, tail_.size() - tail_room);
    }
    return dropped_ ? head_ + "\n[... output truncated ...]\n" + tail_ : head_ + tail_;
  }

 private:
  std::size_t max_;
  std::string head_;
  std::string tail_;
  bool dropped_ = false;
};

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// posix_spawn file actions as an RAII object.
class SpawnActions {
 public:
  SpawnActions() { ::posix_spawn_file_actions_init(&actions_); }
  ~SpawnActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

Expected<int> WaitForChild(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return SysError("waitpid", errno);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

std::string DescribeArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

Expected<CommandResult> RunCommand(const CommandSpec& spec) {
  if (spec.argv.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty command");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return SysError("pipe", errno);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);

  SpawnActions actions;
  ::posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), STDERR_FILENO);
  if (!spec.cwd.empty())
    ::posix_spawn_file_actions_addchdir_np(actions.get(), spec.cwd.c_str());

  auto argv = CStrings(spec.argv);
  std::vector<char*> envp;
  if (spec.env) envp = CStrings(*spec.env);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argv[0], actions.get(), nullptr, argv.data(),
                          spec.env ? envp.data() : environ);
  if (rc != 0) return SysError("starting " + spec.argv[0], rc);
  write_end.Reset();  // the child holds the only write end now: EOF when it exits

  BoundedOutput output(spec.max_output);
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF, or a read error we cannot act on: reap the child anyway
    output.Append(buf, static_cast<std::size_t>(n));
  }
  auto code = WaitForChild(pid);
  if (!code) return code.error();
  return CommandResult{*code, output.Take()};
}

CommandSpec Command(std::vector<std::string> argv) {
  CommandSpec spec;
  spec.argv = std::move(argv);
  return spec;
}

CommandSpec BuildCommand(std::vector<std::string> argv) {
  CommandSpec spec = Command(std::move(argv));
  spec.env = CleanBuildEnvironment();
  return spec;
}

std::vector<std::string> CleanBuildEnvironment(const std::vector<std::string>& extra) {
  // Inherited from an outer make (ctest under make -j) or a developer shell,
  // each of these would silently change the flags or the job server.
  static const char* const kDropped[] = {
      "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS", "KCFLAGS",
      "KCPPFLAGS", "KAFLAGS", "ARCH", "CROSS_COMPILE", "CC", "LD", "LLVM", "O", "V", "W",
      "C", "M", "KBUILD_OUTPUT", "KBUILD_EXTMOD", "KBUILD_EXTRA_SYMBOLS", "KCONFIG_CONFIG",
      "LOCALVERSION", "INSTALL_MOD_PATH"};
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    bool drop = false;
    for (const char* d : kDropped) drop = drop || name == d;
    if (!drop) env.push_back(std::move(entry));
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

}  // namespace lp::patchbuild::tree
