#include "kube_server/strategies.hpp"

#include "kube_server/go_values.hpp"

#include <map>
#include <set>
#include <string>

namespace vbackup::kubetest {

namespace {

constexpr const char* kLegacyUid = "controller-uid";
constexpr const char* kLegacyName = "job-name";
constexpr const char* kUid = "batch.kubernetes.io/controller-uid";
constexpr const char* kName = "batch.kubernetes.io/job-name";
constexpr const char* kTracking = "batch.kubernetes.io/job-tracking";

json::object& child(json::object& o, std::string_view key) {
  json::value& v = o[key];
  if (!v.is_object()) v = json::object{};
  return v.get_object();
}

const json::object* object_at(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::object* at = &o;
  for (std::string_view key : path) {
    at = json::find_object(*at, key);
    if (!at) return nullptr;
  }
  return at;
}

bool has_value(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && !it->value().is_null();
}

bool manual_selector(const json::object& job) {
  const json::object* spec = json::find_object(job, "spec");
  if (!spec) return false;
  auto it = spec->find("manualSelector");
  return it != spec->end() && it->value().is_bool() && it->value().get_bool();
}

// GetPodQOS (pkg/apis/core/helper/qos), comparing quantities as written: requests default to limits.
std::string qos_class(const json::object& pod) {
  const json::object* spec = json::find_object(pod, "spec");
  if (!spec) return "BestEffort";
  bool any = false, guaranteed = true;
  for (const char* list : {"initContainers", "containers"}) {
    const json::array* containers = json::find_array(*spec, list);
    if (!containers) continue;
    for (const json::value& c : *containers) {
      if (!c.is_object()) continue;
      const json::object* resources = json::find_object(c.get_object(), "resources");
      const json::object* requests = resources ? json::find_object(*resources, "requests") : nullptr;
      const json::object* limits = resources ? json::find_object(*resources, "limits") : nullptr;
      for (const char* r : {"cpu", "memory"}) {
        const std::string limit = limits ? std::string(json::get_string(*limits, r)) : std::string();
        std::string request = requests ? std::string(json::get_string(*requests, r)) : std::string();
        if (request.empty()) request = limit;
        any |= !request.empty() || !limit.empty();
        if (limit.empty() || request != limit) guaranteed = false;
      }
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

std::string print_int(const json::object& spec, std::string_view key) {
  auto it = spec.find(key);
  return it == spec.end() || it->value().is_null() ? "null" : json::marshal(it->value());
}

std::string print_string(const json::object& spec, std::string_view key) {
  auto it = spec.find(key);
  if (it == spec.end() || it->value().is_null()) return "null";
  return it->value().is_string() ? go_quote(it->value().get_string()) : json::marshal(it->value());
}

const json::value* member(const json::object& spec, std::string_view key) {
  auto it = spec.find(key);
  return it == spec.end() || it->value().is_null() ? nullptr : &it->value();
}

bool same(const json::value* a, const json::value* b) { return (!a && !b) || (a && b && *a == *b); }

}  // namespace

json::object initial_status(std::string_view table, const json::object& object) {
  if (table == "/services") return json::object{{"loadBalancer", json::object{}}};
  if (table == "/persistentvolumeclaims" || table == "/persistentvolumes") return json::object{{"phase", "Pending"}};
  if (table == "/pods") return json::object{{"phase", "Pending"}, {"qosClass", qos_class(object)}};
  if (table == "/namespaces") return json::object{{"phase", "Active"}};
  return json::object{};
}

void default_job(json::object& job, int minor) {
  json::object& spec = child(job, "spec");
  if (!has_value(spec, "completions") && !has_value(spec, "parallelism")) {
    spec["completions"] = 1;
    spec["parallelism"] = 1;
  }
  if (!has_value(spec, "parallelism")) spec["parallelism"] = 1;
  if (!has_value(spec, "backoffLimit")) spec["backoffLimit"] = has_value(spec, "backoffLimitPerIndex") ? 2147483647 : 6;
  if (!has_value(spec, "completionMode")) spec["completionMode"] = "NonIndexed";
  if (!has_value(spec, "suspend")) spec["suspend"] = false;
  if (minor >= 29 && !has_value(spec, "podReplacementPolicy"))
    spec["podReplacementPolicy"] = has_value(spec, "podFailurePolicy") ? "Failed" : "TerminatingOrFailed";
  const json::object* template_labels = object_at(spec, {"template", "metadata", "labels"});
  json::object templ_copy = template_labels ? *template_labels : json::object{};
  json::object& md = child(job, "metadata");
  const json::object* labels = json::find_object(md, "labels");
  if (template_labels && (!labels || labels->empty())) md["labels"] = std::move(templ_copy);
}

void prepare_job_create(json::object& job, int minor) {
  const std::string uid(json::metadata_string(job, "uid")), name(json::metadata_string(job, "name"));
  if (minor <= 26) child(child(job, "metadata"), "annotations")[kTracking] = "";
  if (manual_selector(job)) return;
  json::object& spec = child(job, "spec");
  json::object& labels = child(child(child(spec, "template"), "metadata"), "labels");
  // Labels the user set are kept; a conflicting value fails validation.
  std::vector<std::pair<const char*, std::string>> wanted = {{kLegacyName, name}, {kLegacyUid, uid}};
  if (minor >= 27) wanted = {{kLegacyName, name}, {kName, name}, {kLegacyUid, uid}, {kUid, uid}};
  for (const auto& [key, value] : wanted)
    if (!labels.contains(key)) labels[key] = value;
  json::object& match = child(child(spec, "selector"), "matchLabels");
  const char* selector_key = minor >= 27 ? kUid : kLegacyUid;
  if (!match.contains(selector_key)) match[selector_key] = uid;
}

void prepare_job_update(json::object& job, const json::object& old, int minor) {
  if (minor != 26) return;
  const json::object* old_annotations = json::metadata_map(old, "annotations");
  if (old_annotations && old_annotations->contains(kTracking))
    child(child(job, "metadata"), "annotations")[kTracking] = old_annotations->at(kTracking);
}

std::vector<Cause> validate_job(const json::object& job, int minor) {
  std::vector<Cause> causes;
  if (manual_selector(job)) return causes;
  const std::string uid(json::metadata_string(job, "uid")), name(json::metadata_string(job, "name"));
  const json::object* spec = json::find_object(job, "spec");
  const json::object* labels = spec ? object_at(*spec, {"template", "metadata", "labels"}) : nullptr;
  if (!labels) return causes;
  // ValidateHasLabel for each generated label: Required when missing, Invalid (the whole map) when different.
  std::vector<std::pair<const char*, std::string>> expected = {{kLegacyUid, uid}, {kLegacyName, name}};
  if (minor >= 27) {
    expected.emplace_back(kUid, uid);
    expected.emplace_back(kName, name);
  }
  for (const auto& [key, value] : expected) {
    const std::string field = std::string("spec.template.metadata.labels[") + key + "]";
    auto it = labels->find(key);
    if (it == labels->end()) causes.push_back(required_cause(field, "must be '" + value + "'"));
    else if (!it->value().is_string() || it->value().get_string() != value)
      causes.push_back(invalid_cause(field, go_string_map(labels), "must be '" + value + "'"));
  }
  // The selector must select the pods the Job will make (labels.Selector on the expected set).
  const json::object* selector = json::find_object(*spec, "selector");
  std::map<std::string, std::string> pod;
  for (const auto& [key, value] : expected) pod[key] = value;
  bool matches = true;
  if (selector) {
    if (const json::object* match = json::find_object(*selector, "matchLabels"))
      for (const auto& [k, v] : *match) {
        auto it = pod.find(std::string(k));
        matches &= it != pod.end() && v.is_string() && it->second == v.get_string();
      }
    if (const json::array* expressions = json::find_array(*selector, "matchExpressions"))
      for (const json::value& e : *expressions) {
        if (!e.is_object()) continue;
        const std::string key(json::get_string(e.get_object(), "key")), op(json::get_string(e.get_object(), "operator"));
        std::set<std::string> values;
        if (const json::array* vs = json::find_array(e.get_object(), "values"))
          for (const json::value& v : *vs)
            if (v.is_string()) values.emplace(v.get_string());
        auto it = pod.find(key);
        if (op == "In") matches &= it != pod.end() && values.contains(it->second);
        else if (op == "NotIn") matches &= it == pod.end() || !values.contains(it->second);
        else if (op == "Exists") matches &= it != pod.end();
        else if (op == "DoesNotExist") matches &= it == pod.end();
      }
  }
  if (!matches) causes.push_back(invalid_cause("spec.selector", go_label_selector(selector), "`selector` not auto-generated"));
  return causes;
}

std::vector<Cause> validate_immutable(std::string_view table, const json::object& now, const json::object& old) {
  static const std::set<std::string, std::less<>> selector_tables = {"batch/jobs", "apps/deployments", "apps/replicasets",
                                                                     "apps/statefulsets", "apps/daemonsets"};
  std::vector<Cause> causes;
  if (!selector_tables.contains(table)) return causes;
  const json::object empty;
  const json::object* found = json::find_object(now, "spec");
  const json::object* old_found = json::find_object(old, "spec");
  const json::object& spec = found ? *found : empty;
  const json::object& old_spec = old_found ? *old_found : empty;
  auto changed = [&](std::string_view key) { return !same(member(spec, key), member(old_spec, key)); };
  if (table == "batch/jobs") {
    if (changed("completions")) causes.push_back(invalid_cause("spec.completions", print_int(spec, "completions"), "field is immutable"));
  }
  if (changed("selector"))
    causes.push_back(invalid_cause("spec.selector", go_label_selector(json::find_object(spec, "selector")), "field is immutable"));
  if (table == "batch/jobs") {
    if (changed("template"))
      causes.push_back(invalid_cause("spec.template", member(spec, "template") ? json::marshal(*member(spec, "template")) : "null",
                                     "field is immutable"));
    if (changed("completionMode"))
      causes.push_back(invalid_cause("spec.completionMode", print_string(spec, "completionMode"), "field is immutable"));
  }
  return causes;
}

}  // namespace vbackup::kubetest
