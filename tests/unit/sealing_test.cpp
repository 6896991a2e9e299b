// Issue 16, encryption at rest and integrity wired end to end (sealing.hpp): a backup written through
// the seal on the file store, read back by restore and verify; every file's bit flips caught; Debian's
// age and ssh-keygen check what we wrote; rekey; a backup written by Velero 1.5.2 still restores.
#include "test_helpers.hpp"
#include "vbackup/backup.hpp"
#include "vbackup/error.hpp"
#include "vbackup/restore.hpp"
#include "vbackup/sealing.hpp"
#include "vbackup/velero.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

using namespace vbackup;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void spit(const fs::path& p, std::string_view s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}
int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

struct Fixture {
  testing::TempDir dir{"sealing"};
  fs::path bucket = dir.path / "bucket";
  std::shared_ptr<storage::ObjectStore> objects;
  std::unique_ptr<storage::BackupStore> store;
  crypto::AgeIdentity identity = crypto::AgeIdentity::generate();

  Fixture() {
    fs::create_directories(bucket);
    objects = storage::open_file_store(bucket);
    store = std::make_unique<storage::BackupStore>(objects, "");
    dir.write("manifests/app.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: demo}
data: {k: v}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec: {replicas: 1}
)");
  }

  velero::Backup backup(const std::string& name, sealing::SealOptions seal) {
    auto source = open_manifest_source({dir.path / "manifests"});
    velero::Backup b;
    b.metadata.name = name;
    storage::Location loc;
    loc.provider = "file";
    loc.bucket = bucket.string();
    BackupOptions o;
    o.seal = std::move(seal);
    auto r = run_backup(b, *source, *store, loc, o);
    REQUIRE(r.outcome.code == ErrorCode::ok);
    return r.backup;
  }

  struct Restored {
    RestoreResult result;
    int planned = 0;
    std::vector<std::string> warnings;  // the log's warning lines
  };
  Restored restore(const std::string& name, sealing::OpenOptions seal) {
    velero::Restore r;
    r.metadata.name = "r-" + name;
    r.spec.backup_name = name;
    RestoreOptions o;
    o.mode = RestoreOptions::Mode::dry_run;
    o.seal = std::move(seal);
    int planned = 0;
    std::vector<std::string> warnings;
    o.on_plan = [&](const RestorePlanItem&) { ++planned; };
    o.on_log = [&](std::string_view level, std::string_view line) {
      if (level == "warning") warnings.emplace_back(line);
    };
    auto target = open_offline_target();
    auto res = run_restore(std::move(r), *store, *target, o);
    return Restored{std::move(res), planned, std::move(warnings)};
  }

  sealing::OpenOptions with_identity() const {
    sealing::OpenOptions o;
    o.identities = {identity};
    return o;
  }
  std::vector<fs::path> files(const std::string& name) const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(bucket / "backups" / name)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
};

bool contains(const std::vector<std::string>& v, std::string_view needle) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}

}  // namespace

TEST_CASE("issue 16: an encrypted backup round-trips; its files but velero-backup.json are age files; annotations record fingerprints") {
  Fixture f;
  auto b = f.backup("enc", sealing::SealOptions{{f.identity.recipient()}, {}});
  CHECK(b.metadata.annotations.at("vbackup.io/encryption") == "age");
  CHECK(b.metadata.annotations.at("vbackup.io/encryption-recipients") == f.identity.recipient().fingerprint());
  CHECK(b.metadata.annotations.at("vbackup.io/checksums") == "enc-checksums.json");
  for (const auto& p : f.files("enc")) {
    std::string bytes = slurp(p);
    if (p.filename() == "velero-backup.json") {
      CHECK(bytes.front() == '{');
    } else {
      CHECK_MESSAGE(bytes.rfind("age-encryption.org/v1\n", 0) == 0, p.string());
    }
  }
  auto r = f.restore("enc", f.with_identity());
  CHECK(r.result.restore.status.phase == velero::restore_phase::Completed);
  CHECK(r.planned >= 2);
  auto v = sealing::verify_backup(*f.store, "enc", f.with_identity());
  CHECK(v.problems.empty());
  CHECK(v.has_manifest);
  CHECK(v.encrypted);
  // describe and logs read through the seam unchanged
  auto sealed = sealing::open_sealed(*f.store, "enc", f.with_identity());
  CHECK(describe_backup(sealed, "enc", true).has_resource_list);
  CHECK(backup_logs(sealed, "enc").find("Backup completed") != std::string::npos);
}

TEST_CASE("issue 16: a missing or wrong identity is an error naming the recorded fingerprints; nothing restored") {
  Fixture f;
  f.backup("enc", sealing::SealOptions{{f.identity.recipient()}, {}});
  std::string fp = f.identity.recipient().fingerprint();
  sealing::OpenOptions wrong;
  wrong.identities = {crypto::AgeIdentity::generate()};
  for (const auto& o : {sealing::OpenOptions{}, wrong}) {
    auto r = f.restore("enc", o);
    CHECK(r.result.restore.status.phase == velero::restore_phase::Failed);
    CHECK(r.result.restore.status.failure_reason.find(fp) != std::string::npos);
    CHECK(r.planned == 0);
    try {
      sealing::verify_backup(*f.store, "enc", o);
      FAIL("verify without the identity");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::not_found);
      CHECK(std::string(e.what()).find(fp) != std::string::npos);
    }
  }
}

TEST_CASE("issue 16: flip one bit anywhere in any file of a backup: verify names the file, restore refuses it, nothing applied") {
  for (bool encrypted : {false, true}) {
    Fixture f;
    sealing::SealOptions seal;
    if (encrypted) seal.recipients = {f.identity.recipient()};
    f.backup("b", seal);
    REQUIRE(sealing::verify_backup(*f.store, "b", f.with_identity()).problems.empty());
    for (const auto& p : f.files("b")) {
      const std::string original = slurp(p);
      REQUIRE(!original.empty());
      for (std::size_t pos : {std::size_t(0), original.size() / 2, original.size() - 1}) {
        CAPTURE(encrypted);
        CAPTURE(p.filename().string());
        CAPTURE(pos);
        std::string bad = original;
        bad[pos] = static_cast<char>(bad[pos] ^ 0x04);
        spit(p, bad);
        std::vector<std::string> problems;
        try {
          problems = sealing::verify_backup(*f.store, "b", f.with_identity()).problems;
        } catch (const Error& e) {
          problems = {e.what()};
        }
        CHECK(contains(problems, p.filename().string()));
        // Refused: Failed or FailedValidation, or an error (an unreadable velero-backup.json).
        try {
          auto r = f.restore("b", f.with_identity());
          CHECK(r.result.restore.status.phase != velero::restore_phase::Completed);
          CHECK(r.result.restore.status.phase != velero::restore_phase::PartiallyFailed);
          CHECK(r.planned == 0);
        } catch (const Error& e) {
          CHECK(std::string(e.what()).find("velero-backup.json") != std::string::npos);
        }
        spit(p, original);
      }
    }
  }
}

TEST_CASE("issue 16: Debian's age -d decrypts our tarball into what an unencrypted backup of the same source holds") {
  Fixture f;
  f.backup("plain", {});
  f.backup("enc", sealing::SealOptions{{f.identity.recipient()}, {}});
  auto key = f.dir.write("key.txt", f.identity.to_string() + "\n");
  auto list = [&](const std::string& cmd) {
    REQUIRE(sh(cmd + " | gunzip | tar -t > " + (f.dir.path / "list").string()) == 0);
    return slurp(f.dir.path / "list");
  };
  std::string plain = list("cat " + (f.bucket / "backups/plain/plain.tar.gz").string());
  std::string enc = list("age -d -i " + key.string() + " " + (f.bucket / "backups/enc/enc.tar.gz").string());
  CHECK(plain == enc);
  CHECK(plain.find("resources/configmaps/namespaces/demo/cfg.json") != std::string::npos);
  CHECK(sh("age -d -i " + key.string() + " " + (f.bucket / "backups/enc/enc-logs.gz").string() + " | gunzip >/dev/null") == 0);
  // And a folder whose files age -e wrote is readable by us: re-encrypt the plain backup's side files.
  f.backup("ext", {});
  auto recipient = f.identity.recipient().to_string();
  auto logs = f.bucket / "backups/ext/ext-logs.gz";
  REQUIRE(sh("age -e -r " + recipient + " -o " + logs.string() + ".age " + logs.string() + " && mv " + logs.string() +
             ".age " + logs.string()) == 0);
  sealing::OpenOptions o = f.with_identity();
  o.skip_verify = true;  // the manifest hashed the plain file
  auto sealed = sealing::open_sealed(*f.store, "ext", o);
  CHECK(backup_logs(sealed, "ext").find("Backup completed") != std::string::npos);
}

TEST_CASE("issue 16: a signed manifest is checked by ssh-keygen -Y verify; a tampered manifest is refused") {
  Fixture f;
  auto keyfile = f.dir.path / "signer";
  REQUIRE(sh("ssh-keygen -q -t ed25519 -N '' -C signer -f " + keyfile.string()) == 0);
  sealing::SealOptions seal;
  seal.signing_key = crypto::SshSigningKey::parse(slurp(keyfile), keyfile.string());
  f.backup("s", seal);
  CHECK(fs::exists(f.bucket / "backups/s/s-checksums.json.sig"));
  std::string allowed = "ops@example.com " + slurp(keyfile.string() + ".pub");
  auto allowed_file = f.dir.write("allowed_signers", allowed);
  auto dir = f.bucket / "backups/s";
  CHECK(sh("ssh-keygen -Y verify -n vbackup.io/backup -s " + (dir / "s-checksums.json.sig").string() +
           " -I ops@example.com -f " + allowed_file.string() + " < " + (dir / "s-checksums.json").string() +
           " >/dev/null") == 0);
  sealing::OpenOptions o;
  o.allowed_signers = allowed;
  o.principal = "ops@example.com";
  o.require_signature = true;
  auto v = sealing::verify_backup(*f.store, "s", o);
  CHECK(v.problems.empty());
  CHECK(v.signature_verified);
  CHECK(f.restore("s", o).result.restore.status.phase == velero::restore_phase::Completed);
  // Another signer's key: refused.
  o.allowed_signers = "ops@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n";
  CHECK(f.restore("s", o).result.restore.status.phase == velero::restore_phase::Failed);
  // An unsigned backup when a signature is required: refused.
  f.backup("u", {});
  o.allowed_signers = allowed;
  auto r = f.restore("u", o);
  CHECK(r.result.restore.status.phase == velero::restore_phase::Failed);
  CHECK(r.planned == 0);
}

TEST_CASE("issue 16: rekey keeps the payload bytes, the old identity stops working, the new one reads and verifies") {
  Fixture f;
  f.backup("k", sealing::SealOptions{{f.identity.recipient()}, {}});
  const std::string before = slurp(f.bucket / "backups/k/k.tar.gz");
  auto fresh = crypto::AgeIdentity::generate();
  auto res = sealing::rekey_backup(*f.store, "k", {f.identity}, sealing::SealOptions{{fresh.recipient()}, {}});
  CHECK(res.recipients == std::vector<std::string>{fresh.recipient().fingerprint()});
  const std::string after = slurp(f.bucket / "backups/k/k.tar.gz");
  // The header ends with "--- <mac>\n"; the nonce and payload that follow are unchanged.
  auto end_of = [](const std::string& s) { return s.find('\n', s.find("\n--- ") + 1) + 1; };
  CHECK(before.substr(end_of(before)) == after.substr(end_of(after)));
  CHECK(before.substr(0, end_of(before)) != after.substr(0, end_of(after)));
  sealing::OpenOptions o;
  o.identities = {fresh};
  CHECK(sealing::verify_backup(*f.store, "k", o).problems.empty());
  CHECK(f.restore("k", o).result.restore.status.phase == velero::restore_phase::Completed);
  auto old = f.restore("k", f.with_identity());
  CHECK(old.result.restore.status.phase == velero::restore_phase::Failed);
  CHECK(old.result.restore.status.failure_reason.find(fresh.recipient().fingerprint()) != std::string::npos);
}

TEST_CASE("issue 16: a backup written by Velero 1.5.2 (no manifest) still restores, with the warning; verify warns") {
  Fixture f;
  fs::copy(testing::source_root() / "tests/data/velero-1.5.2/bucket", f.bucket,
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  auto v = sealing::verify_backup(*f.store, "golden-all", {});
  CHECK(v.problems.empty());
  CHECK(!v.has_manifest);
  CHECK(v.warnings == std::vector<std::string>{std::string(sealing::no_manifest_warning)});
  auto r = f.restore("golden-all", {});
  CHECK(r.result.restore.status.phase != velero::restore_phase::Failed);
  CHECK(r.planned > 0);
  CHECK(contains(r.warnings, "no checksum manifest (written by Velero or before vbackup 0.x)"));
}

TEST_CASE("issue 16: a Backup annotated vbackup.io/encrypt-to (a Schedule's annotations go to its Backups) is encrypted; readers fall back to VBACKUP_IDENTITY_FILE") {
  Fixture f;
  auto source = open_manifest_source({f.dir.path / "manifests"});
  velero::Backup b;
  b.metadata.name = "sched-1";
  b.metadata.annotations["vbackup.io/encrypt-to"] = f.identity.recipient().to_string();
  storage::Location loc;
  loc.provider = "file";
  loc.bucket = f.bucket.string();
  auto r = run_backup(b, *source, *f.store, loc);
  REQUIRE(r.outcome.code == ErrorCode::ok);
  CHECK(r.backup.metadata.annotations.at("vbackup.io/encryption") == "age");
  CHECK(slurp(f.bucket / "backups/sched-1/sched-1.tar.gz").rfind("age-encryption.org/v1\n", 0) == 0);
  CHECK(f.restore("sched-1", {}).result.restore.status.phase == velero::restore_phase::Failed);
  auto key = f.dir.write("id.txt", f.identity.to_string() + "\n");
  testing::EnvVar env;
  env.set("VBACKUP_IDENTITY_FILE", key.string());
  CHECK(f.restore("sched-1", {}).result.restore.status.phase == velero::restore_phase::Completed);
  // A bad recipient in the annotation fails validation, naming it.
  velero::Backup bad;
  bad.metadata.name = "bad";
  bad.metadata.annotations["vbackup.io/encrypt-to"] = "age1nope";
  auto rb = run_backup(bad, *source, *f.store, loc);
  CHECK(rb.backup.status.phase == velero::backup_phase::FailedValidation);
  CHECK(rb.outcome.message.find("vbackup.io/encrypt-to") != std::string::npos);
}
