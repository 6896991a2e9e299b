// spec §4.2 / csi §1.1.3: the backup request's view of spec.resourcePolicy. Velero reads only a
// reference of kind configmap (GetResourcePoliciesFromBackup, strings.EqualFold) and ignores others;
// validation leaves the reference to run_backup, which reads the ConfigMap and applies it
// (policies/backup_policies.hpp; tests/integration/backup_csi_test.cpp).
#include "backup/request.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace vbackup;

namespace {

bool mentions_policy(const std::vector<std::string>& errs) {
  return std::any_of(errs.begin(), errs.end(), [](const std::string& e) { return e.starts_with("spec.resourcePolicy"); });
}

}  // namespace

TEST_CASE("csi §1.1.3 validate_backup: a resourcePolicy of any kind is no longer refused (run_backup reads a configmap)") {
  velero::Backup b;
  b.metadata.name = "backup-1";
  storage::Location location;
  CHECK_FALSE(mentions_policy(detail::validate_backup(b, location)));
  velero::TypedLocalObjectReference ref;
  ref.name = "policy";
  ref.kind = "Secret";
  b.spec.resource_policy = ref;
  CHECK_FALSE(mentions_policy(detail::validate_backup(b, location)));
  for (const char* kind : {"configmap", "ConfigMap", "CONFIGMAP"}) {
    b.spec.resource_policy->kind = kind;
    CHECK_FALSE(mentions_policy(detail::validate_backup(b, location)));
  }
}
