// The flags of encryption at rest and integrity (issue 16, sealing.hpp), shared by backup create,
// restore create, describe, logs, download, ls, cat; and backup verify|rekey (seal_cmd.cpp).
#pragma once

#include "common.hpp"

#include "vbackup/sealing.hpp"

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace vbackup::cli {

// backup create --encrypt-to age1… (repeatable) --encrypt-to-file FILE --passphrase-env NAME --sign-key FILE
struct SealFlags {
  std::vector<std::string> encrypt_to, encrypt_to_files;
  std::string passphrase_env, sign_key;
};
void add_seal_flags(CLI::App& cmd, SealFlags& f);
sealing::SealOptions seal_options(const SealFlags& f);

// --identity FILE (repeatable; default $VBACKUP_IDENTITY_FILE), and for restore create and backup
// verify: --allowed-signers FILE --principal P [--require-signature] [--skip-verify] (restore only).
struct OpenFlags {
  std::vector<std::string> identity_files;
  std::string allowed_signers, principal;
  bool require_signature = false, skip_verify = false;
};
void add_identity_flag(CLI::App& cmd, OpenFlags& f);
void add_verify_flags(CLI::App& cmd, OpenFlags& f, bool restore);
sealing::OpenOptions open_options(const OpenFlags& f);

// backup verify NAME, backup rekey NAME, under `backup`.
void add_seal_commands(CLI::App& backup, const Common& common, int& rc);

}  // namespace vbackup::cli
