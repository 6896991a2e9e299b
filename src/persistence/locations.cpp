// Named locations (vbackup's stand-in for velero's BackupStorageLocation CRs outside a cluster): a
// small YAML file of BackupStorageLocation objects, changed with the velero CLI's rules
// (pkg/cmd/cli/backuplocation create.go, set.go: one default at most, set by the user).
#include "vbackup/location.hpp"

#include "core/temp_file.hpp"
#include "vbackup/error.hpp"
#include "vbackup/manifests.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace vbackup {
namespace {

namespace fs = std::filesystem;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// A Kubernetes object name (DNS-1123 subdomain), as the API server would require of a BSL CR.
bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 253) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(n.front()) || !alnum(n.back())) return false;
  return std::all_of(n.begin(), n.end(), [&](char c) { return alnum(c) || c == '-' || c == '.'; });
}

// The object as the file keeps it: apiVersion, kind, metadata, spec (no status, no namespace: the
// file is not a cluster).
json::object stored_form(const velero::BackupStorageLocation& bsl) {
  json::object o = bsl.to_json();
  o.erase("status");
  if (auto* meta = o.if_contains("metadata"); meta && meta->is_object()) meta->get_object().erase("namespace");
  return o;
}

}  // namespace

fs::path default_locations_file() {
  if (std::string v = env("VBACKUP_CONFIG"); !v.empty()) return v;
  if (std::string x = env("XDG_CONFIG_HOME"); !x.empty()) return fs::path(x) / "vbackup" / "locations.yaml";
  std::string home = env("HOME");
  if (home.empty()) {
    throw invalid_input("named locations: neither $VBACKUP_CONFIG nor $HOME is set, so there is no locations file");
  }
  return fs::path(home) / ".config" / "vbackup" / "locations.yaml";
}

LocationsFile LocationsFile::load(fs::path path) {
  LocationsFile f;
  f.path_ = std::move(path);
  std::error_code ec;
  if (!fs::exists(f.path_, ec)) return f;
  const std::string what = "locations file " + f.path_.string();
  auto ignore = [](const std::string&) {};
  manifests::read_manifest_file(
      f.path_,
      [&](manifests::ManifestObject&& m) {
        std::string where = what + " (document " + std::to_string(m.document + 1) + ")";
        auto bsl = velero::BackupStorageLocation::from_json(m.object, where);
        if (bsl.metadata.name.empty()) throw invalid_input(where + ": a location needs metadata.name");
        if (f.find(bsl.metadata.name)) {
          throw invalid_input(what + ": location \"" + bsl.metadata.name + "\" is defined twice");
        }
        if (bsl.spec.default_ && f.default_location()) {
          throw invalid_input(what + ": both \"" + f.default_location()->metadata.name + "\" and \"" +
                              bsl.metadata.name + "\" are marked spec.default: true; keep one");
        }
        f.locations_.push_back(std::move(bsl));
      },
      ignore);
  return f;
}

const velero::BackupStorageLocation* LocationsFile::find(std::string_view name) const {
  for (const auto& l : locations_) {
    if (l.metadata.name == name) return &l;
  }
  return nullptr;
}

const velero::BackupStorageLocation* LocationsFile::default_location() const {
  for (const auto& l : locations_) {
    if (l.spec.default_) return &l;
  }
  return nullptr;
}

void LocationsFile::add(velero::BackupStorageLocation location) {
  const std::string& name = location.metadata.name;
  if (!valid_name(name)) {
    throw invalid_input("backup storage location \"" + name +
                        "\": a name is lower-case letters, digits, '-' and '.', starting and ending with a letter "
                        "or digit (a Kubernetes object name)");
  }
  if (find(name)) {
    throw Error(ErrorCode::already_exists,
                "backup storage location \"" + name + "\" already exists in " + path_.string());
  }
  // velero backup-location create --default refuses a second default.
  if (location.spec.default_ && default_location()) {
    throw invalid_input("there is already exist default backup storage location (\"" +
                        default_location()->metadata.name + "\"), please unset it first or do not set --default flag");
  }
  location.status = {};
  location.metadata.namespace_.clear();
  locations_.push_back(std::move(location));
}

bool LocationsFile::set_default(std::string_view name, bool is_default) {
  auto it = std::find_if(locations_.begin(), locations_.end(), [&](const auto& l) { return l.metadata.name == name; });
  if (it == locations_.end()) {
    throw not_found("backup storage location \"" + std::string(name) + "\" not found in " + path_.string());
  }
  if (it->spec.default_ == is_default) return false;
  // velero backup-location set --default: another default must be unset first.
  if (is_default && default_location()) {
    throw invalid_input("there are already exist default backup storage locations (\"" +
                        default_location()->metadata.name + "\"), please unset them first");
  }
  it->spec.default_ = is_default;
  return true;
}

void LocationsFile::update(velero::BackupStorageLocation location) {
  auto it = std::find_if(locations_.begin(), locations_.end(),
                         [&](const auto& l) { return l.metadata.name == location.metadata.name; });
  if (it == locations_.end()) {
    throw not_found("backup storage location \"" + location.metadata.name + "\" not found in " + path_.string());
  }
  const auto* current = default_location();
  if (location.spec.default_ && current && current->metadata.name != location.metadata.name) {
    throw invalid_input("there are already exist default backup storage locations (\"" + current->metadata.name +
                        "\"), please unset them first");
  }
  location.status = {};
  location.metadata.namespace_.clear();
  *it = std::move(location);
}

bool LocationsFile::remove(std::string_view name) {
  return std::erase_if(locations_, [&](const auto& l) { return l.metadata.name == name; }) > 0;
}

void LocationsFile::save() const {
  const std::string what = "locations file " + path_.string();
  std::string text = "# vbackup's named backup storage locations (vbackup backup-location create|set|delete)\n";
  for (const auto& l : locations_) text += "---\n" + manifests::to_yaml(json::value(stored_form(l)));
  std::error_code ec;
  fs::path dir = path_.parent_path();
  if (!dir.empty()) fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorCode::io, what + ": cannot create the folder " + dir.string() + ": " + ec.message());
  // Written beside the file and renamed over it: a reader sees the old file or the new one.
  detail::replace_file(path_, text, what);
}

}  // namespace vbackup
