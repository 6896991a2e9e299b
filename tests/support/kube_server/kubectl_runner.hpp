// What the tests of the test API server share (tests/integration/kube_server*_test.cpp): the real
// kubectl run against a KubeServer, a quick server, polling. Header-only; needs doctest.
#pragma once

#include "kube_server/kube_server.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace vbackup::kubetest::testing {

namespace fs = std::filesystem;

using vbackup::testing::source_root;

// A fresh HOME and kubeconfig per instance, so kubectl's discovery cache starts empty (infra §5).
class Kubectl {
 public:
  explicit Kubectl(const KubeServer& server, KubeconfigAuth auth = KubeconfigAuth::automatic)
      : Kubectl(server.kubeconfig(auth)) {}
  explicit Kubectl(const std::string& kubeconfig) { write("kubeconfig", kubeconfig); }
  struct Result {
    int code;
    std::string out, err;
  };
  Result operator()(const std::string& args) const {
    const std::string cmd = "cd '" + dir_.string() + "' && HOME='" + dir_.string() + "' KUBECONFIG='" +
                            (dir_ / "kubeconfig").string() + "' /usr/bin/kubectl " + args + " >out.txt 2>err.txt";
    const int status = std::system(cmd.c_str());
    Result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read("out.txt"), read("err.txt")};
    INFO("kubectl " << args << "\nexit " << r.code << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
    return r;
  }
  void write(const std::string& name, const std::string& text) const { tmp_.write(name, text); }
  const fs::path& dir() const { return dir_; }

 private:
  std::string read(const std::string& name) const { return vbackup::testing::read_file(dir_ / name); }
  vbackup::testing::TempDir tmp_{"kubectl"};
  const fs::path& dir_ = tmp_.path;
};

inline KubeServerOptions quick() {
  KubeServerOptions o;
  o.api.crd_establish_delay = std::chrono::milliseconds(50);
  return o;
}

// Polls until pred holds (CRD establishment happens on a server thread); fails after 10 s.
template <class Pred>
void eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace vbackup::kubetest::testing
