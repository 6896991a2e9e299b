// A folder of manifests as a cluster (source.hpp). Objects are read once, normalised the way an API
// server would store them (namespace defaulted or dropped by scope, generateName turned into a
// name), spilled to a temporary file and indexed; list() and get() answer from the index, which is
// on disk too (manifests/object_index.hpp), so memory stays flat whatever the number of objects.
#include "manifests/object_index.hpp"
#include "vbackup/error.hpp"
#include "vbackup/labels.hpp"
#include "vbackup/manifests.hpp"
#include "vbackup/cluster.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

namespace vbackup {
namespace {

// The API server's generateName suffix alphabet (apimachinery util/rand: no vowels, no 0/1/3).
constexpr std::string_view kNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

// Deterministic stand-in for the server's random suffix, so the same manifests give the same backup.
std::string generated_suffix(std::string_view seed) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : seed) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  std::string out;
  for (int i = 0; i < 5; ++i) {
    out.push_back(kNameAlphabet[h % kNameAlphabet.size()]);
    h /= kNameAlphabet.size();
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// kubectl's UnsafeGuessKindToResource: lower-case the kind and pluralise it.
std::string guess_plural(std::string_view kind) {
  std::string k = lower(kind);
  if (k.empty()) return k;
  if (k.back() == 's' || k.ends_with("ch") || k.ends_with("sh") || k.back() == 'x' || k.back() == 'z') return k + "es";
  if (k.back() == 'y' && k.size() > 1 && std::string_view("aeiou").find(k[k.size() - 2]) == std::string_view::npos) {
    return k.substr(0, k.size() - 1) + "ies";
  }
  return k + "s";
}

std::pair<std::string, std::string> split_api_version(std::string_view api_version) {
  auto slash = api_version.find('/');
  if (slash == std::string_view::npos) return {"", std::string(api_version)};
  return {std::string(api_version.substr(0, slash)), std::string(api_version.substr(slash + 1))};
}

bool valid_object_name(std::string_view n) {
  return !n.empty() && n != "." && n != ".." && n.find('/') == std::string_view::npos &&
         n.find('\0') == std::string_view::npos;
}

class ManifestSource final : public ClusterSource {
 public:
  ManifestSource(const std::vector<std::filesystem::path>& paths, const ManifestSourceOptions& options)
      : discovery_(builtin_kubernetes_discovery()), options_(options) {
    for (const auto& p : paths) describe_ += (describe_.empty() ? "manifests " : ", ") + p.string();
    spill_ = std::tmpfile();
    if (!spill_) throw io_error("manifests: cannot create a temporary file");
    for (const auto& root : paths) {
      for (const auto& file : manifests::find_manifest_files(root)) read_file(file);
    }
    resolve_all();
    if (std::fflush(spill_) != 0) throw io_error("manifests: cannot write the temporary spill file");
  }
  ~ManifestSource() override { std::fclose(spill_); }

  std::string describe() const override { return describe_; }
  const Discovery& discovery() override { return discovery_; }
  std::vector<std::string> warnings() override { return warnings_; }
  std::vector<std::string> errors() override { return errors_; }
  bool serves_objects_as_written() const override { return true; }

  void list(const ApiResource& resource, const ListOptions& options,
            const std::function<void(json::object&&)>& on_item) override {
    labels::Selector selector = labels::Selector::parse(options.label_selector);
    index_.for_each(key_of(resource), options.namespace_, [&](Entry&& e) {
      json::object obj = load(e);
      if (!selector.empty() && !selector.matches(json::metadata_map(obj, "labels"))) return;
      on_item(std::move(obj));
    });
  }

  // Exact without a selector (the index knows every object); with one, objects would have to be read.
  std::optional<std::int64_t> count(const ApiResource& resource, const ListOptions& options) override {
    if (!options.label_selector.empty()) return std::nullopt;
    return index_.count(key_of(resource), options.namespace_);
  }

  std::optional<json::object> get(const ApiResource& resource, const std::string& ns,
                                  const std::string& name) override {
    auto e = index_.find(key_of(resource), ns, name);
    if (!e) return std::nullopt;
    return load(*e);
  }

 private:
  struct Pending {
    std::string api_version, kind, ns, name, origin;
    bool has_namespace;
    std::uint64_t offset;
    std::uint32_t length;
  };
  using Entry = manifests::detail::ObjectIndex::Entry;

  static std::string key_of(const ApiResource& r) { return r.group + "/" + r.name; }

  void read_file(const std::filesystem::path& file) {
    try {
      manifests::read_manifest_file(
          file,
          [&](manifests::ManifestObject&& m) { stage(std::move(m)); },
          [&](const std::string& w) { warnings_.push_back(w); });
    } catch (const Error& e) {
      // One unreadable file is one failed item group, not a failed backup (Velero's item errors).
      errors_.push_back(e.what());
    }
  }

  void stage(manifests::ManifestObject&& m) {
    std::string origin = m.source + ":" + std::to_string(m.line);
    if (m.item) origin += " (item " + std::to_string(*m.item) + ")";
    json::object& obj = m.object;
    std::string api_version(json::get_string(obj, "apiVersion"));
    std::string kind(json::get_string(obj, "kind"));
    json::object* md = nullptr;
    if (auto it = obj.find("metadata"); it != obj.end() && it->value().is_object()) md = &it->value().get_object();
    std::string name(md ? json::get_string(*md, "name") : "");
    if (name.empty()) {
      std::string generate(md ? json::get_string(*md, "generateName") : "");
      if (generate.empty()) {
        errors_.push_back(origin + ": " + kind + " has neither metadata.name nor metadata.generateName");
        return;
      }
      // The API server appends five random characters; ours derive from where the object was found.
      name = generate + generated_suffix(origin);
      (*md)["name"] = name;
    }
    if (!valid_object_name(name)) {
      errors_.push_back(origin + ": " + kind + " \"" + name + "\": not a valid object name");
      return;
    }
    std::string ns(md ? json::get_string(*md, "namespace") : "");
    bool has_ns = !ns.empty();
    if (kind == "CustomResourceDefinition" && api_version.starts_with("apiextensions.k8s.io/")) {
      try {
        discovery_.add_crd(obj);
      } catch (const Error& e) {
        warnings_.push_back(origin + ": " + e.what() + "; its custom resources are treated as unknown kinds");
      }
    }
    std::string bytes = json::marshal(obj);
    std::string offset = std::to_string(spill_size_), length = std::to_string(bytes.size());
    write_spill(bytes);
    // What resolve_all() needs once discovery knows every CRD, kept on disk until then.
    pending_.put({api_version, kind, ns, name, origin, has_ns ? "1" : "0", offset, length});
  }

  void write_spill(const std::string& bytes) {
    if (std::fseek(spill_, static_cast<long>(spill_size_), SEEK_SET) != 0 ||
        std::fwrite(bytes.data(), 1, bytes.size(), spill_) != bytes.size()) {
      throw io_error("manifests: cannot write the temporary spill file");
    }
    spill_size_ += bytes.size();
  }

  json::object load(const Entry& e) const {
    std::string buf(e.length, '\0');
    if (::pread(fileno(spill_), buf.data(), e.length, static_cast<off_t>(e.offset)) != static_cast<ssize_t>(e.length)) {
      throw io_error("manifests: cannot read the temporary spill file");
    }
    json::value v = json::parse(buf, e.origin);
    json::object obj = std::move(v.get_object());
    // Rewrites the index decided on (namespace defaulted or dropped).
    if (auto it = obj.find("metadata"); it != obj.end() && it->value().is_object()) {
      auto& md = it->value().get_object();
      if (e.ns.empty()) md.erase("namespace"); else md["namespace"] = e.ns;
    } else {
      json::object md;
      md["name"] = e.name;
      if (!e.ns.empty()) md["namespace"] = e.ns;
      obj["metadata"] = std::move(md);
    }
    return obj;
  }

  const ApiResource* resource_for(const Pending& p) {
    if (const ApiResource* r = discovery_.find_kind(p.api_version, p.kind)) return r;
    auto [group, version] = split_api_version(p.api_version);
    // A known kind in a version this Kubernetes no longer serves (extensions/v1beta1 Deployment):
    // the group's own resource of that kind, if the group exists.
    if (const ApiGroup* g = discovery_.group(group)) {
      for (const auto& v : g->versions) {
        if (const ApiResource* r = discovery_.find_kind(group.empty() ? v : group + "/" + v, p.kind)) return r;
      }
    }
    // Kinds that moved out of the retired extensions group are the same resources a cluster serves
    // from their new groups (Velero's cohabitation rule would otherwise skip them, spec §5.9).
    if (group == "extensions") {
      for (const char* moved : {"apps", "networking.k8s.io", "policy"}) {
        if (const ApiGroup* g = discovery_.group(moved)) {
          if (const ApiResource* r = discovery_.find_kind(std::string(moved) + "/" + g->preferred_version, p.kind)) return r;
        }
      }
    }
    auto key = group + "/" + p.kind;
    if (auto it = guessed_.find(key); it != guessed_.end()) return &it->second;
    if (const ApiGroup* g = discovery_.group(group);
        g && std::find(g->versions.begin(), g->versions.end(), version) == g->versions.end()) {
      errors_.push_back(p.origin + ": kind " + p.kind + " of " + p.api_version + " is unknown and group \"" + group +
                        "\" does not serve version " + version + ": not backed up");
      return nullptr;
    }
    ApiResource r;
    r.group = group;
    r.version = version;
    r.kind = p.kind;
    r.name = guess_plural(p.kind);
    r.singular = lower(p.kind);
    r.namespaced = p.has_namespace;
    r.verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
    warnings_.push_back(p.origin + ": kind " + p.kind + " of " + p.api_version +
                        " is not a built-in Kubernetes kind and no CustomResourceDefinition for it is among the "
                        "manifests: backed up as resource \"" + r.group_resource() + "\" (name guessed, " +
                        (r.namespaced ? "namespaced" : "cluster-scoped") + ")");
    return &guessed_.emplace(key, std::move(r)).first->second;
  }

  void resolve_all() {
    std::set<std::string> namespaces_with_objects, namespace_objects;
    // Warnings found while resolving, with the object they are about: a duplicate's warning comes
    // from the index's sort, and is put back in reading order among the others.
    std::vector<std::pair<std::uint64_t, std::string>> resolve_warnings;
    std::uint64_t sequence = 0;
    pending_.for_each([&](std::vector<std::string>& f) {
      Pending p{std::move(f[0]), std::move(f[1]), std::move(f[2]), std::move(f[3]), std::move(f[4]), f[5] == "1",
                std::stoull(f[6]), static_cast<std::uint32_t>(std::stoul(f[7]))};
      ++sequence;
      std::size_t had = warnings_.size();
      const ApiResource* r = resource_for(p);
      for (std::size_t i = had; i < warnings_.size(); ++i) resolve_warnings.emplace_back(sequence, std::move(warnings_[i]));
      warnings_.resize(had);
      if (!r) return;
      std::string ns = r->namespaced ? (p.ns.empty() ? options_.default_namespace : p.ns) : "";
      resources_.emplace(key_of(*r), *r);
      if (!ns.empty()) namespaces_with_objects.insert(ns);
      if (r->group.empty() && r->name == "namespaces") namespace_objects.insert(p.name);
      index_.add(key_of(*r), Entry{std::move(ns), std::move(p.name), std::move(p.origin), p.offset, p.length}, sequence);
    });
    // A cluster always has the Namespace object of every namespace that holds objects.
    if (const ApiResource* nsr = discovery_.find("", "namespaces"); nsr && options_.implied_namespaces) {
      for (const auto& ns : namespaces_with_objects) {
        if (namespace_objects.count(ns)) continue;
        json::object obj{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", json::object{{"name", ns}}}};
        std::string bytes = json::marshal(obj);
        Entry e{"", ns, "namespace " + ns + " (implied by its objects)", spill_size_, static_cast<std::uint32_t>(bytes.size())};
        write_spill(bytes);
        index_.add(key_of(*nsr), e, ++sequence);
        resources_.emplace(key_of(*nsr), *nsr);
      }
    }
    // Guessed resources join discovery so collection reaches them: a new group lists every version
    // seen, highest priority first (compare_kube_versions), after the groups a cluster has.
    std::map<std::string, std::vector<ApiResource>> by_gv;
    std::map<std::string, std::vector<std::string>> new_groups;
    for (const auto& [key, r] : guessed_) {
      by_gv[r.group_version()].push_back(r);
      if (!discovery_.group(r.group)) {
        auto& versions = new_groups[r.group];
        if (std::find(versions.begin(), versions.end(), r.version) == versions.end()) versions.push_back(r.version);
      }
    }
    for (auto& [group, versions] : new_groups) {
      std::sort(versions.begin(), versions.end(),
                [](const std::string& a, const std::string& b) { return compare_kube_versions(a, b) > 0; });
      discovery_.add_group(ApiGroup{group, versions, versions.front(), 0});
    }
    for (auto& [gv, list] : by_gv) discovery_.add_resources(gv, list);  // versions checked in resource_for()
    // Lists come back in the API server's storage-key order: "<ns>/<name>" (or "<name>") compared as
    // one string, so namespace "a-b" sorts before "a" ('-' < '/'). The index sorts in that order.
    index_.finish([&](std::string_view resource, const Entry& later, const Entry& earlier, std::uint64_t seq) {
      const ApiResource& r = resources_.at(std::string(resource));
      resolve_warnings.emplace_back(seq, later.origin + ": " + r.group_resource() + " " +
                                             (later.ns.empty() ? "" : later.ns + "/") + later.name + " also defined at " +
                                             earlier.origin + "; the later definition wins, as kubectl apply would leave it");
    });
    std::stable_sort(resolve_warnings.begin(), resolve_warnings.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [seq, w] : resolve_warnings) warnings_.push_back(std::move(w));
  }

  Discovery discovery_;
  ManifestSourceOptions options_;
  std::string describe_;
  std::FILE* spill_ = nullptr;
  std::uint64_t spill_size_ = 0;
  manifests::detail::RecordSpill pending_;
  manifests::detail::ObjectIndex index_;
  std::map<std::string, ApiResource> resources_;
  std::map<std::string, ApiResource> guessed_;
  std::vector<std::string> warnings_, errors_;
};

}  // namespace

std::unique_ptr<ClusterSource> open_manifest_source(const std::vector<std::filesystem::path>& paths,
                                                    const ManifestSourceOptions& options) {
  return std::make_unique<ManifestSource>(paths, options);
}

}  // namespace vbackup
