// One gzip member at a time (RFC 1952), decoded by Intel's ISA-L (igzip): the header is parsed
// (FEXTRA, FNAME, FCOMMENT, FHCRC), and the CRC-32 and length in the trailer are verified.
//
// Why not zlib (issue 17, docs/benchmarks.md "Issue 17, session 8"): a restore inflates the whole
// backup tarball before its first item (the spool phase is serial), and a backup inflates every
// gzip LIST page; igzip decodes the same bytes two to three times faster, and ISA-L is a dependency
// already (the parallel gzip writer deflates with it). What follows a member (another member,
// trailing bytes) is the caller's decision: Go's gzip.Reader and our two readers differ there.
//
// Where ISA-L is more lenient than zlib, Go's compress/flate and GNU gzip: it accepts a dynamic
// block whose Huffman code leaves part of its code space unused (an "incomplete" literal/length or
// distance set), which they refuse. No encoder writes one; a member that has one still decodes only
// if its CRC-32 and length in the trailer match what came out, so the bytes are the writer's.
#pragma once

#include <cstddef>
#include <memory>

namespace vbackup::detail {

class GzipInflater {
 public:
  GzipInflater();
  ~GzipInflater();
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  struct Step {
    std::size_t consumed = 0;       // input bytes taken (kept inside when a header or symbol is split)
    std::size_t produced = 0;       // output bytes written
    bool member_end = false;        // the trailer was read and verified; call next_member() to go on
    const char* error = nullptr;    // what is wrong with the data, as zlib words it; nothing more decodes
  };

  // Decodes from `in` into `out` until one of them is used up, the member ends or the data is bad
  // (also: input and output room given and nothing taken or written, which no retry changes).
  Step inflate(const unsigned char* in, std::size_t in_size, unsigned char* out, std::size_t out_size);

  // Starts over for a member that follows the one that ended.
  void next_member();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vbackup::detail
