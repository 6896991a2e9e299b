// A velero.io/v1 custom resource kept current in the cluster (operation.hpp CrRecorder).
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/operation.hpp"

namespace vbackup {
namespace {

// The object as we send it: server-owned metadata left to the server.
json::object without_server_fields(json::object o) {
  if (auto* md = o.if_contains("metadata") ? o["metadata"].if_object() : nullptr) {
    for (const char* k : {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"}) md->erase(k);
  }
  return o;
}

}  // namespace

struct CrRecorder::State {
  enum class Phase { unknown, active, off } phase = Phase::unknown;
  std::optional<ApiResource> resource;
};

CrRecorder::CrRecorder(kube::KubeClient& client, std::string resource, std::string kind)
    : client_(client), resource_(std::move(resource)), kind_(std::move(kind)), state_(std::make_unique<State>()) {}

CrRecorder::~CrRecorder() = default;

bool CrRecorder::active() const { return state_->phase == State::Phase::active; }

void CrRecorder::record(const json::object& cr) {
  auto& st = *state_;
  if (st.phase == State::Phase::off) return;
  std::string ns(json::metadata_string(cr, "namespace"));
  std::string name(json::metadata_string(cr, "name"));
  if (st.phase == State::Phase::unknown) {
    const ApiResource* r = client_.discovery().find("velero.io", resource_);
    if (!r) {
      st.phase = State::Phase::off;
      note_ = "the cluster has no velero.io/v1 " + kind_ + " resource (Velero's CRDs are not installed): no " + kind_ +
              " CR is kept";
      return;
    }
    st.resource = *r;
    try {
      client_.create(*st.resource, without_server_fields(cr), ns);
      st.phase = State::Phase::active;
    } catch (const kube::KubeError& e) {
      if (e.reason() == kube::Reason::already_exists) {
        throw Error(ErrorCode::already_exists, "a " + kind_ + " named \"" + name + "\" already exists in namespace \"" +
                                                   ns + "\" of " + client_.config().server);
      }
      st.phase = State::Phase::off;
      note_ = "the " + kind_ + " CR could not be created in namespace \"" + ns + "\": " + e.what();
    }
    return;
  }
  try {
    client_.patch(*st.resource, ns, name, kube::PatchType::merge, json::marshal(without_server_fields(cr)));
  } catch (const Error& e) {
    note_ = "the " + kind_ + " CR could not be updated: " + std::string(e.what());
  }
}

}  // namespace vbackup
