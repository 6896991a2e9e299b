// ObjectMeta and the small Kubernetes structs the Velero resources embed. Field order and omitempty
// follow k8s.io/apimachinery/pkg/apis/meta/v1/types.go and k8s.io/api/core/v1/types.go.
#include "vbackup/velero_meta.hpp"

#include "format/fields.hpp"
#include "vbackup/error.hpp"

#include <openssl/evp.h>

namespace vbackup::velero {

using detail::Reader;

std::string get_valid_name(std::string_view name) {
  constexpr std::size_t kMax = 63;  // validation.DNS1035LabelMaxLength
  if (name.size() <= kMax) return std::string(name);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(name.data(), name.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorCode::generic, "get_valid_name: SHA-256 failed");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(name.substr(0, kMax - 6));
  for (int i = 0; i < 3; ++i) {  // 6 hex digits = 3 bytes
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xF]);
  }
  return out;
}

OwnerReference OwnerReference::from_json(const json::object& o, std::string_view what, std::string_view path) {
  Reader r(o, what, path);
  OwnerReference ref;
  ref.api_version = r.string("apiVersion");
  ref.kind = r.string("kind");
  ref.name = r.string("name");
  ref.uid = r.string("uid");
  ref.controller = r.optional_bool("controller");
  ref.block_owner_deletion = r.optional_bool("blockOwnerDeletion");
  ref.extra = r.rest();
  return ref;
}

json::object OwnerReference::to_json() const {
  json::object o;
  o["apiVersion"] = api_version;
  o["kind"] = kind;
  o["name"] = name;
  o["uid"] = uid;
  detail::put_optional_bool(o, "controller", controller);
  detail::put_optional_bool(o, "blockOwnerDeletion", block_owner_deletion);
  detail::put_extra(o, extra);
  return o;
}

ObjectMeta ObjectMeta::from_json(const json::object& o, std::string_view what, std::string_view path) {
  Reader r(o, what, path);
  ObjectMeta m;
  m.name = r.string("name");
  m.generate_name = r.string("generateName");
  m.namespace_ = r.string("namespace");
  m.self_link = r.string("selfLink");
  m.uid = r.string("uid");
  m.resource_version = r.string("resourceVersion");
  m.generation = r.integer("generation");
  m.creation_timestamp = r.time("creationTimestamp");
  m.deletion_timestamp = r.time("deletionTimestamp");
  m.deletion_grace_period_seconds = r.optional_integer("deletionGracePeriodSeconds");
  m.labels = r.string_map("labels");
  m.annotations = r.string_map("annotations");
  json::array refs = r.array("ownerReferences");
  for (std::size_t i = 0; i < refs.size(); ++i) {
    std::string sub = r.path("ownerReferences") + "[" + std::to_string(i) + "]";
    m.owner_references.push_back(
        OwnerReference::from_json(detail::expect_object(refs[i], what, sub), what, sub));
  }
  m.finalizers = r.strings("finalizers");
  m.managed_fields = r.array("managedFields");
  m.extra = r.rest();
  return m;
}

json::object ObjectMeta::to_json() const {
  json::object o;
  detail::put_string(o, "name", name);
  detail::put_string(o, "generateName", generate_name);
  detail::put_string(o, "namespace", namespace_);
  detail::put_string(o, "selfLink", self_link);
  detail::put_string(o, "uid", uid);
  detail::put_string(o, "resourceVersion", resource_version);
  detail::put_int(o, "generation", generation);
  detail::put_time(o, "creationTimestamp", creation_timestamp);
  detail::put_time(o, "deletionTimestamp", deletion_timestamp);
  if (deletion_grace_period_seconds) o["deletionGracePeriodSeconds"] = *deletion_grace_period_seconds;
  detail::put_string_map(o, "labels", labels);
  detail::put_string_map(o, "annotations", annotations);
  if (!owner_references.empty()) {
    json::array refs;
    for (const auto& ref : owner_references) refs.emplace_back(ref.to_json());
    o["ownerReferences"] = std::move(refs);
  }
  detail::put_strings(o, "finalizers", finalizers);
  detail::put_array(o, "managedFields", managed_fields);
  detail::put_extra(o, extra);
  return o;
}

TypedLocalObjectReference TypedLocalObjectReference::from_json(const json::object& o, std::string_view what,
                                                               std::string_view path) {
  Reader r(o, what, path);
  TypedLocalObjectReference ref;
  ref.api_group = r.optional_string("apiGroup");
  ref.kind = r.string("kind");
  ref.name = r.string("name");
  ref.extra = r.rest();
  return ref;
}

json::object TypedLocalObjectReference::to_json() const {
  json::object o;
  if (api_group) {
    o["apiGroup"] = *api_group;
  } else {
    o["apiGroup"] = nullptr;  // *string without omitempty
  }
  o["kind"] = kind;
  o["name"] = name;
  detail::put_extra(o, extra);
  return o;
}

SecretKeySelector SecretKeySelector::from_json(const json::object& o, std::string_view what,
                                               std::string_view path) {
  Reader r(o, what, path);
  SecretKeySelector s;
  s.name = r.string("name");
  s.key = r.string("key");
  s.optional = r.optional_bool("optional");
  s.extra = r.rest();
  return s;
}

json::object SecretKeySelector::to_json() const {
  json::object o;
  detail::put_string(o, "name", name);  // inline LocalObjectReference, omitempty
  o["key"] = key;
  detail::put_optional_bool(o, "optional", optional);
  detail::put_extra(o, extra);
  return o;
}

HookStatus HookStatus::from_json(const json::object& o, std::string_view what, std::string_view path) {
  Reader r(o, what, path);
  HookStatus h;
  h.hooks_attempted = r.integer("hooksAttempted");
  h.hooks_failed = r.integer("hooksFailed");
  h.extra = r.rest();
  return h;
}

json::object HookStatus::to_json() const {
  json::object o;
  detail::put_int(o, "hooksAttempted", hooks_attempted);
  detail::put_int(o, "hooksFailed", hooks_failed);
  detail::put_extra(o, extra);
  return o;
}

}  // namespace vbackup::velero
