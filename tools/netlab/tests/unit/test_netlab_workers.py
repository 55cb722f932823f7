# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parts of the processes netlab starts: the API body, the client's schedule and HTTP reader,
hostns.py's sysctl.d parser."""

import json

import pytest

import apiserver
import hostns
import loadclient


def test_body_is_json_of_the_asked_size():
    body = apiserver.make_body(450000)
    assert 450000 <= len(body) < 450000 + 400
    records = json.loads(body)
    assert records[0]["id"] == 0 and len(records) > 1000
    assert apiserver.make_body(450000) == body


@pytest.mark.parametrize("write_size, count, last", [(512, 3, 24), (0, 1, 1048), (2000, 1, 1048)])
def test_chunks(write_size, count, last):
    parts = apiserver.chunks(b"x" * 1048, write_size)
    assert len(parts) == count and len(parts[-1]) == last
    assert b"".join(bytes(p) for p in parts) == b"x" * 1048


def test_header():
    assert apiserver.header(10, False) == (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                           b"Content-Length: 10\r\nConnection: keep-alive\r\n\r\n")
    assert b"Connection: close" in apiserver.header(10, True)


def test_schedule_is_bounded_by_time():
    schedule = loadclient.Schedule(start=100.0, rate=50.0, seconds=2.0, max_requests=1000)
    slots = iter(schedule.take, None)
    dues = [due for _, due in slots]
    assert len(dues) == 100
    assert dues[0] == 100.0 and dues[-1] == pytest.approx(101.98)


def test_schedule_is_bounded_by_count():
    schedule = loadclient.Schedule(start=0.0, rate=50.0, seconds=10.0, max_requests=7)
    assert [index for index, _ in iter(schedule.take, None)] == list(range(7))


class FakeSocket:
    """recv() hands out the given pieces, then b'' (peer closed)."""

    def __init__(self, data, piece=7):
        self.pieces = [data[i:i + piece] for i in range(0, len(data), piece)]
        self.reads = []

    def recv(self, size):
        self.reads.append(size)
        if not self.pieces:
            return b""
        head = self.pieces.pop(0)
        if len(head) > size:
            self.pieces.insert(0, head[size:])
            head = head[:size]
        return head


def response(body, status=b"200 OK", length=None):
    length = len(body) if length is None else length
    return b"HTTP/1.1 " + status + b"\r\nContent-Length: " + str(length).encode() + b"\r\n\r\n" + body


def test_read_response_reads_exactly_the_body():
    body = b"[" + b"1," * 500 + b"1]"
    sock = FakeSocket(response(body) + response(b"[]"))
    assert loadclient.read_response(sock, 64, 0) == len(body)
    assert max(sock.reads) <= 64
    assert loadclient.read_response(sock, 64, 0) == 2


@pytest.mark.parametrize("data, kind", [
    (response(b"[]", status=b"500 Internal Server Error"), "http_status"),
    (response(b"[1,2]", length=10), "short_body"),
    (b"HTTP/1.1 200 OK\r\n\r\n[]", "no_length"),
    (b"HTTP/1.1 200", "closed"),
])
def test_read_response_errors(data, kind):
    with pytest.raises(loadclient.HttpError) as err:
        loadclient.read_response(FakeSocket(data), 64, 0)
    assert err.value.kind == kind


def test_parse_sysctl_conf():
    text = ("# comment\n; also\n\nnet.ipv4.tcp_rmem = 4096 16384 65536\n-net/core/somaxconn=4096\n"
            "kernel.pid_max = 4194304\nnot a line\n")
    assert hostns.parse_sysctl_conf(text) == [("net.ipv4.tcp_rmem", "4096 16384 65536"),
                                              ("net.core.somaxconn", "4096"), ("kernel.pid_max", "4194304")]


def test_slug():
    assert hostns.slug("/usr/lib/sysctl.d") == "usr-lib-sysctl.d"


def test_load_pins_per_host():
    import load
    state = {"lab": "nla", "api": {"address": "198.18.3.2", "port": 8080}}
    opts = {"seconds": 10, "rate": 50, "connections": 8, "read_size": 16384, "think_ms": 2.0,
            "pin_rcvbuf": {"h01": 8192, "h03": 1048576}}
    argv = [load._client_argv(state, {"label": label, "namespace": "nl-nla-" + label}, opts)
            for label in ("h01", "h02", "h03")]
    assert argv[0][-2:] == ["--pin-rcvbuf", "8192"] and argv[2][-2:] == ["--pin-rcvbuf", "1048576"]
    assert "--pin-rcvbuf" not in argv[1]
    opts["pin_rcvbuf"] = 65536
    assert load._client_argv(state, {"label": "h02", "namespace": "nl-nla-h02"}, opts)[-1] == "65536"
    assert load._pin_text({"h01": 8192}) == ", SO_RCVBUF pinned in h01 to 8192"
