// libFuzzer target for the resource-policy parser on the backup side (csi §1.1.3, brief
// "i14-policies"). Invariants checked beyond "no crash":
//   * what parse() accepts for a backup is also accepted by decoding alone, with the same volume
//     policies, and every accepted volume policy passes volume_policy_error;
//   * matching sample volumes (a CSI PV with its PVC, an NFS PV, a pod emptyDir, a PVC alone) never
//     throws and returns an action of the policy list;
//   * only vbackup::Error escapes: anything else reaches libFuzzer as a crash.
#include "policies/resource_policies.hpp"
#include "vbackup/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace vbackup;
using namespace vbackup::policies;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

json::object sample(std::string_view text) { return json::parse(text, "sample").as_object(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ResourcePolicies policy;
  try {
    policy = ResourcePolicies::parse(text, "fuzz", PolicyUse::backup);
  } catch (const Error&) {
    return 0;
  }
  check(policy.version == "v1");
  ResourcePolicies decoded;
  try {
    decoded = ResourcePolicies::parse(text, "fuzz", PolicyUse::decode);
  } catch (const Error&) {
    check(false);
  }
  check(decoded.volume_policies.size() == policy.volume_policies.size());
  for (const auto& v : policy.volume_policies) check(!volume_policy_error(v));

  static const json::object pv = sample(
      R"({"spec":{"capacity":{"storage":"10Gi"},"storageClassName":"gp3","csi":{"driver":"ebs.csi.aws.com",)"
      R"("volumeAttributes":{"type":"gp3"}}}})");
  static const json::object nfs = sample(R"({"spec":{"capacity":{"storage":"1Ti"},"nfs":{"server":"s","path":"/p"}}})");
  static const json::object pvc = sample(
      R"({"metadata":{"labels":{"app":"db"}},"spec":{"accessModes":["ReadWriteOnce"],"volumeMode":"Filesystem"},)"
      R"("status":{"phase":"Bound"}})");
  static const json::object empty_dir = sample(R"({"name":"cache","emptyDir":{}})");
  for (const VolumeFilterData& d : {VolumeFilterData{&pv, nullptr, &pvc}, VolumeFilterData{&nfs, nullptr, nullptr},
                                    VolumeFilterData{nullptr, &empty_dir, nullptr}, VolumeFilterData{nullptr, nullptr, &pvc}}) {
    const VolumeAction* a = nullptr;
    try {
      a = policy.match_volume(d);
    } catch (const Error&) {
      check(false);
    }
    if (a) {
      bool found = false;
      for (const auto& v : policy.volume_policies) found = found || &v.action == a;
      check(found);
      if (a->type == volume_action::snapshot) {
        try {
          (void)a->data_mover();
          (void)a->snapshot_class();
        } catch (const Error&) {
          check(false);  // Validate already checked both parameters
        }
      }
    }
  }
  return 0;
}
