// Unfinished multipart uploads: what a writer killed before CompleteMultipartUpload or
// AbortMultipartUpload leaves in the bucket. S3 keeps (and bills) their parts until they are
// aborted or a lifecycle rule (AbortIncompleteMultipartUpload) reclaims them; they are invisible
// to GET and ListObjects. ListMultipartUploads finds them under a prefix, ListParts says how big
// each is and when its newest part arrived (so an upload still running is seen as young).
#include "core/xml.hpp"
#include "storage/s3/checksum.hpp"
#include "storage/s3/store.hpp"

#include <algorithm>

namespace vbackup::s3 {

std::vector<storage::PendingUpload> S3Store::list_pending_uploads(const std::string& prefix) {
  std::vector<storage::PendingUpload> out;
  std::string key_marker, id_marker;
  std::string what = "ListMultipartUploads s3://" + cfg_.bucket + "/" + prefix;
  for (int page = 0;; ++page) {
    Params q = {{"uploads", ""}};
    if (!prefix.empty()) q.emplace_back("prefix", prefix);
    if (!key_marker.empty()) q.emplace_back("key-marker", key_marker);
    if (!id_marker.empty()) q.emplace_back("upload-id-marker", id_marker);
    http::Response resp = send(request("GET", "", q, what), sha256_hex(""));
    if (resp.status == 501 || resp.body.find("<Code>NotImplemented</Code>") != std::string::npos) {
      // Emulators such as s3rver: nothing can be listed, so nothing is reported (as for stores
      // without pending uploads); AWS, MinIO and Ceph implement the call.
      throw Error(ErrorCode::unsupported, what + ": the server does not implement ListMultipartUploads");
    }
    if (resp.status == 403) {
      Error e = error_from(resp, resp.body, what);
      throw Error(e.code(), std::string(e.what()) + " (listing unfinished uploads needs s3:ListBucketMultipartUploads)")
          .with_http(e.http_status(), e.http_reason());
    }
    if (resp.status != 200) throw error_from(resp, resp.body, what);
    xml::Element result = xml::parse(resp.body, what + " (page " + std::to_string(page + 1) + ")");
    if (result.name == "Error") throw error_from(resp, resp.body, what);
    if (result.name != "ListMultipartUploadsResult") {
      throw Error(ErrorCode::storage, what + ": expected <ListMultipartUploadsResult>, got <" + result.name + ">");
    }
    for (const xml::Element* u : result.all("Upload")) {
      storage::PendingUpload p;
      p.key = u->child_text("Key");
      p.id = u->child_text("UploadId");
      p.last_written = parse_time(u->child_text("Initiated"));
      // Some servers ignore the prefix; keep to it.
      if (!p.key.starts_with(prefix) || p.id.empty()) continue;
      out.push_back(std::move(p));
    }
    if (result.child_text("IsTruncated") != "true") break;
    std::string next_key = result.child_text("NextKeyMarker"), next_id = result.child_text("NextUploadIdMarker");
    if (next_key.empty() || (next_key == key_marker && next_id == id_marker)) {
      throw Error(ErrorCode::storage, what + ": truncated listing without a new NextKeyMarker");
    }
    key_marker = std::move(next_key);
    id_marker = std::move(next_id);
  }
  for (auto& p : out) add_parts(p);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key != b.key ? a.key < b.key : a.id < b.id; });
  return out;
}

void S3Store::add_parts(storage::PendingUpload& upload) {
  std::string what = "ListParts " + name(upload.key) + " upload " + upload.id;
  std::string marker;
  for (int page = 0;; ++page) {
    Params q = {{"uploadId", upload.id}};
    if (!marker.empty()) q.emplace_back("part-number-marker", marker);
    http::Response resp = send(request("GET", upload.key, q, what), sha256_hex(""));
    if (resp.status == 404) return;  // NoSuchUpload: finished or aborted meanwhile
    if (resp.status != 200) throw error_from(resp, resp.body, what);
    xml::Element result = xml::parse(resp.body, what + " (page " + std::to_string(page + 1) + ")");
    // S3 answers <ListPartsResult>; moto server <ListPartsResponse>, with the same content.
    if (result.name != "ListPartsResult" && result.name != "ListPartsResponse") {
      throw Error(ErrorCode::storage, what + ": expected <ListPartsResult>, got <" + result.name + ">");
    }
    for (const xml::Element* part : result.all("Part")) {
      upload.size += parse_size(part->child_text("Size"));
      auto t = parse_time(part->child_text("LastModified"));
      if (t && (!upload.last_written || *t > *upload.last_written)) upload.last_written = t;
    }
    if (result.child_text("IsTruncated") != "true") return;
    std::string next = result.child_text("NextPartNumberMarker");
    if (next.empty() || next == marker) return;  // sizes so far; the age is what matters
    marker = std::move(next);
  }
}

void S3Store::abort_pending_upload(const storage::PendingUpload& upload) {
  check_key(upload.key);
  if (upload.id.empty()) throw invalid_input(describe() + ": " + upload.key + ": no upload id to abort");
  abort_multipart(upload.key, upload.id);  // NoSuchUpload (already gone) is fine
}

}  // namespace vbackup::s3
