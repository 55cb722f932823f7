# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load results: latency percentiles, /proc counter deltas, per-host and total summary, the table.

Pure functions of plain data, used by load.py and unit-tested.
"""

import importlib.util
import math
import os

# The collection's metric registry (pure standard library, loaded by its path: the lab needs no collection on
# its Python path).
_REGISTRY_PATH = os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "plugins", "module_utils",
                              "metric_registry.py")
_SPEC = importlib.util.spec_from_file_location("netfleet_metric_registry", _REGISTRY_PATH)
METRIC_REGISTRY = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(METRIC_REGISTRY)

# (section, counter) pairs reported per host, the sources of the collection's metrics in the files `load` reads
# (/proc/net/netstat and snmp); they come from the receiver's namespace.
COUNTERS = tuple((metric.source.section, metric.source.field) for metric in METRIC_REGISTRY.METRICS
                 if metric.source.file in ("net/netstat", "net/snmp"))


def percentile(values, pct):
    """Nearest-rank percentile (pct in 0..100) of values; None for no values."""
    if not values:
        return None
    if not 0 <= pct <= 100:
        raise ValueError("percentile must be within 0..100, not %r" % (pct,))
    ordered = sorted(values)
    rank = max(1, int(math.ceil(pct / 100.0 * len(ordered))))
    return ordered[rank - 1]


def parse_proc_counters(*texts):
    """Parse /proc/net/netstat or /proc/net/snmp texts: header line + value line per section.

    Returns {section: {name: int}}. Header-driven, so any kernel's set and order of counters works.
    """
    sections = {}
    for text in texts:
        lines = [line for line in text.splitlines() if line.strip()]
        for header, values in zip(lines[0::2], lines[1::2]):
            header_section, _, header_text = header.partition(":")
            values_section, _, values_text = values.partition(":")
            if header_section != values_section:
                raise ValueError("mismatched /proc lines: %r / %r" % (header_section, values_section))
            names = header_text.split()
            numbers = values_text.split()
            if len(names) != len(numbers):
                raise ValueError("section %s has %d names and %d values" % (header_section, len(names), len(numbers)))
            sections.setdefault(header_section, {}).update((name, int(number)) for name, number in zip(names, numbers))
    return sections


def counter_deltas(before, after, counters=COUNTERS):
    """{counter: after - before} for the counters present in both reads (absent ones are left out)."""
    deltas = {}
    for section, name in counters:
        if name in before.get(section, {}) and name in after.get(section, {}):
            deltas[name] = after[section][name] - before[section][name]
    return deltas


def parse_cpu_times(stat_text):
    """(busy, total) jiffies from the 'cpu' line of /proc/stat (idle and iowait count as not busy)."""
    for line in stat_text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            values = [int(value) for value in fields[1:]]
            idle = values[3] + (values[4] if len(values) > 4 else 0)
            total = sum(values[:8])  # guest times are already part of user/nice
            return total - idle, total
    raise ValueError("no cpu line in /proc/stat text")


def cpu_busy_pct(before, after):
    """Machine CPU use between two parse_cpu_times() reads, in percent of all CPUs."""
    busy = after[0] - before[0]
    total = after[1] - before[1]
    return round(100.0 * busy / total, 1) if total > 0 else None


def latency_block(latencies):
    return {
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": max(latencies) if latencies else None,
    }


def host_summary(result, seconds, counters=None, window_seconds=None, sysctl=None):
    """One host's summary from the client's JSON result (see loadclient.py)."""
    latencies = result.get("latencies_ms") or []
    summary = {
        "requests": result.get("requests", 0),
        "errors": result.get("errors", 0),
        "error_kinds": result.get("error_kinds", {}),
        "bytes": result.get("bytes", 0),
        "late": result.get("late", 0),
        "rps": round(result.get("requests", 0) / seconds, 2) if seconds else None,
        "latency_ms": latency_block(latencies),
        "rcvbuf": result.get("rcvbuf"),
    }
    if counters is not None:
        summary["counters"] = counters
        summary["counter_window_seconds"] = window_seconds
    if sysctl:
        summary["sysctl"] = sysctl
    return summary


def total_summary(hosts, all_latencies, seconds):
    """Totals over hosts (dict of host summaries); latency percentiles over every request."""
    total = {
        "hosts": len(hosts),
        "requests": sum(host["requests"] for host in hosts.values()),
        "errors": sum(host["errors"] for host in hosts.values()),
        "bytes": sum(host["bytes"] for host in hosts.values()),
        "late": sum(host["late"] for host in hosts.values()),
        "latency_ms": latency_block(all_latencies),
    }
    total["rps"] = round(total["requests"] / seconds, 2) if seconds else None
    counters = {}
    for host in hosts.values():
        for name, value in host.get("counters", {}).items():
            counters[name] = counters.get(name, 0) + value
    if counters:
        total["counters"] = counters
    return total


def _fmt(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return "%.1f" % value
    return str(value)


def format_table(summary):
    """Fixed-width text table: one line per host and a total line."""
    columns = ["host", "requests", "errors", "MB", "p50_ms", "p99_ms", "PruneCalled", "RcvCollapsed",
               "RcvPruned", "InSegs"]
    rows = []

    def row(name, data):
        counters = data.get("counters", {})
        rows.append([
            name, data["requests"], data["errors"], "%.1f" % (data["bytes"] / 1e6),
            data["latency_ms"]["p50"], data["latency_ms"]["p99"],
            counters.get("PruneCalled"), counters.get("TCPRcvCollapsed"),
            counters.get("RcvPruned"), counters.get("InSegs"),
        ])

    for name in sorted(summary["hosts"]):
        row(name, summary["hosts"][name])
    row("TOTAL", summary["total"])
    cells = [columns] + [[_fmt(value) for value in table_row] for table_row in rows]
    widths = [max(len(table_row[i]) for table_row in cells) for i in range(len(columns))]
    lines = []
    for table_row in cells:
        lines.append("  ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                               for i, (cell, width) in enumerate(zip(table_row, widths))))
    total = summary["total"]
    lines.append("counter window %ss after %ss warm-up; in it: machine CPU busy %s%% (all CPUs), API server %s%% "
                 "(of one CPU); late requests: %d" % (
                     _fmt(summary.get("seconds", 0) - summary.get("warmup", 0)), _fmt(summary.get("warmup")),
                     _fmt(total.get("machine_cpu_busy_pct")), _fmt(total.get("api_server_cpu_pct")),
                     total.get("late", 0)))
    return "\n".join(lines)
