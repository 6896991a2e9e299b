// kubeconfig loading as kubectl does it: parsing, $KUBECONFIG merging, contexts, every
// authentication kind, client-go's validation, in-cluster configuration and exec credential plugins
// (run for real: the test writes a small shell script).
#include "kube/internal.hpp"
#include "test_helpers.hpp"
#include "core/encoding.hpp"
#include "vbackup/kube.hpp"
#include "vbackup/time.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace vbackup;
using namespace vbackup::kube;

namespace {

using testing::EnvVar;
using testing::error_of;
using testing::TempDir;

ConnectOptions connect(std::string kubeconfig, std::string context = {}, fs::path root = {}) {
  ConnectOptions o;
  o.kubeconfig = std::move(kubeconfig);
  o.context = std::move(context);
  if (!root.empty()) o.in_cluster_root = std::move(root);
  return o;
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

const std::string kBasic = R"(apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: )" + base64_encode("PROD-CA-PEM") + R"(
- name: dev
  cluster:
    server: http://127.0.0.1:8080
users:
- name: admin
  user:
    token: secret-token-1
- name: dev-user
  user:
    username: alice
    password: wonderland
contexts:
- name: prod
  context:
    cluster: prod
    user: admin
    namespace: velero
- name: dev
  context:
    cluster: dev
    user: dev-user
current-context: prod
)";

}  // namespace

TEST_CASE("kubeconfig: clusters, users and contexts of one file; the current context and its namespace") {
  Kubeconfig cfg = Kubeconfig::parse(kBasic, "/etc/kube/config");
  CHECK(cfg.current_context == "prod");
  REQUIRE(cfg.clusters.count("prod"));
  CHECK(cfg.clusters.at("prod").certificate_authority_data == "PROD-CA-PEM");  // base64 decoded
  RestConfig rc = rest_config(cfg);
  CHECK(rc.server == "https://10.0.0.1:6443");
  CHECK(rc.namespace_ == "velero");
  CHECK(rc.bearer_token == "secret-token-1");
  CHECK(rc.ca_pem == "PROD-CA-PEM");
  CHECK(contains(rc.ca_origin, "certificate-authority-data of cluster \"prod\" in /etc/kube/config"));
  CHECK(contains(rc.source, "context \"prod\""));

  // --kubecontext overrides current-context; a context without namespace means "default".
  RestConfig dev = rest_config(cfg, "dev");
  CHECK(dev.server == "http://127.0.0.1:8080");
  CHECK(dev.namespace_ == "default");
  CHECK(dev.username == "alice");
  CHECK(dev.password == "wonderland");
  CHECK(dev.bearer_token.empty());
  CHECK(dev.ca_origin == "the system trust store");
}

TEST_CASE("kubeconfig: an unknown context is an error naming it and the contexts there are") {
  Kubeconfig cfg = Kubeconfig::parse(kBasic, "/etc/kube/config");
  std::string m = error_of([&] { rest_config(cfg, "staging"); });
  CHECK(contains(m, "kubeconfig /etc/kube/config"));
  CHECK(contains(m, "context \"staging\" not found"));
  CHECK(contains(m, "\"dev\", \"prod\""));
  // Secrets never appear in messages.
  CHECK_FALSE(contains(m, "secret-token-1"));
  CHECK_FALSE(contains(m, "wonderland"));

  Kubeconfig no_current = Kubeconfig::parse("clusters: []\ncontexts:\n- name: a\n  context: {cluster: x}\n", "/k");
  CHECK(contains(error_of([&] { rest_config(no_current); }), "current-context is not set"));
  CHECK(contains(error_of([&] { rest_config(Kubeconfig::parse("", "/empty")); }), "no configuration has been provided"));
  // A context naming a missing cluster or user.
  Kubeconfig dangling = Kubeconfig::parse("contexts:\n- name: a\n  context: {cluster: nope, user: u}\ncurrent-context: a\n", "/k");
  CHECK(contains(error_of([&] { rest_config(dangling); }), "context \"a\": cluster \"nope\" not found"));
}

TEST_CASE("kubeconfig: malformed files give errors naming the file, the line and the key path") {
  ErrorCode code{};
  std::string m = error_of([] { Kubeconfig::parse("clusters:\n- name: a\n  cluster: [unclosed\n", "/x/config"); }, &code);
  CHECK(code == ErrorCode::invalid);
  CHECK(contains(m, "kubeconfig /x/config: line "));
  CHECK(contains(m, "invalid YAML"));

  m = error_of([] { Kubeconfig::parse("clusters:\n- name: prod\n  cluster:\n    server: https://a\n    certificate-authority-data: '%%%'\n", "/x/config"); });
  CHECK(contains(m, "kubeconfig /x/config: line 5, column 33: clusters[0] (\"prod\").cluster.certificate-authority-data: invalid base64"));

  m = error_of([] { Kubeconfig::parse("clusters: {prod: {}}\n", "/x/config"); });
  CHECK(contains(m, "clusters: expected a list"));

  // A boolean field takes only YAML booleans (the JSON decoding refuses a string), a string field any scalar.
  m = error_of([] { Kubeconfig::parse("clusters:\n- name: a\n  cluster:\n    insecure-skip-tls-verify: \"true\"\n", "/x/config"); });
  CHECK(contains(m, "clusters[0] (\"a\").cluster.insecure-skip-tls-verify: expected a boolean"));
  Kubeconfig ok = Kubeconfig::parse("clusters:\n- name: a\n  cluster:\n    insecure-skip-tls-verify: yes\n    server: 8080\n", "/x/config");
  CHECK(ok.clusters.at("a").insecure_skip_tls_verify);
  CHECK(ok.clusters.at("a").server == "8080");

  m = error_of([] { Kubeconfig::parse("users:\n- name: u\n  user:\n    exec:\n      args: notalist\n", "/x/config"); });
  CHECK(contains(m, "users[0] (\"u\").user.exec.args: expected a list of strings"));

  m = error_of([] { Kubeconfig::parse("- just\n- a list\n", "/x/config"); });
  CHECK(contains(m, "expected a mapping"));

  // client-go's conversion refuses a name twice in one file.
  m = error_of([] { Kubeconfig::parse("users:\n- name: u\n- name: u\n", "/x/config"); });
  CHECK(contains(m, "duplicate name \"u\" in users"));
}

TEST_CASE("kubeconfig: relative file references are resolved against the kubeconfig's folder") {
  Kubeconfig cfg = Kubeconfig::parse(R"(
clusters:
- name: c
  cluster: {server: https://h, certificate-authority: certs/ca.crt}
users:
- name: u
  user:
    client-certificate: certs/client.crt
    client-key: /abs/client.key
    tokenFile: ../token
    exec: {command: ./bin/plugin, apiVersion: client.authentication.k8s.io/v1beta1}
- name: v
  user:
    exec: {command: gke-gcloud-auth-plugin, apiVersion: client.authentication.k8s.io/v1beta1}
)", "/home/me/.kube/config");
  CHECK(cfg.clusters.at("c").certificate_authority == "/home/me/.kube/certs/ca.crt");
  CHECK(cfg.users.at("u").client_certificate == "/home/me/.kube/certs/client.crt");
  CHECK(cfg.users.at("u").client_key == "/abs/client.key");
  CHECK(cfg.users.at("u").token_file == "/home/me/token");
  CHECK(cfg.users.at("u").exec->command == "/home/me/.kube/bin/plugin");
  CHECK(cfg.users.at("u").exec->interactive_mode == "IfAvailable");  // v1beta1 default
  CHECK(cfg.users.at("v").exec->command == "gke-gcloud-auth-plugin");  // a bare name stays a PATH lookup
}

TEST_CASE("kubeconfig: $KUBECONFIG files merge as kubectl merges them: the first to set a key wins") {
  TempDir dir;
  fs::path a = dir.write("a", R"(
clusters:
- name: shared
  cluster: {server: https://from-a}
users:
- name: red-user
  user: {token: token-a}
contexts:
- name: ctx-a
  context: {cluster: shared, user: red-user}
)");
  fs::path b = dir.write("b", R"(
clusters:
- name: shared
  cluster: {server: https://from-b, insecure-skip-tls-verify: true}
- name: only-b
  cluster: {server: https://only-b}
users:
- name: red-user
  user: {username: bob, password: builder}
contexts:
- name: ctx-b
  context: {cluster: only-b, user: red-user, namespace: nb}
current-context: ctx-b
)");
  fs::path c = dir.write("c", "current-context: ctx-a\n");
  Kubeconfig m = Kubeconfig::merge({a, dir.path / "missing", "", b, c});
  CHECK(m.files == std::vector<fs::path>{a, b, c});  // missing and empty names skipped
  CHECK(m.clusters.at("shared").server == "https://from-a");
  CHECK_FALSE(m.clusters.at("shared").insecure_skip_tls_verify);  // the whole entry from a, no field merge
  CHECK(m.clusters.at("only-b").server == "https://only-b");
  CHECK(m.users.at("red-user").token == "token-a");
  CHECK(m.users.at("red-user").username.empty());
  CHECK(m.current_context == "ctx-b");  // a sets none; b is first to set it
  RestConfig rc = rest_config(m);
  CHECK(rc.server == "https://only-b");
  CHECK(rc.namespace_ == "nb");
  CHECK(rc.bearer_token == "token-a");  // the user entry of a, the first file to define red-user

  {
    EnvVar kc("KUBECONFIG", (a.string() + ":" + b.string() + "::" + a.string() + ":" + c.string()).c_str());
    CHECK(default_kubeconfig_files() == std::vector<fs::path>{a, b, c});
    RestConfig loaded = load_rest_config({});
    CHECK(loaded.server == "https://only-b");
    CHECK(load_rest_config(connect("", "ctx-a")).server == "https://from-a");
  }
  {
    EnvVar kc("KUBECONFIG", nullptr);
    EnvVar home("HOME", dir.path.c_str());
    CHECK(default_kubeconfig_files() == std::vector<fs::path>{dir.path / ".kube" / "config"});
  }
  // --kubeconfig reads that file alone, and it must exist.
  CHECK(load_rest_config(connect(a.string(), "ctx-a")).server == "https://from-a");
  ErrorCode code{};
  std::string msg = error_of([&] { load_rest_config(connect((dir.path / "nope").string())); }, &code);
  CHECK(code == ErrorCode::not_found);
  CHECK(contains(msg, (dir.path / "nope").string()));
  // A malformed file in the list is an error naming it.
  fs::path bad = dir.write("bad", "clusters: [\n");
  CHECK(contains(error_of([&] { Kubeconfig::merge({a, bad}); }), "kubeconfig " + bad.string()));
}

TEST_CASE("kubeconfig: token files, client certificates from files, and client-go's validation") {
  TempDir dir;
  dir.write("token", "  file-token \n");
  dir.write("certs/client.crt", "CLIENT-CERT");
  dir.write("certs/client.key", "CLIENT-KEY");
  dir.write("certs/ca.crt", "CA-FROM-FILE");
  fs::path cfgfile = dir.write("config", R"(
clusters:
- name: c
  cluster: {server: "10.1.2.3:6443", certificate-authority: certs/ca.crt, tls-server-name: api.internal}
- name: plain
  cluster: {server: "localhost:8080"}
- name: both-ca
  cluster: {server: https://x, certificate-authority: certs/ca.crt, certificate-authority-data: )" + base64_encode("X") + R"(}
- name: insecure-ca
  cluster: {server: https://x, certificate-authority: certs/ca.crt, insecure-skip-tls-verify: true}
- name: missing-ca
  cluster: {server: https://x, certificate-authority: certs/none.crt}
- name: proxied
  cluster: {server: https://x, proxy-url: "http://proxy:3128"}
users:
- name: tokenfile
  user: {tokenFile: token}
- name: token-wins
  user: {token: inline, tokenFile: token}
- name: certs
  user: {client-certificate: certs/client.crt, client-key: certs/client.key}
- name: cert-data
  user: {client-certificate-data: )" + base64_encode("CD") + ", client-key-data: " + base64_encode("KD") + R"(}
- name: cert-no-key
  user: {client-certificate: certs/client.crt}
- name: token-and-basic
  user: {token: t, username: u, password: p}
- name: gcp
  user: {auth-provider: {name: gcp, config: {access-token: zzz}}}
- name: exec-v1-no-mode
  user: {exec: {command: x, apiVersion: client.authentication.k8s.io/v1}}
- name: exec-always
  user: {exec: {command: x, apiVersion: client.authentication.k8s.io/v1, interactiveMode: Always}}
- name: impersonating
  user: {token: t, as: jane, as-groups: [devs, ops], as-user-extra: {scopes: [a, b]}}
contexts:
- {name: tokenfile, context: {cluster: c, user: tokenfile}}
- {name: token-wins, context: {cluster: c, user: token-wins}}
- {name: certs, context: {cluster: c, user: certs}}
- {name: cert-data, context: {cluster: plain, user: cert-data}}
- {name: plain, context: {cluster: plain}}
- {name: cert-no-key, context: {cluster: c, user: cert-no-key}}
- {name: token-and-basic, context: {cluster: c, user: token-and-basic}}
- {name: both-ca, context: {cluster: both-ca}}
- {name: insecure-ca, context: {cluster: insecure-ca}}
- {name: missing-ca, context: {cluster: missing-ca}}
- {name: proxied, context: {cluster: proxied}}
- {name: gcp, context: {cluster: c, user: gcp}}
- {name: exec-v1-no-mode, context: {cluster: c, user: exec-v1-no-mode}}
- {name: exec-always, context: {cluster: c, user: exec-always}}
- {name: impersonating, context: {cluster: c, user: impersonating}}
)");
  Kubeconfig cfg = Kubeconfig::merge({cfgfile});

  RestConfig tf = rest_config(cfg, "tokenfile");
  CHECK(tf.bearer_token == "file-token");
  CHECK(tf.bearer_token_file == (dir.path / "token").string());
  CHECK(tf.server == "https://10.1.2.3:6443");  // no scheme + TLS settings → https (rest.DefaultServerURL)
  CHECK(tf.ca_pem == "CA-FROM-FILE");
  CHECK(tf.ca_origin == "certificate-authority file " + (dir.path / "certs/ca.crt").string());
  CHECK(tf.tls_server_name == "api.internal");
  CHECK(rest_config(cfg, "token-wins").bearer_token == "inline");
  RestConfig certs = rest_config(cfg, "certs");
  CHECK(certs.client_cert_pem == "CLIENT-CERT");
  CHECK(certs.client_key_pem == "CLIENT-KEY");
  RestConfig cd = rest_config(cfg, "cert-data");
  CHECK(cd.client_cert_pem == "CD");
  CHECK(cd.client_key_pem == "KD");
  CHECK(cd.server == "https://localhost:8080");  // a client certificate means TLS
  CHECK(rest_config(cfg, "plain").server == "http://localhost:8080");

  auto err = [&](const char* ctx, ErrorCode* code = nullptr) { return error_of([&] { rest_config(cfg, ctx); }, code); };
  CHECK(contains(err("cert-no-key"), "client-key-data or client-key must be specified"));
  std::string both = err("token-and-basic");
  CHECK(contains(both, "more than one authentication method"));
  CHECK(contains(both, "user \"token-and-basic\""));
  CHECK(contains(err("both-ca"), "certificate-authority-data and certificate-authority are both specified"));
  CHECK(contains(err("insecure-ca"), "insecure-skip-tls-verify cannot be combined"));
  std::string missing = err("missing-ca");
  CHECK(contains(missing, (dir.path / "certs/none.crt").string()));
  ErrorCode code{};
  CHECK(contains(err("proxied", &code), "proxy-url is not supported"));
  CHECK(code == ErrorCode::unsupported);
  std::string gcp = err("gcp", &code);
  CHECK(code == ErrorCode::unsupported);
  CHECK(contains(gcp, "auth-provider \"gcp\" is not supported"));
  CHECK_FALSE(contains(gcp, "zzz"));
  CHECK(contains(err("exec-v1-no-mode"), "exec.interactiveMode must be specified"));
  CHECK(contains(err("exec-always", &code), "interactiveMode Always"));
  CHECK(code == ErrorCode::unsupported);

  RestConfig imp = rest_config(cfg, "impersonating");
  CHECK(imp.impersonate == "jane");
  CHECK(imp.impersonate_groups == std::vector<std::string>{"devs", "ops"});
  CHECK(imp.impersonate_extra.at("scopes") == std::vector<std::string>{"a", "b"});
}

TEST_CASE("kubeconfig: in-cluster configuration from the service account folder") {
  TempDir dir;
  dir.write("sa/token", "sa-token\n");
  dir.write("sa/ca.crt", "SA-CA");
  dir.write("sa/namespace", "velero\n");
  {
    EnvVar h("KUBERNETES_SERVICE_HOST", "10.96.0.1"), p("KUBERNETES_SERVICE_PORT", "443"), ns("POD_NAMESPACE", nullptr);
    RestConfig rc = in_cluster_config(dir.path / "sa");
    CHECK(rc.server == "https://10.96.0.1:443");
    CHECK(rc.bearer_token == "sa-token");
    CHECK(rc.bearer_token_file == (dir.path / "sa/token").string());
    CHECK(rc.ca_pem == "SA-CA");
    CHECK(rc.namespace_ == "velero");
    {
      EnvVar pod_ns("POD_NAMESPACE", "other");
      CHECK(in_cluster_config(dir.path / "sa").namespace_ == "other");
    }
    // With no kubeconfig anywhere, loading falls back to the service account.
    EnvVar kc("KUBECONFIG", (dir.path / "none").c_str());
    RestConfig loaded = load_rest_config(connect("", "", dir.path / "sa"));
    CHECK(loaded.server == "https://10.96.0.1:443");
    CHECK(contains(loaded.source, "in-cluster service account"));
    // A missing token is an error naming the file.
    CHECK(contains(error_of([&] { in_cluster_config(dir.path / "nothing"); }), (dir.path / "nothing/token").string()));
  }
  {
    EnvVar h6("KUBERNETES_SERVICE_HOST", "fd00::1"), p("KUBERNETES_SERVICE_PORT", "6443");
    CHECK(in_cluster_config(dir.path / "sa").server == "https://[fd00::1]:6443");
  }
  EnvVar h("KUBERNETES_SERVICE_HOST", nullptr);
  CHECK(contains(error_of([&] { in_cluster_config(dir.path / "sa"); }), "KUBERNETES_SERVICE_HOST"));
  EnvVar kc("KUBECONFIG", (dir.path / "none").c_str());
  ErrorCode code{};
  CHECK(contains(error_of([&] { load_rest_config({}); }, &code), "no kubeconfig found"));
  CHECK(code == ErrorCode::not_found);
}

TEST_CASE("exec credential plugin: run with args, env and KUBERNETES_EXEC_INFO; output validated") {
  TempDir dir;
  // The plugin counts its runs, records what it was given, and prints an ExecCredential.
  fs::path plugin = dir.write("plugin.sh", R"(#!/bin/sh
d=$(dirname "$0")
n=$(cat "$d/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$d/count"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$d/info"
echo "$1 $2 $PLUGIN_MODE" > "$d/argsenv"
case "$PLUGIN_MODE" in
  fail) echo "login required: run gcloud auth login" >&2; exit 3 ;;
  garbage) echo "not json" ;;
  wrongversion) echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}' ;;
  nostatus) echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"}' ;;
  certonly) echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"C"}}' ;;
  cert) echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"C","clientKeyData":"K"}}' ;;
  sleep) sleep 30 ;;
  *) printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"plugin-token-%s","expirationTimestamp":"2099-01-02T03:04:05Z"}}\n' "$n" ;;
esac
)", true);
  ExecConfig exec;
  exec.api_version = "client.authentication.k8s.io/v1";
  exec.command = plugin.string();
  exec.args = {"--region", "eu"};
  exec.env = {{"PLUGIN_MODE", ""}};
  exec.interactive_mode = "Never";
  exec.provide_cluster_info = true;
  RestConfig rc;
  rc.server = "https://api.example:6443";
  rc.ca_pem = "CA";
  rc.tls_server_name = "api";
  rc.exec_cluster_name = "prod";

  ExecCredential cred = run_exec_plugin(exec, rc, std::chrono::seconds(20));
  CHECK(cred.token == "plugin-token-1");
  REQUIRE(cred.expiry);
  CHECK(cred.valid_at(std::chrono::system_clock::now()));
  CHECK_FALSE(cred.valid_at(std::chrono::system_clock::time_point(parse_rfc3339("2099-01-02T03:04:05Z"))));
  auto read = [&](const char* f) {
    std::ifstream in(dir.path / f);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CHECK(read("info") ==
        R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"server":"https://api.example:6443","tls-server-name":"api","certificate-authority-data":"Q0E="},"interactive":false}})");
  CHECK(read("argsenv") == "--region eu \n");
  CHECK(run_exec_plugin(exec, rc, std::chrono::seconds(20)).token == "plugin-token-2");
  CHECK(read("count") == "2\n");

  exec.provide_cluster_info = false;
  run_exec_plugin(exec, rc, std::chrono::seconds(20));
  CHECK(read("info") == R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}})");

  auto fails = [&](const char* mode, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    exec.env = {{"PLUGIN_MODE", mode}};
    return error_of([&] { run_exec_plugin(exec, rc, timeout); });
  };
  std::string m = fails("fail");
  CHECK(contains(m, "exec credential plugin \"" + plugin.string() + "\" (cluster \"prod\"): exited with status 3"));
  CHECK(contains(m, "login required: run gcloud auth login"));
  CHECK(contains(fails("garbage"), "expected an ExecCredential"));
  CHECK(contains(fails("wrongversion"), "configured to use API version client.authentication.k8s.io/v1, it returned version client.authentication.k8s.io/v1beta1"));
  CHECK(contains(fails("nostatus"), "has no status"));
  CHECK(contains(fails("certonly"), "only one of clientCertificateData and clientKeyData"));
  CHECK(contains(fails("sleep", std::chrono::milliseconds(300)), "killed"));
  exec.env = {{"PLUGIN_MODE", "cert"}};
  ExecCredential c = run_exec_plugin(exec, rc, std::chrono::seconds(20));
  CHECK(c.client_cert_pem == "C");
  CHECK(c.client_key_pem == "K");
  CHECK_FALSE(c.expiry);  // no expiry: valid until a 401

  exec.command = (dir.path / "no-such-plugin").string();
  exec.install_hint = "Install it with: apt-get install my-plugin";
  m = error_of([&] { run_exec_plugin(exec, rc, std::chrono::seconds(5)); });
  CHECK(contains(m, "executable not found"));
  CHECK(contains(m, "Install it with: apt-get install my-plugin"));
}

TEST_CASE("exec credential: the output's token never appears in an error") {
  ExecConfig exec;
  exec.api_version = "client.authentication.k8s.io/v1";
  std::string m = error_of([&] {
    parse_exec_credential(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"s3cr3t","expirationTimestamp":"never"}})",
                          exec, "plugin");
  });
  CHECK(contains(m, "status.expirationTimestamp"));
  CHECK_FALSE(contains(m, "s3cr3t"));
}
