// Velero's resource modifiers (internal/resourcemodifiers, restore §2.10): the rules a restore applies
// to each item after the restore item actions and before the namespace and restore labels are set.
//
//   auto modifiers = vbackup::restore::ResourceModifiers::from_file("modifiers.yaml");
//   for (const std::string& error : modifiers.apply(item, "deployments.apps", source_namespace))
//     record_item_error(error);  // the item is still created
//
// Parsing is Velero's strict decoding (sigs.k8s.io/yaml UnmarshalStrict into Velero's structs): YAML or
// JSON; keys match fields case-insensitively as Go's encoding/json does; an unknown key, a duplicate
// key or a value of the wrong type is an Error(invalid) naming the key's path. Scalars written for a
// string field become strings (value: 2 is "2"), as sigs.k8s.io/yaml converts them.
//
// Where Velero reports a problem only when an item reaches it, vbackup refuses the whole modifier at
// parse time, each with a named error: a groupResource glob that does not compile, a resourceNameRegex
// that does not compile (Go RE2 syntax, see go_regexp.hpp), a labelSelector LabelSelectorAsSelector
// rejects, and a `matches` entry without a path. Velero instead records that error on every item the
// rule reaches (the restore ends PartiallyFailed); failing before anything is restored is kinder.
#pragma once

#include "vbackup/json.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::restore {

struct MatchRule {
  std::string path, value;  // value with the quoting rules of JSONPatch::value
};

// One entry of `patches`: RFC 6902 with Velero's field names; `value` is a string that is emitted as
// JSON when it is null, true/false (any case), starts with { or [, or is a Go float, else quoted; a
// value wrapped in "…" is always a string (the quotes removed).
struct JSONPatch {
  std::string operation, from, path, value;
};

struct Conditions {
  std::vector<std::string> namespaces;  // IncludesExcludes includes on the SOURCE namespace; empty = all
  std::string group_resource;           // gobwas glob, '.' separator: "*" only matches core resources
  std::string resource_name_regex;      // unanchored, on metadata.name
  std::optional<json::object> label_selector;  // metav1.LabelSelector
  std::vector<MatchRule> matches;       // every one must pass as a JSON-patch `test`
};

struct ResourceModifierRule {
  Conditions conditions;
  std::vector<JSONPatch> patches;
  std::vector<std::string> merge_patches;      // each patchData (YAML or JSON)
  std::vector<std::string> strategic_patches;  // each patchData (YAML or JSON)
};

class ResourceModifiers {
 public:
  // GetResourceModifiersFromConfig + Validate. `configmap_or_data` is a ConfigMap (kind ConfigMap:
  // its `data` is used) or the data map itself; it must hold exactly one key. `what` names the input
  // in errors ("velero/modifiers"). Throws Error(invalid) (Error(unsupported) for a Go regexp that
  // this engine cannot run).
  static ResourceModifiers parse(const json::object& configmap_or_data, std::string_view what);
  // The modifier document itself (the one value of the ConfigMap).
  static ResourceModifiers parse_text(std::string_view text, std::string_view what);
  // A file holding either the modifier document or a ConfigMap manifest (YAML or JSON) with it.
  static ResourceModifiers from_file(const std::filesystem::path& path);

  // ApplyResourceModifierRules: every rule is matched against the object as it was before any rule
  // applied; the patches of matching rules are applied in order, cumulatively. Returns one message per
  // failing rule (Velero records each as an error on the item; the object keeps what succeeded).
  // `group_resource` is "deployments.apps" ("pods" for the core group); `source_namespace` is the
  // namespace in the backup, "" for a cluster-scoped object.
  std::vector<std::string> apply(json::object& obj, std::string_view group_resource,
                                 std::string_view source_namespace) const;

  const std::string& version() const { return version_; }
  const std::vector<ResourceModifierRule>& rules() const { return rules_; }

  struct Compiled;  // a rule's glob, regexp and selector

 private:
  std::string version_;
  std::vector<ResourceModifierRule> rules_;
  std::shared_ptr<const std::vector<Compiled>> compiled_;
};

}  // namespace vbackup::restore
