# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lab's life: up, down, state, status, and the per-host operations (exec, sysctl, kill-sshd, reset-host).

State lives in /run/netlab/LAB/state.json. `down` works from the state when it exists and always
also from the names (naming.py), so it cleans up after a crash or a partial `up`.
"""

import concurrent.futures
import contextlib
import datetime
import fcntl
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import time

import inventory
import naming
from system import (PYTHON, SSHD, TOOLS, LabError, alive, cmdline, comm, ip_batch, kill_pids, log, netns_inode,
                    pid_netns_inode, read_json, run, run_many, write_file)

ROOT = "/run/netlab"
ETC_NETNS = "/etc/netns"
MACHINE_DIRS = ("/var/lib/netfleet-tuning", "/run/sshd", "/run/sysctl.d")  # mountpoints / sshd privsep dir
UNTUNED_RMEM = "4096 16384 65536"
UNTUNED_FILE = "10-netlab-untuned.conf"
SYSCTL_KEY_RE = re.compile(r"net(\.[A-Za-z0-9_-]+)+")
SYSCTL_VALUE_RE = re.compile(r"[A-Za-z0-9_.:-]+([ \t]+[A-Za-z0-9_.:-]+)*")


# ---------------------------------------------------------------------------------------------- state

def state_path(lab):
    return os.path.join(naming.state_dir(lab, ROOT), "state.json")


def load_state(lab, required=True):
    state = read_json(state_path(lab))
    if state is None and required:
        raise LabError("lab %s is not up (no %s); start it with: netlab up --name %s --hosts N"
                       % (lab, state_path(lab), lab))
    return state


def save_state(state):
    write_file(state_path(state["lab"]), json.dumps(state, indent=2, sort_keys=True) + "\n")


def all_states():
    states = []
    if os.path.isdir(ROOT):
        for entry in sorted(os.listdir(ROOT)):
            state = read_json(os.path.join(ROOT, entry, "state.json"))
            if state:
                states.append(state)
    return states


@contextlib.contextmanager
def _alloc_lock():
    os.makedirs(ROOT, mode=0o755, exist_ok=True)
    with open(os.path.join(ROOT, "alloc.lock"), "w", encoding="ascii") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _used_networks():
    """Subnets of other labs plus every IPv4 network already configured in the init namespace."""
    used = [lab_state["subnet"] for lab_state in all_states() if lab_state.get("subnet")]
    addrs = json.loads(run(["ip", "-j", "-4", "addr", "show"]).stdout or "[]")
    for link in addrs:
        for info in link.get("addr_info", []):
            used.append("%s/%s" % (info["local"], info["prefixlen"]))
    return used


def entries(state):
    """The API host then every host: each has label, name, namespace, address."""
    return [state["api"]] + state["hosts"]


def find_entry(state, host):
    label = naming.parse_host_selection(host, [entry["label"] for entry in entries(state)], state["lab"])
    if len(label) != 1:
        raise LabError("give exactly one host, not %r" % host)
    return next(entry for entry in entries(state) if entry["label"] == label[0])


def private_dir(state, entry):
    return os.path.join(state["state_dir"], "hosts", entry["label"])


def lab_namespaces(lab):
    out = run(["ip", "netns", "list"], check=False).stdout
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    return [name for name in names if naming.is_lab_namespace(lab, name)]


def ns_pids(namespace):
    proc = run(["ip", "netns", "pids", namespace], check=False)
    return [int(pid) for pid in proc.stdout.split() if pid.isdigit()]


# ------------------------------------------------------------------------------------------------- up

def up(lab, count, mode="untuned", write_size=512, api_hours=6.0, untuned_rmem=UNTUNED_RMEM):
    naming.check_lab(lab)
    naming.check_host_count(count)
    if not re.fullmatch(r"[0-9]+ [0-9]+ [0-9]+", " ".join(untuned_rmem.split())):
        raise LabError("--untuned-rmem must be three integers (min default max), not %r" % untuned_rmem)
    untuned_rmem = " ".join(untuned_rmem.split())
    if write_size < 0 or api_hours <= 0:
        raise LabError("--write-size must be >= 0 and --api-hours > 0")
    _preflight()
    with _alloc_lock():
        if os.path.exists(naming.state_dir(lab, ROOT)) or lab_namespaces(lab):
            raise LabError("lab %s already exists; run `netlab down --name %s` first" % (lab, lab))
        net = naming.allocate_subnet(lab, _used_networks())
        state = naming.lab_plan(lab, net, count)
        state_dir = naming.state_dir(lab, ROOT)
        state.update({
            "version": 1,
            "status": "creating",
            "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "mode": mode,
            "untuned_tcp_rmem": untuned_rmem if mode == "untuned" else None,
            "write_size": write_size,
            "api_hours": api_hours,
            "state_dir": state_dir,
            "inventory": os.path.join(state_dir, "inventory.yml"),
            "ssh_config": os.path.join(state_dir, "ssh_config"),
            "ssh_key": os.path.join(state_dir, "id_ed25519"),
        })
        for sub in ("", "log", "cm", "hosts", "load"):
            os.makedirs(os.path.join(state_dir, sub), mode=0o700 if sub == "cm" else 0o755, exist_ok=True)
        save_state(state)
    log("lab %s: %d hosts on %s (%s), bridge %s" % (lab, count, state["subnet"], mode, state["bridge"]))
    try:
        _write_files(state)
        _create_network(state, entries(state))
        log("network ready")
        _start(state, entries(state))
        _wait_ready(state, entries(state))
        write_file(state["inventory"], inventory.render_inventory(state))
        state["status"] = "up"
        save_state(state)
    except BaseException:
        log("up failed; removing what was made (netlab down --name %s)" % lab)
        down(lab)
        raise
    log("lab %s is up" % lab)
    return state


def _preflight():
    if os.geteuid() != 0:
        raise LabError("netlab needs root (network namespaces, bind mounts)")
    for tool in ("ip", "ssh", "ssh-keygen", "sysctl", SSHD, PYTHON):
        if not shutil.which(tool):
            raise LabError("%s not found: install iproute2, openssh-server, openssh-client, procps, python3" % tool)


def _write_files(state):
    state_dir = state["state_dir"]
    keygens = [["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "netlab-%s" % state["lab"], "-f", path]
               for path in (state["ssh_key"], os.path.join(state_dir, "ssh_host_ed25519_key"))]
    for rc, _, err in run_many(keygens):
        if rc != 0:
            raise LabError("ssh-keygen failed: %s" % err.strip())
    with open(state["ssh_key"] + ".pub", encoding="ascii") as handle:
        write_file(os.path.join(state_dir, "authorized_keys"), handle.read(), 0o600)
    write_file(os.path.join(state_dir, "sshd_config"), inventory.render_sshd_config(state), 0o600)
    write_file(state["ssh_config"], inventory.render_ssh_config(state))
    for path in MACHINE_DIRS:
        if not os.path.isdir(path):
            log("creating empty directory %s (a mountpoint / sshd's privsep dir; left in place by down)" % path)
            os.makedirs(path, mode=0o755, exist_ok=True)
    for entry in entries(state):
        etc = os.path.join(ETC_NETNS, entry["namespace"])
        os.makedirs(os.path.join(etc, "sysctl.d"), mode=0o755, exist_ok=True)
        if os.path.exists("/etc/sysctl.conf"):  # ip netns exec can only bind over a file that exists
            write_file(os.path.join(etc, "sysctl.conf"), "")
        if state["mode"] == "untuned" and entry["label"] != "api":
            write_file(os.path.join(etc, "sysctl.d", UNTUNED_FILE),
                       inventory.untuned_sysctl_conf(state["untuned_tcp_rmem"]))
        os.makedirs(private_dir(state, entry), mode=0o755, exist_ok=True)


def _create_network(state, items, with_bridge=True):
    prefix_len = state["subnet"].split("/")[1]
    bridge = state["bridge"]
    lines = []
    if with_bridge:
        lines += ["link add %s type bridge" % bridge,
                  "link set dev %s addrgenmode none" % bridge,
                  "addr add %s/%s dev %s" % (state["bridge_address"], prefix_len, bridge),
                  "link set dev %s up" % bridge]
    for entry in items:
        ns = entry["namespace"]
        lines += ["netns add %s" % ns,
                  "link add %s type veth peer name eth0 netns %s" % (ns, ns),
                  "link set dev %s addrgenmode none" % ns,
                  "link set dev %s master %s" % (ns, bridge),
                  "link set dev %s up" % ns]
    ip_batch(lines)
    inner = [["ip", "-n", item["namespace"], "-batch", "-"] for item in items]
    procs = [subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for argv in inner]
    for entry, proc in zip(items, procs):
        out, _ = proc.communicate("link set dev lo up\naddr add %s/%s dev eth0\nlink set dev eth0 up\n"
                                  % (entry["address"], prefix_len))
        if proc.returncode != 0:
            raise LabError("configuring %s failed: %s" % (entry["namespace"], out.strip()))


def _host_argv(state, entry, command, boot=False):
    """argv that runs command in the host's namespace with its private view (hostns.py)."""
    argv = ["ip", "netns", "exec", entry["namespace"], PYTHON, "-I", os.path.join(TOOLS, "hostns.py"),
            "--namespace", entry["namespace"], "--private", private_dir(state, entry)]
    if boot:
        argv.append("--boot")
    return argv + ["--"] + list(command)


def _spawn(argv, log_path):
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True)
    return proc


def _start(state, items):
    """Start sshd in each item (via hostns.py, with --boot) and the API server if the API host is among them."""
    state_dir = state["state_dir"]
    sshd = [SSHD, "-D", "-f", os.path.join(state_dir, "sshd_config")]
    for entry in items:
        logfile = os.path.join(state_dir, "log", "%s.sshd.log" % entry["label"])
        proc = _spawn(_host_argv(state, entry, sshd + ["-E", logfile], boot=True), logfile)
        entry["sshd_pid"] = proc.pid
        if entry["label"] == "api":
            argv = ["ip", "netns", "exec", entry["namespace"], PYTHON, "-I", os.path.join(TOOLS, "apiserver.py"),
                    "--port", str(entry["port"]), "--write-size", str(state["write_size"]),
                    "--max-hours", str(state["api_hours"]), "--tag", "netlab:%s" % state["lab"]]
            entry["server_pid"] = _spawn(argv, os.path.join(state_dir, "log", "api.log")).pid
    save_state(state)


def _banner(address, port, deadline):
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=2) as sock:
                if sock.recv(64).startswith(b"SSH-"):
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def api_ok(address, port, timeout=2.0):
    try:
        conn = http.client.HTTPConnection(address, port, timeout=timeout)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except (OSError, http.client.HTTPException):
        return False


def _ssh_argv(state, address, command):
    return ["ssh", "-F", state["ssh_config"], "-o", "ControlMaster=no", "-o", "ControlPath=none",
            "-o", "BatchMode=yes", address] + list(command)


def _log_tail(state, entry, lines=5):
    path = os.path.join(state["state_dir"], "log", "%s.sshd.log" % entry["label"])
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return " | ".join(handle.read().strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_ready(state, items, timeout=None):
    """Every sshd answers with its banner, then accepts our key; the API answers /healthz."""
    timeout = timeout or 30 + 0.5 * len(items)
    deadline = time.monotonic() + timeout
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        ok = list(pool.map(lambda item: _banner(item["address"], 22, deadline), items))
    bad = [item for item, good in zip(items, ok) if not good]
    if bad:
        raise LabError("sshd not answering after %ds on: %s; log: %s" % (
            timeout, ", ".join(item["name"] for item in bad), _log_tail(state, bad[0])))
    log("sshd answering on %d hosts" % len(items))
    # Every sshd shares one config, key and /root: a key login on the first and last ones proves the rest
    # (a full login costs ~0.3 s of CPU; 50 of them would triple the time of `up`).
    sample = [items[0]] + ([items[-1]] if len(items) > 1 else [])
    results = run_many([_ssh_argv(state, item["address"], ["true"]) for item in sample], timeout=60)
    bad = [(item, err) for item, (rc, _, err) in zip(sample, results) if rc != 0]
    if bad:
        raise LabError("ssh login failed on %s: %s" % (", ".join(item["name"] for item, _ in bad), bad[0][1].strip()))
    log("ssh key login works (checked %s)" % ", ".join(item["name"] for item in sample))
    api = state["api"]
    if any(item["label"] == "api" for item in items):
        while not api_ok(api["address"], api["port"]):
            if time.monotonic() > deadline:
                raise LabError("API server not answering on %s:%d; see %s/log/api.log"
                               % (api["address"], api["port"], state["state_dir"]))
            time.sleep(0.1)
        log("API answering on http://%s:%d/" % (api["address"], api["port"]))


# ----------------------------------------------------------------------------------------------- down

def _started_by_lab(pid, lab):
    """True for the processes netlab starts, by an exact argv token: sshd (-f LAB/sshd_config), hostns.py
    (--private LAB/hosts/...), apiserver.py and loadclient.py (--tag netlab:LAB). Not for the user's ssh or
    ansible-playbook that merely name the lab's files."""
    state_dir = naming.state_dir(lab, ROOT)
    tokens = cmdline(pid)
    return any(token == "netlab:%s" % lab or token == state_dir + "/sshd_config"
               or token.startswith(state_dir + "/hosts/") for token in tokens)


def lab_processes(lab, namespaces):
    """Every process of the lab: all processes inside its namespaces, plus any process netlab started
    for it that is outside them (e.g. left behind after its namespace went)."""
    pids = set()
    for _, out, _ in run_many([["ip", "netns", "pids", ns] for ns in sorted(namespaces)]):
        pids.update(int(pid) for pid in out.split() if pid.isdigit())
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _started_by_lab(int(entry), lab):
            pids.add(int(entry))
    return pids


def down(lab):
    """Remove everything of lab; safe to run any number of times, with or without state."""
    naming.check_lab(lab)
    if os.geteuid() != 0:
        raise LabError("netlab needs root")
    namespaces = set(lab_namespaces(lab))
    killed = kill_pids(lab_processes(lab, namespaces))
    links = json.loads(run(["ip", "-j", "link", "show"]).stdout or "[]")
    ours = [link["ifname"] for link in links
            if naming.is_lab_namespace(lab, link["ifname"]) or link["ifname"] == naming.bridge_name(lab)]
    lines = ["link delete dev %s" % name for name in ours]
    lines += ["netns delete %s" % ns for ns in sorted(namespaces)]
    ip_batch(lines, force=True)
    removed_etc = 0
    if os.path.isdir(ETC_NETNS):
        for entry in os.listdir(ETC_NETNS):
            if naming.is_lab_namespace(lab, entry):
                shutil.rmtree(os.path.join(ETC_NETNS, entry), ignore_errors=True)
                removed_etc += 1
    shutil.rmtree(naming.state_dir(lab, ROOT), ignore_errors=True)
    left = lab_namespaces(lab)
    log("lab %s down: %d processes stopped, %d namespaces, %d links, %d /etc/netns dirs removed%s"
        % (lab, len(killed), len(namespaces), len(ours), removed_etc,
           ("; STILL PRESENT: %s" % ", ".join(left)) if left else ""))
    if left:
        raise LabError("could not remove namespaces %s" % ", ".join(left))


# ------------------------------------------------------------------------------------- per-host tools

def status(lab):
    state = load_state(lab)
    result = {key: state[key] for key in ("lab", "status", "subnet", "bridge", "bridge_address", "mode", "write_size",
                                          "inventory", "ssh_config", "ssh_key", "state_dir", "created_at")}
    present = set(lab_namespaces(lab))
    rows = []
    for entry in entries(state):
        ns = entry["namespace"]
        inode = netns_inode(ns)
        sshd_pids = [pid for pid in (ns_pids(ns) if ns in present else []) if comm(pid) == "sshd"]
        row = {
            "name": entry["name"], "label": entry["label"], "namespace": ns, "address": entry["address"],
            "namespace_present": ns in present,
            "sshd_pid": entry.get("sshd_pid"),
            "sshd_running": bool(entry.get("sshd_pid")) and alive(entry["sshd_pid"])
            and pid_netns_inode(entry["sshd_pid"]) == inode,
            "sshd_processes": len(sshd_pids),
        }
        if entry["label"] == "api":
            row["port"] = entry["port"]
            row["server_pid"] = entry.get("server_pid")
            row["server_running"] = api_ok(entry["address"], entry["port"])
        rows.append(row)
    result["api"] = rows[0]
    result["hosts"] = rows[1:]
    return result


def exec_in_host(lab, host, command):
    """Run command in the host's network namespace with the same private view its sshd has."""
    state = load_state(lab)
    entry = find_entry(state, host)
    if not command:
        raise LabError("nothing to run: netlab exec --name %s %s -- ARGV..." % (lab, host))
    return subprocess.call(_host_argv(state, entry, command))


def set_sysctls(lab, selection, assignments):
    """Write net.* sysctls live in the chosen hosts' namespaces and read them back."""
    state = load_state(lab)
    pairs = []
    for item in assignments:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not SYSCTL_KEY_RE.fullmatch(key) or not SYSCTL_VALUE_RE.fullmatch(value):
            raise LabError("bad assignment %r: use net.KEY=VALUE (only net.* keys, the namespace's own)" % item)
        pairs.append((key, " ".join(value.split())))
    labels = naming.parse_host_selection(selection, [host["label"] for host in state["hosts"]], lab)
    chosen = [host for host in state["hosts"] if host["label"] in labels]
    sysctl = shutil.which("sysctl")
    writes = run_many([["ip", "netns", "exec", host["namespace"], sysctl, "-q", "-w"]
                       + ["%s=%s" % pair for pair in pairs] for host in chosen])
    reads = run_many([["ip", "netns", "exec", host["namespace"], sysctl, "-e"] + [key for key, _ in pairs]
                      for host in chosen])
    failures = []
    for host, (_, _, write_errors), (_, read_out, _) in zip(chosen, writes, reads):
        live = {}
        for line in read_out.splitlines():
            name, _, shown_value = line.partition("=")
            live[name.strip()] = " ".join(shown_value.split())
        for key, value in pairs:
            shown = live.get(key, "(missing)")
            print("%s: %s = %s" % (host["name"], key, shown))
            if shown != value:
                failures.append("%s %s: wanted %s, live %s %s"
                                % (host["name"], key, value, shown, write_errors.strip()))
    if failures:
        raise LabError("; ".join(failures))


def kill_sshd(lab, host):
    """Stop every sshd process of the host (listener and sessions): the host becomes unreachable."""
    state = load_state(lab)
    entry = find_entry(state, host)
    pids = [pid for pid in ns_pids(entry["namespace"]) if comm(pid) == "sshd"]
    kill_pids(pids)
    entry["sshd_pid"] = None
    save_state(state)
    log("%s: stopped %d sshd processes" % (entry["name"], len(pids)))


def reset_host(lab, host):
    """Recreate the host's namespace (counters restart at 0, live sysctls back to kernel defaults),
    then boot it again: its own /etc/sysctl.d is applied and sshd started, like a reboot."""
    state = load_state(lab)
    entry = find_entry(state, host)
    ns = entry["namespace"]
    kill_pids(ns_pids(ns))
    ip_batch(["link delete dev %s" % ns, "netns delete %s" % ns], force=True)
    _create_network(state, [entry], with_bridge=False)
    # The recreated veth has a new MAC; the bridge side still holds a neighbour entry for the old
    # one and would keep sending there until it expires (sshd looks dead for ~30 s). Forget it.
    ip_batch(["neigh flush to %s dev %s" % (entry["address"], state["bridge"])], force=True)
    _start(state, [entry])
    _wait_ready(state, [entry])
    log("%s: namespace %s recreated and booted" % (entry["name"], ns))
