// Body checksums S3 accepts (x-amz-checksum-*, Content-MD5), each as the base64 of the big-endian
// digest, as the AWS SDKs send them.
#pragma once

#include <string>
#include <string_view>

namespace vbackup::s3 {

// `algorithm` is one of CRC32, CRC32C, SHA1, SHA256, CRC64NVME (Velero's checksumAlgorithm values).
bool known_checksum_algorithm(std::string_view algorithm);
// The header that carries it: "x-amz-checksum-crc32", …
std::string checksum_header(std::string_view algorithm);
// The CompleteMultipartUpload element: "ChecksumCRC32", …
std::string checksum_element(std::string_view algorithm);
// base64 of the digest of `data`.
std::string checksum_base64(std::string_view algorithm, std::string_view data);
// base64 of the MD5 of `data` (Content-MD5, required by DeleteObjects).
std::string content_md5(std::string_view data);

}  // namespace vbackup::s3
