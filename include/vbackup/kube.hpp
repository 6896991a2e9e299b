// The Kubernetes API client: kubeconfig and in-cluster configuration (client-go's clientcmd and
// rest.InClusterConfig), authentication (tokens, client certificates, basic auth, exec credential
// plugins), typed errors from Status bodies, client-side rate limits, paged LIST, CRUD and
// discovery. Nothing of Beast or Asio here: the transport is the project's HTTP client, behind a pimpl.
//
// Secrets (tokens, passwords, keys, plugin output) live in these structs in memory but never appear
// in an error message or a log line.
#pragma once

#include "vbackup/discovery.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vbackup {

// What a LIST asks for (client-go's ListOptions, as the backup and restore use it).
struct ListOptions {
  std::string namespace_;       // "" = all namespaces (or a cluster-scoped resource)
  std::string label_selector;   // Kubernetes selector string, evaluated by the server
  std::size_t page_size = 500;  // Velero's --client-page-size
};

// GET /version.
struct ServerVersion {
  std::string git_version;  // "v1.33.1"
  std::string major, minor;
};

}  // namespace vbackup

namespace vbackup::kube {

// ---------------------------------------------------------------------------------------------
// kubeconfig (clientcmd/api/v1), as read from one or more files and merged

// users[].user.exec: a client.authentication.k8s.io exec credential plugin.
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or /v1beta1
  std::string command;      // resolved against the kubeconfig's folder when it contains a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string install_hint;
  bool provide_cluster_info = false;
  std::string interactive_mode;  // Never, IfAvailable (the default), Always
};

struct Cluster {
  std::string server;
  std::string certificate_authority;       // a file (absolute after loading)
  std::string certificate_authority_data;  // PEM (base64-decoded from the file)
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string proxy_url;
  bool disable_compression = false;
  std::filesystem::path origin;  // the file this entry came from
};

struct AuthInfo {
  std::string token, token_file;
  std::string client_certificate, client_key;            // files (absolute after loading)
  std::string client_certificate_data, client_key_data;  // PEM
  std::string username, password;
  std::optional<ExecConfig> exec;
  std::string auth_provider;  // auth-provider.name; set means an unsupported auth-provider plugin
  std::string impersonate, impersonate_uid;
  std::vector<std::string> impersonate_groups;
  std::map<std::string, std::vector<std::string>> impersonate_extra;
  std::filesystem::path origin;
};

struct Context {
  std::string cluster, user, namespace_;
  std::filesystem::path origin;
};

struct Kubeconfig {
  std::map<std::string, Cluster> clusters;
  std::map<std::string, AuthInfo> users;
  std::map<std::string, Context> contexts;
  std::string current_context;
  std::vector<std::filesystem::path> files;  // the files read, in order

  // One kubeconfig document. Relative file references (certificate-authority, client-certificate,
  // client-key, tokenFile, an exec command containing '/') are resolved against file's folder, as
  // client-go does. Errors are Error(invalid) naming the file and the key path, e.g.
  // `kubeconfig /root/.kube/config: clusters[0] ("prod").cluster.certificate-authority-data: invalid base64`.
  // Reads no file: safe on untrusted text (the fuzz target calls it).
  static Kubeconfig parse(std::string_view yaml, const std::filesystem::path& file);

  // kubectl's merge of several files ($KUBECONFIG): missing and empty names are skipped; the first
  // file to set a map key (a cluster, user or context name) wins, and the whole entry comes from it;
  // the first file to set current-context wins. Unreadable or malformed files are errors.
  static Kubeconfig merge(const std::vector<std::filesystem::path>& files);
};

// The kubeconfig files kubectl reads when --kubeconfig is not given: $KUBECONFIG split on ':' (empty
// entries dropped), else ~/.kube/config ($HOME).
std::vector<std::filesystem::path> default_kubeconfig_files();

// ---------------------------------------------------------------------------------------------
// What a client needs to reach one API server (rest.Config)

// The request timeout when none is given (RestConfig::timeout, and object stores' requestTimeout):
// a healthy API server answers an ordinary request within its own one-minute limit.
inline constexpr std::chrono::milliseconds default_request_timeout{60000};

// kubectl's --request-timeout value: "0" (no limit), a number of seconds ("30"), or a Go duration
// with its unit ("30s", "1m", "1m30s"). Error(invalid) naming `what` for anything else, as kubectl:
// "Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a
// corresponding time unit (e.g. 1s | 2m | 3h)".
std::chrono::milliseconds parse_request_timeout(std::string_view text, std::string_view what = "--request-timeout");

struct RestConfig {
  std::string server;  // "https://10.0.0.1:6443", possibly with a path prefix
  std::string namespace_ = "default";  // the context's namespace
  std::string context;                 // the context used ("" for in-cluster)
  // Where it came from, for messages: `kubeconfig /root/.kube/config, context "kind"` or
  // `in-cluster service account /var/run/secrets/kubernetes.io/serviceaccount`.
  std::string source;

  // TLS
  bool insecure_skip_tls_verify = false;
  std::string ca_pem;   // inline CA (certificate-authority-data)
  std::string ca_file;  // or a CA file
  std::string ca_origin;  // "file /x/ca.crt", "certificate-authority-data of cluster \"c\" in /x/config", …
  std::string tls_server_name;
  std::string client_cert_pem, client_key_pem;

  // Authentication (at most one of token / basic; a client certificate may come with either)
  std::string bearer_token;
  std::string bearer_token_file;  // re-read every minute, as client-go does (rotated SA tokens)
  std::string username, password;
  std::optional<ExecConfig> exec;
  std::string exec_cluster_name;  // for messages about the plugin
  std::string impersonate, impersonate_uid;
  std::vector<std::string> impersonate_groups;
  std::map<std::string, std::vector<std::string>> impersonate_extra;

  // Limits (Velero's --client-qps, --client-burst defaults) and transport
  double qps = 100;
  int burst = 100;
  std::size_t max_in_flight = 16;
  // kubectl's --request-timeout (rest.Config.Timeout): the longest one request may wait for the API
  // server, its retries included; then it fails naming the server. Time while a body is moving does
  // not count. 0: no limit (each wait still ends after a minute without a byte, and a request after
  // 5 attempts).
  std::chrono::milliseconds timeout = default_request_timeout;
  bool disable_compression = false;
  std::string user_agent;  // "" = "libvbackup/<version>"
  // Every retry and failed attempt of the HTTP layer (URLs and reasons, never headers), and how
  // discovery was read ("kube: discovery …: aggregated …" or "… legacy …"); may be empty.
  std::function<void(std::string_view line)> log;
  // A line for the user, once per request, when a request has waited 5 s without an answer:
  // "waiting for the Kubernetes API server https://10.0.0.1:6443: no answer for 5s (request timeout
  // 1m0s)". Called on the requesting thread; may be empty.
  std::function<void(std::string_view line)> notice;
};

// clientcmd DirectClientConfig.ClientConfig() for one context of a merged kubeconfig: the context
// ("" = current-context), its cluster and user, validated as client-go validates them; files named
// by the entries are read (CA, client certificate and key, token file). Error(invalid) names the
// kubeconfig file and the problem; an auth-provider or proxy-url gives Error(unsupported).
RestConfig rest_config(const Kubeconfig& config, std::string_view context = {});

// rest.InClusterConfig(): https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, the
// service-account token (re-read as it rotates) and CA from `root`, the namespace from root/namespace.
inline constexpr std::string_view service_account_root = "/var/run/secrets/kubernetes.io/serviceaccount";
RestConfig in_cluster_config(const std::filesystem::path& root = service_account_root);

// The CLI's and the C API's connection options.
struct ConnectOptions {
  std::string kubeconfig;  // an explicit file (--kubeconfig): read alone, must exist
  std::string context;     // --kubecontext; "" = the current context
  // With no kubeconfig file found (no --kubeconfig, $KUBECONFIG names nothing that exists, no
  // ~/.kube/config) and KUBERNETES_SERVICE_HOST set, use the in-cluster configuration, as client-go's
  // deferred loading does.
  bool allow_in_cluster = true;
  std::filesystem::path in_cluster_root = service_account_root;
  std::optional<std::chrono::milliseconds> request_timeout;  // RestConfig::timeout; nullopt: the default
  std::function<void(std::string_view line)> notice;          // RestConfig::notice
};
RestConfig load_rest_config(const ConnectOptions& options = {});

// ---------------------------------------------------------------------------------------------
// Errors: a Kubernetes Status (or an HTTP error without one) as a typed error

enum class Reason {
  unknown,
  unauthorized,          // 401
  forbidden,             // 403
  not_found,             // 404        → ErrorCode::not_found
  already_exists,        // 409        → ErrorCode::already_exists
  conflict,              // 409 (resourceVersion mismatch)
  gone,                  // 410
  expired,               // 410 (an expired continue token or resourceVersion)
  invalid,               // 422, with causes
  bad_request,           // 400
  method_not_allowed,    // 405
  not_acceptable,        // 406
  request_entity_too_large,  // 413
  unsupported_media_type,    // 415
  too_many_requests,     // 429, with Retry-After
  internal_error,        // 500
  service_unavailable,   // 503
  timeout,               // 504 or reason Timeout
  server_timeout,
};

// metav1.StatusCause
struct StatusCause {
  std::string type, message, field;
};

// A failed API call throws this (a vbackup::Error with code kube, not_found or already_exists):
// what() is `<VERB> <url>: <HTTP code> <Reason>: <Status message>`, or, when no answer arrived
// (http_status() 0), `cannot reach the Kubernetes API server <url> (<source>): <cause>` plus, for a
// TLS failure, which CA the server certificate was checked against. Never a header or a secret.
// Problems met before a request goes out (an exec plugin that fails) and answers that are not the
// JSON expected throw a plain Error(kube).
class KubeError : public Error {
 public:
  KubeError(ErrorCode code, const std::string& message, int http_status, Reason reason, std::string reason_text,
            std::vector<StatusCause> causes = {}, std::optional<std::chrono::seconds> retry_after = {})
      : Error(code, message), reason_(reason), reason_text_(std::move(reason_text)), causes_(std::move(causes)),
        retry_after_(retry_after) {
    with_http(http_status, reason_text_);  // Error::http_status(): 0 when no response arrived
  }
  Reason reason() const noexcept { return reason_; }
  const std::string& reason_text() const noexcept { return reason_text_; }  // Status.reason as sent
  const std::vector<StatusCause>& causes() const noexcept { return causes_; }
  std::optional<std::chrono::seconds> retry_after() const noexcept { return retry_after_; }
  // The Status message alone, as client-go's error prints it ("Service \"web\" is invalid: …"), for
  // records that quote the API server as Velero does; what() when there was no Status.
  std::string status_message() const { return status_message_.empty() ? std::string(what()) : status_message_; }
  void set_status_message(std::string m) { status_message_ = std::move(m); }

 private:
  std::string status_message_;
  Reason reason_;
  std::string reason_text_;
  std::vector<StatusCause> causes_;
  std::optional<std::chrono::seconds> retry_after_;
};

// "NotFound", "AlreadyExists", … (metav1.StatusReason), "" for unknown.
std::string_view to_string(Reason reason) noexcept;

// ---------------------------------------------------------------------------------------------
// The client

enum class PatchType {
  merge,  // application/merge-patch+json (RFC 7386)
  json,   // application/json-patch+json (RFC 6902)
};
// The Content-Type a PATCH of this type is sent with.
std::string_view content_type(PatchType type) noexcept;

struct DeleteOptions {
  std::string propagation_policy;  // "", "Foreground", "Background", "Orphan"
  std::optional<std::int64_t> grace_period_seconds;
};

struct RawResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

// A WATCH request (client-go's ListOptions with Watch: true).
struct WatchOptions {
  std::string namespace_;        // "" = all namespaces (or a cluster-scoped resource)
  std::string label_selector;
  std::string resource_version;  // events after this one; "" = the current state as ADDED events first
  bool allow_watch_bookmarks = true;
  // timeoutSeconds: the API server ends the watch after this long (client-go's reflector asks
  // 5-10 minutes); a caller that wants to stop waits at most this long for a blocked watch. A
  // watch also ends when no byte arrived within the client's read timeout (at most a minute).
  std::chrono::seconds timeout{60};
};

// One event of a watch stream: ADDED, MODIFIED, DELETED or BOOKMARK (only metadata.resourceVersion
// is meaningful). ERROR events are not delivered: they are thrown (see KubeClient::watch).
struct WatchEvent {
  std::string type;
  json::object object;
};

// Thread-safe: one client serves the whole backup or restore. Every request is paced by the
// client-side token bucket (qps/burst), at most max_in_flight run at once, 429/5xx answers are
// retried by the HTTP layer honouring Retry-After, and a 401 with an exec credential runs the plugin
// once more and repeats the request once.
class KubeClient {
 public:
  explicit KubeClient(RestConfig config);
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  const RestConfig& config() const;

  // GET /version.
  ServerVersion version();

  // Discovery (/api, /api/v1, /apis, each /apis/<g>/<v>), fetched on first use and cached;
  // refresh_discovery() fetches it again (after creating a CRD). Group versions that fail (an
  // unavailable aggregated API) are left empty and reported in discovery_warnings(), as Velero logs
  // and skips them.
  const Discovery& discovery();
  const Discovery& refresh_discovery();
  std::vector<std::string> discovery_warnings();

  // The URL path of a resource ("/apis/apps/v1/namespaces/ns/deployments/name"); ns is ignored for
  // cluster-scoped resources, name may be empty (the collection).
  static std::string path(const ApiResource& resource, std::string_view ns, std::string_view name = {});

  // Paged LIST: limit = options.page_size (0 = unpaged), continue tokens followed, labelSelector sent
  // to the server. Items are passed one by one as each page arrives, with apiVersion and kind set
  // (the server leaves them out of typed lists; client-go's unstructured decoding fills them in).
  // When a continue token expires (410 Expired) the list restarts from scratch and items up to the
  // last one delivered are skipped: an API server returns items in storage-key order
  // (namespace/name), so the caller never sees an object twice. If the server's order was not
  // increasing, the restart cannot be made duplicate-free and the 410 is thrown instead. At most 3
  // restarts. Returns the resourceVersion of the (last) list.
  std::string list(const ApiResource& resource, const ListOptions& options,
                   const std::function<void(json::object&&)>& on_item);
  // How many objects list() would return, from one LIST with limit=1 (the items plus the server's
  // metadata.remainingItemCount); nullopt when the server does not say (with a label selector, an
  // API server leaves the count out).
  std::optional<std::int64_t> count(const ApiResource& resource, const ListOptions& options);

  json::object get(const ApiResource& resource, std::string_view ns, std::string_view name);
  std::optional<json::object> try_get(const ApiResource& resource, std::string_view ns, std::string_view name);
  // POST to the collection of object's namespace (ns overrides when not empty).
  json::object create(const ApiResource& resource, const json::object& object, std::string_view ns = {});
  // PUT to the object's own path (metadata.name, metadata.namespace or ns).
  json::object update(const ApiResource& resource, const json::object& object, std::string_view ns = {});
  json::object patch(const ApiResource& resource, std::string_view ns, std::string_view name, PatchType type,
                     std::string_view patch);
  // DELETE; returns what the server answered (the object, or a Status).
  json::object remove(const ApiResource& resource, std::string_view ns, std::string_view name,
                      const DeleteOptions& options = {});

  // Any request, for what the helpers do not cover. `path_and_query` starts with '/'. Non-2xx
  // statuses throw KubeError unless return_errors is true.
  RawResponse request(std::string_view method, std::string_view path_and_query, std::string body = {},
                      std::string_view content_type = {}, bool return_errors = false);

  // WATCH: streams the chunked JSON event lines of resource until the server ends the watch (its
  // timeout, or the connection drops: returns true) or on_event returns false (returns false).
  // Objects come with apiVersion and kind. An ERROR event is thrown as KubeError from its Status:
  // code 410 (reason Expired or Gone) means the resourceVersion is too old, and the caller lists
  // again (client-go's reflector relists). A failure before the stream starts throws as request()
  // does; a stream cut while reading just ends the watch (the caller resumes from the last
  // resourceVersion it saw).
  bool watch(const ApiResource& resource, const WatchOptions& options,
             const std::function<bool(WatchEvent&&)>& on_event);

  // Number of times the exec plugin ran (for tests and logs).
  int exec_runs() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Polls the CustomResourceDefinition `name` until it is ready for custom resources (Velero's
// IsCRDReady: Established and NamesAccepted True) and refreshed discovery serves it. Every 10 ms
// for the first second (a CRD is usually ready within a few hundred ms), then backing off to once a
// second. Returns "" when ready, else what it saw last when `timeout` ran out ("not found", "not
// Established", "Established but not yet in discovery"); a failing GET throws as KubeClient does.
std::string wait_for_crd(KubeClient& client, std::string_view name, std::chrono::milliseconds timeout);

// The same, throwing Error(kube) naming the CRD, the server and what it saw when `timeout` runs out
// (install and tests).
void wait_for_crd_established(KubeClient& client, std::string_view name,
                              std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace vbackup::kube
