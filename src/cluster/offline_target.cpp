// A target that reaches no cluster (cluster.hpp open_offline_target): the dry-run plan's world, and
// with an output folder the manifests writer. It behaves as an empty cluster would for what a
// restore asks: discovery learns the CRDs created through it, get() finds what was created, a second
// create of the same object is AlreadyExists. Only keys are kept, so memory follows the number of
// objects by a few dozen bytes, not by their size; the objects themselves go to the folder.
#include "vbackup/cluster.hpp"
#include "vbackup/error.hpp"
#include "vbackup/manifests.hpp"

#include <fstream>
#include <mutex>
#include <set>

namespace vbackup {
namespace {

namespace fs = std::filesystem;

// A file name part: lower-case kind, namespace and name, characters outside [a-z0-9.-] as '_'.
std::string file_part(std::string_view s) {
  std::string out;
  for (char c : s) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    out += (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '.' || l == '-' ? l : '_';
  }
  return out;
}

class OfflineTarget final : public ClusterTarget {
 public:
  explicit OfflineTarget(const OfflineTargetOptions& o)
      : discovery_(o.base ? *o.base : builtin_kubernetes_discovery()), dir_(o.output_dir) {
    if (dir_.empty()) return;
    std::error_code ec;
    if (fs::exists(dir_, ec) && !fs::is_empty(dir_, ec)) {
      throw invalid_input("output folder " + dir_.string() + ": not empty (a restore plan is written into an empty folder)");
    }
    fs::create_directories(dir_, ec);
    if (ec) throw io_error("output folder " + dir_.string() + ": " + ec.message());
  }

  std::string describe() const override { return dir_.empty() ? "dry-run" : "folder " + dir_.string(); }
  const Discovery& discovery() override { return discovery_; }
  const Discovery& refresh_discovery() override { return discovery_; }
  std::optional<json::object> get(const ApiResource& r, const std::string& ns, const std::string& name) override {
    std::lock_guard lock(mu_);
    auto it = created_.find(key(r, r.namespaced ? ns : "", name));
    if (it == created_.end()) return std::nullopt;
    // What a get would show of it: its identity (the content went to the folder, if any).
    json::object md{{"name", name}};
    if (r.namespaced) md["namespace"] = ns;
    return json::object{{"apiVersion", r.group_version()}, {"kind", r.kind}, {"metadata", std::move(md)}};
  }
  void list(const ApiResource&, const ListOptions&, const std::function<void(json::object&&)>&) override {}
  json::object create(const ApiResource& r, const json::object& object) override {
    std::string ns(r.namespaced ? json::metadata_string(object, "namespace") : "");
    std::string name(json::metadata_string(object, "name"));
    if (name.empty()) name = std::string(json::metadata_string(object, "generateName")) + "xxxxx";
    std::lock_guard lock(mu_);
    if (!created_.insert(key(r, ns, name)).second) {
      throw kube::KubeError(ErrorCode::already_exists,
                            r.group_resource() + " \"" + name + "\" already exists (in this plan)", 409,
                            kube::Reason::already_exists, "AlreadyExists");
    }
    if (r.group == "apiextensions.k8s.io" && r.name == "customresourcedefinitions") discovery_.add_crd(object);
    if (!dir_.empty()) write(r, ns, name, object);
    return object;
  }
  json::object patch(const ApiResource& r, const std::string& ns, const std::string& name, kube::PatchType,
                     std::string_view) override {
    auto o = get(r, ns, name);
    if (!o) throw kube::KubeError(ErrorCode::not_found, r.group_resource() + " \"" + name + "\" not found", 404,
                                  kube::Reason::not_found, "NotFound");
    return *o;
  }
  json::object update_status(const ApiResource&, const json::object& object) override { return object; }
  void remove(const ApiResource& r, const std::string& ns, const std::string& name) override {
    std::lock_guard lock(mu_);
    created_.erase(key(r, ns, name));
  }
  void wait_for_crd(const std::string&, std::chrono::milliseconds) override {}
  bool offline() const override { return true; }

 private:
  static std::string key(const ApiResource& r, std::string_view ns, std::string_view name) {
    std::string k = r.group_resource();
    k += '|';
    k += ns;
    k += '|';
    k += name;
    return k;
  }

  void write(const ApiResource& r, const std::string& ns, const std::string& name, const json::object& object) {
    char seq[16];
    std::snprintf(seq, sizeof seq, "%05zu", ++written_);
    std::string file = std::string(seq) + "-" + file_part(r.kind) + (ns.empty() ? "" : "-" + file_part(ns)) + "-" +
                       file_part(name) + ".yaml";
    fs::path path = dir_ / file;
    std::ofstream out(path, std::ios::binary);
    out << manifests::to_yaml(json::value(object));
    if (!out.flush()) throw io_error(path.string() + ": cannot be written");
  }

  std::mutex mu_;
  Discovery discovery_;
  fs::path dir_;
  std::set<std::string> created_;
  std::size_t written_ = 0;
};

}  // namespace

std::unique_ptr<ClusterTarget> open_offline_target(const OfflineTargetOptions& options) {
  return std::make_unique<OfflineTarget>(options);
}

}  // namespace vbackup
