// Discovery of a stock Kubernetes v1.33 API server (default --runtime-config and feature gates), as
// client-go sees it through aggregated discovery: /api first, then /apis groups.
//
// Sources (facts copied, no code):
// * Group order and group priorities: the aggregator's APIService priorities,
//   kubernetes/kubernetes cmd/kube-apiserver/app/aggregator.go `apiVersionPriorities` and
//   pkg/controlplane/apiserver/aggregator.go `DefaultGenericAPIServicePriorities` (groupPriorityMinimum
//   / versionPriority), the sort in apiserver pkg/endpoints/discovery/aggregated/handler.go (priority
//   descending, ties by group name), and the generated snapshots api/discovery/apis.json and
//   api/discovery/aggregated_v2.json (apiregistration.k8s.io listed first, then apps, events.k8s.io …).
// * Which versions are served by default: only GA group versions (KEP-3136 beta-off-by-default;
//   pkg/controlplane/instance.go stableAPIGroupVersionsEnabledByDefault / betaAPIGroupVersionsDisabledByDefault
//   / alphaAPIGroupVersionsDisabledByDefault); flowcontrol.apiserver.k8s.io/v1beta3 no longer served as of
//   v1.32 (kubernetes.io deprecation guide); resource.k8s.io is beta and disabled by default in v1.33
//   (pkg/features/kube_features.go: DynamicResourceAllocation 1.32 Beta default false, GA only in
//   1.34); storagemigration.k8s.io and internal.apiserver.k8s.io are alpha only; ServiceCIDR and
//   IPAddress are GA in networking.k8s.io/v1 as of v1.33 (kubernetes.io "Extend Service IP Ranges",
//   "FEATURE STATE: Kubernetes v1.33 [stable]").
// * Resources, kinds, singular names, scope, verbs, short names, categories, subresources: the
//   discovery snapshots api/discovery/aggregated_v2.json and api/discovery/api__v1.json, and a
//   `GET /api/v1` from a real cluster serving pods/resize; pods/resize is registered only with
//   InPlacePodVerticalScaling (pkg/registry/core/rest/storage_core.go), beta and on by default in v1.33.
// * Lists are in the server's order: resources sorted by name, each followed by its subresources.
#include "vbackup/discovery.hpp"

#include <string_view>
#include <utility>

namespace vbackup {

namespace {

constexpr bool N = true;   // namespaced
constexpr bool C = false;  // cluster-scoped

constexpr std::string_view crud = "create delete deletecollection get list patch update watch";
constexpr std::string_view gpu = "get patch update";  // status, scale, approval, resize, ephemeralcontainers
constexpr std::string_view proxy = "create delete get patch update";
constexpr std::string_view create = "create";

struct Row {
  std::string_view name, singular, kind;
  bool namespaced;
  std::string_view verbs, short_names = {}, categories = {};
};

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto sp = s.find(' ');
    out.emplace_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

template <std::size_t Count>
std::vector<ApiResource> rows(const Row (&table)[Count]) {
  std::vector<ApiResource> out;
  for (const Row& r : table) {
    ApiResource a;
    a.name = r.name;
    a.singular = r.singular;
    a.kind = r.kind;
    a.namespaced = r.namespaced;
    a.verbs = words(r.verbs);
    a.short_names = words(r.short_names);
    a.categories = words(r.categories);
    out.push_back(std::move(a));
  }
  return out;
}

const Row core_v1[] = {
    {"bindings", "binding", "Binding", N, create},
    {"componentstatuses", "componentstatus", "ComponentStatus", C, "get list", "cs"},
    {"configmaps", "configmap", "ConfigMap", N, crud, "cm"},
    {"endpoints", "endpoints", "Endpoints", N, crud, "ep"},
    {"events", "event", "Event", N, crud, "ev"},
    {"limitranges", "limitrange", "LimitRange", N, crud, "limits"},
    {"namespaces", "namespace", "Namespace", C, "create delete get list patch update watch", "ns"},
    {"namespaces/finalize", "", "Namespace", C, "update"},
    {"namespaces/status", "", "Namespace", C, gpu},
    {"nodes", "node", "Node", C, crud, "no"},
    {"nodes/proxy", "", "NodeProxyOptions", C, proxy},
    {"nodes/status", "", "Node", C, gpu},
    {"persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", N, crud, "pvc"},
    {"persistentvolumeclaims/status", "", "PersistentVolumeClaim", N, gpu},
    {"persistentvolumes", "persistentvolume", "PersistentVolume", C, crud, "pv"},
    {"persistentvolumes/status", "", "PersistentVolume", C, gpu},
    {"pods", "pod", "Pod", N, crud, "po", "all"},
    {"pods/attach", "", "PodAttachOptions", N, "create get"},
    {"pods/binding", "", "Binding", N, create},
    {"pods/ephemeralcontainers", "", "Pod", N, gpu},
    {"pods/eviction", "", "Eviction", N, create},  // policy/v1 Eviction
    {"pods/exec", "", "PodExecOptions", N, "create get"},
    {"pods/log", "", "Pod", N, "get"},
    {"pods/portforward", "", "PodPortForwardOptions", N, "create get"},
    {"pods/proxy", "", "PodProxyOptions", N, proxy},
    {"pods/resize", "", "Pod", N, gpu},
    {"pods/status", "", "Pod", N, gpu},
    {"podtemplates", "podtemplate", "PodTemplate", N, crud},
    {"replicationcontrollers", "replicationcontroller", "ReplicationController", N, crud, "rc", "all"},
    {"replicationcontrollers/scale", "", "Scale", N, gpu},  // autoscaling/v1 Scale
    {"replicationcontrollers/status", "", "ReplicationController", N, gpu},
    {"resourcequotas", "resourcequota", "ResourceQuota", N, crud, "quota"},
    {"resourcequotas/status", "", "ResourceQuota", N, gpu},
    {"secrets", "secret", "Secret", N, crud},
    {"serviceaccounts", "serviceaccount", "ServiceAccount", N, crud, "sa"},
    {"serviceaccounts/token", "", "TokenRequest", N, create},  // authentication.k8s.io/v1 TokenRequest
    {"services", "service", "Service", N, crud, "svc", "all"},
    {"services/proxy", "", "ServiceProxyOptions", N, proxy},
    {"services/status", "", "Service", N, gpu},
};

const Row apiregistration_v1[] = {
    {"apiservices", "apiservice", "APIService", C, crud, "", "api-extensions"},
    {"apiservices/status", "", "APIService", C, gpu},
};

const Row apps_v1[] = {
    {"controllerrevisions", "controllerrevision", "ControllerRevision", N, crud},
    {"daemonsets", "daemonset", "DaemonSet", N, crud, "ds", "all"},
    {"daemonsets/status", "", "DaemonSet", N, gpu},
    {"deployments", "deployment", "Deployment", N, crud, "deploy", "all"},
    {"deployments/scale", "", "Scale", N, gpu},
    {"deployments/status", "", "Deployment", N, gpu},
    {"replicasets", "replicaset", "ReplicaSet", N, crud, "rs", "all"},
    {"replicasets/scale", "", "Scale", N, gpu},
    {"replicasets/status", "", "ReplicaSet", N, gpu},
    {"statefulsets", "statefulset", "StatefulSet", N, crud, "sts", "all"},
    {"statefulsets/scale", "", "Scale", N, gpu},
    {"statefulsets/status", "", "StatefulSet", N, gpu},
};

const Row events_v1[] = {
    {"events", "event", "Event", N, crud, "ev"},
};

const Row authentication_v1[] = {
    {"selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview", C, create},
    {"tokenreviews", "tokenreview", "TokenReview", C, create},
};

const Row authorization_v1[] = {
    {"localsubjectaccessreviews", "localsubjectaccessreview", "LocalSubjectAccessReview", N, create},
    {"selfsubjectaccessreviews", "selfsubjectaccessreview", "SelfSubjectAccessReview", C, create},
    {"selfsubjectrulesreviews", "selfsubjectrulesreview", "SelfSubjectRulesReview", C, create},
    {"subjectaccessreviews", "subjectaccessreview", "SubjectAccessReview", C, create},
};

const Row autoscaling_v2_and_v1[] = {
    {"horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", N, crud, "hpa", "all"},
    {"horizontalpodautoscalers/status", "", "HorizontalPodAutoscaler", N, gpu},
};

const Row batch_v1[] = {
    {"cronjobs", "cronjob", "CronJob", N, crud, "cj", "all"},
    {"cronjobs/status", "", "CronJob", N, gpu},
    {"jobs", "job", "Job", N, crud, "", "all"},
    {"jobs/status", "", "Job", N, gpu},
};

const Row certificates_v1[] = {
    {"certificatesigningrequests", "certificatesigningrequest", "CertificateSigningRequest", C, crud, "csr"},
    {"certificatesigningrequests/approval", "", "CertificateSigningRequest", C, gpu},
    {"certificatesigningrequests/status", "", "CertificateSigningRequest", C, gpu},
};

const Row networking_v1[] = {
    {"ingressclasses", "ingressclass", "IngressClass", C, crud},
    {"ingresses", "ingress", "Ingress", N, crud, "ing"},
    {"ingresses/status", "", "Ingress", N, gpu},
    {"ipaddresses", "ipaddress", "IPAddress", C, crud, "ip"},
    {"networkpolicies", "networkpolicy", "NetworkPolicy", N, crud, "netpol"},
    {"servicecidrs", "servicecidr", "ServiceCIDR", C, crud},
    {"servicecidrs/status", "", "ServiceCIDR", C, gpu},
};

const Row policy_v1[] = {
    {"poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", N, crud, "pdb"},
    {"poddisruptionbudgets/status", "", "PodDisruptionBudget", N, gpu},
};

const Row rbac_v1[] = {
    {"clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", C, crud},
    {"clusterroles", "clusterrole", "ClusterRole", C, crud},
    {"rolebindings", "rolebinding", "RoleBinding", N, crud},
    {"roles", "role", "Role", N, crud},
};

const Row storage_v1[] = {
    {"csidrivers", "csidriver", "CSIDriver", C, crud},
    {"csinodes", "csinode", "CSINode", C, crud},
    {"csistoragecapacities", "csistoragecapacity", "CSIStorageCapacity", N, crud},
    {"storageclasses", "storageclass", "StorageClass", C, crud, "sc"},
    {"volumeattachments", "volumeattachment", "VolumeAttachment", C, crud},
    {"volumeattachments/status", "", "VolumeAttachment", C, gpu},
};

const Row admissionregistration_v1[] = {
    {"mutatingwebhookconfigurations", "mutatingwebhookconfiguration", "MutatingWebhookConfiguration", C, crud, "",
     "api-extensions"},
    {"validatingadmissionpolicies", "validatingadmissionpolicy", "ValidatingAdmissionPolicy", C, crud, "",
     "api-extensions"},
    {"validatingadmissionpolicies/status", "", "ValidatingAdmissionPolicy", C, gpu},
    {"validatingadmissionpolicybindings", "validatingadmissionpolicybinding", "ValidatingAdmissionPolicyBinding", C,
     crud, "", "api-extensions"},
    {"validatingwebhookconfigurations", "validatingwebhookconfiguration", "ValidatingWebhookConfiguration", C, crud, "",
     "api-extensions"},
};

const Row apiextensions_v1[] = {
    {"customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", C, crud, "crd crds",
     "api-extensions"},
    {"customresourcedefinitions/status", "", "CustomResourceDefinition", C, gpu},
};

const Row scheduling_v1[] = {
    {"priorityclasses", "priorityclass", "PriorityClass", C, crud, "pc"},
};

const Row coordination_v1[] = {
    {"leases", "lease", "Lease", N, crud},
};

const Row node_v1[] = {
    {"runtimeclasses", "runtimeclass", "RuntimeClass", C, crud},
};

const Row discovery_v1[] = {
    {"endpointslices", "endpointslice", "EndpointSlice", N, crud},
};

const Row flowcontrol_v1[] = {
    {"flowschemas", "flowschema", "FlowSchema", C, crud},
    {"flowschemas/status", "", "FlowSchema", C, gpu},
    {"prioritylevelconfigurations", "prioritylevelconfiguration", "PriorityLevelConfiguration", C, crud},
    {"prioritylevelconfigurations/status", "", "PriorityLevelConfiguration", C, gpu},
};

Discovery build() {
  Discovery d;
  // A group served in "v1" only; priority is the APIService groupPriorityMinimum (0 = not listed).
  auto v1_group = [&d](std::string name, int priority, auto const& table) {
    const std::string gv = name.empty() ? "v1" : name + "/v1";
    d.add_group({std::move(name), {"v1"}, "v1", priority});
    d.add_resources(gv, rows(table));
  };
  v1_group("", 18000, core_v1);
  // The aggregator's own group is listed first in /apis; it has no entry in apiVersionPriorities.
  v1_group("apiregistration.k8s.io", 0, apiregistration_v1);
  v1_group("apps", 17800, apps_v1);
  v1_group("events.k8s.io", 17750, events_v1);
  v1_group("authentication.k8s.io", 17700, authentication_v1);
  v1_group("authorization.k8s.io", 17600, authorization_v1);
  // autoscaling/v2 has versionPriority 30, autoscaling/v1 15: v2 first and preferred.
  d.add_group({"autoscaling", {"v2", "v1"}, "v2", 17500});
  d.add_resources("autoscaling/v2", rows(autoscaling_v2_and_v1));
  d.add_resources("autoscaling/v1", rows(autoscaling_v2_and_v1));
  v1_group("batch", 17400, batch_v1);
  v1_group("certificates.k8s.io", 17300, certificates_v1);
  v1_group("networking.k8s.io", 17200, networking_v1);
  v1_group("policy", 17100, policy_v1);
  v1_group("rbac.authorization.k8s.io", 17000, rbac_v1);
  v1_group("storage.k8s.io", 16800, storage_v1);
  v1_group("admissionregistration.k8s.io", 16700, admissionregistration_v1);  // ties with apiextensions: by name
  v1_group("apiextensions.k8s.io", 16700, apiextensions_v1);
  v1_group("scheduling.k8s.io", 16600, scheduling_v1);
  v1_group("coordination.k8s.io", 16500, coordination_v1);
  v1_group("node.k8s.io", 16300, node_v1);
  v1_group("discovery.k8s.io", 16200, discovery_v1);
  v1_group("flowcontrol.apiserver.k8s.io", 16100, flowcontrol_v1);
  return d;
}

}  // namespace

Discovery builtin_kubernetes_discovery() {
  static const Discovery table = build();
  return table;
}

}  // namespace vbackup
