// client-go's leaderelection (tools/leaderelection/leaderelection.go, resourcelock/leaselock.go)
// over a coordination.k8s.io/v1 Lease: tryAcquireOrRenew, renew within the deadline, release.
#include "server/internal.hpp"
#include "vbackup/server.hpp"
#include "vbackup/time.hpp"

#include <unistd.h>

#include <cstdio>
#include <random>

namespace vbackup::server {

namespace {

// metav1.MicroTime: RFC 3339 with microseconds ("2006-01-02T15:04:05.000000Z07:00").
std::string micro_time(std::chrono::system_clock::time_point t) {
  auto us = std::chrono::floor<std::chrono::microseconds>(t);
  auto s = std::chrono::floor<std::chrono::seconds>(us);
  std::time_t tt = std::chrono::system_clock::to_time_t(s);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, int((us - s).count()));
  return buf;
}

std::string default_identity() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || !host[0]) std::snprintf(host, sizeof host, "vbackup");
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return std::string(host) + "_" + suffix;
}

std::int64_t seconds_ceil(std::chrono::milliseconds d) { return std::max<std::int64_t>(1, (d.count() + 999) / 1000); }

}  // namespace

LeaderElector::LeaderElector(kube::KubeClient& client, LeaderElectionOptions options)
    : client_(client), options_(std::move(options)) {
  if (options_.identity.empty()) options_.identity = default_identity();
  const ApiResource* r = client_.discovery().find("coordination.k8s.io", "leases");
  if (!r) throw Error(ErrorCode::unsupported, "the cluster " + client_.config().server + " serves no coordination.k8s.io Lease");
  lease_ = *r;
}

bool LeaderElector::try_acquire_or_renew() {
  const auto now = std::chrono::system_clock::now();
  const std::string now_text = micro_time(now);
  std::optional<json::object> lease;
  try {
    lease = client_.try_get(lease_, options_.namespace_, options_.lease_name);
  } catch (const Error& e) {
    if (options_.log) options_.log("warning", "leader election: " + std::string(e.what()));
    return false;
  }
  json::object spec{{"holderIdentity", options_.identity},
                    {"leaseDurationSeconds", seconds_ceil(options_.lease_duration)},
                    {"acquireTime", now_text},
                    {"renewTime", now_text},
                    {"leaseTransitions", 0}};
  if (!lease) {
    json::object o{{"apiVersion", "coordination.k8s.io/v1"}, {"kind", "Lease"},
                   {"metadata", json::object{{"name", options_.lease_name}, {"namespace", options_.namespace_}}},
                   {"spec", spec}};
    try {
      client_.create(lease_, o, options_.namespace_);
    } catch (const Error& e) {
      if (options_.log) options_.log("info", "leader election: " + std::string(e.what()));
      return held_ = false;
    }
    observed_record_ = json::marshal(spec);
    observed_at_ = std::chrono::steady_clock::now();
    return held_ = true;
  }
  json::object old = json::find_object(*lease, "spec") ? *json::find_object(*lease, "spec") : json::object();
  const std::string record = json::marshal(old);
  if (record != observed_record_) {
    // client-go measures expiry from when it saw the record change, by its own clock.
    observed_record_ = record;
    observed_at_ = std::chrono::steady_clock::now();
  }
  const std::string holder(json::get_string(old, "holderIdentity"));
  std::int64_t duration = 0;
  if (auto it = old.find("leaseDurationSeconds"); it != old.end() && it->value().is_int64()) duration = it->value().get_int64();
  std::int64_t transitions = 0;
  if (auto it = old.find("leaseTransitions"); it != old.end() && it->value().is_int64()) transitions = it->value().get_int64();
  const bool ours = holder == options_.identity;
  if (!holder.empty() && !ours && std::chrono::steady_clock::now() < observed_at_ + std::chrono::seconds(duration)) {
    return held_ = false;  // another holder's lease has not expired
  }
  if (ours) {
    spec["acquireTime"] = json::get_string(old, "acquireTime");
    spec["leaseTransitions"] = transitions;
  } else {
    spec["leaseTransitions"] = transitions + 1;
  }
  json::object updated = *lease;
  updated["spec"] = spec;
  try {
    client_.update(lease_, updated, options_.namespace_);  // conditional on its resourceVersion
  } catch (const Error& e) {
    if (options_.log) options_.log("info", "leader election: " + std::string(e.what()));
    return held_ = false;
  }
  observed_record_ = json::marshal(spec);
  observed_at_ = std::chrono::steady_clock::now();
  if (!ours && options_.log) options_.log("info", "leader election: " + options_.identity + " acquired lease " +
                                                      options_.namespace_ + "/" + options_.lease_name);
  return held_ = true;
}

void LeaderElector::release() {
  if (!held_) return;
  held_ = false;
  try {
    auto lease = client_.try_get(lease_, options_.namespace_, options_.lease_name);
    if (!lease) return;
    json::object* spec = (*lease)["spec"].if_object();
    if (!spec || json::get_string(*spec, "holderIdentity") != options_.identity) return;
    // client-go's release: an empty holder, a one-second lease, the transitions kept.
    const std::string now_text = micro_time(std::chrono::system_clock::now());
    (*spec)["holderIdentity"] = "";
    (*spec)["leaseDurationSeconds"] = 1;
    (*spec)["renewTime"] = now_text;
    (*spec)["acquireTime"] = now_text;
    client_.update(lease_, *lease, options_.namespace_);
    if (options_.log) options_.log("info", "leader election: released lease " + options_.namespace_ + "/" + options_.lease_name);
  } catch (const Error& e) {
    if (options_.log) options_.log("warning", "leader election: release: " + std::string(e.what()));
  }
}

bool LeaderElector::acquire(std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (try_acquire_or_renew()) return true;
    interruptible_sleep(stop, options_.retry_period);
  }
  return false;
}

bool LeaderElector::keep(std::stop_token stop) {
  auto last_renew = std::chrono::steady_clock::now();
  while (interruptible_sleep(stop, options_.retry_period)) {
    if (try_acquire_or_renew()) {
      last_renew = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_renew > options_.renew_deadline) {
      if (options_.log) options_.log("error", "leader election lost: lease " + options_.namespace_ + "/" +
                                                  options_.lease_name + " not renewed within the renew deadline");
      return false;
    }
  }
  return true;
}

std::optional<std::string> running_server(kube::KubeClient& client, const std::string& ns, const std::string& lease_name) {
  const ApiResource* r = client.discovery().find("coordination.k8s.io", "leases");
  if (!r) return std::nullopt;
  auto lease = client.try_get(*r, ns, lease_name);
  const json::object* spec = lease ? json::find_object(*lease, "spec") : nullptr;
  if (!spec) return std::nullopt;
  std::string holder(json::get_string(*spec, "holderIdentity"));
  std::string renewed(json::get_string(*spec, "renewTime"));
  const json::value* duration = spec->if_contains("leaseDurationSeconds");
  if (holder.empty() || renewed.empty() || !duration || !duration->is_int64()) return std::nullopt;
  // A holder that stopped renewing (a server killed) is not running: the Lease expired.
  Timestamp renew_time;
  try {
    renew_time = parse_rfc3339(renewed);
  } catch (const Error&) {
    return std::nullopt;
  }
  auto now = now_timestamp();
  if (renew_time + std::chrono::seconds(duration->get_int64()) + std::chrono::seconds(1) < now) return std::nullopt;
  return holder;
}

}  // namespace vbackup::server
