#!/usr/bin/python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's JSON consumer: a bounded, paced HTTP/1.1 keep-alive client. Run by `netlab load`.

--connections threads share one schedule of request slots, --rate per second, for --seconds and
at most --max-requests; a thread takes the next slot, waits for its time, sends GET and reads the
whole response like a busy consumer: --read-size bytes, then --think-ms of "processing". Requests
past the slot time are sent at once and counted as late. The process exits by itself (alarm) at
--seconds + --grace + 5 whatever happens, and prints one JSON object on stdout:
  {"requests", "errors", "error_kinds", "bytes", "late", "latencies_ms", "elapsed", "rcvbuf"}
"""

import argparse
import json
import signal
import socket
import sys
import threading
import time


class Schedule:
    """Hands out request slots: (index, due time), rate per second, bounded in count and time."""

    def __init__(self, start, rate, seconds, max_requests):
        self.start = start
        self.interval = 1.0 / rate
        self.end = start + seconds
        self.max_requests = max_requests
        self.next_index = 0
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            index = self.next_index
            due = self.start + index * self.interval
            if index >= self.max_requests or due >= self.end:
                return None
            self.next_index += 1
            return index, due


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = []
        self.requests = 0
        self.bytes = 0
        self.late = 0
        self.errors = {}

    def ok(self, latency_ms, nbytes, late):
        with self.lock:
            self.requests += 1
            self.bytes += nbytes
            self.late += 1 if late else 0
            self.latencies.append(round(latency_ms, 3))

    def error(self, kind):
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1


class HttpError(Exception):
    def __init__(self, kind):
        super().__init__(kind)
        self.kind = kind


def read_response(sock, read_size, think):
    """Read one response; return body length. Reads read_size at a time, 'processing' think s after each."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(read_size)
        if not data:
            raise HttpError("closed")
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = lines[0].split()
    if len(status) < 2 or status[1] != b"200":
        raise HttpError("http_status")
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        raise HttpError("no_length")
    got = len(rest)
    while got < length:
        if think > 0:
            time.sleep(think)
        data = sock.recv(min(read_size, length - got))
        if not data:
            raise HttpError("short_body")
        got += len(data)
    if got > length:
        raise HttpError("extra_bytes")
    return length


def connect(address, pin_rcvbuf, timeout):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if pin_rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, pin_rcvbuf)
    sock.settimeout(timeout)
    sock.connect(address)
    return sock


def run_connection(args, schedule, stats, hard_end, rcvbuf_seen):
    address = (args.host, args.port)
    request = ("GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n\r\n" % (args.path, args.host)).encode()
    think = args.think_ms / 1000.0
    sock = None
    while True:
        slot = schedule.take()
        if slot is None:
            break
        _, due = slot
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        late = time.monotonic() - due > schedule.interval
        remaining = hard_end - time.monotonic()
        if remaining <= 0:
            stats.error("deadline")
            break
        try:
            if sock is None:
                sock = connect(address, args.pin_rcvbuf, min(10.0, remaining))
                if not rcvbuf_seen:
                    rcvbuf_seen.append(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
            sock.settimeout(min(30.0, remaining))
            sent = time.monotonic()
            sock.sendall(request)
            nbytes = read_response(sock, args.read_size, think)
            stats.ok((time.monotonic() - sent) * 1000.0, nbytes, late)
        except HttpError as exc:
            stats.error(exc.kind)
        except socket.timeout:
            stats.error("timeout")
        except ConnectionRefusedError:
            stats.error("refused")
        except OSError as exc:
            stats.error(type(exc).__name__)
        else:
            continue
        if sock is not None:
            sock.close()
            sock = None
    if sock is not None:
        sock.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--path", default="/data")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=None, help="default rate*seconds*1.2")
    parser.add_argument("--read-size", type=int, default=16384)
    parser.add_argument("--think-ms", type=float, default=2.0)
    parser.add_argument("--pin-rcvbuf", type=int, default=0, help="setsockopt(SO_RCVBUF) before connect")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds allowed past --seconds")
    parser.add_argument("--tag", default="", help="free text that marks the process (netlab:LAB)")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0 or args.connections < 1:
        parser.error("--rate, --seconds and --connections must be positive")
    if args.max_requests is None:
        args.max_requests = int(args.rate * args.seconds * 1.2)

    signal.alarm(int(args.seconds + args.grace + 5))  # hard stop: default action terminates
    start = time.monotonic()
    schedule = Schedule(start, args.rate, args.seconds, args.max_requests)
    stats = Stats()
    rcvbuf_seen = []
    threads = [threading.Thread(target=run_connection, args=(args, schedule, stats, start + args.seconds + args.grace,
                                                             rcvbuf_seen), daemon=True)
               for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, start + args.seconds + args.grace - time.monotonic()))
    for _ in range(sum(1 for thread in threads if thread.is_alive())):
        stats.error("unfinished")  # a request still in flight at the hard end
    with stats.lock:
        result = {
            "requests": stats.requests,
            "errors": sum(stats.errors.values()),
            "error_kinds": dict(stats.errors),
            "bytes": stats.bytes,
            "late": stats.late,
            "latencies_ms": list(stats.latencies),
            "elapsed": round(time.monotonic() - start, 3),
            "rcvbuf": rcvbuf_seen[0] if rcvbuf_seen else None,
        }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
