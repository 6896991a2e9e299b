// Temporary files that nothing leaves behind (issue 17): created in a chosen directory and unlinked
// at once, so the bytes live exactly as long as the descriptor, through failures, cancels and crashes.
#pragma once

#include <filesystem>
#include <string>

namespace vbackup::detail {

// A file created with mkstemp in `directory` ("<directory>/<prefix>XXXXXX") and unlinked at once:
// its descriptor (O_CLOEXEC), or -1 with errno set; callers name the directory in their error. The
// restore's temporary files (spool, index and its sort runs, restored set) go to its spool directory
// this way.
int create_unlinked_file(const std::filesystem::path& directory, const std::string& prefix);

}  // namespace vbackup::detail
