#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sockets beside the JSON load, for the pinned receive buffer rule's tests (run in a host's namespace).

  netlab exec --name LAB h01 -- python3 tools/netlab/sockhelper.py --api 198.18.3.2 --seconds 60 idle light late

Kinds (each connects to the API host's port 8080 and fetches ~450 KB bodies):
  idle   two sockets with SO_RCVBUF 64 KB set before connect: one body, then nothing
  light  one plain and one pinned (64 KB) socket: a body every 6 s (~75 KB/s)
  late   one socket with SO_RCVBUF 8 KB set AFTER connect, fetching bodies back to back (busy)

Prints one JSON line, {kind: [local port, ...]}, once every socket is open, then runs for --seconds
(at most 600) and exits. Standard library only.
"""

import argparse
import json
import socket
import threading
import time

PORT = 8080


def connect(host, pin):
    sock = socket.socket()
    if pin:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, pin)
    sock.connect((host, PORT))
    return sock


def fetch(sock):
    """One GET /data on a keep-alive connection, the body read to its end."""
    sock.sendall(b"GET /data HTTP/1.1\r\nHost: api\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError("connection closed")
        head += chunk
    head, _, body = head.partition(b"\r\n\r\n")
    length = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    length = int(length[0].split(b":", 1)[1])
    received = len(body)
    while received < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError("connection closed")
        received += len(chunk)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--api", required=True, help="the API host's address")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("kinds", nargs="+", choices=["idle", "light", "late"])
    args = parser.parse_args()
    if not 0 < args.seconds <= 600:
        parser.error("--seconds must be 0-600")
    end = time.monotonic() + args.seconds
    opened = {}
    if "idle" in args.kinds:
        opened["idle"] = [connect(args.api, 65536), connect(args.api, 65536)]
    if "light" in args.kinds:
        opened["light"] = [connect(args.api, 0), connect(args.api, 65536)]
    if "late" in args.kinds:
        late = connect(args.api, 0)
        late.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        opened["late"] = [late]
    for kind in ("idle", "light"):
        for sock in opened.get(kind, []):
            fetch(sock)
    print(json.dumps(dict((kind, [s.getsockname()[1] for s in socks]) for kind, socks in opened.items())),
          flush=True)

    def busy(sock):
        while time.monotonic() < end:
            fetch(sock)
            time.sleep(0.02)
    for sock in opened.get("late", []):
        threading.Thread(target=busy, args=(sock,), daemon=True).start()
    while time.monotonic() < end:
        time.sleep(max(0.0, min(6.0, end - time.monotonic())))
        if time.monotonic() < end:
            for sock in opened.get("light", []):
                fetch(sock)


if __name__ == "__main__":
    main()
