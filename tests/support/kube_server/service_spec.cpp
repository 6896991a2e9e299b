#include "kube_server/service_spec.hpp"

#include "kube_server/go_values.hpp"

#include <arpa/inet.h>

#include <map>
#include <set>

namespace vbackup::kubetest::service_spec {

namespace {

constexpr const char* kInvalidIp = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

}  // namespace

json::object& child(json::object& o, std::string_view key) {
  json::value& v = o[key];
  if (!v.is_object()) v = json::object{};
  return v.get_object();
}

std::string str(const json::object& o, std::string_view key) { return std::string(json::get_string(o, key)); }

std::int64_t num(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;
  const json::value& v = it->value();
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) return static_cast<std::int64_t>(v.get_uint64());
  if (v.is_double()) return static_cast<std::int64_t>(v.get_double());
  return 0;
}

bool has_value(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && !it->value().is_null();
}

std::vector<std::string> strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const json::array* a = json::find_array(o, key))
    for (const json::value& v : *a) out.push_back(v.is_string() ? std::string(v.get_string()) : json::marshal(v));
  return out;
}

void set_strings(json::object& o, std::string_view key, const std::vector<std::string>& v) {
  if (v.empty()) {
    o.erase(key);
    return;
  }
  json::array a;
  for (const std::string& s : v) a.push_back(json::value(json::string(s)));
  o[key] = std::move(a);
}

std::optional<std::uint32_t> parse_ipv4(const std::string& text) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

bool is_ipv6(const std::string& text) {
  in6_addr a{};
  return inet_pton(AF_INET6, text.c_str(), &a) == 1;
}

std::string format_ipv4(std::uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." + std::to_string((ip >> 8) & 255) +
         "." + std::to_string(ip & 255);
}

json::array* ports_of(json::object& spec) {
  json::value& v = spec["ports"];
  if (v.is_null()) {
    spec.erase("ports");
    return nullptr;
  }
  return v.is_array() ? &v.get_array() : nullptr;
}

// The helpers of strategy.go / alloc.go on a Service spec.
bool needs_cluster_ip(const json::object& spec) { return str(spec, "type") != "ExternalName"; }
bool needs_node_port(const json::object& spec) {
  const std::string type = str(spec, "type");
  return type == "NodePort" || type == "LoadBalancer";
}
bool needs_health_check(const json::object& spec) {
  return str(spec, "type") == "LoadBalancer" && str(spec, "externalTrafficPolicy") == "Local";
}
bool should_allocate_node_ports(const json::object& spec) {
  if (str(spec, "type") == "NodePort") return true;
  auto it = spec.find("allocateLoadBalancerNodePorts");
  return it == spec.end() || !it->value().is_bool() || it->value().get_bool();
}
bool is_headless(const json::object& spec) {
  const std::vector<std::string> ips = strings(spec, "clusterIPs");
  return ips.size() == 1 && ips[0] == "None";
}

std::vector<std::int64_t> node_ports(const json::object& spec) {
  std::vector<std::int64_t> out;
  if (const json::array* ports = json::find_array(spec, "ports"))
    for (const json::value& p : *ports) out.push_back(p.is_object() ? num(p.get_object(), "nodePort") : 0);
  return out;
}

// SetDefaults_Service (pkg/apis/core/v1/defaults.go), applied when a request body is decoded.
void set_defaults(json::object& spec) {
  if (str(spec, "type").empty()) spec["type"] = "ClusterIP";
  const std::string type = str(spec, "type");
  if (str(spec, "sessionAffinity").empty()) spec["sessionAffinity"] = "None";
  if (str(spec, "sessionAffinity") == "None") {
    spec.erase("sessionAffinityConfig");
  } else if (str(spec, "sessionAffinity") == "ClientIP") {
    json::object& client = child(child(spec, "sessionAffinityConfig"), "clientIP");
    if (!has_value(client, "timeoutSeconds")) client["timeoutSeconds"] = 10800;
  }
  if (json::array* ports = ports_of(spec)) {
    for (json::value& p : *ports) {
      if (!p.is_object()) continue;
      json::object& port = p.get_object();
      if (str(port, "protocol").empty()) port["protocol"] = "TCP";
      auto target = port.find("targetPort");
      const bool unset = target == port.end() || target->value().is_null() ||
                         (target->value().is_string() && target->value().get_string().empty()) ||
                         (target->value().is_number() && num(port, "targetPort") == 0);
      if (unset) port["targetPort"] = num(port, "port");
    }
  }
  if ((type == "NodePort" || type == "LoadBalancer") && str(spec, "externalTrafficPolicy").empty())
    spec["externalTrafficPolicy"] = "Cluster";
  if (!has_value(spec, "internalTrafficPolicy") && (type == "ClusterIP" || type == "NodePort" || type == "LoadBalancer"))
    spec["internalTrafficPolicy"] = "Cluster";
  if (type == "LoadBalancer" && !has_value(spec, "allocateLoadBalancerNodePorts")) spec["allocateLoadBalancerNodePorts"] = true;
}

// ValidateServiceClusterIPsRelatedFields (pkg/apis/core/validation), the part a single-stack
// cluster can tell apart.
std::vector<Cause> validate_cluster_ips(const json::object& spec) {
  std::vector<Cause> causes;
  if (!needs_cluster_ip(spec)) return causes;
  const std::string ip = str(spec, "clusterIP");
  const std::vector<std::string> ips = strings(spec, "clusterIPs");
  if (!ip.empty()) {
    if (ips.empty()) causes.push_back(required_cause("spec.clusterIPs"));
    else if (ips[0] != ip) causes.push_back(invalid_cause("spec.clusterIPs", go_string_slice(ips), "first value must match `clusterIP`"));
  } else if (!ips.empty()) {
    causes.push_back(invalid_cause("spec.clusterIPs", go_string_slice(ips), "must be empty when `clusterIP` is not specified"));
  }
  std::set<std::string> seen;
  const std::vector<std::string> families = strings(spec, "ipFamilies");
  for (std::size_t i = 0; i < families.size(); ++i) {
    const std::string field = "spec.ipFamilies[" + std::to_string(i) + "]";
    if (families[i] != "IPv4" && families[i] != "IPv6") causes.push_back(not_supported_cause(field, families[i], {"IPv4", "IPv6"}));
    if (!seen.insert(families[i]).second) causes.push_back(duplicate_cause(field, families[i]));
  }
  if (has_value(spec, "ipFamilyPolicy")) {
    const std::string policy = str(spec, "ipFamilyPolicy");
    if (policy != "SingleStack" && policy != "PreferDualStack" && policy != "RequireDualStack")
      causes.push_back(not_supported_cause("spec.ipFamilyPolicy", policy, {"PreferDualStack", "RequireDualStack", "SingleStack"}));
  }
  for (std::size_t i = 0; i < ips.size(); ++i) {
    if (i == 0 && ips[i] == "None") {
      if (ips.size() > 1) causes.push_back(invalid_cause("spec.clusterIPs", go_string_slice(ips), "'None' must be the first and only value"));
      continue;
    }
    if (!parse_ipv4(ips[i]) && !is_ipv6(ips[i]))
      causes.push_back(invalid_cause("spec.clusterIPs[" + std::to_string(i) + "]", go_quote(ips[i]), kInvalidIp));
  }
  if (ips.size() > 2) causes.push_back(invalid_cause("spec.clusterIPs", go_string_slice(ips), "may only hold up to 2 values"));
  return causes;
}

// validateUpgradeDowngradeClusterIPs: the primary clusterIP never changes.
std::vector<Cause> validate_cluster_ip_update(const json::object& spec, const json::object& old_spec) {
  std::vector<Cause> causes;
  if (!needs_cluster_ip(spec) || !needs_cluster_ip(old_spec) || (is_headless(spec) && is_headless(old_spec))) return causes;
  const std::vector<std::string> ips = strings(spec, "clusterIPs"), old_ips = strings(old_spec, "clusterIPs");
  if (ips.size() == old_ips.size()) {
    for (std::size_t i = 0; i < ips.size(); ++i)
      if (ips[i] != old_ips[i])
        causes.push_back(invalid_cause("spec.clusterIPs[" + std::to_string(i) + "]", go_string_slice(ips), "may not change once set"));
  } else if (ips.empty()) {
    causes.push_back(invalid_cause("spec.clusterIPs[0]", go_string_slice(ips), "primary clusterIP can not be unset"));
  } else if (!old_ips.empty() && ips[0] != old_ips.front()) {
    causes.push_back(invalid_cause("spec.clusterIPs[0]", go_string_slice(ips), "may not change once set"));
  }
  return causes;
}

void throw_if(const std::vector<Cause>& causes, const std::string& name) {
  if (!causes.empty()) throw invalid("", "Service", name, causes);
}

// patchAllocatedValues (strategy.go): what the server allocated stays when an update leaves it out.
void patch_allocated_values(json::object& spec, const json::object& old_spec) {
  if (needs_cluster_ip(old_spec) && needs_cluster_ip(spec)) {
    if (str(spec, "clusterIP").empty() && has_value(old_spec, "clusterIP")) spec["clusterIP"] = old_spec.at("clusterIP");
    if (strings(spec, "clusterIPs").empty() && !strings(old_spec, "clusterIPs").empty()) spec["clusterIPs"] = old_spec.at("clusterIPs");
  }
  if (needs_node_port(old_spec) && needs_node_port(spec)) {
    std::set<std::int64_t> old_used, used;
    for (std::int64_t p : node_ports(old_spec)) if (p) old_used.insert(p);
    for (std::int64_t p : node_ports(spec)) if (p && old_used.contains(p)) used.insert(p);
    std::map<std::string, std::int64_t> by_name;  // the user may have changed the rest of a port
    if (const json::array* ports = json::find_array(old_spec, "ports"))
      for (const json::value& p : *ports)
        if (p.is_object()) by_name[str(p.get_object(), "name")] = num(p.get_object(), "nodePort");
    if (json::array* ports = ports_of(spec)) {
      for (json::value& p : *ports) {
        if (!p.is_object() || num(p.get_object(), "nodePort") != 0) continue;
        auto it = by_name.find(str(p.get_object(), "name"));
        if (it != by_name.end() && it->second && !used.contains(it->second)) p.get_object()["nodePort"] = it->second;
      }
    }
  }
  if (needs_health_check(old_spec) && needs_health_check(spec) && num(spec, "healthCheckNodePort") == 0 &&
      num(old_spec, "healthCheckNodePort") != 0)
    spec["healthCheckNodePort"] = num(old_spec, "healthCheckNodePort");
}

// NormalizeClusterIPs: clusterIP and clusterIPs kept in step for clients that set only one.
void normalize_cluster_ips(json::object& spec, const json::object* old_spec) {
  const std::string ip = str(spec, "clusterIP");
  const std::vector<std::string> ips = strings(spec, "clusterIPs");
  if (!old_spec) {
    if (!ip.empty() && ips.empty()) set_strings(spec, "clusterIPs", {ip});
    return;
  }
  const std::string old_ip = str(*old_spec, "clusterIP");
  const std::vector<std::string> old_ips = strings(*old_spec, "clusterIPs");
  if (!old_ips.empty() && ips.empty() && old_ip == ip) set_strings(spec, "clusterIPs", old_ips);
  if (old_ip != ip) {
    const bool same = strings(spec, "clusterIPs") == old_ips;
    if (!old_ip.empty() && ip.empty()) {
      if (same) spec.erase("clusterIPs");
    } else if (same) {
      set_strings(spec, "clusterIPs", {ip});
    }
  }
}

// dropTypeDependentFields: fields the old type needed and the user left as they were go with it.
void drop_type_dependent_fields(json::object& spec, const json::object& old_spec) {
  if (needs_cluster_ip(old_spec) && !needs_cluster_ip(spec)) {
    if (strings(spec, "clusterIPs") == strings(old_spec, "clusterIPs")) {
      spec.erase("clusterIP");
      spec.erase("clusterIPs");
    }
    if (strings(spec, "ipFamilies") == strings(old_spec, "ipFamilies")) spec.erase("ipFamilies");
    if (str(spec, "ipFamilyPolicy") == str(old_spec, "ipFamilyPolicy")) spec.erase("ipFamilyPolicy");
  }
  if (needs_node_port(old_spec) && !needs_node_port(spec) && node_ports(spec) == node_ports(old_spec)) {
    if (json::array* ports = ports_of(spec))
      for (json::value& p : *ports)
        if (p.is_object()) p.get_object().erase("nodePort");
  }
  if (needs_health_check(old_spec) && !needs_health_check(spec) &&
      num(spec, "healthCheckNodePort") == num(old_spec, "healthCheckNodePort"))
    spec.erase("healthCheckNodePort");
  if (str(old_spec, "type") == "LoadBalancer" && str(spec, "type") != "LoadBalancer" &&
      has_value(spec, "allocateLoadBalancerNodePorts") && has_value(old_spec, "allocateLoadBalancerNodePorts") &&
      spec.at("allocateLoadBalancerNodePorts") == old_spec.at("allocateLoadBalancerNodePorts"))
    spec.erase("allocateLoadBalancerNodePorts");
  if (needs_node_port(old_spec) && !needs_node_port(spec) &&
      str(spec, "externalTrafficPolicy") == str(old_spec, "externalTrafficPolicy"))
    spec.erase("externalTrafficPolicy");
}

}  // namespace vbackup::kubetest::service_spec
