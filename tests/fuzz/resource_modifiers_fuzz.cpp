// libFuzzer target for Velero's resource modifiers (restore §2.10): arbitrary text is parsed as a
// modifier document and, when it parses, applied to a fixed Deployment. Invariants beyond "no crash":
//   * only vbackup::Error escapes parsing; apply never throws (it returns error messages);
//   * the object stays an object with a non-empty string kind after apply (a patch that would lose it
//     is reported and not applied, as Velero's Unstructured decoding refuses it);
//   * applying to a copy twice gives the same result (no hidden state between items).
#include "restore/modifiers/resource_modifiers.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace vbackup;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

const json::object& deployment() {
  static const json::object d = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web-1","namespace":"shop","labels":{"app":"web"},"finalizers":["a"]},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
    "spec":{"containers":[{"name":"nginx","image":"nginx:1","env":[{"name":"A","value":"1"}],
    "ports":[{"containerPort":80,"protocol":"TCP"}]}],"volumes":[{"name":"v","emptyDir":{}}]}}}})", "deployment").as_object();
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  restore::ResourceModifiers modifiers;
  try {
    modifiers = restore::ResourceModifiers::parse_text(text, "fuzz");
  } catch (const Error&) {
    return 0;
  }
  json::object a = deployment(), b = deployment();
  for (std::string_view gr : {std::string_view("deployments.apps"), std::string_view("pods")}) {
    auto ea = modifiers.apply(a, gr, "shop");
    auto eb = modifiers.apply(b, gr, "shop");
    check(ea == eb);
    check(json::marshal(a) == json::marshal(b));
    auto kind = a.find("kind");
    check(kind != a.end() && kind->value().is_string() && !kind->value().get_string().empty());
  }
  return 0;
}
