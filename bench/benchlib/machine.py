# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the machine is and how busy it is: for the page's header and for the idle wait."""

import datetime
import os
import platform
import re
import threading
import time

from benchlib.common import foreign_labs, log, run


def _first_match(path, pattern):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            match = re.search(pattern, handle.read(), re.M)
    except OSError:
        return None
    return match.group(1).strip() if match else None


def loadavg():
    with open("/proc/loadavg", encoding="ascii") as handle:
        fields = handle.read().split()
    return [float(f) for f in fields[:3]]


def uptime_text():
    return run(["uptime"], check=False).stdout.strip()


def cpu_busy_sample(seconds=2.0):
    """Machine CPU busy percent (all CPUs) over a short sample."""
    def read():
        with open("/proc/stat", encoding="ascii") as handle:
            values = [int(v) for v in handle.readline().split()[1:9]]
        idle = values[3] + values[4]
        return sum(values) - idle, sum(values)
    busy0, total0 = read()
    time.sleep(seconds)
    busy1, total1 = read()
    return round(100.0 * (busy1 - busy0) / max(1, total1 - total0), 1)


def tool_version(argv, pattern):
    proc = run(argv, check=False)
    text = proc.stdout + proc.stderr
    match = re.search(pattern, text)
    return match.group(1) if match else None


def machine_info(ansible=None, posix_ansible=None):
    mem_kb = _first_match("/proc/meminfo", r"^MemTotal:\s+(\d+)")
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu_model": _first_match("/proc/cpuinfo", r"^model name\s*:\s*(.+)$"),
        "mem_total_gib": round(int(mem_kb) / 1048576.0, 1) if mem_kb else None,
        "kernel": platform.release(),
        "os": _first_match("/etc/os-release", r'^PRETTY_NAME="?([^"\n]+)"?'),
        "python": platform.python_version(),
        "python_hosts": tool_version(["/usr/bin/python3", "--version"], r"Python ([0-9.]+)"),
        "openssh": tool_version(["ssh", "-V"], r"OpenSSH_([0-9.p]+)"),
        "iproute2": tool_version(["nstat", "-V"], r"iproute2-([0-9.]+)"),
    }
    if ansible:
        info["ansible_core"] = ansible.version()
    if posix_ansible:
        info.update(posix_ansible)
    return info


def load_snapshot(own_labs):
    return {
        "at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "uptime": uptime_text(),
        "loadavg": loadavg(),
        "cpu_busy_pct_2s": cpu_busy_sample(),
        "other_labs": foreign_labs(own_labs),
    }


def wait_idle(own_labs, minutes, poll=30.0):
    """Wait until no other netlab lab has namespaces at two polls in a row, polling every `poll` s, at most
    `minutes`.

    Returns {"waited_s", "idle"}: idle False means it gave up and the run shares the machine.
    """
    start = time.monotonic()
    deadline = start + minutes * 60.0
    quiet = 0
    while True:
        others = foreign_labs(own_labs)
        quiet = 0 if others else quiet + 1
        # Two quiet polls in a row: a lab that is only being recreated (down, then up) is not an idle machine.
        if quiet >= 2 or (not others and minutes <= 0):
            return {"waited_s": round(time.monotonic() - start), "idle": True}
        if not others:
            time.sleep(min(poll, max(1.0, deadline - time.monotonic())))
            continue
        if time.monotonic() >= deadline:
            log("other labs still up after %d min (%s): running anyway, the page will say so"
                % (minutes, ", ".join(others)))
            return {"waited_s": round(time.monotonic() - start), "idle": False, "other_labs": others}
        log("other labs are up (%s): waiting for an idle machine (%.0f of %d min)"
            % (", ".join(others), (time.monotonic() - start) / 60.0, minutes))
        time.sleep(min(poll, max(1.0, deadline - time.monotonic())))


class LabWatcher(threading.Thread):
    """Notes, every `interval` s while the benchmark runs, which other netlab labs are up."""

    def __init__(self, own_labs, interval=15.0):
        super().__init__(daemon=True)
        self.own_labs = own_labs
        self.interval = interval
        self.seen = {}
        self.samples = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.samples += 1
            for name in foreign_labs(self.own_labs):
                self.seen[name] = self.seen.get(name, 0) + 1
            self.stop.wait(self.interval)

    def result(self):
        self.stop.set()
        self.join(5)
        return {"samples": self.samples, "interval_s": self.interval, "labs": dict(sorted(self.seen.items()))}
