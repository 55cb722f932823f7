# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/netlab/summary.py: percentiles, /proc counters, per-host and total summaries."""

import os

import pytest
from hypothesis import given, strategies as st

import summary

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "tests", "unit", "fixtures", "proc")


def read(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding="ascii") as handle:
        return handle.read()


@pytest.mark.parametrize("pct, expected", [(0, 1), (1, 1), (50, 50), (99, 99), (99.5, 100), (100, 100)])
def test_percentile_nearest_rank(pct, expected):
    assert summary.percentile(list(range(100, 0, -1)), pct) == expected


def test_percentile_edges():
    assert summary.percentile([], 50) is None
    assert summary.percentile([7.5], 99) == 7.5
    assert summary.percentile([1, 2], 50) == 1
    with pytest.raises(ValueError):
        summary.percentile([1], 101)


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1), st.floats(min_value=0, max_value=100))
def test_percentile_is_a_member_and_monotonic(values, pct):
    value = summary.percentile(values, pct)
    assert value in values
    assert summary.percentile(values, 0) <= value <= summary.percentile(values, 100) == max(values)


def test_parse_counters_from_this_kernel():
    counters = summary.parse_proc_counters(read("linux-6.18", "netstat"), read("linux-6.18", "snmp"))
    assert counters["TcpExt"]["PruneCalled"] == 0
    assert "TCPRcvQDrop" in counters["TcpExt"]
    assert counters["Tcp"]["MaxConn"] == -1
    assert isinstance(counters["Tcp"]["InSegs"], int)


def test_parse_counters_from_an_older_kernel_has_no_invented_keys():
    counters = summary.parse_proc_counters(read("node_exporter", "netstat"), read("node_exporter", "snmp"))
    assert "TCPRcvQDrop" not in counters["TcpExt"]
    assert counters["IpExt"]["InOctets"] > 2 ** 32


def test_parse_counters_rejects_mismatched_lines():
    with pytest.raises(ValueError):
        summary.parse_proc_counters("TcpExt: A B\nTcpExt: 1\n")
    with pytest.raises(ValueError):
        summary.parse_proc_counters("TcpExt: A\nIpExt: 1\n")


def test_counter_deltas_leave_out_absent_counters():
    before = {"TcpExt": {"PruneCalled": 10, "TCPRcvCollapsed": 5}, "Tcp": {"InSegs": 100}}
    after = {"TcpExt": {"PruneCalled": 25, "TCPRcvCollapsed": 5}, "Tcp": {"InSegs": 1100}}
    assert summary.counter_deltas(before, after) == {"PruneCalled": 15, "TCPRcvCollapsed": 0, "InSegs": 1000}


def test_counters_are_the_collection_metric_sources():
    # the lab reports the counters the collection's metrics are read from (plugins/module_utils/metric_registry.py)
    assert summary.COUNTERS == tuple((metric.source.section, metric.source.field)
                                     for metric in summary.METRIC_REGISTRY.METRICS
                                     if metric.source.file in ("net/netstat", "net/snmp"))
    assert ("TcpExt", "PruneCalled") in summary.COUNTERS and ("Tcp", "InSegs") in summary.COUNTERS


def test_cpu_times():
    before = summary.parse_cpu_times("cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n")
    after = summary.parse_cpu_times("cpu  200 0 200 1400 0 0 0 0 0 0\n")
    assert before == (200, 1000)
    assert summary.cpu_busy_pct(before, after) == 25.0
    assert summary.cpu_busy_pct(before, before) is None
    with pytest.raises(ValueError):
        summary.parse_cpu_times("intr 1 2 3\n")


def client(latencies, errors=0):
    return {"requests": len(latencies), "errors": errors, "error_kinds": {"timeout": errors} if errors else {},
            "bytes": 450000 * len(latencies), "late": 1, "latencies_ms": latencies, "rcvbuf": 16384}


def test_host_and_total_summary():
    h1 = summary.host_summary(client([10.0, 20.0, 30.0, 40.0]), 2.0, {"PruneCalled": 5, "InSegs": 100}, 1.5,
                              {"net.ipv4.tcp_rmem": "4096 16384 65536"})
    h2 = summary.host_summary(client([50.0, 60.0], errors=1), 2.0, {"PruneCalled": 0, "InSegs": 50}, 1.5)
    assert h1["rps"] == 2.0
    assert h1["latency_ms"] == {"p50": 20.0, "p99": 40.0, "max": 40.0}
    assert h1["counter_window_seconds"] == 1.5 and h1["sysctl"]["net.ipv4.tcp_rmem"] == "4096 16384 65536"
    total = summary.total_summary({"a": h1, "b": h2}, [10.0, 20.0, 30.0, 40.0, 50.0, 60.0], 2.0)
    assert total["requests"] == 6 and total["errors"] == 1 and total["late"] == 2 and total["hosts"] == 2
    assert total["latency_ms"]["p50"] == 30.0 and total["latency_ms"]["p99"] == 60.0
    assert total["counters"] == {"PruneCalled": 5, "InSegs": 150}
    assert total["rps"] == 3.0


def test_summary_of_a_client_that_failed():
    host = summary.host_summary({"requests": 0, "errors": 1, "bytes": 0, "latencies_ms": []}, 5.0)
    assert host["latency_ms"] == {"p50": None, "p99": None, "max": None}
    assert "counters" not in host


def test_table():
    h1 = summary.host_summary(client([10.0, 20.0]), 2.0, {"PruneCalled": 5, "TCPRcvCollapsed": 70, "InSegs": 100}, 1.5)
    data = {"seconds": 2.0, "warmup": 0.5, "hosts": {"nla-h01": h1},
            "total": dict(summary.total_summary({"nla-h01": h1}, [10.0, 20.0], 2.0), machine_cpu_busy_pct=50.0)}
    lines = summary.format_table(data).splitlines()
    assert lines[0].split() == ["host", "requests", "errors", "MB", "p50_ms", "p99_ms", "PruneCalled",
                                "RcvCollapsed", "RcvPruned", "InSegs"]
    assert lines[1].split() == ["nla-h01", "2", "0", "0.9", "10.0", "20.0", "5", "70", "-", "100"]
    assert lines[2].split()[0] == "TOTAL"
    assert "machine CPU busy 50.0%" in lines[3]
