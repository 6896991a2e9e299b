// `velero install` for vbackup (Velero's pkg/install and pkg/cmd/cli/install): the resources a server
// needs, built as Velero builds them, and applying them to a cluster in Velero's order.
//
//   vbackup::InstallOptions o;
//   o.provider = "aws"; o.bucket = "backups"; o.secret_data = read("credentials");
//   vbackup::validate_install_options(o);
//   auto resources = vbackup::install_resources(o);   // what `--dry-run -o yaml` prints
//   vbackup::kube::KubeClient client(vbackup::kube::load_rest_config());
//   vbackup::InstallResult r = vbackup::install(client, resources, {});
//
// The CRDs are Velero's own (deploy/crds, embedded at build time). Names are Velero's too (namespace
// `velero`, ServiceAccount and Deployment `velero`, Secret `cloud-credentials`, BSL `default`), so
// the velero CLI and Velero's documentation find them.
#pragma once

#include "vbackup/json.hpp"
#include "vbackup/kube.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup {

// velero install's flags that apply to vbackup (pkg/cmd/cli/install/install.go Options). Left out:
// node-agent (--use-node-agent, …), plugins (--plugins: vbackup has its providers built in), the
// repository and data-mover settings (--uploader-type, --default-repo-maintain-frequency, maintenance
// jobs, --default-volumes-to-fs-backup, --default-snapshot-move-data). --apply is InstallApplyOptions::apply.
struct InstallOptions {
  std::string namespace_ = "velero";  // the global -n/--namespace
  std::string image;                  // --image; "" = default_install_image()
  std::string provider, bucket, prefix;                 // --provider --bucket --prefix
  std::map<std::string, std::string> backup_location_config;    // --backup-location-config k=v
  std::map<std::string, std::string> snapshot_location_config;  // --snapshot-location-config k=v
  // --secret-file's content (the Secret `cloud-credentials`, key `cloud`); nullopt = --no-secret.
  std::optional<std::string> secret_data;
  std::string ca_cert;                 // --cacert's content: the BSL's objectStorage.caCert
  bool no_default_backup_location = false;  // --no-default-backup-location
  bool use_volume_snapshots = true;    // --use-volume-snapshots (velero's default: true, a VSL `default`)
  std::map<std::string, std::string> pod_annotations, pod_labels;  // --pod-annotations --pod-labels
  std::map<std::string, std::string> service_account_annotations;  // --sa-annotations
  std::string service_account_name;    // --service-account-name: use it, create no SA nor binding
  // --velero-pod-cpu-request … ("0" = unbounded, left out), Velero's defaults.
  std::string cpu_request = "500m", mem_request = "128Mi", cpu_limit = "1000m", mem_limit = "512Mi";
  bool restore_only = false;                 // --restore-only
  std::vector<std::string> features;         // --features a,b
  std::optional<std::chrono::nanoseconds> garbage_collection_frequency;  // --garbage-collection-frequency
  bool schedule_skip_immediately = false;    // --schedule-skip-immediately
  bool disable_informer_cache = false;       // --disable-informer-cache
  int concurrent_backups = 0;                // --concurrent-backups (0 = the server's default)
  std::string priority_class_name;           // --server-priority-class-name
  bool crds_only = false;                    // --crds-only
};

// The image the Deployment runs when InstallOptions::image is empty: "vbackup:<version>"
// (velero's default is velero/velero:<version>; vbackup publishes no image of its own).
std::string default_install_image();

// velero install's Options.Validate, with its messages: --provider and --bucket unless
// --no-default-backup-location (and then no --bucket/--prefix/--backup-location-config), a bucket
// not starting with '-', --provider when --use-volume-snapshots, no --snapshot-location-config
// without it, no --provider with --no-default-backup-location and --use-volume-snapshots=false,
// durations not negative. Error(invalid) naming the flag. Nothing to check with crds_only. Velero's
// "One of --secret-file or --no-secret is required" is the CLI's: here nullopt secret_data is --no-secret.
void validate_install_options(const InstallOptions& options);

// Velero's CRDs (deploy/crds: the velero.io/v1 ones, then v2alpha1 DataUpload and DataDownload, in
// the order velero install applies them), labelled component=velero as install.AllCRDs does.
std::vector<json::object> install_crds();

// install.AllResources: the CRDs, then the Namespace (pod-security labels `privileged`), the
// ClusterRoleBinding `velero` (`velero-<ns>` outside namespace velero) to cluster-admin and the
// ServiceAccount `velero` (unless service_account_name), the Secret `cloud-credentials` (when
// secret_data), the BackupStorageLocation `default` (unless no_default_backup_location), the
// VolumeSnapshotLocation `default` (when use_volume_snapshots), and the Deployment `velero` running
// `vbackup server` from `image`. Every object labelled component=velero; no status. With crds_only,
// install_crds(). Calls validate_install_options first.
std::vector<json::object> install_resources(const InstallOptions& options);

// What install() did to one object: velero's "<Kind>/<name>: created", "already exists, proceeding"
// or, with --apply, "applied".
struct InstalledObject {
  enum class Action { created, already_exists, applied };
  std::string kind, namespace_, name;
  Action action = Action::created;

  json::object to_json() const;  // {"kind", "namespace"?, "name", "action": "created"|"already exists"|"applied"}
};

struct InstallResult {
  std::vector<InstalledObject> objects;  // in the order applied
  bool deployment_ready = false;         // set by wait_for_deployment

  json::object to_json() const;  // {"objects": [...], "deploymentReady": bool}
};

struct InstallApplyOptions {
  // velero install --apply: server-side apply (field manager "velero-cli", force) instead of create,
  // so that existing objects (CRDs of an older version, the Deployment) are updated.
  bool apply = false;
  // How long to wait for the CRDs' Established condition (velero: one minute).
  std::chrono::milliseconds crd_timeout = std::chrono::seconds(60);
  // --wait: poll the Deployment until its Available condition has been True for 10 s in 5 polls a
  // second apart, as install.DeploymentIsReady does (velero: at most three minutes). A test API
  // server runs no controller: nothing becomes Available there unless a test writes the status.
  bool wait_for_deployment = false;
  std::chrono::milliseconds deployment_timeout = std::chrono::minutes(3);
  // velero's progress lines ("CustomResourceDefinition/backups.velero.io: created", "Waiting for
  // resources to be ready in cluster..."); may be empty.
  std::function<void(std::string_view line)> log;
};

// install.Install: the CRDs first, each created (AlreadyExists is fine: "already exists,
// proceeding") or, with apply, applied, then all of them waited for until Established, then the other resources in their
// order; the first other error stops it (Error naming `<Kind>/<name>`). Then, with
// wait_for_deployment, the Deployment `velero` of the namespace.
InstallResult install(kube::KubeClient& client, const std::vector<json::object>& resources,
                      const InstallApplyOptions& options = {});

// The wait of --wait alone (install.DeploymentIsReady): true when ready, Error(kube) naming the
// Deployment after `timeout`.
bool wait_for_deployment(kube::KubeClient& client, std::string_view namespace_,
                         std::chrono::milliseconds timeout = std::chrono::minutes(3));

// install_resources as one document: {"apiVersion": "v1", "kind": "List", "items": [...]}, the form
// `velero install --dry-run -o yaml|json` prints and `kubectl apply -f -` takes.
json::object install_list(const std::vector<json::object>& resources);

}  // namespace vbackup
