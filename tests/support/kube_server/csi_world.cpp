// The CSI world's state: the handle registry, its switches, and resource.Quantity in bytes.
#include "kube_server/csi.hpp"
#include "kube_server/util.hpp"
#include "vbackup/error.hpp"

#include <cctype>
#include <cmath>

namespace vbackup::kubetest {

namespace {

Error bad(const std::string& what) { return Error(ErrorCode::invalid, "control csi: " + what); }

}  // namespace

void CsiWorld::configure(const json::object& request) {
  static const std::set<std::string, std::less<>> known = {"reset", "drivers", "readyAfterMilliseconds", "cutSnapshots",
                                                           "contentError", "deleteHandle", "addHandle",
                                                           "snapshotCrds", "snapshotError"};  // Api::csi_control
  for (const auto& [k, v] : request)
    if (!known.contains(k)) throw bad("unknown key \"" + std::string(k) + "\"");
  auto it = request.find("reset");
  if (it != request.end() && it->value().is_bool() && it->value().get_bool()) {
    ready_after = std::chrono::milliseconds(0);
    cut_snapshots = true;
    content_error.clear();
    snapshot_error.clear();
  }
  if (it = request.find("drivers"); it != request.end()) {
    if (!it->value().is_array()) throw bad("drivers: expected an array of driver names");
    for (const json::value& d : it->value().get_array()) {
      if (!d.is_string() || d.get_string().empty()) throw bad("drivers: expected an array of driver names");
      drivers.insert(std::string(d.get_string()));
    }
  }
  if (it = request.find("readyAfterMilliseconds"); it != request.end()) {
    if (!it->value().is_int64() || it->value().get_int64() < -1) throw bad("readyAfterMilliseconds: expected -1 or more");
    ready_after = std::chrono::milliseconds(it->value().get_int64());
  }
  if (it = request.find("cutSnapshots"); it != request.end()) {
    if (!it->value().is_bool()) throw bad("cutSnapshots: expected true or false");
    cut_snapshots = it->value().get_bool();
  }
  if (it = request.find("contentError"); it != request.end()) {
    if (it->value().is_null()) content_error.clear();
    else if (it->value().is_string()) content_error = std::string(it->value().get_string());
    else throw bad("contentError: expected a message or null");
  }
  if (it = request.find("snapshotError"); it != request.end()) {
    if (it->value().is_null()) snapshot_error.clear();
    else if (it->value().is_string()) snapshot_error = std::string(it->value().get_string());
    else throw bad("snapshotError: expected a message or null");
    snapshot_error_time = now_rfc3339();
  }
  if (it = request.find("deleteHandle"); it != request.end()) {
    if (!it->value().is_string()) throw bad("deleteHandle: expected a snapshot handle");
    snapshots.erase(std::string(it->value().get_string()));
  }
  if (it = request.find("addHandle"); it != request.end()) {
    // {"handle": "h", "driver": "d", "restoreSize": bytes}: a snapshot the storage holds already
    // (a static VolumeSnapshotContent restored from another cluster).
    if (!it->value().is_object()) throw bad("addHandle: expected {handle, driver, restoreSize}");
    const json::object& h = it->value().get_object();
    const std::string handle(json::get_string(h, "handle")), driver(json::get_string(h, "driver"));
    if (handle.empty() || driver.empty()) throw bad("addHandle: handle and driver are required");
    CsiSnapshot s{driver, "", 0, 0};
    if (auto r = h.find("restoreSize"); r != h.end() && r->value().is_int64()) s.restore_size = r->value().get_int64();
    s.creation_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
    snapshots[handle] = s;
  }
}

json::object CsiWorld::state() const {
  json::array snaps, vols, drv;
  for (const auto& [handle, s] : snapshots)
    snaps.push_back(json::object{{"snapshotHandle", handle}, {"driver", s.driver}, {"sourceVolumeHandle", s.source_volume},
                                 {"restoreSize", s.restore_size}, {"creationTime", s.creation_ns}});
  for (const auto& [handle, v] : volumes)
    vols.push_back(json::object{{"volumeHandle", handle}, {"driver", v.driver}, {"fromSnapshotHandle", v.from_snapshot}});
  for (const std::string& d : drivers) drv.push_back(json::value(d));
  json::object out{{"drivers", std::move(drv)}, {"snapshots", std::move(snaps)}, {"volumes", std::move(vols)},
                   {"readyAfterMilliseconds", static_cast<std::int64_t>(ready_after.count())},
                   {"cutSnapshots", cut_snapshots}};
  if (!content_error.empty()) out["contentError"] = content_error;
  if (!snapshot_error.empty()) out["snapshotError"] = snapshot_error;
  return out;
}

std::optional<std::int64_t> quantity_bytes(std::string_view q) {
  std::size_t i = 0;
  while (i < q.size() && (std::isdigit(static_cast<unsigned char>(q[i])) || q[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double number = 0;
  try {
    number = std::stod(std::string(q.substr(0, i)));
  } catch (...) {
    return std::nullopt;
  }
  const std::string_view suffix = q.substr(i);
  static const std::pair<std::string_view, double> units[] = {
      {"", 1},       {"k", 1e3},  {"M", 1e6},  {"G", 1e9},  {"T", 1e12}, {"P", 1e15}, {"E", 1e18},
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0}, {"Pi", 1125899906842624.0}};
  for (const auto& [unit, factor] : units)
    if (suffix == unit) return static_cast<std::int64_t>(std::ceil(number * factor));  // Quantity rounds up
  return std::nullopt;
}

std::string binary_si(std::int64_t bytes) {
  static const char* units[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  int u = 0;
  while (bytes != 0 && bytes % 1024 == 0 && u < 6) {
    bytes /= 1024;
    ++u;
  }
  return std::to_string(bytes) + units[u];
}

}  // namespace vbackup::kubetest
