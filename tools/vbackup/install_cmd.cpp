// vbackup install: velero install (pkg/cmd/cli/install) over the library's install_resources and
// install. The flags are velero's where they apply to vbackup; left out (no node agent, plugins,
// repository maintenance or data mover in vbackup): --use-node-agent, --use-node-agent-windows,
// --privileged-node-agent, --node-agent-*, --kubelet-root-dir, --plugins, --uploader-type,
// --default-volumes-to-fs-backup, --default-snapshot-move-data, --csi-snapshot-early-frequent-polling,
// --default-repo-maintain-frequency, --keep-latest-maintenance-jobs, --maintenance-job-*,
// --backup-repository-configmap, --repo-maintenance-job-configmap,
// --default-resource-modifier-configmap, --pod-volume-operation-timeout and --item-block-worker-count.
#include "commands.hpp"
#include "output.hpp"

#include "vbackup/error.hpp"
#include "vbackup/install.hpp"
#include "vbackup/kube.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <sstream>

namespace vbackup::cli {
namespace {

struct InstallFlags {
  std::string provider, bucket, prefix, secret_file, image, cacert, output, features, gc_frequency;
  std::string service_account_name, priority_class_name;
  std::string cpu_request = "500m", mem_request = "128Mi", cpu_limit = "1000m", mem_limit = "512Mi";
  std::vector<std::string> bsl_config, vsl_config, pod_annotations, pod_labels, sa_annotations;
  bool no_secret = false, no_default_backup_location = false, use_volume_snapshots = true, restore_only = false;
  bool dry_run = false, wait = false, apply = false, crds_only = false, schedule_skip_immediately = false, disable_informer_cache = false;
  int concurrent_backups = 0;
};

InstallOptions options_from(const Common& c, const InstallFlags& f) {
  InstallOptions o;
  o.namespace_ = c.velero_namespace;
  o.crds_only = f.crds_only;
  if (f.crds_only) return o;  // velero: nothing else is validated or read
  // velero's Validate: exactly one of --secret-file and --no-secret.
  if (f.secret_file.empty() && !f.no_secret) throw invalid_input("One of --secret-file or --no-secret is required");
  if (!f.secret_file.empty() && f.no_secret) throw invalid_input("Cannot use both --secret-file and --no-secret");
  if (!f.secret_file.empty()) o.secret_data = read_flag_file("--secret-file", f.secret_file);
  if (!f.cacert.empty()) o.ca_cert = read_flag_file("--cacert", f.cacert);
  o.image = f.image;
  o.provider = f.provider;
  o.bucket = f.bucket;
  o.prefix = f.prefix;
  o.backup_location_config = parse_map("--backup-location-config", f.bsl_config);
  o.snapshot_location_config = parse_map("--snapshot-location-config", f.vsl_config);
  o.pod_annotations = parse_map("--pod-annotations", f.pod_annotations);
  o.pod_labels = parse_map("--pod-labels", f.pod_labels);
  o.service_account_annotations = parse_map("--sa-annotations", f.sa_annotations);
  o.service_account_name = f.service_account_name;
  o.no_default_backup_location = f.no_default_backup_location;
  o.use_volume_snapshots = f.use_volume_snapshots;
  o.cpu_request = f.cpu_request;
  o.mem_request = f.mem_request;
  o.cpu_limit = f.cpu_limit;
  o.mem_limit = f.mem_limit;
  o.restore_only = f.restore_only;
  // velero: strings.Split(o.Features, ","), empty entries dropped here.
  std::stringstream features(f.features);
  for (std::string x; std::getline(features, x, ',');) {
    if (!x.empty()) o.features.push_back(x);
  }
  if (!f.gc_frequency.empty()) o.garbage_collection_frequency = parse_duration_flag("--garbage-collection-frequency", f.gc_frequency);
  o.schedule_skip_immediately = f.schedule_skip_immediately;
  o.disable_informer_cache = f.disable_informer_cache;
  o.concurrent_backups = f.concurrent_backups;
  o.priority_class_name = f.priority_class_name;
  return o;
}

int run_install(const Common& c, const InstallFlags& f) {
  if (!f.output.empty()) check_output(f.output, false);
  InstallOptions o = options_from(c, f);
  auto resources = install_resources(o);
  // velero: -o prints the List whether or not --dry-run; --dry-run then stops.
  if (!f.output.empty()) print_object(std::cout, install_list(resources), f.output);
  if (f.dry_run) return 0;

  kube::KubeClient client(kube::load_rest_config(c.connect()));
  InstallApplyOptions ao;
  ao.wait_for_deployment = f.wait && !f.crds_only;
  ao.apply = f.apply;
  ao.log = [](std::string_view line) { std::cout << line << "\n" << std::flush; };
  const std::string help = "\n\nError installing vbackup. Use `kubectl logs deploy/velero -n " + o.namespace_ +
                           "` to check the deploy logs";
  try {
    install(client, resources, ao);
  } catch (const Error& e) {
    throw Error(e.code(), e.what() + help).with_http(e.http_status(), e.http_reason());
  }
  if (f.crds_only) return 0;
  if (f.secret_file.empty()) std::cout << "\nNo secret file was specified, no Secret created.\n\n";
  if (f.no_default_backup_location) {
    std::cout << "\nNo bucket and provider were specified, no default backup storage location created.\n\n";
  }
  std::cout << "vbackup is installed! Use 'kubectl logs deployment/velero -n " << o.namespace_
            << "' to view the status.\n";
  return 0;
}

}  // namespace

void add_install_command(CLI::App& app, const Common& common, int& rc) {
  auto f = std::make_shared<InstallFlags>();
  auto* cmd = app.add_subcommand(
      "install",
      "Install the velero.io CRDs, the namespace, a ServiceAccount bound to cluster-admin, the credentials Secret, "
      "the default BackupStorageLocation and a Deployment running `vbackup server`, as velero install does");
  cmd->fallthrough();
  cmd->footer(
      "Use '--dry-run -o yaml' (or json) to print everything as one List instead of creating it (kubectl apply -f - "
      "takes it); '--crds-only' for the CustomResourceDefinitions alone. The namespace is the global -n/--namespace "
      "(velero). Objects that exist are left as they are, or updated with --apply. Velero's node-agent, plugin, repository-maintenance and "
      "data-mover flags do not apply to vbackup.");
  cmd->add_option("--provider", f->provider, "Provider name for backup and volume storage");
  cmd->add_option("--bucket", f->bucket, "Name of the object storage bucket where backups should be stored");
  cmd->add_option("--prefix", f->prefix, "Prefix under which all Velero data should be stored within the bucket. Optional.");
  cmd->add_option("--backup-location-config,--config", f->bsl_config,
                  "Configuration to use for the backup storage location. Format is key1=value1,key2=value2")
      ->delimiter(',');
  cmd->add_option("--snapshot-location-config", f->vsl_config,
                  "Configuration to use for the volume snapshot location. Format is key1=value1,key2=value2")
      ->delimiter(',');
  cmd->add_option("--secret-file", f->secret_file,
                  "File containing credentials for backup and volume provider (the Secret cloud-credentials). If not "
                  "specified, --no-secret must be used for confirmation. Optional.");
  cmd->add_flag("--no-secret", f->no_secret,
                "Flag indicating if a secret should be created. Must be used as confirmation if --secret-file is not provided. Optional.");
  cmd->add_flag("--no-default-backup-location", f->no_default_backup_location,
                "Flag indicating if a default backup location should be created. Must be used as confirmation if --bucket or --provider are not provided. Optional.");
  cmd->add_option("--image", f->image, "Image to use for the vbackup server pod (default " + default_install_image() + "). Optional.");
  cmd->add_option("--cacert", f->cacert,
                  "File containing a certificate bundle to use when verifying TLS connections to the object store. Optional.");
  cmd->add_flag("--use-volume-snapshots", f->use_volume_snapshots,
                "Whether or not to create snapshot location automatically. Set to false if you do not plan to create "
                "volume snapshots via a storage provider.")
      ->default_str("true");
  cmd->add_option("--pod-annotations", f->pod_annotations, "Annotations to add to the vbackup server pod. Optional. Format is key1=value1,key2=value2")
      ->delimiter(',');
  cmd->add_option("--pod-labels", f->pod_labels, "Labels to add to the vbackup server pod. Optional. Format is key1=value1,key2=value2")
      ->delimiter(',');
  cmd->add_option("--sa-annotations", f->sa_annotations, "Annotations to add to the velero ServiceAccount. Optional. Format is key1=value1,key2=value2")
      ->delimiter(',');
  cmd->add_option("--service-account-name", f->service_account_name,
                  "ServiceAccountName to be set to the server pod; it should be created before the installation, with its "
                  "rolebinding. Optional: if set, the ServiceAccount velero is not created and --sa-annotations is disregarded.");
  cmd->add_option("--velero-pod-cpu-request", f->cpu_request, "CPU request for the server pod. A value of \"0\" is treated as unbounded. Optional.")
      ->capture_default_str();
  cmd->add_option("--velero-pod-mem-request", f->mem_request, "Memory request for the server pod. A value of \"0\" is treated as unbounded. Optional.")
      ->capture_default_str();
  cmd->add_option("--velero-pod-cpu-limit", f->cpu_limit, "CPU limit for the server pod. A value of \"0\" is treated as unbounded. Optional.")
      ->capture_default_str();
  cmd->add_option("--velero-pod-mem-limit", f->mem_limit, "Memory limit for the server pod. A value of \"0\" is treated as unbounded. Optional.")
      ->capture_default_str();
  cmd->add_flag("--restore-only", f->restore_only, "Run the server in restore-only mode. Optional.");
  cmd->add_option("--features", f->features, "Comma separated list of feature flags to be set on the server deployment");
  cmd->add_option("--garbage-collection-frequency", f->gc_frequency, "How often the garbage collection runs for expired backups.(default 1h)");
  cmd->add_flag("--schedule-skip-immediately", f->schedule_skip_immediately,
                "Skip the first scheduled backup immediately after creating a schedule. Default is false (don't skip).");
  cmd->add_flag("--disable-informer-cache", f->disable_informer_cache, "Disable informer cache for Get calls on restore. Optional.");
  cmd->add_option("--concurrent-backups", f->concurrent_backups, "Number of backups to process concurrently. Default is one. Optional.");
  cmd->add_option("--server-priority-class-name", f->priority_class_name, "Priority class name for the server deployment. Optional.");
  cmd->add_flag("--crds-only", f->crds_only,
                "Only generate CustomResourceDefinition resources. Useful for updating CRDs for an existing install.");
  cmd->add_flag("--dry-run", f->dry_run, "Generate resources, but don't send them to the cluster. Use with -o. Optional.");
  cmd->add_option("-o,--output", f->output, "Output display format: json or yaml (a List of every resource)");
  cmd->add_flag("--apply", f->apply,
                "Flag indicating if resources should be applied instead of created (server-side apply, field manager "
                "velero-cli). This can be used for updating existing resources.");
  cmd->add_flag("--wait", f->wait,
                "Wait for the Deployment to be ready (Available for 10s; at most 3 minutes). Optional.");
  cmd->callback([&common, &rc, f] { rc = run_install(common, *f); });
}

}  // namespace vbackup::cli
