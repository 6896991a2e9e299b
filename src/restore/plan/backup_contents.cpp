// BackupContents: one pass over the tarball filling the spool and a compact index, then one sort.
#include "restore/plan/backup_contents.hpp"

#include "vbackup/archive.hpp"
#include "vbackup/error.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>

namespace vbackup::restore {

namespace {

constexpr std::size_t kMaxNotes = 100;
constexpr std::size_t kNamePage = 1 << 18;      // names arena page (a name is at most 65535 bytes)
constexpr std::size_t kRecordPage = 1 << 16;    // records per page while streaming
constexpr std::size_t kMaxName = 65535;

// One stored entry in 16 bytes: a 40-bit spool offset (1 TiB), a 32-bit size, the name's place in
// the names arena and a 24-bit bucket (resource, version dir, namespace).
struct Record {
  std::uint32_t offset_lo = 0;
  std::uint32_t size = 0;
  std::uint32_t name = 0;
  std::uint32_t offset_hi_bucket = 0;  // offset bits 32–39 in the top byte, the bucket below
  std::uint64_t offset() const { return (std::uint64_t(offset_hi_bucket >> 24) << 32) | offset_lo; }
  std::uint32_t bucket() const { return offset_hi_bucket & 0xffffff; }
};
static_assert(sizeof(Record) == 16);
constexpr std::uint64_t kMaxOffset = std::uint64_t(1) << 40;
constexpr std::uint32_t kMaxBuckets = 1u << 24;

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
  std::vector<std::uint32_t> bucket_begin;  // records of bucket b: [begin[b], begin[b+1])

  std::vector<std::unique_ptr<char[]>> name_pages;
  std::size_t name_page_used = kNamePage;  // forces a first page
  std::vector<Record> records;              // after finish(): sorted, one per path

  Impl(std::string w, const std::filesystem::path& dir) : what(std::move(w)), spool(dir) {}

  // ---- names arena: [2-byte length][bytes], never across a page --------------------------------
  std::uint32_t add_name(std::string_view name) {
    if (name_page_used + 2 + name.size() > kNamePage) {
      if (name_pages.size() >= (std::size_t(1) << 14)) {
        throw invalid_input(what + ": more than 4 GiB of item names");
      }
      name_pages.push_back(std::make_unique<char[]>(kNamePage));
      name_page_used = 0;
    }
    char* p = name_pages.back().get() + name_page_used;
    p[0] = static_cast<char>(name.size() & 0xff);
    p[1] = static_cast<char>(name.size() >> 8);
    std::memcpy(p + 2, name.data(), name.size());
    auto ref = static_cast<std::uint32_t>(((name_pages.size() - 1) << 18) | name_page_used);
    name_page_used += 2 + name.size();
    return ref;
  }
  std::string_view name(std::uint32_t ref) const {
    const char* p = name_pages[ref >> 18].get() + (ref & (kNamePage - 1));
    std::size_t n = static_cast<unsigned char>(p[0]) | (std::size_t(static_cast<unsigned char>(p[1])) << 8);
    return {p + 2, n};
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
  void finish(std::vector<std::unique_ptr<Record[]>>& pages, std::size_t count);

  std::optional<std::pair<std::uint32_t, std::uint32_t>> range(std::string_view resource, std::string_view vdir,
                                                               std::string_view ns) const {
    auto r = resources.find(resource), v = version_dirs.find(vdir), n = namespaces.find(ns);
    if (!r || !v || !n) return std::nullopt;
    auto it = bucket_ids.find({*r, *v, *n});
    if (it == bucket_ids.end()) return std::nullopt;
    return std::make_pair(bucket_begin[it->second], bucket_begin[it->second + 1]);
  }
};

void BackupContents::Impl::read_archive(InputStream& in, std::uint64_t max_size) {
  archive::ArchiveReader reader(in, what);
  archive::Entry entry;
  std::vector<std::unique_ptr<Record[]>> pages;
  std::size_t count = 0;
  bool has_resources = false;

  // The entry just stored. Velero writes each item's un-versioned and preferred-version copies one
  // right after the other, identical (current Velero the un-versioned one first, 1.5 the other way
  // round): the second copy then points at the first one's bytes.
  struct Last {
    bool valid = false;
    std::uint32_t resource = 0, version = 0, ns = 0, name = 0, size = 0, crc = 0;
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

    bool same_item = last.valid && last.resource == r && last.ns == n && name(last.name) == item.name;
    if (same_item && last.version != v && last.size == size && last.crc == sink.crc() &&
        spool.equal(last.offset, offset, size)) {
      spool.truncate(offset);  // the other copy of the item just stored: keep one
      offset = last.offset;
    }
    if (offset + size >= kMaxOffset) throw invalid_input(what + ": more than 1 TiB of items");
    Record rec;
    rec.offset_lo = static_cast<std::uint32_t>(offset);
    rec.size = size;
    rec.name = same_item ? last.name : add_name(item.name);
    rec.offset_hi_bucket = static_cast<std::uint32_t>(offset >> 32) << 24 | bucket({r, v, n});
    if (count == std::numeric_limits<std::uint32_t>::max()) throw invalid_input(what + ": more than 4 billion entries");
    if (count % kRecordPage == 0) pages.push_back(std::make_unique<Record[]>(kRecordPage));
    pages.back()[count % kRecordPage] = rec;
    ++count;

    last = {true, r, v, n, rec.name, size, sink.crc(), offset};
  }
  if (!has_resources) {
    // pkg/restore/restore.go execute(): errors.Wrap(archive.ErrNotExist, "zero items to be restored").
    warnings.push_back("zero items to be restored: directory \"resources\": does not exist");
  }
  if (notes_left_off > 0) notes.push_back("… and " + std::to_string(notes_left_off) + " more entries ignored");
  finish(pages, count);
}

void BackupContents::Impl::finish(std::vector<std::unique_ptr<Record[]>>& pages, std::size_t count) {
  spool.flush();
  // Pages into one exact vector, each page freed once copied: the peak is one page over the index.
  records.resize(count);
  for (std::size_t p = 0; p < pages.size(); ++p) {
    std::size_t n = std::min(kRecordPage, count - p * kRecordPage);
    std::copy_n(pages[p].get(), n, records.begin() + static_cast<std::ptrdiff_t>(p * kRecordPage));
    pages[p].reset();
  }
  pages.clear();

  // Sorted by bucket, then file name, then offset and size. For one path, a later entry has a larger
  // spool offset than an earlier one (new bytes are appended; a deduplicated copy points at the
  // entry just before it, which is in another bucket and came later), or the same offset and then
  // either the same bytes (a chain of identical copies) or an empty earlier entry. So the last of
  // a run of equal paths is the one last in the archive: it wins, as on extraction.
  std::sort(records.begin(), records.end(), [this](const Record& a, const Record& b) {
    if (a.bucket() != b.bucket()) return a.bucket() < b.bucket();
    if (a.name != b.name) {
      if (int c = compare_file_names(name(a.name), name(b.name)); c != 0) return c < 0;
    }
    if (a.offset() != b.offset()) return a.offset() < b.offset();
    return a.size < b.size;
  });
  std::size_t out = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    bool replaced = i + 1 < records.size() && records[i + 1].bucket() == records[i].bucket() &&
                    (records[i + 1].name == records[i].name || name(records[i + 1].name) == name(records[i].name));
    if (!replaced) records[out++] = records[i];
  }
  records.resize(out);

  bucket_begin.assign(bucket_keys.size() + 1, 0);
  std::size_t i = 0;
  for (std::uint32_t b = 0; b < bucket_keys.size(); ++b) {
    bucket_begin[b] = static_cast<std::uint32_t>(i);
    while (i < records.size() && records[i].bucket() == b) ++i;
  }
  bucket_begin[bucket_keys.size()] = static_cast<std::uint32_t>(i);
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
  auto range = impl_->range(resource, version_dir, ns);
  if (!range) return;
  for (std::uint32_t i = range->first; i < range->second; ++i) fn(impl_->name(impl_->records[i].name));
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
  auto range = impl_->range(resource, version_dir, ns);
  return range ? range->second - range->first : 0;
}

std::uint64_t BackupContents::total_items() const {
  std::uint64_t n = 0;
  for (std::uint32_t b = 0; b < impl_->bucket_keys.size(); ++b) {
    if (impl_->bucket_keys[b][1] == 0) n += impl_->bucket_begin[b + 1] - impl_->bucket_begin[b];
  }
  return n;
}

std::optional<std::string> BackupContents::read(std::string_view resource, std::string_view ns, std::string_view name,
                                                std::string_view version_dir) const {
  auto range = impl_->range(resource, version_dir, ns);
  if (!range) return std::nullopt;
  auto first = impl_->records.begin() + range->first, last = impl_->records.begin() + range->second;
  auto it = std::lower_bound(first, last, name, [this](const Record& r, std::string_view n) {
    return compare_file_names(impl_->name(r.name), n) < 0;
  });
  if (it == last || impl_->name(it->name) != name) return std::nullopt;
  std::string bytes(it->size, '\0');
  impl_->spool.read(it->offset(), bytes.data(), bytes.size());
  return bytes;
}

std::uint64_t BackupContents::extracted_bytes() const { return impl_->extracted; }
std::uint64_t BackupContents::spool_bytes() const { return impl_->spool.size(); }

std::size_t BackupContents::index_bytes() const {
  const Impl& i = *impl_;
  return i.records.capacity() * sizeof(Record) + i.name_pages.size() * kNamePage +
         i.bucket_keys.capacity() * sizeof(BucketKey) + i.bucket_ids.size() * (sizeof(BucketKey) + 48) +
         i.bucket_begin.capacity() * sizeof(std::uint32_t) + i.resources.bytes() + i.version_dirs.bytes() +
         i.namespaces.bytes();
}

}  // namespace vbackup::restore
