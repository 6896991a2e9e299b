// The age v1 header's ABNF (C2SP age.md "ABNF definition of file header"), parsed strictly and
// written canonically.
#include "crypto/age_format.hpp"
#include "core/hmac.hpp"
#include "crypto/primitives.hpp"

#include "vbackup/error.hpp"

namespace vbackup::crypto::age {
namespace {

[[noreturn]] void bad(std::string_view what, const std::string& problem) {
  throw Error(ErrorCode::invalid, std::string(what) + ": age header: " + problem);
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// argument = 1*VCHAR, separated by single spaces.
std::vector<std::string> split_arguments(std::string_view line, std::string_view what, int line_no) {
  std::vector<std::string> args;
  std::size_t start = 0;
  while (true) {
    std::size_t end = line.find(' ', start);
    std::string_view arg = line.substr(start, end == std::string_view::npos ? end : end - start);
    if (arg.empty()) bad(what, "line " + std::to_string(line_no) + ": empty stanza argument");
    for (char c : arg) {
      if (c < 0x21 || c > 0x7e) bad(what, "line " + std::to_string(line_no) + ": invalid character in stanza argument");
    }
    args.emplace_back(arg);
    if (end == std::string_view::npos) return args;
    start = end + 1;
  }
}

}  // namespace

std::optional<Header> parse_header(std::string_view text, bool eof, std::string_view what) {
  constexpr std::string_view kPrefix = "age-encryption.org/";
  if (text.substr(0, kPrefix.size()) != kPrefix.substr(0, std::min(text.size(), kPrefix.size()))) {
    bad(what, "not an age file (no age-encryption.org/ version line)");
  }
  std::size_t pos = 0;
  int line_no = 0;
  // The next line without its LF; nullopt when `text` ends first.
  auto next_line = [&]() -> std::optional<std::string_view> {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (text.size() > kMaxHeaderSize) bad(what, "longer than " + std::to_string(kMaxHeaderSize) + " bytes");
      if (eof) bad(what, "truncated (the file ends inside the header)");
      return std::nullopt;
    }
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    return line;
  };

  auto version = next_line();
  if (!version) return std::nullopt;
  if (*version != kVersionLine) bad(what, "unsupported version line " + std::string(version->substr(0, 64)));
  Header header;
  while (true) {
    std::size_t line_start = pos;
    auto line = next_line();
    if (!line) return std::nullopt;
    if (line->substr(0, 3) == "---") {
      if (header.stanzas.empty()) bad(what, "no recipient stanza");
      if (line->size() != 4 + 43 || (*line)[3] != ' ') bad(what, "line " + std::to_string(line_no) + ": malformed MAC line");
      auto mac = base64_raw_decode(line->substr(4));
      if (!mac || mac->size() != 32) bad(what, "line " + std::to_string(line_no) + ": MAC is not canonical base64 of 32 bytes");
      header.mac = *mac;
      header.mac_input = line_start + 3;
      header.size = pos;
      return header;
    }
    if (line->substr(0, 3) != "-> ") bad(what, "line " + std::to_string(line_no) + ": expected a stanza (->) or the MAC (---)");
    Stanza stanza;
    stanza.args = split_arguments(line->substr(3), what, line_no);
    std::string body;
    while (true) {
      auto body_line = next_line();
      if (!body_line) return std::nullopt;
      if (body_line->size() > 64) bad(what, "line " + std::to_string(line_no) + ": stanza body line longer than 64 columns");
      for (char c : *body_line) {
        if (!is_base64_char(c)) bad(what, "line " + std::to_string(line_no) + ": invalid character in stanza body");
      }
      body.append(*body_line);
      if (body_line->size() < 64) break;  // a short line (maybe empty) ends the body
    }
    auto decoded = base64_raw_decode(body);
    if (!decoded) bad(what, "stanza " + std::to_string(header.stanzas.size() + 1) + ": body is not canonical base64");
    stanza.body = std::move(*decoded);
    header.stanzas.push_back(std::move(stanza));
  }
}

ReadHeader read_header(InputStream& in, std::string_view what) {
  std::string text;
  char block[4096];
  while (true) {
    std::size_t n = in.read(block, sizeof block);
    text.append(block, n);
    auto header = parse_header(text, n == 0, what);
    if (header) {
      ReadHeader out{std::move(*header), {}, {}};
      out.rest = text.substr(out.header.size);
      text.resize(out.header.size);
      out.text = std::move(text);
      return out;
    }
  }
}

std::string header_mac(std::string_view file_key, std::string_view mac_input) {
  return vbackup::hmac_sha256(hkdf_sha256(file_key, {}, "header"), mac_input);
}

std::string format_header(const std::vector<Stanza>& stanzas, std::string_view file_key) {
  std::string out(kVersionLine);
  out.push_back('\n');
  for (const Stanza& s : stanzas) {
    out += "->";
    for (const auto& arg : s.args) out += " " + arg;
    out.push_back('\n');
    std::string body = base64_raw_encode(s.body);
    for (std::size_t i = 0; i < body.size(); i += 64) out += body.substr(i, 64) + "\n";
    if (body.size() % 64 == 0) out.push_back('\n');  // the body always ends with a short line
  }
  out += "---";
  std::string mac = header_mac(file_key, out);
  out += " " + base64_raw_encode(mac) + "\n";
  return out;
}

}  // namespace vbackup::crypto::age
