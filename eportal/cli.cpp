#include "eportal/cli.hpp"

#include <iostream>
#include <set>

namespace lp::eportal::cli {
namespace {

// Options that take a value as the next argument, so the command scan below
// does not mistake their values for command words.
const std::set<std::string>& ValueOptions() {
  static const std::set<std::string> opts = {
      "--server", "--token", "--config", "--cacert", "--data-dir", "--listen", "--tls-cert", "--tls-key",
      "--root-pub", "--keys-json", "--keys-sig", "--portal-key", "--admin", "--role", "--groups", "--group",
      "--exposed", "--expires-in", "--threads", "--poll-interval", "--answer-lifetime", "--database"};
  return opts;
}

std::vector<std::string> PositionalWords(const std::vector<std::string>& args) {
  std::vector<std::string> words;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("-", 0) == 0) {
      if (ValueOptions().count(a)) ++i;
      continue;
    }
    words.push_back(a);
  }
  return words;
}

}  // namespace

void PrintUsage() {
  std::cerr <<
      R"(usage:
  eportal serve [--config FILE] [--data-dir DIR] [--listen ADDR:PORT] [--tls-cert F --tls-key F]
                [--threads N] [--poll-interval S] [--answer-lifetime S] [--quiet] [--database PG]
  eportal init --data-dir DIR --root-pub root.pub --keys-json keys.json --keys-sig keys.json.sig
               --portal-key portal.key [--admin NAME] [--database PG]
    PG: a PostgreSQL libpq conninfo ("host=/run/postgresql dbname=eportal") or
    postgresql:// URI, given to both init and serve; without it, SQLite in DIR.
  eportal [--server URL] [--token T | env EPORTAL_TOKEN] [--config FILE] [--cacert CA] COMMAND
    user add NAME --role viewer|releaser|admin [--groups a,b]
    token create --group G [--expires-in SECONDS]
    patch import BUNDLE
    patch list [--json]
    release PATCH_ID[:VERSION] --group G
    revert PATCH_ID --group G
    status [--json]
    devices [--group G] [--exposed CVE] [--json]
    audit [--verify] [--json]
  The server URL and token also come from EPORTAL_SERVER / EPORTAL_TOKEN or the
  config file (server = URL, token = T, cacert = FILE).
)";
}

int Main(const std::vector<std::string>& args) {
  std::vector<std::string> words = PositionalWords(args);
  if (words.empty()) {
    for (const std::string& a : args)
      if (a == "--help" || a == "-h") return PrintUsage(), 0;
    PrintUsage();
    return 2;
  }
  if (words[0] == "serve") return RunServe(args);
  if (words[0] == "init") return RunInit(args);
  return RunClient(words, args);
}

}  // namespace lp::eportal::cli
