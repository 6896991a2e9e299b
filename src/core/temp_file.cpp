#include "core/temp_file.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

namespace vbackup::detail {

int create_unlinked_file(const std::filesystem::path& directory, const std::string& prefix) {
  std::string templ = (directory / (prefix + "XXXXXX")).string();
  int fd = ::mkostemp(templ.data(), O_CLOEXEC);
  // Unlinked at once: the bytes live as long as the descriptor, and no crash leaves them behind.
  if (fd >= 0) ::unlink(templ.c_str());
  return fd;
}

}  // namespace vbackup::detail
