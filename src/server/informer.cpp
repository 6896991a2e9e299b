// client-go's reflector (tools/cache/reflector.go) reduced to what the server needs: list, watch
// from the list's resourceVersion with bookmarks, resume after a watch ends, relist on 410.
#include "server/internal.hpp"
#include "vbackup/server.hpp"

#include <thread>

namespace vbackup::server {

namespace {

std::string key_of(const json::object& o) {
  std::string_view ns = json::metadata_string(o, "namespace");
  std::string_view name = json::metadata_string(o, "name");
  return ns.empty() ? std::string(name) : std::string(ns) + "/" + std::string(name);
}

}  // namespace

Informer::Informer(kube::KubeClient& client, ApiResource resource, InformerOptions options, Handler on_event)
    : client_(client), resource_(std::move(resource)), options_(std::move(options)), on_event_(std::move(on_event)) {}

std::string Informer::resource_version() const {
  std::lock_guard lock(mutex_);
  return resource_version_;
}

void Informer::relist() {
  std::map<std::string, std::string> seen;
  ListOptions lo;
  lo.namespace_ = options_.namespace_;
  std::string rv = client_.list(resource_, lo, [&](json::object&& o) {
    std::string key = key_of(o);
    std::string orv(json::metadata_string(o, "resourceVersion"));
    auto it = known_.find(key);
    // An object seen before with the same resourceVersion has not changed: nothing to hand over.
    if (it == known_.end()) on_event_("ADDED", o);
    else if (it->second != orv) on_event_("MODIFIED", o);
    seen[key] = orv;
  });
  // What the list no longer has was deleted while we were not watching (client-go's Replace
  // delivers DeletedFinalStateUnknown; the last state we know is only the name).
  for (const auto& [key, orv] : known_) {
    if (seen.contains(key)) continue;
    json::object gone{{"apiVersion", resource_.group_version()}, {"kind", resource_.kind}};
    json::object md;
    auto slash = key.find('/');
    if (slash != std::string::npos) {
      md["namespace"] = key.substr(0, slash);
      md["name"] = key.substr(slash + 1);
    } else {
      md["name"] = key;
    }
    gone["metadata"] = std::move(md);
    on_event_("DELETED", gone);
  }
  known_ = std::move(seen);
  {
    std::lock_guard lock(mutex_);
    resource_version_ = rv;
  }
  ++lists_;
  synced_ = true;
}

void Informer::run(std::stop_token stop) {
  std::chrono::milliseconds backoff = options_.backoff_initial;
  bool need_list = true;
  const std::string what = resource_.group_resource();
  while (!stop.stop_requested()) {
    try {
      if (need_list) {
        relist();
        need_list = false;
      }
      kube::WatchOptions wo;
      wo.namespace_ = options_.namespace_;
      wo.resource_version = resource_version();
      wo.allow_watch_bookmarks = true;
      wo.timeout = options_.watch_timeout;
      client_.watch(resource_, wo, [&](kube::WatchEvent&& e) {
        std::string rv(json::metadata_string(e.object, "resourceVersion"));
        if (e.type != "BOOKMARK") {
          std::string key = key_of(e.object);
          if (e.type == "DELETED") known_.erase(key);
          else known_[key] = rv;
          on_event_(e.type, e.object);
        }
        if (!rv.empty()) {
          std::lock_guard lock(mutex_);
          resource_version_ = rv;
        }
        return !stop.stop_requested();
      });
      backoff = options_.backoff_initial;  // a watch that ran is a success
    } catch (const kube::KubeError& e) {
      if (e.http_status() == 410) {
        // The resourceVersion is older than the API server's history: list again, at once.
        if (options_.log) options_.log("info", "informer " + what + ": " + e.what() + "; listing again");
        need_list = true;
        continue;
      }
      if (options_.log) options_.log("warning", "informer " + what + ": " + e.what());
      interruptible_sleep(stop, backoff);
      backoff = std::min(backoff * 2, options_.backoff_max);
    } catch (const std::exception& e) {
      if (options_.log) options_.log("warning", "informer " + what + ": " + e.what());
      interruptible_sleep(stop, backoff);
      backoff = std::min(backoff * 2, options_.backoff_max);
    }
  }
}

}  // namespace vbackup::server
