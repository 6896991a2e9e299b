// The JSON options of sealing (sealing.hpp), shared by the C API and Python.
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/sealing.hpp"

#include <fstream>

namespace vbackup::sealing {
namespace {

std::string text_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::invalid, std::string(what) + ": " + path + ": cannot be read");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const std::string* string_key(const json::object& o, std::string_view key, std::string_view what, std::string& buf) {
  const auto* v = o.if_contains(key);
  if (!v) return nullptr;
  if (!v->is_string()) throw Error(ErrorCode::invalid, std::string(what) + ": " + std::string(key) + ": expected a string");
  buf = std::string(v->get_string());
  return &buf;
}

bool bool_key(const json::object& o, std::string_view key, std::string_view what, bool fallback) {
  const auto* v = o.if_contains(key);
  if (!v) return fallback;
  if (!v->is_bool()) throw Error(ErrorCode::invalid, std::string(what) + ": " + std::string(key) + ": expected true or false");
  return v->get_bool();
}

}  // namespace

void seal_options_from_json(const json::object& o, std::string_view what, SealOptions& out) {
  std::string buf;
  if (const auto* v = o.if_contains("encryptTo")) {
    const std::string w = std::string(what) + ": encryptTo";
    if (v->is_string()) {
      for (auto& r : parse_recipients(v->get_string(), w)) out.recipients.push_back(std::move(r));
    } else if (v->is_array()) {
      for (const auto& e : v->get_array()) {
        if (!e.is_string()) throw Error(ErrorCode::invalid, w + ": expected strings (age1…)");
        out.recipients.push_back(crypto::AgeRecipient::parse(e.get_string(), w));
      }
    } else {
      throw Error(ErrorCode::invalid, w + ": expected an array of age1… recipients");
    }
  }
  if (const auto* p = string_key(o, "passphrase", what, buf)) {
    if (!out.recipients.empty()) {
      throw Error(ErrorCode::invalid, std::string(what) + ": passphrase: must be the only recipient (age's rule)");
    }
    out.recipients.push_back(crypto::AgeRecipient::passphrase(*p));
  }
  if (const auto* p = string_key(o, "signKeyFile", what, buf)) {
    out.signing_key = crypto::SshSigningKey::parse(text_file(*p, std::string(what) + ": signKeyFile"), *p);
  }
}

void open_options_from_json(const json::object& o, std::string_view what, OpenOptions& out) {
  std::string buf;
  if (const auto* p = string_key(o, "identityFile", what, buf)) {
    for (auto& id : crypto::read_age_identity_file(*p)) out.identities.push_back(std::move(id));
  }
  if (const auto* p = string_key(o, "identities", what, buf)) {
    for (auto& id : crypto::parse_age_identities(*p, std::string(what) + ": identities")) out.identities.push_back(std::move(id));
  }
  if (const auto* p = string_key(o, "allowedSignersFile", what, buf)) {
    out.allowed_signers = text_file(*p, std::string(what) + ": allowedSignersFile");
  }
  if (const auto* p = string_key(o, "allowedSigners", what, buf)) out.allowed_signers = *p;
  if (const auto* p = string_key(o, "principal", what, buf)) out.principal = *p;
  out.require_signature = bool_key(o, "requireSignature", what, out.require_signature);
  out.skip_verify = bool_key(o, "skipVerify", what, out.skip_verify);
}

}  // namespace vbackup::sealing
