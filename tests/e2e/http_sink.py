#!/usr/bin/python3
"""http_sink.py - a webhook receiver for tests.

usage: python3 http_sink.py DIR PORTFILE SECRET

Listens on 127.0.0.1 on a port the OS chooses and writes it to PORTFILE.
Each POST whose X-BHXH-Signature is sha256=HMAC-SHA256(SECRET, body) is
stored as DIR/NNNNNN.json (status 200); any other is stored as
DIR/bad-NNNNNN.json and refused with 401."""
import hashlib
import hmac
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def atomic_write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class Handler(BaseHTTPRequestHandler):
    count = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        want = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        good = hmac.compare_digest(want, self.headers.get("X-BHXH-Signature", ""))
        Handler.count += 1
        name = ("%06d.json" if good else "bad-%06d.json") % Handler.count
        atomic_write(os.path.join(DIR, name), body)
        self.send_response(200 if good else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    DIR, portfile, SECRET = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    os.makedirs(DIR, exist_ok=True)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    atomic_write(portfile, str(httpd.server_address[1]).encode())
    httpd.serve_forever()
