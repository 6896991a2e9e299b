// What the API server's registry strategies (PrepareForCreate, Validate, ValidateUpdate) and the
// decode-time defaults do to an object a restore writes, beyond the metadata rules of objects.hpp and
// the Services of services.hpp. `minor` is the Kubernetes minor version the server reports (/version):
// Jobs are generated as v1.26 does up to 26 and as v1.27+ does from 27.
#pragma once

#include "kube_server/status.hpp"
#include "vbackup/json.hpp"

#include <string_view>
#include <vector>

namespace vbackup::kubetest {

// The status a created object starts from (PrepareForCreate clears status; reads default it):
// {"loadBalancer":{}} for Services, {"phase":"Pending"} for PersistentVolumeClaims and
// PersistentVolumes (nothing binds them), {"phase":"Pending","qosClass":...} for Pods,
// {"phase":"Active"} for Namespaces, {} otherwise.
json::object initial_status(std::string_view table, const json::object& object);

// SetDefaults_Job (batch/v1), on every write: completions and parallelism 1 when both are unset,
// backoffLimit 6, completionMode NonIndexed, suspend false, the template's labels as the Job's when
// it has none; podReplacementPolicy from v1.29.
void default_job(json::object& job, int minor);
// Job PrepareForCreate: unless spec.manualSelector is true, the selector and template labels are
// generated from the new uid (generateSelector): `controller-uid` and `job-name` up to v1.26, plus
// `batch.kubernetes.io/controller-uid` and `batch.kubernetes.io/job-name` (the selector's key) from
// v1.27; up to v1.26 the annotation `batch.kubernetes.io/job-tracking: ""`. A restored Job whose
// selector still names its old uid fails validation (validate_job), as on a real server.
void prepare_job_create(json::object& job, int minor);
// Job update: the job-tracking annotation is put back when a v1.26 update removes it.
void prepare_job_update(json::object& job, const json::object& old, int minor);
// ValidateGeneratedSelector: the template labels and the selector must be the generated ones.
std::vector<Cause> validate_job(const json::object& job, int minor);

// ValidateUpdate's immutable fields a restore with existingResourcePolicy=update can touch:
// spec.selector of Jobs, Deployments, ReplicaSets, StatefulSets and DaemonSets; a Job's
// spec.template, completionMode and completions. Values are printed with %#v where that is short
// (selectors, numbers, strings); a pod template is printed as its JSON.
std::vector<Cause> validate_immutable(std::string_view table, const json::object& now, const json::object& old);

}  // namespace vbackup::kubetest
