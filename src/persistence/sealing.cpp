// The sealed view of one backup's folder (sealing.hpp): age in front of every object on write, the
// SHA-256 of the bytes as stored collected into <b>-checksums.json; on read, the age magic sniffed,
// decryption, and each object checked against the manifest at its end.
#include "persistence/sealed_store.hpp"

#include "vbackup/error.hpp"
#include "vbackup/json.hpp"
#include "vbackup/velero_backup.hpp"

#include <cstdlib>
#include <cstring>

namespace vbackup::sealing {
namespace detail {

std::string base_name(const std::string& key) {
  auto slash = key.rfind('/');
  return slash == std::string::npos ? key : key.substr(slash + 1);
}

std::string checksums_name(const std::string& backup) { return backup + "-checksums.json"; }

// ---- reading ------------------------------------------------------------------------------------

HashingInput::HashingInput(std::unique_ptr<InputStream> raw, std::string key, std::optional<crypto::ChecksumEntry> expected)
    : raw_(std::move(raw)), key_(std::move(key)), expected_(std::move(expected)) {}

std::size_t HashingInput::raw_read(void* buffer, std::size_t size) {
  if (ended_ || size == 0) return 0;
  std::size_t n = raw_->read(buffer, size);
  if (n > 0) {
    hash_.update(buffer, n);
    return n;
  }
  ended_ = true;
  std::uint64_t found_size = found_size_ = hash_.size();
  std::string found = found_sha256_ = hash_.hex_digest();
  if (expected_) {
    if (found_size != expected_->size) {
      problem_ = key_ + ": size differs from the checksum manifest (expected " + std::to_string(expected_->size) +
                 ", found " + std::to_string(found_size) + ")";
    } else if (found != expected_->sha256) {
      problem_ = key_ + ": sha256 differs from the checksum manifest (expected " + expected_->sha256 + ", found " +
                 found + ")";
    }
    if (problem_) throw Error(ErrorCode::invalid, *problem_);
  }
  return 0;
}

bool HashingInput::is_age() {
  if (!sniffed_done_) {
    sniffed_done_ = true;
    char buf[age_magic.size()];
    while (sniffed_.size() < age_magic.size()) {
      std::size_t n = raw_read(buf, age_magic.size() - sniffed_.size());
      if (n == 0) break;
      sniffed_.append(buf, n);
    }
  }
  return sniffed_ == age_magic;
}

std::size_t HashingInput::read(void* buffer, std::size_t size) {
  if (sniff_pos_ < sniffed_.size()) {
    std::size_t n = std::min(size, sniffed_.size() - sniff_pos_);
    std::memcpy(buffer, sniffed_.data() + sniff_pos_, n);
    sniff_pos_ += n;
    return n;
  }
  return raw_read(buffer, size);
}

std::string HashingInput::finish() {
  char buf[64 * 1024];
  try {
    while (raw_read(buf, sizeof buf) > 0) {
    }
  } catch (const Error&) {
    if (!problem_) throw;
  }
  return problem_.value_or("");
}

SealedInput::SealedInput(std::unique_ptr<HashingInput> raw, const std::vector<crypto::AgeIdentity>& identities,
                         std::vector<std::string> expected_fingerprints)
    : raw_(std::move(raw)) {
  if (raw_->is_age()) {
    decryptor_ = std::make_unique<crypto::AgeDecryptor>(*raw_, identities, raw_->key(), std::move(expected_fingerprints));
  }
}

std::size_t SealedInput::read(void* buffer, std::size_t size) {
  if (!decryptor_) return raw_->read(buffer, size);
  std::size_t n = decryptor_->read(buffer, size);
  if (n == 0 && size > 0) {
    // The payload ended: the stored bytes must have too (and match).
    if (auto problem = raw_->finish(); !problem.empty()) throw Error(ErrorCode::invalid, problem);
  }
  return n;
}

// ---- the store ----------------------------------------------------------------------------------

namespace {

// An upload of the sealed folder: [age →] SHA-256 of the stored bytes → the inner upload.
// Passes bytes on to the manifest's writer and, when it is to be signed, keeps them.
class KeepingOutput final : public OutputStream {
 public:
  KeepingOutput(OutputStream& sink, bool keep) : sink_(sink), keep_(keep) {}
  using OutputStream::write;
  void write(const void* data, std::size_t size) override {
    sink_.write(data, size);
    if (keep_) bytes.append(static_cast<const char*>(data), size);
  }
  std::string bytes;

 private:
  OutputStream& sink_;
  bool keep_;
};

class SealedWriter final : public storage::ObjectWriter {
 public:
  SealedWriter(SealedStore& store, std::string key, std::unique_ptr<storage::ObjectWriter> inner,
               const std::vector<crypto::AgeRecipient>& recipients)
      : store_(store), key_(std::move(key)), inner_(std::move(inner)), hasher_(inner_.get()) {
    if (!recipients.empty()) encryptor_ = std::make_unique<crypto::AgeEncryptor>(hasher_, recipients, key_);
  }
  using OutputStream::write;
  void write(const void* data, std::size_t size) override {
    if (encryptor_) {
      encryptor_->write(data, size);
    } else {
      hasher_.write(data, size);
    }
  }
  void commit() override {
    if (encryptor_) encryptor_->finish();
    crypto::ChecksumEntry entry{base_name(key_), "", hasher_.hash().size(), hasher_.hash().hex_digest()};
    inner_->commit();
    store_.record_file(entry);
  }
  std::uint64_t bytes_written() const override { return inner_->bytes_written(); }

 private:
  SealedStore& store_;
  std::string key_;
  std::unique_ptr<storage::ObjectWriter> inner_;
  crypto::Sha256OutputStream hasher_;
  std::unique_ptr<crypto::AgeEncryptor> encryptor_;
};

std::string sha256_hex(std::string_view bytes) {
  crypto::Sha256 h;
  h.update(bytes);
  return h.hex_digest();
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

}  // namespace

SealedStore::SealedStore(std::shared_ptr<storage::ObjectStore> inner, std::string root, std::string backup)
    : inner_(std::move(inner)), backup_(std::move(backup)) {
  dir_ = root + "backups/" + backup_ + "/";
  record_key_ = dir_ + "velero-backup.json";
  manifest_key_ = dir_ + checksums_name(backup_);
  signature_key_ = manifest_key_ + ".sig";
  tarball_key_ = dir_ + backup_ + ".tar.gz";
}

bool SealedStore::sealed_key(const std::string& key) const {
  return !backup_.empty() && key.size() > dir_.size() && key.compare(0, dir_.size(), dir_) == 0 && key != record_key_;
}

SealedStore::~SealedStore() {
  if (preparing_.joinable()) preparing_.join();
}

void SealedStore::record_file(const crypto::ChecksumEntry& entry) {
  if (entry.file == base_name(manifest_key_) || entry.file == base_name(signature_key_)) return;
  std::lock_guard lock(mutex_);
  files_[entry.file] = entry;
  if (entry.file == base_name(tarball_key_) && hasher_ && !items_closed_) {
    // The tarball is committed, so every item is recorded: the rest of the hashing and the items'
    // sort, merge and JSON run now, beside the backup's side files (issue 17, session 6).
    items_closed_ = true;
    preparing_ = std::thread([this, hasher = std::move(hasher_)]() mutable {
      try {
        hasher->finish();
        hasher.reset();
        prepared_ = prepare_items(*items_);
        items_.reset();  // its run files (on disk) gone before the manifest is written
      } catch (...) {
        prepare_error_ = std::current_exception();
      }
    });
  }
}

void SealedStore::record_item(std::string_view path, std::string_view bytes) {
  // Hashed on the hasher's thread (issue 17, session 6); the backup's thread copies the item only.
  std::lock_guard lock(mutex_);  // one producer at a time (ItemHasher::add)
  if (items_closed_) {
    throw Error(ErrorCode::generic, "checksum manifest: item " + std::string(path) + " recorded after " +
                                        base_name(tarball_key_) + " was committed");
  }
  if (!items_) items_ = std::make_unique<ItemSpill>();
  if (!hasher_) {
    hasher_ = std::make_unique<ItemHasher>(
        [items = items_.get(), file = base_name(tarball_key_)](std::string_view p, std::uint64_t size, const unsigned char* sha256) {
          items->add(file, p, size, sha256, 0);
        });
  }
  hasher_->add(path, bytes);
}

std::unique_ptr<storage::ObjectWriter> SealedStore::open_write(const std::string& key) {
  auto inner = inner_->open_write(key);
  if (!writing_ || !sealed_key(key)) return inner;
  return std::make_unique<SealedWriter>(*this, key, std::move(inner), seal_.recipients);
}

std::string SealedStore::signed_url(const std::string& key, std::chrono::seconds ttl) {
  // A URL hands out the stored bytes: ciphertext for an encrypted backup (age -d opens it).
  return inner_->signed_url(key, ttl);
}

// The form of velero-backup.json the manifest hashes: its JSON marshalled again without the
// checksums-sha256 annotation, which is written after the manifest and cannot be part of it.
std::string SealedStore::canonical_record(std::string_view record_json, std::string_view what) {
  json::value v = json::parse(record_json, what);
  if (auto* o = v.if_object()) {
    if (auto* md = o->if_contains("metadata"); md && md->is_object()) {
      if (auto* ann = md->as_object().if_contains("annotations"); ann && ann->is_object()) {
        ann->as_object().erase(checksums_sha256_annotation);
        if (ann->as_object().empty()) md->as_object().erase("annotations");
      }
    }
  }
  return json::marshal(v);
}

void SealedStore::write_seal(velero::Backup& backup) {
  auto& ann = backup.metadata.annotations;
  std::vector<std::string> fps;
  for (const auto& r : seal_.recipients) fps.push_back(r.fingerprint());
  if (!fps.empty()) {
    ann[std::string(encryption_annotation)] = "age";
    ann[std::string(recipients_annotation)] = join(fps, ",");
  } else {
    ann.erase(std::string(encryption_annotation));
    ann.erase(std::string(recipients_annotation));
  }
  ann[std::string(checksums_annotation)] = base_name(manifest_key_);
  if (seal_.signing_key) {
    ann[std::string(signature_annotation)] = base_name(signature_key_);
  } else {
    ann.erase(std::string(signature_annotation));
  }
  ann.erase(std::string(checksums_sha256_annotation));

  // Every item hashed and in the spill, or rendered already; the hasher's failure is the seal's.
  if (std::lock_guard lock(mutex_); preparing_.joinable()) {
    preparing_.join();
    if (prepare_error_) std::rethrow_exception(prepare_error_);
  } else if (hasher_) {  // a tarball not committed through this store
    hasher_->finish();
    hasher_.reset();
  }
  std::vector<crypto::ChecksumEntry> files;
  {
    std::string canonical = canonical_record(velero::write_backup_json(backup), record_key_);
    std::lock_guard lock(mutex_);
    files_["velero-backup.json"] = crypto::ChecksumEntry{"velero-backup.json", "", canonical.size(), sha256_hex(canonical)};
    for (auto& [k, e] : files_) files.push_back(e);
  }
  // Streamed (issue 17): items from the spill, through age, hashed as stored; the bytes are kept
  // only to be signed (ssh_sign takes the message whole).
  auto writer = inner_->open_write(manifest_key_);
  KeepingOutput kept(*writer, seal_.signing_key.has_value());
  crypto::Sha256OutputStream hashed(&kept);
  if (!seal_.recipients.empty()) {
    crypto::AgeEncryptor enc(hashed, seal_.recipients, manifest_key_);
    if (prepared_) write_manifest(enc, std::move(files), *prepared_);
    else write_manifest(enc, std::move(files), items_.get());
    enc.finish();
  } else if (prepared_) {
    write_manifest(hashed, std::move(files), *prepared_);
  } else {
    write_manifest(hashed, std::move(files), items_.get());
  }
  prepared_.reset();
  writer->commit();
  if (seal_.signing_key) inner_->put(signature_key_, crypto::ssh_sign(*seal_.signing_key, kept.bytes, signature_namespace));
  ann[std::string(checksums_sha256_annotation)] = hashed.hash().hex_digest();
}

std::vector<std::string> SealedStore::warnings() {
  expected();
  return warnings_;
}

const std::optional<crypto::ChecksumManifest>& SealedStore::expected() {
  std::lock_guard lock(mutex_);
  if (!loaded_) {
    load();
    loaded_ = true;
  }
  return expected_;
}

void SealedStore::load() {
  const std::string record = inner_->get_all(record_key_, 64u << 20);
  json::value v = json::parse(record, record_key_);
  std::map<std::string, std::string> ann;
  if (const auto* o = v.if_object()) {
    if (const auto* a = json::metadata_map(*o, "annotations")) {
      for (const auto& [k, val] : *a) {
        if (val.is_string()) ann[std::string(k)] = std::string(val.as_string());
      }
    }
  }
  fingerprints_.clear();
  if (auto it = ann.find(std::string(recipients_annotation)); it != ann.end()) {
    std::string_view s = it->second;
    while (!s.empty()) {
      auto comma = s.find(',');
      fingerprints_.emplace_back(s.substr(0, comma));
      s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
    }
  }
  auto checksums = ann.find(std::string(checksums_annotation));
  if (checksums == ann.end()) {
    warnings_.emplace_back(no_manifest_warning);
    if (open_.require_signature) {
      throw Error(ErrorCode::invalid, "backup " + backup_ + ": a signature is required and the backup has no "
                                      "checksum manifest to sign (written by Velero or before vbackup 0.x)");
    }
    return;
  }
  if (checksums->second != base_name(manifest_key_)) {
    throw Error(ErrorCode::invalid, record_key_ + ": annotation " + std::string(checksums_annotation) + " is \"" +
                                        checksums->second + "\", expected \"" + base_name(manifest_key_) + "\"");
  }
  std::string pinned = ann[std::string(checksums_sha256_annotation)];
  const bool has_signature = ann.count(std::string(signature_annotation)) > 0;
  if (open_.require_signature && !has_signature) {
    throw Error(ErrorCode::invalid, "backup " + backup_ + ": a signature is required and the backup is not signed");
  }
  const bool check_signature = has_signature && !open_.allowed_signers.empty();
  if (open_.require_signature && !check_signature) {
    throw Error(ErrorCode::invalid, "backup " + backup_ + ": a signature is required: name an allowed signers file");
  }
  auto missing = [&](const Error& e) {
    if (e.code() != ErrorCode::not_found) throw e;
    throw Error(ErrorCode::invalid, manifest_key_ + ": missing (velero-backup.json names it)");
  };
  std::unique_ptr<InputStream> source;
  if (check_signature) {
    // ssh_verify takes the message whole: a signed manifest is read into memory to be checked.
    std::string stored;
    try {
      stored = inner_->get_all(manifest_key_, 1u << 30);
    } catch (const Error& e) {
      missing(e);
    }
    if (std::string found = sha256_hex(stored); found != pinned) {
      throw Error(ErrorCode::invalid, manifest_key_ + ": sha256 differs from velero-backup.json's annotation " +
                                          std::string(checksums_sha256_annotation) + " (expected " + pinned +
                                          ", found " + found + ")");
    }
    std::string sig;
    try {
      sig = inner_->get_all(signature_key_, 1u << 20);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::not_found) throw;
      throw Error(ErrorCode::invalid, signature_key_ + ": missing (velero-backup.json names it)");
    }
    if (open_.principal.empty()) {
      throw Error(ErrorCode::invalid, "backup " + backup_ + ": checking the signature needs a principal (--principal)");
    }
    crypto::ssh_verify(sig, stored, signature_namespace, open_.principal, open_.allowed_signers, signature_key_);
    signature_verified_ = true;
    source = std::make_unique<StringInputStream>(std::move(stored));
  } else {
    try {
      source = inner_->get(manifest_key_);
    } catch (const Error& e) {
      missing(e);
    }
  }
  // Streamed (issue 17): hashed as stored, decrypted, parsed; the files kept, the items spilled
  // for verify or only checked. The hash is compared first: a manifest altered is named as such
  // rather than by the decryption or parse error it causes.
  HashingInput raw(std::move(source), manifest_key_, std::nullopt);
  try {
    raw.is_age();
  } catch (const Error& e) {
    missing(e);
  }
  if (want_items_) items_ = std::make_unique<ItemSpill>();
  ParsedManifest parsed;
  std::optional<Error> parse_error;
  try {
    if (raw.is_age()) {
      crypto::AgeDecryptor dec(raw, open_.identities, manifest_key_, fingerprints_);
      parsed = read_manifest(dec, manifest_key_, items_.get());
    } else {
      parsed = read_manifest(raw, manifest_key_, items_.get());
    }
  } catch (const Error& e) {
    if (e.code() == ErrorCode::storage || e.code() == ErrorCode::cancelled) throw;
    parse_error = e;
  }
  raw.finish();
  if (raw.found_sha256() != pinned) {
    throw Error(ErrorCode::invalid, manifest_key_ + ": sha256 differs from velero-backup.json's annotation " +
                                        std::string(checksums_sha256_annotation) + " (expected " + pinned +
                                        ", found " + raw.found_sha256() + ")");
  }
  if (parse_error) throw *parse_error;
  expected_ = crypto::ChecksumManifest{std::move(parsed.files), {}};
  // velero-backup.json is in the manifest in its canonical form.
  std::string canonical = canonical_record(record, record_key_);
  std::string found = sha256_hex(canonical);
  bool listed = false;
  for (const auto& f : expected_->files) {
    if (f.file != "velero-backup.json") continue;
    listed = true;
    if (f.sha256 != found || f.size != canonical.size()) {
      throw Error(ErrorCode::invalid, record_key_ + ": sha256 differs from the checksum manifest (expected " + f.sha256 +
                                          ", found " + found + ")");
    }
  }
  if (!listed) throw Error(ErrorCode::invalid, record_key_ + ": missing from the checksum manifest");
}

std::unique_ptr<SealedInput> SealedStore::open_unchecked(const std::string& key) {
  auto raw = std::make_unique<HashingInput>(inner_->get(key), key, std::nullopt);
  return std::make_unique<SealedInput>(std::move(raw), open_.identities, recorded_fingerprints());
}

std::unique_ptr<InputStream> SealedStore::get(const std::string& key, const storage::ByteRange& range) {
  if (writing_ || !sealed_key(key)) return inner_->get(key, range);
  if (range.offset != 0 || range.length) {
    throw Error(ErrorCode::unsupported, key + ": a ranged read of a sealed backup's object");
  }
  std::optional<crypto::ChecksumEntry> entry;
  if (open_.skip_verify) {
    try {
      expected();  // the fingerprints for errors; a bad manifest is not checked
    } catch (const Error& e) {
      if (e.code() != ErrorCode::invalid) throw;
    }
    auto raw = std::make_unique<HashingInput>(inner_->get(key), key, std::nullopt);
    return std::make_unique<SealedInput>(std::move(raw), open_.identities, fingerprints_);
  }
  const auto& manifest = expected();  // velero-backup.json read first: the fingerprints for errors
  if (!open_.skip_verify && manifest && key != manifest_key_ && key != signature_key_) {
    std::string name = base_name(key);
    for (const auto& f : manifest->files) {
      if (f.file == name) entry = f;
    }
    if (!entry) throw Error(ErrorCode::invalid, key + ": not in the checksum manifest " + base_name(manifest_key_));
  }
  auto raw = std::make_unique<HashingInput>(inner_->get(key), key, std::move(entry));
  return std::make_unique<SealedInput>(std::move(raw), open_.identities, fingerprints_);
}

SealedStore* sealed_store(storage::BackupStore& store) { return dynamic_cast<SealedStore*>(&store.objects()); }

}  // namespace detail

using detail::SealedStore;

std::vector<crypto::AgeRecipient> parse_recipients(std::string_view list, std::string_view what) {
  std::vector<crypto::AgeRecipient> out;
  std::size_t i = 0;
  while (i < list.size()) {
    std::size_t j = list.find_first_of(", \t\r\n", i);
    if (j == std::string_view::npos) j = list.size();
    if (j > i) out.push_back(crypto::AgeRecipient::parse(list.substr(i, j - i), what));
    i = j + 1;
  }
  return out;
}

namespace {
std::shared_ptr<storage::ObjectStore> borrow(storage::BackupStore& store) {
  // The view does not own the store it wraps: the caller's BackupStore outlives it.
  return std::shared_ptr<storage::ObjectStore>(&store.objects(), [](storage::ObjectStore*) {});
}
}  // namespace

storage::BackupStore seal_for_writing(storage::BackupStore& store, const std::string& backup, SealOptions options) {
  auto sealed = std::make_shared<SealedStore>(borrow(store), store.root(), backup);
  sealed->set_seal(std::move(options));
  return storage::BackupStore(sealed, store.root());
}

std::function<void(std::string_view, std::string_view)> tar_entry_observer(storage::BackupStore& sealed) {
  SealedStore* s = detail::sealed_store(sealed);
  if (!s) return {};
  return [s](std::string_view path, std::string_view bytes) { s->record_item(path, bytes); };
}

void write_seal(storage::BackupStore& sealed, velero::Backup& backup) {
  if (SealedStore* s = detail::sealed_store(sealed)) s->write_seal(backup);
}

storage::BackupStore open_sealed(storage::BackupStore& store, const std::string& backup, OpenOptions options) {
  // Readers without an identity fall back to VBACKUP_IDENTITY_FILE (the CLI's variable; `vbackup server
  // --identity-file` sets it), so the server's restores and log downloads open encrypted backups.
  if (options.identities.empty()) {
    if (const char* env = std::getenv("VBACKUP_IDENTITY_FILE"); env && *env) {
      options.identities = crypto::read_age_identity_file(env);
    }
  }
  auto sealed = std::make_shared<SealedStore>(borrow(store), store.root(), backup);
  sealed->set_open(std::move(options));
  return storage::BackupStore(sealed, store.root());
}

std::vector<std::string> sealed_warnings(storage::BackupStore& sealed) {
  SealedStore* s = detail::sealed_store(sealed);
  return s ? s->warnings() : std::vector<std::string>{};
}

std::string finish_read(InputStream& in) {
  auto* s = dynamic_cast<detail::SealedInput*>(&in);
  if (!s) return {};
  try {
    return s->finish();
  } catch (const Error&) {
    return {};  // the download itself failed: the caller's error stands
  }
}

}  // namespace vbackup::sealing
