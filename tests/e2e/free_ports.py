#!/usr/bin/env python3
"""free_ports.py - print free TCP ports of 127.0.0.1 for end-to-end tests.

    free_ports.py N          N free ports, space-separated
    free_ports.py N --run K  N free ports, each the first of K consecutive free
                             ports (a port base for K validators)

Each port is found by binding it (port 0 lets the kernel choose); all stay
bound until every one is found, so no two answers are the same port. A port
can still be taken by another program before the test binds it; tests use
ports from the kernel's ephemeral range, where that is rare.
"""
import socket
import sys


def main():
    n = int(sys.argv[1])
    run = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--run" else 1
    held, out = [], []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 1000:
            sys.exit("free_ports.py: no free ports found")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        base = s.getsockname()[1]
        block = [s]
        ok = base + run - 1 <= 65535
        for p in range(base + 1, base + run):
            if not ok:
                break
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                t.bind(("127.0.0.1", p))
                block.append(t)
            except OSError:
                t.close()
                ok = False
        if ok:
            held.extend(block)
            out.append(base)
        else:
            for t in block:
                t.close()
    for s in held:
        s.close()
    print(" ".join(str(p) for p in out))


if __name__ == "__main__":
    main()
