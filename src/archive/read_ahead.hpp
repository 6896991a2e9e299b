// ReadAhead: a source read on a thread of its own, a few blocks ahead of its reader.
#pragma once

#include "vbackup/stream.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace vbackup::archive::detail {

// Reads `source` on its own thread into `depth` blocks of `block` bytes, so that what the source
// does (gzip or zstd decoding, decryption, hashing, the network) runs beside the reader's work
// (issue 17: decoding was a quarter of the restore's spool phase, serial while the API server waited).
// next() hands the blocks over in order; an error of the source is rethrown by next() after the
// blocks read before it, and again on every later call. The source is read on that thread only, up
// to its end or until the ReadAhead is destroyed (which waits for the read under way to return).
class ReadAhead {
 public:
  explicit ReadAhead(InputStream& source, std::size_t block = 256 * 1024, std::size_t depth = 4);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next block, valid until the next call; empty at the end of the source.
  std::string_view next();

 private:
  void run();

  InputStream& source_;
  std::vector<std::vector<char>> buffers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::size_t> free_;                          // buffers the thread may fill
  std::deque<std::pair<std::size_t, std::size_t>> filled_;  // (buffer, bytes), in source order
  std::optional<std::size_t> held_;                        // the buffer next() last handed over
  std::exception_ptr error_;
  bool end_ = false;   // the source ended or failed: the thread is done
  bool stop_ = false;  // the destructor asks the thread to stop
  std::thread thread_;  // last: started once everything above is ready
};

}  // namespace vbackup::archive::detail
