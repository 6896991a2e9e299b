// velero.io/service (pkg/restore/actions/service_action.go): cluster IPs and auto-assigned node ports
// are the old cluster's allocations; explicitly chosen node ports are kept (restore §2.5 "Service
// NodePorts"). A value set to 0 or "" is removed, as the typed round trip omits it.
#include "restore/actions/builtin.hpp"
#include "restore/actions/object_access.hpp"

#include <charconv>
#include <cmath>
#include <set>

namespace vbackup::restore::detail {

namespace {

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// strconv.Atoi: optional sign, decimal digits only.
std::optional<std::int64_t> atoi(std::string_view s) {
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (digits.empty()) return std::nullopt;
  std::int64_t v = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return std::nullopt;
  return s[0] == '-' ? -v : v;
}

json::object parse_last_applied(std::string_view text, std::string_view what) {
  json::value v = json::parse(text, std::string(what) + ": annotation " + std::string(kLastApplied));
  if (!v.is_object()) fail(what, std::string("annotation ") + std::string(kLastApplied), "expected a JSON object");
  return std::move(v.get_object());
}

// The FieldsV1 object of every managedFields entry that has one.
std::vector<const json::object*> managed_fields(const json::object& service, std::string_view what) {
  std::vector<const json::object*> out;
  const json::object* md = object_field(service, "metadata", what, "");
  const json::array* entries = md ? array_field(*md, "managedFields", what, "metadata") : nullptr;
  if (!entries) return out;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const std::string path = index("metadata.managedFields", i);
    const json::object& entry = object_element((*entries)[i], what, path);
    if (const json::object* fields = object_field(entry, "fieldsV1", what, path)) out.push_back(fields);
  }
  return out;
}

// deleteNodePorts.
void delete_node_ports(json::object& spec, const json::object& service, std::string_view what) {
  if (string_field(spec, "type", what, "spec").value_or("") == "ExternalName") return;
  json::array* ports = array_field(spec, "ports", what, "spec");
  const json::object* annotations = metadata_map(service, "annotations", what);

  if (annotations && annotations->contains(kLastApplied)) {
    // Ports whose nodePort the user wrote in `kubectl apply` input keep it: named ports by name,
    // unnamed ones by value.
    std::set<std::string, std::less<>> named;
    std::set<std::int64_t> unnamed;
    json::object applied = parse_last_applied(json::get_string(*annotations, kLastApplied), what);
    const std::string apath = std::string("annotation ") + std::string(kLastApplied);
    const json::object* aspec = object_field(applied, "spec", what, apath);
    const json::array* aports = aspec ? array_field(*aspec, "ports", what, join(apath, "spec")) : nullptr;
    for (std::size_t i = 0; aports && i < aports->size(); ++i) {
      if (!(*aports)[i].is_object()) continue;
      const json::object& p = (*aports)[i].get_object();
      const json::value* np = p.if_contains("nodePort");
      if (!np) continue;
      std::int64_t value = 0;  // other JSON types count as 0, as Go's type switch leaves them
      if (np->is_string()) {
        auto parsed = atoi(np->get_string());
        if (!parsed) fail(what, index(join(apath, "spec.ports"), i) + ".nodePort", "strconv.Atoi: invalid syntax");
        value = *parsed;
      } else if (np->is_number()) {
        value = static_cast<std::int64_t>(std::trunc(np->to_number<double>()));
      }
      if (value <= 0) continue;
      if (const json::value* name = p.if_contains("name")) {
        if (!name->is_string()) fail(what, index(join(apath, "spec.ports"), i) + ".name", "expected string");
        named.emplace(name->get_string());
      } else {
        unnamed.insert(value);
      }
    }
    for (std::size_t i = 0; ports && i < ports->size(); ++i) {
      const std::string path = index("spec.ports", i);
      json::object& port = object_element((*ports)[i], what, path);
      auto name = string_field(port, "name", what, path).value_or("");
      bool keep = !name.empty() ? named.contains(name)
                                : unnamed.contains(int_field(port, "nodePort", what, path).value_or(0));
      if (!keep) port.stable_erase("nodePort");
    }
    return;
  }

  // Without the annotation, `kubectl apply --server-side` leaves f:nodePort under the port's key in
  // managedFields.
  std::set<std::string, std::less<>> explicit_ports;
  for (const json::object* fields : managed_fields(service, what)) {
    const json::object* fspec = object_field(*fields, "f:spec", what, "metadata.managedFields[].fieldsV1");
    const json::object* fports = fspec ? object_field(*fspec, "f:ports", what, "metadata.managedFields[].fieldsV1.f:spec") : nullptr;
    if (!fports) continue;
    for (const auto& kv : *fports) {
      if (kv.value().is_object() && kv.value().get_object().contains("f:nodePort")) explicit_ports.emplace(kv.key());
    }
  }
  for (std::size_t i = 0; ports && i < ports->size(); ++i) {
    const std::string path = index("spec.ports", i);
    json::object& port = object_element((*ports)[i], what, path);
    std::string key = "k:{\"port\":" + std::to_string(int_field(port, "port", what, path).value_or(0)) +
                      ",\"protocol\":\"" + std::string(string_field(port, "protocol", what, path).value_or("")) + "\"}";
    if (!explicit_ports.contains(key)) port.stable_erase("nodePort");
  }
}

// deleteHealthCheckNodePort: only a LoadBalancer with externalTrafficPolicy Local has one.
void delete_health_check_node_port(json::object& spec, const json::object& service, std::string_view what) {
  if (string_field(spec, "externalTrafficPolicy", what, "spec").value_or("") != "Local" ||
      string_field(spec, "type", what, "spec").value_or("") != "LoadBalancer") {
    return;
  }
  if (int_field(spec, "healthCheckNodePort", what, "spec").value_or(0) == 0) return;
  const json::object* annotations = metadata_map(service, "annotations", what);
  if (annotations && annotations->contains(kLastApplied)) {
    json::object applied = parse_last_applied(json::get_string(*annotations, kLastApplied), what);
    const std::string apath = std::string("annotation ") + std::string(kLastApplied);
    const json::object* aspec = object_field(applied, "spec", what, apath);
    if (aspec && int_field(*aspec, "healthCheckNodePort", what, join(apath, "spec")).value_or(0) != 0) return;
  }
  for (const json::object* fields : managed_fields(service, what)) {
    const json::object* fspec = object_field(*fields, "f:spec", what, "metadata.managedFields[].fieldsV1");
    if (fspec && object_field(*fspec, "f:healthCheckNodePort", what, "metadata.managedFields[].fieldsV1.f:spec")) {
      return;
    }
  }
  spec.stable_erase("healthCheckNodePort");
}

class ServiceAction final : public ResourceAction {
 public:
  ServiceAction() : ResourceAction("velero.io/service", {"services"}) {}
  ActionOutput execute(const ActionContext& context, ActionInput input) const override {
    const std::string what = item_name(input);
    json::object& service = input.item;
    json::object* spec = object_field(service, "spec", what, "");
    if (spec) {
      if (string_field(*spec, "clusterIP", what, "spec").value_or("") != "None") {
        spec->stable_erase("clusterIP");
        spec->stable_erase("clusterIPs");
      }
      if (!context.restore.spec.preserve_node_ports.value_or(false)) {
        delete_node_ports(*spec, service, what);
        delete_health_check_node_port(*spec, service, what);
      }
    }
    return output(std::move(service));
  }
};

}  // namespace

std::unique_ptr<RestoreItemAction> make_service_action() { return std::make_unique<ServiceAction>(); }

}  // namespace vbackup::restore::detail
