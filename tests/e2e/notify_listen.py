#!/usr/bin/python3
"""notify_listen.py SOCKET OUT - a stand-in for systemd's notification socket.

Binds a unix datagram socket at SOCKET (a path, or @name for the abstract
namespace) and appends each datagram received to OUT as one line: the
monotonic time in ms, the sender's pid, the assignments joined by '|'
("12345 678 READY=1|STATUS=ready"). The first line is "T 0 listening".
Runs until killed."""
import socket
import struct
import sys
import time

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + path[1:] if path.startswith("@") else path)
creds = struct.calcsize("3i")
with open(out, "a", buffering=1) as f:
    f.write("%d 0 listening\n" % (time.monotonic() * 1000))
    while True:
        data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(creds))
        pid = 0
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("3i", payload[:creds])[0]
        msg = data.decode("utf-8", "replace").strip("\n").replace("\n", "|")
        f.write("%d %d %s\n" % (time.monotonic() * 1000, pid, msg))
