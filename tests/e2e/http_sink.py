#!/usr/bin/python3
"""http_sink.py - a webhook receiver for tests.

usage: python3 http_sink.py DIR PORTFILE SECRET

Listens on 127.0.0.1 on a port the OS chooses and writes it to PORTFILE.
Each POST whose X-BHXH-Signature is sha256=HMAC-SHA256(SECRET, body) is
stored as DIR/NNNNNN.json (status 200); any other is stored as
DIR/bad-NNNNNN.json and refused with 401.

A test steers the answers through files in DIR:
  DIR/answers  one HTTP status per line: each POST takes (and removes) the
               first line and is answered with that status, its body not
               stored; when the file is empty or absent, the rule above.
  DIR/hang     while it exists, a POST is held unanswered (DIR/holding marks
               it; at most 60 s), then answered 503 and not stored.
Every POST adds a line "NNNNNN STATUS NOTICE" to DIR/requests.log (NOTICE
from X-BHXH-Notice; STATUS "hung" for a held one)."""
import hashlib
import hmac
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


def atomic_write(path, data):
    tmp = path + ".tmp.%d" % threading.get_ident()
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def scripted_status():
    """the first line of DIR/answers, removed; None when there is none"""
    path = os.path.join(DIR, "answers")
    with LOCK:
        try:
            lines = open(path).read().split()
        except FileNotFoundError:
            return None
        if not lines:
            return None
        atomic_write(path, ("\n".join(lines[1:]) + "\n").encode() if len(lines) > 1 else b"")
        return int(lines[0])


class Handler(BaseHTTPRequestHandler):
    count = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        notice = self.headers.get("X-BHXH-Notice", "-")
        with LOCK:
            Handler.count += 1
            n = Handler.count
        hang = os.path.join(DIR, "hang")
        status = None
        if os.path.exists(hang):
            # held until the test removes DIR/hang (polled every 20 ms), 60 s at most;
            # by then the client has given up: nothing is stored
            atomic_write(os.path.join(DIR, "holding"), b"1")
            deadline = time.monotonic() + 60
            while os.path.exists(hang) and time.monotonic() < deadline:
                time.sleep(0.02)
            status = "hung"
        else:
            status = scripted_status()
        if status is None:
            want = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
            good = hmac.compare_digest(want, self.headers.get("X-BHXH-Signature", ""))
            atomic_write(os.path.join(DIR, ("%06d.json" if good else "bad-%06d.json") % n), body)
            status = 200 if good else 401
        try:
            self.send_response(503 if status == "hung" else status)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:
            pass
        with LOCK:
            with open(os.path.join(DIR, "requests.log"), "a") as f:
                f.write("%06d %s %s\n" % (n, status, notice))

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    DIR, portfile, SECRET = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    os.makedirs(DIR, exist_ok=True)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    atomic_write(portfile, str(httpd.server_address[1]).encode())
    httpd.serve_forever()
