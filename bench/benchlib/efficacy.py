# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark 1, efficacy: untuned vs each profile under the JSON workload, on netlab hosts.

Per repetition, each condition in turn (the order rotates between repetitions): the hosts go back to
the lab's fresh state (no drop-in, the live values recorded right after `netlab up`), the profile is
applied THROUGH the role (untuned: nothing), then `netlab load` runs the workload; its counter window
opens after the warm-up (fresh connections autotune in their first seconds) and closes at the end.
Meanwhile /proc/net/sockstat is sampled for the TCP memory in use.
"""

import json
import os
import subprocess
import sys
import threading
import time

from benchlib.common import NETLAB, BenchError, env_c, log, read_live, reset_hosts
from benchlib.stats import median, per_million, spread

CONDITIONS = ("untuned", "json_api", "json_api_heavy", "bdp")
COUNTERS = ("PruneCalled", "TCPRcvCollapsed", "RcvPruned", "OfoPruned", "TCPBacklogDrop", "TCPRcvQDrop", "InSegs")
LOCK = "/run/netlab/load.lock"
PAGE = os.sysconf("SC_PAGE_SIZE")


def read_sockstat_tcp():
    """(TCP inuse, TCP mem in pages) from /proc/net/sockstat. TCP mem is the kernel's
    tcp_memory_allocated, one counter for the whole machine (all network namespaces)."""
    with open("/proc/net/sockstat", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("TCP:"):
                fields = line.split()[1:]
                values = dict(zip(fields[0::2], (int(v) for v in fields[1::2])))
                return values.get("inuse"), values.get("mem")
    return None, None


class SockstatSampler(threading.Thread):
    """Samples sockstat while a `netlab load` process runs; notes when that process got the load lock."""

    def __init__(self, proc, interval=0.25):
        super().__init__(daemon=True)
        self.proc = proc
        self.interval = interval
        self.samples = []
        self.locked_at = None

    def run(self):
        marker = "pid %d " % self.proc.pid
        while self.proc.poll() is None:
            now = time.monotonic()
            if self.locked_at is None:
                try:
                    with open(LOCK, encoding="utf-8", errors="replace") as handle:
                        if handle.read(200).startswith(marker):
                            self.locked_at = now
                except OSError:
                    pass
            inuse, mem = read_sockstat_tcp()
            self.samples.append((now, inuse, mem))
            time.sleep(self.interval)

    def window(self, start, end):
        if self.locked_at is None:
            return []
        return [s for s in self.samples if self.locked_at + start <= s[0] <= self.locked_at + end]


def run_load(lab, labels, seconds, warmup, json_path, log_path, lock_timeout):
    argv = [sys.executable, NETLAB, "load", "--name", lab.name, "--seconds", str(seconds), "--warmup", str(warmup),
            "--hosts", ",".join(labels), "--json", json_path, "--lock-timeout", str(lock_timeout)]
    with open(log_path, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env_c())
        sampler = SockstatSampler(proc)
        sampler.start()
        try:
            proc.wait(timeout=lock_timeout + seconds + 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        except BaseException:  # interrupted: netlab load stops its clients on SIGTERM
            proc.terminate()
            proc.wait(30)
            raise
        sampler.join(5)
    if proc.returncode != 0 or not os.path.exists(json_path):
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            tail = handle.read()[-600:]
        raise BenchError("netlab load failed (exit %s): %s" % (proc.returncode, tail))
    with open(json_path, encoding="utf-8") as handle:
        result = json.load(handle)
    samples = sampler.window(warmup, seconds)
    mem = [s[2] * PAGE for s in samples if s[2] is not None]
    inuse = [s[1] for s in samples if s[1] is not None]
    result["sockstat"] = {
        "samples": len(samples),
        "tcp_mem_bytes_median": median(mem),
        "tcp_mem_bytes_max": max(mem) if mem else None,
        "tcp_inuse_median": median(inuse),
        "lock_wait_s": round(sampler.locked_at - sampler.samples[0][0], 2) if sampler.locked_at and sampler.samples
        else None,
    }
    return result


def summarize_load(result):
    """One repetition's numbers from a `netlab load` JSON (plus our sockstat samples)."""
    hosts = result["hosts"]
    sums = {c: sum(h.get("counters", {}).get(c, 0) for h in hosts.values()) for c in COUNTERS}
    present = {c for h in hosts.values() for c in h.get("counters", {})}
    window = median([h.get("counter_window_seconds") for h in hosts.values()])
    n = len(hosts)
    total = result["total"]
    row = {
        "hosts": n,
        "window_s": window,
        "in_segs": sums["InSegs"],
        "in_segs_per_s_per_host": sums["InSegs"] / window / n if window else None,
        "requests": total["requests"],
        "errors": total["errors"],
        "late": total.get("late", 0),
        "rps_per_host": total["requests"] / float(result["seconds"]) / n,
        "mb_per_s_per_host": total["bytes"] / 1e6 / float(result["seconds"]) / n,
        "p50_ms": total["latency_ms"]["p50"],
        "p99_ms": total["latency_ms"]["p99"],
        "cpu_busy_pct": total.get("machine_cpu_busy_pct"),
        "api_cpu_pct": total.get("api_server_cpu_pct"),
        "tcp_mem_bytes_median": result["sockstat"]["tcp_mem_bytes_median"],
        "tcp_mem_bytes_max": result["sockstat"]["tcp_mem_bytes_max"],
        "tcp_rmem": sorted({(h.get("sysctl") or {}).get("net.ipv4.tcp_rmem") for h in hosts.values()} - {None}),
        "rcvbuf": sorted({h.get("rcvbuf") for h in hosts.values()} - {None}),
    }
    for counter, metric in (("PruneCalled", "prune_called"), ("TCPRcvCollapsed", "rcv_collapsed"),
                            ("RcvPruned", "rcv_pruned"), ("OfoPruned", "ofo_pruned")):
        value = sums[counter] if counter in present else None
        row[metric] = value
        row[metric + "_per_mseg"] = per_million(value, sums["InSegs"])
        row[metric + "_per_s_per_host"] = value / window / n if value is not None and window else None
    drops = (row["prune_called"] or 0) + (row["rcv_collapsed"] or 0)
    row["prune_collapsed"] = drops
    row["prune_collapsed_per_mseg"] = per_million(drops, sums["InSegs"])
    row["prune_collapsed_per_s_per_host"] = drops / window / n if window else None
    return row


SUMMARY_FIELDS = ("prune_called_per_mseg", "rcv_collapsed_per_mseg", "rcv_pruned_per_mseg",
                  "prune_collapsed_per_mseg", "prune_called_per_s_per_host", "rcv_collapsed_per_s_per_host",
                  "rcv_pruned_per_s_per_host", "p50_ms", "p99_ms", "rps_per_host", "mb_per_s_per_host",
                  "tcp_mem_bytes_median", "tcp_mem_bytes_max", "cpu_busy_pct", "api_cpu_pct", "errors", "late",
                  "in_segs", "in_segs_per_s_per_host", "prune_collapsed_per_s_per_host",
                  "prune_called", "rcv_collapsed", "rcv_pruned")


def summarize(runs, conditions):
    out = {}
    for cond in conditions:
        rows = [r["row"] for r in runs if r["condition"] == cond and r.get("row")]
        entry = {f: spread([row.get(f) for row in rows]) for f in SUMMARY_FIELDS}
        entry["reps"] = len(rows)
        entry["rcv_pruned_total"] = sum(row.get("rcv_pruned") or 0 for row in rows)
        entry["tcp_rmem"] = sorted({v for row in rows for v in row.get("tcp_rmem", [])})
        keys = {}
        for r in runs:
            if r["condition"] == cond:
                for key, status in (r.get("role_keys") or {}).items():
                    keys.setdefault(key, set()).add(status)
        entry["role_keys"] = {k: sorted(v) for k, v in sorted(keys.items())}
        out[cond] = entry
    return out


def role_key_statuses(result_dir):
    """{key: "status (scope)"} merged over hosts from the role's saved sysctl_profile_result files."""
    keys = {}
    if not os.path.isdir(result_dir):
        return keys
    for name in sorted(os.listdir(result_dir)):
        with open(os.path.join(result_dir, name), encoding="utf-8") as handle:
            result = json.load(handle)
        for key, entry in (result.get("keys") or {}).items():
            keys[key] = "%s (%s)" % (entry.get("status"), entry.get("scope"))
    return keys


def run_efficacy(lab, hosts, initial, ansible, cfg, out_dir, reset_files):
    """cfg: conditions, reps, seconds, warmup, bdp_link_mbit, bdp_rtt_ms, lock_timeout."""
    labels = [h["label"] for h in hosts]
    os.makedirs(out_dir, exist_ok=True)
    runs = []
    conditions = list(cfg["conditions"])
    for rep in range(cfg["reps"]):
        order = conditions[rep % len(conditions):] + conditions[:rep % len(conditions)]
        for cond in order:
            tag = "eff-r%d-%s" % (rep + 1, cond)
            entry = {"condition": cond, "rep": rep + 1}
            reset_hosts(lab, hosts, initial, reset_files)
            if cond != "untuned":
                result_dir = os.path.join(out_dir, tag)
                os.makedirs(result_dir, exist_ok=True)
                extra = {"sysctl_profile_name": cond, "bench_result_dir": result_dir}
                if cond == "bdp":
                    extra.update(sysctl_profile_link_mbit=cfg["bdp_link_mbit"], sysctl_profile_rtt_ms=cfg["bdp_rtt_ms"])
                applied = ansible.playbook("efficacy_apply.yml", lab.inventory, limit=",".join(h["name"] for h in hosts),
                                           extra_vars=extra, tag=tag)
                entry["apply"] = {k: applied[k] for k in ("wall_s", "rc", "log")}
                if applied["rc"] != 0:
                    raise BenchError("applying %s failed, see %s" % (cond, applied["log"]))
                entry["role_keys"] = role_key_statuses(result_dir)
            entry["live"] = read_live(hosts[:1], ["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"])
            json_path = os.path.join(out_dir, tag + ".load.json")
            load = run_load(lab, labels, cfg["seconds"], cfg["warmup"], json_path,
                            os.path.join(out_dir, tag + ".load.log"), cfg["lock_timeout"])
            entry["row"] = summarize_load(load)
            entry["load_json"] = json_path
            entry["lock_wait_s"] = load["sockstat"]["lock_wait_s"]
            row = entry["row"]
            log("efficacy rep %d %-14s prune+collapsed/M InSegs %s, rcv_pruned %s, p99 %s ms, %.1f req/s/host, "
                "TCP mem max %s KiB" % (rep + 1, cond, _short(row["prune_collapsed_per_mseg"]), row["rcv_pruned"],
                                         row["p99_ms"], row["rps_per_host"],
                                         _short((row["tcp_mem_bytes_max"] or 0) / 1024.0)))
            runs.append(entry)
    reset_hosts(lab, hosts, initial, reset_files)
    return {"config": cfg, "hosts": [h["name"] for h in hosts], "runs": runs, "summary": summarize(runs, conditions)}


def _short(value):
    return "-" if value is None else "%.1f" % value
