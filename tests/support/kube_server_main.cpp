// kube-test-server: the in-memory Kubernetes API server of the tests (kube_server/kube_server.hpp),
// as a program. It prints "kube-test-server: listening on <url>" once it accepts connections and
// runs until SIGINT or SIGTERM.
#include "kube_server/kube_server.hpp"
#include "vbackup/error.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace vbackup;

int main(int argc, char** argv) {
  CLI::App app{"In-memory Kubernetes API server for tests and benchmarks"};
  kubetest::KubeServerOptions o;
  int port = 0;
  std::vector<std::string> seeds, fills;
  std::string faults, kubeconfig, port_file, cert_dir, tls_cert, tls_key, client_ca;
  long crd_delay = 200, ns_delay = 0;
  bool no_snapshot = false, no_aggregated = false;
  app.add_option("--host", o.host, "Listen address")->capture_default_str();
  app.add_option("--port", port, "Listen port (0 = a free one)")->capture_default_str();
  app.add_option("--threads", o.threads, "Server threads")->capture_default_str();
  app.add_option("--seed", seeds, "A manifests file or directory to load at start (repeatable)");
  app.add_option("--fill", fills,
                 "COUNT[:SIZE[:NAMESPACE]]: COUNT ConfigMaps cm-<n> with SIZE bytes (default 4096) of config-like "
                 "text in NAMESPACE (default bench), labelled app=bench, shard=<n%10> (repeatable)");
  app.add_flag("--tls", o.tls, "Serve HTTPS (certificates are made at start unless --tls-cert/--tls-key)");
  app.add_option("--cert-dir", cert_dir, "Write the made ca.crt, server.crt/key and client.crt/key here");
  app.add_option("--tls-cert", tls_cert, "Server certificate (PEM)");
  app.add_option("--tls-key", tls_key, "Server key (PEM)");
  app.add_option("--client-ca", client_ca, "Client certificates signed by this CA authenticate (default: the made CA)");
  app.add_flag("--require-client-cert", o.require_client_cert, "Refuse TLS clients without a certificate");
  app.add_option("--token", o.api.token, "Require this bearer token (401 for another, 403 for none)");
  app.add_option("--basic-auth", o.api.basic_auth, "USER:PASSWORD also accepted");
  app.add_option("--crd-delay-ms", crd_delay, "Delay before a new CRD is Established and served")->capture_default_str();
  app.add_option("--namespace-delete-delay-ms", ns_delay, "How long a deleted namespace stays Terminating")->capture_default_str();
  app.add_option("--kubernetes-version", o.api.git_version,
                 "gitVersion served at /version (its minor picks version-dependent rules: Job labels)")->capture_default_str();
  app.add_option("--service-cluster-ip-range", o.api.service_cluster_ip_range,
                 "IPv4 CIDR Service clusterIPs are allocated from")->capture_default_str();
  app.add_option("--service-node-port-range", o.api.service_node_port_range,
                 "Ports NodePort and LoadBalancer Services get nodePorts from")->capture_default_str();
  app.add_flag("--no-snapshot-crds", no_snapshot, "Do not install the snapshot.storage.k8s.io CRDs");
  app.add_flag("--no-aggregated-discovery", no_aggregated, "Answer only legacy discovery");
  app.add_option("--gzip-threshold", o.gzip_threshold, "Compress answers of at least this many bytes")->capture_default_str();
  app.add_option("--watch-history", o.api.watch_history, "Changes kept for resumed watches")->capture_default_str();
  app.add_option("--faults", faults, "Fault switches at start: the JSON of POST /__control, or @FILE");
  app.add_option("--write-kubeconfig", kubeconfig, "Write a kubeconfig for this server to FILE");
  app.add_option("--port-file", port_file, "Write the port to FILE once listening");
  CLI11_PARSE(app, argc, argv);

  try {
    o.port = static_cast<std::uint16_t>(port);
    o.cert_dir = cert_dir;
    o.tls_cert_file = tls_cert;
    o.tls_key_file = tls_key;
    o.client_ca_file = client_ca;
    o.api.crd_establish_delay = std::chrono::milliseconds(crd_delay);
    o.api.namespace_delete_delay = std::chrono::milliseconds(ns_delay);
    o.api.snapshot_crds = !no_snapshot;
    o.api.aggregated_discovery = !no_aggregated;
    for (const auto& s : seeds) o.seed.emplace_back(s);
    if (!faults.empty()) {
      std::string text = faults;
      if (text.front() == '@') {
        std::ifstream in(text.substr(1));
        if (!in) throw io_error(text.substr(1) + ": cannot read");
        std::ostringstream s;
        s << in.rdbuf();
        text = s.str();
      }
      json::value v = json::parse(text, "--faults");
      if (!v.is_object()) throw invalid_input("--faults: expected a JSON object");
      o.faults = v.get_object();
    }

    // Block the signals before any thread starts, so that only sigwait() sees them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    kubetest::KubeServer server(o);
    for (const auto& fill : fills) {
      std::size_t count = 0, size = 4096;
      std::string ns = "bench";
      std::istringstream in(fill);
      std::string part;
      std::vector<std::string> parts;
      while (std::getline(in, part, ':')) parts.push_back(part);
      try {
        if (parts.empty()) throw std::invalid_argument("empty");
        count = std::stoul(parts[0]);
        if (parts.size() > 1 && !parts[1].empty()) size = std::stoul(parts[1]);
        if (parts.size() > 2 && !parts[2].empty()) ns = parts[2];
      } catch (const std::exception&) {
        throw invalid_input("--fill \"" + fill + "\": expected COUNT[:SIZE[:NAMESPACE]]");
      }
      server.api().fill_configmaps(ns, count, size);
    }
    for (const auto& p : server.seed_problems()) std::cerr << "kube-test-server: seed: " << p << "\n";
    if (!kubeconfig.empty()) server.write_kubeconfig(kubeconfig);
    if (!port_file.empty()) {
      std::ofstream out(port_file);
      out << server.port() << "\n";
    }
    std::cout << "kube-test-server: listening on " << server.url() << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "kube-test-server: " << e.what() << "\n";
    return 1;
  }
}
