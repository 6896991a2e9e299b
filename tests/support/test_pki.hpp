// Throwaway X.509 material for TLS tests, generated in memory at test time (P-256 keys, one day of
// validity): a CA, server certificates with chosen names, client certificates.
#pragma once

#include <string>
#include <vector>

namespace vbackup::testing {

struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;  // PKCS#8 PEM, unencrypted
};

// A self-signed CA certificate (basicConstraints CA:TRUE) with the given common name.
TestCertificate make_test_ca(const std::string& common_name);

// A leaf certificate signed by `ca`. `dns_names` and `ip_addresses` become subjectAltName entries;
// `client` makes it a client certificate (extendedKeyUsage clientAuth), else a server one (serverAuth).
TestCertificate make_test_leaf(const TestCertificate& ca, const std::string& common_name,
                               const std::vector<std::string>& dns_names,
                               const std::vector<std::string>& ip_addresses, bool client = false);

}  // namespace vbackup::testing
