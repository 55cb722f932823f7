#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A listen queue too short for its load, for the guards' lab test (run in a host's namespace).

  netlab exec --name LAB h02 -- python3 tools/netlab/listenq.py listen --port 9099 --seconds 60
  netlab exec --name LAB api -- python3 tools/netlab/listenq.py connect --to 198.18.3.3 --port 9099 \
      --count 300 --seconds 40

``listen`` binds the port on every address with a backlog of 1 and never accepts: once two
handshakes wait in its accept queue, the kernel drops every further SYN and counts TcpExt
ListenOverflows and ListenDrops in this host's namespace. It prints one JSON line
(``{"listening": port}``) once bound, then sleeps for --seconds and exits.

``connect`` opens up to --count connections to that port, one every --interval seconds, each with
a non-blocking connect that is closed after --hold seconds (a SYN the listener drops is retried by
the kernel while it is held), for at most --seconds. It prints ``{"attempts": n}`` at the end.
Run it from a namespace whose counters are not judged (the API host): the SYNs it retransmits
count as its own retransmissions.

Both stop by themselves (at most 600 s and 5000 connections). Standard library only.
"""

import argparse
import json
import socket
import sys
import time

MAX_SECONDS = 600
MAX_COUNT = 5000


def listen(port, seconds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('0.0.0.0', port))
    sock.listen(1)
    print(json.dumps({'listening': port}), flush=True)
    try:
        time.sleep(seconds)
    finally:
        sock.close()


def connect(address, port, count, seconds, interval, hold):
    deadline = time.monotonic() + seconds
    held = []
    attempts = 0
    while attempts < count and time.monotonic() < deadline:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.connect_ex((address, port))
        except OSError:
            pass
        held.append((time.monotonic() + hold, sock))
        attempts += 1
        now = time.monotonic()
        while held and held[0][0] <= now:
            held.pop(0)[1].close()
        time.sleep(interval)
    for _until, sock in held:
        sock.close()
    print(json.dumps({'attempts': attempts}), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='kind', required=True)
    one = sub.add_parser('listen', help='a listener that never accepts (backlog 1)')
    one.add_argument('--port', type=int, required=True)
    one.add_argument('--seconds', type=float, required=True)
    two = sub.add_parser('connect', help='a bounded stream of connections to such a listener')
    two.add_argument('--to', required=True, help='the listening host address')
    two.add_argument('--port', type=int, required=True)
    two.add_argument('--count', type=int, default=300)
    two.add_argument('--seconds', type=float, required=True)
    two.add_argument('--interval', type=float, default=0.1)
    two.add_argument('--hold', type=float, default=2.0)
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error('--seconds must be in (0, %d]' % MAX_SECONDS)
    if args.kind == 'listen':
        listen(args.port, args.seconds)
    else:
        if not 0 < args.count <= MAX_COUNT:
            parser.error('--count must be in (0, %d]' % MAX_COUNT)
        connect(args.to, args.port, args.count, args.seconds, max(args.interval, 0.001), args.hold)
    return 0


if __name__ == '__main__':
    sys.exit(main())
