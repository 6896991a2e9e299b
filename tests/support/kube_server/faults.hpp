// Fault switches of the test API server, set at start (--faults) or at runtime (POST /__control):
//
//   {"throttle":       {"count": 3, "retryAfterSeconds": 2, "resource": "configmaps", "verb": "list"},
//    "fail":           {"count": 2, "code": 500, "resource": "deployments.apps"},
//    "delay":          {"milliseconds": 300, "count": 10, "resource": "secrets"},
//    "expireContinue": {"count": 1, "resource": "configmaps"},
//    "unreadable":     [{"resource": "secrets", "code": 403}],
//    "connectionReset": {"count": 1, "after": "headers", "resource": "configmaps", "verb": "list"}}
//
// throttle answers 429 TooManyRequests with Retry-After, fail answers `code` (500 by default),
// delay holds the answer back, expireContinue answers 410 Expired to LIST requests that carry a
// continue token; each for the next `count` matching requests (-1 = until cleared; delay defaults
// to -1, the others to 1). unreadable answers every request for those resources with 403 Forbidden
// or 500. connectionReset closes the connection with a TCP reset part-way through the answer:
// after its headers ("after": "headers", the default) or half-way through its body ("body"), as
// a load balancer or a dying API server does. `resource` (group-resource as Velero writes it: "configmaps", "deployments.apps") and
// `verb` ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection") narrow
// a switch; `"discovery": true` lets throttle, fail and delay also hit discovery and OpenAPI
// requests. A key set to null clears its switch; {"reset": true} clears them all.
#pragma once

#include "kube_server/status.hpp"
#include "vbackup/json.hpp"

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace vbackup::kubetest {

struct FaultTarget {
  std::string verb;      // "" for discovery and OpenAPI requests
  ResourceName resource;  // empty resource for discovery
  bool has_continue = false;
};

// Where a connectionReset cuts the answer.
enum class ResetPoint { none, after_headers, mid_body };

struct FaultDecision {
  std::optional<StatusError> error;
  std::chrono::milliseconds delay{0};
  ResetPoint reset = ResetPoint::none;
};

class Faults {
 public:
  // Applies a control request's fault keys (unknown keys are the caller's); throws Error(invalid)
  // naming the key for a malformed switch.
  void configure(const json::object& request);
  void reset();
  json::object state() const;
  // Decides the fate of one request and counts it against the switches it matches.
  FaultDecision check(const FaultTarget& target);

 private:
  struct Rule {
    int count = 0;  // remaining; -1 = unlimited
    std::string resource, verb;
    bool discovery = false;
    int code = 500, retry_after = 1;
    std::chrono::milliseconds delay{0};
    ResetPoint after = ResetPoint::after_headers;  // connectionReset
    bool matches(const FaultTarget& t) const;
    bool take();  // consumes one use; false when exhausted
    json::object to_json() const;
  };
  static Rule parse_rule(const json::value& v, const char* key, int default_count);

  mutable std::mutex mutex_;
  std::optional<Rule> throttle_, fail_, delay_, expire_, reset_;
  std::vector<Rule> unreadable_;
};

}  // namespace vbackup::kubetest
