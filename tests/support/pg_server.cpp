#include "tests/support/pg_server.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

extern char** environ;

namespace lp::testing {
namespace fs = std::filesystem;
namespace {

// The newest installed server's bin dir, or empty.
fs::path FindBinDir() {
  if (const char* env = std::getenv("LP_PG_BINDIR"); env && *env) return env;
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(e.path() / "bin" / "initdb", ec) && fs::exists(e.path() / "bin" / "pg_ctl", ec))
      found.push_back(e.path() / "bin");
  // "9.6" < "15": compare numerically on the leading version number.
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return std::atoi(a.parent_path().filename().c_str()) < std::atoi(b.parent_path().filename().c_str());
  });
  return found.empty() ? fs::path() : found.back();
}

std::string Tail(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

// Runs argv (output appended to log); its exit status, or -1.
int Run(const std::vector<std::string>& argv, const fs::path& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

Expected<std::unique_ptr<PgServer>> PgServer::Start() {
  std::unique_ptr<PgServer> s(new PgServer());
  s->bindir_ = FindBinDir();
  std::error_code ec;
  if (s->bindir_.empty() || !fs::exists(s->bindir_ / "initdb", ec) || !fs::exists(s->bindir_ / "pg_ctl", ec))
    return MakeError(ErrorCode::kNotFound,
                     "PostgreSQL server binaries (initdb, pg_ctl) not found in " +
                         (s->bindir_.empty() ? std::string("/usr/lib/postgresql/*/bin") : s->bindir_.string()) +
                         ": install the postgresql package (scripts/install-deps) or set LP_PG_BINDIR");
  std::string tmpl = (fs::temp_directory_path() / "lp-pg-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) return MakeError(ErrorCode::kIo, "mkdtemp failed");
  s->dir_ = tmpl;
  const fs::path log = s->dir_ / "setup.log";
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (!pw)
      return MakeError(ErrorCode::kNotFound,
                       "running as root, and PostgreSQL refuses root: need the 'postgres' system user "
                       "(created by the postgresql package)");
    if (::chown(s->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
      return MakeError(ErrorCode::kIo, "chown " + s->dir_.string() + " to postgres failed");
    s->as_postgres_ = true;
  }
  auto cmd = [&](const std::string& tool, std::vector<std::string> args) {
    std::vector<std::string> argv;
    if (s->as_postgres_) argv = {"runuser", "-u", "postgres", "--"};
    argv.push_back((s->bindir_ / tool).string());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  auto failed = [&](const std::string& what) {
    return MakeError(ErrorCode::kIo, what + " failed (bin dir " + s->bindir_.string() + "):\n" + Tail(log) +
                                         Tail(s->dir_ / "server.log"));
  };
  const std::string data = (s->dir_ / "data").string();
  if (Run(cmd("initdb", {"-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"}),
          log) != 0)
    return failed("initdb");
  // Durability off: a test server's data is thrown away anyway.
  const std::string opts = "-k " + s->dir_.string() +
                           " -c listen_addresses= -c fsync=off -c synchronous_commit=off"
                           " -c full_page_writes=off -c max_connections=20";
  if (Run(cmd("pg_ctl", {"-D", data, "-l", (s->dir_ / "server.log").string(), "-o", opts, "-w", "-t", "30",
                         "-s", "start"}),
          log) != 0)
    return failed("pg_ctl start");
  s->started_ = true;
  if (Run(cmd("createdb", {"-h", s->dir_.string(), "-U", "postgres", "eportal"}), log) != 0)
    return failed("createdb");
  return s;
}

PgServer::~PgServer() {
  if (started_) {
    std::vector<std::string> argv;
    if (as_postgres_) argv = {"runuser", "-u", "postgres", "--"};
    for (std::string a : {(bindir_ / "pg_ctl").string(), std::string("-D"), (dir_ / "data").string(), std::string("-m"),
                          std::string("immediate"), std::string("-w"), std::string("-s"), std::string("stop")})
      argv.push_back(a);
    (void)Run(argv, "/dev/null");
  }
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string PgServer::conninfo() const {
  return "host=" + dir_.string() + " dbname=eportal user=postgres";
}

}  // namespace lp::testing
