#!/usr/bin/python3
"""notify_listen.py SOCKET OUT - a stand-in for systemd's notification socket.

Binds a unix datagram socket at SOCKET (a path, or @name for the abstract
namespace) and appends each datagram received to OUT as one line: the
monotonic time in ms, a space, the assignments joined by '|'
("12345 READY=1|STATUS=ready"). Runs until killed."""
import os
import socket
import sys
import time

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + path[1:] if path.startswith("@") else path)
with open(out, "a", buffering=1) as f:
    f.write("%d listening\n" % (time.monotonic() * 1000))
    while True:
        data = s.recv(4096)
        msg = data.decode("utf-8", "replace").strip("\n").replace("\n", "|")
        f.write("%d %s\n" % (time.monotonic() * 1000, msg))
