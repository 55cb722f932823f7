# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`netlab load`: run loadclient.py in the chosen hosts at once, count what the receivers saw, summarise.

One load at a time on the machine, whatever the lab: a blocking flock on /run/netlab/load.lock.
TCP counters are read in each receiver's namespace twice: after --warmup seconds (fresh
connections' buffers have autotuned by then) and at --seconds; the deltas are that steady window.
Every client is bounded by itself (alarm) and is killed here on any exit.
"""

import contextlib
import datetime
import fcntl
import json
import os
import signal
import subprocess
import time

import naming
import summary
from lab import api_ok, load_state, ns_pids
from system import ENV, PYTHON, TOOLS, LabError, log, run_many

LOCK = "/run/netlab/load.lock"
GRACE = 10.0


@contextlib.contextmanager
def load_lock(lab, timeout):
    os.makedirs(os.path.dirname(LOCK), mode=0o755, exist_ok=True)
    fd = os.open(LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        waiting = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
                if not waiting:
                    log("another load is running (%s); waiting up to %ds for %s" % (holder, timeout, LOCK))
                    waiting = True
                if time.monotonic() >= deadline:
                    raise LabError("gave up after %ds waiting for %s, held by: %s" % (timeout, LOCK, holder))
                time.sleep(0.5)
        os.ftruncate(fd, 0)
        os.pwrite(fd, ("pid %d lab %s since %s\n" % (
            os.getpid(), lab, datetime.datetime.now().isoformat(timespec="seconds"))).encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # releases the flock


def read_counters(hosts):
    """{label: (counters, tcp_rmem, monotonic time)} read inside each host's namespace, all at once."""
    argv = [["ip", "netns", "exec", host["namespace"], "cat", "/proc/sys/net/ipv4/tcp_rmem",
             "/proc/net/netstat", "/proc/net/snmp"] for host in hosts]
    results = {}
    for host, (rc, out, err) in zip(hosts, run_many(argv, timeout=20)):
        if rc != 0:
            raise LabError("reading counters in %s failed: %s" % (host["namespace"], err.strip()))
        first, _, rest = out.partition("\n")
        results[host["label"]] = (summary.parse_proc_counters(rest), " ".join(first.split()), time.monotonic())
    return results


def _cpu_times():
    with open("/proc/stat", encoding="ascii") as handle:
        return summary.parse_cpu_times(handle.read())


def _api_cpu_seconds(state):
    """CPU seconds used so far by the processes in the API namespace (the server and its workers)."""
    ticks = 0
    for pid in ns_pids(state["api"]["namespace"]):
        try:
            with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (all threads)
        except (OSError, ValueError, IndexError):
            pass
    return ticks / float(os.sysconf("SC_CLK_TCK"))


def _sleep_until(moment):
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _client_argv(state, host, opts):
    api = state["api"]
    argv = ["ip", "netns", "exec", host["namespace"], PYTHON, "-I", os.path.join(TOOLS, "loadclient.py"),
            "--host", api["address"], "--port", str(api["port"]), "--seconds", str(opts["seconds"]),
            "--rate", str(opts["rate"]), "--connections", str(opts["connections"]),
            "--max-requests", str(int(opts["rate"] * opts["seconds"] * 1.2)),
            "--read-size", str(opts["read_size"]), "--think-ms", str(opts["think_ms"]),
            "--grace", str(GRACE), "--tag", "netlab:%s" % state["lab"]]
    pin = _pin_of(opts.get("pin_rcvbuf"), host["label"])
    if pin:
        argv += ["--pin-rcvbuf", str(pin)]
    return argv


def _pin_of(pins, label):
    """The SO_RCVBUF a host's consumer sets: ``pins`` is one size for every host or {label: size}."""
    if isinstance(pins, dict):
        return pins.get(label, 0)
    return pins or 0


def _pin_text(pins):
    if isinstance(pins, dict):
        return ", SO_RCVBUF pinned in %s" % ", ".join("%s to %d" % item for item in sorted(pins.items()))
    return ", SO_RCVBUF pinned to %d" % pins if pins else ""


def _on_sigterm(signum, _frame):
    raise SystemExit(128 + signum)


def run_load(lab, seconds, selection="all", rate=50.0, connections=8, pin_rcvbuf=0, warmup=None,
             read_size=16384, think_ms=2.0, lock_timeout=900, json_path=None):
    state = load_state(lab)
    if seconds <= 0 or rate <= 0 or connections < 1:
        raise LabError("--seconds, --rate and --connections must be positive")
    warmup = min(5.0, seconds / 4.0) if warmup is None else warmup
    if not 0 <= warmup < seconds:
        raise LabError("--warmup must be at least 0 and less than --seconds")
    labels = naming.parse_host_selection(selection, [host["label"] for host in state["hosts"]], lab)
    hosts = [host for host in state["hosts"] if host["label"] in labels]
    if isinstance(pin_rcvbuf, str):
        pin_rcvbuf = naming.parse_pins(pin_rcvbuf, [host["label"] for host in state["hosts"]], lab)
    opts = {"seconds": seconds, "rate": rate, "connections": connections, "pin_rcvbuf": pin_rcvbuf,
            "read_size": read_size, "think_ms": think_ms}
    out_dir = os.path.join(state["state_dir"], "load")
    os.makedirs(out_dir, exist_ok=True)
    signal.signal(signal.SIGTERM, _on_sigterm)
    procs = {}
    with load_lock(lab, lock_timeout):
        api = state["api"]
        if not api_ok(api["address"], api["port"]):
            raise LabError("the lab's API server does not answer on %s:%d (netlab status --name %s; "
                           "netlab reset-host --name %s --host api restarts it)"
                           % (api["address"], api["port"], lab, lab))
        log("load: %d hosts x %s req/s x %ss, %d connections each%s; counters from %.1fs to %ss"
            % (len(hosts), rate, seconds, connections, _pin_text(pin_rcvbuf), warmup, seconds))
        try:
            start = time.monotonic()
            started_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
            for host in hosts:
                base = os.path.join(out_dir, host["label"])
                with open(base + ".json", "wb") as out, open(base + ".err", "wb") as err:
                    procs[host["label"]] = subprocess.Popen(_client_argv(state, host, opts), stdin=subprocess.DEVNULL,
                                                            stdout=out, stderr=err, env=ENV, start_new_session=True)
            _sleep_until(start + warmup)
            cpu_before, api_before = _cpu_times(), _api_cpu_seconds(state)
            before = read_counters(hosts)
            _sleep_until(start + seconds)
            after = read_counters(hosts)
            cpu_after, api_after = _cpu_times(), _api_cpu_seconds(state)
            hard_end = start + seconds + GRACE + 10
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, hard_end - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    result = {"lab": lab, "started_at": started_at, "seconds": seconds, "rate": rate, "connections": connections,
              "pin_rcvbuf": pin_rcvbuf or None, "warmup": warmup, "read_size": read_size, "think_ms": think_ms,
              "write_size": state["write_size"], "hosts": {}}
    all_latencies = []
    for host in hosts:
        label = host["label"]
        client = _client_result(out_dir, label, procs[label].returncode)
        all_latencies.extend(client.get("latencies_ms") or [])
        counters_before, _, t_before = before[label]
        counters_after, rmem, t_after = after[label]
        result["hosts"][host["name"]] = summary.host_summary(
            client, seconds, summary.counter_deltas(counters_before, counters_after),
            round(t_after - t_before, 2), {"net.ipv4.tcp_rmem": rmem})
        result["hosts"][host["name"]]["pin_rcvbuf"] = _pin_of(pin_rcvbuf, label) or None
    result["total"] = summary.total_summary(result["hosts"], all_latencies, seconds)
    result["total"]["machine_cpu_busy_pct"] = summary.cpu_busy_pct(cpu_before, cpu_after)
    window = after[hosts[0]["label"]][2] - before[hosts[0]["label"]][2]
    result["total"]["api_server_cpu_pct"] = round(100.0 * (api_after - api_before) / window, 1) if window > 0 else None
    if json_path:
        with open(json_path, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2, sort_keys=True)
            handle.write("\n")
    return result


def _client_result(out_dir, label, returncode):
    base = os.path.join(out_dir, label)
    try:
        with open(base + ".json", encoding="utf-8") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError):
        with open(base + ".err", encoding="utf-8", errors="replace") as handle:
            err = handle.read().strip()[-500:]
        log("load client in %s gave no result (exit %s): %s" % (label, returncode, err))
        return {"requests": 0, "errors": 1, "error_kinds": {"client_failed": 1}, "bytes": 0, "latencies_ms": []}
