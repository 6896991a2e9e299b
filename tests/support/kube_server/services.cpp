#include "kube_server/services.hpp"

#include "kube_server/go_values.hpp"
#include "vbackup/error.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace vbackup::kubetest {

namespace {

constexpr const char* kInvalidIp = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

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

}  // namespace

ServiceNetwork::ServiceNetwork(const std::string& cluster_ip_range, const std::string& node_port_range)
    : cidr_text_(cluster_ip_range), ports_text_(node_port_range) {
  const auto slash = cluster_ip_range.find('/');
  int prefix = -1;
  std::optional<std::uint32_t> network;
  if (slash != std::string::npos) {
    network = parse_ipv4(cluster_ip_range.substr(0, slash));
    const std::string bits = cluster_ip_range.substr(slash + 1);
    auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (ec != std::errc() || p != bits.data() + bits.size()) prefix = -1;
  }
  // kube-apiserver refuses IPv4 service ranges larger than /12; below /30 nothing is left to allocate.
  if (!network || prefix < 12 || prefix > 30)
    throw invalid_input("service cluster IP range \"" + cluster_ip_range + "\": expected an IPv4 CIDR from /12 to /30");
  const std::uint32_t mask = ~std::uint32_t{0} << (32 - prefix);
  const std::uint32_t size = std::uint32_t{1} << (32 - prefix);
  cidr_text_ = format_ipv4(*network & mask) + "/" + std::to_string(prefix);
  base_ = (*network & mask) + 1;
  ip_count_ = size - 2;
  // ipallocator calculateRangeOffset: min(max(16, size/16), 256), 0 below 16 addresses.
  ip_offset_ = size < 16 ? 0 : std::min<std::uint32_t>(std::max<std::uint32_t>(16, size / 16), 256);
  ip_offset_ = std::min(ip_offset_, ip_count_);  // a /28 has 14 addresses and an offset of 16
  // The first address is the `kubernetes` Service's (default/kubernetes holds it on a real cluster).
  ++ip_use_[0];

  const auto dash = node_port_range.find('-');
  int lo = 0, hi = 0;
  bool ok = dash != std::string::npos;
  if (ok) {
    auto a = std::from_chars(node_port_range.data(), node_port_range.data() + dash, lo);
    auto b = std::from_chars(node_port_range.data() + dash + 1, node_port_range.data() + node_port_range.size(), hi);
    ok = a.ec == std::errc() && a.ptr == node_port_range.data() + dash && b.ec == std::errc() &&
         b.ptr == node_port_range.data() + node_port_range.size() && lo >= 1 && hi <= 65535 && lo <= hi;
  }
  if (!ok) throw invalid_input("service node port range \"" + node_port_range + "\": expected FIRST-LAST within 1-65535");
  port_min_ = lo;
  port_max_ = hi;
  ports_text_ = std::to_string(lo) + "-" + std::to_string(hi);
  port_use_.assign(static_cast<std::size_t>(hi - lo + 1), 0);
  // portallocator calculateRangeOffset (ServiceNodePortStaticSubrange): min(max(16, size/32), 128).
  const int count = hi - lo + 1;
  port_offset_ = count < 16 ? 0 : std::min({std::max(16, count / 32), 128, count});
}

void ServiceNetwork::prepare_create(json::object& service, bool lenient) {
  const std::string name(json::metadata_string(service, "name"));
  json::object& spec = child(service, "spec");
  set_defaults(spec);
  normalize_cluster_ips(spec, nullptr);
  Operation op;
  op.lenient = lenient;
  init_ip_families(spec, nullptr, name);
  allocate_cluster_ips(spec, op, name);
  if (needs_node_port(spec)) init_node_ports(spec, op, name);
  if (needs_health_check(spec)) allocate_health_check_port(spec, op);
}

void ServiceNetwork::prepare_update(json::object& service, const json::object& old) {
  const std::string name(json::metadata_string(service, "name"));
  json::object& spec = child(service, "spec");
  const json::object empty;
  const json::object* old_found = json::find_object(old, "spec");
  const json::object& old_spec = old_found ? *old_found : empty;
  set_defaults(spec);
  // PrepareForUpdate, then ValidateUpdate, then the allocations of BeginUpdate.
  patch_allocated_values(spec, old_spec);
  normalize_cluster_ips(spec, &old_spec);
  drop_type_dependent_fields(spec, old_spec);
  std::vector<Cause> causes = validate_cluster_ips(spec);
  for (Cause& c : validate_cluster_ip_update(spec, old_spec)) causes.push_back(std::move(c));
  for (Cause& c : validate(service)) causes.push_back(std::move(c));
  throw_if(causes, name);

  Operation op;
  init_ip_families(spec, &old_spec, name);
  if (!needs_cluster_ip(old_spec) && needs_cluster_ip(spec)) allocate_cluster_ips(spec, op, name);
  if (needs_node_port(spec)) update_node_ports(spec, old_spec, op, name);
  const std::int64_t hc = num(spec, "healthCheckNodePort"), old_hc = num(old_spec, "healthCheckNodePort");
  if (needs_health_check(spec) && !needs_health_check(old_spec)) {
    allocate_health_check_port(spec, op);
  } else if (needs_health_check(spec) && hc != old_hc) {
    throw_if({invalid_cause("spec.healthCheckNodePort", std::to_string(hc),
                            "cannot change healthCheckNodePort on loadBalancer service with externalTraffic=Local during update")},
             name);
  }
}

std::vector<Cause> ServiceNetwork::validate(const json::object& service) const {
  std::vector<Cause> causes;
  const json::object empty;
  const json::object* found = json::find_object(service, "spec");
  const json::object& spec = found ? *found : empty;
  const std::string type = str(spec, "type");
  const json::array* ports = json::find_array(spec, "ports");
  if ((!ports || ports->empty()) && type != "ExternalName" && !is_headless(spec)) causes.push_back(required_cause("spec.ports"));
  if (type == "ClusterIP" && ports) {
    for (std::size_t i = 0; i < ports->size(); ++i)
      if ((*ports)[i].is_object() && num((*ports)[i].get_object(), "nodePort") != 0)
        causes.push_back(forbidden_cause("spec.ports[" + std::to_string(i) + "].nodePort", "may not be used when `type` is 'ClusterIP'"));
  }
  if (num(spec, "healthCheckNodePort") != 0 && !needs_health_check(spec))
    causes.push_back(invalid_cause("spec.healthCheckNodePort", std::to_string(num(spec, "healthCheckNodePort")),
                                   "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  return causes;
}

// initIPFamilyFields (alloc.go) on a cluster with one IPv4 service range.
void ServiceNetwork::init_ip_families(json::object& spec, const json::object* old_spec, const std::string& name) const {
  if (!needs_cluster_ip(spec)) return;
  const bool headless_selectorless = str(spec, "clusterIP") == "None" &&
                                     (!json::find_object(spec, "selector") || json::find_object(spec, "selector")->empty());
  if (!has_value(spec, "ipFamilyPolicy")) {
    if (old_spec && has_value(*old_spec, "ipFamilyPolicy")) spec["ipFamilyPolicy"] = old_spec->at("ipFamilyPolicy");
    else spec["ipFamilyPolicy"] = headless_selectorless ? "RequireDualStack" : "SingleStack";
  }
  throw_if(validate_cluster_ips(spec), name);
  std::vector<Cause> causes;
  const std::string policy = str(spec, "ipFamilyPolicy");
  const std::vector<std::string> ips = strings(spec, "clusterIPs");
  std::vector<std::string> families = strings(spec, "ipFamilies");
  if (policy == "SingleStack") {
    if (ips.size() == 2)
      causes.push_back(invalid_cause("spec.ipFamilyPolicy", go_quote(policy), "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
    if (families.size() == 2)
      causes.push_back(invalid_cause("spec.ipFamilyPolicy", go_quote(policy), "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
  }
  for (std::size_t i = 0; i < ips.size() && ips[i] != "None"; ++i) {
    if (i < families.size()) continue;
    if (is_ipv6(ips[i])) causes.push_back(invalid_cause("spec.clusterIPs[" + std::to_string(i) + "]", go_string_slice(ips), "IPv6 is not configured on this cluster"));
    else families.push_back("IPv4");
  }
  throw_if(causes, name);
  if (headless_selectorless) {
    // Headless without a selector may name both families even on a single-stack cluster.
    if (families.empty()) families.push_back("IPv4");
    if (families.size() < 2 && policy != "SingleStack") families.push_back(families[0] == "IPv4" ? "IPv6" : "IPv4");
    set_strings(spec, "ipFamilies", families);
    return;
  }
  if (policy == "RequireDualStack")
    causes.push_back(invalid_cause("spec.ipFamilyPolicy", go_quote(policy), "this cluster is not configured for dual-stack services"));
  for (std::size_t i = 0; i < families.size(); ++i)
    if (families[i] != "IPv4")
      causes.push_back(invalid_cause("spec.ipFamilies[" + std::to_string(i) + "]", go_quote(families[i]), "not configured on this cluster"));
  throw_if(causes, name);
  if (families.empty()) families.push_back("IPv4");
  set_strings(spec, "ipFamilies", families);
}

void ServiceNetwork::allocate_cluster_ips(json::object& spec, Operation& op, const std::string& name) {
  if (!needs_cluster_ip(spec) || is_headless(spec)) return;
  std::vector<std::string> ips = strings(spec, "clusterIPs");
  if (ips.empty()) ips.emplace_back();
  if (ips[0].empty()) {
    auto offset = next_ip(op);
    if (!offset) throw internal_error("failed to allocate a serviceIP: range is full");
    ips[0] = format_ipv4(base_ + *offset);
  } else {
    std::string error;
    const auto ip = parse_ipv4(ips[0]);
    if (!ip || *ip < base_ || *ip - base_ >= ip_count_)
      error = op.lenient ? std::string() : "provided IP is not in the valid range. The range of valid IPs is " + cidr_text_;
    else
      error = take_ip(*ip - base_, op);
    if (!error.empty())
      throw_if({invalid_cause("spec.clusterIPs", go_string_slice(strings(spec, "clusterIPs")),
                              "failed to allocate IP " + ips[0] + ": " + error)},
               name);
  }
  set_strings(spec, "clusterIPs", ips);
  spec["clusterIP"] = ips[0];
}

// initNodePorts (alloc.go): ports that share a port number share a nodePort.
void ServiceNetwork::init_node_ports(json::object& spec, Operation& op, const std::string& name) {
  json::array* ports = ports_of(spec);
  if (!ports) return;
  const bool allocate = should_allocate_node_ports(spec);
  std::map<std::int64_t, std::int64_t> by_port;
  for (std::size_t i = 0; i < ports->size(); ++i) {
    if (!(*ports)[i].is_object()) continue;
    json::object& port = (*ports)[i].get_object();
    const std::int64_t node_port = num(port, "nodePort"), number = num(port, "port");
    if (node_port == 0 && !allocate) continue;  // no new ports, but explicit ones are honoured
    const std::string field = "spec.ports[" + std::to_string(i) + "].nodePort";
    const std::int64_t allocated = by_port[number];
    if (allocated == 0) {
      std::int64_t requested = 0;
      for (const json::value& p : *ports)
        if (p.is_object() && num(p.get_object(), "port") == number && num(p.get_object(), "nodePort") != 0) {
          requested = num(p.get_object(), "nodePort");
          break;
        }
      if (requested != 0) {
        if (std::string e = take_port(static_cast<int>(requested), op); !e.empty())
          throw_if({invalid_cause(field, std::to_string(requested), e)}, name);
        port["nodePort"] = requested;
        by_port[number] = requested;
      } else {
        auto next = next_port(op);
        if (!next) throw internal_error("failed to allocate a nodePort: range is full");
        port["nodePort"] = *next;
        by_port[number] = *next;
      }
    } else if (node_port != allocated) {
      if (node_port == 0) {
        port["nodePort"] = allocated;
      } else if (std::string e = take_port(static_cast<int>(node_port), op); !e.empty()) {
        throw_if({invalid_cause(field, std::to_string(node_port), e)}, name);
      }
    }
  }
}

// updateNodePorts (alloc.go): ports the Service already held stay; new ones are allocated.
void ServiceNetwork::update_node_ports(json::object& spec, const json::object& old_spec, Operation& op, const std::string& name) {
  json::array* ports = ports_of(spec);
  if (!ports) return;
  const bool allocate = should_allocate_node_ports(spec);
  std::set<std::int64_t> held;
  if (needs_node_port(old_spec))
    for (std::int64_t p : node_ports(old_spec)) held.insert(p);
  for (std::size_t i = 0; i < ports->size(); ++i) {
    if (!(*ports)[i].is_object()) continue;
    json::object& port = (*ports)[i].get_object();
    const std::int64_t node_port = num(port, "nodePort");
    if (node_port == 0 && !allocate) continue;
    if (node_port != 0) {
      if (held.contains(node_port) || op.ports.contains(static_cast<int>(node_port))) continue;
      if (std::string e = take_port(static_cast<int>(node_port), op); !e.empty())
        throw_if({invalid_cause("spec.ports[" + std::to_string(i) + "].nodePort", std::to_string(node_port), e)}, name);
    } else {
      auto next = next_port(op);
      if (!next) throw internal_error("failed to allocate a nodePort: range is full");
      port["nodePort"] = *next;
    }
  }
}

// allocHealthCheckNodePort: errors here are InternalErrors (500), as in alloc.go.
void ServiceNetwork::allocate_health_check_port(json::object& spec, Operation& op) {
  const std::int64_t requested = num(spec, "healthCheckNodePort");
  if (requested != 0) {
    if (std::string e = take_port(static_cast<int>(requested), op); !e.empty())
      throw internal_error("failed to allocate requested HealthCheck NodePort " + std::to_string(requested) + ": " + e);
    return;
  }
  auto next = next_port(op);
  if (!next) throw internal_error("failed to allocate a HealthCheck NodePort 0: range is full");
  spec["healthCheckNodePort"] = *next;
}

std::string ServiceNetwork::take_port(int port, Operation& op) const {
  if (!op.lenient) {
    if (port < port_min_ || port > port_max_)
      return "provided port is not in the valid range. The range of valid ports is " + ports_text_;
    if (port_use_[static_cast<std::size_t>(port - port_min_)] > 0 || op.ports.contains(port)) return "provided port is already allocated";
  }
  op.ports.insert(port);
  return {};
}

std::string ServiceNetwork::take_ip(std::uint32_t offset, Operation& op) const {
  if (!op.lenient) {
    auto it = ip_use_.find(offset);
    if ((it != ip_use_.end() && it->second > 0) || op.ips.contains(offset)) return "provided IP is already allocated";
  }
  op.ips.insert(offset);
  return {};
}

// randomScanStrategyWithOffset: a random start in the upper band, scanning up; then the lower band.
std::optional<std::uint32_t> ServiceNetwork::next_ip(Operation& op) {
  auto free = [&](std::uint32_t at) {
    auto it = ip_use_.find(at);
    return (it == ip_use_.end() || it->second == 0) && !op.ips.contains(at);
  };
  for (auto [lo, hi] : {std::pair{ip_offset_, ip_count_}, std::pair{std::uint32_t{0}, ip_offset_}}) {
    if (hi <= lo) continue;
    const std::uint32_t span = hi - lo, start = static_cast<std::uint32_t>(random_() % span);
    for (std::uint32_t i = 0; i < span; ++i) {
      const std::uint32_t at = lo + (start + i) % span;
      if (free(at)) {
        op.ips.insert(at);
        return at;
      }
    }
  }
  return std::nullopt;
}

std::optional<int> ServiceNetwork::next_port(Operation& op) {
  const int count = port_max_ - port_min_ + 1;
  for (auto [lo, hi] : {std::pair{port_offset_, count}, std::pair{0, port_offset_}}) {
    if (hi <= lo) continue;
    const int span = hi - lo, start = static_cast<int>(random_() % static_cast<unsigned>(span));
    for (int i = 0; i < span; ++i) {
      const int port = port_min_ + lo + (start + i) % span;
      if (port_use_[static_cast<std::size_t>(port - port_min_)] == 0 && !op.ports.contains(port)) {
        op.ports.insert(port);
        return port;
      }
    }
  }
  return std::nullopt;
}

ServiceNetwork::Holdings ServiceNetwork::holdings_of(const json::object& service) const {
  Holdings h;
  const json::object* spec = json::find_object(service, "spec");
  if (!spec) return h;
  std::vector<std::string> ips = strings(*spec, "clusterIPs");
  if (ips.empty() && !str(*spec, "clusterIP").empty()) ips.push_back(str(*spec, "clusterIP"));
  for (const std::string& text : ips)
    if (auto ip = parse_ipv4(text); ip && *ip >= base_ && *ip - base_ < ip_count_) h.ips.push_back(*ip - base_);
  std::vector<std::int64_t> ports = node_ports(*spec);
  ports.push_back(num(*spec, "healthCheckNodePort"));
  std::set<std::int64_t> distinct(ports.begin(), ports.end());  // ports sharing a nodePort hold it once
  for (std::int64_t p : distinct)
    if (p >= port_min_ && p <= port_max_) h.ports.push_back(static_cast<int>(p));
  return h;
}

void ServiceNetwork::observe(const std::string& key, const json::object* now) {
  if (auto it = owned_.find(key); it != owned_.end()) {
    for (std::uint32_t ip : it->second.ips)
      if (--ip_use_[ip] <= 0) ip_use_.erase(ip);
    for (int p : it->second.ports) --port_use_[static_cast<std::size_t>(p - port_min_)];
    owned_.erase(it);
  }
  if (!now) return;
  Holdings h = holdings_of(*now);
  for (std::uint32_t ip : h.ips) ++ip_use_[ip];
  for (int p : h.ports) ++port_use_[static_cast<std::size_t>(p - port_min_)];
  owned_.emplace(key, std::move(h));
}

}  // namespace vbackup::kubetest
