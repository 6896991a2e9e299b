// Services as the API server's Service storage treats them (k8s.io/kubernetes
// pkg/registry/core/service/{strategy.go,storage/alloc.go}, pkg/apis/core/v1/defaults.go, v1.26):
// the v1 defaults, ipFamilies/ipFamilyPolicy, a clusterIP from the service CIDR and nodePorts from the
// node port range, held until the Service goes, with the real errors when an explicit one is taken.
//
// The order is the real server's: on create the allocation runs first (BeginCreate), before the
// object is validated and before its name is checked (velero-1.5.2 corpus, Surprise 3: a second
// restore of a Service with an explicit nodePort fails "provided port is already allocated", not
// "already exists"). On update, values allocated earlier are patched back in when the request leaves
// them out (patchAllocatedValues), so a resubmitted manifest or a merge patch that nulls clusterIP
// keeps them.
#pragma once

#include "kube_server/status.hpp"
#include "vbackup/json.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace vbackup::kubetest {

class ServiceNetwork {
 public:
  // cluster_ip_range: an IPv4 CIDR of at least /12 and at most /30 ("10.96.0.0/16",
  // --service-cluster-ip-range); node_port_range: "30000-32767" (--service-node-port-range).
  // Throws Error(invalid) naming the option.
  ServiceNetwork(const std::string& cluster_ip_range, const std::string& node_port_range);

  // A create: defaults, IP families, clusterIP(s), nodePorts and healthCheckNodePort. `lenient`
  // (seeding) takes explicit values without checking range or use. Throws StatusError: 422 Invalid
  // (a taken or out-of-range clusterIP or nodePort, inconsistent clusterIPs) or 500 (range full).
  // Nothing is held until observe() sees the stored object; a failed create holds nothing.
  void prepare_create(json::object& service, bool lenient);
  // An update (PUT or PATCH result; `old` as stored): defaults, values patched back, type-dependent
  // fields dropped, the clusterIP kept immutable, new nodePorts allocated. Throws StatusError.
  void prepare_update(json::object& service, const json::object& old);
  // ValidateService's spec checks that follow the allocation on create: ports required, nodePort
  // forbidden on ClusterIP Services, healthCheckNodePort only for LoadBalancer + Local.
  std::vector<Cause> validate(const json::object& service) const;

  // The allocations of the stored Service `key` ("<ns>/<name>") become those of `now` (nullptr:
  // deleted, everything released). Called for every change of the services table.
  void observe(const std::string& key, const json::object* now);

  const std::string& cluster_ip_range() const { return cidr_text_; }
  const std::string& node_port_range() const { return ports_text_; }

 private:
  struct Holdings {
    std::vector<std::uint32_t> ips;  // offsets from base_
    std::vector<int> ports;
  };
  // One allocation operation (a create or an update): what it took so far.
  struct Operation {
    std::set<std::uint32_t> ips;
    std::set<int> ports;
    bool lenient = false;
  };

  void init_ip_families(json::object& spec, const json::object* old_spec, const std::string& name) const;
  void allocate_cluster_ips(json::object& spec, Operation& op, const std::string& name);
  void init_node_ports(json::object& spec, Operation& op, const std::string& name);
  void update_node_ports(json::object& spec, const json::object& old_spec, Operation& op, const std::string& name);
  void allocate_health_check_port(json::object& spec, Operation& op);
  // An explicit nodePort: "" when taken by this operation, or the allocator's error text.
  std::string take_port(int port, Operation& op) const;
  std::string take_ip(std::uint32_t offset, Operation& op) const;
  std::optional<int> next_port(Operation& op);
  std::optional<std::uint32_t> next_ip(Operation& op);
  Holdings holdings_of(const json::object& service) const;

  std::string cidr_text_, ports_text_;
  std::uint32_t base_ = 0;       // the first usable address (network address + 1)
  std::uint32_t ip_count_ = 0;   // usable addresses (network and broadcast excluded)
  std::uint32_t ip_offset_ = 0;  // dynamic allocation prefers [ip_offset_, ip_count_) (ServiceIPStaticSubrange)
  int port_min_ = 30000, port_max_ = 32767, port_offset_ = 0;
  std::map<std::uint32_t, int> ip_use_;  // offset → holders
  std::vector<int> port_use_;            // port - port_min_ → holders
  std::map<std::string, Holdings, std::less<>> owned_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace vbackup::kubetest
