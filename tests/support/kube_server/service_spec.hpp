// The Service spec rules of the API server that need no allocator (pkg/apis/core/v1/defaults.go,
// pkg/apis/core/validation, pkg/registry/core/service/strategy.go, v1.26), and the JSON helpers
// services.cpp shares with them.
#pragma once

#include "kube_server/status.hpp"
#include "vbackup/json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::kubetest::service_spec {

// JSON helpers: a member object (made when missing), a string, an integer (0 when absent), a
// non-null member, a string array; IPv4 text and numbers.
json::object& child(json::object& o, std::string_view key);
std::string str(const json::object& o, std::string_view key);
std::int64_t num(const json::object& o, std::string_view key);
bool has_value(const json::object& o, std::string_view key);
std::vector<std::string> strings(const json::object& o, std::string_view key);
void set_strings(json::object& o, std::string_view key, const std::vector<std::string>& v);
std::optional<std::uint32_t> parse_ipv4(const std::string& text);
bool is_ipv6(const std::string& text);
std::string format_ipv4(std::uint32_t ip);
json::array* ports_of(json::object& spec);  // spec.ports, or null (a null member is removed)
// The type helpers of strategy.go / alloc.go.
bool needs_cluster_ip(const json::object& spec);
bool needs_node_port(const json::object& spec);
bool needs_health_check(const json::object& spec);
bool should_allocate_node_ports(const json::object& spec);
bool is_headless(const json::object& spec);
std::vector<std::int64_t> node_ports(const json::object& spec);  // per port, 0 when unset
// SetDefaults_Service, applied when a request body is decoded.
void set_defaults(json::object& spec);
// ValidateServiceClusterIPsRelatedFields, the part a single-stack cluster can tell apart.
std::vector<Cause> validate_cluster_ips(const json::object& spec);
// validateUpgradeDowngradeClusterIPs: the primary clusterIP never changes.
std::vector<Cause> validate_cluster_ip_update(const json::object& spec, const json::object& old_spec);
// 422 Invalid for Service `name` when there are causes.
void throw_if(const std::vector<Cause>& causes, const std::string& name);
// patchAllocatedValues: what the server allocated stays when an update leaves it out.
void patch_allocated_values(json::object& spec, const json::object& old_spec);
// NormalizeClusterIPs: clusterIP and clusterIPs in step (old_spec null on create).
void normalize_cluster_ips(json::object& spec, const json::object* old_spec);
// dropTypeDependentFields: fields the old type needed go with it when left unchanged.
void drop_type_dependent_fields(json::object& spec, const json::object& old_spec);

}  // namespace vbackup::kubetest::service_spec
