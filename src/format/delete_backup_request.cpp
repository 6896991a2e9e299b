// DeleteBackupRequest ⇄ JSON. Field order and omitempty: pkg/apis/velero/v1/delete_backup_request_types.go
// (spec.backupName has no omitempty; status.phase and status.errors do).
#include "vbackup/velero_delete_backup_request.hpp"

#include "format/fields.hpp"
#include "format/resource.hpp"

namespace vbackup::velero {

using detail::Reader;

DeleteBackupRequestSpec DeleteBackupRequestSpec::from_json(const json::object& o, std::string_view what,
                                                           std::string_view path) {
  Reader r(o, what, path);
  DeleteBackupRequestSpec s;
  s.backup_name = r.string("backupName");
  s.extra = r.rest();
  return s;
}

json::object DeleteBackupRequestSpec::to_json() const {
  json::object o;
  o["backupName"] = backup_name;
  detail::put_extra(o, extra);
  return o;
}

DeleteBackupRequestStatus DeleteBackupRequestStatus::from_json(const json::object& o, std::string_view what,
                                                               std::string_view path) {
  Reader r(o, what, path);
  DeleteBackupRequestStatus s;
  s.phase = r.string("phase");
  s.errors = r.strings("errors");
  s.extra = r.rest();
  return s;
}

json::object DeleteBackupRequestStatus::to_json() const {
  using namespace detail;
  json::object o;
  put_string(o, "phase", phase);
  put_strings(o, "errors", errors);
  put_extra(o, extra);
  return o;
}

DeleteBackupRequest DeleteBackupRequest::from_json(const json::object& o, std::string_view what) {
  return detail::read_resource<DeleteBackupRequest, DeleteBackupRequestSpec, DeleteBackupRequestStatus>(
      o, "DeleteBackupRequest", what, false);
}

json::object DeleteBackupRequest::to_json() const { return detail::write_resource("DeleteBackupRequest", *this); }

}  // namespace vbackup::velero
