// pigz's scheme: blocks compressed as raw deflate on worker threads, each primed with the 32 KiB
// before it and closed with a sync flush (byte-aligned, not final), the last one finished; their
// concatenation is one deflate stream, wrapped in a single gzip member whose CRC is combined from the
// blocks' CRCs (zlib's crc32_combine). The deflate of the blocks is Intel's ISA-L (igzip): on a
// backup tarball its level 1 is 14x zlib level 6's speed for output 7% larger (docs/benchmarks.md),
// and it keeps zlib's streaming model (sync flush, preset dictionary) that one member needs.
#include "vbackup/error.hpp"
#include "vbackup/stream.hpp"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace vbackup {
namespace {

constexpr std::size_t kWindow = 32 * 1024;

struct Job {
  std::string input, dictionary, output;
  bool last = false;
  unsigned long crc = 0;
  bool done = false;
  std::exception_ptr error;
};

// One worker's ISA-L level buffer, allocated once per thread.
std::vector<unsigned char>& level_buffer(int level) {
  thread_local std::vector<unsigned char> buf;
  std::size_t size = level >= 3 ? ISAL_DEF_LVL3_DEFAULT : level == 2 ? ISAL_DEF_LVL2_DEFAULT
                   : level == 1 ? ISAL_DEF_LVL1_DEFAULT : 0;
  if (buf.size() < size) buf.resize(size);
  return buf;
}

void compress_block(Job& job, int level) {
  isal_zstream z;
  isal_deflate_init(&z);
  z.level = static_cast<std::uint32_t>(level);
  auto& lb = level_buffer(level);
  z.level_buf = lb.empty() ? nullptr : lb.data();
  z.level_buf_size = static_cast<std::uint32_t>(lb.size());
  z.gzip_flag = IGZIP_DEFLATE;  // raw deflate: the member's header and trailer are ours
  if (!job.dictionary.empty() &&
      isal_deflate_set_dict(&z, reinterpret_cast<std::uint8_t*>(job.dictionary.data()),
                            static_cast<std::uint32_t>(job.dictionary.size())) != COMP_OK) {
    throw Error(ErrorCode::generic, "gzip: cannot set the deflate dictionary");
  }
  z.end_of_stream = job.last ? 1 : 0;
  z.flush = job.last ? NO_FLUSH : SYNC_FLUSH;
  z.next_in = reinterpret_cast<std::uint8_t*>(job.input.data());
  z.avail_in = static_cast<std::uint32_t>(job.input.size());
  job.output.resize(job.input.size() + job.input.size() / 8 + 1024);
  std::size_t produced = 0;
  for (;;) {
    z.next_out = reinterpret_cast<std::uint8_t*>(job.output.data() + produced);
    z.avail_out = static_cast<std::uint32_t>(job.output.size() - produced);
    if (isal_deflate(&z) != COMP_OK) throw Error(ErrorCode::generic, "gzip: deflate failed on a block");
    produced = job.output.size() - z.avail_out;
    bool done = job.last ? z.internal_state.state == ZSTATE_END : (z.avail_in == 0 && z.avail_out > 0);
    if (done) break;
    job.output.resize(job.output.size() * 2);  // incompressible input: more room, then continue
  }
  job.output.resize(produced);
  // ISA-L's CRC-32 (carry-less multiply) is zlib's crc32 several times faster.
  job.crc = crc32_gzip_refl(0, reinterpret_cast<const std::uint8_t*>(job.input.data()), job.input.size());
}

}  // namespace

struct ParallelGzipOutputStream::State {
  OutputStream* sink;
  int level;
  std::size_t block_size;
  std::size_t max_in_flight;
  std::string buffer;       // input not yet handed to a job
  std::string dictionary;   // the last 32 KiB handed over
  std::deque<std::shared_ptr<Job>> in_flight;  // in submission order
  std::deque<std::shared_ptr<Job>> queue;      // waiting for a worker
  // Written jobs, kept with their buffers' capacity for the next blocks (caller's thread only). Each
  // block used to allocate its input, dictionary and output afresh (128-160 KiB, above glibc's
  // initial mmap threshold): once glibc had raised the threshold they came from the heap of whichever
  // thread wrote the block, and the restore log's blocks, written by 8 workers in turn, fragmented 8
  // arenas: its peak RSS grew with the item count (issue 17, docs/benchmarks.md "session 7").
  std::vector<std::shared_ptr<Job>> spare;
  std::vector<std::thread> workers;
  std::mutex m;
  std::condition_variable work_ready, job_done;
  bool stopping = false, finished = false, failed = false;
  unsigned long crc = crc32(0L, Z_NULL, 0);
  std::uint64_t total = 0;
  bool header_written = false;

  // Go's compress/gzip header: no name, mtime 0, XFL 0, OS 255 (spec §1.1). Written with the first
  // block, so that constructing the stream does no I/O.
  void write_header() {
    if (header_written) return;
    static const unsigned char header[10] = {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff};
    sink->write(header, sizeof header);
    header_written = true;
  }

  void worker() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock lock(m);
        work_ready.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        job = queue.front();
        queue.pop_front();
      }
      try {
        compress_block(*job, level);
      } catch (...) {
        job->error = std::current_exception();
      }
      {
        std::lock_guard lock(m);
        job->done = true;
      }
      job_done.notify_all();
    }
  }

  void submit(bool last) {
    std::shared_ptr<Job> job;
    if (spare.empty()) {
      job = std::make_shared<Job>();
    } else {
      job = std::move(spare.back());
      spare.pop_back();
      job->done = false;  // `last` is set below for every job
      job->crc = 0;
      job->error = nullptr;
    }
    job->input.swap(buffer);  // the job takes the block; the buffer takes the spare's capacity
    buffer.clear();
    if (buffer.capacity() < block_size) buffer.reserve(block_size);
    job->dictionary.assign(dictionary);
    job->last = last;
    const std::string& in = job->input;
    if (in.size() >= kWindow) {
      dictionary.assign(in, in.size() - kWindow, kWindow);
    } else {
      dictionary += in;
      if (dictionary.size() > kWindow) dictionary.erase(0, dictionary.size() - kWindow);
    }
    {
      std::lock_guard lock(m);
      in_flight.push_back(job);
      queue.push_back(job);
    }
    work_ready.notify_one();
    while (in_flight.size() > max_in_flight) write_oldest();
  }

  // Waits for the oldest block and hands it to the sink (on the caller's thread).
  void write_oldest() {
    std::shared_ptr<Job> job = in_flight.front();
    {
      std::unique_lock lock(m);
      job_done.wait(lock, [&] { return job->done; });
      in_flight.pop_front();
    }
    if (job->error) std::rethrow_exception(job->error);
    write_header();
    sink->write(job->output.data(), job->output.size());
    crc = crc32_combine(crc, job->crc, static_cast<z_off_t>(job->input.size()));
    total += job->input.size();
    // A worker may still hold its pointer for a moment after `done`, but touches the job no more.
    if (spare.size() <= max_in_flight) spare.push_back(std::move(job));
  }
};

ParallelGzipOutputStream::ParallelGzipOutputStream(OutputStream& sink, int level, unsigned threads,
                                                   std::size_t block_size)
    : state_(std::make_unique<State>()) {
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  state_->sink = &sink;
  state_->level = std::clamp(level, 0, ISAL_DEF_MAX_LEVEL);
  state_->block_size = std::max<std::size_t>(block_size, kWindow);
  state_->max_in_flight = 2 * threads;
  state_->buffer.reserve(state_->block_size);
  for (unsigned i = 0; i < threads; ++i) state_->workers.emplace_back([s = state_.get()] { s->worker(); });
}

ParallelGzipOutputStream::~ParallelGzipOutputStream() {
  {
    std::lock_guard lock(state_->m);
    state_->stopping = true;
    state_->queue.clear();
  }
  state_->work_ready.notify_all();
  for (auto& t : state_->workers) t.join();
}

void ParallelGzipOutputStream::write(const void* data, std::size_t size) {
  auto& s = *state_;
  if (s.finished || s.failed) throw Error(ErrorCode::generic, "gzip: write after finish or failure");
  const char* p = static_cast<const char*>(data);
  try {
    while (size > 0) {
      std::size_t take = std::min(size, s.block_size - s.buffer.size());
      s.buffer.append(p, take);
      p += take;
      size -= take;
      if (s.buffer.size() == s.block_size) s.submit(false);
    }
  } catch (...) {
    s.failed = true;
    throw;
  }
}

void ParallelGzipOutputStream::finish() {
  auto& s = *state_;
  if (s.finished) return;
  if (s.failed) throw Error(ErrorCode::generic, "gzip: finish after a failure");
  try {
    s.submit(true);
    while (!s.in_flight.empty()) s.write_oldest();
  } catch (...) {
    s.failed = true;
    throw;
  }
  unsigned char trailer[8];
  for (int i = 0; i < 4; ++i) trailer[i] = static_cast<unsigned char>((s.crc >> (8 * i)) & 0xFF);
  for (int i = 0; i < 4; ++i) trailer[4 + i] = static_cast<unsigned char>((s.total >> (8 * i)) & 0xFF);
  s.sink->write(trailer, sizeof trailer);
  s.finished = true;
}

}  // namespace vbackup
