# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark 3, the cost of reading counters.

(a) Through Ansible, on the first N hosts: one netfleet.tuning.netstat_facts run against
    ansible.builtin.setup with the default facts and with gather_subset: min, and the ping floor.
(b) On this machine, for the same files (a snapshot of one lab host's /proc/net files): the
    module's parsers against `nstat -asz` (iproute2, pointed at the same files with its
    PROC_NET_NETSTAT / PROC_NET_SNMP / PROC_NET_SNMP6 variables).
"""

import os
import subprocess
import sys
import time

from benchlib.common import COLLECTIONS_PATH, BenchError, env_c, limit_first, log, run
from benchlib.stats import median, ratio, spread

VARIANTS = (
    ("ping", "ping.yml", None),
    ("netstat_facts", "facts_netstat.yml", None),
    ("setup", "facts_setup.yml", {"bench_gather_subset": "all"}),
    ("setup_min", "facts_setup.yml", {"bench_gather_subset": "min"}),
)
SNAP_FILES = ("net/netstat", "net/snmp", "net/snmp6", "net/sockstat", "net/softnet_stat", "sys/kernel/random/boot_id")
NSTAT_ENV = {"PROC_NET_NETSTAT": "net/netstat", "PROC_NET_SNMP": "net/snmp", "PROC_NET_SNMP6": "net/snmp6"}

_CHILD = r"""
import sys, time
t0 = time.perf_counter()
from ansible_collections.netfleet.tuning.plugins.module_utils import procnet
root = sys.argv[1]
counters = {}
for rel, parse in (("net/netstat", procnet.parse_pairs), ("net/snmp", procnet.parse_pairs),
                   ("net/snmp6", procnet.parse_snmp6)):
    with open(root + "/" + rel) as handle:
        counters.update(parse(handle.read(), rel))
print(sum(len(v) for v in counters.values()))
"""


def run_ansible_variants(lab, ansible, cfg):
    size = cfg["hosts"]
    runs = []
    for rep in range(cfg["reps"]):
        shift = rep % len(VARIANTS)
        for name, playbook, extra in VARIANTS[shift:] + VARIANTS[:shift]:
            res = ansible.playbook(playbook, lab.inventory, limit=limit_first(size), extra_vars=extra,
                                   tag="read-r%d-%s" % (rep + 1, name))
            res["valid"] = res["rc"] == 0 and len(res["recap"]) == size and not any(
                r["failed"] or r["unreachable"] for r in res["recap"].values())
            res.update(variant=name, rep=rep + 1, hosts=size)
            runs.append(res)
            log("read cost rep %d %-14s %6.2f s%s" % (rep + 1, name, res["wall_s"], "" if res["valid"] else " INVALID"))
    wall = {name: spread([r["wall_s"] for r in runs if r["variant"] == name and r["valid"]]) for name, _, _ in VARIANTS}
    med = {name: wall[name]["median"] for name in wall}
    above = {name: (med[name] - med["ping"]) if med[name] is not None and med["ping"] is not None else None
             for name in med}
    return {
        "hosts": size,
        "runs": runs,
        "wall": wall,
        "ratio_netstat_over_setup": ratio(med["netstat_facts"], med["setup"]),
        "ratio_netstat_over_setup_min": ratio(med["netstat_facts"], med["setup_min"]),
        "above_floor_s": above,
        "ratio_above_floor_netstat_over_setup": ratio(above["netstat_facts"], above["setup"]),
    }


def snapshot_files(lab, host, dest):
    """Copy one lab host's /proc files (read inside its namespace) to dest/net/..., dest/sys/..."""
    for rel in SNAP_FILES:
        out = run(["ip", "netns", "exec", host["namespace"], "cat", "/proc/" + rel]).stdout
        path = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="ascii") as handle:
            handle.write(out)
    return dest


def _time_calls(func, iterations):
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def _time_process(argv, env, iterations):
    times = []
    out = ""
    for _ in range(iterations):
        start = time.perf_counter()
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env, timeout=30)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise BenchError("%s exited %d: %s" % (argv[0], proc.returncode, proc.stderr.strip()[-300:]))
        out = proc.stdout
    return times, out


def run_parse(snap, cfg):
    """Parse time of the module's parsers (in-process and as a fresh python3) against nstat -asz."""
    if COLLECTIONS_PATH not in sys.path:
        sys.path.insert(0, COLLECTIONS_PATH)
    from ansible_collections.netfleet.tuning.plugins.module_utils import procnet  # noqa: E402
    from ansible_collections.netfleet.tuning.plugins.modules import netstat_facts  # noqa: E402

    def parse_three():
        counters = {}
        for rel, parse in (("net/netstat", procnet.parse_pairs), ("net/snmp", procnet.parse_pairs),
                           ("net/snmp6", procnet.parse_snmp6)):
            with open(os.path.join(snap, rel), encoding="ascii") as handle:
                counters.update(parse(handle.read(), rel))
        return counters

    page = os.sysconf("SC_PAGE_SIZE")
    counted = sum(len(v) for v in parse_three().values())
    n = cfg["iterations"]
    parse_times = _time_calls(parse_three, n)
    snapshot_times = _time_calls(lambda: netstat_facts.read_snapshot(snap, page, []), n)

    nstat_env = env_c({k: os.path.join(snap, v) for k, v in NSTAT_ENV.items()})
    nstat_times, nstat_out = _time_process(["nstat", "-asz"], nstat_env, cfg["process_iterations"])
    nstat_count = sum(1 for line in nstat_out.splitlines() if line and not line.startswith("#"))
    py_env = env_c({"PYTHONPATH": COLLECTIONS_PATH})
    py_times, py_out = _time_process(["/usr/bin/python3", "-c", _CHILD, snap], py_env, cfg["process_iterations"])
    true_times, _ = _time_process(["/usr/bin/python3", "-c", "pass"], py_env, cfg["process_iterations"])
    ms = 1000.0
    return {
        "iterations": n,
        "process_iterations": cfg["process_iterations"],
        "counters_module": counted,
        "counters_module_child": int(py_out.strip() or 0),
        "counters_nstat": nstat_count,
        "module_parse_ms": spread([t * ms for t in parse_times]),
        "module_read_snapshot_ms": spread([t * ms for t in snapshot_times]),
        "nstat_process_ms": spread([t * ms for t in nstat_times]),
        "python_process_parse_ms": spread([t * ms for t in py_times]),
        "python_process_empty_ms": spread([t * ms for t in true_times]),
        "ratio_module_parse_over_nstat": ratio(median(parse_times), median(nstat_times)),
        "ratio_python_process_over_nstat": ratio(median(py_times), median(nstat_times)),
    }


def run_readcost(lab, ansible, cfg, out_dir):
    result = {"config": cfg}
    result["ansible"] = run_ansible_variants(lab, ansible, cfg)
    snap = snapshot_files(lab, lab.hosts[0], os.path.join(out_dir, "procsnap"))
    result["parse"] = run_parse(snap, cfg)
    p = result["parse"]
    log("parse: module %.3f ms in-process, fresh python3 %.1f ms, nstat -asz %.1f ms (%d / %d counters)"
        % (p["module_parse_ms"]["median"], p["python_process_parse_ms"]["median"], p["nstat_process_ms"]["median"],
           p["counters_module"], p["counters_nstat"]))
    return result
