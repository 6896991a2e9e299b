// List Blobs pages, error bodies and block lists (see responses.hpp).
#include "storage/azure/responses.hpp"

#include "core/xml.hpp"
#include "storage/azure/sharedkey.hpp"
#include "vbackup/error.hpp"

namespace vbackup::storage::azure {
namespace {

std::string name_of(const xml::Element& name_element, std::string_view what) {
  auto encoded = name_element.attribute("Encoded");
  if (encoded && *encoded == "true") {
    std::string out;
    if (!url_decode(name_element.text, out)) {
      throw Error(ErrorCode::storage, std::string(what) + ": bad percent-encoding in an encoded blob name");
    }
    return out;
  }
  return name_element.text;
}

}  // namespace

ListBlobsPage parse_list_blobs(std::string_view body, std::string_view what) {
  xml::Element root = xml::parse(body, what);
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::storage, std::string(what) + ": unexpected List Blobs response: " + why);
  };
  if (root.name != "EnumerationResults") throw bad("root element is <" + root.name + ">, not <EnumerationResults>");
  const xml::Element* blobs = root.child("Blobs");
  if (!blobs) throw bad("no <Blobs> element");
  ListBlobsPage page;
  for (const auto& item : blobs->children) {
    if (item.name != "Blob" && item.name != "BlobPrefix") continue;
    const xml::Element* n = item.child("Name");
    if (!n) throw bad("<" + item.name + "> without <Name>");
    std::string name = name_of(*n, what);
    if (name.empty()) throw bad("<" + item.name + "> with an empty name");
    if (item.name == "BlobPrefix") {
      page.prefixes.push_back(std::move(name));
      continue;
    }
    page.blobs.push_back(std::move(name));
    BlobProperties props;
    if (const xml::Element* p = item.child("Properties")) {
      props.last_modified = parse_rfc1123_date(p->child_text("Last-Modified"));
      std::string length = p->child_text("Content-Length");
      if (!length.empty() && length.size() <= 19 && length.find_first_not_of("0123456789") == std::string::npos) {
        props.size = std::stoull(length);
      }
    }
    page.properties.push_back(props);
  }
  page.next_marker = root.child_text("NextMarker");
  return page;
}

std::optional<ServiceError> parse_error_body(std::string_view body) {
  try {
    xml::Element root = xml::parse(body, "error body");
    if (root.name != "Error") return std::nullopt;
    ServiceError out;
    out.code = root.child_text("Code");
    std::string message = root.child_text("Message");
    out.message = message.substr(0, message.find_first_of("\r\n"));
    if (out.code.empty() && out.message.empty()) return std::nullopt;
    return out;
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string block_list_xml(const std::vector<std::string>& block_ids) {
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
  out.reserve(out.size() + block_ids.size() * 60 + 12);
  for (const auto& id : block_ids) out += "<Latest>" + xml::escape(id) + "</Latest>";
  out += "</BlockList>";
  return out;
}

}  // namespace vbackup::storage::azure
