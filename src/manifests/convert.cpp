// go-yaml v2 decode.go (decoder.unmarshal/mapping/merge/alias into interface{}) followed by
// sigs.k8s.io/yaml convertToJSONableObject and the JSON round trip Kubernetes makes.
#include "manifests/convert.hpp"

#include "manifests/resolve.hpp"
#include "vbackup/error.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <unordered_set>

namespace vbackup::manifests::detail {
namespace {

constexpr std::string_view kMergeTag = "tag:yaml.org,2002:merge";
// Bytes of text that aliases may copy into one document. Go shares strings, we copy them, so a
// billion-laughs document needs a bound of its own besides go-yaml's alias ratio.
constexpr std::size_t kMaxAliasBytes = 16u << 20;

// decode.go allowedAliasRatio: up to 99% of the decoded nodes may come from alias expansion in
// small documents, scaling down to 10% at 4,000,000 nodes.
double allowed_alias_ratio(long decode_count) {
  constexpr long low = 400000, high = 4000000;
  if (decode_count <= low) return 0.99;
  if (decode_count >= high) return 0.10;
  return 0.99 - 0.89 * (static_cast<double>(decode_count - low) / static_cast<double>(high - low));
}

// decode.go isMerge: a plain "<<" key, or one tagged !!merge.
bool is_merge(const Node& n) {
  return n.kind == Node::Kind::scalar && n.value == "<<" && (n.implicit || n.tag == kMergeTag);
}

// A float64 written by encoding/json and read back by Kubernetes: int64 when the digits Go writes
// are an integer that fits, else the float64 (correctly rounded; boost::json's own number
// parsing is not, in Boost 1.81).
json::value go_json_round_trip(double d) {
  std::string text = json::marshal(json::value(d));
  if (text.find_first_of(".eE") == std::string::npos) {
    std::int64_t i;
    auto r = std::from_chars(text.data(), text.data() + text.size(), i);
    if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return i;
  }
  double back = d;
  std::from_chars(text.data(), text.data() + text.size(), back);
  return back;
}

class Converter {
 public:
  Converter(std::string_view source, const WarningCallback& on_warning) : source_(source), warn_(on_warning) {}

  json::value document(const Node& root) {
    ++decode_count_;  // the document node
    return value(root, 0);
  }

 private:
  [[noreturn]] void fail(const Node& n, const std::string& msg) {
    throw invalid_input(where(source_, n.line, n.column) + msg);
  }

  void count(const Node& n) {
    ++decode_count_;
    if (alias_depth_ > 0) ++alias_count_;
    if (alias_count_ > 100 && decode_count_ > 1000 &&
        static_cast<double>(alias_count_) / static_cast<double>(decode_count_) > allowed_alias_ratio(decode_count_))
      fail(n, "document contains excessive aliasing");
  }

  void account_alias_bytes(const Node& n, std::size_t bytes) {
    if (alias_depth_ == 0) return;
    alias_bytes_ += bytes;
    if (alias_bytes_ > kMaxAliasBytes) fail(n, "aliases expand to more than 16 MiB of text");
  }

  // decoder.alias: follows an alias, refusing one that is being expanded already (a cycle).
  template <typename F>
  auto through_alias(const Node& n, F&& f) {
    if (!active_.insert(&n).second) fail(n, "anchor '" + n.anchor + "' value contains itself");
    ++alias_depth_;
    auto done = [&] { --alias_depth_; active_.erase(&n); };
    try {
      auto r = f(*n.target);
      done();
      return r;
    } catch (...) {
      done();
      throw;
    }
  }

  GoScalar scalar(const Node& n) {
    if (!n.implicit && n.tag.empty()) {  // quoted or block scalar: always a string
      GoScalar s;
      s.type = GoScalar::Type::string;
      s.text = n.value;
      return s;
    }
    try {
      return resolve_scalar(n.implicit ? std::string_view{} : std::string_view(n.tag), n.value);
    } catch (const std::invalid_argument& e) {
      fail(n, e.what());
    }
  }

  json::value scalar_value(const Node& n) {
    GoScalar s = scalar(n);
    switch (s.type) {
      case GoScalar::Type::null: return nullptr;
      case GoScalar::Type::boolean: return s.boolean;
      case GoScalar::Type::int64: return s.int64;
      // Above int64: Go writes the digits, Kubernetes reads them back as a float64.
      case GoScalar::Type::uint64: return static_cast<double>(s.uint64);
      case GoScalar::Type::big_int:
        if (!std::isfinite(s.float64)) fail(n, "the integer " + s.text + " is out of range for a JSON number");
        return s.float64;
      case GoScalar::Type::float64: {
        double d = s.float64;
        if (std::isnan(d)) fail(n, "the float " + n.value + " (NaN) cannot be represented in JSON");
        if (std::isinf(d)) fail(n, "the float " + n.value + " (infinity) cannot be represented in JSON");
        // encoding/json writes an integral float64 without fraction or exponent below 1e21, and
        // Kubernetes reads such a number back as int64 when the digits fit: YAML 1.0 is JSON 1.
        // Below 2^53 the digits are the exact integer; beyond, Go's shortest digits decide
        // (-2^63 prints as -9223372036854776000, which no longer fits), so make the round trip.
        if (std::fabs(d) < 9007199254740992.0) {
          if (std::trunc(d) == d) return static_cast<std::int64_t>(d);
          return d;
        }
        return go_json_round_trip(d);
      }
      case GoScalar::Type::string:
        account_alias_bytes(n, s.text.size());
        return json::string(s.text);
    }
    return nullptr;
  }

  // The key as a JSON object key: sigs.k8s.io/yaml formats int, float and bool keys, and refuses
  // null, unsigned and big integer keys as well as go-yaml's "invalid map key" (a collection).
  std::string key_string(const Node& n) {
    count(n);
    switch (n.kind) {
      case Node::Kind::alias: return through_alias(n, [&](const Node& t) { return key_string(t); });
      case Node::Kind::null: fail(n, "a null mapping key cannot be a JSON object key");
      case Node::Kind::mapping: fail(n, "invalid map key: a mapping cannot be a mapping key");
      case Node::Kind::sequence: fail(n, "invalid map key: a sequence cannot be a mapping key");
      case Node::Kind::scalar: break;
    }
    GoScalar s = scalar(n);
    switch (s.type) {
      case GoScalar::Type::string: account_alias_bytes(n, s.text.size()); return s.text;
      case GoScalar::Type::int64: return std::to_string(s.int64);
      case GoScalar::Type::float64: return format_float_key(s.float64);
      case GoScalar::Type::boolean: return s.boolean ? "true" : "false";
      case GoScalar::Type::null: fail(n, "a null mapping key cannot be a JSON object key");
      case GoScalar::Type::uint64:
      case GoScalar::Type::big_int: fail(n, "unsupported map key of type integer beyond int64: " + n.value);
    }
    return {};
  }

  json::value value(const Node& n, int depth) {
    if (depth > kMaxDepth) fail(n, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    count(n);
    switch (n.kind) {
      case Node::Kind::null: return nullptr;
      case Node::Kind::scalar: return scalar_value(n);
      case Node::Kind::alias:
        return through_alias(n, [&](const Node& t) { return value(t, depth); });
      case Node::Kind::sequence: {
        json::array a;
        a.reserve(n.children.size());
        for (const Node* c : n.children) a.push_back(value(*c, depth + 1));
        return a;
      }
      case Node::Kind::mapping: {
        json::object o;
        mapping_into(n, o, depth);
        return o;
      }
    }
    return nullptr;
  }

  // decoder.mapping into a map: pairs are applied in order, so a later key (explicit or merged)
  // overwrites an earlier one; duplicates among the node's own keys warn.
  void mapping_into(const Node& n, json::object& out, int depth) {
    bool has_merge = false;
    for (std::size_t i = 0; i + 1 < n.children.size(); i += 2) has_merge = has_merge || is_merge(*n.children[i]);
    bool fresh = out.empty() && !has_merge;  // then a key already in `out` is one of ours
    std::unordered_set<std::string> own;
    for (std::size_t i = 0; i + 1 < n.children.size(); i += 2) {
      const Node& k = *n.children[i];
      const Node& v = *n.children[i + 1];
      if (is_merge(k)) {
        merge(v, out, depth);
        continue;
      }
      std::string key = key_string(k);
      json::value val = value(v, depth + 1);
      bool dup = fresh ? out.contains(key) : !own.insert(key).second;
      if (dup && alias_depth_ == 0 && warn_)
        warn_(std::string(source_) + ": line " + std::to_string(k.line + 1) + ": duplicate key \"" + key +
              "\" (the last value is used)");
      out.insert_or_assign(key, std::move(val));
    }
  }

  // A mapping (or an alias of one) whose pairs go into `out`.
  void merge_one(const Node& n, json::object& out, int depth) {
    count(n);
    if (n.kind == Node::Kind::alias) {
      through_alias(n, [&](const Node& t) {
        count(t);
        mapping_into(t, out, depth);
        return 0;
      });
    } else {
      mapping_into(n, out, depth);
    }
  }

  // decoder.merge: `<<` takes a mapping, an alias of one, or a sequence of those where earlier
  // mappings take precedence (they are applied last).
  void merge(const Node& n, json::object& out, int depth) {
    auto is_map = [](const Node& x) {
      return x.kind == Node::Kind::mapping || (x.kind == Node::Kind::alias && x.target->kind == Node::Kind::mapping);
    };
    const char* want = "map merge requires map or sequence of maps as the value";
    if (n.kind == Node::Kind::sequence) {
      for (auto it = n.children.rbegin(); it != n.children.rend(); ++it) {
        if (!is_map(**it)) fail(**it, want);
        merge_one(**it, out, depth);
      }
    } else if (is_map(n)) {
      merge_one(n, out, depth);
    } else {
      fail(n, want);
    }
  }

  std::string_view source_;
  const WarningCallback& warn_;
  long decode_count_ = 0, alias_count_ = 0;
  int alias_depth_ = 0;
  std::size_t alias_bytes_ = 0;
  std::unordered_set<const Node*> active_;
};

}  // namespace

json::value to_json(const Document& doc, std::string_view source, const WarningCallback& on_warning) {
  if (!doc.root) return nullptr;
  Converter c(source, on_warning);
  return c.document(*doc.root);
}

}  // namespace vbackup::manifests::detail
