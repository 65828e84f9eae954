// The audit log is a hash chain: entry n stores
//   hash_n = sha256(hash_{n-1} || canonical JSON of entry n)
// (hash_0 = 64 zeros), and the store keeps the head (last seq + hash) apart
// from the rows. Editing a row breaks its hash, deleting one breaks the next
// entry's prev_hash or the seq sequence, and cutting the tail no longer
// matches the head. An attacker who can rewrite the whole database can
// recompute everything; export the head elsewhere to guard against that.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eportal/records.hpp"
#include "eportal/store.hpp"

namespace lp::eportal {

inline const std::string kAuditGenesisHash(64, '0');

// {"action":…,"actor":…,"detail":…,"seq":…,"time":…} with sorted keys and no
// whitespace; detail is embedded as a string so its bytes hash as stored.
std::string CanonicalAuditJson(const AuditEntry& entry);

// Fills prev_hash and hash of entry given the previous hash.
void SealAuditEntry(AuditEntry& entry, const std::string& prev_hash);

struct AuditHead {
  std::int64_t seq = 0;
  std::string hash = kAuditGenesisHash;
};

// Checks the chain of entries (in seq order) against the recorded head.
AuditCheck VerifyAuditChain(const std::vector<AuditEntry>& entries, const AuditHead& head);

}  // namespace lp::eportal
