// Restore resource policies (restore §2.4): parsed strictly as go-yaml v3 with KnownFields decodes
// Velero's structs, validated with ValidateForRestore's rules and messages.
#include "restore/plan/resource_policy.hpp"
#include "vbackup/error.hpp"

#include <doctest/doctest.h>

using namespace vbackup;
using namespace vbackup::restore;

namespace {

std::string error_of(std::string_view yaml) {
  try {
    RestoreResourcePolicy::parse(yaml, "policy.yaml");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid);
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("restore §2.4 resource policy: the documented format parses") {
  auto p = RestoreResourcePolicy::parse(R"(version: v1
namespacedFilterPolicies:
- namespaces: [ns-1, "team-*"]
  resourceFilters:
  - kinds: [pods, deployments.apps]
    labelSelector:
      matchLabels: {app: web}
      matchExpressions:
      - {key: tier, operator: In, values: [a, b]}
    names: ["web-*"]
    excludedNames: [web-canary]
  - kinds: ['*']
    orLabelSelectors: [{matchLabels: {x: "1"}}, {}]
clusterScopedFilterPolicy:
  resourceFilters:
  - kinds: [persistentvolumes]
    names: [pv-1]
)",
                                        "policy.yaml");
  CHECK(p.version == "v1");
  REQUIRE(p.namespaced_filter_policies.size() == 1);
  const auto& nfp = p.namespaced_filter_policies[0];
  CHECK(nfp.namespaces == std::vector<std::string>{"ns-1", "team-*"});
  REQUIRE(nfp.resource_filters.size() == 2);
  CHECK(nfp.resource_filters[0].kinds == std::vector<std::string>{"pods", "deployments.apps"});
  REQUIRE(nfp.resource_filters[0].label_selector);
  CHECK(json::value(*nfp.resource_filters[0].label_selector) ==
        json::parse(R"({"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]}]})", "t"));
  CHECK(nfp.resource_filters[0].names == std::vector<std::string>{"web-*"});
  CHECK(nfp.resource_filters[0].excluded_names == std::vector<std::string>{"web-canary"});
  CHECK(nfp.resource_filters[1].catch_all());
  REQUIRE(nfp.resource_filters[1].or_label_selectors.size() == 2);
  CHECK(nfp.resource_filters[1].or_label_selectors[0]);
  CHECK_FALSE(nfp.resource_filters[1].or_label_selectors[1]);  // {} has no constraint
  REQUIRE(p.cluster_scoped_filter_policy);
  CHECK((*p.cluster_scoped_filter_policy)[0].names == std::vector<std::string>{"pv-1"});
  // JSON is YAML.
  auto j = RestoreResourcePolicy::parse(R"({"version":"v1","namespacedFilterPolicies":[{"namespaces":["a"],"resourceFilters":[{"kinds":["pods"]}]}]})", "p.json");
  CHECK(j.namespaced_filter_policies[0].resource_filters[0].kinds == std::vector<std::string>{"pods"});
}

TEST_CASE("restore §2.4 resource policy: strict decoding names the line and the field") {
  CHECK(error_of("version: v1\nnamespacedFilterPolicies:\n- namespace: [a]\n  resourceFilters: [{kinds: [pods]}]\n") ==
        "policy.yaml: line 3, column 3: namespacedFilterPolicies[0]: unknown field \"namespace\"");
  CHECK(error_of("version: v1\nversion: v1\n") == "policy.yaml: line 2, column 1: mapping key \"version\" already defined");
  CHECK(error_of("version: v1\nnamespacedFilterPolicies:\n- namespaces: a\n  resourceFilters: [{kinds: [pods]}]\n") ==
        "policy.yaml: line 3, column 15: namespacedFilterPolicies[0].namespaces: expected a list of strings");
  CHECK(error_of("version: v1\nclusterScopedFilterPolicy: [a]\n") ==
        "policy.yaml: line 2, column 28: clusterScopedFilterPolicy: expected a mapping");
  CHECK(error_of("version: v1\nnamespacedFilterPolicies:\n- namespaces: [a]\n  resourceFilters:\n  - kinds: [{x: y}]\n")
            .ends_with("namespacedFilterPolicies[0].resourceFilters[0].kinds[0]: expected a string"));
  CHECK(error_of("version: v1\nnamespacedFilterPolicies:\n- namespaces: [a]\n  resourceFilters:\n  - labelSelector: {matchLabel: {}}\n")
            .ends_with("namespacedFilterPolicies[0].resourceFilters[0].labelSelector: unknown field \"matchLabel\""));
  CHECK(error_of("version: [v1\n").starts_with("policy.yaml: line "));
  CHECK(error_of("") == "policy.yaml: failed to decode yaml data into resource policies: EOF (empty document)");
  CHECK(error_of("just a string") == "policy.yaml: line 1, column 1: expected a mapping");
}

TEST_CASE("restore §2.4 resource policy: ValidateForRestore's version and backup-only sections") {
  CHECK(error_of("version: v2\n") == "policy.yaml: incompatible version number v2 with supported version v1");
  CHECK(error_of("namespacedFilterPolicies: []\n") == "policy.yaml: incompatible version number  with supported version v1");
  CHECK(error_of("version: v1\nvolumePolicies:\n- conditions: {capacity: '0,100Gi'}\n  action: {type: skip}\n") ==
        "policy.yaml: volumePolicies are not supported for restore");
  CHECK(error_of("version: v1\nincludeExcludePolicy: {}\n") == "policy.yaml: includeExcludePolicy is not supported for restore");
  CHECK(error_of("version: v1\nvolumePolicies: []\nincludeExcludePolicy:\n") == "");
}

TEST_CASE("restore §2.4 resource policy: namespacedFilterPolicies rules, in Velero's words") {
  auto ns = [](std::string body) { return error_of("version: v1\nnamespacedFilterPolicies:\n" + body); };
  CHECK(ns("- resourceFilters: [{kinds: [pods]}]\n") ==
        "policy.yaml: namespacedFilterPolicies[0]: at least one namespace must be specified");
  CHECK(ns("- namespaces: [a]\n") == "policy.yaml: namespacedFilterPolicies[0]: at least one resourceFilter must be specified");
  CHECK(ns("- namespaces: [a, 'b**']\n  resourceFilters: [{kinds: [pods]}]\n") ==
        "policy.yaml: namespacedFilterPolicies[0].namespaces[1]: wildcard pattern contains consecutive asterisks (only "
        "single * allowed)");
  CHECK(ns("- namespaces: ['a[']\n  resourceFilters: [{kinds: [pods]}]\n")
            .ends_with("wildcard pattern contains unclosed bracket '['"));
  CHECK(ns("- namespaces: ['a]']\n  resourceFilters: [{kinds: [pods]}]\n")
            .ends_with("wildcard pattern contains unmatched closing bracket ']'"));
  CHECK(ns("- namespaces: [a]\n  resourceFilters: [{kinds: ['*']}, {kinds: []}]\n") ==
        "policy.yaml: namespacedFilterPolicies[0]: only one catch-all resource filter is allowed");
  CHECK(ns("- namespaces: [a]\n  resourceFilters: [{names: [x]}]\n") ==
        "policy.yaml: namespacedFilterPolicies[0].resourceFilters[0]: names or excludedNames cannot be specified for "
        "catch-all filters");
  CHECK(ns("- namespaces: [a]\n  resourceFilters: [{kinds: [pods]}, {kinds: [secrets, pods]}]\n") ==
        "policy.yaml: namespacedFilterPolicies[0]: kind \"pods\" appears in both resourceFilters[0] and resourceFilters[1]");
  CHECK(ns("- namespaces: [a]\n  resourceFilters:\n  - kinds: [pods]\n    labelSelector: {matchLabels: {a: b}}\n"
           "    orLabelSelectors: [{matchLabels: {c: d}}]\n") ==
        "policy.yaml: namespacedFilterPolicies[0].resourceFilters[0]: labelSelector and orLabelSelectors cannot co-exist");
  CHECK(ns("- namespaces: [a]\n  resourceFilters:\n  - kinds: [pods]\n    labelSelector: {matchExpressions: [{key: a, operator: Near}]}\n")
            .starts_with("policy.yaml: namespacedFilterPolicies[0].resourceFilters[0]: invalid label selector: "));
  CHECK(ns("- namespaces: [a]\n  resourceFilters:\n  - kinds: [pods]\n    orLabelSelectors: [{matchLabels: {'a b': c}}]\n")
            .starts_with("policy.yaml: namespacedFilterPolicies[0].resourceFilters[0].orLabelSelectors[0]: invalid label selector: "));
  CHECK(ns("- namespaces: [a]\n  resourceFilters: [{kinds: [pods], names: ['[x']}]\n")
            .starts_with("policy.yaml: namespacedFilterPolicies[0].resourceFilters[0].names[0]: invalid glob pattern \"[x\": "));
  CHECK(ns("- namespaces: [a]\n  resourceFilters: [{kinds: [pods], excludedNames: ['a[b']}]\n")
            .starts_with("policy.yaml: namespacedFilterPolicies[0].resourceFilters[0].excludedNames[0]: invalid glob pattern"));
  CHECK(ns("- namespaces: [a, b]\n  resourceFilters: [{kinds: [pods]}]\n- namespaces: [b]\n  resourceFilters: [{kinds: [pods]}]\n") ==
        "policy.yaml: namespacedFilterPolicies: duplicate namespace pattern 'b' found in policies [0 1]");
}

TEST_CASE("restore §2.4 resource policy: clusterScopedFilterPolicy rules") {
  auto cs = [](std::string body) { return error_of("version: v1\nclusterScopedFilterPolicy:\n" + body); };
  CHECK(cs("  resourceFilters: []\n") ==
        "policy.yaml: clusterScopedFilterPolicy: resourceFilters cannot be empty; remove the policy block entirely if "
        "it is not needed");
  CHECK(cs("  resourceFilters: [{kinds: ['*']}]\n") ==
        "policy.yaml: clusterScopedFilterPolicy.resourceFilters[0]: kinds must be specified (catch-all is not supported)");
  CHECK(cs("  resourceFilters: [{kinds: [pv]}, {kinds: [pv]}]\n") ==
        "policy.yaml: clusterScopedFilterPolicy: kind \"pv\" appears in both resourceFilters[0] and resourceFilters[1]");
  CHECK(cs("  resourceFilters: [{kinds: [pv], labelSelector: {matchLabels: {a: b}}, orLabelSelectors: [{}]}]\n") ==
        "policy.yaml: clusterScopedFilterPolicy.resourceFilters[0]: labelSelector and orLabelSelectors cannot co-exist");
}

TEST_CASE("restore §2.4 resource policy: from a ConfigMap with exactly one key") {
  json::value cm = json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"pol","namespace":"velero"},
    "data":{"policy.yaml":"version: v1\nclusterScopedFilterPolicy:\n  resourceFilters: [{kinds: [persistentvolumes]}]\n"}})", "t");
  auto p = RestoreResourcePolicy::from_config_map(cm.as_object());
  CHECK(p.cluster_scoped_filter_policy);
  cm.as_object()["data"].as_object()["other"] = "x";
  try {
    RestoreResourcePolicy::from_config_map(cm.as_object());
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "illegal resource policies velero/pol configmap");
  }
  json::value bad = json::parse(R"({"metadata":{"name":"pol","namespace":"velero"},"data":{"p":"version: v3"}})", "t");
  CHECK_THROWS_WITH(RestoreResourcePolicy::from_config_map(bad.as_object()),
                    "configmap velero/pol: incompatible version number v3 with supported version v1");
}

TEST_CASE("restore §2.4 resource policy: aliases cannot make a small document huge") {
  std::string yaml = "version: v1\nx: &a [";
  for (int i = 0; i < 200; ++i) yaml += std::string(i ? "," : "") + "ns" + std::to_string(i);
  yaml += "]\n";
  // Not a known field, so this fails on "x" first; the real test is the nested alias below.
  CHECK(error_of(yaml).find("unknown field \"x\"") != std::string::npos);
  std::string bomb = "version: v1\nnamespacedFilterPolicies:\n- &p\n  namespaces: &n [";
  for (int i = 0; i < 1000; ++i) bomb += std::string(i ? "," : "") + "a";
  bomb += "]\n  resourceFilters: &f [";
  for (int i = 0; i < 1000; ++i) bomb += std::string(i ? "," : "") + "{kinds: *n}";
  bomb += "]\n";
  for (int i = 0; i < 100; ++i) bomb += "- *p\n";
  CHECK(error_of(bomb).ends_with("more than 1000000 values (aliases expand too far)"));
}
