// How the checksum manifest writes and checks one entry (docs/crypto.md): shared by ChecksumManifest::to_json and
// the streaming writer and reader of src/persistence (sealing_manifest.cpp), which must agree with it.
#pragma once

#include "vbackup/crypto.hpp"
#include "vbackup/json.hpp"

#include <string_view>

namespace vbackup::crypto {

// {"name","size","sha256"} for a file; {"tarball","path","size","sha256"} for an item; in that order.
json::object checksum_entry_json(const ChecksumEntry& e, bool item);

// A manifest's sha256 value: 64 lower-case hex digits.
bool is_sha256_hex(std::string_view s);

}  // namespace vbackup::crypto
