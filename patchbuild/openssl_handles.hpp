// RAII owners for the OpenSSL objects patchbuild uses beyond lp_common's
// EvpPkeyPtr (module signing keys, X.509 certificates, CMS structures).
#pragma once

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/x509.h>

#include <string>

#include "common/crypto.hpp"
#include "common/raii.hpp"

namespace lp::patchbuild {

using BioPtr = CPtr<BIO, &BIO_free_all>;
using X509Ptr = CPtr<X509, &X509_free>;
using CmsPtr = CPtr<CMS_ContentInfo, &CMS_ContentInfo_free>;
using X509ExtPtr = CPtr<X509_EXTENSION, &X509_EXTENSION_free>;

// The bytes written so far to a memory BIO.
std::string MemBioContents(BIO* bio);

}  // namespace lp::patchbuild
