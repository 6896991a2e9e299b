// DownloadRequest and ServerStatusRequest ⇄ JSON. Field order and omitempty:
// pkg/apis/velero/v1/download_request_types.go and server_status_request_types.go.
#include "vbackup/velero_requests.hpp"

#include "format/fields.hpp"
#include "format/resource.hpp"

namespace vbackup::velero {

using detail::Reader;

DownloadTarget DownloadTarget::from_json(const json::object& o, std::string_view what, std::string_view path) {
  Reader r(o, what, path);
  DownloadTarget t;
  t.kind = r.string("kind");
  t.name = r.string("name");
  t.extra = r.rest();
  return t;
}

json::object DownloadTarget::to_json() const {
  json::object o;
  o["kind"] = kind;
  o["name"] = name;
  detail::put_extra(o, extra);
  return o;
}

DownloadRequestSpec DownloadRequestSpec::from_json(const json::object& o, std::string_view what, std::string_view path) {
  Reader r(o, what, path);
  DownloadRequestSpec s;
  if (const json::object* t = r.object("target")) s.target = DownloadTarget::from_json(*t, what, r.path("target"));
  s.extra = r.rest();
  return s;
}

json::object DownloadRequestSpec::to_json() const {
  json::object o;
  o["target"] = target.to_json();
  detail::put_extra(o, extra);
  return o;
}

DownloadRequestStatus DownloadRequestStatus::from_json(const json::object& o, std::string_view what,
                                                       std::string_view path) {
  Reader r(o, what, path);
  DownloadRequestStatus s;
  s.phase = r.string("phase");
  s.download_url = r.string("downloadURL");
  s.expiration = r.time("expiration");
  s.message = r.string("message");
  s.extra = r.rest();
  return s;
}

json::object DownloadRequestStatus::to_json() const {
  using namespace detail;
  json::object o;
  put_string(o, "phase", phase);
  put_string(o, "downloadURL", download_url);
  put_time(o, "expiration", expiration);
  put_string(o, "message", message);
  put_extra(o, extra);
  return o;
}

DownloadRequest DownloadRequest::from_json(const json::object& o, std::string_view what) {
  return detail::read_resource<DownloadRequest, DownloadRequestSpec, DownloadRequestStatus>(o, "DownloadRequest", what,
                                                                                            false);
}

json::object DownloadRequest::to_json() const { return detail::write_resource("DownloadRequest", *this); }

PluginInfo PluginInfo::from_json(const json::object& o, std::string_view what, std::string_view path) {
  Reader r(o, what, path);
  PluginInfo p;
  p.name = r.string("name");
  p.kind = r.string("kind");
  p.extra = r.rest();
  return p;
}

json::object PluginInfo::to_json() const {
  json::object o;
  o["name"] = name;
  o["kind"] = kind;
  detail::put_extra(o, extra);
  return o;
}

ServerStatusRequestSpec ServerStatusRequestSpec::from_json(const json::object& o, std::string_view what,
                                                           std::string_view path) {
  Reader r(o, what, path);
  return ServerStatusRequestSpec{r.rest()};
}

json::object ServerStatusRequestSpec::to_json() const { return extra; }

ServerStatusRequestStatus ServerStatusRequestStatus::from_json(const json::object& o, std::string_view what,
                                                               std::string_view path) {
  Reader r(o, what, path);
  ServerStatusRequestStatus s;
  s.phase = r.string("phase");
  s.processed_timestamp = r.time("processedTimestamp");
  s.server_version = r.string("serverVersion");
  json::array plugins = r.array("plugins");
  for (std::size_t i = 0; i < plugins.size(); ++i) {
    std::string at = r.path("plugins") + "[" + std::to_string(i) + "]";
    s.plugins.push_back(PluginInfo::from_json(detail::expect_object(plugins[i], what, at), what, at));
  }
  s.extra = r.rest();
  return s;
}

json::object ServerStatusRequestStatus::to_json() const {
  using namespace detail;
  json::object o;
  put_string(o, "phase", phase);
  put_time(o, "processedTimestamp", processed_timestamp);
  put_string(o, "serverVersion", server_version);
  if (!plugins.empty()) {
    json::array a;
    for (const auto& p : plugins) a.push_back(p.to_json());
    o["plugins"] = std::move(a);
  }
  put_extra(o, extra);
  return o;
}

ServerStatusRequest ServerStatusRequest::from_json(const json::object& o, std::string_view what) {
  return detail::read_resource<ServerStatusRequest, ServerStatusRequestSpec, ServerStatusRequestStatus>(
      o, "ServerStatusRequest", what, false);
}

json::object ServerStatusRequest::to_json() const { return detail::write_resource("ServerStatusRequest", *this); }

}  // namespace vbackup::velero
