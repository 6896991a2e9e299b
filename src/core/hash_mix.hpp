// MurmurHash3's 64-bit finaliser, shared by core's ItemSet and DiskItemSet (the restore's and the backup's on-disk sets):
// every input bit reaches every output bit, so a table can index by the low bits of a weak hash.
#pragma once

#include <cstdint>

namespace vbackup::detail {

inline std::uint64_t fmix64(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xFF51AFD7ED558CCDULL;
  k ^= k >> 33;
  k *= 0xC4CEB9FE1A85EC53ULL;
  k ^= k >> 33;
  return k;
}

}  // namespace vbackup::detail
