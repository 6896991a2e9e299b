// Tar headers byte for byte as Go's archive/tar Writer.WriteHeader produces them for the headers
// Velero writes (spec §1.1: Typeflag '0', Mode 0755, Format left unspecified). libarchive's writer
// cannot do this: it formats numbers as "000755 \0" where Go writes "0000755\0" and splits long
// paths at the first fitting '/' where Go takes the last one, so the framing is ours.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vbackup::archive::detail {

inline constexpr std::size_t kBlockSize = 512;

// Everything that precedes the body of a regular file `name` of `size` bytes modified at `mtime`
// (Unix seconds): one USTAR block, or — when the name is not ASCII, or longer than 100 bytes and
// cannot be split into prefix/name at a '/', or the size does not fit 11 octal digits — a PAX
// extended header ("<dir>/PaxHeaders.0/<file>", records sorted by key) followed by the main block.
std::string go_file_header(std::string_view name, std::uint64_t size, std::int64_t mtime);

// Zero bytes that pad a body of `size` bytes to a whole block.
inline std::size_t block_padding(std::uint64_t size) {
  return static_cast<std::size_t>((kBlockSize - size % kBlockSize) % kBlockSize);
}

// Go's ModTime.Round(time.Second) of the current time.
std::int64_t go_now_seconds();

}  // namespace vbackup::archive::detail
