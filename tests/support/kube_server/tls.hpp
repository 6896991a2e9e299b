// Certificates for the test API server in TLS mode, made at start with OpenSSL: a CA, a server
// certificate for 127.0.0.1 and localhost, and a client certificate (for kubeconfig
// client-certificate auth). EC P-256 keys, so making them takes milliseconds.
#pragma once

#include <filesystem>
#include <string>

namespace vbackup::kubetest {

struct TestPki {
  std::string ca_cert, ca_key;          // PEM
  std::string server_cert, server_key;
  std::string client_cert, client_key;  // subject CN = client_name, O = system:masters
};

// Throws Error(generic) naming the OpenSSL call that failed.
TestPki generate_test_pki(const std::string& client_name = "test-user");

// ca.crt, ca.key, server.crt, server.key, client.crt, client.key in `dir` (created if needed), keys 0600.
void write_test_pki(const TestPki& pki, const std::filesystem::path& dir);

}  // namespace vbackup::kubetest
