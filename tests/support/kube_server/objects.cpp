#include "kube_server/objects.hpp"

#include "kube_server/util.hpp"
#include "labels/validation.hpp"

#include <algorithm>
#include <map>

namespace vbackup::kubetest {

namespace {

constexpr const char* kSubdomainMessage =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr const char* kLabelMessage =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
constexpr const char* kDns1035Message =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

bool is_dns1035_label(std::string_view v) {
  return validation::is_dns1123_label(v) && v.front() >= 'a' && v.front() <= 'z';
}

std::string quoted(std::string_view v) { return json::marshal(json::value(json::string(v))); }

}  // namespace

std::vector<Cause> validate_metadata(const json::object& md, std::string_view table) {
  std::vector<Cause> causes;
  const std::string name(json::get_string(md, "name"));
  if (!name.empty()) {
    if (table == "/namespaces") {
      if (!validation::is_dns1123_label(name))
        causes.push_back({"FieldValueInvalid", "Invalid value: " + quoted(name) + ": " + kLabelMessage, "metadata.name"});
    } else if (table == "/services") {
      if (!is_dns1035_label(name))
        causes.push_back({"FieldValueInvalid", "Invalid value: " + quoted(name) + ": " + kDns1035Message, "metadata.name"});
    } else if (!validation::is_dns1123_subdomain(name)) {
      causes.push_back({"FieldValueInvalid", "Invalid value: " + quoted(name) + ": " + kSubdomainMessage, "metadata.name"});
    }
  }
  if (auto it = md.find("labels"); it != md.end() && !it->value().is_null()) {
    if (!it->value().is_object()) {
      causes.push_back({"FieldValueInvalid", "Invalid value: expected a map of strings", "metadata.labels"});
    } else {
      for (const auto& [k, v] : it->value().get_object()) {
        if (auto e = validation::qualified_name_error(k))
          causes.push_back({"FieldValueInvalid", "Invalid value: " + quoted(k) + ": " + *e, "metadata.labels"});
        if (!v.is_string()) {
          causes.push_back({"FieldValueInvalid", "Invalid value: label values must be strings", "metadata.labels"});
        } else if (auto e = validation::label_value_error(v.get_string())) {
          causes.push_back({"FieldValueInvalid", "Invalid value: " + quoted(v.get_string()) + ": " + *e, "metadata.labels"});
        }
      }
    }
  }
  if (auto it = md.find("annotations"); it != md.end() && !it->value().is_null()) {
    if (!it->value().is_object()) {
      causes.push_back({"FieldValueInvalid", "Invalid value: expected a map of strings", "metadata.annotations"});
    } else {
      std::size_t total = 0;
      for (const auto& [k, v] : it->value().get_object()) {
        if (auto e = validation::qualified_name_error(k))
          causes.push_back({"FieldValueInvalid", "Invalid value: " + quoted(k) + ": " + *e, "metadata.annotations"});
        if (!v.is_string()) causes.push_back({"FieldValueInvalid", "Invalid value: annotation values must be strings", "metadata.annotations"});
        else total += k.size() + v.get_string().size();
      }
      if (total > 256 * 1024)
        causes.push_back({"FieldValueTooLong", "Too long: must have at most 262144 bytes", "metadata.annotations"});
    }
  }
  return causes;
}

void apply_kind_defaults(std::string_view table, json::object& object, bool creating) {
  if (table == "/secrets") {
    if (auto it = object.find("stringData"); it != object.end()) {
      if (it->value().is_object()) {
        json::value& data = object["data"];
        if (!data.is_object()) data = json::object{};
        for (const auto& [k, v] : it->value().get_object())
          if (v.is_string()) data.get_object()[k] = base64_encode(v.get_string());
      }
      object.erase("stringData");
    }
    if (!object.contains("type")) object["type"] = "Opaque";
  } else if (table == "/persistentvolumeclaims" || table == "/persistentvolumes") {
    // SetDefaults_PersistentVolume(Claim)Spec: volumeMode Filesystem; a PV's reclaim policy Retain.
    json::value& spec = object["spec"];
    if (!spec.is_object()) spec = json::object{};
    json::object& s = spec.get_object();
    if (!s.contains("volumeMode")) s["volumeMode"] = "Filesystem";
    if (table == "/persistentvolumes") {
      if (!s.contains("persistentVolumeReclaimPolicy")) s["persistentVolumeReclaimPolicy"] = "Retain";
      if (auto it = s.find("hostPath"); it != s.end() && it->value().is_object() && !it->value().get_object().contains("type"))
        it->value().get_object()["type"] = "";
    }
    if (creating) {
      // Admission (StorageObjectInUseProtection) adds the protection finalizer on create.
      const char* protection = table == "/persistentvolumes" ? "kubernetes.io/pv-protection" : "kubernetes.io/pvc-protection";
      json::value& md = object["metadata"];
      json::value& finalizers = md.get_object()["finalizers"];
      if (!finalizers.is_array()) finalizers = json::array{};
      bool found = false;
      for (const json::value& f : finalizers.get_array()) found |= f.is_string() && f.get_string() == protection;
      if (!found) finalizers.get_array().push_back(protection);
    }
  } else if (table == "/namespaces") {
    json::value& md = object["metadata"];
    const std::string name(json::get_string(md.get_object(), "name"));
    json::value& labels = md.get_object()["labels"];
    if (!labels.is_object()) labels = json::object{};
    labels.get_object()["kubernetes.io/metadata.name"] = name;
    if (creating) {
      json::value& spec = object["spec"];
      if (!spec.is_object()) spec = json::object{};
      // PrepareForCreate: the "kubernetes" finalizer is required, appended when missing.
      json::value& finalizers = spec.get_object()["finalizers"];
      if (!finalizers.is_array()) finalizers = json::array{};
      bool has_kubernetes = false;
      for (const json::value& f : finalizers.get_array()) has_kubernetes |= f.is_string() && f.get_string() == "kubernetes";
      if (!has_kubernetes) finalizers.get_array().push_back("kubernetes");
      json::value& status = object["status"];
      if (!status.is_object()) status = json::object{};
      if (!status.get_object().contains("phase")) status.get_object()["phase"] = "Active";
    }
  }
}

const std::vector<std::string>& selectable_fields(std::string_view table) {
  static const std::map<std::string, std::vector<std::string>, std::less<>> fields = {
      {"/pods", {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                 "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"}},
      {"/events", {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                   "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                   "reason", "reportingComponent", "source", "type"}},
      {"/secrets", {"type"}},
      {"/namespaces", {"status.phase"}},
      {"/nodes", {"spec.unschedulable"}},
      {"/replicationcontrollers", {"status.replicas"}},
      {"apps/replicasets", {"status.replicas"}},
      {"batch/jobs", {"status.successful"}},
      {"certificates.k8s.io/certificatesigningrequests", {"spec.signerName"}},
  };
  static const std::vector<std::string> none;
  auto it = fields.find(table);
  return it == fields.end() ? none : it->second;
}

FieldSelector parse_field_selector(std::string_view text, std::string_view table) {
  FieldSelector out;
  const auto& allowed = selectable_fields(table);
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view term = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (term.empty()) continue;
    FieldSelector::Term t;
    std::size_t op = term.find("!=");
    std::size_t len = 2;
    if (op != std::string_view::npos) {
      t.equal = false;
    } else if ((op = term.find("==")) == std::string_view::npos) {
      op = term.find('=');
      len = 1;
    }
    if (op == std::string_view::npos)
      throw bad_request("invalid field selector \"" + std::string(term) + "\": expected an operator (=, == or !=)");
    t.path = std::string(term.substr(0, op));
    t.value = std::string(term.substr(op + len));
    while (!t.path.empty() && t.path.back() == ' ') t.path.pop_back();
    if (t.path != "metadata.name" && t.path != "metadata.namespace" &&
        std::find(allowed.begin(), allowed.end(), t.path) == allowed.end())
      throw bad_request("field label not supported: " + t.path);
    out.terms.push_back(std::move(t));
  }
  return out;
}

}  // namespace vbackup::kubetest
