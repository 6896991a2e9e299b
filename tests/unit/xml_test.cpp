// The XML reader the object stores share (core/xml.hpp), on the documents S3 and Azure send.
#include "core/xml.hpp"
#include "vbackup/error.hpp"

#include <doctest/doctest.h>

using namespace vbackup;

TEST_CASE("an S3 ListBucketResult page reads into a tree; namespaces and prefixes dropped") {
  auto root = xml::parse(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>velero</Name><Prefix>backups/</Prefix><KeyCount>2</KeyCount>
  <IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents><Key>backups/a&amp;b/velero-backup.json</Key><Size>1224</Size></Contents>
  <Contents><Key><![CDATA[backups/<c>/x]]></Key><Size>7</Size></Contents>
  <CommonPrefixes><Prefix>backups/d/</Prefix></CommonPrefixes>
</ListBucketResult>)", "ListObjectsV2 answer");
  CHECK(root.name == "ListBucketResult");
  CHECK(root.child_text("IsTruncated") == "true");
  auto contents = root.all("Contents");
  REQUIRE(contents.size() == 2);
  CHECK(contents[0]->child_text("Key") == "backups/a&b/velero-backup.json");
  CHECK(contents[1]->child_text("Key") == "backups/<c>/x");
  CHECK(root.child("CommonPrefixes")->child_text("Prefix") == "backups/d/");
  CHECK(root.child("Missing") == nullptr);
  CHECK(root.child_text("Missing").empty());
  CHECK(root.attribute("xmlns") == std::optional<std::string>("http://s3.amazonaws.com/doc/2006-03-01/"));
}

TEST_CASE("an Azure EnumerationResults page with attributes and character references") {
  auto root = xml::parse(R"(<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://127.0.0.1:10000/devstoreaccount1" ContainerName="c"><Blobs><Blob><Name Encoded="false">a&#x2F;b&#233;</Name></Blob></Blobs><NextMarker/></EnumerationResults>)",
                         "List Blobs answer");
  CHECK(root.attribute("ContainerName") == std::optional<std::string>("c"));
  const auto* name = root.child("Blobs")->child("Blob")->child("Name");
  CHECK(name->text == "a/b\xC3\xA9");
  CHECK(name->attribute("Encoded") == std::optional<std::string>("false"));
  CHECK(root.child("NextMarker")->text.empty());
}

TEST_CASE("malformed, truncated and hostile documents are errors that name the document and position") {
  for (const char* bad : {"", "<a>", "<a></b>", "<a><b></a>", "not xml", "<a/><b/>",
                          "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "<a>&unknown;</a>"}) {
    CAPTURE(bad);
    try {
      xml::parse(bad, "S3 error body");
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::storage);
      CHECK(std::string(e.what()).starts_with("S3 error body: not valid XML (line "));
    }
  }
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  for (int i = 0; i < 100; ++i) deep += "</a>";
  CHECK_THROWS_AS(xml::parse(deep, "deep"), Error);
}

TEST_CASE("escape for request bodies") {
  CHECK(xml::escape("a&b<c>\"d'") == "a&amp;b&lt;c&gt;&quot;d&apos;");
  auto round = xml::parse("<k>" + xml::escape("x&<y>") + "</k>", "t");
  CHECK(round.text == "x&<y>");
}
