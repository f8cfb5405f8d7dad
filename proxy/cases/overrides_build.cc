#include <memory>

#include "proxy/cases/case_store.h"

namespace shelter::proxy::cases {

std::shared_ptr<const policy::Overrides> build_overrides(const std::vector<Grant>& grants,
                                                         const std::vector<OperatorAllow>& allows,
                                                         std::int64_t now) {
  auto overrides = std::make_shared<policy::Overrides>();
  for (const OperatorAllow& allow : allows)
    overrides->operator_allow.add_domain(allow.site);
  for (const Grant& grant : grants) {
    if (grant.until <= now) continue;
    std::string key = grant.device.empty() ? grant.household : grant.household + "/" + grant.device;
    overrides->grants[std::move(key)].add(grant.site, grant.until);
  }
  return overrides;
}

}  // namespace shelter::proxy::cases
