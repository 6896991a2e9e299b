// CustomResourceDefinitions as apiextensions-apiserver handles them: a new CRD is validated,
// defaulted and stored at once; after a short delay its names are accepted, it becomes Established
// and its resources are served (discovery, CRUD). Deleting it removes its custom resources.
#include "kube_server/api.hpp"
#include "kube_server/util.hpp"
#include "vbackup/error.hpp"

#include <array>
#include <mutex>
#include <shared_mutex>

namespace vbackup::kubetest {

namespace {

constexpr const char* kCrdTable = "apiextensions.k8s.io/customresourcedefinitions";

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

json::object& object_at(json::object& o, std::string_view key) {
  json::value& v = o[key];
  if (!v.is_object()) v = json::object{};
  return v.get_object();
}

std::string storage_version(const json::object& spec) {
  if (const json::array* versions = json::find_array(spec, "versions"))
    for (const json::value& v : *versions)
      if (v.is_object()) {
        auto it = v.get_object().find("storage");
        if (it != v.get_object().end() && it->value().is_bool() && it->value().get_bool())
          return std::string(json::get_string(v.get_object(), "name"));
      }
  return std::string(json::get_string(spec, "version"));
}

// A snapshot.storage.k8s.io/v1 CRD of the CSI external-snapshotter (client/config/crd).
// Its additionalPrinterColumns: {name, type, jsonPath} triples.
json::array columns(std::initializer_list<std::array<const char*, 3>> cols) {
  json::array out;
  for (const auto& [name, type, path] : cols) out.push_back(json::object{{"name", name}, {"type", type}, {"jsonPath", path}});
  out.push_back(json::object{{"name", "Age"}, {"type", "date"}, {"jsonPath", ".metadata.creationTimestamp"}});
  return out;
}

json::object snapshot_crd(const char* plural, const char* singular, const char* kind, const char* scope,
                          json::array short_names, bool status, json::array printer_columns) {
  json::object version{{"name", "v1"},
                       {"additionalPrinterColumns", std::move(printer_columns)},
                       {"served", true},
                       {"storage", true},
                       {"schema", json::object{{"openAPIV3Schema", json::object{{"type", "object"},
                                                                                {"x-kubernetes-preserve-unknown-fields", true}}}}}};
  if (status) version["subresources"] = json::object{{"status", json::object{}}};
  return json::object{
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", json::object{{"name", std::string(plural) + ".snapshot.storage.k8s.io"},
                                {"annotations", json::object{{"api-approved.kubernetes.io",
                                                              "https://github.com/kubernetes-csi/external-snapshotter/pull/814"}}}}},
      {"spec", json::object{{"group", "snapshot.storage.k8s.io"},
                            {"names", json::object{{"kind", kind}, {"listKind", std::string(kind) + "List"},
                                                   {"plural", plural}, {"singular", singular},
                                                   {"shortNames", std::move(short_names)}}},
                            {"scope", scope},
                            {"versions", json::array{std::move(version)}}}}};
}

}  // namespace

void Api::prepare_crd(json::object& crd, bool seeding) {
  const std::string name(json::metadata_string(crd, "name"));
  try {
    Discovery probe = discovery_;
    probe.add_crd(crd);
  } catch (const Error& e) {
    throw invalid("apiextensions.k8s.io", "CustomResourceDefinition", name, {{"FieldValueInvalid", e.what(), "spec"}});
  }
  json::object& spec = object_at(crd, "spec");
  json::object& names = object_at(spec, "names");
  const std::string kind(json::get_string(names, "kind"));
  if (json::get_string(names, "singular").empty()) names["singular"] = lower(kind);
  if (json::get_string(names, "listKind").empty()) names["listKind"] = kind + "List";
  if (!spec.contains("conversion")) spec["conversion"] = json::object{{"strategy", "None"}};
  if (!seeding || !crd.contains("status")) {
    crd["status"] = json::object{{"conditions", json::array{}},
                                 {"acceptedNames", json::object{{"plural", ""}, {"kind", ""}}},
                                 {"storedVersions", json::array{storage_version(spec)}}};
  }
}

void Api::crd_created(const json::object& crd, bool seeding) {
  const std::string name(json::metadata_string(crd, "name")), uid(json::metadata_string(crd, "uid"));
  if (seeding) {
    establish_locked(name, uid);
    return;
  }
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(settings_mutex_);
    delay = crd_delay_;
  }
  auto alive = alive_;
  scheduler_(delay, [this, alive, name, uid] {
    if (!*alive) return;
    std::unique_lock lock(store_.mutex);
    bool hold;
    {
      std::lock_guard settings(settings_mutex_);
      hold = crd_hold_;
    }
    if (hold) hold_locked(name, uid);
    else establish_locked(name, uid);
  });
}

namespace {
// status.acceptedNames and the two conditions apiextensions-apiserver sets once the naming controller
// has accepted the names: Established True (InitialNamesAccepted) once the establishing controller
// ran, else False (Installing).
void set_name_conditions(json::object& crd, const json::object& names, bool established) {
  const std::string now = now_rfc3339();
  json::object& status = object_at(crd, "status");
  status["acceptedNames"] = names;
  status["conditions"] = json::array{
      json::object{{"type", "NamesAccepted"}, {"status", "True"}, {"lastTransitionTime", now},
                   {"reason", "NoConflicts"}, {"message", "no conflicts found"}},
      json::object{{"type", "Established"}, {"status", established ? "True" : "False"}, {"lastTransitionTime", now},
                   {"reason", established ? "InitialNamesAccepted" : "Installing"},
                   {"message", "the initial names have been accepted"}}};
}
}  // namespace

// The naming controller has accepted the names, the establishing controller never comes: the
// conditions apiextensions-apiserver reports in between (Established False, reason Installing).
void Api::hold_locked(const std::string& name, const std::string& uid) {
  ObjectPtr old = store_.find(kCrdTable, "", name);
  if (!old || old->uid != uid || old->terminating) return;
  const ApiResource* r = find_resource("apiextensions.k8s.io/v1", "customresourcedefinitions");
  if (!r) return;
  Target t = target_for(*r, "", name);
  json::object crd = to_object(*old, t.api_version(), t.resource.kind);
  const json::object* names = json::find_object(crd["spec"].get_object(), "names");
  if (!names) return;
  set_name_conditions(crd, *names, false);
  commit(t, crd, old);
}

void Api::establish_held_crds() {
  std::unique_lock lock(store_.mutex);
  std::vector<std::pair<std::string, std::string>> held;  // name, uid
  if (const Table* table = store_.find_table(kCrdTable)) {
    std::set<std::string> established;
    for (const auto& [tbl, crd_name] : crd_tables_) established.insert(crd_name);
    for (const auto& [key, o] : table->objects)
      if (!o->terminating && !established.contains(o->name)) held.emplace_back(o->name, o->uid);
  }
  for (const auto& [name, uid] : held) establish_locked(name, uid);
}

void Api::establish_locked(const std::string& name, const std::string& uid) {
  ObjectPtr old = store_.find(kCrdTable, "", name);
  if (!old || old->uid != uid || old->terminating) return;
  const ApiResource* r = find_resource("apiextensions.k8s.io/v1", "customresourcedefinitions");
  if (!r) return;
  Target t = target_for(*r, "", name);
  json::object crd = to_object(*old, t.api_version(), t.resource.kind);
  try {
    discovery_.add_crd(crd);
  } catch (const Error&) {
    return;  // validated on create; an invalid update leaves it unserved
  }
  const json::object& spec = crd["spec"].get_object();
  const std::string group(json::get_string(spec, "group"));
  const json::object* names = json::find_object(spec, "names");
  crd_tables_[group + "/" + std::string(json::get_string(*names, "plural"))] = name;
  ++discovery_generation_;
  set_name_conditions(crd, *names, true);
  commit(t, crd, old);
}

void Api::crd_updated(const json::object& crd) {
  const std::string name(json::metadata_string(crd, "name"));
  bool established = false;
  for (const auto& [table, crd_name] : crd_tables_) established |= crd_name == name;
  if (!established) return;
  try {
    discovery_.add_crd(crd);
    ++discovery_generation_;
  } catch (const Error&) {
  }
}

void Api::crd_deleted(const json::object& crd) {
  const std::string name(json::metadata_string(crd, "name"));
  for (auto it = crd_tables_.begin(); it != crd_tables_.end();) {
    if (it->second != name) {
      ++it;
      continue;
    }
    // The custom resources go with their definition.
    if (const Table* table = store_.find_table(it->first)) {
      std::vector<ObjectPtr> doomed;
      for (const auto& [key, o] : table->objects) doomed.push_back(o);
      for (const ObjectPtr& o : doomed) {
        auto s = std::make_shared<StoredObject>(*o);
        s->rv = store_.next_rv();
        store_.remove(it->first, s, o);
      }
    }
    store_.drop_table(it->first);
    it = crd_tables_.erase(it);
  }
  rebuild_discovery();
}

void Api::rebuild_discovery() {
  discovery_ = builtin_kubernetes_discovery();
  std::set<std::string> established;
  for (const auto& [table, name] : crd_tables_) established.insert(name);
  if (const Table* table = store_.find_table(kCrdTable)) {
    for (const auto& [key, o] : table->objects) {
      if (!established.contains(o->name)) continue;
      try {
        discovery_.add_crd(to_object(*o, "apiextensions.k8s.io/v1", "CustomResourceDefinition"));
      } catch (const Error&) {
      }
    }
  }
  ++discovery_generation_;
}

void Api::install_snapshot_crds() {
  put_object(snapshot_crd("volumesnapshotclasses", "volumesnapshotclass", "VolumeSnapshotClass", "Cluster",
                          json::array{"vsclass", "vsclasses"}, false,
                          columns({{"Driver", "string", ".driver"}, {"DeletionPolicy", "string", ".deletionPolicy"}})));
  put_object(snapshot_crd("volumesnapshotcontents", "volumesnapshotcontent", "VolumeSnapshotContent", "Cluster",
                          json::array{"vsc", "vscs"}, true,
                          columns({{"ReadyToUse", "boolean", ".status.readyToUse"}, {"RestoreSize", "integer", ".status.restoreSize"},
                                   {"DeletionPolicy", "string", ".spec.deletionPolicy"}, {"Driver", "string", ".spec.driver"},
                                   {"VolumeSnapshotClass", "string", ".spec.volumeSnapshotClassName"},
                                   {"VolumeSnapshot", "string", ".spec.volumeSnapshotRef.name"},
                                   {"VolumeSnapshotNamespace", "string", ".spec.volumeSnapshotRef.namespace"}})));
  put_object(snapshot_crd("volumesnapshots", "volumesnapshot", "VolumeSnapshot", "Namespaced",
                          json::array{"vs"}, true,
                          columns({{"ReadyToUse", "boolean", ".status.readyToUse"},
                                   {"SourcePVC", "string", ".spec.source.persistentVolumeClaimName"},
                                   {"SourceSnapshotContent", "string", ".spec.source.volumeSnapshotContentName"},
                                   {"RestoreSize", "string", ".status.restoreSize"},
                                   {"SnapshotClass", "string", ".spec.volumeSnapshotClassName"},
                                   {"SnapshotContent", "string", ".status.boundVolumeSnapshotContentName"},
                                   {"CreationTime", "date", ".status.creationTime"}})));
}

}  // namespace vbackup::kubetest
