// The checksum manifest of a sealed backup at any size (issue 17, brief s3-seal2): item entries go
// through a SortedSpill (bounded memory) while a backup is written, the manifest's JSON is written
// from the spill in the canonical form of crypto::ChecksumManifest::to_json (docs/crypto.md, byte for
// byte), and a stored manifest is parsed as a stream (files kept, items spilled or only checked).
#include "crypto/checksum_entry.hpp"
#include "persistence/sealed_store.hpp"

#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <tuple>

namespace vbackup::sealing {

namespace {
std::atomic<std::uint64_t> g_items{0};
std::atomic<std::size_t> g_peak{0};
}  // namespace

ManifestCounters manifest_counters() { return {g_items.load(), g_peak.load()}; }
void reset_manifest_counters() {
  g_items = 0;
  g_peak = 0;
}

namespace detail {

// ---- ItemSpill ------------------------------------------------------------------------------------

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// As core's append_sort_field escapes a field (bytes below 0x10 as 0x02 and the byte + 0x10, then
// kSortSeparator), copying the runs that need no escaping at once.
void append_field(std::string& line, std::string_view field) {
  std::size_t i = 0;
  while (i < field.size()) {
    std::size_t run = i;
    while (run < field.size() && static_cast<unsigned char>(field[run]) >= 0x10) ++run;
    line.append(field.data() + i, run - i);
    if (run == field.size()) break;
    line.push_back('\x02');
    line.push_back(static_cast<char>(field[run] + 0x10));
    i = run + 1;
  }
  line.push_back(::vbackup::detail::kSortSeparator);
}

void append_fixed_hex(std::string& line, std::uint64_t value, int digits) {
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) line.push_back(kHexDigits[(value >> shift) & 0xF]);
  line.push_back(::vbackup::detail::kSortSeparator);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  std::string out(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHexDigits[bytes[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes[i] & 0xF];
  }
  return out;
}

std::uint64_t parse_fixed_hex(std::string_view hex) {
  std::uint64_t v = 0;
  for (char c : hex) v = (v << 4) | static_cast<std::uint64_t>(hex_value(c));
  return v;
}

}  // namespace

void ItemSpill::add(const crypto::ChecksumEntry& e, int side) {
  unsigned char digest[32];
  if (e.sha256.size() != 64) throw Error(ErrorCode::generic, "checksum manifest spill: a sha256 of " + e.path + " is not 64 hex digits");
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = hex_value(e.sha256[2 * i]), lo = hex_value(e.sha256[2 * i + 1]);
    if (hi < 0 || lo < 0) throw Error(ErrorCode::generic, "checksum manifest spill: a sha256 of " + e.path + " is not lower-case hex");
    digest[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  add(e.file, e.path, e.size, digest, side);
}

void ItemSpill::add(std::string_view file, std::string_view path, std::uint64_t size, const unsigned char* sha256, int side) {
  // (file, path, side) sort as the fields would; the digest's bytes, escaped, sort as its hex would.
  line_.clear();
  append_field(line_, file);
  append_field(line_, path);
  append_fixed_hex(line_, static_cast<std::uint64_t>(side ? 1 : 0), 1);
  append_fixed_hex(line_, size, 16);
  append_field(line_, std::string_view(reinterpret_cast<const char*>(sha256), 32));
  spill_.add(line_);
  ++added_[side ? 1 : 0];
  ++g_items;
  std::size_t resident = spill_.resident_lines(), peak = g_peak.load();
  while (resident > peak && !g_peak.compare_exchange_weak(peak, resident)) {
  }
}

void ItemSpill::for_each_raw(const std::function<void(const RawEntry&)>& each) {
  std::string fields;  // the line's five fields unescaped, back to back (capacity reused)
  spill_.for_each_sorted([&](std::string_view line) {
    fields.clear();
    std::size_t ends[5], n = 0;
    std::size_t i = 0;
    while (i < line.size()) {
      // Runs of bytes kept as they are copied at once; escapes and separators one by one.
      std::size_t run = i;
      while (run < line.size() && static_cast<unsigned char>(line[run]) > 0x02) ++run;
      fields.append(line.data() + i, run - i);
      if (run == line.size()) break;
      const char c = line[run];
      if (c == ::vbackup::detail::kSortSeparator) {
        if (n == 5) throw Error(ErrorCode::generic, "checksum manifest spill: a corrupt line");
        ends[n++] = fields.size();
        i = run + 1;
      } else if (c == '\x02' && run + 1 < line.size()) {
        fields.push_back(static_cast<char>(line[run + 1] - 0x10));
        i = run + 2;
      } else {
        fields.push_back(c);
        i = run + 1;
      }
    }
    if (n != 5 || ends[2] - ends[1] != 1 || ends[3] - ends[2] != 16 || ends[4] - ends[3] != 32) {
      throw Error(ErrorCode::generic, "checksum manifest spill: a corrupt line");
    }
    const std::string_view f(fields);
    RawEntry e;
    e.file = f.substr(0, ends[0]);
    e.path = f.substr(ends[0], ends[1] - ends[0]);
    e.side = f[ends[1]] == '1' ? 1 : 0;
    e.size = parse_fixed_hex(f.substr(ends[2], 16));
    e.sha256 = reinterpret_cast<const unsigned char*>(fields.data() + ends[3]);
    ++seen_[e.side];
    each(e);
  });
}

void ItemSpill::for_each(const std::function<void(const crypto::ChecksumEntry&, int side)>& each) {
  for_each_raw([&](const RawEntry& r) {
    crypto::ChecksumEntry e{std::string(r.file), std::string(r.path), r.size, to_hex(r.sha256, 32)};
    each(e, r.side);
  });
}

// ---- writing --------------------------------------------------------------------------------------

namespace {

bool entry_less(const crypto::ChecksumEntry& a, const crypto::ChecksumEntry& b) {
  return std::tie(a.file, a.path) < std::tie(b.file, b.path);
}

// As crypto::ChecksumManifest::to_json writes an entry.
void append_entry(std::string& out, const crypto::ChecksumEntry& e, bool item) {
  json::marshal_to(crypto::checksum_entry_json(e, item), out, {.sort_keys = false});
}

// A string json::marshal writes as it is between quotes (core/json.cpp's plain_ascii: Go escapes
// control bytes, '"', '\\', '<', '>', '&'; and bytes from 0x80 are checked as UTF-8 there).
bool json_plain(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&') return false;
  }
  return true;
}

// An item entry as append_entry writes it, without a json::object or a hex string per item; through
// append_entry when a name needs JSON's escapes.
void append_item(std::string& out, const ItemSpill::RawEntry& e) {
  if (!json_plain(e.file) || !json_plain(e.path)) {
    append_entry(out, crypto::ChecksumEntry{std::string(e.file), std::string(e.path), e.size, to_hex(e.sha256, 32)}, true);
    return;
  }
  out += "{\"tarball\":\"";
  out += e.file;
  out += "\",\"path\":\"";
  out += e.path;
  out += "\",\"size\":";
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, e.size).ptr;
  out.append(digits, end);
  out += ",\"sha256\":\"";
  for (int i = 0; i < 32; ++i) {
    out.push_back(kHexDigits[e.sha256[i] >> 4]);
    out.push_back(kHexDigits[e.sha256[i] & 0xF]);
  }
  out += "\"}";
}

}  // namespace

namespace {

// The manifest up to its items' entries.
std::string manifest_head(std::vector<crypto::ChecksumEntry> files) {
  std::sort(files.begin(), files.end(), entry_less);
  std::string buf = "{\n  \"version\": 1,\n  \"files\": [";
  for (std::size_t i = 0; i < files.size(); ++i) {
    buf += i ? ",\n    " : "\n    ";
    append_entry(buf, files[i], false);
  }
  buf += files.empty() ? "]" : "\n  ]";
  buf += ",\n  \"items\": [";
  return buf;
}

std::string_view manifest_tail(bool any_item) { return any_item ? "\n  ]\n}\n" : "]\n}\n"; }

}  // namespace

bool write_items(ItemSpill& items, const std::function<void(std::string_view)>& out) {
  bool first = true;
  std::string buf, last_file, last_path;
  items.for_each_raw([&](const ItemSpill::RawEntry& e) {
    // An item written twice (not done by the tar writer): its first entry, as a manifest lists each once.
    if (!first && e.file == last_file && e.path == last_path) return;
    last_file.assign(e.file);
    last_path.assign(e.path);
    buf += first ? "\n    " : ",\n    ";
    first = false;
    append_item(buf, e);
    if (buf.size() >= 64 * 1024) {
      out(buf);
      buf.clear();
    }
  });
  if (!buf.empty()) out(buf);
  return !first;
}

void write_manifest(OutputStream& out, std::vector<crypto::ChecksumEntry> files, ItemSpill* items) {
  std::string head = manifest_head(std::move(files));
  out.write(head.data(), head.size());
  bool any = items && write_items(*items, [&](std::string_view chunk) { out.write(chunk.data(), chunk.size()); });
  std::string_view tail = manifest_tail(any);
  out.write(tail.data(), tail.size());
}

PreparedItems::~PreparedItems() {
  if (file) std::fclose(file);
}

std::unique_ptr<PreparedItems> prepare_items(ItemSpill& items) {
  auto p = std::make_unique<PreparedItems>();
  p->file = std::tmpfile();
  if (!p->file) throw Error(ErrorCode::io, std::string("checksum manifest: cannot create a temporary file: ") + std::strerror(errno));
  p->any = write_items(items, [&](std::string_view chunk) {
    if (std::fwrite(chunk.data(), 1, chunk.size(), p->file) != chunk.size()) {
      throw Error(ErrorCode::io, "checksum manifest: cannot write a temporary file");
    }
  });
  if (std::fflush(p->file) != 0 || std::fseek(p->file, 0, SEEK_SET) != 0) {
    throw Error(ErrorCode::io, "checksum manifest: cannot write a temporary file");
  }
  return p;
}

void write_manifest(OutputStream& out, std::vector<crypto::ChecksumEntry> files, PreparedItems& items) {
  std::string head = manifest_head(std::move(files));
  out.write(head.data(), head.size());
  std::vector<char> buf(64 * 1024);
  for (;;) {
    std::size_t n = std::fread(buf.data(), 1, buf.size(), items.file);
    if (n > 0) out.write(buf.data(), n);
    if (n < buf.size()) break;
  }
  if (std::ferror(items.file)) throw Error(ErrorCode::io, "checksum manifest: cannot read a temporary file");
  std::string_view tail = manifest_tail(items.any);
  out.write(tail.data(), tail.size());
}

// ---- reading --------------------------------------------------------------------------------------

namespace {

// A SAX handler for the manifest's fixed shape, as strict as ChecksumManifest::parse: unknown,
// missing or duplicate keys, a wrong version or type, bad hex, a file listed twice, an item of an
// unlisted tarball are errors (an item listed twice is found when the items are merged).
struct ManifestHandler {
  constexpr static std::size_t max_object_size = std::size_t(-1);
  constexpr static std::size_t max_array_size = std::size_t(-1);
  constexpr static std::size_t max_key_size = std::size_t(-1);
  constexpr static std::size_t max_string_size = std::size_t(-1);
  using ec_t = boost::system::error_code;
  using sv = boost::json::string_view;

  std::string what;
  std::vector<crypto::ChecksumEntry>* files = nullptr;
  ItemSpill* items = nullptr;  // nullptr: items are checked, not kept
  std::uint64_t item_count = 0;
  std::set<std::string> names, item_tarballs;
  std::string problem;

  int depth = 0;
  std::set<std::string> root_keys, entry_keys;
  std::string section;  // the root key whose value is being read
  std::size_t index = 0;
  std::string keybuf, key, str;  // keybuf: a key being read; key: the field whose value comes next
  crypto::ChecksumEntry entry;
  bool have_size = false;

  bool fail(ec_t& ec, std::string p) {
    problem = std::move(p);
    ec = boost::json::error::syntax;
    return false;
  }
  bool item() const { return section == "items"; }
  std::string at() const { return what + ": " + section + "[" + std::to_string(index) + "]"; }

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t& ec) {
    for (const auto& t : item_tarballs) {
      if (!names.count(t)) return fail(ec, what + ": items: tarball \"" + t + "\" is not in files");
    }
    return true;
  }
  bool on_object_begin(ec_t& ec) {
    ++depth;
    if (depth == 1) return true;
    if (depth == 3 && (section == "files" || section == "items")) {
      entry_keys.clear();
      entry = {};
      have_size = false;
      return true;
    }
    return type_error(ec);
  }
  bool on_object_end(std::size_t, ec_t& ec) {
    --depth;
    if (depth == 0) {
      for (const char* k : {"version", "files", "items"}) {
        if (!root_keys.count(k)) return fail(ec, what + ": missing field \"" + std::string(k) + "\"");
      }
      return true;
    }
    // An entry ends.
    static const std::vector<std::string> item_keys{"tarball", "path", "size", "sha256"}, file_keys{"name", "size", "sha256"};
    for (const auto& k : item() ? item_keys : file_keys) {
      if (!entry_keys.count(k)) return fail(ec, at() + ": missing field \"" + k + "\"");
    }
    if (!crypto::is_sha256_hex(entry.sha256)) return fail(ec, at() + ": sha256: expected 64 lower-case hex digits");
    if (item()) {
      item_tarballs.insert(entry.file);
      ++item_count;
      if (items) items->add(entry);
    } else {
      if (!names.insert(entry.file).second) return fail(ec, at() + ": file \"" + entry.file + "\" listed twice");
      files->push_back(std::move(entry));
    }
    ++index;
    return true;
  }
  bool on_array_begin(ec_t& ec) {
    ++depth;
    if (depth == 2 && (section == "files" || section == "items")) {
      index = 0;
      return true;
    }
    return type_error(ec);
  }
  bool on_array_end(std::size_t, ec_t&) {
    --depth;
    return true;
  }
  bool on_key_part(sv s, std::size_t, ec_t&) {
    keybuf.append(s.data(), s.size());
    return true;
  }
  bool on_key(sv s, std::size_t, ec_t& ec) {
    keybuf.append(s.data(), s.size());
    std::string k = std::move(keybuf);
    keybuf.clear();
    if (depth == 1) {
      if (!root_keys.insert(k).second) return fail(ec, what + ": duplicate key \"" + k + "\"");
      if (k != "version" && k != "files" && k != "items") return fail(ec, what + ": unknown field \"" + k + "\"");
      section = k;
      return true;
    }
    if (!entry_keys.insert(k).second) return fail(ec, at() + ": duplicate key \"" + k + "\"");
    bool known = item() ? (k == "tarball" || k == "path" || k == "size" || k == "sha256")
                        : (k == "name" || k == "size" || k == "sha256");
    if (!known) return fail(ec, at() + ": unknown field \"" + k + "\"");
    key = std::move(k);
    return true;
  }
  // A value where the shape does not allow it (or a field's value of the wrong type).
  bool type_error(ec_t& ec) {
    if (depth <= 1) return fail(ec, what + ": expected an object");
    if (depth == 2 && section == "version") return fail(ec, what + ": version: expected 1");
    if (depth == 2) return fail(ec, what + ": " + section + ": expected an array");
    if (depth == 3) return fail(ec, at() + ": expected an object");
    return fail(ec, at() + ": " + key + (key == "size" ? ": expected a non-negative integer" : ": expected a non-empty string"));
  }
  // A scalar: depth is that of its container.
  bool scalar(ec_t& ec) {
    ++depth;
    bool ok = type_error(ec);
    --depth;
    return ok;
  }
  bool on_string_part(sv s, std::size_t, ec_t&) {
    str.append(s.data(), s.size());
    return true;
  }
  bool on_string(sv s, std::size_t, ec_t& ec) {
    str.append(s.data(), s.size());
    std::string v = std::move(str);
    str.clear();
    if (depth != 3 || key == "size") return scalar(ec);
    if (v.empty()) return fail(ec, at() + ": " + key + ": expected a non-empty string");
    if (key == "name" || key == "tarball") entry.file = std::move(v);
    else if (key == "path") entry.path = std::move(v);
    else entry.sha256 = std::move(v);
    return true;
  }
  bool on_number_part(sv, ec_t&) { return true; }
  bool on_int64(std::int64_t v, sv, ec_t& ec) {
    if (depth == 1 && section == "version") {
      if (v != 1) return fail(ec, what + ": version: expected 1");
      return true;
    }
    if (depth == 3 && key == "size" && v >= 0) {
      entry.size = static_cast<std::uint64_t>(v);
      return true;
    }
    return scalar(ec);
  }
  bool on_uint64(std::uint64_t v, sv, ec_t& ec) {
    if (depth == 3 && key == "size") {
      entry.size = v;
      return true;
    }
    return scalar(ec);
  }
  bool on_double(double, sv, ec_t& ec) { return scalar(ec); }
  bool on_bool(bool, ec_t& ec) { return scalar(ec); }
  bool on_null(ec_t& ec) { return scalar(ec); }
  bool on_comment_part(sv, ec_t&) { return true; }
  bool on_comment(sv, ec_t&) { return true; }
};

}  // namespace

ParsedManifest read_manifest(InputStream& in, std::string_view what, ItemSpill* items) {
  ParsedManifest out;
  boost::json::basic_parser<ManifestHandler> parser(boost::json::parse_options{});
  auto& h = parser.handler();
  h.what = std::string(what);
  h.files = &out.files;
  h.items = items;
  boost::system::error_code ec;
  char buf[64 * 1024];
  for (;;) {
    std::size_t n = in.read(buf, sizeof buf);
    parser.write_some(n > 0, buf, n, ec);
    if (ec) {
      if (!h.problem.empty()) throw Error(ErrorCode::invalid, h.problem);
      throw Error(ErrorCode::invalid, std::string(what) + ": " + ec.message());
    }
    if (n == 0) break;
  }
  if (!parser.done()) throw Error(ErrorCode::invalid, std::string(what) + ": incomplete JSON");
  std::sort(out.files.begin(), out.files.end(), entry_less);
  out.items = h.item_count;
  return out;
}

std::vector<std::string> compare_items(ItemSpill& items) {
  // Expected (side 0) and actual (side 1) entries in one sorted stream: those of one item are
  // adjacent, expected first, so the two lists are merged without a map of either.
  std::vector<std::string> out;
  auto name = [](const crypto::ChecksumEntry& e) { return e.file + ": " + e.path; };
  std::optional<crypto::ChecksumEntry> exp, act;
  auto flush = [&] {
    if (exp && !act) out.push_back(name(*exp) + ": missing");
    else if (act && !exp) out.push_back(name(*act) + ": unexpected");
    else if (exp && act) {
      if (exp->size != act->size) {
        out.push_back(name(*exp) + ": size differs (expected " + std::to_string(exp->size) + ", found " +
                      std::to_string(act->size) + ")");
      } else if (exp->sha256 != act->sha256) {
        out.push_back(name(*exp) + ": sha256 differs (expected " + exp->sha256 + ", found " + act->sha256 + ")");
      }
    }
    exp.reset();
    act.reset();
  };
  items.for_each([&](const crypto::ChecksumEntry& e, int side) {
    const crypto::ChecksumEntry* current = exp ? &*exp : act ? &*act : nullptr;
    if (current && (current->file != e.file || current->path != e.path)) flush();
    auto& slot = side == 0 ? exp : act;
    if (slot) {
      if (side == 0) out.push_back(name(e) + ": listed twice in the checksum manifest");
      return;  // a tarball entry of the same path again: the first one is compared
    }
    slot = e;
  });
  flush();
  // Entries equal byte for byte are merged by the spill: an item listed twice the same way.
  if (items.seen(0) < items.added(0)) out.push_back("an item is listed twice in the checksum manifest");
  return out;
}

}  // namespace detail
}  // namespace vbackup::sealing
