#include "kube_server/services.hpp"

#include "kube_server/go_values.hpp"
#include "kube_server/service_spec.hpp"
#include "vbackup/error.hpp"

#include <algorithm>
#include <charconv>

namespace vbackup::kubetest {

using namespace service_spec;

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
