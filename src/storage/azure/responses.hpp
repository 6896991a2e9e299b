// What the Blob service answers, read with the shared XML reader (core/xml.hpp): List Blobs pages
// and error bodies; and the one XML body we send, the block list. Internal header.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vbackup::storage::azure {

// One page of List Blobs (EnumerationResults): blob names and, with a delimiter, BlobPrefix names,
// in the service's order; next_marker empty on the last page. Names sent with Encoded="true"
// (characters XML cannot carry) are percent-decoded. Malformed or truncated XML, or a document
// that is not a List Blobs page, throws Error(storage) naming `what`.
struct BlobProperties {
  std::uint64_t size = 0;                               // Content-Length (0 when unreadable)
  std::optional<std::chrono::sys_seconds> last_modified;  // Last-Modified (nullopt when unreadable)
};
struct ListBlobsPage {
  std::vector<std::string> blobs;
  std::vector<BlobProperties> properties;  // one per blob, in the same order
  std::vector<std::string> prefixes;
  std::string next_marker;
};
ListBlobsPage parse_list_blobs(std::string_view body, std::string_view what);

// <Error><Code>…</Code><Message>…</Message></Error>; nullopt when the body is not that. The message
// is cut at its first line (the rest is RequestId and Time); other elements (such as
// AuthenticationErrorDetail, which quotes the string-to-sign and the signature) are never read.
struct ServiceError {
  std::string code;
  std::string message;
};
std::optional<ServiceError> parse_error_body(std::string_view body);

// <?xml …?><BlockList><Latest>id</Latest>…</BlockList> for Put Block List.
std::string block_list_xml(const std::vector<std::string>& block_ids);

}  // namespace vbackup::storage::azure
