// Issue 16 "Secrets": TLS certificate verification is on by default everywhere, and turning it off
// (S3's insecureSkipTLSVerify, a kubeconfig's insecure-skip-tls-verify) prints a warning once per
// process naming what was turned off. The S3 and kube sides are checked end to end through the CLI
// in tests/secrets/test_secrets.py; this checks the http layer every client goes through.
#include "http/client.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {

// Runs fn with file descriptor 2 redirected to a file and returns what was written to it.
template <class F>
std::string captured_stderr(F fn) {
  std::fflush(stderr);
  char path[] = "/tmp/vbk-tls-warning-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  int saved = ::dup(2);
  ::dup2(fd, 2);
  fn();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ::unlink(path);
  return text.str();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

using vbackup::http::Client;
using vbackup::http::ClientOptions;

TEST_CASE("issue 16: TLS verification is on by default") {
  CHECK(ClientOptions{}.tls.verify);
}

TEST_CASE("issue 16: a client with verification on prints nothing") {
  std::string err = captured_stderr([] {
    ClientOptions o;
    o.tls.insecure_what = "the unit test's verifying client";
    Client c(o);
  });
  CHECK(err.empty());
}

TEST_CASE("issue 16: turning verification off warns once per process, naming what was turned off") {
  std::string err = captured_stderr([] {
    for (int i = 0; i < 3; ++i) {
      ClientOptions o;
      o.tls.verify = false;
      o.tls.insecure_what = "the S3 object store (insecureSkipTLSVerify)";
      Client c(o);
    }
    ClientOptions k;
    k.tls.verify = false;
    k.tls.insecure_what = "the Kubernetes API server (insecure-skip-tls-verify)";
    Client c1(k);
    Client c2(k);
  });
  CHECK(count(err, "warning: TLS certificate verification is turned off") == 2);
  CHECK(count(err, "the S3 object store (insecureSkipTLSVerify)") == 1);
  CHECK(count(err, "the Kubernetes API server (insecure-skip-tls-verify)") == 1);
  // Later clients in the same process stay quiet.
  std::string again = captured_stderr([] {
    ClientOptions o;
    o.tls.verify = false;
    o.tls.insecure_what = "the S3 object store (insecureSkipTLSVerify)";
    Client c(o);
  });
  CHECK(again.empty());
}
