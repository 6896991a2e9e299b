// The S3 emulators of the S3 tests and benchmark (moto server and s3rver, started by
// tests/support/test_helpers on free loopback ports, once per process) as S3 stores: the
// configuration, credentials and store of each. test-infrastructure.md §3 describes both.
// A failure to start throws std::runtime_error with the emulator's log.
#pragma once

#include "../support/test_helpers.hpp"
#include "storage/s3/sigv4.hpp"
#include "vbackup/error.hpp"
#include "vbackup/layout.hpp"
#include "storage/s3/s3.hpp"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace vbackup::s3_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Env;
using testing::free_port;
using testing::random_bytes;
using testing::read_file;
using testing::run;
using testing::RunResult;
using testing::scratch_dir;
using testing::source_root;

struct Emulator : testing::S3Emulator {
  s3::Config config(const std::string& b = "") const {
    s3::Config c;
    c.bucket = b.empty() ? bucket : b;
    c.region = "us-east-1";
    c.endpoint = endpoint;
    c.force_path_style = true;
    return c;
  }
  s3::Credentials credentials() const { return {access_key, secret, "", "", "the test's " + name + " key"}; }
  std::unique_ptr<s3::S3ObjectStore> store(s3::Config c) const { return s3::open_s3_store(c, credentials()); }
  std::unique_ptr<s3::S3ObjectStore> store() const { return store(config()); }
};

inline Emulator& moto() {
  static Emulator e{testing::start_moto()};
  return e;
}
inline Emulator& s3rver() {
  static Emulator e{testing::start_s3rver()};
  return e;
}

}  // namespace vbackup::s3_test
