#!/usr/bin/python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Give a lab host its private view of the machine, then exec a command in it.

Run as: ip netns exec NS /usr/bin/python3 -I hostns.py --namespace NS --private DIR [--boot] -- ARGV...

`ip netns exec` has already entered the host's network namespace, made a new mount namespace and
bind-mounted /etc/netns/NS/* over /etc (so /etc/sysctl.d and /etc/sysctl.conf are the host's own).
This wrapper, in that same mount namespace:
  1. with --boot, applies the host's /etc/sysctl.d/*.conf (net.* keys only), as a boot would;
  2. bind-mounts private per-host directories (under DIR) over /usr/lib/sysctl.d, /run/sysctl.d,
     /usr/local/lib/sysctl.d (if present) and /var/lib/netfleet-tuning, and over /etc/tuned and
     /usr/lib/tuned when the machine has them (a host's own tuned configuration: tests of the role
     beside tuned write a profile there, never into the machine's; tuned's daemon never runs);
  3. makes /proc/sys read-only and /proc/sys/net (this namespace's own keys) read-write again,
     so neither `sysctl --system` nor `sysctl -w kernel.x=...` can change the machine;
  4. checks all of that, then execs ARGV (sshd for a host, any command for `netlab exec`).
Any failure exits 70 before ARGV runs. This guards against accidents, not against a root user who
remounts /proc/sys on purpose.
"""

import argparse
import ctypes
import glob
import os
import sys

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
KEEP_FLAGS = MS_NOSUID | MS_NODEV | MS_NOEXEC  # same bits as os.ST_NOSUID, ST_NODEV, ST_NOEXEC

SHARED_SYSCTL_DIRS = ("/usr/lib/sysctl.d", "/lib/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d")
# tuned's configuration and profiles: private per host when the machine has the directories (a test that
# needs them creates the empty mount points before `netlab up` and removes them afterwards)
SHARED_TUNED_DIRS = ("/etc/tuned", "/usr/lib/tuned")
STATE_DIR = "/var/lib/netfleet-tuning"

_libc = ctypes.CDLL(None, use_errno=True)


class IsolationError(Exception):
    pass


def _mount(source, target, flags):
    src = source.encode() if source else None
    if _libc.mount(src, target.encode(), None, ctypes.c_ulong(flags), None) != 0:
        err = ctypes.get_errno()
        raise IsolationError("mount(%s, %s, flags=%#x): %s" % (source, target, flags, os.strerror(err)))


def bind(source, target):
    _mount(source, target, MS_BIND)


def remount(target, read_only):
    keep = os.statvfs(target).f_flag & KEEP_FLAGS
    _mount(None, target, MS_REMOUNT | MS_BIND | keep | (MS_RDONLY if read_only else 0))


def is_read_only(path):
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)


def slug(path):
    return path.strip("/").replace("/", "-")


def parse_sysctl_conf(text):
    """sysctl.d lines -> [(key, value)]; '-' prefixes (ignore errors) are dropped, '/' becomes '.'."""
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip().lstrip("-").replace("/", ".")
        pairs.append((key, value.strip()))
    return pairs


def boot_sysctl(etc="/etc/sysctl.d"):
    """Apply the host's own sysctl.d files in name order, net.* keys only (the namespace's own)."""
    for path in sorted(glob.glob(os.path.join(etc, "*.conf")), key=os.path.basename):
        with open(path, encoding="utf-8") as handle:
            pairs = parse_sysctl_conf(handle.read())
        for key, value in pairs:
            if not key.startswith("net."):
                print("hostns: %s: skipped %s (not a network namespace key)" % (path, key), file=sys.stderr)
                continue
            try:
                with open("/proc/sys/" + key.replace(".", "/"), "w", encoding="ascii") as handle:
                    handle.write(value)
            except OSError as exc:
                print("hostns: %s: %s = %s: %s" % (path, key, value, exc.strerror), file=sys.stderr)


def isolate(namespace, private):
    etc = "/etc/netns/%s" % namespace
    if not os.path.isdir(etc + "/sysctl.d") or not os.path.samefile("/etc/sysctl.d", etc + "/sysctl.d"):
        raise IsolationError("/etc/sysctl.d is not %s/sysctl.d: run me under `ip netns exec %s`" % (etc, namespace))
    if os.path.exists("/etc/sysctl.conf") and not os.path.samefile("/etc/sysctl.conf", etc + "/sysctl.conf"):
        raise IsolationError("/etc/sysctl.conf is the machine's, not %s/sysctl.conf" % etc)
    if not os.path.isdir(STATE_DIR):
        raise IsolationError("mountpoint %s is missing (netlab up creates it)" % STATE_DIR)

    done = {}
    for group, shared_dirs in (("sysctl", SHARED_SYSCTL_DIRS), ("tuned", SHARED_TUNED_DIRS)):
        for shared in shared_dirs:
            if not os.path.isdir(shared):
                continue
            real = os.path.realpath(shared)
            if real in done:
                continue
            own = os.path.join(private, group, slug(real))
            os.makedirs(own, exist_ok=True)
            bind(own, real)
            done[real] = own
    own_state = os.path.join(private, slug(STATE_DIR))
    if not os.path.isdir(own_state):
        os.makedirs(own_state)
        # the collection refuses a state directory others can write (strict modes): whatever the umask.
        # Only when made: a test may set another mode on purpose, and every exec comes through here.
        os.chmod(own_state, 0o700)
    bind(own_state, STATE_DIR)

    bind("/proc/sys", "/proc/sys")
    remount("/proc/sys", read_only=True)
    bind("/proc/sys/net", "/proc/sys/net")
    remount("/proc/sys/net", read_only=False)

    if not is_read_only("/proc/sys/kernel") or is_read_only("/proc/sys/net/ipv4"):
        raise IsolationError("/proc/sys should be read-only and /proc/sys/net read-write")
    for real, own in done.items():
        if not os.path.samefile(real, own):
            raise IsolationError("%s is not the host's private copy" % real)
    if not os.path.samefile(STATE_DIR, own_state):
        raise IsolationError("%s is not the host's private copy" % STATE_DIR)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--namespace", required=True, help="the host's network namespace name")
    parser.add_argument("--private", required=True, help="the host's private directory (under /run/netlab/LAB/)")
    parser.add_argument("--boot", action="store_true", help="apply the host's /etc/sysctl.d first")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- ARGV to exec")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("nothing to run: give -- ARGV")
    try:
        if args.boot:
            boot_sysctl()
        isolate(args.namespace, args.private)
    except (IsolationError, OSError) as exc:
        print("hostns: %s: isolation failed, not running %s: %s" % (args.namespace, command[0], exc), file=sys.stderr)
        return 70
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        print("hostns: cannot run %s: %s" % (command[0], exc.strerror), file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main())
