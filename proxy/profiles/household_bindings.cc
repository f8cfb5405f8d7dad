#include "proxy/profiles/household_bindings.h"

#include <set>

namespace shelter::proxy::profiles {
namespace {

void add(std::vector<BindingField>& out, const std::vector<policy::Cidr>& addresses,
         const std::vector<policy::MacAddress>& macs, const std::string& value) {
  for (const policy::Cidr& prefix : addresses)
    out.push_back({"addr:" + prefix.to_string(), value});
  for (const policy::MacAddress& mac : macs)
    out.push_back({"mac:" + policy::format_mac(mac), value});
}

}  // namespace

std::vector<BindingField> binding_fields(const config::HouseholdConfig& household) {
  std::vector<BindingField> out;
  add(out, household.addresses, household.macs, household.id);
  for (const std::string& cpe : household.cpe_ids)
    out.push_back({"cpe:" + cpe, household.id});
  for (const config::DeviceConfig& device : household.devices)
    add(out, device.addresses, device.macs, household.id + "/" + device.id);
  return out;
}

std::string household_of(const std::string& value) {
  return value.substr(0, value.find('/'));
}

std::vector<std::string> repeated_bindings(const config::HouseholdConfig& household) {
  std::vector<std::string> out;
  std::set<std::string, std::less<>> seen;
  for (const BindingField& b : binding_fields(household)) {
    if (!seen.insert(b.field).second) {
      out.push_back("household '" + household.id + "': " + b.field.substr(b.field.find(':') + 1) +
                    " is bound twice in it");
    }
  }
  return out;
}

}  // namespace shelter::proxy::profiles
