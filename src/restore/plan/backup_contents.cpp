// BackupContents: one pass over the tarball filling the spool and a sort of its entries on disk
// (core's SortedSpill), then one merge writing the index file (issue 17: the index of a
// million-item backup costs disk, not memory).
#include "restore/plan/backup_contents.hpp"

#include "core/item_set.hpp"
#include "core/temp_file.hpp"
#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>

#include <unistd.h>

namespace vbackup::restore {

namespace {

constexpr std::size_t kMaxNotes = 100;
constexpr std::size_t kMaxName = 65535;
constexpr std::uint64_t kMaxOffset = std::uint64_t(1) << 40;
constexpr std::uint32_t kMaxBuckets = 1u << 24;
// One name every kStride entries of a bucket stays in memory. 256 (issue 17, session 4: 64 kept about
// 2 bytes an item, 2 MB at 1M items, most of what still grew): a lookup reads and scans about 8 KB of
// records, a few microseconds against the milliseconds an item's create takes.
constexpr std::uint32_t kStride = 256;

// Index file records, bucket after bucket, each in file-name order: u16 name length, the name, u64
// spool offset, u32 size.
void put_record(std::string& out, std::string_view name, std::uint64_t offset, std::uint32_t size) {
  auto n = static_cast<std::uint16_t>(name.size());
  out.append(reinterpret_cast<const char*>(&n), 2);
  out.append(name);
  out.append(reinterpret_cast<const char*>(&offset), 8);
  out.append(reinterpret_cast<const char*>(&size), 4);
}

// Go's os.ReadDir sorts by file name, so items compare as name + ".json" would: "a-b" < "a"
// because '-' < '.'. Bytes compare unsigned, as Go strings do.
int compare_file_names(std::string_view a, std::string_view b) {
  static constexpr std::string_view kExt = ".json";
  std::size_t common = std::min(a.size(), b.size());
  if (int c = std::memcmp(a.data(), b.data(), common); c != 0) return c;
  auto at = [&](std::string_view s, std::size_t i) -> unsigned char {
    return static_cast<unsigned char>(i < s.size() ? s[i] : kExt[i - s.size()]);
  };
  std::size_t la = a.size() + kExt.size(), lb = b.size() + kExt.size();
  for (std::size_t i = common; i < std::min(la, lb); ++i) {
    unsigned char x = at(a, i), y = at(b, i);
    if (x != y) return x < y ? -1 : 1;
  }
  return la == lb ? 0 : (la < lb ? -1 : 1);
}

class Interner {
 public:
  Interner() { id(""); }  // id 0 is "": the un-versioned directory, the cluster scope
  std::uint32_t id(std::string_view s) {
    auto it = ids_.find(std::string(s));
    if (it != ids_.end()) return it->second;
    auto n = static_cast<std::uint32_t>(strings_.size());
    strings_.emplace_back(s);
    ids_.emplace(strings_.back(), n);
    return n;
  }
  std::optional<std::uint32_t> find(std::string_view s) const {
    auto it = ids_.find(std::string(s));
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  const std::string& str(std::uint32_t id) const { return strings_[id]; }
  std::size_t bytes() const {
    std::size_t b = 0;
    for (const auto& s : strings_) b += 2 * s.capacity() + 64;
    return b;
  }

 private:
  std::vector<std::string> strings_;
  std::unordered_map<std::string, std::uint32_t> ids_;
};

using BucketKey = std::array<std::uint32_t, 3>;  // resource, version dir, namespace

}  // namespace

struct BackupContents::Impl {
  std::string what;
  std::string format_version;
  std::vector<std::string> warnings, notes;
  std::size_t notes_left_off = 0;
  detail::Spool spool;
  std::uint64_t extracted = 0;

  Interner resources, version_dirs, namespaces;
  std::map<BucketKey, std::uint32_t> bucket_ids;
  std::vector<BucketKey> bucket_keys;
  // Where each bucket's records are in the index file, after finish().
  struct Bucket {
    std::uint64_t begin = 0, end = 0;
    std::uint32_t count = 0;
    std::vector<std::pair<std::string, std::uint64_t>> names;  // every kStride-th name and its record's offset
  };
  std::vector<Bucket> buckets;
  std::uint64_t total_items = 0;  // of the un-versioned buckets, after finish(): read per restored item
  std::unique_ptr<vbackup::detail::SortedSpill> sort;  // its run files in the spool directory too (issue 17)
  std::FILE* index = nullptr;

  std::filesystem::path directory;  // where the spool and the index file go

  Impl(std::string w, const std::filesystem::path& dir)
      : what(std::move(w)), spool(dir), sort(std::make_unique<vbackup::detail::SortedSpill>(1 << 20, dir)), directory(dir) {}
  ~Impl() {
    if (index) std::fclose(index);
  }

  std::uint32_t bucket(const BucketKey& key) {
    if (auto it = bucket_ids.find(key); it != bucket_ids.end()) return it->second;
    if (bucket_keys.size() >= kMaxBuckets) throw invalid_input(what + ": more than 16M item directories");
    auto id = static_cast<std::uint32_t>(bucket_keys.size());
    bucket_ids.emplace(key, id);
    bucket_keys.push_back(key);
    return id;
  }

  void note(std::string text) {
    if (notes.size() < kMaxNotes) {
      notes.push_back(std::move(text));
    } else {
      ++notes_left_off;
    }
  }

  void read_archive(InputStream& in, std::uint64_t max_size);
  void finish();
  // Calls `each` with the records in [from, to) of the index file until it returns false.
  void scan(std::uint64_t from, std::uint64_t to,
            const std::function<bool(std::string_view name, std::uint64_t offset, std::uint32_t size)>& each) const;

  const Bucket* range(std::string_view resource, std::string_view vdir, std::string_view ns) const {
    auto r = resources.find(resource), v = version_dirs.find(vdir), n = namespaces.find(ns);
    if (!r || !v || !n) return nullptr;
    auto it = bucket_ids.find({*r, *v, *n});
    if (it == bucket_ids.end()) return nullptr;
    return &buckets[it->second];
  }
};

void BackupContents::Impl::read_archive(InputStream& in, std::uint64_t max_size) {
  // Decoding (and the source's reads, decryption and checksum) on a second thread: the spool is
  // serial and the API server waits for it (issue 17).
  archive::ArchiveReader reader(in, what, /*decode_ahead=*/true);
  archive::Entry entry;
  std::uint64_t count = 0;
  bool has_resources = false;
  std::string line;

  // The entry just stored. Velero writes each item's un-versioned and preferred-version copies one
  // right after the other, identical (current Velero the un-versioned one first, 1.5 the other way
  // round): the second copy then points at the first one's bytes.
  struct Last {
    bool valid = false;
    std::uint32_t resource = 0, version = 0, ns = 0, size = 0, crc = 0;
    std::string name;
    std::uint64_t offset = 0;
  } last;

  while (reader.next(entry)) {
    // pkg/archive/extractor.go: the cap is on the sum of header sizes, checked before extracting.
    extracted += entry.size;
    if (extracted > max_size) {
      throw invalid_input(what + ": decompressed backup exceeds maximum allowed size of " + std::to_string(max_size) +
                          " bytes");
    }
    bool under_resources = entry.path.starts_with("resources/");
    has_resources = has_resources || under_resources;
    if (entry.is_version_file) format_version = std::string(reader.format_version());
    if (!entry.item) {
      if (under_resources) note("Ignoring unexpected entry \"" + entry.path + "\": not an item Velero's parser reads");
      reader.skip_body();
      continue;
    }
    const archive::ItemPath& item = *entry.item;
    if (entry.size > std::numeric_limits<std::uint32_t>::max()) {
      throw invalid_input(what + ": entry \"" + entry.path + "\": " + std::to_string(entry.size) +
                          " bytes, larger than any Kubernetes object can be (4 GiB)");
    }
    if (item.name.size() > kMaxName) {
      throw invalid_input(what + ": entry \"" + entry.path.substr(0, 200) + "…\": item name longer than 65535 bytes");
    }

    std::uint32_t r = resources.id(item.resource), v = version_dirs.id(item.version_dir),
                  n = namespaces.id(item.namespace_);
    std::uint64_t offset = spool.size();
    detail::SpoolSink sink(spool);
    reader.copy_body(sink);
    auto size = static_cast<std::uint32_t>(entry.size);

    bool same_item = last.valid && last.resource == r && last.ns == n && last.name == item.name;
    if (same_item && last.version != v && last.size == size && last.crc == sink.crc() &&
        spool.equal(last.offset, offset, size)) {
      spool.truncate(offset);  // the other copy of the item just stored: keep one
      offset = last.offset;
    }
    if (offset + size >= kMaxOffset) throw invalid_input(what + ": more than 1 TiB of items");
    if (count == std::numeric_limits<std::uint32_t>::max()) throw invalid_input(what + ": more than 4 billion entries");
    ++count;
    // Sorted by bucket, then file name (Go's os.ReadDir order: the name with ".json"), then offset
    // and size: see finish() for why the last of equal paths is the one last in the archive.
    line.clear();
    vbackup::detail::append_sort_hex(line, bucket({r, v, n}), 6);
    vbackup::detail::append_sort_field(line, item.name + ".json");
    vbackup::detail::append_sort_hex(line, offset, 10);
    vbackup::detail::append_sort_hex(line, size, 8);
    sort->add(line);

    if (!same_item) last.name = item.name;
    last.valid = true;
    last.resource = r, last.version = v, last.ns = n, last.size = size, last.crc = sink.crc(), last.offset = offset;
  }
  if (!has_resources) {
    // pkg/restore/restore.go execute(): errors.Wrap(archive.ErrNotExist, "zero items to be restored").
    warnings.push_back("zero items to be restored: directory \"resources\": does not exist");
  }
  if (notes_left_off > 0) notes.push_back("… and " + std::to_string(notes_left_off) + " more entries ignored");
  finish();
}

void BackupContents::Impl::finish() {
  spool.flush();
  // In the spool's directory (the restore's --spool-dir), not the system's temporary one (issue 17).
  int fd = ::vbackup::detail::create_unlinked_file(directory, "vbackup-index-");
  if (fd >= 0 && !(index = ::fdopen(fd, "w+b"))) ::close(fd);
  if (!index) throw io_error(what + ": cannot create the temporary index file in " + directory.string() + ": " + std::strerror(errno));
  buckets.resize(bucket_keys.size());
  // For one path, a later entry has a larger spool offset than an earlier one (new bytes are
  // appended; a deduplicated copy points at the entry just before it, which is in another bucket and
  // came later), or the same offset and then either the same bytes (a chain of identical copies) or
  // an empty earlier entry. So the last of a run of equal paths is the one last in the archive: it
  // wins, as on extraction.
  std::uint64_t size = 0;
  std::string record, pending_name;
  std::uint32_t pending_bucket = 0;
  std::uint64_t pending_offset = 0;
  std::uint32_t pending_size = 0;
  bool pending = false;
  auto flush = [&] {
    if (!pending) return;
    Bucket& b = buckets[pending_bucket];
    if (b.count == 0) b.begin = size;
    if (b.count % kStride == 0) b.names.emplace_back(pending_name, size);
    record.clear();
    put_record(record, pending_name, pending_offset, pending_size);
    if (std::fwrite(record.data(), 1, record.size(), index) != record.size()) {
      throw io_error(what + ": cannot write the temporary index file");
    }
    size += record.size();
    b.end = size;
    ++b.count;
    pending = false;
  };
  sort->for_each_sorted([&](std::string_view line) {
    auto f = vbackup::detail::split_sort_line(line);
    if (f.size() != 4 || f[1].size() < 5) throw io_error(what + ": the temporary index is damaged");
    auto bucket = static_cast<std::uint32_t>(vbackup::detail::parse_sort_hex(f[0]));
    f[1].resize(f[1].size() - 5);  // ".json"
    if (!(pending && bucket == pending_bucket && f[1] == pending_name)) flush();
    pending = true;
    pending_bucket = bucket;
    pending_name = std::move(f[1]);
    pending_offset = vbackup::detail::parse_sort_hex(f[2]);
    pending_size = static_cast<std::uint32_t>(vbackup::detail::parse_sort_hex(f[3]));
  });
  flush();
  sort.reset();
  for (auto& b : buckets) b.names.shrink_to_fit();  // no vector slack kept for the whole restore
  for (std::uint32_t b = 0; b < bucket_keys.size(); ++b) {
    if (bucket_keys[b][1] == 0) total_items += buckets[b].count;
  }
  if (std::fflush(index) != 0) throw io_error(what + ": cannot write the temporary index file");
}

void BackupContents::Impl::scan(
    std::uint64_t from, std::uint64_t to,
    const std::function<bool(std::string_view name, std::uint64_t offset, std::uint32_t size)>& each) const {
  std::string buf;
  constexpr std::size_t kBlock = 64 * 1024;
  while (from < to) {
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kBlock + kMaxName + 14, to - from));
    buf.resize(n);
    if (::pread(fileno(index), buf.data(), n, static_cast<off_t>(from)) != static_cast<ssize_t>(n)) {
      throw io_error(what + ": cannot read the temporary index file");
    }
    // Whole records from this block (at least one: a block holds the largest record).
    std::size_t pos = 0;
    while (pos + 2 <= n) {
      std::uint16_t len;
      std::memcpy(&len, buf.data() + pos, 2);
      if (pos + 2 + len + 12 > n) break;
      std::uint64_t offset;
      std::uint32_t size;
      std::memcpy(&offset, buf.data() + pos + 2 + len, 8);
      std::memcpy(&size, buf.data() + pos + 2 + len + 8, 4);
      if (!each(std::string_view(buf.data() + pos + 2, len), offset, size)) return;
      pos += 2 + len + 12;
    }
    if (pos == 0) throw io_error(what + ": the temporary index file is damaged");
    from += pos;
  }
}

BackupContents::BackupContents(InputStream& tarball, std::string what, const std::filesystem::path& spool_directory,
                               std::uint64_t max_extraction_size)
    : impl_(std::make_unique<Impl>(std::move(what), spool_directory)) {
  impl_->read_archive(tarball, max_extraction_size);
}

BackupContents::~BackupContents() = default;
BackupContents::BackupContents(BackupContents&&) noexcept = default;
BackupContents& BackupContents::operator=(BackupContents&&) noexcept = default;

const std::string& BackupContents::what() const { return impl_->what; }
const std::string& BackupContents::format_version() const { return impl_->format_version; }
const std::vector<std::string>& BackupContents::warnings() const { return impl_->warnings; }
const std::vector<std::string>& BackupContents::notes() const { return impl_->notes; }

namespace {
std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}
}  // namespace

std::vector<std::string> BackupContents::resources() const {
  std::vector<std::string> out;
  for (const auto& [r, v, n] : impl_->bucket_keys) out.push_back(impl_->resources.str(r));
  return sorted_unique(std::move(out));
}

std::vector<std::string> BackupContents::version_dirs(std::string_view resource) const {
  std::vector<std::string> out;
  auto r = impl_->resources.find(resource);
  if (!r) return out;
  for (const auto& [res, v, n] : impl_->bucket_keys) {
    if (res == *r && v != 0) out.push_back(impl_->version_dirs.str(v));
  }
  return sorted_unique(std::move(out));
}

std::vector<std::string> BackupContents::namespaces(std::string_view resource, std::string_view version_dir) const {
  std::vector<std::string> out;
  auto r = impl_->resources.find(resource);
  auto vd = impl_->version_dirs.find(version_dir);
  if (!r || !vd) return out;
  for (const auto& [res, v, n] : impl_->bucket_keys) {
    if (res == *r && v == *vd) out.push_back(impl_->namespaces.str(n));
  }
  return sorted_unique(std::move(out));
}

std::vector<std::string> BackupContents::all_namespaces() const {
  std::vector<std::string> out;
  for (const auto& [r, v, n] : impl_->bucket_keys) {
    if (v == 0 && n != 0) out.push_back(impl_->namespaces.str(n));
  }
  return sorted_unique(std::move(out));
}

void BackupContents::for_each_item(std::string_view resource, std::string_view ns, std::string_view version_dir,
                                   const std::function<void(std::string_view)>& fn) const {
  for_each_entry(resource, ns, version_dir, [&](std::string_view name, EntryRef) { fn(name); });
}

void BackupContents::for_each_entry(std::string_view resource, std::string_view ns, std::string_view version_dir,
                                    const std::function<void(std::string_view, EntryRef)>& fn) const {
  const Impl::Bucket* b = impl_->range(resource, version_dir, ns);
  if (!b) return;
  impl_->scan(b->begin, b->end, [&](std::string_view name, std::uint64_t offset, std::uint32_t size) {
    fn(name, EntryRef{offset, size});
    return true;
  });
}

std::string BackupContents::read(EntryRef at) const {
  std::string bytes(at.size, '\0');
  impl_->spool.read(at.offset, bytes.data(), bytes.size());
  return bytes;
}

std::vector<std::string> BackupContents::items(std::string_view resource, std::string_view ns,
                                               std::string_view version_dir) const {
  std::vector<std::string> out;
  out.reserve(item_count(resource, ns, version_dir));
  for_each_item(resource, ns, version_dir, [&](std::string_view name) { out.emplace_back(name); });
  return out;
}

std::size_t BackupContents::item_count(std::string_view resource, std::string_view ns,
                                       std::string_view version_dir) const {
  const Impl::Bucket* b = impl_->range(resource, version_dir, ns);
  return b ? b->count : 0;
}

std::uint64_t BackupContents::total_items() const { return impl_->total_items; }

std::optional<std::string> BackupContents::read(std::string_view resource, std::string_view ns, std::string_view name,
                                                std::string_view version_dir) const {
  const Impl::Bucket* b = impl_->range(resource, version_dir, ns);
  if (!b) return std::nullopt;
  // The records between the kept name not after `name` and the next kept one.
  auto after = std::upper_bound(b->names.begin(), b->names.end(), name, [](std::string_view n, const auto& kept) {
    return compare_file_names(n, kept.first) < 0;
  });
  if (after == b->names.begin()) return std::nullopt;
  std::uint64_t to = after == b->names.end() ? b->end : after->second;
  std::optional<std::pair<std::uint64_t, std::uint32_t>> found;
  impl_->scan(std::prev(after)->second, to, [&](std::string_view n, std::uint64_t offset, std::uint32_t size) {
    int c = compare_file_names(n, name);
    if (c == 0) found = std::make_pair(offset, size);
    return c < 0;
  });
  if (!found) return std::nullopt;
  return read(EntryRef{found->first, found->second});
}

std::uint64_t BackupContents::extracted_bytes() const { return impl_->extracted; }
std::uint64_t BackupContents::spool_bytes() const { return impl_->spool.size(); }

std::size_t BackupContents::index_bytes() const {
  const Impl& i = *impl_;
  std::size_t names = 0;
  for (const auto& b : i.buckets) {
    names += sizeof(Impl::Bucket) + b.names.capacity() * sizeof(b.names[0]);
    for (const auto& [n, at] : b.names) names += n.capacity() > 15 ? n.capacity() + 1 : 0;
  }
  return names + i.bucket_keys.capacity() * sizeof(BucketKey) + i.bucket_ids.size() * (sizeof(BucketKey) + 48) +
         i.resources.bytes() + i.version_dirs.bytes() + i.namespaces.bytes();
}

}  // namespace vbackup::restore
