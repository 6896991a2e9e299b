// Go archive/tar header encoding (writer.go writeUSTARHeader / writePAXHeader / writeRawFile,
// strconv.go formatString / formatOctal / formatPAXRecord, format.go setFormat), restated from the
// behaviour, for the one header shape Velero writes.
#include "archive/tar_header.hpp"

#include <algorithm>
#include <array>
#include <chrono>

namespace vbackup::archive::detail {

namespace {

constexpr std::size_t kNameSize = 100;
constexpr std::size_t kPrefixSize = 155;

// Field offsets and lengths of the USTAR header block.
struct Field {
  std::size_t offset, size;
};
constexpr Field kName{0, 100}, kMode{100, 8}, kUid{108, 8}, kGid{116, 8}, kSize{124, 12}, kMtime{136, 12},
    kChksum{148, 8}, kTypeflag{156, 1}, kMagic{257, 6}, kVersion{263, 2}, kDevMajor{329, 8}, kDevMinor{337, 8},
    kPrefix{345, 155};

using Block = std::array<char, kBlockSize>;

// formatString: copy, NUL-terminate when shorter; a truncated value never ends the field in '/'.
void put_string(Block& b, Field f, std::string_view s) {
  std::size_t n = std::min(s.size(), f.size);
  std::copy_n(s.data(), n, b.data() + f.offset);
  if (s.size() < f.size) b[f.offset + s.size()] = '\0';
  if (s.size() > f.size && b[f.offset + f.size - 1] == '/') {
    std::string_view kept = s.substr(0, f.size - 1);
    while (!kept.empty() && kept.back() == '/') kept.remove_suffix(1);
    b[f.offset + kept.size()] = '\0';
  }
}

bool fits_in_octal(std::size_t field_size, std::uint64_t x) {
  return field_size >= 22 || x < (std::uint64_t{1} << (3 * (field_size - 1)));
}

// formatOctal: zero-padded to size-1 digits, NUL-terminated; a value that does not fit becomes 0.
void put_octal(Block& b, Field f, std::uint64_t x) {
  if (!fits_in_octal(f.size, x)) x = 0;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + (x & 7)));
    x >>= 3;
  } while (x != 0);
  if (digits.size() + 1 < f.size) digits.insert(0, f.size - 1 - digits.size(), '0');
  put_string(b, f, digits);
}

// setFormat(USTAR|PAX): magic "ustar\0", version "00", then the checksum as 6 octal digits, NUL, space.
void finish_block(Block& b) {
  put_string(b, kMagic, std::string_view("ustar\0", 6));
  put_string(b, kVersion, "00");
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < kBlockSize; ++i) {
    bool in_chksum = i >= kChksum.offset && i < kChksum.offset + kChksum.size;
    sum += in_chksum ? ' ' : static_cast<unsigned char>(b[i]);
  }
  put_octal(b, Field{kChksum.offset, 7}, sum);
  b[kChksum.offset + 7] = ' ';
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80 && c != '\0'; });
}

// toASCII: Go ranges over runes and keeps those below 0x80 (NUL excepted); invalid UTF-8 decodes
// to U+FFFD, so byte-wise this drops every byte ≥ 0x80.
std::string to_ascii(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x80 && c != '\0') out.push_back(c);
  }
  return out;
}

struct UstarSplit {
  std::string_view prefix, name;
};

// splitUSTARPath: the last '/' within the first 156 bytes, giving prefix ≤ 155 and name ≤ 100.
bool split_ustar_path(std::string_view name, UstarSplit& out) {
  std::size_t length = name.size();
  if (length <= kNameSize || !is_ascii(name)) return false;
  if (length > kPrefixSize + 1) {
    length = kPrefixSize + 1;
  } else if (name[length - 1] == '/') {
    --length;
  }
  std::size_t i = name.substr(0, length).rfind('/');
  if (i == std::string_view::npos || i == 0) return false;
  std::size_t nlen = name.size() - i - 1;
  if (nlen > kNameSize || nlen == 0 || i > kPrefixSize) return false;
  out = {name.substr(0, i), name.substr(i + 1)};
  return true;
}

// formatPAXRecord: "<len> <key>=<value>\n" where <len> counts the whole record, itself included.
std::string pax_record(std::string_view key, std::string_view value) {
  std::size_t size = key.size() + value.size() + 3;
  size += std::to_string(size).size();
  std::string record = std::to_string(size) + " " + std::string(key) + "=" + std::string(value) + "\n";
  if (record.size() != size) {
    record = std::to_string(record.size()) + " " + std::string(key) + "=" + std::string(value) + "\n";
  }
  return record;
}

// path.Join(dir, "PaxHeaders.0", file) after path.Split(name), for the clean relative paths we write.
std::string pax_header_name(std::string_view name) {
  std::size_t slash = name.rfind('/');
  std::string_view dir = slash == std::string_view::npos ? std::string_view{} : name.substr(0, slash + 1);
  std::string_view file = slash == std::string_view::npos ? name : name.substr(slash + 1);
  std::string joined = std::string(dir) + "PaxHeaders.0";
  if (!file.empty()) joined.append("/").append(file);
  return joined;
}

Block regular_file_block(std::string_view name, std::string_view prefix, std::uint64_t size, std::int64_t mtime) {
  Block b{};
  b[kTypeflag.offset] = '0';
  put_string(b, kName, name);
  put_octal(b, kMode, 0755);
  put_octal(b, kUid, 0);
  put_octal(b, kGid, 0);
  put_octal(b, kSize, size);
  put_octal(b, kMtime, static_cast<std::uint64_t>(std::max<std::int64_t>(mtime, 0)));
  put_octal(b, kDevMajor, 0);
  put_octal(b, kDevMinor, 0);
  put_string(b, kPrefix, prefix);
  finish_block(b);
  return b;
}

}  // namespace

std::string go_file_header(std::string_view name, std::uint64_t size, std::int64_t mtime) {
  std::string out;
  bool size_fits = fits_in_octal(kSize.size, size);
  UstarSplit split{};
  bool ustar_name = is_ascii(name) && (name.size() <= kNameSize || split_ustar_path(name, split));

  if (ustar_name && size_fits) {
    Block b = name.size() <= kNameSize ? regular_file_block(name, {}, size, mtime)
                                       : regular_file_block(split.name, split.prefix, size, mtime);
    out.append(b.data(), b.size());
    return out;
  }

  // PAX: records sorted by key ("path" < "size"); the extended header is writeRawFile's minimal
  // block (mode, uid, gid, mtime 0; no device numbers).
  std::string records;
  if (!ustar_name) records += pax_record("path", name);
  if (!size_fits) records += pax_record("size", std::to_string(size));

  std::string xname = to_ascii(pax_header_name(name));
  if (xname.size() > kNameSize) xname.resize(kNameSize);
  while (!xname.empty() && xname.back() == '/') xname.pop_back();
  Block x{};
  x[kTypeflag.offset] = 'x';
  put_string(x, kName, xname);
  put_octal(x, kMode, 0);
  put_octal(x, kUid, 0);
  put_octal(x, kGid, 0);
  put_octal(x, kSize, records.size());
  put_octal(x, kMtime, 0);
  finish_block(x);
  out.append(x.data(), x.size());
  out.append(records);
  out.append(block_padding(records.size()), '\0');

  // Main header: the name as ASCII, truncated into the 100-byte field; prefix left empty.
  Block b = regular_file_block(to_ascii(name), {}, size, mtime);
  out.append(b.data(), b.size());
  return out;
}

std::int64_t go_now_seconds() {
  using namespace std::chrono;
  auto ns = duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
  // Round half away from zero, as time.Time.Round does for positive times.
  return (ns + 500'000'000) / 1'000'000'000;
}

}  // namespace vbackup::archive::detail
