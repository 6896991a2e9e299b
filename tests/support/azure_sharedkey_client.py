#!/usr/bin/python3
"""An independent Azure Blob client, Python standard library only, for cross-checking libvbackup.

It signs with Shared Key as learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key
describes, written from that page and not from the C++ code, so the two can disagree. Used by
tests/unit/azure_sharedkey_test.cpp (the `sign` and `sas` commands, no network) and by
tests/integration/azure_test.cpp (the others, against Azurite).

    azure_sharedkey_client.py [--endpoint URL] [--cafile PEM] --account NAME (--key B64 | --key-env VAR) COMMAND ...

Commands:
    create-container C
    put C BLOB FILE [--block-size N]   Put Blob, or Put Block x n + Put Block List when larger than N
    get C BLOB FILE [--range A-B]      download to FILE
    sha256 C BLOB                      prints the hex SHA-256 of the blob, streamed
    list C [--prefix P] [--delimiter D] [--max-results N]
                                       prints every name (blob prefixes end with the delimiter), all pages
    delete C BLOB
    fetch URL                          unauthenticated GET (a SAS URL); prints the hex SHA-256 of the body
    sign --method M --path P [--query NAME=VALUE]... [--header NAME:VALUE]...
                                       prints the string-to-sign as JSON on one line, then the signature
    sas --container C --blob B --start T --expiry T --protocol P --version V
                                       prints the service SAS string-to-sign as JSON, then the signature
Exit status 0 on success; 1 with the HTTP status and error code on stderr otherwise.
"""

import argparse
import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import ssl
import sys
import urllib.parse
import xml.etree.ElementTree as ET

API_VERSION = "2021-08-06"

# Standard headers in string-to-sign order, after the verb.
STANDARD_HEADERS = [
    "content-encoding", "content-language", "content-length", "content-md5", "content-type", "date",
    "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range",
]


class ServiceError(Exception):
    pass


def string_to_sign(account, method, path, query, headers):
    """query: list of (name, decoded value); headers: dict name -> value (any case)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    lines = [method.upper()]
    for name in STANDARD_HEADERS:
        value = lowered.get(name, "")
        if name == "content-length" and value == "0":
            value = ""  # versions 2015-02-21 and later
        lines.append(value)
    canonical_headers = ""
    for name in sorted(k for k in lowered if k.startswith("x-ms-")):
        value = " ".join(lowered[name].split())  # trim, fold linear whitespace
        canonical_headers += "%s:%s\n" % (name, value)
    resource = "/" + account + (path or "/")
    grouped = {}
    for name, value in query:
        grouped.setdefault(name.lower(), []).append(value)
    for name in sorted(grouped):
        resource += "\n%s:%s" % (name, ",".join(sorted(grouped[name])))
    return "\n".join(lines) + "\n" + canonical_headers + resource


def sign(key_bytes, text):
    return base64.b64encode(hmac.new(key_bytes, text.encode("utf-8"), hashlib.sha256).digest()).decode()


def sas_string_to_sign(account, container, blob, start, expiry, protocol, version, permissions="r"):
    resource = "/blob/%s/%s/%s" % (account, container, blob)
    fields = [permissions, start, expiry, resource, "", "", protocol, version, "b", "", "", "", "", "", "", ""]
    return "\n".join(fields)


def connect(url, cafile):
    if url.scheme == "https":
        return http.client.HTTPSConnection(url.hostname, url.port, timeout=120,
                                           context=ssl.create_default_context(cafile=cafile))
    return http.client.HTTPConnection(url.hostname, url.port, timeout=120)


class Client:
    def __init__(self, endpoint, account, key_b64, cafile=None):
        self.endpoint = urllib.parse.urlsplit(endpoint.rstrip("/"))
        self.account = account
        self.key = base64.b64decode(key_b64, validate=True)
        self.cafile = cafile

    def _connection(self):
        return connect(self.endpoint, self.cafile)

    def request(self, method, container, blob=None, query=(), headers=None, body=b"", stream=False):
        path = self.endpoint.path + "/" + urllib.parse.quote(container, safe="")
        if blob is not None:
            path += "/" + urllib.parse.quote(blob, safe="/")
        query = list(query)
        target = path
        if query:
            target += "?" + "&".join("%s=%s" % (urllib.parse.quote(k, safe=""), urllib.parse.quote(v, safe=""))
                                     for k, v in query)
        headers = dict(headers or {})
        headers["x-ms-date"] = email.utils.formatdate(usegmt=True)
        headers["x-ms-version"] = API_VERSION
        headers["Content-Length"] = str(len(body))
        to_sign = string_to_sign(self.account, method, path, query, headers)
        headers["Authorization"] = "SharedKey %s:%s" % (self.account, sign(self.key, to_sign))
        conn = self._connection()
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        if response.status >= 300:
            data = response.read()
            code = response.getheader("x-ms-error-code", "")
            raise ServiceError("%s %s: HTTP %d %s %s" % (method, target, response.status, code,
                                                         data[:300].decode("utf-8", "replace")))
        if stream:
            return response, conn
        data = response.read()
        conn.close()
        return response, data

    def create_container(self, container):
        self.request("PUT", container, query=[("restype", "container")])

    def put(self, container, blob, path, block_size):
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            if size <= block_size:
                self.request("PUT", container, blob, headers={"x-ms-blob-type": "BlockBlob"}, body=f.read())
                return
            ids = []
            while True:
                chunk = f.read(block_size)
                if not chunk:
                    break
                block_id = base64.b64encode(b"py-%08d" % len(ids)).decode()
                self.request("PUT", container, blob, query=[("comp", "block"), ("blockid", block_id)], body=chunk)
                ids.append(block_id)
        body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>" + \
            "".join("<Latest>%s</Latest>" % i for i in ids) + "</BlockList>"
        self.request("PUT", container, blob, query=[("comp", "blocklist")], body=body.encode(),
                     headers={"Content-Type": "application/xml"})

    def download(self, container, blob, sink, byte_range=None):
        headers = {"x-ms-range": "bytes=" + byte_range} if byte_range else {}
        response, conn = self.request("GET", container, blob, headers=headers, stream=True)
        while True:
            chunk = response.read(1 << 20)
            if not chunk:
                break
            sink(chunk)
        conn.close()

    def list(self, container, prefix, delimiter, max_results):
        names, marker = [], ""
        while True:
            query = [("restype", "container"), ("comp", "list")]
            if prefix:
                query.append(("prefix", prefix))
            if delimiter:
                query.append(("delimiter", delimiter))
            if max_results:
                query.append(("maxresults", str(max_results)))
            if marker:
                query.append(("marker", marker))
            _, data = self.request("GET", container, query=query)
            root = ET.fromstring(data)
            for item in root.find("Blobs"):
                name = item.find("Name")
                text = name.text or ""
                if name.get("Encoded") == "true":
                    text = urllib.parse.unquote(text)
                names.append(text)
            marker = root.findtext("NextMarker") or ""
            if not marker:
                return names


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default="")
    parser.add_argument("--cafile", help="PEM file of extra trusted certificates, for https endpoints")
    parser.add_argument("--account", required=True)
    parser.add_argument("--key")
    parser.add_argument("--key-env")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create-container")
    p.add_argument("container")
    p = sub.add_parser("put")
    p.add_argument("container")
    p.add_argument("blob")
    p.add_argument("file")
    p.add_argument("--block-size", type=int, default=4 << 20)
    p = sub.add_parser("get")
    p.add_argument("container")
    p.add_argument("blob")
    p.add_argument("file")
    p.add_argument("--range")
    p = sub.add_parser("sha256")
    p.add_argument("container")
    p.add_argument("blob")
    p = sub.add_parser("list")
    p.add_argument("container")
    p.add_argument("--prefix", default="")
    p.add_argument("--delimiter", default="")
    p.add_argument("--max-results", type=int, default=0)
    p = sub.add_parser("delete")
    p.add_argument("container")
    p.add_argument("blob")
    p = sub.add_parser("fetch")
    p.add_argument("url")
    p = sub.add_parser("sign")
    p.add_argument("--method", required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--query", action="append", default=[])
    p.add_argument("--header", action="append", default=[])
    p = sub.add_parser("sas")
    for name in ("container", "blob", "start", "expiry", "protocol", "version"):
        p.add_argument("--" + name, required=True)
    args = parser.parse_args()

    key = args.key if args.key is not None else os.environ.get(args.key_env or "", "")
    if args.command == "sign":
        query = [tuple(q.split("=", 1)) for q in args.query]
        headers = dict(h.split(":", 1) for h in args.header)
        text = string_to_sign(args.account, args.method, args.path, query, headers)
        print(json.dumps(text))
        print(sign(base64.b64decode(key, validate=True), text))
        return 0
    if args.command == "sas":
        text = sas_string_to_sign(args.account, args.container, args.blob, args.start, args.expiry,
                                  args.protocol, args.version)
        print(json.dumps(text))
        print(sign(base64.b64decode(key, validate=True), text))
        return 0
    if args.command == "fetch":
        url = urllib.parse.urlsplit(args.url)
        conn = connect(url, args.cafile)
        conn.request("GET", url.path + ("?" + url.query if url.query else ""))
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            print("GET %s: HTTP %d %s" % (url.path, response.status, response.getheader("x-ms-error-code", "")),
                  file=sys.stderr)
            return 1
        print(hashlib.sha256(data).hexdigest())
        return 0

    client = Client(args.endpoint, args.account, key, args.cafile)
    try:
        if args.command == "create-container":
            client.create_container(args.container)
        elif args.command == "put":
            client.put(args.container, args.blob, args.file, args.block_size)
        elif args.command == "get":
            with open(args.file, "wb") as f:
                client.download(args.container, args.blob, f.write, args.range)
        elif args.command == "sha256":
            digest = hashlib.sha256()
            client.download(args.container, args.blob, digest.update)
            print(digest.hexdigest())
        elif args.command == "list":
            for name in client.list(args.container, args.prefix, args.delimiter, args.max_results):
                print(name)
        elif args.command == "delete":
            client.request("DELETE", args.container, args.blob)
    except ServiceError as e:
        print(str(e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
