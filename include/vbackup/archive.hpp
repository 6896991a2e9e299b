// The Velero backup tarball (spec §1): entry paths, a streaming writer and a streaming reader.
//
// The writer produces what Velero's backup writes: a `metadata/version` entry first, then regular
// files (mode 0755, uid/gid 0, mtime now) framed as Go's archive/tar frames them (USTAR whenever
// representable, a PAX `path` record only when needed), compressed as gzip (Go's header) or zstd.
// The reader accepts gzip, zstd or plain tar (told apart by magic bytes), format 1 and 1.1.0, and
// returns regular files only; it never holds more than one entry body in memory.
#pragma once

#include "vbackup/stream.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace vbackup::archive {

enum class Compression { gzip, zstd };

// `BackupFormatVersion` in Velero (≥ 1.4); format "1" had no version directories (spec §1.2).
inline constexpr std::string_view kFormatVersion = "1.1.0";
inline constexpr std::string_view kVersionFile = "metadata/version";
inline constexpr std::string_view kPreferredVersionSuffix = "-preferredversion";

// spec §1.2 (`GetVersionedItemFilePath`): resources/<GR>[/<version_dir>]/cluster/<name>.json or
// resources/<GR>[/<version_dir>]/namespaces/<ns>/<name>.json. version_dir is "" (un-versioned),
// "v1", or "v1-preferredversion". Throws Error(invalid) when a component is empty where required,
// contains '/', or is "." or ".." (Kubernetes forbids those in names, and they would not read back).
std::string item_path(std::string_view group_resource, std::string_view ns, std::string_view name,
                      std::string_view version_dir = {});

struct ItemPath {
  std::string resource;     // the GR string exactly as written ("pods", "deployments.apps")
  std::string namespace_;   // "" for cluster-scoped items
  std::string name;         // file name without ".json"
  std::string version_dir;  // "", "v1", "v2beta2", "v1-preferredversion"
  bool cluster_scoped = false;

  std::string version() const;  // version_dir without the "-preferredversion" suffix
  bool preferred() const;       // version_dir ends with "-preferredversion"
};

// The item an archive path holds, read the way Velero's restore parser reads the extracted tree
// (spec §1.5): nullopt for anything else — metadata/version, unknown files, files directly under
// resources/ or resources/<GR>/ or namespaces/, sub-directories inside a scope directory, names
// without ".json".
std::optional<ItemPath> parse_item_path(std::string_view path);

// Called with each entry's path and bytes as the writer writes them (issue 16: the checksum
// manifest hashes every item without a second pass).
using EntryObserver = std::function<void(std::string_view path, std::string_view bytes)>;

class ArchiveWriter {
 public:
  // Writes metadata/version ("<format_version>\n") as the first entry.
  ArchiveWriter(OutputStream& sink, Compression compression, std::string_view format_version = kFormatVersion,
                EntryObserver observer = {});
  ~ArchiveWriter();  // without finish() the output is incomplete; never throws
  ArchiveWriter(ArchiveWriter&&) noexcept;
  ArchiveWriter& operator=(ArchiveWriter&&) noexcept;

  // A regular file: mode 0755, mtime now (whole seconds), uid/gid 0, no uname/gname.
  // Throws Error(invalid) for a path that would not read back as written: empty, absolute, with an
  // empty, "." or ".." component, or with NUL.
  void add_file(std::string_view path, std::string_view bytes);
  // add_file(item_path(group_resource, ns, name, version_dir), json_bytes).
  void add_item(std::string_view group_resource, std::string_view ns, std::string_view name,
                std::string_view version_dir, std::string_view json_bytes);
  // Tar trailer and compressor end. Must be called; after it, adding throws.
  void finish();

  std::uint64_t bytes_out() const;  // compressed bytes handed to the sink so far
  std::uint64_t entries() const;    // files written, metadata/version included

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct Entry {
  std::string path;  // normalised: no "./" prefix, no empty or "." components
  std::uint64_t size = 0;
  bool is_version_file = false;  // path == "metadata/version"
  std::optional<ItemPath> item;  // parse_item_path(path)
};

class ArchiveReader {
 public:
  // gzip, zstd or uncompressed tar, told apart by magic bytes. `what` names the archive in errors
  // ("backups/demo/demo.tar.gz"). With `decode_ahead`, the source is read and decoded on a thread
  // of the reader's own, a few blocks (1 MiB) ahead, so that decoding runs beside the caller's work
  // on the entries; the source is then read on that thread until the reader is destroyed.
  ArchiveReader(InputStream& source, std::string what, bool decode_ahead = false);
  ~ArchiveReader();
  ArchiveReader(ArchiveReader&&) noexcept;
  ArchiveReader& operator=(ArchiveReader&&) noexcept;

  // Advances to the next regular file; directories, links and devices are skipped, as Velero's
  // extractor skips them. Returns false at the end. Throws Error(invalid) naming the archive and
  // the entry for an absolute path or one with a ".." component, and for corrupt or truncated data.
  // Entries are returned in archive order, duplicates included (on extraction the last one wins).
  bool next(Entry& entry);
  // The current entry's bytes; Error(invalid) if it is larger than `limit`. Once per entry.
  std::string read_body(std::size_t limit);
  // The current entry's bytes streamed into `sink` in blocks, so memory stays bounded whatever the
  // entry's size; Error(invalid) naming the archive and the entry for truncated or corrupt data.
  // Once per entry, instead of read_body.
  void copy_body(OutputStream& sink);
  void skip_body();
  // Content of metadata/version without the trailing newline ("1", "1.1.0") once next() has
  // returned that entry; "" before, or for an archive without one.
  std::string_view format_version() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vbackup::archive
