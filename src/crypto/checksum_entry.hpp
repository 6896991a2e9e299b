// How the checksum manifest writes one entry (docs/crypto.md): shared by ChecksumManifest::to_json and
// the streaming writer of src/persistence (sealing_manifest.cpp), which must write the same bytes.
#pragma once

#include "vbackup/crypto.hpp"
#include "vbackup/json.hpp"

namespace vbackup::crypto {

// {"name","size","sha256"} for a file; {"tarball","path","size","sha256"} for an item; in that order.
json::object checksum_entry_json(const ChecksumEntry& e, bool item);

}  // namespace vbackup::crypto
