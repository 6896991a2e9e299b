// The write verbs on resources: create, update, patch, delete and deletecollection, with the API
// server's metadata rules (generateName, uid, resourceVersion, creationTimestamp, generation, status
// subresource, finalizers, namespaces). Reads are in reads.cpp, seeding in seed.cpp.
#include "kube_server/api.hpp"
#include "kube_server/handlers.hpp"
#include "kube_server/objects.hpp"
#include "kube_server/patch.hpp"
#include "kube_server/strategies.hpp"
#include "kube_server/util.hpp"
#include "vbackup/error.hpp"
#include "vbackup/manifests.hpp"
#include "vbackup/cluster.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>

namespace vbackup::kubetest {

namespace {

std::string media_type(std::string_view content_type) {
  std::string out(content_type.substr(0, content_type.find(';')));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A request body as an object: JSON, or YAML for the YAML media types (server-side apply).
json::object parse_body(const ApiRequest& request) {
  const std::string type = media_type(request.content_type);
  if (request.body.empty()) throw bad_request("the request body is empty");
  // Kubernetes protobuf is not spoken here; as for custom resources, the API server answers 415.
  if (type.find("protobuf") != std::string::npos || type.find("cbor") != std::string::npos)
    throw unsupported_media_type(type, "application/json, application/yaml (kube-test-server decodes no protobuf)");
  try {
    json::value v = json::parse(request.body, "request body");
    if (!v.is_object()) throw bad_request("the request body is not a JSON object");
    return std::move(v.get_object());
  } catch (const Error& e) {
    if (type.find("yaml") == std::string::npos) throw bad_request(std::string("couldn't get version/kind; json parse error: ") + e.what());
  }
  std::vector<json::object> docs;
  try {
    manifests::read_manifests(request.body, "request body",
                              [&](manifests::ManifestObject&& m) { docs.push_back(std::move(m.object)); }, [](const std::string&) {});
  } catch (const Error& e) {
    throw bad_request(std::string("error decoding YAML: ") + e.what());
  }
  if (docs.size() != 1) throw bad_request("the request body must hold exactly one object");
  return std::move(docs.front());
}

constexpr const char* kPatchTypes =
    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
    "application/strategic-merge-patch+json";

bool dry_run(const std::map<std::string, std::string, std::less<>>& query) {
  auto it = query.find("dryRun");
  if (it == query.end() || it->second.empty()) return false;
  if (it->second != "All") throw bad_request("Invalid dry run value: " + it->second + ", accepted values are: All");
  return true;
}

// The parts of an object that make up its "spec" for metadata.generation: all but metadata and status.
json::object spec_part(const json::object& obj) {
  json::object out = obj;
  out.erase("metadata");
  out.erase("status");
  out.erase("apiVersion");
  out.erase("kind");
  return out;
}

}  // namespace

// ---- writes ----

ObjectPtr Api::commit(const Target& t, json::object& obj, ObjectPtr before) {
  metadata_of(obj)["resourceVersion"] = std::to_string(store_.next_rv());
  ObjectPtr stored = make_stored(obj, selectable_fields(t.table));
  store_.put(t.table, stored, std::move(before));
  return stored;
}

bool Api::namespace_usable(const std::string& ns, bool for_create) const {
  ObjectPtr o = store_.find("/namespaces", "", ns);
  if (!o) throw not_found({"", "namespaces"}, ns);
  if (for_create && o->terminating)
    throw forbidden("unable to create new content in namespace " + ns + " because it is being terminated",
                    {"", "namespaces"}, ns);
  return true;
}

ObjectPtr Api::do_create(const Target& t, json::object obj, bool dry, bool seeding) {
  // The CRD may have gone between routing and this write (both under the store's lock).
  if (t.custom && !crd_tables_.contains(t.table)) throw path_not_found();
  json::object& md = metadata_of(obj);
  const std::string& kind = t.resource.kind;
  if (t.resource.namespaced) {
    const std::string body_ns = string_at(md, "namespace");
    if (body_ns.empty()) md["namespace"] = t.ns;
    else if (body_ns != t.ns) throw bad_request("the namespace of the provided object does not match the namespace sent on the request");
  } else {
    md.erase("namespace");
  }
  std::string name = string_at(md, "name");
  const std::string generate = string_at(md, "generateName");
  if (name.empty() && !generate.empty()) {
    // names.SimpleNameGenerator: the prefix cut to 58 characters plus 5 random ones; a clash is retried.
    for (int attempt = 0; attempt < 8; ++attempt) {
      name = generate.substr(0, 58) + random_name_suffix();
      if (!store_.find(t.table, t.ns, name)) break;
    }
    md["name"] = name;
  }
  // Admission (NamespaceLifecycle) answers before the registry sees the object.
  if (t.resource.namespaced) namespace_usable(t.ns, true);
  // BeginCreate: a Service's clusterIP and nodePorts are allocated before the object is validated
  // and before its name is checked (corpus Surprise 3); what is allocated is held once committed.
  if (t.table == "/services") services_.prepare_create(obj, seeding);
  json::object& meta = metadata_of(obj);  // obj may have grown: `md` is not used past this point
  if (name.empty())
    throw invalid(t.resource.group, kind, "",
                  {{"FieldValueRequired", "Required value: name or generateName is required", "metadata.name"}});

  if (!seeding || string_at(meta, "uid").empty()) meta["uid"] = random_uuid();
  if (!seeding || string_at(meta, "creationTimestamp").empty()) meta["creationTimestamp"] = now_rfc3339();
  const bool rv_given = !string_at(meta, "resourceVersion").empty();
  meta.erase("resourceVersion");
  meta.erase("selfLink");
  meta.erase("managedFields");
  if (!seeding) {
    meta.erase("deletionTimestamp");
    meta.erase("deletionGracePeriodSeconds");
  }
  if (t.tracks_generation && (!seeding || !meta.contains("generation"))) meta["generation"] = 1;
  else if (!t.tracks_generation) meta.erase("generation");
  // PrepareForCreate: the status subresource owns status, so a create starts from the initial one.
  if (t.has_status && !seeding) {
    if (t.custom) obj.erase("status");
    else obj["status"] = initial_status(t.table, obj);
  }
  const bool job = t.table == "batch/jobs";
  if (job) {
    default_job(obj, kube_minor_);
    prepare_job_create(obj, kube_minor_);
  }
  std::vector<Cause> causes = validate_metadata(metadata_of(obj), t.table);
  if (t.table == "/services") for (Cause& c : services_.validate(obj)) causes.push_back(std::move(c));
  if (job && !seeding) for (Cause& c : validate_job(obj, kube_minor_)) causes.push_back(std::move(c));
  if (!seeding) for (Cause& c : validate_snapshot_object(t.table, obj, nullptr)) causes.push_back(std::move(c));
  if (!causes.empty()) throw invalid(t.resource.group, kind, name, causes);
  if (!seeding && rv_given) throw internal_error("resourceVersion should not be set on objects to be created");
  if (store_.find(t.table, t.ns, name)) throw already_exists(t.rname(), name);

  apply_kind_defaults(t.table, obj, true);
  if (t.table == "apiextensions.k8s.io/customresourcedefinitions") prepare_crd(obj, seeding);
  if (dry) return make_stored(obj, selectable_fields(t.table));
  ObjectPtr stored = commit(t, obj, nullptr);
  if (t.table == "apiextensions.k8s.io/customresourcedefinitions") crd_created(obj, seeding);
  return stored;
}

ObjectPtr Api::do_update(const Target& t, json::object obj, ObjectPtr old, bool dry, bool status_only,
                         bool require_rv) {
  json::object& md = metadata_of(obj);
  const std::string& kind = t.resource.kind;
  if (t.resource.namespaced) {
    const std::string body_ns = string_at(md, "namespace");
    if (body_ns.empty()) md["namespace"] = t.ns;
    else if (body_ns != t.ns) throw bad_request("the namespace of the provided object does not match the namespace sent on the request");
  } else {
    md.erase("namespace");
  }
  const std::string name = string_at(md, "name");
  if (name != t.name)
    throw bad_request("the name of the object (" + name + ") does not match the name on the URL (" + t.name + ")");
  const std::string rv = string_at(md, "resourceVersion");
  if (!rv.empty() && rv != std::to_string(old->rv))
    throw conflict(t.rname(), name, "the object has been modified; please apply your changes to the latest version and try again");
  if (rv.empty() && require_rv)
    throw invalid(t.resource.group, kind, name,
                  {{"FieldValueInvalid", "Invalid value: 0x0: must be specified for an update", "metadata.resourceVersion"}});
  const std::string uid = string_at(md, "uid");
  if (!uid.empty() && uid != old->uid)
    throw conflict(t.rname(), name, "Precondition failed: UID in precondition: " + uid + ", UID in object meta: " + old->uid);

  json::object before = to_object(*old, t.api_version(), kind);
  json::object& old_md = before["metadata"].get_object();
  json::object result;
  if (status_only) {
    // The status subresource changes status and nothing else.
    result = before;
    if (auto it = obj.find("status"); it != obj.end()) result["status"] = it->value();
    else result.erase("status");
  } else {
    if (auto causes = validate_metadata(md, t.table); !causes.empty()) throw invalid(t.resource.group, kind, name, causes);
    result = std::move(obj);
    json::object& rmd = result["metadata"].get_object();
    // System fields cannot be changed by an update.
    for (const char* key : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"}) {
      if (auto it = old_md.find(key); it != old_md.end()) rmd[key] = it->value();
      else rmd.erase(key);
    }
    rmd.erase("selfLink");
    rmd.erase("managedFields");
    if (t.has_status) {
      if (auto it = before.find("status"); it != before.end()) result["status"] = it->value();
      else result.erase("status");
    }
    apply_kind_defaults(t.table, result, false);
    if (t.table == "/namespaces") {
      if (auto it = before.find("spec"); it != before.end()) result["spec"] = it->value();
    }
    // Decode-time defaults, PrepareForUpdate and ValidateUpdate of the kinds a restore updates.
    if (t.table == "batch/jobs") {
      default_job(result, kube_minor_);
      prepare_job_update(result, before, kube_minor_);
    }
    if (t.table == "/services") services_.prepare_update(result, before);
    if (auto causes = validate_immutable(t.table, result, before); !causes.empty())
      throw invalid(t.resource.group, kind, name, causes);
    if (auto causes = validate_snapshot_object(t.table, result, &before); !causes.empty())
      throw invalid(t.resource.group, kind, name, causes);
    if (t.tracks_generation && spec_part(result) != spec_part(before)) {
      std::int64_t gen = 0;
      if (auto it = old_md.find("generation"); it != old_md.end() && it->value().is_int64()) gen = it->value().get_int64();
      result["metadata"].get_object()["generation"] = gen + 1;
    }
  }
  json::object& rmd = result["metadata"].get_object();
  rmd["resourceVersion"] = std::to_string(old->rv);
  if (result == before) return old;  // a no-op update writes nothing and keeps the resourceVersion
  if (dry) return make_stored(result, selectable_fields(t.table));
  // An object being deleted goes once its last finalizer is removed.
  if (old->terminating) {
    const json::array* f = json::find_array(rmd, "finalizers");
    if (!f || f->empty()) {
      rmd["resourceVersion"] = std::to_string(store_.next_rv());
      ObjectPtr final_state = make_stored(result, selectable_fields(t.table));
      store_.remove(t.table, final_state, old);
      if (t.table == "apiextensions.k8s.io/customresourcedefinitions") crd_deleted(result);
      return final_state;
    }
  }
  ObjectPtr stored = commit(t, result, old);
  if (t.table == "apiextensions.k8s.io/customresourcedefinitions") crd_updated(result);
  return stored;
}

std::pair<ObjectPtr, bool> Api::do_delete(const Target& t, ObjectPtr old, bool dry, bool graceful) {
  json::object obj = to_object(*old, t.api_version(), t.resource.kind);
  json::object& md = metadata_of(obj);
  const bool is_namespace = t.table == "/namespaces";
  std::chrono::milliseconds ns_delay;
  {
    std::lock_guard lock(settings_mutex_);
    ns_delay = namespace_delay_;
  }
  bool held = old->has_finalizers;
  if (held && (t.table == "/persistentvolumeclaims" || t.table == "/persistentvolumes")) {
    // The pv/pvc-protection controller lets a volume no pod uses go at once.
    json::value& finalizers = md["finalizers"];
    if (finalizers.is_array()) {
      json::array kept;
      for (const json::value& f : finalizers.get_array())
        if (!f.is_string() || (f.get_string() != "kubernetes.io/pvc-protection" && f.get_string() != "kubernetes.io/pv-protection"))
          kept.push_back(f);
      held = !kept.empty();
      if (held) finalizers = std::move(kept);
      else md.erase("finalizers");
    }
  }
  if (held || (is_namespace && graceful && ns_delay.count() > 0)) {
    // Graceful deletion: the object stays, marked, until its finalizers are gone (or, for a
    // namespace, until the namespace controller has emptied it).
    if (old->terminating || dry) return {old, false};
    md["deletionTimestamp"] = now_rfc3339();
    md["deletionGracePeriodSeconds"] = 0;
    if (is_namespace) obj["status"] = json::object{{"phase", "Terminating"}};
    ObjectPtr stored = commit(t, obj, old);
    if (is_namespace && !old->has_finalizers) {
      std::string name = old->name;
      auto alive = alive_;
      scheduler_(ns_delay, [this, alive, name] {
        if (*alive) finish_namespace(name);
      });
    }
    return {stored, false};
  }
  if (dry) return {old, true};
  if (is_namespace) {
    // The namespace controller deletes everything in it.
    for (const std::string& table_name : store_.table_names()) {
      const Table* table = store_.find_table(table_name);
      if (!table) continue;
      std::vector<ObjectPtr> doomed;
      for (auto it = table->objects.lower_bound(old->name + "/");
           it != table->objects.end() && std::string_view(it->first).starts_with(old->name + "/"); ++it)
        doomed.push_back(it->second);
      for (const ObjectPtr& o : doomed) {
        auto s = std::make_shared<StoredObject>(*o);
        s->rv = store_.next_rv();
        store_.remove(table_name, s, o);
      }
    }
  }
  md["resourceVersion"] = std::to_string(store_.next_rv());
  ObjectPtr final_state = make_stored(obj, selectable_fields(t.table));
  store_.remove(t.table, final_state, old);
  if (t.table == "apiextensions.k8s.io/customresourcedefinitions") crd_deleted(obj);
  return {final_state, true};
}

void Api::finish_namespace(const std::string& name) {
  std::unique_lock lock(store_.mutex);
  ObjectPtr o = store_.find("/namespaces", "", name);
  if (!o || !o->terminating || o->has_finalizers) return;
  const ApiResource* r = find_resource("v1", "namespaces");
  if (r) do_delete(target_for(*r, "", name), o, false, false);
}

ApiResponse Api::create(const Target& t, const ApiRequest& request, const Query& query) {
  if (!t.subresource.empty()) throw method_not_allowed();
  json::object obj = parse_body(request);
  check_type(t, obj);
  const bool dry = dry_run(query);
  std::unique_lock lock(store_.mutex);
  ObjectPtr stored = do_create(t, std::move(obj), dry, false);
  lock.unlock();
  return object_response(stored, t.api_version(), t.resource.kind, 201);
}

ApiResponse Api::update(const Target& t, const ApiRequest& request, const Query& query) {
  json::object obj = parse_body(request);
  check_type(t, obj);
  const bool dry = dry_run(query);
  std::unique_lock lock(store_.mutex);
  ObjectPtr old = store_.find(t.table, t.ns, t.name);
  if (!old) throw not_found(t.rname(), t.name);
  const bool status_only = t.subresource == "status";
  // Custom resources refuse unconditional updates, through the status subresource too.
  ObjectPtr stored = do_update(t, std::move(obj), old, dry, status_only, t.custom);
  lock.unlock();
  return object_response(stored, t.api_version(), t.resource.kind, 200);
}

ApiResponse Api::patch(const Target& t, const ApiRequest& request, const Query& query) {
  const std::string type = media_type(request.content_type);
  const bool apply = type == "application/apply-patch+yaml";
  if (type != "application/json-patch+json" && type != "application/merge-patch+json" &&
      type != "application/strategic-merge-patch+json" && !apply)
    throw unsupported_media_type(type, kPatchTypes);
  if (type == "application/strategic-merge-patch+json" && t.custom)
    throw unsupported_media_type(type, "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
  if (apply && (!query.contains("fieldManager") || query.at("fieldManager").empty()))
    throw invalid("meta.k8s.io", "PatchOptions", "",
                  {{"FieldValueRequired", "Required value: is required for apply patch", "fieldManager"}});
  json::value body;
  if (apply) {
    body = parse_body(request);
  } else {
    try {
      body = json::parse(request.body, "patch");
    } catch (const Error& e) {
      throw bad_request(e.what());
    }
  }
  const bool dry = dry_run(query);
  const bool status_only = t.subresource == "status";
  std::unique_lock lock(store_.mutex);
  ObjectPtr old = store_.find(t.table, t.ns, t.name);
  if (!old) {
    if (!apply || status_only) throw not_found(t.rname(), t.name);
    // Server-side apply of an object that does not exist creates it.
    json::object obj = std::move(body.get_object());
    check_type(t, obj);
    json::object& md = metadata_of(obj);
    if (string_at(md, "name") != t.name)
      throw bad_request("the name of the object (" + string_at(md, "name") + ") does not match the name on the URL (" + t.name + ")");
    ObjectPtr stored = do_create(t, std::move(obj), dry, false);
    lock.unlock();
    return object_response(stored, t.api_version(), t.resource.kind, 201);
  }
  json::value current = to_object(*old, t.api_version(), t.resource.kind);
  json::value patched;
  try {
    if (type == "application/json-patch+json") patched = json_patch(std::move(current), body);
    else if (type == "application/strategic-merge-patch+json") patched = strategic_merge_patch(std::move(current), body, t.resource.kind);
    else patched = merge_patch(std::move(current), body);  // merge patch; apply is emulated as one
  } catch (const PatchError& e) {
    throw StatusError(422, "Invalid", e.what());
  }
  if (!patched.is_object()) throw bad_request("the patched object is not a JSON object");
  json::object obj = std::move(patched.get_object());
  check_type(t, obj);
  ObjectPtr stored = do_update(t, std::move(obj), old, dry, status_only, false);
  lock.unlock();
  return object_response(stored, t.api_version(), t.resource.kind, 200);
}

ApiResponse Api::remove(const Target& t, const ApiRequest& request, const Query& query) {
  bool dry = dry_run(query);
  std::string want_uid, want_rv;
  if (!request.body.empty()) {
    json::object options = parse_body(request);  // DeleteOptions
    if (const json::object* pre = json::find_object(options, "preconditions")) {
      want_uid = string_at(*pre, "uid");
      want_rv = string_at(*pre, "resourceVersion");
    }
    if (const json::array* d = json::find_array(options, "dryRun"); d && !d->empty()) dry = true;
  }
  std::unique_lock lock(store_.mutex);
  ObjectPtr old = store_.find(t.table, t.ns, t.name);
  if (!old) throw not_found(t.rname(), t.name);
  if (!want_uid.empty() && want_uid != old->uid)
    throw conflict(t.rname(), t.name, "Precondition failed: UID in precondition: " + want_uid + ", UID in object meta: " + old->uid);
  if (!want_rv.empty() && want_rv != std::to_string(old->rv))
    throw conflict(t.rname(), t.name, "Precondition failed: ResourceVersion in precondition: " + want_rv +
                                          ", ResourceVersion in object meta: " + std::to_string(old->rv));
  auto [final_state, gone] = do_delete(t, old, dry);
  lock.unlock();
  if (!gone) return object_response(final_state, t.api_version(), t.resource.kind, 202);
  // Custom resources and namespaces answer with the deleted object, other built-ins with a Status.
  if (t.custom || t.table == "/namespaces" || t.table == "/pods")
    return object_response(final_state, t.api_version(), t.resource.kind, 200);
  json::object details{{"name", t.name}};
  if (!t.resource.group.empty()) details["group"] = t.resource.group;
  details["kind"] = t.resource.name;
  details["uid"] = final_state->uid;
  json::object status{{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object{}}, {"status", "Success"},
                      {"details", std::move(details)}};
  ApiResponse r;
  r.body = json::marshal(status, {.sort_keys = false});
  return r;
}

ApiResponse Api::remove_collection(const Target& t, const ApiRequest& request, const Query& query) {
  (void)request;
  const labels::Selector selector = label_selector(query);
  const FieldSelector fields =
      parse_field_selector(query.contains("fieldSelector") ? query.at("fieldSelector") : std::string(), t.table);
  const bool dry = dry_run(query);
  std::string body = "{\"kind\":\"" + t.resource.kind + "List\",\"apiVersion\":\"" + t.api_version() +
                     "\",\"metadata\":{},\"items\":[";
  std::unique_lock lock(store_.mutex);
  std::vector<ObjectPtr> doomed;
  if (const Table* table = store_.find_table(t.table)) {
    const std::string prefix = t.ns.empty() ? std::string() : t.ns + "/";
    for (auto it = table->objects.lower_bound(prefix);
         it != table->objects.end() && (prefix.empty() || std::string_view(it->first).starts_with(prefix)); ++it)
      if ((selector.empty() || selector.matches(it->second->labels)) && fields.matches(*it->second)) doomed.push_back(it->second);
  }
  bool first = true;
  for (const ObjectPtr& o : doomed) {
    auto [final_state, gone] = do_delete(target_for(t.resource, o->ns, o->name), o, dry);
    (void)gone;
    if (!first) body += ',';
    first = false;
    append_json(body, *final_state, t.api_version(), t.custom ? t.resource.kind : std::string());
  }
  lock.unlock();
  body += "]}";
  ApiResponse r;
  r.body = std::move(body);
  return r;
}

void Api::check_type(const Target& t, const json::object& obj) const {
  const std::string api_version = string_at(obj, "apiVersion"), kind = string_at(obj, "kind");
  if (kind.empty()) throw bad_request("Object 'Kind' is missing in the request body");
  if (api_version.empty()) throw bad_request("Object 'apiVersion' is missing in the request body");
  if (api_version != t.api_version())
    throw bad_request("the API version in the data (" + api_version + ") does not match the expected API version (" +
                      t.api_version() + ")");
  if (kind != t.resource.kind)
    throw bad_request("the kind in the data (" + kind + ") does not match the expected kind (" + t.resource.kind + ")");
}

}  // namespace vbackup::kubetest
