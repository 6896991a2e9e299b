// libFuzzer target for the restore resource-policy parser (restore §2.4, brief "plan"). Invariants
// checked beyond "no crash":
//   * what parse() accepts has selectors that convert and name patterns that compile (the
//     validation ran), and a RestoreSelection built from it answers without throwing;
//   * only vbackup::Error escapes: anything else reaches libFuzzer as a crash.
#include "restore/plan/resource_policy.hpp"
#include "restore/plan/selection.hpp"
#include "vbackup/error.hpp"
#include "filter/filter.hpp"
#include "vbackup/labels.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace vbackup;
using namespace vbackup::restore;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_filter(const PolicyResourceFilter& rf) {
  try {
    if (rf.label_selector) (void)labels::from_label_selector(json::value(*rf.label_selector));
    for (const auto& s : rf.or_label_selectors) {
      if (s) (void)labels::from_label_selector(json::value(*s));
    }
    for (const auto& n : rf.names) (void)filter::Glob::compile(n);
    for (const auto& n : rf.excluded_names) (void)filter::Glob::compile(n);
  } catch (const Error&) {
    check(false);
  }
  check(!(rf.label_selector && !rf.or_label_selectors.empty()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  RestoreResourcePolicy policy;
  try {
    policy = RestoreResourcePolicy::parse(text, "fuzz");
  } catch (const Error&) {
    return 0;
  }
  check(policy.version == "v1");
  for (const auto& nfp : policy.namespaced_filter_policies) {
    check(!nfp.namespaces.empty() && !nfp.resource_filters.empty());
    for (const auto& rf : nfp.resource_filters) check_filter(rf);
  }
  if (policy.cluster_scoped_filter_policy) {
    check(!policy.cluster_scoped_filter_policy->empty());
    for (const auto& rf : *policy.cluster_scoped_filter_policy) check_filter(rf);
  }

  static const Discovery discovery = builtin_kubernetes_discovery();
  RestoreSelection selection({}, discovery, {"ns-1", "team-a"}, {{}, policy});
  (void)selection.validate();
  json::object labels;
  labels["app"] = "web";
  for (std::string_view ns : {"ns-1", "team-a", "other"}) {
    (void)selection.why_not("pods", true, ns, "web-1", &labels, "Pod");
    (void)selection.why_not("mycustomkinds.mygroup.io", true, ns, "x", nullptr, "MyCustomKind");
  }
  (void)selection.why_not("persistentvolumes", false, "", "pv-1", &labels, "PersistentVolume");
  return 0;
}
