#!/usr/bin/python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's JSON API: HTTP/1.1 keep-alive, ~450 KB JSON bodies streamed in small writes.

GET /healthz answers "ok"; any other GET answers the JSON body. The body is sent the way a
streaming JSON encoder sends it: TCP_NODELAY and one send() per --write-size bytes (512 by
default; 0 sends the whole body in one call). Small writes are what make a receiver with a small
tcp_rmem prune and collapse its receive queue.

Worker processes (one per CPU by default) share the listening socket; each connection gets a
thread that blocks in send(), so the receiver's window paces the sender. The server exits by
itself after --max-hours (and is killed by `netlab down`).
"""

import argparse
import json
import os
import signal
import socket
import sys
import threading

HEALTH = b"ok\n"


def make_body(size):
    """Deterministic JSON array of records, about size bytes long (valid JSON, no padding tricks)."""
    records = []
    length = 2
    index = 0
    while length < size:
        record = json.dumps({
            "id": index,
            "ts": "2026-01-01T00:%02d:%02d.%03dZ" % (index // 3600 % 60, index // 60 % 60, index % 1000),
            "service": "checkout-%d" % (index % 17),
            "region": ("eu-west-1", "us-east-2", "ap-south-1")[index % 3],
            "status": ("ok", "ok", "ok", "degraded")[index % 4],
            "latency_ms": [round((index * 7919 % 1000) / 10.0, 1), index * 31 % 250],
            "tags": ["tier:%d" % (index % 4), "shard:%d" % (index % 64)],
        }, separators=(",", ":"))
        records.append(record)
        length += len(record) + 1
        index += 1
    return ("[" + ",".join(records) + "]").encode("ascii")


def header(length, close):
    return (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/json\r\n"
        "Content-Length: %d\r\n"
        "Connection: %s\r\n\r\n" % (length, "close" if close else "keep-alive")
    ).encode("ascii")


def chunks(payload, write_size):
    view = memoryview(payload)
    if write_size <= 0:
        return [view]
    return [view[off:off + write_size] for off in range(0, len(payload), write_size)]


def serve_connection(conn, body_chunks, body_len, idle_timeout):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.settimeout(idle_timeout)
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(8192)
                if not data:
                    return
                buf += data
                if len(buf) > 65536:
                    return
            head, _, buf = buf.partition(b"\r\n\r\n")
            request_line = head.split(b"\r\n", 1)[0].split()
            if len(request_line) != 3:
                return
            path = request_line[1]
            lowered = head.lower()
            close = b"connection: close" in lowered or request_line[2] == b"HTTP/1.0"
            if path == b"/healthz":
                conn.sendall(header(len(HEALTH), close) + HEALTH)
            else:
                conn.sendall(header(body_len, close))
                send = conn.sendall
                for chunk in body_chunks:
                    send(chunk)
            if close:
                return
    except OSError:
        return
    finally:
        conn.close()


def worker(listener, body_chunks, body_len, idle_timeout):
    while True:
        try:
            conn, _ = listener.accept()
        except InterruptedError:
            continue
        thread = threading.Thread(target=serve_connection, args=(conn, body_chunks, body_len, idle_timeout))
        thread.daemon = True
        thread.start()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bind", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--body-bytes", type=int, default=450000, help="JSON body size (default 450000)")
    parser.add_argument("--write-size", type=int, default=512, help="bytes per send(); 0 = one send (default 512)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: CPUs)")
    parser.add_argument("--max-hours", type=float, default=6.0, help="exit after this long (default 6)")
    parser.add_argument("--idle-timeout", type=float, default=60.0, help="close idle connections (s)")
    parser.add_argument("--tag", default="", help="free text that marks the process (netlab:LAB)")
    args = parser.parse_args(argv)

    body = make_body(args.body_bytes)
    body_chunks = chunks(body, args.write_size)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.bind, args.port))
    listener.listen(1024)
    print("apiserver %s: %s:%d body=%d bytes write_size=%d workers=%d max_hours=%s" % (
        args.tag, args.bind, args.port, len(body), args.write_size, args.workers, args.max_hours), file=sys.stderr)

    children = []
    for _ in range(max(0, args.workers - 1)):
        pid = os.fork()
        if pid == 0:
            signal.alarm(max(1, int(args.max_hours * 3600)))
            worker(listener, body_chunks, len(body), args.idle_timeout)
            os._exit(0)
        children.append(pid)

    def stop(signum, _frame):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGALRM, stop)
    signal.alarm(max(1, int(args.max_hours * 3600)))
    worker(listener, body_chunks, len(body), args.idle_timeout)


if __name__ == "__main__":
    sys.exit(main())
