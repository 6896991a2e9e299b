#include "manifests/object_index.hpp"

#include "core/item_set.hpp"
#include "vbackup/error.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace vbackup::manifests::detail {
namespace {

std::string storage_key(std::string_view ns, std::string_view name) {
  if (ns.empty()) return std::string(name);
  std::string k(ns);
  k += '/';
  k += name;
  return k;
}

// Index file records: u32 length + bytes for ns, name, origin; then u64 offset, u32 length.
void put_u32(std::string& out, std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
void put_u64(std::string& out, std::uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
void put_field(std::string& out, std::string_view f) {
  put_u32(out, static_cast<std::uint32_t>(f.size()));
  out.append(f);
}

void write_all(std::FILE* f, std::string_view bytes, const char* what) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size())
    throw io_error(std::string("manifests: cannot write the temporary ") + what);
}

std::FILE* temporary(const char* what) {
  std::FILE* f = std::tmpfile();
  if (!f) throw io_error(std::string("manifests: cannot create the temporary ") + what);
  return f;
}

}  // namespace

// ---- RecordSpill ---------------------------------------------------------------------------------

RecordSpill::RecordSpill() : file_(temporary("pending objects file")) {}
RecordSpill::~RecordSpill() { std::fclose(file_); }

void RecordSpill::put(const std::vector<std::string_view>& fields) {
  std::string rec;
  put_u32(rec, static_cast<std::uint32_t>(fields.size()));
  for (auto f : fields) put_field(rec, f);
  write_all(file_, rec, "pending objects file");
  ++records_;
}

void RecordSpill::for_each(const std::function<void(std::vector<std::string>& fields)>& each) {
  if (std::fflush(file_) != 0 || std::fseek(file_, 0, SEEK_SET) != 0)
    throw io_error("manifests: cannot read the temporary pending objects file");
  auto read_u32 = [&] {
    std::uint32_t v;
    if (std::fread(&v, sizeof v, 1, file_) != 1) throw io_error("manifests: the temporary pending objects file is short");
    return v;
  };
  std::vector<std::string> fields;
  for (std::uint64_t i = 0; i < records_; ++i) {
    fields.resize(read_u32());
    for (auto& f : fields) {
      f.resize(read_u32());
      if (!f.empty() && std::fread(f.data(), 1, f.size(), file_) != f.size())
        throw io_error("manifests: the temporary pending objects file is short");
    }
    each(fields);
  }
}

// ---- ObjectIndex ---------------------------------------------------------------------------------

ObjectIndex::ObjectIndex(Limits limits)
    : limits_(limits), sort_(std::make_unique<vbackup::detail::SortedSpill>(limits.run_bytes)) {
  if (limits_.stride == 0) limits_.stride = 1;
}

ObjectIndex::~ObjectIndex() {
  if (file_) std::fclose(file_);
}

void ObjectIndex::add(std::string_view resource, const Entry& e, std::uint64_t sequence) {
  // resource, storage key, sequence: the sort order; then what the entry holds.
  using namespace vbackup::detail;
  std::string line;
  append_sort_field(line, resource);
  append_sort_field(line, storage_key(e.ns, e.name));
  append_sort_hex(line, sequence);
  append_sort_field(line, e.ns);
  append_sort_field(line, e.name);
  append_sort_field(line, e.origin);
  append_sort_hex(line, e.offset);
  append_sort_hex(line, e.length);
  sort_->add(std::move(line));
}

void ObjectIndex::finish(const DuplicateCallback& on_duplicate) {
  file_ = temporary("index file");
  std::uint64_t size = 0;
  std::string rec;
  // The entry waiting to be written: a later line of the same resource and storage key replaces it.
  std::string pending_resource, pending_key;
  std::optional<Entry> pending;
  auto flush = [&] {
    if (!pending) return;
    auto [it, added] = resources_.try_emplace(pending_resource);
    Resource& r = it->second;
    if (added) r.begin = r.end = size;
    if (r.count % static_cast<std::int64_t>(limits_.stride) == 0) {
      r.keys.emplace_back(pending_key, size);
      ++stats_.resident_keys;
    }
    rec.clear();
    put_field(rec, pending->ns);
    put_field(rec, pending->name);
    put_field(rec, pending->origin);
    put_u64(rec, pending->offset);
    put_u32(rec, pending->length);
    write_all(file_, rec, "index file");
    size += rec.size();
    r.end = size;
    ++r.count;
    ++r.per_namespace[pending->ns];
    ++stats_.entries;
    pending.reset();
  };
  sort_->for_each_sorted([&](std::string_view line) {
    using vbackup::detail::parse_sort_hex;
    auto f = vbackup::detail::split_sort_line(line);
    if (f.size() != 8) throw io_error("manifests: the temporary index is damaged (a malformed sort line)");
    std::string resource = std::move(f[0]), key = std::move(f[1]);
    Entry e{std::move(f[3]), std::move(f[4]), std::move(f[5]), parse_sort_hex(f[6]),
            static_cast<std::uint32_t>(parse_sort_hex(f[7]))};
    if (pending && resource == pending_resource && key == pending_key) {
      if (on_duplicate) on_duplicate(resource, e, *pending, parse_sort_hex(f[2]));
      pending = std::move(e);
      return;
    }
    flush();
    pending_resource = std::move(resource);
    pending_key = std::move(key);
    pending = std::move(e);
  });
  flush();
  stats_.sort_runs = sort_->spilled_runs();
  sort_.reset();  // its runs are no longer needed
  if (std::fflush(file_) != 0) throw io_error("manifests: cannot write the temporary index file");
}

void ObjectIndex::scan(std::uint64_t from, std::uint64_t to, const std::function<bool(Entry&&)>& each) const {
  // Reads in blocks of 64 KiB (or one record, if larger).
  std::string buf;
  std::size_t pos = 0;
  std::uint64_t buf_at = from;  // file offset of buf[0]
  auto need = [&](std::size_t n) {
    if (buf.size() - pos >= n) return;
    buf.erase(0, pos);
    buf_at += pos;
    pos = 0;
    std::uint64_t have_to = buf_at + buf.size();
    std::size_t want = std::max<std::size_t>(n - buf.size(), 64 * 1024);
    want = static_cast<std::size_t>(std::min<std::uint64_t>(want, to - have_to));
    std::size_t old = buf.size();
    buf.resize(old + want);
    if (want == 0 || ::pread(fileno(file_), buf.data() + old, want, static_cast<off_t>(have_to)) != static_cast<ssize_t>(want) ||
        buf.size() < n) {
      throw io_error("manifests: cannot read the temporary index file");
    }
  };
  auto u32 = [&] {
    need(4);
    std::uint32_t v;
    std::memcpy(&v, buf.data() + pos, 4);
    pos += 4;
    return v;
  };
  auto field = [&] {
    std::uint32_t n = u32();
    need(n);
    std::string s(buf.data() + pos, n);
    pos += n;
    return s;
  };
  while (buf_at + pos < to) {
    Entry e;
    e.ns = field();
    e.name = field();
    e.origin = field();
    need(8);
    std::memcpy(&e.offset, buf.data() + pos, 8);
    pos += 8;
    e.length = u32();
    if (!each(std::move(e))) return;
  }
}

std::uint64_t ObjectIndex::seek(const Resource& r, std::string_view key) const {
  // The first kept key after `key`; the scan starts at the one before it.
  auto it = std::upper_bound(r.keys.begin(), r.keys.end(), key,
                             [](std::string_view k, const auto& kept) { return k < std::string_view(kept.first); });
  return it == r.keys.begin() ? r.begin : std::prev(it)->second;
}

void ObjectIndex::for_each(std::string_view resource, std::string_view ns, const std::function<void(Entry&&)>& each) const {
  auto it = resources_.find(resource);
  if (it == resources_.end()) return;
  const Resource& r = it->second;
  if (ns.empty()) {
    scan(r.begin, r.end, [&](Entry&& e) { each(std::move(e)); return true; });
    return;
  }
  // A namespace's entries are together: their storage keys all start with "<ns>/".
  if (!r.per_namespace.count(ns)) return;
  std::string prefix = storage_key(ns, "");
  scan(seek(r, prefix), r.end, [&](Entry&& e) {
    if (e.ns == ns) {
      each(std::move(e));
      return true;
    }
    return storage_key(e.ns, e.name) < prefix;  // before the namespace: go on; past it: stop
  });
}

std::optional<ObjectIndex::Entry> ObjectIndex::find(std::string_view resource, std::string_view ns,
                                                    std::string_view name) const {
  auto it = resources_.find(resource);
  if (it == resources_.end()) return std::nullopt;
  const Resource& r = it->second;
  std::string key = storage_key(ns, name);
  // Only the records between the kept key before `key` and the one after it.
  auto after = std::upper_bound(r.keys.begin(), r.keys.end(), std::string_view(key),
                                [](std::string_view k, const auto& kept) { return k < std::string_view(kept.first); });
  if (after == r.keys.begin()) return std::nullopt;  // before the resource's first entry
  std::uint64_t to = after == r.keys.end() ? r.end : after->second;
  std::optional<Entry> found;
  scan(std::prev(after)->second, to, [&](Entry&& e) {
    std::string k = storage_key(e.ns, e.name);
    if (k == key) found = std::move(e);
    return k < key;
  });
  return found;
}

std::int64_t ObjectIndex::count(std::string_view resource, std::string_view ns) const {
  auto it = resources_.find(resource);
  if (it == resources_.end()) return 0;
  if (ns.empty()) return it->second.count;
  auto n = it->second.per_namespace.find(ns);
  return n == it->second.per_namespace.end() ? 0 : n->second;
}

}  // namespace vbackup::manifests::detail
