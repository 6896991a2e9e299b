// libFuzzer target for the label selector parser (spec §7). Invariants checked beyond "no crash":
//   * a parsed selector's canonical string re-parses to the same selector and the same string;
//   * whatever ParseToLabelSelector accepts converts back with LabelSelectorAsSelector.
// Only vbackup::Error may escape the library: anything else reaches libFuzzer as a crash.
#include "vbackup/error.hpp"
#include "vbackup/labels.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace vbackup;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void round_trip(std::string_view text) {
  labels::Selector selector;
  try {
    selector = labels::Selector::parse(text);
  } catch (const Error&) {
    return;
  }
  const std::string canonical = selector.to_string();
  labels::Selector again;
  try {
    again = labels::Selector::parse(canonical);
  } catch (const Error&) {
    check(false);  // the canonical form of a valid selector must parse
  }
  check(again == selector);
  check(again.to_string() == canonical);

  // Matching must not depend on anything but the labels: feed it labels made of the selector's own
  // keys and values so every operator sees both present and absent keys.
  labels::LabelMap labels;
  for (const auto& r : selector.requirements())
    labels.emplace(r.key, r.values.empty() ? std::string() : r.values.back());
  check(selector.matches(labels) == again.matches(labels));
  (void)selector.matches(labels::LabelMap{});
}

void label_selector(std::string_view text) {
  json::object parsed;
  try {
    parsed = labels::parse_to_label_selector(text);
  } catch (const Error&) {
    return;
  }
  try {
    json::value v(parsed);
    (void)labels::from_label_selector(v);
    check(labels::format_label_selector(v) != "<error>");
  } catch (const Error&) {
    check(false);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  round_trip(text);
  label_selector(text);
  try {
    (void)labels::parse_or_selectors(text);
  } catch (const Error&) {
  }
  return 0;
}
