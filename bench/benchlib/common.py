# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the benchmarks: logging, subprocesses, the netlab lab, live sysctls, Ansible runs.

Everything here runs on the controller (this machine) as root. Commands are argv lists, never
shell strings. Every wait is bounded.
"""

import concurrent.futures
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BENCH)
NETLAB = os.path.join(REPO, "tools", "netlab", "netlab")
PLAYBOOKS = os.path.join(BENCH, "playbooks")
COLLECTIONS_PATH = os.path.join(REPO, ".cache", "collections")
ENV_C = {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}  # Ansible refuses a non-UTF-8 locale

_T0 = time.monotonic()


def _load_metric_registry():
    """plugins/module_utils/metric_registry.py of this checkout, loaded by its path (it imports nothing of the
    collection): the benchmark names the metrics as the collection does, without importing the collection's
    package into this process (the controller benchmark imports other versions of it, in its workers)."""
    path = os.path.join(REPO, "plugins", "module_utils", "metric_registry.py")
    spec = importlib.util.spec_from_file_location("netfleet_metric_registry", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


METRIC_REGISTRY = _load_metric_registry()


def counter_name(metric):
    """The kernel's counter of a metric (``prune_called`` -> ``PruneCalled``): what `netlab load` reports and the
    results page labels."""
    return METRIC_REGISTRY.BY_NAME[metric].source.field


class BenchError(Exception):
    pass


def log(msg):
    sys.stderr.write("bench [%6.1fs] %s\n" % (time.monotonic() - _T0, msg))
    sys.stderr.flush()


def elapsed():
    return time.monotonic() - _T0


def env_c(extra=None):
    env = dict(os.environ)
    env.update(ENV_C)
    if extra:
        env.update(extra)
    return env


def run(argv, timeout=120, env=None, check=True, cwd=None):
    """Run argv, capture text output; raise BenchError on a non-zero exit when check."""
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=timeout, env=env or env_c(), cwd=cwd)
    except subprocess.TimeoutExpired:
        raise BenchError("timed out after %ss: %s" % (timeout, " ".join(argv)))
    if check and proc.returncode != 0:
        raise BenchError("%s exited %d: %s" % (" ".join(argv[:4]), proc.returncode,
                                               (proc.stderr or proc.stdout).strip()[-800:]))
    return proc


def run_many(argvs, timeout=60, workers=16):
    """Run argv lists in parallel threads; [(rc, stdout, stderr)] in the same order."""
    def one(argv):
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, timeout=timeout, env=env_c())
            return proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired:
            return 124, "", "timed out after %ss" % timeout
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(workers, len(argvs)))) as pool:
        return list(pool.map(one, argvs))


# --------------------------------------------------------------------------------------------- netlab

def netlab(args, timeout=300, check=True):
    return run([sys.executable, NETLAB] + list(args), timeout=timeout, check=check)


def foreign_namespaces(own_labs):
    """Network namespaces of other netlab labs (nl-LAB-...) that are not one of own_labs."""
    out = run(["ip", "netns", "list"], check=False).stdout
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    mine = tuple("nl-%s-" % lab for lab in own_labs)
    return sorted(n for n in names if n.startswith("nl-") and not n.startswith(mine))


def foreign_labs(own_labs):
    labs = set()
    for name in foreign_namespaces(own_labs):
        parts = name.split("-")
        if len(parts) >= 3:
            labs.add(parts[1])
    return sorted(labs)


class Lab:
    """A netlab lab this benchmark made: its hosts, their namespaces and private directories."""

    def __init__(self, name, count):
        self.name = name
        self.count = count
        self.status = None

    def up(self):
        netlab(["down", "--name", self.name], timeout=120)  # a leftover from a crashed run
        netlab(["up", "--name", self.name, "--hosts", str(self.count)], timeout=60 + 2 * self.count)
        self.status = json.loads(netlab(["status", "--name", self.name]).stdout)
        bad = [h["name"] for h in self.status["hosts"] if not h["sshd_running"]]
        if bad or not self.status["api"].get("server_running"):
            raise BenchError("lab %s is not healthy: sshd down on %s, API %s" % (
                self.name, bad, self.status["api"].get("server_running")))
        return self

    def down(self):
        netlab(["down", "--name", self.name], timeout=180, check=False)

    @property
    def inventory(self):
        return self.status["inventory"]

    @property
    def hosts(self):
        return self.status["hosts"]

    def first(self, count):
        return self.hosts[:count]

    def sysctl_dir(self, host):
        """The host's /etc/sysctl.d as seen from the controller (ip netns exec bind-mounts it)."""
        return os.path.join("/etc/netns", host["namespace"], "sysctl.d")

    def state_dir(self, host):
        """The host's private /var/lib/netfleet-tuning (see tools/netlab/hostns.py)."""
        return os.path.join(self.status["state_dir"], "hosts", host["label"], "var-lib-netfleet-tuning")


KEY_RE = re.compile(r"\Anet(\.[a-z0-9_]+){2,4}\Z")


def key_path(key):
    if not KEY_RE.match(key):
        raise BenchError("not a net.* sysctl key: %r" % key)
    return "/proc/sys/" + key.replace(".", "/")


def read_live(hosts, keys, with_scope=False):
    """{host name: {key: value or None}} read inside each host's namespace, all hosts at once.

    with_scope: {host name: {key: (value, writable)}} instead, writable as root in that namespace.
    """
    script = ("import os, sys\nfor p in sys.argv[1:]:\n"
              "    try:\n        v = ' '.join(open(p).read().split())\n"
              "    except OSError:\n        v = '-'\n"
              "    print('%s|%s' % ('w' if os.access(p, os.W_OK) else 'r', v))\n")
    paths = [key_path(k) for k in keys]
    results = run_many([["ip", "netns", "exec", h["namespace"], "/usr/bin/python3", "-I", "-c", script] + paths
                        for h in hosts])
    live = {}
    for host, (rc, out, err) in zip(hosts, results):
        if rc != 0:
            raise BenchError("reading sysctls in %s failed: %s" % (host["namespace"], err.strip()))
        values = {}
        for key, line in zip(keys, out.splitlines()):
            mode, _, value = line.partition("|")
            value = None if value == "-" else value
            values[key] = (value, mode == "w" and value is not None) if with_scope else value
        live[host["name"]] = values
    return live


def write_live(hosts, values):
    """values: {host name: {key: value}}; writes them with sysctl -w inside each namespace."""
    argvs, chosen = [], []
    for host in hosts:
        pairs = values.get(host["name"]) or {}
        pairs = {k: v for k, v in pairs.items() if v is not None}
        if pairs:
            argvs.append(["ip", "netns", "exec", host["namespace"], "sysctl", "-q", "-w"]
                         + ["%s=%s" % (k, v) for k, v in sorted(pairs.items())])
            chosen.append(host)
    for host, (rc, _, err) in zip(chosen, run_many(argvs)):
        if rc != 0:
            raise BenchError("sysctl -w in %s failed: %s" % (host["namespace"], err.strip()))


def reset_hosts(lab, hosts, initial, files):
    """Back to the lab's fresh state without a round trip: remove the given /etc/sysctl.d files and the
    role's saved state, and write the live values recorded right after `netlab up`."""
    for host in hosts:
        for name in files:
            path = os.path.join(lab.sysctl_dir(host), name)
            if os.path.lexists(path):
                os.unlink(path)
        state = lab.state_dir(host)
        if os.path.isdir(state):
            for entry in os.listdir(state):
                target = os.path.join(state, entry)
                if os.path.isdir(target) and not os.path.islink(target):
                    shutil.rmtree(target)
                else:
                    os.unlink(target)
    write_live(hosts, initial)
    now = read_live(hosts, sorted({k for v in initial.values() for k in v}))
    wrong = ["%s %s=%s (want %s)" % (h, k, now[h][k], v) for h, vals in initial.items() if h in now
             for k, v in vals.items() if v is not None and now[h][k] != v]
    if wrong:
        raise BenchError("reset failed: %s" % "; ".join(wrong[:5]))


def check_live(hosts, wanted):
    """Names of hosts whose live values differ from wanted ({key: value}); [] when all match."""
    live = read_live(hosts, sorted(wanted))
    return sorted(h for h, vals in live.items()
                  if any(" ".join(str(vals[k]).split()) != " ".join(str(v).split()) for k, v in wanted.items()))


# -------------------------------------------------------------------------------------------- Ansible

RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


class Ansible:
    """ansible-playbook from one virtualenv with one set of settings (bench/ansible.cfg) for every contender."""

    def __init__(self, bin_dir, log_dir, cp_dir):
        self.bin_dir = bin_dir
        self.log_dir = log_dir
        self.cp_dir = cp_dir
        os.makedirs(log_dir, exist_ok=True)
        os.makedirs(cp_dir, mode=0o700, exist_ok=True)
        self.count = 0
        self.mitogen_strategy_dir = None

    def version(self):
        out = run([os.path.join(self.bin_dir, "ansible"), "--version"], env=self.env()).stdout
        match = re.search(r"core ([0-9][^\]\s]*)", out)
        return match.group(1) if match else out.splitlines()[0]

    def env(self, mitogen=False):
        env = env_c({
            "ANSIBLE_CONFIG": os.path.join(BENCH, "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_PATH,
            "ANSIBLE_SSH_CONTROL_PATH_DIR": self.cp_dir,
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.log_dir, "tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        env.pop("ANSIBLE_STRATEGY", None)
        env.pop("ANSIBLE_STRATEGY_PLUGINS", None)
        env["PATH"] = self.bin_dir + os.pathsep + env.get("PATH", "")
        if mitogen:
            if not self.mitogen_strategy_dir:
                raise BenchError("mitogen is not installed in %s" % self.bin_dir)
            env["ANSIBLE_STRATEGY_PLUGINS"] = self.mitogen_strategy_dir
            env["ANSIBLE_STRATEGY"] = "mitogen_linear"
        return env

    def playbook(self, playbook, inventory, limit=None, extra_vars=None, mitogen=False, tag="run", timeout=600,
                 forks=None):
        """Run one playbook; return {"wall_s", "rc", "log", "recap"}. wall_s is the whole process.
        ``forks``: instead of bench/ansible.cfg's."""
        self.count += 1
        base = os.path.join(self.log_dir, "%03d-%s" % (self.count, tag))
        argv = [os.path.join(self.bin_dir, "ansible-playbook"), "-i", inventory, os.path.join(PLAYBOOKS, playbook)]
        if limit:
            argv += ["--limit", limit]
        if forks:
            argv += ["--forks", str(int(forks))]
        if extra_vars:
            with open(base + ".vars.json", "w", encoding="utf-8") as handle:
                json.dump(extra_vars, handle, indent=1, sort_keys=True)
            argv += ["-e", "@" + base + ".vars.json"]
        with open(base + ".log", "w", encoding="utf-8") as out:
            out.write("# %s\n" % " ".join(argv))
            out.flush()
            start = time.monotonic()
            try:
                proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                      env=self.env(mitogen), timeout=timeout, cwd=BENCH)
                rc = proc.returncode
            except subprocess.TimeoutExpired:
                rc = 124
            wall = time.monotonic() - start
        with open(base + ".log", encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        recap = {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                              "failed": int(m.group(5))} for m in RECAP_RE.finditer(text)}
        return {"wall_s": round(wall, 3), "rc": rc, "log": os.path.relpath(base + ".log", REPO), "recap": recap}

    def close_masters(self):
        """Stop the ssh ControlMaster processes of this run (their sockets are in cp_dir)."""
        if not os.path.isdir(self.cp_dir):
            return
        for entry in os.listdir(self.cp_dir):
            path = os.path.join(self.cp_dir, entry)
            run(["ssh", "-o", "ControlPath=%s" % path, "-O", "exit", "bench-master"], timeout=10, check=False)


def limit_first(count):
    """Ansible host pattern for the first count hosts of the netlab_hosts group (inclusive slice)."""
    return "netlab_hosts[0:%d]" % (count - 1)
