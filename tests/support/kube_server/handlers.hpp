// Helpers the request handlers of resources.cpp, reads.cpp and seed.cpp share.
#pragma once

#include "kube_server/api.hpp"
#include "kube_server/status.hpp"
#include "kube_server/store.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/labels.hpp"

#include <map>
#include <string>
#include <string_view>

namespace vbackup::kubetest {

inline json::object& metadata_of(json::object& obj) {
  json::value& md = obj["metadata"];
  if (md.is_null()) md = json::object{};
  if (!md.is_object()) throw bad_request("metadata: expected an object");
  return md.get_object();
}

inline std::string string_at(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}

inline ApiResponse object_response(const ObjectPtr& o, const std::string& api_version, const std::string& kind, int status) {
  ApiResponse r;
  r.status = status;
  r.body.reserve(o->members.size() + api_version.size() + kind.size() + 32);
  append_json(r.body, *o, api_version, kind);
  return r;
}

inline labels::Selector label_selector(const std::map<std::string, std::string, std::less<>>& query) {
  auto it = query.find("labelSelector");
  if (it == query.end() || it->second.empty()) return labels::Selector();
  try {
    return labels::Selector::parse(it->second);
  } catch (const Error& e) {
    throw bad_request(std::string("unable to parse requirement: ") + e.what());
  }
}

}  // namespace vbackup::kubetest
