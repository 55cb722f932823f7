# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark 1, efficacy: untuned vs each profile under the JSON workload, on netlab hosts.

The conditions run side by side: each host under load has its own condition, so every condition
sees the same minutes of the same machine (with 4 hosts, one load run per repetition holds all four
conditions). Between repetitions the conditions move to other hosts. Per run: the hosts go back to
the lab's fresh state (no drop-in, the live values recorded right after `netlab up`), each host's
profile is applied THROUGH the role (untuned: nothing), then `netlab load` runs the workload; its
counter window opens after the warm-up (fresh connections autotune in their first seconds) and
closes at the end. Meanwhile each host's TCP socket memory is sampled in its namespace (`ss -tm`),
and /proc/net/sockstat for the machine as a whole.
"""

import json
import os
import re
import subprocess
import sys
import threading
import time

from benchlib.common import METRIC_REGISTRY, NETLAB, BenchError, counter_name, env_c, log, read_live, reset_hosts, run
from benchlib.stats import median, per_million, spread

CONDITIONS = ("untuned", "json_api", "json_api_heavy", "bdp")
# The metrics (metric_registry names) each row carries, from the counters of `netlab load`.
METRICS = ("prune_called", "rcv_collapsed", "rcv_pruned", "ofo_pruned")
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


SKMEM_FIELD = re.compile(r"\A([a-z]+)([0-9]+)\Z")


def parse_ss_skmem(text, skip_local_ports=("22",)):
    """Bytes the kernel charges to the TCP sockets listed by `ss -tmnH`: the sum over sockets of
    skmem r (receive queue), t (send queue) and f (forward allocation), which is what the
    machine-wide sockstat `TCP mem` counts in pages. Sockets on skip_local_ports (sshd) are left out."""
    total, skip = 0, False
    for line in text.splitlines():
        if "skmem:(" in line:
            if not skip:
                fields = dict(SKMEM_FIELD.match(f).groups() for f in line.split("skmem:(", 1)[1].split(")", 1)[0]
                              .split(",") if SKMEM_FIELD.match(f))
                total += sum(int(fields.get(k, 0)) for k in ("r", "t", "f"))
            continue
        parts = line.split()
        if len(parts) >= 4:
            skip = parts[3].rsplit(":", 1)[-1] in skip_local_ports
    return total


def read_host_sock_mem(namespace):
    try:
        out = run(["ss", "-N", namespace, "-tmnH"], timeout=10, check=False)
    except BenchError:  # timed out: this sample is missing, not zero
        return None
    return parse_ss_skmem(out.stdout) if out.returncode == 0 else None


class SockstatSampler(threading.Thread):
    """Samples sockstat (machine-wide) and each host's socket memory (in its namespace) while a
    `netlab load` process runs; notes when that process got the load lock."""

    def __init__(self, proc, namespaces=(), interval=0.25, host_every=2):
        super().__init__(daemon=True)
        self.proc = proc
        self.namespaces = dict(namespaces)  # host name -> namespace
        self.interval = interval
        self.host_every = host_every  # ss in every namespace on every n-th sample (it costs a process each)
        self.samples = []
        self.host_samples = []  # (time, {host name: bytes})
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
            if self.namespaces and self.locked_at is not None and len(self.samples) % self.host_every == 0:
                self.host_samples.append((now, dict((name, read_host_sock_mem(ns))
                                                    for name, ns in self.namespaces.items())))
            time.sleep(self.interval)

    def window(self, start, end, samples=None):
        if self.locked_at is None:
            return []
        return [s for s in (self.samples if samples is None else samples)
                if self.locked_at + start <= s[0] <= self.locked_at + end]


def run_load(lab, hosts, seconds, warmup, json_path, log_path, lock_timeout):
    labels = [h["label"] for h in hosts]
    argv = [sys.executable, NETLAB, "load", "--name", lab.name, "--seconds", str(seconds), "--warmup", str(warmup),
            "--hosts", ",".join(labels), "--json", json_path, "--lock-timeout", str(lock_timeout)]
    with open(log_path, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env_c())
        sampler = SockstatSampler(proc, [(h["name"], h["namespace"]) for h in hosts])
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
    host_window = sampler.window(warmup, seconds, sampler.host_samples)
    result["sock_mem"] = {}
    for host in hosts:
        values = [v[host["name"]] for _, v in host_window if v.get(host["name"]) is not None]
        result["sock_mem"][host["name"]] = {"samples": len(values), "median": median(values),
                                     "max": max(values) if values else None}
    return result


def summarize_host(result, name):
    """One host's numbers from a `netlab load` JSON (plus our samples); machine-wide fields (CPU,
    sockstat) are the whole run's, shared by every host of the run."""
    host = result["hosts"][name]
    counters = host.get("counters", {})
    window = host.get("counter_window_seconds")
    seconds = float(result["seconds"])
    total = result["total"]
    mem = (result.get("sock_mem") or {}).get(name) or {}
    in_segs = counters.get(counter_name(METRIC_REGISTRY.DENOMINATOR), 0)
    row = {
        "host": name,
        "window_s": window,
        "in_segs": in_segs,
        "in_segs_per_s_per_host": in_segs / window if window else None,
        "requests": host["requests"],
        "errors": host["errors"],
        "late": host.get("late", 0),
        "rps_per_host": host["requests"] / seconds,
        "mb_per_s_per_host": host["bytes"] / 1e6 / seconds,
        "p50_ms": host["latency_ms"]["p50"],
        "p99_ms": host["latency_ms"]["p99"],
        "sock_mem_bytes_median": mem.get("median"),
        "sock_mem_bytes_max": mem.get("max"),
        "cpu_busy_pct": total.get("machine_cpu_busy_pct"),
        "api_cpu_pct": total.get("api_server_cpu_pct"),
        "tcp_mem_bytes_median": result["sockstat"]["tcp_mem_bytes_median"],
        "tcp_mem_bytes_max": result["sockstat"]["tcp_mem_bytes_max"],
        "tcp_rmem": sorted({(host.get("sysctl") or {}).get("net.ipv4.tcp_rmem")} - {None}),
        "rcvbuf": sorted({host.get("rcvbuf")} - {None}),
    }
    for metric in METRICS:
        value = counters.get(counter_name(metric))
        row[metric] = value
        row[metric + "_per_mseg"] = per_million(value, row["in_segs"])
        row[metric + "_per_s_per_host"] = value / window if value is not None and window else None
    drops = (row["prune_called"] or 0) + (row["rcv_collapsed"] or 0)
    row["prune_collapsed"] = drops
    row["prune_collapsed_per_mseg"] = per_million(drops, row["in_segs"])
    row["prune_collapsed_per_s_per_host"] = drops / window if window else None
    return row


SUMMARY_FIELDS = ("prune_called_per_mseg", "rcv_collapsed_per_mseg", "rcv_pruned_per_mseg",
                  "prune_collapsed_per_mseg", "prune_called_per_s_per_host", "rcv_collapsed_per_s_per_host",
                  "rcv_pruned_per_s_per_host", "p50_ms", "p99_ms", "rps_per_host", "mb_per_s_per_host",
                  "sock_mem_bytes_median", "sock_mem_bytes_max", "tcp_mem_bytes_median", "tcp_mem_bytes_max",
                  "cpu_busy_pct", "api_cpu_pct", "errors", "late",
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
    """{host name: {key: "status (scope)"}} from the role's saved sysctl_profile_result files."""
    out = {}
    if not os.path.isdir(result_dir):
        return out
    for name in sorted(os.listdir(result_dir)):
        with open(os.path.join(result_dir, name), encoding="utf-8") as handle:
            result = json.load(handle)
        out[name[:-len(".json")]] = dict((key, "%s (%s)" % (entry.get("status"), entry.get("scope")))
                                         for key, entry in (result.get("keys") or {}).items())
    return out


def schedule(conditions, hosts, reps):
    """[(rep, [(host, condition), ...]), ...]: the load runs. The conditions, rotated by one per
    repetition, are dealt to the hosts in groups of len(hosts), so that a condition runs on another
    host (and beside other conditions) in each repetition."""
    runs = []
    for rep in range(reps):
        order = conditions[rep % len(conditions):] + conditions[:rep % len(conditions)]
        for start in range(0, len(order), len(hosts)):
            runs.append((rep + 1, list(zip(hosts, order[start:start + len(hosts)]))))
    return runs


def run_efficacy(lab, hosts, initial, ansible, cfg, out_dir, reset_files):
    """cfg: conditions, reps, seconds, warmup, bdp_link_mbit, bdp_rtt_ms, lock_timeout."""
    os.makedirs(out_dir, exist_ok=True)
    runs = []
    conditions = list(cfg["conditions"])
    for index, (rep, assigned) in enumerate(schedule(conditions, hosts, cfg["reps"])):
        run_hosts = [h for h, _ in assigned]
        tag = "eff-r%d-%d" % (rep, index + 1)
        reset_hosts(lab, run_hosts, initial, reset_files)
        profiles = dict((h["name"], cond) for h, cond in assigned if cond != "untuned")
        role_keys, apply = {}, None
        if profiles:
            result_dir = os.path.join(out_dir, tag)
            os.makedirs(result_dir, exist_ok=True)
            extra = {"bench_profiles": profiles, "bench_result_dir": result_dir,
                     "sysctl_profile_link_mbit": cfg["bdp_link_mbit"], "sysctl_profile_rtt_ms": cfg["bdp_rtt_ms"]}
            applied = ansible.playbook("efficacy_apply.yml", lab.inventory, limit=",".join(sorted(profiles)),
                                       extra_vars=extra, tag=tag)
            apply = {k: applied[k] for k in ("wall_s", "rc", "log")}
            if applied["rc"] != 0:
                raise BenchError("applying %s failed, see %s" % (profiles, applied["log"]))
            role_keys = role_key_statuses(result_dir)
        live = read_live(run_hosts, ["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"])
        json_path = os.path.join(out_dir, tag + ".load.json")
        load = run_load(lab, run_hosts, cfg["seconds"], cfg["warmup"], json_path,
                        os.path.join(out_dir, tag + ".load.log"), cfg["lock_timeout"])
        for host, cond in assigned:
            row = summarize_host(load, host["name"])
            runs.append({"condition": cond, "rep": rep, "run": index + 1, "host": host["name"], "row": row,
                         "role_keys": role_keys.get(host["name"], {}), "live": {host["name"]: live[host["name"]]},
                         "apply": apply, "load_json": json_path, "lock_wait_s": load["sockstat"]["lock_wait_s"]})
            log("efficacy rep %d %-14s on %s: prune+collapsed/M InSegs %s, rcv_pruned %s, p99 %s ms, %.1f req/s, "
                "socket memory max %s KiB" % (rep, cond, host["label"], _short(row["prune_collapsed_per_mseg"]),
                                              row["rcv_pruned"], row["p99_ms"], row["rps_per_host"],
                                              _short((row["sock_mem_bytes_max"] or 0) / 1024.0)))
    reset_hosts(lab, hosts, initial, reset_files)
    return {"config": cfg, "hosts": [h["name"] for h in hosts], "runs": runs, "summary": summarize(runs, conditions)}


def _short(value):
    return "-" if value is None else "%.1f" % value
