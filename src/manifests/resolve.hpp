// go-yaml v2 scalar resolution (resolve.go) and the Go strconv behaviour it relies on, so that a
// YAML scalar becomes the same Go value sigs.k8s.io/yaml would put into JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vbackup::manifests::detail {

inline constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

// The Go value go-yaml v2 decodes a scalar to when the target is interface{}.
struct GoScalar {
  enum class Type { null, boolean, int64, uint64, float64, big_int, string };
  Type type = Type::null;
  bool boolean = false;
  std::int64_t int64 = 0;
  std::uint64_t uint64 = 0;
  double float64 = 0;
  std::string text;  // string value; for big_int the decimal digits (a *big.Int marshals as them)
};

// resolve(tag, value) of go-yaml v2 followed by decoder.scalar's handling of interface{} targets.
// `tag` is empty for a plain scalar without a tag, otherwise the full tag
// ("tag:yaml.org,2002:int", "!custom"). Quoted and block scalars without a tag are strings and do
// not come here. Throws std::invalid_argument with go-yaml's message when an explicit tag does not
// fit the value ("cannot decode !!str `abc` as a !!int").
GoScalar resolve_scalar(std::string_view tag, std::string_view value);

// "!!int" for "tag:yaml.org,2002:int", other tags unchanged (go-yaml shortTag).
std::string short_tag(std::string_view tag);

// strconv.FormatFloat(f, 'g', -1, 32): how sigs.k8s.io/yaml turns a float map key into a string,
// with go-yaml's spellings of the special values (".inf", "-.inf", ".nan").
std::string format_float_key(double f);

// strconv.ParseInt / ParseUint with base 0 (prefixes 0x, 0o, 0b and a leading 0 for octal).
enum class ParseStatus { ok, syntax, range };
ParseStatus go_parse_int(std::string_view s, std::int64_t& out);
ParseStatus go_parse_uint(std::string_view s, std::uint64_t& out);


// Replaces each byte that is not part of valid UTF-8 with U+FFFD, as Go's encoding/json does
// when it writes a string.
std::string coerce_utf8(std::string_view s);

}  // namespace vbackup::manifests::detail
