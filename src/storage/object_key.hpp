// Object keys as the local stores (file, memory) accept them. Internal header.
#pragma once

#include <string>
#include <string_view>

namespace vbackup::storage {

// A key is relative and '/'-separated, without empty, "." or ".." segments and without NUL, so it
// maps onto a path and its prefixes onto directories. A segment may not start with
// `reserved_prefix` either (the file store's temporary files). Throws Error(invalid)
// "<what>: invalid object key "<key>"".
void check_object_key(const std::string& key, const std::string& what, std::string_view reserved_prefix = {});

}  // namespace vbackup::storage
