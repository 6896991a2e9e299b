// Kubernetes Status bodies as typed errors (k8s.io/apimachinery/pkg/api/errors): the reason the
// server gave, or, when it gave none or the body is not a Status, the one its HTTP code implies
// (errors.NewGenericServerResponse), with the same default messages.
#include "kube/internal.hpp"
#include "vbackup/error.hpp"

#include <charconv>

namespace vbackup::kube {
namespace {

struct ReasonName {
  Reason reason;
  std::string_view text;
};
constexpr ReasonName kReasons[] = {
    {Reason::unauthorized, "Unauthorized"},
    {Reason::forbidden, "Forbidden"},
    {Reason::not_found, "NotFound"},
    {Reason::already_exists, "AlreadyExists"},
    {Reason::conflict, "Conflict"},
    {Reason::gone, "Gone"},
    {Reason::expired, "Expired"},
    {Reason::invalid, "Invalid"},
    {Reason::bad_request, "BadRequest"},
    {Reason::method_not_allowed, "MethodNotAllowed"},
    {Reason::not_acceptable, "NotAcceptable"},
    {Reason::request_entity_too_large, "RequestEntityTooLarge"},
    {Reason::unsupported_media_type, "UnsupportedMediaType"},
    {Reason::too_many_requests, "TooManyRequests"},
    {Reason::internal_error, "InternalError"},
    {Reason::service_unavailable, "ServiceUnavailable"},
    {Reason::timeout, "Timeout"},
    {Reason::server_timeout, "ServerTimeout"},
};

// What NewGenericServerResponse says for a code when the body is not a Status.
std::pair<Reason, std::string_view> generic_for(int code) {
  switch (code) {
    case 400: return {Reason::bad_request, "the server rejected our request for an unknown reason"};
    case 401: return {Reason::unauthorized, "the server has asked for the client to provide credentials"};
    case 403: return {Reason::forbidden, "the server does not allow access to the requested resource"};
    case 404: return {Reason::not_found, "the server could not find the requested resource"};
    case 405: return {Reason::method_not_allowed, "the server does not allow this method on the requested resource"};
    case 406: return {Reason::not_acceptable, "the server was unable to respond with a content type that the client supports"};
    case 409: return {Reason::conflict, "the server reported a conflict"};
    case 410: return {Reason::gone, "the server has asked us to try again later"};
    case 413: return {Reason::request_entity_too_large, "the server has rejected the request because it is too large"};
    case 415: return {Reason::unsupported_media_type, "the server was unable to respond with a content type that the client supports"};
    case 422: return {Reason::invalid, "the server rejected our request due to an error in our request"};
    case 429: return {Reason::too_many_requests, "the server has received too many requests and has asked us to try again later"};
    case 500: return {Reason::internal_error, "an error on the server has prevented the request from succeeding"};
    case 503: return {Reason::service_unavailable, "the server is currently unable to handle the request"};
    case 504: return {Reason::timeout, "the server was unable to return a response in the time allotted, but may still be processing the request"};
    default: return {Reason::unknown, "an error on the server has prevented the request from succeeding"};
  }
}

// A body that is not a Status, shortened to one line for the message.
std::string summarize(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (body.size() > 200) out += "…";
  return out;
}

std::optional<std::chrono::seconds> parse_seconds(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return std::chrono::seconds(v);
}

}  // namespace

std::string_view to_string(Reason reason) noexcept {
  for (const auto& r : kReasons) {
    if (r.reason == reason) return r.text;
  }
  return {};
}

Reason reason_from(std::string_view reason_text, int http_status) {
  for (const auto& r : kReasons) {
    if (r.text == reason_text) return r.reason;
  }
  // errors.IsNotFound & co. fall back on the code when the reason is not a known one.
  return generic_for(http_status).first;
}

KubeError error_from_response(std::string_view request, int http_status, std::string_view body,
                              std::string_view retry_after_header) {
  std::string reason_text, message;
  std::vector<StatusCause> causes;
  std::optional<std::chrono::seconds> retry_after = parse_seconds(retry_after_header);
  bool is_status = false;
  try {
    if (!body.empty() && body.front() == '{') {
      json::value v = json::parse(body, "Status");
      if (v.is_object() && json::get_string(v.get_object(), "kind") == "Status") {
        const json::object& st = v.get_object();
        is_status = true;
        reason_text = std::string(json::get_string(st, "reason"));
        message = std::string(json::get_string(st, "message"));
        if (const json::object* details = json::find_object(st, "details")) {
          if (const json::array* cs = json::find_array(*details, "causes")) {
            for (const auto& c : *cs) {
              if (!c.is_object()) continue;
              const auto& co = c.get_object();
              causes.push_back({std::string(json::get_string(co, "reason")), std::string(json::get_string(co, "message")),
                                std::string(json::get_string(co, "field"))});
            }
          }
          if (!retry_after) {
            if (auto it = details->find("retryAfterSeconds"); it != details->end() && it->value().is_int64()) {
              retry_after = std::chrono::seconds(it->value().get_int64());
            }
          }
        }
      }
    }
  } catch (const Error&) {
    is_status = false;
  }
  auto [generic_reason, generic_message] = generic_for(http_status);
  Reason reason = is_status ? reason_from(reason_text, http_status) : generic_reason;
  if (!is_status || message.empty()) {
    message = std::string(generic_message);
    std::string extra = is_status ? std::string() : summarize(body);
    if (!extra.empty()) message += " (" + extra + ")";
  }
  if (reason_text.empty()) reason_text = std::string(to_string(reason));
  if (reason == Reason::invalid && !causes.empty() && message.find(causes.front().field) == std::string::npos) {
    // A Status from something other than the API server may leave the causes out of the message.
    for (const auto& c : causes) message += "; " + (c.field.empty() ? "" : c.field + ": ") + c.message;
  }
  std::string text = std::string(request) + ": " + std::to_string(http_status);
  if (!reason_text.empty()) text += " " + reason_text;
  text += ": " + message;
  if (retry_after) text += " (retry after " + std::to_string(retry_after->count()) + " s)";
  ErrorCode code = reason == Reason::not_found        ? ErrorCode::not_found
                   : reason == Reason::already_exists ? ErrorCode::already_exists
                                                      : ErrorCode::kube;
  KubeError e(code, text, http_status, reason, reason_text, std::move(causes), retry_after);
  e.set_status_message(message);
  return e;
}

}  // namespace vbackup::kube
