// BackupStorageLocation ⇄ JSON. Field order and omitempty: pkg/apis/velero/v1/backupstoragelocation_types.go
// (BackupStorageLocationSpec with the inline StorageType, ObjectStorageLocation,
// BackupStorageLocationStatus); spec §4.5.
#include "core/encoding.hpp"
#include "vbackup/velero_location.hpp"

#include "format/fields.hpp"
#include "format/resource.hpp"

namespace vbackup::velero {

using detail::Reader;

BackupStorageLocationSpec BackupStorageLocationSpec::from_json(const json::object& o, std::string_view what,
                                                               std::string_view path) {
  Reader r(o, what, path);
  BackupStorageLocationSpec s;
  s.provider = r.string("provider");
  s.config = r.string_map("config");
  if (const json::object* c = r.object("credential")) {
    s.credential = SecretKeySelector::from_json(*c, what, r.path("credential"));
  }
  if (const json::object* os = r.object("objectStorage")) {
    Reader sr(*os, what, r.path("objectStorage"));
    ObjectStorageLocation loc;
    loc.bucket = sr.string("bucket");
    loc.prefix = sr.string("prefix");
    loc.ca_cert = sr.bytes("caCert");
    if (const json::object* ref = sr.object("caCertRef")) {
      loc.ca_cert_ref = SecretKeySelector::from_json(*ref, what, sr.path("caCertRef"));
    }
    loc.extra = sr.rest();
    s.object_storage = std::move(loc);
  }
  s.default_ = r.boolean("default");
  s.access_mode = r.string("accessMode");
  s.backup_sync_period = r.optional_duration("backupSyncPeriod");
  s.validation_frequency = r.optional_duration("validationFrequency");
  s.extra = r.rest();
  return s;
}

json::object BackupStorageLocationSpec::to_json() const {
  using namespace detail;
  json::object o;
  o["provider"] = provider;  // no omitempty
  put_string_map(o, "config", config);
  if (credential) o["credential"] = credential->to_json();
  if (object_storage) {
    json::object os;
    os["bucket"] = object_storage->bucket;  // no omitempty
    put_string(os, "prefix", object_storage->prefix);
    if (!object_storage->ca_cert.empty()) os["caCert"] = vbackup::base64_encode(object_storage->ca_cert);
    if (object_storage->ca_cert_ref) os["caCertRef"] = object_storage->ca_cert_ref->to_json();
    put_extra(os, object_storage->extra);
    o["objectStorage"] = std::move(os);
  } else {
    o["objectStorage"] = nullptr;  // *ObjectStorageLocation without omitempty
  }
  put_bool(o, "default", default_);
  put_string(o, "accessMode", access_mode);
  put_optional_duration(o, "backupSyncPeriod", backup_sync_period);
  put_optional_duration(o, "validationFrequency", validation_frequency);
  put_extra(o, extra);
  return o;
}

BackupStorageLocationStatus BackupStorageLocationStatus::from_json(const json::object& o, std::string_view what,
                                                                   std::string_view path) {
  Reader r(o, what, path);
  BackupStorageLocationStatus s;
  s.phase = r.string("phase");
  s.last_synced_time = r.time("lastSyncedTime");
  s.last_validation_time = r.time("lastValidationTime");
  s.message = r.string("message");
  s.last_synced_revision = r.string("lastSyncedRevision");
  s.access_mode = r.string("accessMode");
  s.extra = r.rest();
  return s;
}

json::object BackupStorageLocationStatus::to_json() const {
  using namespace detail;
  json::object o;
  put_string(o, "phase", phase);
  put_time(o, "lastSyncedTime", last_synced_time);
  put_time(o, "lastValidationTime", last_validation_time);
  put_string(o, "message", message);
  put_string(o, "lastSyncedRevision", last_synced_revision);
  put_string(o, "accessMode", access_mode);
  put_extra(o, extra);
  return o;
}

BackupStorageLocation BackupStorageLocation::from_json(const json::object& o, std::string_view what) {
  return detail::read_resource<BackupStorageLocation, BackupStorageLocationSpec, BackupStorageLocationStatus>(
      o, "BackupStorageLocation", what, false);
}

json::object BackupStorageLocation::to_json() const {
  return detail::write_resource("BackupStorageLocation", *this);
}

}  // namespace vbackup::velero
