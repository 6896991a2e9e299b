// A velero.io/v1 custom resource kept current in the cluster (operation.hpp CrRecorder), and the
// delete of a recorded one.
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/operation.hpp"

#include <cctype>

namespace vbackup {

RecordInCluster parse_record_in_cluster(std::string_view value, std::string_view what) {
  if (value == "auto") return RecordInCluster::automatic;
  if (value == "true") return RecordInCluster::always;
  if (value == "false") return RecordInCluster::never;
  throw invalid_input(std::string(what) + ": expected auto, true or false, not \"" + std::string(value) + "\"");
}

namespace {

// The object as we send it: server-owned metadata left to the server.
json::object without_server_fields(json::object o) {
  if (auto* md = o.if_contains("metadata") ? o["metadata"].if_object() : nullptr) {
    for (const char* k : {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"}) md->erase(k);
  }
  return o;
}

json::object without_status(json::object o) {
  o.erase("status");
  return o;
}

std::string_view phase_of(const json::object& cr) {
  const json::object* st = json::find_object(cr, "status");
  return st ? json::get_string(*st, "phase") : std::string_view();
}

// The phases after which neither Velero nor we touch a Backup or Restore again.
bool terminal(std::string_view phase) {
  return phase == "Completed" || phase == "PartiallyFailed" || phase == "Failed" || phase == "FailedValidation";
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

struct CrRecorder::State {
  enum class Phase { unknown, active, off } phase = Phase::unknown;
  std::optional<ApiResource> resource;
  bool status_subresource = false;   // the CRD defines it: status goes through PUT .../status
  std::string ns, name;
  std::string resource_version;      // of the last write that landed
  std::string main_written;          // the object without status as last written (status subresource)
  json::object pending;              // the last object asked for
  bool landed_terminal = false;      // the last write that landed carried a terminal phase
  std::function<void(const std::string&)> announce;
};

CrRecorder::CrRecorder(kube::KubeClient& client, std::string resource, std::string kind, RecordInCluster mode)
    : client_(client), resource_(std::move(resource)), kind_(std::move(kind)), mode_(mode),
      state_(std::make_unique<State>()) {}

CrRecorder::~CrRecorder() = default;

void CrRecorder::on_recording(std::function<void(const std::string&)> announce) { state_->announce = std::move(announce); }

bool CrRecorder::active() const { return state_->phase == State::Phase::active; }

void CrRecorder::record(const json::object& cr) {
  auto& st = *state_;
  if (st.phase == State::Phase::off || mode_ == RecordInCluster::never) return;
  st.pending = without_server_fields(cr);
  if (st.phase == State::Phase::unknown) {
    start(st.pending);
    return;
  }
  write(st.pending);
}

void CrRecorder::start(const json::object& cr) {
  auto& st = *state_;
  st.ns = std::string(json::metadata_string(cr, "namespace"));
  st.name = std::string(json::metadata_string(cr, "name"));
  const std::string what = kind_ + " " + st.ns + "/" + st.name;
  // What cannot be recorded: a note (auto) or the operation's error (true). Either way nothing more
  // is tried.
  auto cannot = [&](ErrorCode code, const std::string& cause) {
    st.phase = State::Phase::off;
    if (mode_ == RecordInCluster::always) {
      throw Error(code, "the " + kind_ + " cannot be recorded in the cluster as asked (record in cluster: true): " + cause);
    }
    note_ = cause + ": no " + kind_ + " CR is kept";
  };
  const ApiResource* r = client_.discovery().find("velero.io", resource_);
  if (!r) {
    return cannot(ErrorCode::unsupported, velero_crds_missing(client_, resource_, kind_));
  }
  st.resource = *r;
  for (const auto& sub : client_.discovery().resources(r->group_version())) {
    if (sub.name == resource_ + "/status") st.status_subresource = true;
  }
  if (adopt_) {
    // A CR someone created (Velero's controllers work on it in place): read it, then write.
    std::optional<json::object> existing = client_.try_get(*st.resource, st.ns, st.name);
    if (!existing) throw not_found("the " + kind_ + " " + st.ns + "/" + st.name + " is no longer in the cluster");
    st.phase = State::Phase::active;
    st.resource_version = std::string(json::metadata_string(*existing, "resourceVersion"));
    st.main_written = json::marshal(without_status(without_server_fields(*existing)));
    st.landed_terminal = false;
    if (!write(cr) && mode_ == RecordInCluster::always) throw Error(ErrorCode::kube, note_);
    return;
  }
  json::object created;
  try {
    // Without the status subresource the server keeps the status we send: the CR is born with its
    // phase. With it the server drops status on create, so PUT .../status follows at once.
    created = client_.create(*st.resource, st.status_subresource ? without_status(cr) : cr, st.ns);
  } catch (const kube::KubeError& e) {
    if (e.reason() != kube::Reason::already_exists) {
      return cannot(ErrorCode::kube, "the " + kind_ + " CR could not be created in namespace \"" + st.ns + "\": " + e.what());
    }
    st.phase = State::Phase::off;
    std::string phase;
    try {
      if (auto existing = client_.try_get(*st.resource, st.ns, st.name)) phase = std::string(phase_of(*existing));
    } catch (const Error&) {
    }
    // Velero's names are unique in a cluster. The operation checked its location first, so this CR
    // has no counterpart there: a leftover, or an operation of that name still running.
    std::string k = lower(kind_);
    std::string msg = "a " + kind_ + " named \"" + st.name + "\" already exists in namespace \"" + st.ns + "\" of " +
                      client_.config().server + " (phase " + (phase.empty() ? "unset" : phase) +
                      ") but not in this storage location";
    if (!terminal(phase)) msg += "; it may still be running";
    msg += ". If it is stale, remove it with `kubectl delete " + k + " " + st.name + " -n " + st.ns +
           "` or `vbackup " + k + " delete " + st.name + "`, or choose another name";
    throw Error(ErrorCode::already_exists, msg);
  }
  st.phase = State::Phase::active;
  st.resource_version = std::string(json::metadata_string(created, "resourceVersion"));
  st.main_written = json::marshal(without_status(cr));
  if (st.status_subresource) {
    st.landed_terminal = false;
    if (!write(cr)) {
      // A CR without a phase is a request to a running Velero server: take it back.
      std::string cause = note_;
      try {
        client_.remove(*st.resource, st.ns, st.name);
        note_.clear();
        return cannot(ErrorCode::kube, cause + " (the CR was deleted again)");
      } catch (const Error& e) {
        note_ = cause + "; it could not be deleted either (" + e.what() + "): remove it with `kubectl delete " +
                lower(kind_) + " " + st.name + " -n " + st.ns + "`";
        st.phase = State::Phase::off;
        if (mode_ == RecordInCluster::always) throw Error(ErrorCode::kube, note_);
        return;
      }
    }
  } else {
    st.landed_terminal = terminal(phase_of(cr));
  }
  if (st.announce) st.announce("recording " + what + " in the cluster (velero.io CRDs are installed)");
}

// One write of the whole object (status included); false with note() set when it did not land.
bool CrRecorder::write(const json::object& cr) {
  auto& st = *state_;
  try {
    if (!st.status_subresource) {
      json::object answer = client_.patch(*st.resource, st.ns, st.name, kube::PatchType::merge, json::marshal(cr));
      st.resource_version = std::string(json::metadata_string(answer, "resourceVersion"));
    } else {
      // The object without status through the main endpoint (when it changed), then the status
      // through /status with the resourceVersion it has now: the API server's update of a custom
      // resource is conditional.
      std::string main = json::marshal(without_status(cr));
      if (main != st.main_written) {
        json::object answer = client_.patch(*st.resource, st.ns, st.name, kube::PatchType::merge, main);
        st.main_written = std::move(main);
        st.resource_version = std::string(json::metadata_string(answer, "resourceVersion"));
      }
      const std::string path = kube::KubeClient::path(*st.resource, st.ns, st.name) + "/status";
      auto put = [&]() {
        json::object body = cr;
        if (auto* md = body.if_contains("metadata") ? body["metadata"].if_object() : nullptr) {
          (*md)["resourceVersion"] = st.resource_version;
        }
        auto answer = client_.request("PUT", path, json::marshal(body), "application/json");
        auto v = json::parse(answer.body, "PUT " + path);
        if (v.is_object()) st.resource_version = std::string(json::metadata_string(v.get_object(), "resourceVersion"));
      };
      try {
        put();
      } catch (const kube::KubeError& e) {
        // Someone else wrote the CR meanwhile (a label, Velero's finalizer): once more with its
        // resourceVersion.
        if (e.reason() != kube::Reason::conflict) throw;
        st.resource_version = std::string(json::metadata_string(client_.get(*st.resource, st.ns, st.name), "resourceVersion"));
        put();
      }
    }
  } catch (const Error& e) {
    note_ = "the " + kind_ + " CR " + st.ns + "/" + st.name + " could not be updated: " + std::string(e.what());
    return false;
  }
  st.landed_terminal = terminal(phase_of(cr));
  note_.clear();  // an earlier failed update is made good
  return true;
}

void CrRecorder::settle(std::string_view failure_reason, Timestamp now) {
  auto& st = *state_;
  if (!active() || st.landed_terminal) return;
  json::object cr = st.pending;
  if (!terminal(phase_of(cr))) {
    // The operation stopped before its final record (an exception): Failed, as Velero marks a
    // Backup or Restore its server stopped working on.
    if (!cr.if_contains("status") || !cr["status"].is_object()) cr["status"] = json::object();
    json::object* status = cr["status"].if_object();
    (*status)["phase"] = "Failed";
    (*status)["failureReason"] = failure_reason.empty() ? std::string_view("the operation stopped") : failure_reason;
    (*status)["completionTimestamp"] = format_rfc3339(now);
  }
  if (write(cr) || write(cr)) return;  // once more: the first failure may have been passing
  note_ += "; its final phase (" + std::string(phase_of(cr)) + ") could not be written: remove it with `kubectl delete " +
           lower(kind_) + " " + st.name + " -n " + st.ns + "`";
}

void CrRecorder::settle(std::exception_ptr error, Timestamp now) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    settle(e.code() == ErrorCode::cancelled ? std::string_view("cancelled") : std::string_view(e.what()), now);
  } catch (const std::exception& e) {
    settle(std::string("internal error: ") + e.what(), now);
  } catch (...) {
    settle("internal error", now);
  }
}

std::string velero_crds_missing(kube::KubeClient& client, std::string_view plural, std::string_view kind) {
  return "the cluster " + client.config().server + " has no velero.io/v1 " + std::string(kind) + " resource (" +
         std::string(plural) + ".velero.io: Velero's CRDs are not installed; `vbackup install --crds-only` installs them)";
}

const ApiResource& velero_resource(kube::KubeClient& client, std::string_view plural, std::string_view kind) {
  const ApiResource* r = client.discovery().find("velero.io", plural);
  if (!r) r = client.refresh_discovery().find("velero.io", plural);
  if (!r) throw Error(ErrorCode::unsupported, velero_crds_missing(client, plural, kind));
  return *r;
}

bool delete_recorded_cr(kube::KubeClient& client, std::string_view resource, const std::string& ns,
                        const std::string& name) {
  const ApiResource* r = client.discovery().find("velero.io", resource);
  if (!r) return false;
  try {
    client.remove(*r, ns, name);
    return true;
  } catch (const kube::KubeError& e) {
    if (e.reason() == kube::Reason::not_found) return false;
    throw;
  }
}

}  // namespace vbackup
