// Encryption at rest and integrity of a stored backup (issue 16, docs/crypto.md "Wiring"): the seam
// between a backup's folder and everything that writes or reads it. A sealed view of a BackupStore
// is an ObjectStore decorator for backups/<b>/ that
//  - on write, puts an age encryptor (when there are recipients) and a SHA-256 of the bytes as stored
//    in front of every object except velero-backup.json, and collects them into the checksum manifest
//    <b>-checksums.json (written by write_seal, signed when asked, before velero-backup.json);
//  - on read, sniffs the age magic and decrypts, and checks each object against the manifest when
//    the whole object has been read (an object read to its end that differs throws Error(invalid)).
// The backup runner, describe, logs, download, inspect and restore read and write through it
// unchanged. velero-backup.json stays plain so that a Velero server syncs the backup.
#pragma once

#include "vbackup/crypto.hpp"
#include "vbackup/layout.hpp"
#include "vbackup/velero.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::sealing {

// Annotations of velero-backup.json (metadata.annotations, which Velero keeps when it syncs).
inline constexpr std::string_view encryption_annotation = "vbackup.io/encryption";  // "age"
// The recipients' fingerprints, comma separated ("x25519:3f2a…,x25519:8d7e…"), never the keys.
inline constexpr std::string_view recipients_annotation = "vbackup.io/encryption-recipients";
inline constexpr std::string_view checksums_annotation = "vbackup.io/checksums";  // "<b>-checksums.json"
// SHA-256 of the manifest's bytes as stored.
inline constexpr std::string_view checksums_sha256_annotation = "vbackup.io/checksums-sha256";
inline constexpr std::string_view signature_annotation = "vbackup.io/signature";  // "<b>-checksums.json.sig"
// On a Schedule or a BackupStorageLocation: the age recipients ("age1…", comma or space separated)
// its backups are encrypted to.
inline constexpr std::string_view encrypt_to_annotation = "vbackup.io/encrypt-to";
// The SSHSIG namespace of a backup's signature.
inline constexpr std::string_view signature_namespace = "vbackup.io/backup";
inline constexpr std::string_view no_manifest_warning =
    "no checksum manifest (written by Velero or before vbackup 0.x)";

// What a backup is sealed with.
struct SealOptions {
  std::vector<crypto::AgeRecipient> recipients;  // none: not encrypted (the manifest is written anyway)
  std::optional<crypto::SshSigningKey> signing_key;
};

// What a reader opens a backup with.
struct OpenOptions {
  std::vector<crypto::AgeIdentity> identities;
  std::string allowed_signers;  // the allowed signers file's content (ssh-keygen -Y verify -f)
  std::string principal;        // -I; "" accepts any principal of the file ("*")
  bool require_signature = false;
  bool skip_verify = false;  // read without checking the manifest (decryption still authenticates)
};

// The recipients of "age1…" strings (flags, an annotation: comma, space or newline separated);
// errors name `what`.
std::vector<crypto::AgeRecipient> parse_recipients(std::string_view list, std::string_view what);

// The keys of the C API's and Python's options (vbackup.h): for a backup, "encryptTo": ["age1…"],
// "passphrase": "…", "signKeyFile": "PATH"; for a reader, "identityFile": "PATH" or "identities":
// "AGE-SECRET-KEY-1…" (an identity file's text), "allowedSignersFile": "PATH" or "allowedSigners":
// "TEXT", "principal", "requireSignature", "skipVerify". Keys absent are left as they are; a
// wrong type is Error(invalid) naming `what` and the key.
void seal_options_from_json(const json::object& o, std::string_view what, SealOptions& out);
void open_options_from_json(const json::object& o, std::string_view what, OpenOptions& out);

// ---- writing -----------------------------------------------------------------------------------

// A view of `store` whose writes under backups/<backup>/ are sealed with `options`.
storage::BackupStore seal_for_writing(storage::BackupStore& store, const std::string& backup, SealOptions options);
// Called by the tar writer for every entry (path, bytes as written): records the item hashes of the
// tarball in the manifest of a view from seal_for_writing; an empty function for any other store.
std::function<void(std::string_view, std::string_view)> tar_entry_observer(storage::BackupStore& sealed);
// On a view from seal_for_writing, after every other file of the backup: sets the annotations on
// `backup`, writes <b>-checksums.json (and <b>-checksums.json.sig when signing). Does nothing on any
// other store. velero-backup.json goes after it (persistence::put_backup_record).
void write_seal(storage::BackupStore& sealed, velero::Backup& backup);

// Issue 17 (brief s3-seal2): the checksum manifest's item entries go through a sorted spill on disk
// while a backup is written and while one is verified. Process-wide counters since the last reset:
// the entries that went through a spill, and the most of them held in memory at once.
struct ManifestCounters {
  std::uint64_t items = 0;
  std::size_t peak_resident_items = 0;
};
ManifestCounters manifest_counters();
void reset_manifest_counters();

// ---- reading -----------------------------------------------------------------------------------

// A view of `store` that decrypts and checks the objects of backups/<backup>/. The manifest is read
// (its hash checked against velero-backup.json, its signature when required) on the first read;
// errors are Error(invalid) naming the file, or Error(not_found) for a missing identity (naming the
// recorded fingerprints).
storage::BackupStore open_sealed(storage::BackupStore& store, const std::string& backup, OpenOptions options);
// The warnings of a view from open_sealed so far (no_manifest_warning).
std::vector<std::string> sealed_warnings(storage::BackupStore& sealed);
// For a stream that a view from open_sealed returned and a reader stopped using early (an error):
// reads the rest of the stored object and returns its difference from the manifest ("" if none or
// unknown). Lets restore name the altered file instead of the decompressor's error.
std::string finish_read(InputStream& in);

// On a view from open_sealed: reads every object of the backup's folder but `except_key` (the
// tarball, checked while it is spooled) and returns each difference from the manifest (missing,
// unexpected, size, sha256, decryption); empty without a manifest or with skip_verify.
std::vector<std::string> check_files(storage::BackupStore& sealed, const std::string& except_key);

struct VerifyResult {
  std::vector<std::string> problems;  // each by path: missing, unexpected, size, sha256, signature
  std::vector<std::string> warnings;  // no_manifest_warning
  bool has_manifest = false, encrypted = false, signature_verified = false;
  bool ok() const { return problems.empty(); }
  json::object to_json() const;  // {"problems": [...], "warnings": [...], "hasManifest", "encrypted", "signatureVerified"}
};

// Re-reads every object of backups/<name>/ and every item of its tarball and compares them with the
// manifest. Error(not_found) when the backup does not exist.
VerifyResult verify_backup(storage::BackupStore& store, const std::string& name, const OpenOptions& options);

// Key rotation: rewrites the age header of every encrypted object of the backup for
// `seal.recipients` (crypto::age_rekey: payload bytes kept), then the manifest (whose file hashes
// changed; signed again with seal.signing_key, which a signed backup needs) and, last,
// velero-backup.json's annotations. Each object is replaced whole (an upload is visible only once
// committed), so an interrupted rekey leaves every object readable by the old or the new identity;
// verify and restore refuse such a backup until rekey runs again with both identities.
struct RekeyResult {
  std::vector<std::string> rewritten;   // keys whose header was rewritten
  std::vector<std::string> recipients;  // the new fingerprints
  json::object to_json() const;
};
RekeyResult rekey_backup(storage::BackupStore& store, const std::string& name,
                         const std::vector<crypto::AgeIdentity>& identities, const SealOptions& seal);

}  // namespace vbackup::sealing
