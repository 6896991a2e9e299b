// libFuzzer target for the kubeconfig parser (Kubeconfig::parse) and the context validation of
// rest_config. Parse only: no plugin is ever run, and contexts whose entries name files are not
// turned into a RestConfig (reading arbitrary paths from fuzz input could block on a FIFO).
// Invariants beyond "no crash": only vbackup::Error escapes; a selected context either fails with
// Error or gives a server URL with a scheme and a namespace.
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace vbackup;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool names_files(const kube::Kubeconfig& cfg, const kube::Context& ctx) {
  if (auto c = cfg.clusters.find(ctx.cluster); c != cfg.clusters.end() && !c->second.certificate_authority.empty()) return true;
  if (auto u = cfg.users.find(ctx.user); u != cfg.users.end()) {
    const kube::AuthInfo& a = u->second;
    if (!a.client_certificate.empty() || !a.client_key.empty() || !a.token_file.empty()) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  kube::Kubeconfig cfg;
  try {
    cfg = kube::Kubeconfig::parse(text, "/fuzz/kubeconfig");
  } catch (const Error&) {
    return 0;
  }
  for (const auto& [name, ctx] : cfg.contexts) {
    if (names_files(cfg, ctx)) continue;
    try {
      kube::RestConfig rc = kube::rest_config(cfg, name);
      check(rc.server.rfind("http://", 0) == 0 || rc.server.rfind("https://", 0) == 0);
      check(!rc.namespace_.empty());
    } catch (const Error&) {
    }
  }
  return 0;
}
