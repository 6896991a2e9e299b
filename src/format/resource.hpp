// The frame every velero.io/v1 resource shares: TypeMeta (kind, apiVersion), metadata, spec, status,
// all written always (Go writes struct fields without omitempty effect), unknown keys after them.
#pragma once

#include "format/fields.hpp"
#include "vbackup/velero_meta.hpp"

namespace vbackup::velero::detail {

template <class Resource, class Spec, class Status>
Resource read_resource(const json::object& o, std::string_view kind, std::string_view what, bool require_type) {
  check_type(o, kind, what, require_type);
  Reader r(o, what, {});
  r.optional_string("kind");  // checked above
  r.optional_string("apiVersion");
  Resource res;
  if (const json::object* m = r.object("metadata")) res.metadata = ObjectMeta::from_json(*m, what, "metadata");
  if (const json::object* s = r.object("spec")) res.spec = Spec::from_json(*s, what, "spec");
  if (const json::object* s = r.object("status")) res.status = Status::from_json(*s, what, "status");
  res.extra = r.rest();
  return res;
}

template <class Resource>
json::object write_resource(std::string_view kind, const Resource& res) {
  json::object o = type_meta(kind);
  o["metadata"] = res.metadata.to_json();
  o["spec"] = res.spec.to_json();
  o["status"] = res.status.to_json();
  put_extra(o, res.extra);
  return o;
}

}  // namespace vbackup::velero::detail
