// eportal: the on-premises patch portal. All logic is in eportal_lib.
#include <curl/curl.h>

#include <string>
#include <vector>

#include "eportal/cli.hpp"

int main(int argc, char** argv) {
  // libcurl's global state must be set up before any thread starts.
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::vector<std::string> args(argv + 1, argv + argc);
  int rc = lp::eportal::cli::Main(args);
  curl_global_cleanup();
  return rc;
}
