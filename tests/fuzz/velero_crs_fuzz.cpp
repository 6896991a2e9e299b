// libFuzzer target: the velero.io/v1 custom resources the server reads from a cluster (Schedule,
// BackupStorageLocation, DeleteBackupRequest, DownloadRequest, ServerStatusRequest). Any JSON either
// fails with vbackup::Error or reads; what reads must write and read back, and write the same again.
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/velero_delete_backup_request.hpp"
#include "vbackup/velero_location.hpp"
#include "vbackup/velero_requests.hpp"
#include "vbackup/velero_schedule.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

template <class T>
void round_trip(const vbackup::json::object& o) {
  T first;
  try {
    first = T::from_json(o, "fuzz");
  } catch (const vbackup::Error&) {
    return;
  }
  vbackup::json::object written = first.to_json();
  T second;
  try {
    second = T::from_json(written, "fuzz");
  } catch (const vbackup::Error&) {
    std::abort();  // what we wrote must read back
  }
  if (second.to_json() != written) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vbackup::velero;
  vbackup::json::value v;
  try {
    v = vbackup::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const vbackup::Error&) {
    return 0;
  }
  if (!v.is_object()) return 0;
  const auto& o = v.get_object();
  round_trip<Schedule>(o);
  round_trip<BackupStorageLocation>(o);
  round_trip<DeleteBackupRequest>(o);
  round_trip<DownloadRequest>(o);
  round_trip<ServerStatusRequest>(o);
  return 0;
}
