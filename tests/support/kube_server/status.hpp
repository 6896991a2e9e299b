// Kubernetes `Status` failures (k8s.io/apimachinery/pkg/api/errors): the HTTP code, reason, message and
// details a real API server sends, thrown by the request handlers and turned into the response body.
#pragma once

#include "vbackup/json.hpp"

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace vbackup::kubetest {

// What a resource is called in messages and details: the group and the plural ("deployments.apps").
struct ResourceName {
  std::string group, resource;
  std::string qualified() const { return group.empty() ? resource : resource + "." + group; }
};

// A field problem of an Invalid error (metav1.StatusCause).
struct Cause {
  std::string reason;  // "FieldValueInvalid", "FieldValueRequired", ...
  std::string message;  // "Invalid value: \"X\": ..." (without the field)
  std::string field;    // "metadata.name"
};

class StatusError : public std::exception {
 public:
  StatusError(int code, std::string reason, std::string message)
      : code_(code), reason_(std::move(reason)), message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

  int code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const std::string& message() const { return message_; }
  json::object& details() { return details_; }
  const json::object& details() const { return details_; }
  json::object& list_meta() { return list_meta_; }  // Status.metadata (an inconsistent continue token)
  std::vector<std::pair<std::string, std::string>>& headers() { return headers_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

  // The Status object, serialized as the server does (kind, apiVersion, metadata, status, ...).
  std::string body() const;

 private:
  int code_;
  std::string reason_, message_;
  json::object details_, list_meta_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// `configmaps "x" not found` (404 NotFound); `deployments.apps "x" not found` for a group.
StatusError not_found(const ResourceName& r, const std::string& name);
// `the server could not find the requested resource` (404, unknown path).
StatusError path_not_found();
StatusError already_exists(const ResourceName& r, const std::string& name);             // 409
// `Operation cannot be fulfilled on configmaps "x": <why>` (409 Conflict).
StatusError conflict(const ResourceName& r, const std::string& name, const std::string& why);
// `ConfigMap "x" is invalid: <field>: <message>` (422 Invalid) with one cause per problem; outside the
// core group the kind is qualified (`Job.batch "x" is invalid: ...`).
StatusError invalid(const std::string& group, const std::string& kind, const std::string& name,
                    const std::vector<Cause>& causes);
StatusError bad_request(const std::string& message);                                     // 400
StatusError forbidden(const std::string& message, const ResourceName& r = {}, const std::string& name = {});  // 403
StatusError unauthorized();                                                              // 401
StatusError method_not_allowed();                                                        // 405
// 415: `accepted` lists the media types the request could have used.
StatusError unsupported_media_type(const std::string& content_type, const std::string& accepted);
StatusError too_many_requests(int retry_after_seconds);                                  // 429 + Retry-After
StatusError internal_error(const std::string& message);                                  // 500
StatusError service_unavailable(const std::string& message);                             // 503
StatusError request_entity_too_large(std::size_t limit);                                 // 413
// 410 Gone, reason Expired: the continue token is too old (`inconsistent_continue` goes in metadata).
StatusError expired_continue(const std::string& inconsistent_continue);
StatusError expired_watch(std::uint64_t requested, std::uint64_t oldest);                // 410 Gone
// Any other code with a Status body (fault injection: 500, 502, 503, ...).
StatusError generic_failure(int code, const std::string& message);

}  // namespace vbackup::kubetest
