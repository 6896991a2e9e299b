// Temporary files that nothing leaves behind (issue 17): created in a chosen directory and unlinked
// at once, so the bytes live exactly as long as the descriptor, through failures, cancels and crashes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace vbackup::detail {

// A file created with mkstemp in `directory` ("<directory>/<prefix>XXXXXX") and unlinked at once:
// its descriptor (O_CLOEXEC), or -1 with errno set; callers name the directory in their error. The
// restore's temporary files (spool, index and its sort runs, restored set) go to its spool directory
// this way.
int create_unlinked_file(const std::filesystem::path& directory, const std::string& prefix);

// Replaces the file at `path` with `text`: written beside it (mode 0600, fsync'd), then renamed over
// it, so a reader sees the old file or the new one, never half of one. Throws Error(io) starting with
// `what`; the temporary file is gone either way.
void replace_file(const std::filesystem::path& path, std::string_view text, const std::string& what);

}  // namespace vbackup::detail
