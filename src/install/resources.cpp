// The resources of `vbackup install`, built as Velero's pkg/install/resources.go and deployment.go
// build them (facts copied: names, labels, the order, the pod template), for a Deployment that runs
// `vbackup server`.
#include "core/quantity.hpp"
#include "install_internal.hpp"

#include "core/encoding.hpp"

#include "vbackup/error.hpp"
#include "vbackup/install.hpp"
#include "vbackup/manifests.hpp"
#include "vbackup/time.hpp"
#include "vbackup/version.hpp"

#include <boost/json.hpp>

#include <cctype>

namespace vbackup {
namespace {

using StringMap = std::map<std::string, std::string>;

// install.Labels(): every object Velero installs carries component=velero.
json::object labels() { return json::object{{"component", "velero"}}; }

json::object string_map(const StringMap& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

// install.objectMeta: name, namespace (omitted when cluster-scoped), labels.
json::object object_meta(std::string_view ns, std::string_view name) {
  json::object m{{"name", name}};
  if (!ns.empty()) m["namespace"] = ns;
  m["labels"] = labels();
  return m;
}

json::object typed(std::string_view api_version, std::string_view kind, json::object metadata) {
  return json::object{{"apiVersion", api_version}, {"kind", kind}, {"metadata", std::move(metadata)}};
}

// resources.go Namespace(): pod-security "privileged" at "latest" for enforce, audit and warn.
json::object namespace_object(const std::string& ns) {
  json::object meta = object_meta("", ns);
  json::object& l = meta["labels"].as_object();
  for (const char* mode : {"enforce", "audit", "warn"}) {
    l[std::string("pod-security.kubernetes.io/") + mode] = "privileged";
    l[std::string("pod-security.kubernetes.io/") + mode + "-version"] = "latest";
  }
  return typed("v1", "Namespace", std::move(meta));
}

// resources.go ClusterRoleBinding(): `velero` in namespace velero, `velero-<ns>` elsewhere.
json::object cluster_role_binding(const std::string& ns) {
  json::object o = typed("rbac.authorization.k8s.io/v1", "ClusterRoleBinding",
                         object_meta("", ns == "velero" ? "velero" : "velero-" + ns));
  o["subjects"] = json::array{json::object{{"kind", "ServiceAccount"}, {"namespace", ns}, {"name", "velero"}}};
  o["roleRef"] = json::object{{"kind", "ClusterRole"}, {"name", "cluster-admin"}, {"apiGroup", "rbac.authorization.k8s.io"}};
  return o;
}

json::object service_account(const InstallOptions& o) {
  json::object meta = object_meta(o.namespace_, "velero");
  if (!o.service_account_annotations.empty()) meta["annotations"] = string_map(o.service_account_annotations);
  return typed("v1", "ServiceAccount", std::move(meta));
}

// resources.go Secret(): `cloud-credentials`, key `cloud`, type Opaque (data is base64 in JSON).
json::object secret(const InstallOptions& o) {
  json::object s = typed("v1", "Secret", object_meta(o.namespace_, "cloud-credentials"));
  s["data"] = json::object{{"cloud", base64_encode(*o.secret_data)}};
  s["type"] = "Opaque";
  return s;
}

json::object backup_storage_location(const InstallOptions& o) {
  json::object b = typed("velero.io/v1", "BackupStorageLocation", object_meta(o.namespace_, "default"));
  json::object storage{{"bucket", o.bucket}};
  if (!o.prefix.empty()) storage["prefix"] = o.prefix;
  if (!o.ca_cert.empty()) storage["caCert"] = base64_encode(o.ca_cert);  // []byte: base64 in JSON
  json::object spec{{"provider", o.provider}, {"objectStorage", std::move(storage)}};
  if (!o.backup_location_config.empty()) spec["config"] = string_map(o.backup_location_config);
  spec["default"] = true;
  b["spec"] = std::move(spec);
  return b;
}

json::object volume_snapshot_location(const InstallOptions& o) {
  json::object v = typed("velero.io/v1", "VolumeSnapshotLocation", object_meta(o.namespace_, "default"));
  json::object spec{{"provider", o.provider}};
  if (!o.snapshot_location_config.empty()) spec["config"] = string_map(o.snapshot_location_config);
  v["spec"] = std::move(spec);
  return v;
}

// resource.ParseQuantity (core/quantity.hpp) with the words of velero install's errors.
long double parse_quantity(const std::string& flag_what, const std::string& text) {
  return vbackup::parse_quantity(text, "couldn't parse " + flag_what + " \"" + text + "\": ");
}

// kubeutil.ParseCPUAndMemoryResources: each quantity must parse, a request may not exceed its limit
// (unless the limit is 0, unbounded), and "0" is left out.
void check_resources(const InstallOptions& o) {
  const long double cpu_request = parse_quantity("CPU request", o.cpu_request);
  const long double mem_request = parse_quantity("memory request", o.mem_request);
  const long double cpu_limit = parse_quantity("CPU limit", o.cpu_limit);
  const long double mem_limit = parse_quantity("memory limit", o.mem_limit);
  if (cpu_limit != 0 && cpu_request > cpu_limit) {
    throw invalid_input("CPU request \"" + o.cpu_request + "\" must be less than or equal to CPU limit \"" + o.cpu_limit + "\"");
  }
  if (mem_limit != 0 && mem_request > mem_limit) {
    throw invalid_input("Memory request \"" + o.mem_request + "\" must be less than or equal to Memory limit \"" +
                        o.mem_limit + "\"");
  }
}

// kubeutil.ParseCPUAndMemoryResources: "0" means unbounded, left out.
json::object resources(const InstallOptions& o) {
  auto pair = [](const std::string& cpu, const std::string& mem) {
    json::object r;
    if (!cpu.empty() && cpu != "0") r["cpu"] = cpu;
    if (!mem.empty() && mem != "0") r["memory"] = mem;
    return r;
  };
  json::object r;
  if (auto l = pair(o.cpu_limit, o.mem_limit); !l.empty()) r["limits"] = std::move(l);
  if (auto q = pair(o.cpu_request, o.mem_request); !q.empty()) r["requests"] = std::move(q);
  return r;
}

json::object env(std::string_view name, std::string_view value) { return json::object{{"name", name}, {"value", value}}; }

// deployment.go Deployment(): args "server" and the flags set, the pull policy from the tag, the
// pod template (labels deploy=velero, Prometheus annotations, linux only, a restricted security
// context), and the credentials Secret mounted at /credentials/cloud with the providers' variables.
json::object deployment(const InstallOptions& o, const std::string& service_account_name) {
  const std::string image = o.image.empty() ? default_install_image() : o.image;
  // deployment.go: Always unless the image has a tag other than "latest".
  std::string pull_policy = "Always";
  if (auto colon = image.rfind(':'); colon != std::string::npos && image.find(':') == colon &&
                                     image.substr(colon + 1) != "latest") {
    pull_policy = "IfNotPresent";
  }
  json::array args{"server"};
  if (!o.features.empty()) {
    std::string f;
    for (const auto& x : o.features) f += (f.empty() ? "" : ",") + x;
    args.emplace_back("--features=" + f);
  }
  if (o.disable_informer_cache) args.emplace_back("--disable-informer-cache=true");
  if (o.schedule_skip_immediately) args.emplace_back("--schedule-skip-immediately=true");
  if (o.restore_only) args.emplace_back("--restore-only");
  if (o.garbage_collection_frequency && o.garbage_collection_frequency->count() > 0) {
    args.emplace_back("--garbage-collection-frequency=" + format_duration(*o.garbage_collection_frequency));
  }
  if (o.concurrent_backups > 0) args.emplace_back("--concurrent-backups=" + std::to_string(o.concurrent_backups));

  json::array volume_mounts{json::object{{"name", "plugins"}, {"mountPath", "/plugins"}},
                            json::object{{"name", "scratch"}, {"mountPath", "/scratch"}}};
  json::array envs{env("VELERO_SCRATCH_DIR", "/scratch"),
                   json::object{{"name", "VELERO_NAMESPACE"},
                                {"valueFrom", json::object{{"fieldRef", json::object{{"fieldPath", "metadata.namespace"}}}}}},
                   env("LD_LIBRARY_PATH", "/plugins")};
  json::array volumes{json::object{{"name", "plugins"}, {"emptyDir", json::object{}}},
                      json::object{{"name", "scratch"}, {"emptyDir", json::object{}}}};
  if (o.secret_data) {
    volumes.push_back(json::object{{"name", "cloud-credentials"},
                                   {"secret", json::object{{"defaultMode", 0444}, {"secretName", "cloud-credentials"}}}});
    volume_mounts.push_back(json::object{{"name", "cloud-credentials"}, {"mountPath", "/credentials"}});
    for (const char* name : {"GOOGLE_APPLICATION_CREDENTIALS", "AWS_SHARED_CREDENTIALS_FILE", "AZURE_CREDENTIALS_FILE",
                             "ALIBABA_CLOUD_CREDENTIALS_FILE"}) {
      envs.push_back(env(name, "/credentials/cloud"));
    }
  }
  json::object container{
      {"name", "velero"},
      {"image", image},
      {"ports", json::array{json::object{{"name", "metrics"}, {"containerPort", 8085}}}},
      {"imagePullPolicy", pull_policy},
      {"command", json::array{"vbackup"}},  // velero: /velero; the vbackup image has it on PATH
      {"args", std::move(args)},
      {"volumeMounts", std::move(volume_mounts)},
      {"env", std::move(envs)},
      {"resources", resources(o)},
      {"securityContext", json::object{{"capabilities", json::object{{"drop", json::array{"ALL"}}}},
                                       {"allowPrivilegeEscalation", false},
                                       {"seccompProfile", json::object{{"type", "RuntimeDefault"}}}}}};

  // podLabels / podAnnotations: the defaults, then the user's (CLI precedence).
  json::object pod_labels = labels();
  for (const auto& [k, v] : o.pod_labels) pod_labels[k] = v;
  pod_labels["deploy"] = "velero";
  json::object annotations{{"prometheus.io/scrape", "true"}, {"prometheus.io/port", "8085"}, {"prometheus.io/path", "/metrics"}};
  for (const auto& [k, v] : o.pod_annotations) annotations[k] = v;

  json::object pod_spec{
      {"restartPolicy", "Always"},
      {"serviceAccountName", service_account_name},
      {"os", json::object{{"name", "linux"}}},
      {"affinity",
       json::object{{"nodeAffinity",
                     json::object{{"requiredDuringSchedulingIgnoredDuringExecution",
                                   json::object{{"nodeSelectorTerms",
                                                 json::array{json::object{{"matchExpressions",
                                                                           json::array{json::object{
                                                                               {"key", "kubernetes.io/os"},
                                                                               {"operator", "NotIn"},
                                                                               {"values", json::array{"windows"}}}}}}}}}}}}}},
      {"containers", json::array{std::move(container)}},
      {"volumes", std::move(volumes)}};
  if (!o.priority_class_name.empty()) pod_spec["priorityClassName"] = o.priority_class_name;

  json::object d = typed("apps/v1", "Deployment", object_meta(o.namespace_, "velero"));
  d["spec"] = json::object{
      {"selector", json::object{{"matchLabels", json::object{{"deploy", "velero"}}}}},
      {"template", json::object{{"metadata", json::object{{"labels", std::move(pod_labels)}, {"annotations", std::move(annotations)}}},
                                {"spec", std::move(pod_spec)}}}};
  return d;
}

}  // namespace

std::string default_install_image() { return std::string("vbackup:") + version(); }

void validate_install_options(const InstallOptions& o) {
  if (o.crds_only) return;  // velero: "If we're only installing CRDs, we can skip the rest of the validation."
  if (o.namespace_.empty()) throw invalid_input("--namespace: must not be empty");
  // velero's messages (pkg/cmd/cli/install/install.go Validate), in its order.
  if (o.bucket.starts_with("-")) {
    throw invalid_input("Bucket names cannot begin with a dash. Bucket name was: " + o.bucket);
  }
  if (o.no_default_backup_location) {
    if (!o.bucket.empty()) throw invalid_input("Cannot use both --bucket and --no-default-backup-location at the same time");
    if (!o.prefix.empty()) throw invalid_input("Cannot use both --prefix and --no-default-backup-location at the same time");
    if (!o.backup_location_config.empty()) {
      throw invalid_input("Cannot use both --backup-location-config and --no-default-backup-location at the same time");
    }
  } else {
    if (o.provider.empty()) throw invalid_input("--provider is required");
    if (o.bucket.empty()) throw invalid_input("--bucket is required");
  }
  if (o.use_volume_snapshots) {
    if (o.provider.empty()) throw invalid_input("--provider is required when --use-volume-snapshots is set to true");
  } else if (!o.snapshot_location_config.empty()) {
    throw invalid_input("--snapshot-location-config must be empty when --use-volume-snapshots=false");
  }
  if (o.no_default_backup_location && !o.use_volume_snapshots && !o.provider.empty()) {
    throw invalid_input("--provider must be empty when using --no-default-backup-location and --use-volume-snapshots=false");
  }
  if (o.garbage_collection_frequency && o.garbage_collection_frequency->count() < 0) {
    throw invalid_input("--garbage-collection-frequency must be non-negative");
  }
  if (o.concurrent_backups < 0) throw invalid_input("--concurrent-backups must be non-negative");
  check_resources(o);  // velero: in AsVeleroOptions, after Validate
}

std::vector<json::object> install_crds() {
  std::vector<json::object> out;
  for (const auto& crd : install_detail::embedded_crds()) {
    std::vector<json::object> objects;
    manifests::read_manifests(
        crd.yaml, crd.file, [&](manifests::ManifestObject&& m) { objects.push_back(std::move(m.object)); },
        [](const std::string&) {});
    if (objects.size() != 1) {
      throw Error(ErrorCode::generic, std::string("embedded CRD ") + std::string(crd.file) + ": expected one object");
    }
    json::object& o = objects.front();
    // install.AllCRDs: crd.SetLabels(Labels()), status dropped (appendUnstructured).
    o["metadata"].as_object()["labels"] = labels();
    o.erase("status");
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<json::object> install_resources(const InstallOptions& o) {
  validate_install_options(o);
  std::vector<json::object> out = install_crds();
  if (o.crds_only) return out;
  out.push_back(namespace_object(o.namespace_));
  std::string sa = "velero";
  if (o.service_account_name.empty()) {
    out.push_back(cluster_role_binding(o.namespace_));
    out.push_back(service_account(o));
  } else {
    sa = o.service_account_name;
  }
  if (o.secret_data) out.push_back(secret(o));
  if (!o.no_default_backup_location) out.push_back(backup_storage_location(o));
  if (o.use_volume_snapshots) out.push_back(volume_snapshot_location(o));
  out.push_back(deployment(o, sa));
  return out;
}

json::object install_list(const std::vector<json::object>& resources) {
  json::array items;
  for (const auto& r : resources) items.push_back(r);
  // install.AllCRDs sets GVK v1 List; a printed List carries empty list metadata.
  return json::object{{"apiVersion", "v1"}, {"items", std::move(items)}, {"kind", "List"}, {"metadata", json::object{}}};
}

}  // namespace vbackup
