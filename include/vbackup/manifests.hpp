// Kubernetes manifests (YAML or JSON files) read into Kubernetes objects, converted the way
// Kubernetes tooling converts YAML to JSON: sigs.k8s.io/yaml on top of go-yaml v2, that is YAML 1.1
// scalar resolution (yes/no/on/off are booleans, 0755 is octal), keys made strings, and the
// JSON round trip that turns an integral float into an integer.
//
//   vbackup::manifests::read_manifest_file("deploy/app.yaml",
//       [&](vbackup::manifests::ManifestObject&& m) { items.push_back(std::move(m.object)); },
//       [&](const std::string& warning) { log(warning); });
//
// Errors: bad input throws vbackup::Error(ErrorCode::invalid) whose message names the file, the line
// and column and the problem ("manifests/app.yaml: line 12, column 3: mapping values are not allowed
// here"); a file that cannot be read throws ErrorCode::io.
#pragma once

#include "vbackup/json.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::manifests {

// One Kubernetes object of a manifest file and where it came from.
struct ManifestObject {
  json::object object;
  std::string source;       // the file path as given
  int document = 0;         // 0-based YAML document index; a `---` with nothing after it counts as
                            // an (empty) document, a leading `---` does not open an extra one
  std::optional<int> item;  // index within the `items` of a *List document
  int line = 1;             // 1-based line where that document's content starts
};

using ObjectCallback = std::function<void(ManifestObject&&)>;
// Problems that do not stop reading, e.g. a duplicate mapping key (the last value wins), naming
// the file and line.
using WarningCallback = std::function<void(const std::string&)>;

// Reads one file's bytes: a YAML stream (one or more documents) or JSON (one or more concatenated
// values). Empty and null documents are skipped. A document whose kind ends in "List" and whose
// `items` is an array yields its items (none for `items: []`); with `items: null` it is a single
// object, as tests/data/corpus/README.md counts it. Items with neither apiVersion nor kind take
// the list's apiVersion and its kind without "List", as Kubernetes' list decoding does. Every document (and item) must be a mapping with
// string apiVersion and kind. `source` names the input in messages and in ManifestObject::source.
// Objects are delivered in file order; nothing is delivered past the first error.
void read_manifests(std::string_view text, std::string_view source, const ObjectCallback& on_object,
                    const WarningCallback& on_warning);

// read_manifests on the contents of `path`; the source is the path as given.
void read_manifest_file(const std::filesystem::path& path, const ObjectCallback& on_object,
                        const WarningCallback& on_warning);

// The files `kubectl apply -f DIR -R` reads: *.yaml, *.yml and *.json below `dir_or_file`,
// recursively, hidden folders included, in lexical path order compared folder by folder (the order
// filepath.Walk visits: "a/b.yaml" before "a-b.yaml"). A file path given directly is
// returned as is, whatever its extension. Throws ErrorCode::not_found if the path does not exist.
std::vector<std::filesystem::path> find_manifest_files(const std::filesystem::path& dir_or_file);

// JSON as sigs.k8s.io/yaml prints it: block style, keys sorted, strings quoted exactly when this
// reader would take them for something else ("yes", "0755", "") — so read_manifests(to_yaml(v))
// gives v back.
std::string to_yaml(const json::value& v);

}  // namespace vbackup::manifests
