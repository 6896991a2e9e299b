// kubeconfig files (clientcmd/api/v1) read with yaml-cpp and merged as kubectl merges $KUBECONFIG
// (client-go tools/clientcmd/loader.go). Field names and value rules are client-go's: kubeconfig is
// YAML converted to JSON (sigs.k8s.io/yaml) and decoded into Go structs, so a string field takes any
// scalar, a boolean field only a YAML boolean, and *-data fields are base64 ([]byte).
#include "core/encoding.hpp"
#include "vbackup/error.hpp"
#include "vbackup/kube.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

namespace vbackup::kube {
namespace {

namespace fs = std::filesystem;

// Reads a YAML document tree and reports problems as "kubeconfig FILE: line L, column C: PATH: what".
class Reader {
 public:
  explicit Reader(const fs::path& file) : file_(file) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& path, const std::string& what) const {
    std::string msg = "kubeconfig " + describe_file() + ": ";
    if (at.IsDefined()) {
      const YAML::Mark m = at.Mark();
      if (m.line >= 0) msg += "line " + std::to_string(m.line + 1) + ", column " + std::to_string(m.column + 1) + ": ";
    }
    throw invalid_input(msg + path + ": " + what);
  }

  std::string describe_file() const { return file_.empty() ? std::string("<input>") : file_.string(); }

  // A string field: null is "", any scalar is its text (sigs.k8s.io/yaml turns numbers and
  // booleans into strings for string targets).
  std::string str(const YAML::Node& n, const std::string& path) const {
    if (!n.IsDefined() || n.IsNull()) return {};
    if (!n.IsScalar()) fail(n, path, "expected a string");
    return n.Scalar();
  }

  bool boolean(const YAML::Node& n, const std::string& path) const {
    if (!n.IsDefined() || n.IsNull()) return false;
    if (n.IsScalar() && n.Tag() != "!") {
      // YAML 1.1 booleans, as go-yaml v2 reads them.
      static const std::set<std::string, std::less<>> yes = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
      static const std::set<std::string, std::less<>> no = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
      if (yes.count(n.Scalar())) return true;
      if (no.count(n.Scalar())) return false;
    }
    fail(n, path, "expected a boolean");
  }

  // []byte: base64 (StdEncoding) text.
  std::string bytes(const YAML::Node& n, const std::string& path) const {
    std::string text = str(n, path);
    if (text.empty()) return {};
    auto decoded = base64_decode(text);
    if (!decoded) fail(n, path, "invalid base64 data");
    return *decoded;
  }

  std::vector<std::string> strings(const YAML::Node& n, const std::string& path) const {
    std::vector<std::string> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsSequence()) fail(n, path, "expected a list of strings");
    std::size_t i = 0;
    for (const auto& item : n) out.push_back(str(item, path + "[" + std::to_string(i++) + "]"));
    return out;
  }

  void require_map(const YAML::Node& n, const std::string& path) const {
    if (n.IsDefined() && !n.IsNull() && !n.IsMap()) fail(n, path, "expected a mapping");
  }

  // Relative file references are resolved against the kubeconfig's folder (client-go ResolvePaths).
  std::string file_ref(const YAML::Node& n, const std::string& path) const {
    std::string p = str(n, path);
    return resolve(p);
  }
  std::string resolve(const std::string& p) const {
    if (p.empty() || file_.empty()) return p;
    fs::path fp(p);
    if (fp.is_absolute()) return p;
    std::error_code ec;
    fs::path base = fs::absolute(file_, ec).parent_path();
    if (ec) base = file_.parent_path();
    return (base / fp).lexically_normal().string();
  }

 private:
  fs::path file_;
};

// "clusters[0]" plus the entry's name when it has one, so the message points at the entry either way.
std::string entry_path(std::string_view list, std::size_t index, const std::string& name) {
  std::string p = std::string(list) + "[" + std::to_string(index) + "]";
  if (!name.empty()) p += " (\"" + name + "\")";
  return p;
}

Cluster read_cluster(const Reader& r, const YAML::Node& n, const std::string& path) {
  r.require_map(n, path);
  Cluster c;
  if (!n.IsDefined() || n.IsNull()) return c;
  c.server = r.str(n["server"], path + ".server");
  c.tls_server_name = r.str(n["tls-server-name"], path + ".tls-server-name");
  c.insecure_skip_tls_verify = r.boolean(n["insecure-skip-tls-verify"], path + ".insecure-skip-tls-verify");
  c.certificate_authority = r.file_ref(n["certificate-authority"], path + ".certificate-authority");
  c.certificate_authority_data = r.bytes(n["certificate-authority-data"], path + ".certificate-authority-data");
  c.proxy_url = r.str(n["proxy-url"], path + ".proxy-url");
  c.disable_compression = r.boolean(n["disable-compression"], path + ".disable-compression");
  return c;
}

ExecConfig read_exec(const Reader& r, const YAML::Node& n, const std::string& path) {
  r.require_map(n, path);
  ExecConfig e;
  e.command = r.str(n["command"], path + ".command");
  // Only a command given as a path is resolved; a bare name is looked up on PATH.
  if (e.command.find('/') != std::string::npos) e.command = r.resolve(e.command);
  e.args = r.strings(n["args"], path + ".args");
  const YAML::Node env = n["env"];
  if (env.IsDefined() && !env.IsNull()) {
    if (!env.IsSequence()) r.fail(env, path + ".env", "expected a list of {name, value}");
    std::size_t i = 0;
    for (const auto& item : env) {
      std::string p = path + ".env[" + std::to_string(i++) + "]";
      r.require_map(item, p);
      e.env.emplace_back(r.str(item["name"], p + ".name"), r.str(item["value"], p + ".value"));
    }
  }
  e.api_version = r.str(n["apiVersion"], path + ".apiVersion");
  e.install_hint = r.str(n["installHint"], path + ".installHint");
  e.provide_cluster_info = r.boolean(n["provideClusterInfo"], path + ".provideClusterInfo");
  e.interactive_mode = r.str(n["interactiveMode"], path + ".interactiveMode");
  // SetDefaults_ExecConfig: only the beta and alpha versions default the mode; v1 must state it.
  if (e.interactive_mode.empty() && (e.api_version == "client.authentication.k8s.io/v1beta1" ||
                                     e.api_version == "client.authentication.k8s.io/v1alpha1")) {
    e.interactive_mode = "IfAvailable";
  }
  return e;
}

AuthInfo read_user(const Reader& r, const YAML::Node& n, const std::string& path) {
  r.require_map(n, path);
  AuthInfo a;
  if (!n.IsDefined() || n.IsNull()) return a;
  a.client_certificate = r.file_ref(n["client-certificate"], path + ".client-certificate");
  a.client_certificate_data = r.bytes(n["client-certificate-data"], path + ".client-certificate-data");
  a.client_key = r.file_ref(n["client-key"], path + ".client-key");
  a.client_key_data = r.bytes(n["client-key-data"], path + ".client-key-data");
  a.token = r.str(n["token"], path + ".token");
  a.token_file = r.file_ref(n["tokenFile"], path + ".tokenFile");
  a.impersonate = r.str(n["as"], path + ".as");
  a.impersonate_uid = r.str(n["as-uid"], path + ".as-uid");
  a.impersonate_groups = r.strings(n["as-groups"], path + ".as-groups");
  const YAML::Node extra = n["as-user-extra"];
  r.require_map(extra, path + ".as-user-extra");
  if (extra.IsDefined() && extra.IsMap()) {
    for (const auto& kv : extra) {
      std::string key = r.str(kv.first, path + ".as-user-extra");
      a.impersonate_extra[key] = r.strings(kv.second, path + ".as-user-extra." + key);
    }
  }
  a.username = r.str(n["username"], path + ".username");
  a.password = r.str(n["password"], path + ".password");
  const YAML::Node ap = n["auth-provider"];
  r.require_map(ap, path + ".auth-provider");
  if (ap.IsDefined() && ap.IsMap()) {
    a.auth_provider = r.str(ap["name"], path + ".auth-provider.name");
    if (a.auth_provider.empty()) a.auth_provider = "(unnamed)";
  }
  const YAML::Node ex = n["exec"];
  if (ex.IsDefined() && !ex.IsNull()) a.exec = read_exec(r, ex, path + ".exec");
  return a;
}

Context read_context(const Reader& r, const YAML::Node& n, const std::string& path) {
  r.require_map(n, path);
  Context c;
  if (!n.IsDefined() || n.IsNull()) return c;
  c.cluster = r.str(n["cluster"], path + ".cluster");
  c.user = r.str(n["user"], path + ".user");
  c.namespace_ = r.str(n["namespace"], path + ".namespace");
  return c;
}

// The v1 named lists become maps; a name twice in one file is an error, as in client-go's conversion.
template <typename T, typename F>
void read_named(const Reader& r, const YAML::Node& list, std::string_view list_name, std::string_view item_key,
                std::map<std::string, T>& out, const fs::path& origin, F read_item) {
  if (!list.IsDefined() || list.IsNull()) return;
  if (!list.IsSequence()) r.fail(list, std::string(list_name), "expected a list");
  std::size_t i = 0;
  for (const auto& entry : list) {
    std::string base = std::string(list_name) + "[" + std::to_string(i) + "]";
    r.require_map(entry, base);
    std::string name = entry.IsMap() ? r.str(entry["name"], base + ".name") : std::string();
    std::string path = entry_path(list_name, i, name);
    T item = entry.IsMap() ? read_item(r, entry[std::string(item_key)], path + "." + std::string(item_key)) : T{};
    item.origin = origin;
    if (out.count(name)) r.fail(entry, path, "duplicate name \"" + name + "\" in " + std::string(list_name));
    out.emplace(std::move(name), std::move(item));
    ++i;
  }
}

std::string read_text_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("kubeconfig " + path.string() + ": cannot read the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw io_error("kubeconfig " + path.string() + ": cannot read the file");
  return ss.str();
}

}  // namespace

Kubeconfig Kubeconfig::parse(std::string_view yaml, const fs::path& file) {
  Reader r(file);
  Kubeconfig cfg;
  if (!file.empty()) cfg.files.push_back(file);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    std::string msg = "kubeconfig " + r.describe_file() + ": ";
    if (e.mark.line >= 0) msg += "line " + std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1) + ": ";
    throw invalid_input(msg + "invalid YAML: " + e.msg);
  }
  try {
    // An empty file (or one holding only comments or null) is an empty configuration.
    if (!root.IsDefined() || root.IsNull()) return cfg;
    if (!root.IsMap()) r.fail(root, "(document)", "expected a mapping with clusters, users and contexts");
    read_named(r, root["clusters"], "clusters", "cluster", cfg.clusters, file, read_cluster);
    read_named(r, root["users"], "users", "user", cfg.users, file, read_user);
    read_named(r, root["contexts"], "contexts", "context", cfg.contexts, file, read_context);
    cfg.current_context = r.str(root["current-context"], "current-context");
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on odd node shapes (an alias to a key, a complex key); never let it escape.
    throw invalid_input("kubeconfig " + r.describe_file() + ": " + e.msg);
  }
  return cfg;
}

Kubeconfig Kubeconfig::merge(const std::vector<fs::path>& files) {
  Kubeconfig out;
  for (const auto& f : files) {
    if (f.empty()) continue;
    std::error_code ec;
    if (!fs::exists(f, ec)) continue;  // loader.go: missing files in the list are ignored
    Kubeconfig one = parse(read_text_file(f), f);
    out.files.push_back(f);
    // First file to set a map key wins, with its whole entry (never a field-by-field merge).
    for (auto& [k, v] : one.clusters) out.clusters.emplace(k, std::move(v));
    for (auto& [k, v] : one.users) out.users.emplace(k, std::move(v));
    for (auto& [k, v] : one.contexts) out.contexts.emplace(k, std::move(v));
    if (out.current_context.empty()) out.current_context = one.current_context;
  }
  return out;
}

std::vector<fs::path> default_kubeconfig_files() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::string_view list(env);
    while (true) {
      auto colon = list.find(':');
      std::string_view part = list.substr(0, colon);
      if (!part.empty()) {
        fs::path p(part);
        // Deduplicated, as clientcmd's loading rules deduplicate the list.
        if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
      }
      if (colon == std::string_view::npos) break;
      list.remove_prefix(colon + 1);
    }
    return out;
  }
  if (const char* home = std::getenv("HOME"); home && *home) out.push_back(fs::path(home) / ".kube" / "config");
  return out;
}

}  // namespace vbackup::kube
