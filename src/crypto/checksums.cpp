// The checksum manifest (docs/crypto.md "Checksum manifest"): SHA-256 and size of named files and of
// named items inside a tarball, written canonically and parsed strictly.
#include "crypto/checksum_entry.hpp"
#include "crypto/primitives.hpp"

#include "vbackup/crypto.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <set>
#include <tuple>

namespace vbackup::crypto {

// ---- SHA-256 --------------------------------------------------------------------------------------

struct Sha256::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  if (!state_->ctx || EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorCode::generic, "OpenSSL: SHA-256 init failed");
  }
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t size) {
  if (size && EVP_DigestUpdate(state_->ctx, data, size) != 1) throw Error(ErrorCode::generic, "OpenSSL: SHA-256 failed");
  size_ += size;
}

std::string Sha256::hex_digest() {
  unsigned char out[32];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(state_->ctx, out, &len) != 1) throw Error(ErrorCode::generic, "OpenSSL: SHA-256 failed");
  return to_hex(std::string_view(reinterpret_cast<const char*>(out), len));
}

void Sha256OutputStream::write(const void* data, std::size_t size) {
  hash_.update(data, size);
  if (sink_) sink_->write(data, size);
}

// ---- the manifest ---------------------------------------------------------------------------------

namespace {

constexpr std::int64_t kVersion = 1;

bool entry_less(const ChecksumEntry& a, const ChecksumEntry& b) {
  return std::tie(a.file, a.path) < std::tie(b.file, b.path);
}

// Boost.JSON keeps the last of duplicate keys; a strict parser must see them, so a first pass
// with a handler that only tracks the keys of each open object.
struct DuplicateKeys {
  constexpr static std::size_t max_object_size = std::size_t(-1);
  constexpr static std::size_t max_array_size = std::size_t(-1);
  constexpr static std::size_t max_key_size = std::size_t(-1);
  constexpr static std::size_t max_string_size = std::size_t(-1);
  std::vector<std::set<std::string>> open;
  std::string key;
  std::string duplicate;
  using ec_t = boost::system::error_code;
  using sv = boost::json::string_view;
  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t, ec_t&) { return true; }
  bool on_object_begin(ec_t&) { open.emplace_back(); return true; }
  bool on_object_end(std::size_t, ec_t&) { open.pop_back(); return true; }
  bool on_string_part(sv, std::size_t, ec_t&) { return true; }
  bool on_string(sv, std::size_t, ec_t&) { return true; }
  bool on_key_part(sv s, std::size_t, ec_t&) { key.append(s.data(), s.size()); return true; }
  bool on_key(sv s, std::size_t, ec_t& ec) {
    key.append(s.data(), s.size());
    if (!open.back().insert(key).second) {
      duplicate = key;
      ec = boost::json::error::syntax;
      return false;
    }
    key.clear();
    return true;
  }
  bool on_number_part(sv, ec_t&) { return true; }
  bool on_int64(std::int64_t, sv, ec_t&) { return true; }
  bool on_uint64(std::uint64_t, sv, ec_t&) { return true; }
  bool on_double(double, sv, ec_t&) { return true; }
  bool on_bool(bool, ec_t&) { return true; }
  bool on_null(ec_t&) { return true; }
  bool on_comment_part(sv, ec_t&) { return true; }
  bool on_comment(sv, ec_t&) { return true; }
};

void refuse_duplicate_keys(std::string_view text, std::string_view what) {
  boost::json::basic_parser<DuplicateKeys> parser(boost::json::parse_options{});
  boost::system::error_code ec;
  parser.write_some(false, text.data(), text.size(), ec);
  if (!parser.handler().duplicate.empty()) {
    throw Error(ErrorCode::invalid, std::string(what) + ": duplicate key \"" + parser.handler().duplicate + "\"");
  }
  // Syntax errors are json::parse's to report, with line and column.
}

[[noreturn]] void bad(std::string_view what, const std::string& problem) {
  throw Error(ErrorCode::invalid, std::string(what) + ": " + problem);
}

const json::object& as_object(const json::value& v, const std::string& where) {
  if (!v.is_object()) bad(where, "expected an object");
  return v.get_object();
}

void only_keys(const json::object& o, std::initializer_list<std::string_view> keys, const std::string& where) {
  for (const auto& kv : o) {
    if (std::find(keys.begin(), keys.end(), std::string_view(kv.key())) == keys.end()) {
      bad(where, "unknown field \"" + std::string(kv.key()) + "\"");
    }
  }
  for (auto k : keys) {
    if (!o.contains(k)) bad(where, "missing field \"" + std::string(k) + "\"");
  }
}

std::string string_field(const json::object& o, std::string_view key, const std::string& where) {
  const auto& v = o.at(key);
  if (!v.is_string() || v.get_string().empty()) bad(where, std::string(key) + ": expected a non-empty string");
  return std::string(v.get_string());
}

ChecksumEntry parse_entry(const json::value& v, bool item, const std::string& where) {
  const auto& o = as_object(v, where);
  if (item) only_keys(o, {"tarball", "path", "size", "sha256"}, where);
  else only_keys(o, {"name", "size", "sha256"}, where);
  ChecksumEntry e;
  e.file = string_field(o, item ? "tarball" : "name", where);
  if (item) e.path = string_field(o, "path", where);
  const auto& size = o.at("size");
  if (size.is_int64() && size.get_int64() >= 0) e.size = static_cast<std::uint64_t>(size.get_int64());
  else if (size.is_uint64()) e.size = size.get_uint64();
  else bad(where, "size: expected a non-negative integer");
  e.sha256 = string_field(o, "sha256", where);
  if (!is_sha256_hex(e.sha256)) bad(where, "sha256: expected 64 lower-case hex digits");
  return e;
}

std::string entry_name(const ChecksumEntry& e) { return e.path.empty() ? e.file : e.file + ": " + e.path; }

void compare_lists(std::vector<ChecksumEntry> expected, std::vector<ChecksumEntry> actual, std::vector<std::string>& out) {
  std::sort(expected.begin(), expected.end(), entry_less);
  std::sort(actual.begin(), actual.end(), entry_less);
  auto e = expected.begin();
  auto a = actual.begin();
  while (e != expected.end() || a != actual.end()) {
    if (a == actual.end() || (e != expected.end() && entry_less(*e, *a))) {
      out.push_back(entry_name(*e++) + ": missing");
    } else if (e == expected.end() || entry_less(*a, *e)) {
      out.push_back(entry_name(*a++) + ": unexpected");
    } else {
      if (e->size != a->size) {
        out.push_back(entry_name(*e) + ": size differs (expected " + std::to_string(e->size) + ", found " +
                      std::to_string(a->size) + ")");
      } else if (e->sha256 != a->sha256) {
        out.push_back(entry_name(*e) + ": sha256 differs (expected " + e->sha256 + ", found " + a->sha256 + ")");
      }
      ++e, ++a;
    }
  }
}

}  // namespace

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

json::object checksum_entry_json(const ChecksumEntry& e, bool item) {
  json::object o;
  if (item) {
    o["tarball"] = e.file;
    o["path"] = e.path;
  } else {
    o["name"] = e.file;
  }
  o["size"] = e.size;
  o["sha256"] = e.sha256;
  return o;
}

std::string ChecksumManifest::to_json() const {
  auto files_sorted = files, items_sorted = items;
  std::sort(files_sorted.begin(), files_sorted.end(), entry_less);
  std::sort(items_sorted.begin(), items_sorted.end(), entry_less);
  // One entry a line: readable, and a diff of two manifests shows the entries that changed.
  std::string out = "{\n  \"version\": 1,\n  \"files\": [";
  auto list = [&](const std::vector<ChecksumEntry>& entries, bool item) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      out += i ? ",\n    " : "\n    ";
      json::marshal_to(checksum_entry_json(entries[i], item), out, {.sort_keys = false});
    }
    out += entries.empty() ? "]" : "\n  ]";
  };
  list(files_sorted, false);
  out += ",\n  \"items\": [";
  list(items_sorted, true);
  out += "\n}\n";
  return out;
}

ChecksumManifest ChecksumManifest::parse(std::string_view text, std::string_view what) {
  refuse_duplicate_keys(text, what);
  json::value doc = json::parse(text, what);
  std::string where(what);
  const auto& root = as_object(doc, where);
  only_keys(root, {"version", "files", "items"}, where);
  const auto& version = root.at("version");
  if (!version.is_int64() || version.get_int64() != kVersion) bad(where, "version: expected 1");
  ChecksumManifest m;
  std::set<std::string> names;
  std::set<std::pair<std::string, std::string>> paths;
  for (bool item : {false, true}) {
    const char* key = item ? "items" : "files";
    if (!root.at(key).is_array()) bad(where, std::string(key) + ": expected an array");
    const auto& array = root.at(key).get_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      std::string at = where + ": " + key + "[" + std::to_string(i) + "]";
      ChecksumEntry e = parse_entry(array[i], item, at);
      if (!item && !names.insert(e.file).second) bad(at, "file \"" + e.file + "\" listed twice");
      if (item && !names.count(e.file)) bad(at, "tarball \"" + e.file + "\" is not in files");
      if (item && !paths.emplace(e.file, e.path).second) bad(at, "item \"" + e.path + "\" listed twice");
      (item ? m.items : m.files).push_back(std::move(e));
    }
  }
  std::sort(m.files.begin(), m.files.end(), entry_less);
  std::sort(m.items.begin(), m.items.end(), entry_less);
  return m;
}

std::vector<std::string> ChecksumManifest::compare(const ChecksumManifest& actual) const {
  std::vector<std::string> out;
  compare_lists(files, actual.files, out);
  compare_lists(items, actual.items, out);
  return out;
}

}  // namespace vbackup::crypto
