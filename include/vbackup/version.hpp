// The library's version ("0.1.0"); the C header's VBK_VERSION_* macros describe the same.
#pragma once

namespace vbackup {

const char* version() noexcept;

}  // namespace vbackup
