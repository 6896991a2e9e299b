// Messages and reasons follow k8s.io/apimachinery/pkg/api/errors (NewNotFound, NewAlreadyExists,
// NewConflict, NewInvalid, NewTooManyRequests, NewResourceExpired, ...).
#include "kube_server/status.hpp"

namespace vbackup::kubetest {

namespace {

json::object resource_details(const ResourceName& r, const std::string& name) {
  json::object d;
  if (!name.empty()) d["name"] = name;
  if (!r.group.empty()) d["group"] = r.group;
  if (!r.resource.empty()) d["kind"] = r.resource;
  return d;
}

}  // namespace

std::string StatusError::body() const {
  // Go field order of metav1.Status: kind, apiVersion, metadata, status, message, reason, details, code.
  json::object s;
  s["kind"] = "Status";
  s["apiVersion"] = "v1";
  s["metadata"] = list_meta_;
  s["status"] = "Failure";
  s["message"] = message_;
  s["reason"] = reason_;
  if (!details_.empty()) s["details"] = details_;
  s["code"] = code_;
  return json::marshal(s, {.sort_keys = false});
}

StatusError not_found(const ResourceName& r, const std::string& name) {
  StatusError e(404, "NotFound", r.qualified() + " \"" + name + "\" not found");
  e.details() = resource_details(r, name);
  return e;
}

StatusError path_not_found() {
  StatusError e(404, "NotFound", "the server could not find the requested resource");
  e.details() = json::object{};
  return e;
}

StatusError already_exists(const ResourceName& r, const std::string& name) {
  StatusError e(409, "AlreadyExists", r.qualified() + " \"" + name + "\" already exists");
  e.details() = resource_details(r, name);
  return e;
}

StatusError conflict(const ResourceName& r, const std::string& name, const std::string& why) {
  StatusError e(409, "Conflict", "Operation cannot be fulfilled on " + r.qualified() + " \"" + name + "\": " + why);
  e.details() = resource_details(r, name);
  return e;
}

StatusError invalid(const std::string& group, const std::string& kind, const std::string& name,
                    const std::vector<Cause>& causes) {
  // errors.NewInvalid: qualifiedKind.String() is "Kind.group" ("Job.batch") outside the core group.
  std::string message = (group.empty() ? kind : kind + "." + group) + " \"" + name + "\" is invalid: ";
  auto text = [](const Cause& c) { return c.field.empty() ? c.message : c.field + ": " + c.message; };
  if (causes.size() == 1) {
    message += text(causes.front());
  } else {
    message += "[";
    for (std::size_t i = 0; i < causes.size(); ++i) message += (i ? ", " : "") + text(causes[i]);
    message += "]";
  }
  StatusError e(422, "Invalid", message);
  json::object d;
  d["name"] = name;
  if (!group.empty()) d["group"] = group;
  d["kind"] = kind;
  json::array list;
  for (const Cause& c : causes) list.push_back(json::object{{"reason", c.reason}, {"message", c.message}, {"field", c.field}});
  d["causes"] = std::move(list);
  e.details() = std::move(d);
  return e;
}

StatusError bad_request(const std::string& message) { return StatusError(400, "BadRequest", message); }

StatusError forbidden(const std::string& message, const ResourceName& r, const std::string& name) {
  StatusError e(403, "Forbidden", message);
  e.details() = resource_details(r, name);
  return e;
}

StatusError unauthorized() { return StatusError(401, "Unauthorized", "Unauthorized"); }

StatusError method_not_allowed() {
  StatusError e(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  e.details() = json::object{};
  return e;
}

StatusError unsupported_media_type(const std::string& content_type, const std::string& accepted) {
  return StatusError(415, "UnsupportedMediaType",
                     "the body of the request was in an unknown format - accepted media types include: " + accepted +
                         (content_type.empty() ? std::string() : " (got \"" + content_type + "\")"));
}

StatusError too_many_requests(int retry_after_seconds) {
  StatusError e(429, "TooManyRequests", "Too many requests, please try again later.");
  e.details() = json::object{{"retryAfterSeconds", retry_after_seconds}};
  e.headers().emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return e;
}

StatusError internal_error(const std::string& message) {
  StatusError e(500, "InternalError", "Internal error occurred: " + message);
  e.details() = json::object{{"causes", json::array{json::object{{"message", message}}}}};
  return e;
}

StatusError service_unavailable(const std::string& message) {
  return StatusError(503, "ServiceUnavailable", message);
}

StatusError request_entity_too_large(std::size_t limit) {
  return StatusError(413, "RequestEntityTooLarge", "Request entity too large: limit is " + std::to_string(limit));
}

StatusError expired_continue(const std::string& inconsistent_continue) {
  StatusError e(410, "Expired",
                "The provided continue parameter is too old to display a consistent list result. You can start a "
                "new list without the continue parameter, or use the continue token in this response to retrieve "
                "the remainder of the results. Continuing with the provided token results in an inconsistent list "
                "- objects that were created, modified, or deleted between the time the first chunk was returned "
                "and now may show up in the list.");
  if (!inconsistent_continue.empty()) e.list_meta()["continue"] = inconsistent_continue;
  return e;
}

StatusError expired_watch(std::uint64_t requested, std::uint64_t oldest) {
  return StatusError(410, "Expired", "too old resource version: " + std::to_string(requested) + " (" +
                                         std::to_string(oldest) + ")");
}

StatusError generic_failure(int code, const std::string& message) {
  switch (code) {
    case 500: return internal_error(message);
    case 503: return service_unavailable(message);
    case 403: return forbidden(message);
    default: break;
  }
  return StatusError(code, code >= 500 ? "InternalError" : "BadRequest", message);
}

}  // namespace vbackup::kubetest
