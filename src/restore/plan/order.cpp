#include "restore/plan/order.hpp"

#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <algorithm>
#include <set>

namespace vbackup::restore {

namespace {

constexpr std::string_view kSeparator = "-";
constexpr std::string_view kCrdResource = "customresourcedefinitions.apiextensions.k8s.io";

// Beyond Velero (order.hpp): what the admission and aggregation layers call, and what must exist
// first for those calls to succeed.
constexpr std::string_view kCallTargets[] = {
    "services", "pods", "deployments.apps", "statefulsets.apps", "daemonsets.apps", "replicasets.apps",
};
constexpr std::string_view kCallers[] = {
    "mutatingwebhookconfigurations.admissionregistration.k8s.io",
    "validatingwebhookconfigurations.admissionregistration.k8s.io",
    "apiservices.apiregistration.k8s.io",
};

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

class Walk {
 public:
  Walk(const std::set<std::string, std::less<>>& archive, const Discovery& target) : archive_(archive), target_(target) {}

  // One getOrderedResourceCollection pass over `list`.
  void pass(const std::vector<std::string>& list) {
    for (const std::string& entry : list) {
      std::string gr = resolve(entry);
      if (!archive_.count(gr) || done_.count(gr)) continue;
      done_.insert(gr);
      order_.push_back(std::move(gr));
    }
  }

  std::string resolve(const std::string& entry) const {
    if (auto r = target_.resource_for(entry)) {
      std::string gr = r->group_resource();
      // Safety net (order.hpp): never lose an archive resource to a resolution elsewhere.
      if (archive_.count(gr) || !archive_.count(entry)) return gr;
      return entry;
    }
    if (archive_.count(entry)) return entry;
    // Our singular → plural rule for a CRD that is not installed.
    std::size_t dot = entry.find('.');
    std::string plural = guess_plural(entry.substr(0, dot));
    if (dot != std::string::npos) plural += entry.substr(dot);
    return archive_.count(plural) ? plural : entry;
  }

  std::vector<std::string> take() { return std::move(order_); }

 private:
  const std::set<std::string, std::less<>>& archive_;
  const Discovery& target_;
  std::set<std::string, std::less<>> done_;
  std::vector<std::string> order_;
};

// Moves the callers behind the last call target, unless the user's priorities name them.
void move_callers(std::vector<std::string>& order, const Priorities& priorities, const Walk& walk) {
  std::set<std::string> named;
  for (const auto* list : {&priorities.high, &priorities.low}) {
    for (const std::string& e : *list) named.insert(walk.resolve(e));
  }
  std::ptrdiff_t last_target = -1;
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (std::string_view t : kCallTargets) {
      if (order[i] == t) last_target = static_cast<std::ptrdiff_t>(i);
    }
  }
  if (last_target < 0) return;
  std::vector<std::string> moved, kept;
  std::string target = order[static_cast<std::size_t>(last_target)];
  for (std::size_t i = 0; i < order.size(); ++i) {
    bool caller = std::find(std::begin(kCallers), std::end(kCallers), order[i]) != std::end(kCallers);
    bool move = caller && static_cast<std::ptrdiff_t>(i) < last_target && !named.count(order[i]);
    (move ? moved : kept).push_back(std::move(order[i]));
  }
  order = std::move(kept);
  auto after = std::find(order.begin(), order.end(), target) + 1;
  order.insert(after, moved.begin(), moved.end());
}

}  // namespace

Priorities Priorities::defaults() {
  return {{"customresourcedefinitions", "namespaces", "storageclasses",
           "volumesnapshotclass.snapshot.storage.k8s.io", "volumesnapshotcontents.snapshot.storage.k8s.io",
           "volumesnapshots.snapshot.storage.k8s.io", "datauploads.velero.io", "persistentvolumes",
           "persistentvolumeclaims", "clusterroles", "roles", "serviceaccounts", "clusterrolebindings",
           "rolebindings", "secrets", "configmaps", "limitranges", "priorityclasses", "pods", "replicasets.apps",
           "clusterclasses.cluster.x-k8s.io", "endpoints", "services"},
          {"clusterbootstraps.run.tanzu.vmware.com", "clusters.cluster.x-k8s.io",
           "clusterresourcesets.addons.cluster.x-k8s.io", "apps.kappctrl.k14s.io",
           "packageinstalls.packaging.carvel.dev"}};
}

Priorities Priorities::parse(std::string_view text) {
  Priorities p = defaults();
  if (text.empty()) return p;
  std::vector<std::string> parts = split(text, ',');
  std::ptrdiff_t sep = -1;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] != kSeparator) continue;
    if (sep >= 0) throw invalid_input("restore resource priorities: multiple priority separator \"-\" found");
    sep = static_cast<std::ptrdiff_t>(i);
  }
  if (sep < 0) {
    p.high = std::move(parts);
  } else if (sep == 0) {
    if (parts.size() > 1) p.low.assign(parts.begin() + 1, parts.end());
  } else if (sep == static_cast<std::ptrdiff_t>(parts.size()) - 1) {
    p.high.assign(parts.begin(), parts.end() - 1);
  } else {
    p.high.assign(parts.begin(), parts.begin() + sep);
    p.low.assign(parts.begin() + sep + 1, parts.end());
  }
  return p;
}

std::string Priorities::to_string() const {
  std::vector<std::string> parts = high;
  if (!low.empty()) {
    parts.emplace_back(kSeparator);
    parts.insert(parts.end(), low.begin(), low.end());
  }
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "," : "") + parts[i];
  return out;
}

std::string guess_plural(std::string_view singular) {
  std::string s = lower(singular);
  if (s.empty() || s.ends_with("endpoints")) return s;
  if (s.back() == 's') return s + "es";
  if (s.back() == 'y') return s.substr(0, s.size() - 1) + "ies";
  return s + "s";
}

std::vector<std::string> restore_order(const std::vector<std::string>& archive_resources, const Discovery& target,
                                       const Priorities& priorities) {
  std::set<std::string, std::less<>> archive(archive_resources.begin(), archive_resources.end());
  Walk walk(archive, target);
  walk.pass({"customresourcedefinitions"});  // pass 1 (restore §2.2)

  // getOrderedResources: high, the archive's resources textually in neither list (sorted), low.
  std::set<std::string_view> listed;
  for (const std::string& e : priorities.high) listed.insert(e);
  for (const std::string& e : priorities.low) listed.insert(e);
  std::vector<std::string> list = priorities.high;
  for (const std::string& r : archive) {
    if (!listed.count(r)) list.push_back(r);  // std::set iterates in byte order, as sort.Strings
  }
  list.insert(list.end(), priorities.low.begin(), priorities.low.end());
  walk.pass(list);

  std::vector<std::string> order = walk.take();
  move_callers(order, priorities, walk);
  return order;
}

std::vector<std::string> restore_order(const BackupContents& contents, const Discovery& target,
                                       const Priorities& priorities) {
  // Discovery as Velero's is after pass 1 has created the archive's CRDs: each archived CRD the
  // target does not serve yet is added, so singular names and short names of custom resources
  // resolve. A CRD that does not parse only loses that help; restoring it reports the error.
  Discovery extended = target;
  contents.for_each_item(kCrdResource, "", "", [&](std::string_view name) {
    auto bytes = contents.read(kCrdResource, "", name);
    if (!bytes) return;
    try {
      json::value v = json::parse(*bytes, name);
      if (!v.is_object()) return;
      const json::object* spec = json::find_object(v.as_object(), "spec");
      const json::object* names = spec ? json::find_object(*spec, "names") : nullptr;
      if (!names) return;
      std::string gr = std::string(json::get_string(*names, "plural")) + "." + std::string(json::get_string(*spec, "group"));
      if (extended.resource_for(gr)) return;
      extended.add_crd(v.as_object());
    } catch (const Error&) {
    }
  });
  return restore_order(contents.resources(), extended, priorities);
}

}  // namespace vbackup::restore
