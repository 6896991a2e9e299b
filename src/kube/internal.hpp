// Pieces of the Kubernetes client that need no network, exposed to the client and to the tests:
// exec credential plugins, the rate limiter, Status → KubeError, discovery documents.
#pragma once

#include "vbackup/discovery.hpp"
#include "vbackup/json.hpp"
#include "vbackup/kube.hpp"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::kube {

// A local file of at most `limit` bytes; errors name `what` and the path.
std::string read_small_file(const std::filesystem::path& path, std::string_view what, std::size_t limit);

// ---- exec credential plugins (client-go plugin/pkg/client/auth/exec)

struct ExecCredential {
  std::string token;
  std::string client_cert_pem, client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expiry;  // none = valid until a 401
  bool valid_at(std::chrono::system_clock::time_point now) const { return !expiry || now < *expiry; }
};

// The KUBERNETES_EXEC_INFO value: an ExecCredential with spec.interactive false and, with
// provideClusterInfo, spec.cluster built from the connection (server, tls-server-name,
// insecure-skip-tls-verify, certificate-authority-data).
std::string exec_info_json(const ExecConfig& exec, const RestConfig& config);

// Decodes and validates the plugin's stdout as client-go does (apiVersion must match the configured
// one; a status with a token or a certificate and key pair). `what` names the plugin in errors;
// never quotes the output.
ExecCredential parse_exec_credential(std::string_view output, const ExecConfig& exec, std::string_view what);

// Runs the plugin (no stdin, our environment plus exec.env plus KUBERNETES_EXEC_INFO), waits at most
// `timeout`, and parses its output. Error(kube) naming the command on failure, with the install hint
// when the command is missing and the end of its stderr when it fails.
ExecCredential run_exec_plugin(const ExecConfig& exec, const RestConfig& config, std::chrono::milliseconds timeout);

// ---- rate limiting (client-go flowcontrol token bucket and a bound on requests in flight)

// golang.org/x/time/rate semantics: starts full with `burst` tokens, refills at `qps` per second;
// reserve() takes a token now and returns how long the caller must wait before using it (tokens may
// go negative, so waiters queue in order). qps <= 0 disables the limit.
class TokenBucket {
 public:
  using clock = std::chrono::steady_clock;
  TokenBucket(double qps, int burst, clock::time_point now = clock::now());
  clock::duration reserve(clock::time_point now);
  void acquire();  // reserve(now) and sleep for it

 private:
  std::mutex mutex_;
  double qps_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

class InFlightLimit {
 public:
  explicit InFlightLimit(std::size_t max) : max_(max == 0 ? 1 : max) {}
  class Slot {
   public:
    explicit Slot(InFlightLimit& l) : l_(&l) { l_->enter(); }
    ~Slot() { l_->leave(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    InFlightLimit* l_;
  };
  std::size_t in_flight() const;
  std::size_t peak() const;

 private:
  void enter();
  void leave();
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t max_, current_ = 0, peak_ = 0;
};

// ---- Status → KubeError (k8s.io/apimachinery/pkg/api/errors)

// The error for a non-2xx answer. `request` names it ("GET https://h/api/v1/…"); `body` is decoded
// as a metav1.Status when it is one, else summarised; retry_after_header is the Retry-After value.
KubeError error_from_response(std::string_view request, int http_status, std::string_view body,
                              std::string_view retry_after_header);
Reason reason_from(std::string_view reason_text, int http_status);

// ---- discovery documents (legacy discovery: /api, /apis, /api/v1, /apis/<g>/<v>)

std::vector<std::string> parse_api_versions(const json::value& doc, std::string_view what);  // APIVersions
std::vector<ApiGroup> parse_api_group_list(const json::value& doc, std::string_view what);   // APIGroupList
std::vector<ApiResource> parse_api_resource_list(const json::value& doc, std::string_view what);

// Aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList, one document for /api and
// one for /apis), converted as client-go's aggregated_discovery.go does: the first version is the
// preferred one; subresources become "<plural>/<sub>" entries after their resource; entries without
// a responseKind are skipped; a version whose freshness is Stale is left out with a warning.
struct AggregatedGroup {
  ApiGroup group;
  std::vector<std::pair<std::string, std::vector<ApiResource>>> versions;  // version → resources
};
std::vector<AggregatedGroup> parse_aggregated_discovery(const json::value& doc, std::string_view what,
                                                        std::vector<std::string>& warnings);

}  // namespace vbackup::kube
