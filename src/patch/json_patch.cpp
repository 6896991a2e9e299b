// RFC 6902 JSON Patch as github.com/evanphx/json-patch/v5 v5.9.11 (patch.go) applies it with the
// default ApplyOptions, which is what Velero's resource modifiers get. Where evanphx departs from the
// RFC, this follows evanphx (tests/data/json-patch/ has the json-patch-tests vectors with evanphx's
// own outcomes):
//   * a path is split on "/" and its first segment dropped, so "a/b" addresses "/b";
//   * an empty segment reads the container's `self`: for the root, the document as it was when the
//     patch started (or as `add ""` set it), a detached copy whose changes never reach the result;
//     deeper down, nothing ("missing");
//   * array indices are strconv.Atoi numbers (leading zeros and "+" accepted), negative ones count
//     from the end, `add` at -1 appends;
//   * `test` compares scalars by their JSON text, a missing member equals null, and an out-of-range
//     index is an error rather than a failed test;
//   * `replace` of a path whose last segment is missing fails as "missing" even for arrays.
#include "patch/json_text.hpp"
#include "patch/patch.hpp"

#include <boost/json.hpp>

namespace vbackup::patch {
namespace {

using detail::RawValue;

[[noreturn]] void fail(Failure f, const std::string& message) { throw PatchError(f, message); }

// evanphx's rfc6901Decoder: "~1" → "/", then "~0" → "~" in one left-to-right pass.
std::string decode_key(std::string_view k) {
  std::string out;
  for (std::size_t i = 0; i < k.size(); ++i) {
    if (k[i] == '~' && i + 1 < k.size() && (k[i + 1] == '1' || k[i + 1] == '0')) {
      out.push_back(k[i + 1] == '1' ? '/' : '~');
      ++i;
    } else {
      out.push_back(k[i]);
    }
  }
  return out;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

// A lookup result: `node` is null for a member or element that holds JSON null (a nil *lazyNode).
struct Got {
  json::value* node = nullptr;
};

class Applier {
 public:
  explicit Applier(const json::value& doc) : root_(doc), original_(&doc) {}

  json::value run(const std::vector<Operation>& ops) {
    for (const Operation& op : ops) {
      if (op.op == "add") add(op);
      else if (op.op == "remove") remove(op);
      else if (op.op == "replace") replace(op);
      else if (op.op == "move") move(op);
      else if (op.op == "test") test(op);
      else if (op.op == "copy") copy(op);
      else fail(Failure::other, "Unexpected kind: " + op.op);
    }
    // A root replaced by `add "" null` is a partialDoc without members: it does not marshal.
    if (!root_.is_object() && !root_.is_array()) fail(Failure::other, "invalid value, expected object");
    return std::move(root_);
  }

 private:
  bool is_root(const json::value* c) const { return c == &root_; }

  // The root's `self`, materialised from the input on first use.
  json::value* self() {
    if (self_state_ == SelfState::original) {
      self_ = *original_;
      self_state_ = SelfState::set;
    }
    return self_state_ == SelfState::set ? &self_ : nullptr;
  }

  Got get(json::value* c, const std::string& key) {
    if (key.empty()) return Got{is_root(c) ? self() : nullptr};
    if (c->is_object()) {
      auto& o = c->get_object();
      auto it = o.find(key);
      if (it == o.end()) fail(Failure::missing, "unable to get nonexistent key: " + key + ": missing value");
      return Got{it->value().is_null() ? nullptr : &it->value()};
    }
    if (!c->is_array()) fail(Failure::other, "invalid value, expected object");
    auto& a = c->get_array();
    std::int64_t idx = index(key);
    std::int64_t n = static_cast<std::int64_t>(a.size());
    if (idx < 0) {
      if (idx < -n) fail(Failure::invalid_index, "Unable to access invalid index: " + std::to_string(idx) + ": invalid index referenced");
      idx += n;
    }
    if (idx >= n) fail(Failure::invalid_index, "Unable to access invalid index: " + std::to_string(idx) + ": invalid index referenced");
    json::value& v = a[static_cast<std::size_t>(idx)];
    return Got{v.is_null() ? nullptr : &v};
  }

  static std::int64_t index(const std::string& key) {
    auto idx = detail::go_atoi(key);
    if (!idx) fail(Failure::other, "strconv.Atoi: parsing \"" + key + "\": invalid syntax");
    return *idx;
  }

  void set(json::value* c, const std::string& key, json::value v) {
    if (c->is_object()) {
      c->get_object()[key] = std::move(v);
      return;
    }
    if (!c->is_array()) fail(Failure::other, "invalid value, expected object");
    auto& a = c->get_array();
    std::int64_t idx = index(key);
    if (idx < 0) idx += static_cast<std::int64_t>(a.size());  // get() checked the range
    a[static_cast<std::size_t>(idx)] = std::move(v);
  }

  void add_to(json::value* c, const std::string& key, json::value v) {
    if (!c->is_array()) return set(c, key, std::move(v));
    auto& a = c->get_array();
    if (key == "-") {
      a.push_back(std::move(v));
      return;
    }
    auto parsed = detail::go_atoi(key);
    if (!parsed) fail(Failure::other, "value was not a proper array index: '" + key + "': strconv.Atoi: parsing \"" + key + "\": invalid syntax");
    std::int64_t idx = *parsed, size = static_cast<std::int64_t>(a.size()) + 1;
    if (idx >= size) fail(Failure::invalid_index, "Unable to access invalid index: " + std::to_string(idx) + ": invalid index referenced");
    if (idx < 0) {
      if (idx < -size) fail(Failure::invalid_index, "Unable to access invalid index: " + std::to_string(idx) + ": invalid index referenced");
      idx += size;
    }
    a.insert(a.begin() + idx, std::move(v));
  }

  void remove_from(json::value* c, const std::string& key) {
    if (c->is_object()) {
      auto& o = c->get_object();
      if (o.find(key) == o.end()) fail(Failure::missing, "unable to remove nonexistent key: " + key + ": missing value");
      o.erase(key);
      return;
    }
    if (!c->is_array()) fail(Failure::other, "invalid value, expected object");
    auto& a = c->get_array();
    std::int64_t idx = index(key), n = static_cast<std::int64_t>(a.size());
    if (idx >= n) fail(Failure::invalid_index, "Unable to access invalid index: " + std::to_string(idx) + ": invalid index referenced");
    if (idx < 0) {
      if (idx < -n) fail(Failure::invalid_index, "Unable to access invalid index: " + std::to_string(idx) + ": invalid index referenced");
      idx += n;
    }
    a.erase(a.begin() + idx);
  }

  // findObject: the container holding the path's last segment, or nullptr.
  json::value* find(const std::string& path, std::string& key) {
    auto split = split_path(path);
    key.clear();
    if (split.size() < 2) return path.empty() ? &root_ : nullptr;
    json::value* c = &root_;
    for (std::size_t i = 1; i + 1 < split.size(); ++i) {
      Got next;
      try {
        next = get(c, decode_key(split[i]));
      } catch (const PatchError&) {
        return nullptr;
      }
      // intoAry / intoDoc: only arrays and objects can be walked through.
      if (next.node == nullptr || !(next.node->is_object() || next.node->is_array())) return nullptr;
      c = next.node;
    }
    key = decode_key(split.back());
    return c;
  }

  // Prefixes an error raised below with the operation's context, keeping its Failure.
  template <typename F>
  void wrap(const std::string& prefix, F&& f) {
    try {
      f();
    } catch (const PatchError& e) {
      fail(e.failure(), prefix + e.what());
    }
  }

  void add(const Operation& op) {
    const std::string& path = *op.path;
    if (path.empty()) {
      // Adding to "" replaces the document; the value must decode as an object (or array).
      if (!op.value.is_object() && !op.value.is_array() && !op.value.is_null()) {
        fail(Failure::other, "json: cannot unmarshal " + kind_name(op.value) + " into Go value of type map[string]*jsonpatch.lazyNode");
      }
      root_ = op.value;
      self_ = op.value;
      self_state_ = SelfState::set;
      return;
    }
    std::string key;
    json::value* c = find(path, key);
    if (!c) fail(Failure::missing, "add operation does not apply: doc is missing path: \"" + path + "\": missing value");
    wrap("error in add for path: '" + path + "': ", [&] { add_to(c, key, op.value); });
  }

  void remove(const Operation& op) {
    const std::string& path = *op.path;
    std::string key;
    json::value* c = find(path, key);
    if (!c) fail(Failure::missing, "remove operation does not apply: doc is missing path: \"" + path + "\": missing value");
    wrap("error in remove for path: '" + path + "': ", [&] { remove_from(c, key); });
  }

  void replace(const Operation& op) {
    const std::string& path = *op.path;
    if (path.empty()) {
      if (!op.value.is_object() && !op.value.is_array()) {
        fail(Failure::other, "replace operation value must be object or array");
      }
      root_ = op.value;
      self_state_ = SelfState::none;  // the decoded partialDoc/partialArray has no self
      return;
    }
    std::string key;
    json::value* c = find(path, key);
    if (!c) fail(Failure::missing, "replace operation does not apply: doc is missing path: " + path + ": missing value");
    try {
      get(c, key);
    } catch (const PatchError&) {
      fail(Failure::missing, "replace operation does not apply: doc is missing key: " + path + ": missing value");
    }
    wrap("error in remove for path: '" + path + "': ", [&] { set(c, key, op.value); });
  }

  void move(const Operation& op) {
    const std::string& from = *op.from;
    if (from.empty()) fail(Failure::invalid, "unable to move entire document to another path: invalid state detected");
    std::string key;
    json::value* c = find(from, key);
    if (!c) fail(Failure::missing, "move operation does not apply: doc is missing from path: " + from + ": missing value");
    json::value moved;
    wrap("error in move for path: '" + key + "': ", [&] {
      Got g = get(c, key);
      if (g.node) moved = *g.node;
    });
    wrap("error in move for path: '" + key + "': ", [&] { remove_from(c, key); });
    const std::string& path = *op.path;
    c = find(path, key);
    if (!c) fail(Failure::missing, "move operation does not apply: doc is missing destination path: " + path + ": missing value");
    wrap("error in move for path: '" + path + "': ", [&] { add_to(c, key, std::move(moved)); });
  }

  void test(const Operation& op) {
    const std::string& path = *op.path;
    bool value_null = detail::compact(op.value_text) == "null";
    if (path.empty()) {
      if (evanphx_equal(root_, op.value_text)) return;
      fail(Failure::test_failed, "testing value " + path + " failed: test failed");
    }
    std::string key;
    json::value* c = find(path, key);
    if (!c) fail(Failure::missing, "test operation does not apply: is missing path: " + path + ": missing value");
    Got g;
    try {
      g = get(c, key);
    } catch (const PatchError& e) {
      // A missing object member reads as nil; any other lookup error is an error.
      if (e.failure() != Failure::missing || !c->is_object()) {
        fail(e.failure(), "error in test for path: '" + path + "': " + e.what());
      }
    }
    if (g.node == nullptr) {
      if (value_null) return;
      fail(Failure::test_failed, "testing value " + path + " failed: test failed");
    }
    if (!value_null && evanphx_equal(*g.node, op.value_text)) return;
    fail(Failure::test_failed, "testing value " + path + " failed: test failed");
  }

  void copy(const Operation& op) {
    const std::string& from = *op.from;
    std::string key;
    json::value* c = find(from, key);
    if (!c) fail(Failure::missing, "copy operation does not apply: doc is missing from path: \"" + from + "\": missing value");
    json::value copied;
    wrap("error in copy for from: '" + from + "': ", [&] {
      Got g = get(c, key);
      if (g.node) copied = *g.node;
    });
    const std::string& path = *op.path;
    c = find(path, key);
    if (!c) fail(Failure::missing, "copy operation does not apply: doc is missing destination path: " + path + ": missing value");
    wrap("error while adding value during copy: ", [&] { add_to(c, key, std::move(copied)); });
  }

  static std::string kind_name(const json::value& v) {
    if (v.is_string()) return "string";
    if (v.is_bool()) return "bool";
    return "number";
  }

  enum class SelfState { original, set, none };
  json::value root_;
  const json::value* original_;
  json::value self_;
  SelfState self_state_ = SelfState::original;
};

bool raw_is_null(std::string_view raw) { return raw == "null"; }

// Decodes one operation object (map[string]*json.RawMessage) from its raw text.
Operation decode_operation(std::string_view raw, std::string_view what, std::size_t index) {
  Operation op;
  op.op = "unknown";
  op.value_text = "null";
  RawValue v = detail::split_raw(raw);
  if (v.kind != RawValue::Kind::object) {
    if (raw_is_null(v.text)) return op;  // a nil Operation: Kind() is "unknown"
    throw PatchError(Failure::other, std::string(what) + ": operation " + std::to_string(index) +
                                         ": json: cannot unmarshal into Go value of type jsonpatch.Operation");
  }
  auto string_member = [&](std::string_view name, bool& bad) -> std::optional<std::string> {
    const std::string_view* m = detail::find_member(v, name);
    if (!m || raw_is_null(*m)) return std::nullopt;
    json::value parsed = json::parse(*m, what);
    if (!parsed.is_string()) {
      bad = true;
      return std::nullopt;
    }
    return std::string(parsed.get_string());
  };
  bool bad_op = false, bad_path = false, bad_from = false;
  if (auto kind = string_member("op", bad_op)) op.op = *kind;
  op.path = string_member("path", bad_path);
  op.from = string_member("from", bad_from);
  if (const std::string_view* m = detail::find_member(v, "value")) {
    op.has_value = true;
    op.value = json::parse(*m, what);
    op.value_text = detail::compact(*m);
  }
  // validateOperation, in its order.
  std::string problem;
  Failure failure = Failure::other;
  if (op.op == "add" || op.op == "replace") {
    if (!op.has_value) {
      problem = "failed to decode 'value': operation, missing value field: missing value";
      failure = Failure::missing;
    }
  } else if (op.op == "move" || op.op == "copy") {
    if (!op.from) {
      problem = bad_from ? "failed to decode 'from': json: cannot unmarshal into Go value of type string"
                         : "failed to decode 'from': operation, missing from field: missing value";
      failure = bad_from ? Failure::other : Failure::missing;
    }
  } else if (op.op != "remove" && op.op != "test") {
    problem = "unsupported operation";
  }
  if (problem.empty() && !op.path) {
    problem = bad_path ? "failed to decode 'path': json: cannot unmarshal into Go value of type string"
                       : "failed to decode 'path': operation missing path field: missing value";
    failure = bad_path ? Failure::other : Failure::missing;
  }
  if (!problem.empty()) {
    throw PatchError(failure, std::string(what) + ": invalid operation " + detail::compact(raw) + ": " + problem);
  }
  return op;
}

// evanphx lazyNode.equal between a document value and raw JSON text (see the header).
bool equal_raw(const json::value& doc, const RawValue& raw) {
  if (doc.is_object()) {
    if (raw.kind != RawValue::Kind::object) return false;
    // The raw members as a Go map: the last duplicate wins.
    std::vector<std::pair<std::string_view, std::string_view>> members;
    for (const auto& member : raw.members) {
      const std::string& k = member.first;
      auto it = std::find_if(members.begin(), members.end(), [&](const auto& m) { return m.first == k; });
      if (it != members.end()) it->second = member.second;
      else members.emplace_back(k, member.second);
    }
    const auto& o = doc.get_object();
    if (o.size() != members.size()) return false;
    for (const auto& kv : o) {
      auto it = std::find_if(members.begin(), members.end(), [&](const auto& m) { return m.first == kv.key(); });
      if (it == members.end()) return false;
      bool raw_null = detail::compact(it->second) == "null";
      if (kv.value().is_null() || raw_null) {
        if (kv.value().is_null() != raw_null) return false;
        continue;
      }
      if (!equal_raw(kv.value(), detail::split_raw(it->second))) return false;
    }
    return true;
  }
  if (doc.is_array()) {
    if (raw.kind != RawValue::Kind::array) return false;
    const auto& a = doc.get_array();
    if (a.size() != raw.elements.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      bool raw_null = detail::compact(raw.elements[i]) == "null";
      // Go would dereference a nil element here; null equals only null.
      if (a[i].is_null() || raw_null) {
        if (a[i].is_null() != raw_null) return false;
        continue;
      }
      if (!equal_raw(a[i], detail::split_raw(raw.elements[i]))) return false;
    }
    return true;
  }
  if (doc.is_string() && raw.kind == RawValue::Kind::string) {
    return json::parse(raw.text, "test value").get_string() == doc.get_string();
  }
  return json::marshal(doc) == detail::compact(raw.text);
}

}  // namespace

bool evanphx_equal(const json::value& doc, std::string_view text) {
  return equal_raw(doc, detail::split_raw(text));
}

JsonPatch JsonPatch::decode(std::string_view text, std::string_view what) {
  json::value parsed;
  try {
    parsed = json::parse(text, what);
  } catch (const Error& e) {
    throw PatchError(Failure::invalid, std::string(e.what()) + ": invalid state detected");
  }
  JsonPatch p;
  if (parsed.is_null()) return p;  // a nil Patch
  if (!parsed.is_array()) {
    throw PatchError(Failure::other, std::string(what) + ": json: cannot unmarshal " +
                                         (parsed.is_object() ? "object" : "value") + " into Go value of type jsonpatch.Patch");
  }
  RawValue raw = detail::split_raw(text);
  for (std::size_t i = 0; i < raw.elements.size(); ++i) {
    p.operations_.push_back(decode_operation(raw.elements[i], what, i));
  }
  return p;
}

json::value JsonPatch::apply(const json::value& doc) const {
  if (!doc.is_object() && !doc.is_array()) {
    throw PatchError(Failure::invalid, "json patch: the document must be an object or an array: invalid state detected");
  }
  return Applier(doc).run(operations_);
}

}  // namespace vbackup::patch
