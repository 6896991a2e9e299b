// backup verify|rekey and the sealing flags (seal_cmd.hpp): arguments mapped onto sealing.hpp.
#include "seal_cmd.hpp"

#include "output.hpp"

#include "vbackup/error.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>

namespace vbackup::cli {
namespace {

std::string read_text(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw invalid_input(flag + ": " + path + ": cannot be read");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

void add_seal_flags(CLI::App& cmd, SealFlags& f) {
  cmd.add_option("--encrypt-to", f.encrypt_to, "Encrypt the backup's files (all but velero-backup.json) to this age recipient (age1…; repeatable)");
  cmd.add_option("--encrypt-to-file", f.encrypt_to_files, "Encrypt to the recipients of this file (age -R format; repeatable)");
  cmd.add_option("--passphrase-env", f.passphrase_env, "Encrypt with the passphrase in this environment variable (age -p; alone)");
  cmd.add_option("--sign-key", f.sign_key, "Sign the checksum manifest with this unencrypted OpenSSH Ed25519 key (ssh-keygen -Y verify -n vbackup.io/backup checks it)");
}

sealing::SealOptions seal_options(const SealFlags& f) {
  sealing::SealOptions o;
  for (const auto& r : f.encrypt_to) o.recipients.push_back(crypto::AgeRecipient::parse(r, "--encrypt-to"));
  for (const auto& file : f.encrypt_to_files) {
    for (auto& r : crypto::parse_age_recipients(read_text("--encrypt-to-file", file), file)) o.recipients.push_back(std::move(r));
  }
  if (!f.passphrase_env.empty()) {
    const char* p = std::getenv(f.passphrase_env.c_str());
    if (!p || !*p) throw invalid_input("--passphrase-env: " + f.passphrase_env + " is not set or empty");
    if (!o.recipients.empty()) throw invalid_input("--passphrase-env: a passphrase must be the only recipient (age's rule)");
    o.recipients.push_back(crypto::AgeRecipient::passphrase(p));
  }
  if (!f.sign_key.empty()) o.signing_key = crypto::SshSigningKey::parse(read_text("--sign-key", f.sign_key), f.sign_key);
  return o;
}

void add_identity_flag(CLI::App& cmd, OpenFlags& f) {
  cmd.add_option("--identity", f.identity_files, "age identity file to decrypt an encrypted backup (repeatable; default $VBACKUP_IDENTITY_FILE)");
}

void add_verify_flags(CLI::App& cmd, OpenFlags& f, bool restore) {
  cmd.add_option("--allowed-signers", f.allowed_signers, "Check the backup's signature against this allowed signers file (ssh-keygen format)");
  cmd.add_option("--principal", f.principal, "The signer's principal in the allowed signers file");
  cmd.add_flag("--require-signature", f.require_signature, "Refuse a backup without a valid signature by --allowed-signers");
  if (restore) cmd.add_flag("--skip-verify", f.skip_verify, "Restore without checking the backup against its checksum manifest");
}

sealing::OpenOptions open_options(const OpenFlags& f) {
  sealing::OpenOptions o;
  std::vector<std::string> files = f.identity_files;
  if (files.empty()) {
    if (const char* env = std::getenv("VBACKUP_IDENTITY_FILE"); env && *env) files.emplace_back(env);
  }
  for (const auto& file : files) {
    for (auto& id : crypto::read_age_identity_file(file)) o.identities.push_back(std::move(id));
  }
  if (!f.allowed_signers.empty()) o.allowed_signers = read_text("--allowed-signers", f.allowed_signers);
  o.principal = f.principal;
  o.require_signature = f.require_signature;
  o.skip_verify = f.skip_verify;
  if (o.require_signature && o.allowed_signers.empty()) throw invalid_input("--require-signature: name --allowed-signers");
  return o;
}

void add_seal_commands(CLI::App& backup, const Common& common, int& rc) {
  struct Flags {
    std::string name, output;
    OpenFlags open;
    SealFlags seal;
  };
  auto f = std::make_shared<Flags>();
  auto* verify = backup.add_subcommand("verify", "Re-read every file and item of a backup and compare it with its checksum manifest (and signature)");
  verify->fallthrough();
  verify->add_option("name", f->name, "Backup name")->required();
  add_identity_flag(*verify, f->open);
  add_verify_flags(*verify, f->open, false);
  verify->add_option("-o,--output", f->output, "json or yaml instead of text");
  verify->callback([&common, &rc, f] {
    if (!f->output.empty()) check_output(f->output, false);
    auto store = open_store(common);
    auto r = sealing::verify_backup(*store.backups, f->name, open_options(f->open));
    if (!f->output.empty()) {
      print_object(std::cout, r.to_json(), f->output);
    } else {
      for (const auto& w : r.warnings) std::cerr << "Warning: " << w << "\n";
      for (const auto& p : r.problems) std::cout << p << "\n";
      if (r.ok()) {
        std::cout << "Backup \"" << f->name << "\": " << (r.has_manifest ? "matches its checksum manifest" : "not checked")
                  << (r.encrypted ? " (encrypted)" : "") << (r.signature_verified ? " (signature verified)" : "") << "\n";
      }
    }
    rc = r.ok() ? 0 : 1;
  });

  auto* rekey = backup.add_subcommand("rekey", "Rewrite the age headers of an encrypted backup for new recipients (payload kept)");
  rekey->fallthrough();
  rekey->add_option("name", f->name, "Backup name")->required();
  add_identity_flag(*rekey, f->open);
  add_seal_flags(*rekey, f->seal);
  rekey->callback([&common, &rc, f] {
    auto store = open_store(common);
    auto ids = open_options(f->open).identities;
    auto r = sealing::rekey_backup(*store.backups, f->name, ids, seal_options(f->seal));
    std::cout << "Backup \"" << f->name << "\": " << r.rewritten.size() << " files rekeyed to";
    for (const auto& fp : r.recipients) std::cout << " " << fp;
    std::cout << "\n";
    rc = 0;
  });
}

}  // namespace vbackup::cli
