// eportal serve / eportal init.
#include <iostream>

#include "eportal/cli.hpp"
#include "eportal/cli_options.hpp"
#include "eportal/log.hpp"
#include "eportal/portal.hpp"
#include "eportal/server.hpp"

namespace lp::eportal::cli {

int RunServe(const std::vector<std::string>& args) {
  po::options_description desc("eportal serve");
  desc.add_options()
      ("data-dir", po::value<std::string>()->default_value("/var/lib/eportal"), "portal data directory")
      ("database", po::value<std::string>()->default_value(""),
       "PostgreSQL database (libpq conninfo or postgresql:// URI); default: SQLite in the data dir")
      ("listen", po::value<std::string>()->default_value("0.0.0.0:8443"), "ADDR:PORT (port 0: any free port)")
      ("tls-cert", po::value<std::string>(), "TLS certificate chain (PEM)")
      ("tls-key", po::value<std::string>(), "TLS private key (PEM)")
      ("threads", po::value<unsigned>()->default_value(0), "I/O threads (0: one per core)")
      ("poll-interval", po::value<int>()->default_value(300), "seconds between device check-ins")
      ("answer-lifetime", po::value<int>()->default_value(86400), "seconds a signed check-in answer is valid")
      ("quiet", po::bool_switch(), "no per-request log lines");
  auto vm = Parse(args, desc);
  if (!vm) return 2;
  PortalSettings settings;
  settings.poll_interval = Get<int>(*vm, "poll-interval");
  settings.answer_lifetime = Get<int>(*vm, "answer-lifetime");
  settings.stale_after = 3 * settings.poll_interval;
  if (settings.poll_interval <= 0 || settings.answer_lifetime <= 2 * settings.poll_interval) {
    std::cerr << "eportal: need poll-interval > 0 and answer-lifetime > 2 * poll-interval\n";
    return 2;
  }
  auto portal = Portal::Open(Get<std::string>(*vm, "data-dir"), settings, Get<std::string>(*vm, "database"));
  if (!portal) {
    std::cerr << "eportal: " << portal.error().message << "\n";
    return 1;
  }
  ServerOptions options;
  options.listen = Get<std::string>(*vm, "listen");
  options.tls_cert = Get<std::string>(*vm, "tls-cert");
  options.tls_key = Get<std::string>(*vm, "tls-key");
  options.io_threads = Get<unsigned>(*vm, "threads");
  options.log_requests = !Get<bool>(*vm, "quiet");
  if (options.tls_cert.empty() && options.listen.rfind("127.0.0.1:", 0) != 0 && options.listen.rfind("[::1]:", 0) != 0)
    Log("warn", "plain_http", {{"listen", options.listen},
                               {"detail", "no --tls-cert/--tls-key: only safe behind a TLS-terminating proxy"}});
  auto server = Server::Start(**portal, options);
  if (!server) {
    std::cerr << "eportal: " << server.error().message << "\n";
    return 1;
  }
  // Tests and scripts that asked for port 0 read the real one here.
  std::cout << "eportal listening on port " << (*server)->port() << std::endl;
  (*server)->ShutdownOnSignals();
  (*server)->Wait();
  return 0;
}

int RunInit(const std::vector<std::string>& args) {
  po::options_description desc("eportal init");
  desc.add_options()
      ("data-dir", po::value<std::string>()->required(), "new portal data directory")
      ("root-pub", po::value<std::string>()->required(), "offline root public key (PEM)")
      ("keys-json", po::value<std::string>()->required(), "root-signed keys document")
      ("keys-sig", po::value<std::string>()->required(), "its signature")
      ("portal-key", po::value<std::string>()->required(), "the portal's online key (PEM private)")
      ("admin", po::value<std::string>()->default_value("admin"), "name of the first admin")
      ("database", po::value<std::string>()->default_value(""),
       "PostgreSQL database (libpq conninfo or postgresql:// URI); default: SQLite in the data dir");
  auto vm = Parse(args, desc);
  if (!vm) return 2;
  InitOptions o{Get<std::string>(*vm, "data-dir"), Get<std::string>(*vm, "root-pub"),
                Get<std::string>(*vm, "keys-json"), Get<std::string>(*vm, "keys-sig"),
                Get<std::string>(*vm, "portal-key"), Get<std::string>(*vm, "admin")};
  auto token = InitDataDir(o, std::time(nullptr), Get<std::string>(*vm, "database"));
  if (!token) {
    std::cerr << "eportal init: " << token.error().message << "\n";
    return 1;
  }
  std::cerr << "eportal: initialised " << o.data_dir.string() << "; the token of admin '" << o.admin_name
            << "' follows (shown once, keep it safe)\n";
  std::cout << *token << std::endl;
  return 0;
}

}  // namespace lp::eportal::cli
