#include "eportal/metrics.hpp"

#include <sstream>

namespace lp::eportal {

void Metrics::CountRequest(const std::string& route, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{route, status}];
}

void Metrics::CountCheckin(bool not_modified) {
  ++checkins_;
  if (not_modified) ++checkins_not_modified_;
}

std::string Metrics::Render(const Gauges& gauges) const {
  std::ostringstream out;
  out << "# HELP eportal_requests_total HTTP requests by route and status.\n"
      << "# TYPE eportal_requests_total counter\n";
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, count] : requests_)
      out << "eportal_requests_total{route=\"" << key.first << "\",status=\"" << key.second << "\"} "
          << count << "\n";
  }
  out << "# HELP eportal_checkins_total Device check-ins answered.\n"
      << "# TYPE eportal_checkins_total counter\n"
      << "eportal_checkins_total " << checkins_.load() << "\n"
      << "# HELP eportal_checkins_not_modified_total Check-ins answered 304.\n"
      << "# TYPE eportal_checkins_not_modified_total counter\n"
      << "eportal_checkins_not_modified_total " << checkins_not_modified_.load() << "\n"
      << "# HELP eportal_devices Enrolled devices.\n"
      << "# TYPE eportal_devices gauge\n"
      << "eportal_devices " << gauges.devices << "\n"
      << "# HELP eportal_patches Imported patches.\n"
      << "# TYPE eportal_patches gauge\n"
      << "eportal_patches " << gauges.patches << "\n"
      << "# HELP eportal_long_polls_waiting Check-ins parked in a long poll.\n"
      << "# TYPE eportal_long_polls_waiting gauge\n"
      << "eportal_long_polls_waiting " << gauges.long_polls << "\n";
  return out.str();
}

}  // namespace lp::eportal
