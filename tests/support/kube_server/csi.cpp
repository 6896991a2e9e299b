// The fake CSI world's controllers (csi §4): the external-snapshotter's snapshot controller and
// sidecar (dynamic and static VolumeSnapshotContents, deletion policies) and the CSI
// external-provisioner restoring a PVC from a VolumeSnapshot. They run after every write to the
// tables they follow, as one idempotent pass over those tables under the store's lock.
#include "kube_server/api.hpp"
#include "kube_server/csi.hpp"
#include "kube_server/handlers.hpp"
#include "kube_server/util.hpp"
#include "vbackup/error.hpp"

#include <ctime>

namespace vbackup::kubetest {

namespace {

constexpr const char* kSnapGV = "snapshot.storage.k8s.io/v1";
constexpr const char* kVsTable = "snapshot.storage.k8s.io/volumesnapshots";
constexpr const char* kVscTable = "snapshot.storage.k8s.io/volumesnapshotcontents";
constexpr const char* kClassTable = "snapshot.storage.k8s.io/volumesnapshotclasses";

const json::object& obj_at(const json::object& o, std::string_view key) {
  static const json::object empty;
  const json::object* p = json::find_object(o, key);
  return p ? *p : empty;
}
std::string str_at(const json::object& o, std::string_view key) { return std::string(json::get_string(o, key)); }
std::int64_t int_at(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_int64() ? it->value().get_int64() : 0;
}
bool bool_at(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_bool() && it->value().get_bool();
}
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
std::string rfc3339_of_ns(std::int64_t ns) {
  std::time_t t = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
json::object error_status(const std::string& message) {
  return json::object{{"message", message}, {"time", now_rfc3339()}};
}

// Go's %q of a string (the quoting the controllers' error messages use).
std::string go_quote(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

Cause cel(const std::string& field, const std::string& message) {
  return {"FieldValueInvalid", "Invalid value: \"object\": " + message, field};
}

}  // namespace

std::vector<Cause> validate_snapshot_object(std::string_view table, const json::object& obj, const json::object* old) {
  std::vector<Cause> causes;
  const json::object& spec = obj_at(obj, "spec");
  const json::object& source = obj_at(spec, "source");
  const json::object& old_source = old ? obj_at(obj_at(*old, "spec"), "source") : json::object{};
  auto immutable = [&](const char* key) {
    // self == oldSelf: a transition rule, checked when both the old and the new value are set.
    return old && source.contains(key) && old_source.contains(key) && str_at(source, key) != str_at(old_source, key);
  };
  auto required = [&](const json::object& o, const char* key, const std::string& field) {
    if (!o.contains(key)) causes.push_back({"FieldValueRequired", "Required value", field});
  };
  auto once_set = [&](const char* key) {
    if (old && old_source.contains(key) && !source.contains(key))
      causes.push_back(cel("spec.source", std::string(key) + " is required once set"));
  };
  auto policy = [&](const json::object& o, const std::string& field) {
    auto it = o.find("deletionPolicy");
    if (it == o.end()) return required(o, "deletionPolicy", field);
    if (!it->value().is_string() || (it->value().get_string() != "Delete" && it->value().get_string() != "Retain"))
      causes.push_back({"FieldValueNotSupported",
                        "Unsupported value: " + json::marshal(it->value()) + ": supported values: \"Delete\", \"Retain\"", field});
  };
  if (table == kClassTable) {
    required(obj, "driver", "driver");
    policy(obj, "deletionPolicy");
  } else if (table == kVsTable) {
    required(spec, "source", "spec.source");
    if (source.contains("persistentVolumeClaimName") == source.contains("volumeSnapshotContentName"))
      causes.push_back(cel("spec.source", "exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set"));
    once_set("persistentVolumeClaimName");
    once_set("volumeSnapshotContentName");
    if (immutable("persistentVolumeClaimName"))
      causes.push_back(cel("spec.source", "persistentVolumeClaimName is immutable"));
    if (immutable("volumeSnapshotContentName"))
      causes.push_back(cel("spec.source", "volumeSnapshotContentName is immutable"));
    if (spec.contains("volumeSnapshotClassName") && str_at(spec, "volumeSnapshotClassName").empty())
      causes.push_back(cel("spec.volumeSnapshotClassName", "volumeSnapshotClassName must not be the empty string when set"));
  } else if (table == kVscTable) {
    required(spec, "driver", "spec.driver");
    required(spec, "source", "spec.source");
    required(spec, "volumeSnapshotRef", "spec.volumeSnapshotRef");
    policy(spec, "spec.deletionPolicy");
    if (source.contains("volumeHandle") == source.contains("snapshotHandle"))
      causes.push_back(cel("spec.source", "exactly one of volumeHandle and snapshotHandle must be set"));
    once_set("volumeHandle");
    once_set("snapshotHandle");
    if (immutable("volumeHandle")) causes.push_back(cel("spec.source", "volumeHandle is immutable"));
    if (immutable("snapshotHandle")) causes.push_back(cel("spec.source", "snapshotHandle is immutable"));
    const json::object& ref = obj_at(spec, "volumeSnapshotRef");
    if (str_at(ref, "name").empty() || str_at(ref, "namespace").empty())
      causes.push_back(cel("spec.volumeSnapshotRef",
                           "both spec.volumeSnapshotRef.name and spec.volumeSnapshotRef.namespace must be set"));
  }
  return causes;
}

void Api::csi_observe(const std::string& table, const StoredObject* before, const StoredObject* now) {
  static const std::set<std::string, std::less<>> followed = {
      kVsTable, kVscTable, kClassTable, "/persistentvolumeclaims", "/persistentvolumes", "storage.k8s.io/storageclasses"};
  if (!followed.contains(table)) return;
  if (table == kVscTable && before && !now) {
    // The sidecar deletes the storage snapshot of a content whose policy is Delete (csi §4
    // deletion semantics), Velero's temporary content without volumeSnapshotRef.uid included.
    const json::object vsc = to_object(*before, kSnapGV, "VolumeSnapshotContent");
    if (str_at(obj_at(vsc, "spec"), "deletionPolicy") == "Delete")
      csi_.snapshots.erase(str_at(obj_at(vsc, "status"), "snapshotHandle"));
    csi_.ready_at.erase(before->name);
  }
  csi_schedule_locked(std::chrono::milliseconds(0));
}

void Api::csi_schedule_locked(std::chrono::milliseconds delay) {
  if (delay.count() == 0) {
    if (csi_.reconcile_pending) return;
    csi_.reconcile_pending = true;
  }
  auto alive = alive_;
  scheduler_(delay, [this, alive] {
    if (!*alive) return;
    std::unique_lock lock(store_.mutex);
    csi_.reconcile_pending = false;
    try {
      csi_reconcile_locked();
    } catch (const std::exception&) {
      // A write the API refused (a namespace being deleted): the next change runs the pass again.
    }
  });
}

std::vector<json::object> Api::csi_list(const std::string& table, const char* api_version, const char* kind) const {
  std::vector<json::object> out;
  if (const Table* t = store_.find_table(table))
    for (const auto& [key, o] : t->objects) out.push_back(to_object(*o, api_version, kind));
  return out;
}

std::optional<json::object> Api::csi_get(const std::string& table, const char* api_version, const char* kind,
                                         const std::string& ns, const std::string& name) const {
  ObjectPtr o = store_.find(table, ns, name);
  if (!o) return std::nullopt;
  return to_object(*o, api_version, kind);
}

void Api::csi_put(const char* api_version, const char* plural, json::object obj) {
  const ApiResource* r = find_resource(api_version, plural);
  if (!r) return;
  const std::string ns(json::metadata_string(obj, "namespace")), name(json::metadata_string(obj, "name"));
  Target t = target_for(*r, r->namespaced ? ns : std::string(), name);
  if (ObjectPtr old = store_.find(t.table, t.ns, name)) commit(t, obj, old);
  else do_create(t, std::move(obj), false, true);  // as the seed does: status kept
}

// Removes the snapshot controller's finalizers; a terminating object then goes.
void Api::csi_release_locked(const char* plural, json::object obj) {
  const std::string table = std::string("snapshot.storage.k8s.io/") + plural, name(json::metadata_string(obj, "name")),
                    ns(json::metadata_string(obj, "namespace"));
  ObjectPtr old = store_.find(table, ns, name);
  const ApiResource* r = find_resource(kSnapGV, plural);
  if (!old || !r) return;
  json::object& md = metadata_of(obj);
  json::array kept;
  if (const json::array* f = json::find_array(md, "finalizers"))
    for (const json::value& v : *f)
      if (!v.is_string() || !std::string_view(v.get_string()).starts_with("snapshot.storage.kubernetes.io/")) kept.push_back(v);
  if (kept.empty()) md.erase("finalizers");
  else md["finalizers"] = std::move(kept);
  do_update(target_for(*r, ns, name), std::move(obj), old, false, false, false);
}

void Api::csi_reconcile_locked() {
  if (!crd_tables_.contains(kVsTable) || !crd_tables_.contains(kVscTable)) {
    csi_provision_locked();
    return;
  }
  // 0. A VolumeSnapshot being deleted: its bound content is deleted (Delete) or released (Retain),
  //    then the VolumeSnapshot's finalizers go (snapshot_controller.go processSnapshotWithDeletionTimestamp).
  for (json::object& vs : csi_list(kVsTable, kSnapGV, "VolumeSnapshot")) {
    if (json::metadata_string(vs, "deletionTimestamp").empty()) continue;
    const std::string content = str_at(obj_at(vs, "status"), "boundVolumeSnapshotContentName");
    const auto vsc = content.empty() ? std::nullopt : csi_get(kVscTable, kSnapGV, "VolumeSnapshotContent", "", content);
    if (vsc && str_at(obj_at(obj_at(*vsc, "spec"), "volumeSnapshotRef"), "uid") == json::metadata_string(vs, "uid")) {
      if (str_at(obj_at(*vsc, "spec"), "deletionPolicy") == "Delete") {
        const ApiResource* r = find_resource(kSnapGV, "volumesnapshotcontents");
        if (ObjectPtr old = store_.find(kVscTable, "", content); old && r && !old->terminating)
          do_delete(target_for(*r, "", content), old, false, false);
      } else {
        csi_release_locked("volumesnapshotcontents", *vsc);
      }
    }
    csi_release_locked("volumesnapshots", std::move(vs));
  }
  // 1. Dynamic VolumeSnapshots get their content (snapshot_controller.go createSnapshotContent).
  for (json::object& vs : csi_list(kVsTable, kSnapGV, "VolumeSnapshot")) {
    const json::object& source = obj_at(obj_at(vs, "spec"), "source");
    const std::string pvc_name = str_at(source, "persistentVolumeClaimName");
    if (pvc_name.empty() || json::metadata_string(vs, "deletionTimestamp").size()) continue;
    const std::string uid(json::metadata_string(vs, "uid")), content = "snapcontent-" + uid;
    if (store_.find(kVscTable, "", content)) continue;
    std::string error, default_class;
    json::object vsc = csi_new_content(vs, content, error, default_class);
    if (!error.empty()) {
      json::object& status = vs["status"].is_object() ? vs["status"].get_object() : (vs["status"] = json::object{}).get_object();
      if (str_at(obj_at(status, "error"), "message") == error) continue;
      status["readyToUse"] = false;
      status["error"] = error_status(error);
      csi_put(kSnapGV, "volumesnapshots", std::move(vs));
      continue;
    }
    if (!default_class.empty()) {
      // SetDefaultSnapshotClass patches the class into the VolumeSnapshot's spec.
      vs["spec"].get_object()["volumeSnapshotClassName"] = default_class;
      csi_put(kSnapGV, "volumesnapshots", std::move(vs));
    }
    csi_put(kSnapGV, "volumesnapshotcontents", std::move(vsc));
  }
  // 2. Contents: the driver cuts, readies or checks the snapshot; static ones bind; a content whose
  //    VolumeSnapshot is gone follows its deletionPolicy.
  const auto now = std::chrono::steady_clock::now();
  for (json::object& vsc : csi_list(kVscTable, kSnapGV, "VolumeSnapshotContent")) {
    const std::string name(json::metadata_string(vsc, "name"));
    json::object& spec = vsc["spec"].get_object();
    const json::object& source = obj_at(spec, "source");
    json::object status = obj_at(vsc, "status");
    bool changed = false;
    if (!json::metadata_string(vsc, "deletionTimestamp").empty()) {
      // Its finalizer goes once no live VolumeSnapshot is bound to it.
      const json::object& r = obj_at(spec, "volumeSnapshotRef");
      const auto bound = csi_get(kVsTable, kSnapGV, "VolumeSnapshot", str_at(r, "namespace"), str_at(r, "name"));
      if (!bound || json::metadata_string(*bound, "uid") != str_at(r, "uid") || !json::metadata_string(*bound, "deletionTimestamp").empty())
        csi_release_locked("volumesnapshotcontents", std::move(vsc));
      continue;
    }
    if (!status.contains("snapshotHandle") && !status.contains("error")) {
      if (!str_at(source, "volumeHandle").empty()) {
        if (!csi_.content_error.empty()) {
          status = json::object{{"readyToUse", false}, {"error", error_status(csi_.content_error)}};
          changed = true;
        } else if (csi_.cut_snapshots) {
          const std::string handle = "snapshot-" + std::to_string(csi_.next_id++);
          CsiSnapshot s{str_at(spec, "driver"), str_at(source, "volumeHandle"), csi_volume_size(str_at(source, "volumeHandle")), now_ns()};
          csi_.snapshots[handle] = s;
          const bool ready = csi_.ready_after.count() == 0;
          if (csi_.ready_after.count() > 0) {
            csi_.ready_at[name] = now + csi_.ready_after;
            csi_schedule_locked(csi_.ready_after);
          }
          status = json::object{{"creationTime", s.creation_ns}, {"driver", s.driver}, {"readyToUse", ready},
                                {"restoreSize", s.restore_size}, {"snapshotHandle", handle}};
          changed = true;
        }
      } else {
        // Static content: the sidecar asks the driver for the snapshot (ListSnapshots).
        const std::string handle = str_at(source, "snapshotHandle");
        auto it = csi_.snapshots.find(handle);
        if (it != csi_.snapshots.end())
          status = json::object{{"creationTime", it->second.creation_ns}, {"driver", it->second.driver}, {"readyToUse", true},
                                {"restoreSize", it->second.restore_size}, {"snapshotHandle", handle}};
        else
          status = json::object{{"readyToUse", false},
                                {"error", error_status("Failed to check and update snapshot content: failed to list snapshot for content " +
                                                       name + ": \"snapshot " + handle + " not found\"")}};
        changed = true;
      }
    } else if (!bool_at(status, "readyToUse") && status.contains("snapshotHandle")) {
      auto it = csi_.ready_at.find(name);
      if (it != csi_.ready_at.end() && it->second <= now) {
        status["readyToUse"] = true;
        csi_.ready_at.erase(it);
        changed = true;
      }
    }
    json::object& ref = spec["volumeSnapshotRef"].is_object() ? spec["volumeSnapshotRef"].get_object()
                                                               : (spec["volumeSnapshotRef"] = json::object{}).get_object();
    const auto vs = csi_get(kVsTable, kSnapGV, "VolumeSnapshot", str_at(ref, "namespace"), str_at(ref, "name"));
    const std::string ref_uid = str_at(ref, "uid");
    if (ref_uid.empty()) {
      // A static content binds to the VolumeSnapshot that names it back (the two-way reference).
      if (vs && str_at(obj_at(obj_at(*vs, "spec"), "source"), "volumeSnapshotContentName") == name) {
        ref["uid"] = std::string(json::metadata_string(*vs, "uid"));
        changed = true;
      }
    } else if (!vs || json::metadata_string(*vs, "uid") != ref_uid) {
      // Its VolumeSnapshot is gone: Delete deletes the content (the observer drops the handle),
      // Retain keeps it.
      if (str_at(spec, "deletionPolicy") == "Delete") {
        const ApiResource* r = find_resource(kSnapGV, "volumesnapshotcontents");
        if (ObjectPtr old = store_.find(kVscTable, "", name); old && r) do_delete(target_for(*r, "", name), old, false, false);
        continue;
      }
    }
    if (!changed) continue;
    vsc["status"] = std::move(status);
    csi_put(kSnapGV, "volumesnapshotcontents", std::move(vsc));
  }
  // 3. VolumeSnapshot status mirrors its bound content's.
  for (json::object& vs : csi_list(kVsTable, kSnapGV, "VolumeSnapshot")) {
    const std::string uid(json::metadata_string(vs, "uid"));
    const json::object& source = obj_at(obj_at(vs, "spec"), "source");
    std::string content = str_at(source, "volumeSnapshotContentName");
    if (content.empty()) content = "snapcontent-" + uid;
    const auto vsc = csi_get(kVscTable, kSnapGV, "VolumeSnapshotContent", "", content);
    if (!vsc || str_at(obj_at(obj_at(*vsc, "spec"), "volumeSnapshotRef"), "uid") != uid) continue;
    const json::object& cs = obj_at(*vsc, "status");
    json::object status{{"boundVolumeSnapshotContentName", content}, {"readyToUse", bool_at(cs, "readyToUse")}};
    if (cs.contains("creationTime")) status["creationTime"] = rfc3339_of_ns(int_at(cs, "creationTime"));
    if (cs.contains("restoreSize")) status["restoreSize"] = binary_si(int_at(cs, "restoreSize"));
    if (const json::object* e = json::find_object(cs, "error")) status["error"] = *e;
    else if (!cs.contains("snapshotHandle") && !csi_.snapshot_error.empty())
      status["error"] = json::object{{"message", csi_.snapshot_error}, {"time", csi_.snapshot_error_time}};
    if (!json::metadata_string(vs, "deletionTimestamp").empty()) continue;
    json::object& md = metadata_of(vs);
    json::array finalizers = json::find_array(md, "finalizers") ? *json::find_array(md, "finalizers") : json::array{};
    bool added = false;
    for (const char* f : {"snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection",
                          "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection"}) {
      bool present = false;
      for (const json::value& v : finalizers) present |= v.is_string() && v.get_string() == f;
      if (!present) finalizers.push_back(json::value(f)), added = true;
    }
    if (added) md["finalizers"] = std::move(finalizers);
    if (!added && json::marshal(obj_at(vs, "status")) == json::marshal(status)) continue;
    vs["status"] = std::move(status);
    csi_put(kSnapGV, "volumesnapshots", std::move(vs));
  }
  csi_provision_locked();
}

std::int64_t Api::csi_volume_size(const std::string& volume_handle) const {
  for (const json::object& pv : csi_list("/persistentvolumes", "v1", "PersistentVolume")) {
    const json::object& spec = obj_at(pv, "spec");
    if (str_at(obj_at(spec, "csi"), "volumeHandle") == volume_handle)
      return quantity_bytes(str_at(obj_at(spec, "capacity"), "storage")).value_or(0);
  }
  return 0;
}

// The content the snapshot controller makes for a dynamic VolumeSnapshot, or `error` (set as the
// VolumeSnapshot's status.error) when the class, the PVC or its PV do not allow one, in the order and
// with the messages of snapshot_controller(_base).go: checkAndUpdateSnapshotClass (a named class,
// else SetDefaultSnapshotClass, which sets `default_class`), then createSnapshotContent.
json::object Api::csi_new_content(const json::object& vs, const std::string& content, std::string& error,
                                  std::string& default_class) const {
  const std::string ns(json::metadata_string(vs, "namespace")), vs_name(json::metadata_string(vs, "name"));
  const json::object& spec = obj_at(vs, "spec");
  // getVolumeFromVolumeSnapshot.
  std::string volume_error;
  std::optional<json::object> pv;
  const std::string pvc_name = str_at(obj_at(spec, "source"), "persistentVolumeClaimName");
  const auto pvc = csi_get("/persistentvolumeclaims", "v1", "PersistentVolumeClaim", ns, pvc_name);
  const std::string pv_name = pvc ? str_at(obj_at(*pvc, "spec"), "volumeName") : "";
  if (!pvc)
    volume_error = "failed to retrieve PVC " + pvc_name + " from the lister: " +
                   go_quote("persistentvolumeclaim \"" + pvc_name + "\" not found");
  else if (str_at(obj_at(*pvc, "status"), "phase") != "Bound")
    volume_error = "the PVC " + pvc_name + " is not yet bound to a PV, will not attempt to take a snapshot";
  else if (!(pv = csi_get("/persistentvolumes", "v1", "PersistentVolume", "", pv_name)))
    volume_error = "persistentvolumes \"" + pv_name + "\" not found";
  const json::object* csi = pv ? json::find_object(obj_at(*pv, "spec"), "csi") : nullptr;

  std::string class_name = str_at(spec, "volumeSnapshotClassName");
  std::optional<json::object> cls;
  if (!class_name.empty()) {
    cls = csi_get(kClassTable, kSnapGV, "VolumeSnapshotClass", "", class_name);
    if (!cls) {
      error = "Failed to get snapshot class with error volumesnapshotclass.snapshot.storage.k8s.io \"" + class_name + "\" not found";
      return {};
    }
  } else {
    const std::string failed = "Failed to set default snapshot class with error ";
    if (!volume_error.empty()) {
      error = failed + volume_error;
      return {};
    }
    if (!csi) {
      error = failed + "snapshotting non-CSI volumes is not supported, snapshot:" + ns + "/" + vs_name;
      return {};
    }
    std::size_t defaults = 0;
    for (json::object& c : csi_list(kClassTable, kSnapGV, "VolumeSnapshotClass")) {
      const json::object& ann = obj_at(obj_at(c, "metadata"), "annotations");
      if (str_at(c, "driver") != str_at(*csi, "driver") || str_at(ann, "snapshot.storage.kubernetes.io/is-default-class") != "true") continue;
      ++defaults;
      cls = std::move(c);
    }
    if (defaults != 1) {
      error = failed + (defaults == 0 ? std::string("cannot find default snapshot class")
                                      : std::to_string(defaults) + " default snapshot classes were found");
      return {};
    }
    class_name = default_class = std::string(json::metadata_string(*cls, "name"));
  }
  const std::string failed = "Failed to create snapshot content with error ";
  if (!volume_error.empty()) {
    error = failed + "failed to get input parameters to create snapshot " + vs_name + ": " + go_quote(volume_error);
    return {};
  }
  if (!csi) {
    error = failed + "cannot find CSI PersistentVolumeSource for volume " + pv_name;
    return {};
  }
  const std::string driver = str_at(*csi, "driver");
  json::object md{{"name", content}, {"finalizers", json::array{"snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection"}}};
  const json::object& params = obj_at(*cls, "parameters");
  if (auto s = str_at(params, "csi.storage.k8s.io/snapshotter-secret-name"); !s.empty())
    md["annotations"] = json::object{{"snapshot.storage.kubernetes.io/deletion-secret-name", s},
                                     {"snapshot.storage.kubernetes.io/deletion-secret-namespace",
                                      str_at(params, "csi.storage.k8s.io/snapshotter-secret-namespace")}};
  // The content carries the class's driver: with a class of another driver no sidecar would cut it.
  return json::object{
      {"apiVersion", kSnapGV},
      {"kind", "VolumeSnapshotContent"},
      {"metadata", std::move(md)},
      {"spec", json::object{{"deletionPolicy", str_at(*cls, "deletionPolicy")},
                            {"driver", str_at(*cls, "driver")},
                            {"source", json::object{{"volumeHandle", str_at(*csi, "volumeHandle")}}},
                            {"volumeSnapshotClassName", class_name},
                            {"volumeSnapshotRef", json::object{{"apiVersion", kSnapGV},
                                                               {"kind", "VolumeSnapshot"},
                                                               {"name", vs_name},
                                                               {"namespace", ns},
                                                               {"resourceVersion", std::string(json::metadata_string(vs, "resourceVersion"))},
                                                               {"uid", std::string(json::metadata_string(vs, "uid"))}}}}}};
}

json::object Api::csi_snapshots() const {
  std::shared_lock lock(store_.mutex);
  return csi_.state();
}

json::object Api::csi_control(const json::object& request) {
  auto crds = request.find("snapshotCrds");
  if (crds != request.end() && !crds->value().is_bool()) throw Error(ErrorCode::invalid, "control csi: snapshotCrds: expected true or false");
  // snapshotCrds true installs the three snapshot CRDs (again); false deletes them, their objects
  // with them, as a cluster without the external-snapshotter (csi §4 e, velero #7823).
  if (crds != request.end() && crds->value().get_bool()) install_snapshot_crds();
  std::unique_lock lock(store_.mutex);
  csi_.configure(request);
  if (crds != request.end() && !crds->value().get_bool()) {
    for (const char* name : {"volumesnapshotclasses.snapshot.storage.k8s.io", "volumesnapshotcontents.snapshot.storage.k8s.io",
                             "volumesnapshots.snapshot.storage.k8s.io"}) {
      // Looked up each time: a CRD's deletion rebuilds discovery (the pointer would dangle).
      const ApiResource* r = find_resource("apiextensions.k8s.io/v1", "customresourcedefinitions");
      if (ObjectPtr old = store_.find("apiextensions.k8s.io/customresourcedefinitions", "", name); old && r)
        do_delete(target_for(*r, "", name), old, false, false);
    }
  }
  csi_schedule_locked(std::chrono::milliseconds(0));
  return csi_.state();
}

}  // namespace vbackup::kubetest
