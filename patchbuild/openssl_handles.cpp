#include "patchbuild/openssl_handles.hpp"

namespace lp::patchbuild {

std::string MemBioContents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace lp::patchbuild
