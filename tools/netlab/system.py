# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small helpers around commands, files and processes (argv lists only, LC_ALL=C)."""

import json
import os
import signal
import subprocess
import sys
import time

ENV = dict(os.environ, LC_ALL="C", LANG="C")
PYTHON = "/usr/bin/python3"
SSHD = "/usr/sbin/sshd"
TOOLS = os.path.dirname(os.path.abspath(__file__))


class LabError(Exception):
    """An error to show the user as is (no traceback)."""


_T0 = time.monotonic()


def log(message):
    print("netlab [%5.1fs] %s" % (time.monotonic() - _T0, message), file=sys.stderr, flush=True)


def run(argv, input_text=None, check=True, timeout=120):
    """Run argv, return CompletedProcess (text). With check, a non-zero exit raises LabError."""
    try:
        proc = subprocess.run(argv, input=input_text, capture_output=True, text=True, env=ENV, timeout=timeout,
                              check=False)
    except FileNotFoundError:
        raise LabError("command not found: %s" % argv[0])
    except subprocess.TimeoutExpired:
        raise LabError("timed out after %ss: %s" % (timeout, " ".join(argv)))
    if check and proc.returncode != 0:
        raise LabError("%s failed (exit %d): %s" % (" ".join(argv[:4]), proc.returncode,
                                                    (proc.stderr or proc.stdout).strip()[-2000:]))
    return proc


def run_many(argvs, timeout=120):
    """Run several argvs at once; return their CompletedProcess-like (returncode, stdout, stderr) in order."""
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
             for argv in argvs]
    results = []
    deadline = time.monotonic() + timeout
    for argv, proc in zip(argvs, procs):
        try:
            out, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err = (err or "") + "\ntimed out: %s" % " ".join(argv)
        results.append((proc.returncode, out, err))
    return results


def ip_batch(lines, netns=None, force=False):
    """Run iproute2 commands in one process (`ip -batch -`), optionally inside netns."""
    if not lines:
        return None
    argv = ["ip"]
    if netns:
        argv += ["-n", netns]
    if force:
        argv.append("-force")
    argv += ["-batch", "-"]
    return run(argv, input_text="\n".join(lines) + "\n", check=not force)


def write_file(path, text, mode=0o644):
    """Write text atomically (temp file + rename) with mode."""
    temp_path = "%s.tmp.%d" % (path, os.getpid())
    fd = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temp_path, mode)
    os.replace(temp_path, path)


def read_json(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def alive(pid):
    if not pid:
        return False
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return [token.decode("utf-8", "replace") for token in handle.read().split(b"\0") if token]
    except OSError:
        return []


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid, encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def my_ancestors():
    """This process and its parents: never to be killed by down."""
    pids = set()
    pid = os.getpid()
    while pid > 1 and pid not in pids:
        pids.add(pid)
        try:
            with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as handle:
                pid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def netns_inode(name):
    try:
        return os.stat("/run/netns/%s" % name).st_ino
    except OSError:
        return None


def pid_netns_inode(pid):
    try:
        return os.stat("/proc/%d/ns/net" % pid).st_ino
    except OSError:
        return None


def kill_pids(pids, grace=3.0):
    """SIGTERM the pids, wait up to grace seconds, SIGKILL what is left. Returns the pids signalled."""
    pids = set(pid for pid in pids if pid and pid > 1) - my_ancestors()
    signalled = set()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in sorted(pids):
            if alive(pid):
                try:
                    os.kill(pid, sig)
                    signalled.add(pid)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(alive(pid) for pid in pids):
            time.sleep(0.05)
        if not any(alive(pid) for pid in pids):
            break
    deadline = time.monotonic() + 2.0  # let the parent (often pid 1) reap them, so pgrep shows nothing
    while time.monotonic() < deadline and any(os.path.exists("/proc/%d" % pid) for pid in signalled):
        time.sleep(0.05)
    return signalled
