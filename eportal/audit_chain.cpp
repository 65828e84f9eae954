#include "eportal/audit_chain.hpp"

#include <nlohmann/json.hpp>

#include "eportal/secrets.hpp"

namespace lp::eportal {

std::string CanonicalAuditJson(const AuditEntry& entry) {
  // nlohmann::json objects keep keys sorted, so dump() is canonical.
  nlohmann::json j = {{"seq", entry.seq},       {"time", entry.time},
                      {"actor", entry.actor},   {"action", entry.action},
                      {"detail", entry.detail_json}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void SealAuditEntry(AuditEntry& entry, const std::string& prev_hash) {
  entry.prev_hash = prev_hash;
  entry.hash = Sha256Of(prev_hash + CanonicalAuditJson(entry));
}

namespace {

AuditCheck Broken(std::int64_t entries, std::string problem) {
  return AuditCheck{false, entries, std::move(problem)};
}

}  // namespace

AuditCheck VerifyAuditChain(const std::vector<AuditEntry>& entries, const AuditHead& head) {
  std::string prev = kAuditGenesisHash;
  std::int64_t expected_seq = 1;
  const auto count = static_cast<std::int64_t>(entries.size());
  for (const AuditEntry& e : entries) {
    const std::string at = "entry " + std::to_string(e.seq);
    if (e.seq != expected_seq)
      return Broken(count, "entry " + std::to_string(expected_seq) + " is missing");
    if (e.prev_hash != prev) return Broken(count, at + ": prev_hash does not match the entry before");
    AuditEntry copy = e;
    SealAuditEntry(copy, prev);
    if (copy.hash != e.hash) return Broken(count, at + ": content does not match its hash");
    prev = e.hash;
    ++expected_seq;
  }
  if (expected_seq - 1 != head.seq || prev != head.hash)
    return Broken(count, "log ends at entry " + std::to_string(expected_seq - 1) +
                             " but the recorded head is entry " + std::to_string(head.seq));
  return AuditCheck{true, count, ""};
}

}  // namespace lp::eportal
