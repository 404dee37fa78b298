#!/usr/bin/env python3
"""A small ClickHouse HTTP interface in front of chDB, the ClickHouse engine as a library.

The SQL, the types, the formats and the error messages are the real ClickHouse ones; this file
only speaks the HTTP side of the protocol, as much of it as ralph's tests and the Python ralph's
clickhouse-connect use:

- the query in the `query` URL parameter, in the body, or both (`INSERT ... FORMAT X` in the URL
  and the rows in the body), or as a `multipart/form-data` body whose fields are the query and
  its `param_<name>` parameters (as the `clickhouse` crate 0.15 sends parameters);
- `database`, `default_format`, `query_id`, server-side query parameters (`param_<name>`), any
  other URL parameter as a query setting (`SET name = value` on a fresh connection);
- compressed request bodies (`Content-Encoding: gzip|deflate|zstd|lz4`), compressed responses
  (`Accept-Encoding: lz4|zstd`, LZ4 frames / zstd frames) and ClickHouse's own LZ4 blocks
  (`decompress=1` for the body, `compress=1` for the response), checksummed with CityHash128
  as the native clients expect;
- errors as ClickHouse sends them: `Code: N. DB::Exception: ...` with the exception code in the
  `X-ClickHouse-Exception-Code` header and an HTTP status by code;
- optional basic / `X-ClickHouse-User` + `X-ClickHouse-Key` authentication (`--user`,
  `--password`), so that clients can be tested against a wrong password.

Not served: the native TCP protocol, gzip responses, sessions.

Usage: chdb_http.py --host 127.0.0.1 --port 8123 --path DATA_DIR
"""
import argparse
import base64
import gzip
import io
import json
import os
import re
import struct
import sys
import tempfile
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import chdb

# URL parameters that are protocol controls, not query settings.
CONTROLS = {
    "query", "database", "default_format", "compress", "decompress", "user", "password",
    "query_id", "session_id", "session_timeout", "session_check", "wait_end_of_query",
    "enable_http_compression", "buffer_size", "quota_key", "stacktrace", "role",
    "client_protocol_version", "http_headers_progress_interval_ms",
}
# HTTP status of ClickHouse exception codes, as the real server answers.
STATUS_OF_CODE = {
    60: 404, 81: 404, 62: 400, 27: 400, 26: 400, 36: 400, 47: 400, 53: 400, 69: 400,
    456: 400, 457: 400, 516: 401, 192: 401, 194: 401, 497: 403, 164: 403,
}
# An INSERT whose rows follow in the body: the statement ends at `FORMAT <name>`.
INSERT_HEAD = re.compile(rb"^\s*(INSERT\s+INTO\s.*?\bFORMAT\s+\w+)[ \t]*\r?\n?", re.I | re.S)
CONTENT_TYPES = {
    "JSON": "application/json", "JSONCompact": "application/json",
    "JSONEachRow": "application/x-ndjson", "CSV": "text/csv", "CSVWithNames": "text/csv",
}
LZ4_METHOD, NONE_METHOD = 0x82, 0x02


class Config:
    db_uri = ":memory:"
    user = None
    password = None


def lz4_blocks_decode(data):
    """Decodes ClickHouse compressed blocks: 16-byte checksum, method, sizes, payload."""
    import lz4.block

    out, pos = bytearray(), 0
    while pos < len(data):
        method = data[pos + 16]
        compressed, decompressed = struct.unpack_from("<II", data, pos + 17)
        payload = data[pos + 25:pos + 16 + compressed]
        if method == LZ4_METHOD:
            out += lz4.block.decompress(payload, uncompressed_size=decompressed)
        elif method == NONE_METHOD:
            out += payload
        else:
            raise ValueError(f"compression method 0x{method:02x} is not supported")
        pos += 16 + compressed
    return bytes(out)


def lz4_blocks_encode(data, block_size=1 << 20):
    """Encodes ClickHouse compressed blocks, as `compress=1` asks."""
    import lz4.block
    from clickhouse_cityhash.cityhash import CityHash128

    out = bytearray()
    for start in range(0, max(len(data), 1), block_size):
        chunk = data[start:start + block_size]
        payload = lz4.block.compress(chunk, store_size=False)
        block = bytes([LZ4_METHOD]) + struct.pack("<II", len(payload) + 9, len(chunk)) + payload
        checksum = CityHash128(block)
        out += struct.pack("<QQ", checksum >> 64, checksum & 0xFFFFFFFFFFFFFFFF) + block
    return bytes(out)


def decode_body(body, encoding, decompress):
    encoding = (encoding or "").lower()
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding == "deflate":
        body = zlib.decompress(body)
    elif encoding == "zstd":
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body), read_across_frames=True)
        body = reader.read()
    elif encoding == "lz4":  # one LZ4 frame per block sent
        import lz4.frame

        out = bytearray()
        while body:
            frame = lz4.frame.LZ4FrameDecompressor()
            out += frame.decompress(body)
            body = frame.unused_data
        body = bytes(out)
    if decompress and body:
        body = lz4_blocks_decode(body)
    return body


def multipart_fields(body, content_type):
    """The fields of a `multipart/form-data` body, as a dict of text values."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not found:
        raise ClickHouseError(27, "Code: 27. DB::Exception: multipart body without a boundary. (CANNOT_PARSE_INPUT_ASSERTION_FAILED)")
    fields = {}
    for part in body.split(b"--" + found.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, value = part.lstrip(b"\r\n").partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]*)"', head)
        if name:
            fields[name.group(1).decode()] = value[:-2] if value.endswith(b"\r\n") else value
    return {k: v.decode() for k, v in fields.items()}


def encode_response(out, accept):
    """The response body compressed as the client accepts it, and its `Content-Encoding`."""
    accepted = {e.split(";")[0].strip().lower() for e in (accept or "").split(",")}
    if "lz4" in accepted:
        import lz4.frame

        return lz4.frame.compress(out), "lz4"
    if "zstd" in accepted:
        import zstandard

        return zstandard.ZstdCompressor().compress(out), "zstd"
    return out, None


def setting_literal(value):
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class ClickHouseError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ralph-chdb-http"

    def log_message(self, fmt, *args):
        if os.environ.get("CHDB_HTTP_LOG"):
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_HEAD(self):
        self.serve(b"")

    def do_GET(self):
        self.serve(b"")

    def do_POST(self):
        self.serve(self.read_body())

    def authenticate(self, params):
        if Config.password is None:
            return
        user = self.headers.get("X-ClickHouse-User") or params.get("user")
        password = self.headers.get("X-ClickHouse-Key") or params.get("password")
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        if (user or "default") != Config.user or password != Config.password:
            raise ClickHouseError(
                516, f"Code: 516. DB::Exception: {user or 'default'}: Authentication failed: "
                     "password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)")

    def serve(self, body):
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        if url.path in ("/", "/ping") and "query" not in params and not body:
            return self.reply(200, b"Ok.\n", [("Content-Type", "text/html; charset=UTF-8")])
        query_id = params.get("query_id") or self.headers.get("X-ClickHouse-Query-Id") or str(uuid.uuid4())
        fmt = params.get("default_format") or self.headers.get("X-ClickHouse-Format") or "TabSeparated"
        database = params.get("database") or self.headers.get("X-ClickHouse-Database") or "default"
        try:
            self.authenticate(params)
            content_type = self.headers.get("Content-Type", "")
            if content_type.lower().startswith("multipart/form-data"):
                params.update(multipart_fields(body, content_type))
                body = b""
            body = decode_body(body, self.headers.get("Content-Encoding"), params.get("decompress") == "1")
            sql = params.get("query", "").encode()
            text = sql + b"\n" + body if sql and body else sql or body
            started = time.time()
            out, summary = self.run(text, fmt, database, params)
            summary["elapsed_ns"] = str(int((time.time() - started) * 1e9))
            if params.get("compress") == "1":
                out = lz4_blocks_encode(out)
            headers = [
                ("Content-Type", CONTENT_TYPES.get(fmt, "text/tab-separated-values; charset=UTF-8")),
                ("X-ClickHouse-Format", fmt), ("X-ClickHouse-Query-Id", query_id),
                ("X-ClickHouse-Timezone", "UTC"), ("X-ClickHouse-Summary", json.dumps(summary)),
            ]
            out, encoding = encode_response(out, self.headers.get("Accept-Encoding"))
            if encoding:
                headers.append(("Content-Encoding", encoding))
            self.reply(200, out, headers)
        except Exception as err:  # noqa: BLE001 - every failure is reported the ClickHouse way
            message = str(err).strip()
            if os.environ.get("CHDB_HTTP_LOG"):
                sys.stderr.write(f"failed: {self.path}\n{message}\n")
            found = re.search(r"Code: (\d+)", message)
            code = getattr(err, "code", None) or (int(found.group(1)) if found else 1001)
            if not found:
                message = f"Code: {code}. DB::Exception: {message}"
            self.reply(STATUS_OF_CODE.get(code, 500), (message + "\n").encode(), [
                ("Content-Type", "text/plain; charset=UTF-8"),
                ("X-ClickHouse-Exception-Code", str(code)), ("X-ClickHouse-Query-Id", query_id),
            ])

    @staticmethod
    def run(text, fmt, database, params):
        # A connection per request, so that the settings of one request never leak into
        # another; the engine itself stays up (see main).
        conn = chdb.connect(Config.db_uri)
        try:
            conn.query(f"USE `{database}`")
            for name, value in params.items():
                if name not in CONTROLS and not name.startswith("param_"):
                    conn.query(f"SET {name} = {setting_literal(value)}")
            query_params = {k[len("param_"):]: v for k, v in params.items() if k.startswith("param_")}
            head = INSERT_HEAD.match(text)
            if head and text[head.end():].strip():
                # chDB takes no data stream with a query: the rows go through a file.
                with tempfile.NamedTemporaryFile(prefix="chdb-insert-", delete=False) as rows:
                    rows.write(text[head.end():])
                try:
                    statement = re.sub(rb"\bFORMAT\s+(\w+)\s*$", b"FROM INFILE '" + rows.name.encode()
                                       + rb"' FORMAT \1", head.group(1), flags=re.I | re.S)
                    result = conn.query(statement.decode(), "TabSeparated", params=query_params)
                finally:
                    os.unlink(rows.name)
                out = b""
            else:
                result = conn.query(text.decode(), fmt, params=query_params)
                out = result.bytes() or b""
            summary = {"read_rows": str(result.rows_read()), "read_bytes": str(result.bytes_read())}
            return out, summary
        finally:
            conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--path", default=":memory:", help="data directory (`:memory:`: nothing kept)")
    parser.add_argument("--user", default="default", help="user name checked with --password")
    parser.add_argument("--password", help="require this password (default: no authentication)")
    args = parser.parse_args()
    Config.db_uri = args.path if args.path == ":memory:" else "file:" + os.path.abspath(args.path)
    Config.user, Config.password = args.user, args.password
    # Held for the life of the process, so that the engine is not shut down between requests.
    engine = chdb.connect(Config.db_uri)
    version = engine.query("SELECT version()", "TabSeparated").bytes().decode().strip()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"chdb-http: ClickHouse {version} on http://{args.host}:{args.port} (data: {args.path})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
