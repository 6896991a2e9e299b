#include "core/temp_file.hpp"

#include "vbackup/error.hpp"

#include <cerrno>
#include <cstring>
#include <random>

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

void replace_file(const std::filesystem::path& path, std::string_view text, const std::string& what) {
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(std::random_device{}());
  std::error_code ec;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(ErrorCode::io, what + ": cannot write " + tmp.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      std::filesystem::remove(tmp, ec);
      throw Error(ErrorCode::io, what + ": cannot write " + tmp.string() + ": " + std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int e = errno;
    std::filesystem::remove(tmp, ec);
    throw Error(ErrorCode::io, what + ": cannot write " + tmp.string() + ": " + std::strerror(e));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw Error(ErrorCode::io, what + ": cannot replace it: " + ec.message());
  }
}

}  // namespace vbackup::detail
