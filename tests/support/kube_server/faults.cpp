#include "kube_server/faults.hpp"

#include "vbackup/error.hpp"

#include <algorithm>

namespace vbackup::kubetest {

namespace {

int int_field(const json::object& o, std::string_view key, int fallback, const char* what) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return fallback;
  if (!it->value().is_int64()) throw invalid_input(std::string("control: ") + what + "." + std::string(key) + ": expected integer");
  return static_cast<int>(it->value().get_int64());
}

std::string string_field(const json::object& o, std::string_view key, const char* what) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return {};
  if (!it->value().is_string()) throw invalid_input(std::string("control: ") + what + "." + std::string(key) + ": expected string");
  return std::string(it->value().get_string());
}

}  // namespace

bool Faults::Rule::matches(const FaultTarget& t) const {
  if (count == 0) return false;
  if (t.resource.resource.empty()) return discovery && resource.empty() && verb.empty();
  if (!resource.empty() && resource != t.resource.qualified()) return false;
  if (!verb.empty() && verb != t.verb) return false;
  return true;
}

bool Faults::Rule::take() {
  if (count == 0) return false;
  if (count > 0) --count;
  return true;
}

json::object Faults::Rule::to_json() const {
  json::object o{{"count", count}};
  if (!resource.empty()) o["resource"] = resource;
  if (!verb.empty()) o["verb"] = verb;
  if (discovery) o["discovery"] = true;
  return o;
}

Faults::Rule Faults::parse_rule(const json::value& v, const char* key, int default_count) {
  if (!v.is_object()) throw invalid_input(std::string("control: ") + key + ": expected object or null");
  const json::object& o = v.get_object();
  for (const auto& [k, ignored] : o) {
    static const std::vector<std::string_view> known = {"count", "resource", "verb", "discovery", "code",
                                                        "retryAfterSeconds", "milliseconds", "after"};
    if (std::find(known.begin(), known.end(), std::string_view(k)) == known.end())
      throw invalid_input(std::string("control: ") + key + ": unknown field \"" + std::string(k) + "\"");
  }
  Rule r;
  r.count = int_field(o, "count", default_count, key);
  if (r.count < -1) throw invalid_input(std::string("control: ") + key + ".count: must be -1 or more");
  r.resource = string_field(o, "resource", key);
  r.verb = string_field(o, "verb", key);
  if (auto it = o.find("discovery"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_bool()) throw invalid_input(std::string("control: ") + key + ".discovery: expected boolean");
    r.discovery = it->value().get_bool();
  }
  r.code = int_field(o, "code", 500, key);
  if (r.code < 400 || r.code > 599) throw invalid_input(std::string("control: ") + key + ".code: must be 400-599");
  r.retry_after = int_field(o, "retryAfterSeconds", 1, key);
  r.delay = std::chrono::milliseconds(int_field(o, "milliseconds", 0, key));
  const std::string after = string_field(o, "after", key);
  if (after == "body") r.after = ResetPoint::mid_body;
  else if (!after.empty() && after != "headers")
    throw invalid_input(std::string("control: ") + key + ".after: expected \"headers\" or \"body\"");
  return r;
}

void Faults::configure(const json::object& request) {
  std::lock_guard lock(mutex_);
  if (auto it = request.find("reset"); it != request.end() && it->value().is_bool() && it->value().get_bool()) {
    throttle_.reset();
    fail_.reset();
    delay_.reset();
    expire_.reset();
    reset_.reset();
    unreadable_.clear();
  }
  auto set = [&](const char* key, std::optional<Rule>& slot, int default_count) {
    auto it = request.find(key);
    if (it == request.end()) return;
    if (it->value().is_null()) slot.reset();
    else slot = parse_rule(it->value(), key, default_count);
  };
  set("throttle", throttle_, 1);
  set("fail", fail_, 1);
  set("delay", delay_, -1);
  set("expireContinue", expire_, 1);
  set("connectionReset", reset_, 1);
  if (auto it = request.find("unreadable"); it != request.end()) {
    std::vector<Rule> rules;
    if (it->value().is_array()) {
      for (const json::value& v : it->value().get_array()) {
        Rule r = parse_rule(v, "unreadable", -1);
        if (r.resource.empty()) throw invalid_input("control: unreadable: every entry needs a resource");
        if (!v.get_object().contains("code")) r.code = 403;
        r.count = -1;
        rules.push_back(std::move(r));
      }
    } else if (!it->value().is_null()) {
      throw invalid_input("control: unreadable: expected array or null");
    }
    unreadable_ = std::move(rules);
  }
}

void Faults::reset() { configure(json::object{{"reset", true}}); }

json::object Faults::state() const {
  std::lock_guard lock(mutex_);
  json::object o;
  auto put = [&](const char* key, const std::optional<Rule>& r, auto&& extra) {
    if (!r || r->count == 0) {
      o[key] = nullptr;
      return;
    }
    json::object j = r->to_json();
    extra(j, *r);
    o[key] = std::move(j);
  };
  put("throttle", throttle_, [](json::object& j, const Rule& r) { j["retryAfterSeconds"] = r.retry_after; });
  put("fail", fail_, [](json::object& j, const Rule& r) { j["code"] = r.code; });
  put("delay", delay_, [](json::object& j, const Rule& r) { j["milliseconds"] = r.delay.count(); });
  put("expireContinue", expire_, [](json::object&, const Rule&) {});
  put("connectionReset", reset_, [](json::object& j, const Rule& r) {
    j["after"] = r.after == ResetPoint::mid_body ? "body" : "headers";
  });
  json::array u;
  for (const Rule& r : unreadable_) {
    json::object j = r.to_json();
    j.erase("count");
    j["code"] = r.code;
    u.push_back(std::move(j));
  }
  o["unreadable"] = std::move(u);
  return o;
}

FaultDecision Faults::check(const FaultTarget& t) {
  std::lock_guard lock(mutex_);
  FaultDecision d;
  if (delay_ && delay_->matches(t) && delay_->take()) d.delay = delay_->delay;
  if (!t.resource.resource.empty()) {
    for (const Rule& r : unreadable_) {
      if (!r.matches(t)) continue;
      if (r.code == 403) {
        const std::string verb = t.verb.empty() ? "get" : t.verb;
        d.error = forbidden(t.resource.qualified() + " is forbidden: User \"system:anonymous\" cannot " + verb +
                                " resource \"" + t.resource.resource + "\" in API group \"" + t.resource.group + "\"",
                            t.resource);
      } else {
        d.error = generic_failure(r.code, "resource " + t.resource.qualified() + " is unreadable (fault switch)");
      }
      return d;
    }
  }
  if (throttle_ && throttle_->matches(t) && throttle_->take()) {
    d.error = too_many_requests(throttle_->retry_after);
    return d;
  }
  if (fail_ && fail_->matches(t) && fail_->take()) {
    d.error = generic_failure(fail_->code, "injected failure (fault switch)");
    return d;
  }
  if (t.has_continue && t.verb == "list" && expire_ && expire_->matches(t) && expire_->take()) {
    d.error = expired_continue("");
    return d;
  }
  // Watch streams are not cut (endWatches and expireWatches end them).
  if (reset_ && t.verb != "watch" && reset_->matches(t) && reset_->take()) d.reset = reset_->after;
  return d;
}

}  // namespace vbackup::kubetest
