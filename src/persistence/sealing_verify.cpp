// verify_backup and rekey_backup (sealing.hpp): every object of a backup's folder re-read and
// compared with its checksum manifest; age headers rewritten for new recipients.
#include "persistence/sealed_store.hpp"

#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/persistence.hpp"
#include "vbackup/velero_backup.hpp"

#include <map>

namespace vbackup::sealing {

using detail::HashingInput;
using detail::SealedStore;

namespace {

class NullOutput final : public OutputStream {
 public:
  using OutputStream::write;
  void write(const void*, std::size_t) override {}
};

struct Found {
  crypto::ChecksumEntry file;
  bool items_read = false;
};

// Reads one stored object: its hash and size as stored, decrypted (so age authenticates every
// chunk) and, for the tarball, every item hashed. Problems of decryption or decompression go to
// `problems`; the hash of the stored bytes is taken in any case.
// The tarball's items go to `items` (side 1), merged there with the manifest's (issue 17).
Found read_object(SealedStore& s, const std::string& key, bool tarball, std::vector<std::string>& problems,
                  detail::ItemSpill* items) {
  Found out;
  HashingInput raw(s.inner().get(key), key, std::nullopt);
  try {
    std::unique_ptr<crypto::AgeDecryptor> dec;
    if (raw.is_age()) {
      dec = std::make_unique<crypto::AgeDecryptor>(raw, s.open_options().identities, key, s.recorded_fingerprints());
    }
    InputStream& in = dec ? static_cast<InputStream&>(*dec) : raw;
    if (tarball) {
      archive::ArchiveReader reader(in, key);
      archive::Entry entry;
      while (reader.next(entry)) {
        crypto::Sha256OutputStream h;
        reader.copy_body(h);
        crypto::ChecksumEntry e{detail::base_name(key), entry.path, h.hash().size(), h.hash().hex_digest()};
        if (items) items->add(e, 1);
      }
      out.items_read = true;
    }
    char buf[64 * 1024];
    while (in.read(buf, sizeof buf) > 0) {
    }
  } catch (const Error& e) {
    if (e.code() == ErrorCode::not_found && raw.is_age()) throw;  // no identity: says which keys
    if (e.code() == ErrorCode::storage || e.code() == ErrorCode::cancelled) throw;
    problems.emplace_back(e.what());
  }
  raw.finish();
  out.file = crypto::ChecksumEntry{detail::base_name(key), "", raw.found_size(), raw.found_sha256()};
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  crypto::Sha256 h;
  h.update(bytes);
  return h.hex_digest();
}

}  // namespace

json::object VerifyResult::to_json() const {
  json::array p, w;
  for (const auto& s : problems) p.emplace_back(s);
  for (const auto& s : warnings) w.emplace_back(s);
  return json::object{{"problems", std::move(p)}, {"warnings", std::move(w)}, {"hasManifest", has_manifest},
                      {"encrypted", encrypted}, {"signatureVerified", signature_verified}};
}

json::object RekeyResult::to_json() const {
  json::array k, r;
  for (const auto& s : rewritten) k.emplace_back(s);
  for (const auto& s : recipients) r.emplace_back(s);
  return json::object{{"rewritten", std::move(k)}, {"recipients", std::move(r)}};
}

VerifyResult verify_backup(storage::BackupStore& store, const std::string& name, const OpenOptions& options) {
  if (!store.objects().exists(store.backup_metadata_key(name))) {
    throw Error(ErrorCode::not_found, "backup " + name + ": not found in " + store.objects().describe());
  }
  OpenOptions o = options;
  o.skip_verify = false;
  storage::BackupStore view = open_sealed(store, name, o);
  SealedStore& s = *detail::sealed_store(view);
  VerifyResult result;
  const std::optional<crypto::ChecksumManifest>* manifest = nullptr;
  s.want_items();  // the manifest's items spilled, merged below with the tarball's
  try {
    manifest = &s.expected();
  } catch (const Error& e) {
    if (e.code() == ErrorCode::not_found || e.code() == ErrorCode::storage || e.code() == ErrorCode::cancelled) throw;
    result.problems.emplace_back(e.what());
    return result;
  }
  result.warnings = s.warnings();
  result.encrypted = !s.recorded_fingerprints().empty();
  result.signature_verified = s.signature_verified();
  if (!*manifest) return result;
  result.has_manifest = true;
  const crypto::ChecksumManifest& expected = **manifest;

  crypto::ChecksumManifest actual;
  bool compare_items = true;
  const std::string manifest_name = detail::checksums_name(name);
  const std::string tarball_name = detail::base_name(store.backup_contents_key(name));
  for (const auto& f : expected.files) {
    if (f.file == "velero-backup.json") actual.files.push_back(f);  // checked when the manifest was loaded
  }
  for (const auto& key : store.objects().list_objects(s.dir())) {
    std::string base = detail::base_name(key);
    if (key == store.backup_metadata_key(name) || base == manifest_name || base == manifest_name + ".sig") continue;
    if (key.find('/', s.dir().size()) != std::string::npos) base = key.substr(s.dir().size());
    bool tarball = base == tarball_name;
    Found found = read_object(s, key, tarball, result.problems, s.expected_items());
    found.file.file = base;
    actual.files.push_back(found.file);
    // Unreadable: its items are not compared one by one (the error above names the tarball).
    if (tarball && !found.items_read) compare_items = false;
  }
  for (auto& p : expected.compare(actual)) result.problems.push_back(s.dir() + p);
  if (compare_items && s.expected_items()) {
    for (auto& p : detail::compare_items(*s.expected_items())) result.problems.push_back(s.dir() + p);
  }
  return result;
}

std::vector<std::string> check_files(storage::BackupStore& sealed, const std::string& except_key) {
  SealedStore* s = detail::sealed_store(sealed);
  if (!s || s->open_options().skip_verify) return {};
  std::vector<std::string> problems;
  const auto& manifest = s->expected();
  if (!manifest) return problems;
  const std::string manifest_name = detail::checksums_name(s->backup());
  std::map<std::string, bool> listed;
  for (const auto& f : manifest->files) {
    if (f.file != "velero-backup.json") listed[f.file] = false;
  }
  for (const auto& key : sealed.objects().list_objects(s->dir())) {
    std::string base = key.substr(s->dir().size());
    if (base == "velero-backup.json" || base == manifest_name || base == manifest_name + ".sig") continue;
    auto it = listed.find(base);
    if (it == listed.end()) {
      problems.push_back(key + ": unexpected (not in the checksum manifest)");
      continue;
    }
    it->second = true;
    if (key == except_key) continue;
    try {
      auto in = sealed.objects().get(key);
      char buf[64 * 1024];
      while (in->read(buf, sizeof buf) > 0) {
      }
    } catch (const Error& e) {
      if (e.code() == ErrorCode::not_found || e.code() == ErrorCode::storage || e.code() == ErrorCode::cancelled) throw;
      problems.emplace_back(e.what());
    }
  }
  for (const auto& [name, seen] : listed) {
    if (!seen) problems.push_back(s->dir() + name + ": missing (listed in the checksum manifest)");
  }
  return problems;
}

RekeyResult rekey_backup(storage::BackupStore& store, const std::string& name,
                         const std::vector<crypto::AgeIdentity>& identities, const SealOptions& seal) {
  const std::string what = "backup " + name;
  if (seal.recipients.empty()) throw Error(ErrorCode::invalid, what + ": rekey needs at least one new recipient");
  velero::Backup backup = get_backup(store, name);
  auto& ann = backup.metadata.annotations;
  if (ann.count(std::string(encryption_annotation)) == 0) {
    throw Error(ErrorCode::invalid, what + ": is not encrypted (no " + std::string(encryption_annotation) +
                                        " annotation); rekey rewrites the age headers of an encrypted backup");
  }
  const bool has_manifest = ann.count(std::string(checksums_annotation)) > 0;
  if (has_manifest && ann.count(std::string(signature_annotation)) > 0 && !seal.signing_key) {
    throw Error(ErrorCode::invalid, what + ": is signed; give the signing key to sign its new manifest (--sign-key)");
  }
  std::vector<std::string> old_fps;
  if (auto it = ann.find(std::string(recipients_annotation)); it != ann.end()) {
    std::string_view sv = it->second;
    while (!sv.empty()) {
      auto c = sv.find(',');
      old_fps.emplace_back(sv.substr(0, c));
      sv = c == std::string_view::npos ? std::string_view{} : sv.substr(c + 1);
    }
  }
  const std::string dir = store.backup_dir(name);
  const std::string manifest_key = dir + detail::checksums_name(name);
  // The manifest as stored now: not checked against the annotation, so that a rekey interrupted
  // after the manifest was rewritten can run again (age authenticates it).
  std::optional<crypto::ChecksumManifest> manifest;
  if (has_manifest) {
    StringInputStream in(store.objects().get_all(manifest_key, 1u << 30));
    HashingInput raw(std::make_unique<StringInputStream>(std::move(in)), manifest_key, std::nullopt);
    std::string text;
    if (raw.is_age()) {
      crypto::AgeDecryptor dec(raw, identities, manifest_key, old_fps);
      text = read_all(dec, 1u << 30, manifest_key);
    } else {
      text = read_all(raw, 1u << 30, manifest_key);
    }
    manifest = crypto::ChecksumManifest::parse(text, manifest_key);
  }
  RekeyResult result;
  for (const auto& r : seal.recipients) result.recipients.push_back(r.fingerprint());
  std::map<std::string, crypto::ChecksumEntry> new_hashes;
  for (const auto& key : store.objects().list_objects(dir)) {
    if (key == store.backup_metadata_key(name) || key == manifest_key || key == manifest_key + ".sig") continue;
    HashingInput raw(store.objects().get(key), key, std::nullopt);
    if (!raw.is_age()) continue;
    auto writer = store.objects().open_write(key);
    crypto::Sha256OutputStream hashed(writer.get());
    crypto::age_rekey(raw, hashed, identities, seal.recipients, key);
    std::string base = key.substr(dir.size());
    new_hashes[base] = crypto::ChecksumEntry{base, "", hashed.hash().size(), hashed.hash().hex_digest()};
    writer->commit();
    result.rewritten.push_back(key);
  }
  // The annotations, then the manifest (velero-backup.json's canonical form in it), then the record.
  std::string fps;
  for (const auto& f : result.recipients) fps += (fps.empty() ? "" : ",") + f;
  ann[std::string(recipients_annotation)] = fps;
  ann.erase(std::string(checksums_sha256_annotation));
  if (manifest) {
    std::string canonical = SealedStore::canonical_record(velero::write_backup_json(backup), store.backup_metadata_key(name));
    for (auto& f : manifest->files) {
      if (auto it = new_hashes.find(f.file); it != new_hashes.end()) f = it->second;
      if (f.file == "velero-backup.json") f = crypto::ChecksumEntry{f.file, "", canonical.size(), sha256_hex(canonical)};
    }
    StringOutputStream out;
    crypto::AgeEncryptor enc(out, seal.recipients, manifest_key);
    enc.write(manifest->to_json());
    enc.finish();
    std::string stored = out.take();
    store.objects().put(manifest_key, stored);
    result.rewritten.push_back(manifest_key);
    if (ann.count(std::string(signature_annotation))) {
      store.objects().put(manifest_key + ".sig", crypto::ssh_sign(*seal.signing_key, stored, signature_namespace));
    }
    ann[std::string(checksums_sha256_annotation)] = sha256_hex(stored);
  }
  persistence::put_backup_record(store, backup);
  return result;
}

}  // namespace vbackup::sealing
