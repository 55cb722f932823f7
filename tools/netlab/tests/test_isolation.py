# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration test of a real lab (root, iproute2, openssh-server): a host cannot change the machine.

    sudo NETLAB_TEST_LAB=nlt .venv/bin/pytest -v tools/netlab/tests/test_isolation.py

Brings up a 2-host lab, checks isolation over ssh and through `netlab exec`, then `down` (twice)
and checks nothing of the lab is left. Skipped when not root or the tools are missing.
"""

import json
import os
import shutil
import subprocess

import pytest

NETLAB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "netlab")
LAB = os.environ.get("NETLAB_TEST_LAB", "nlt")
# Global keys that /usr/lib/sysctl.d sets on Debian (pid_max, protected_*) and a net key of the machine.
MACHINE_KEYS = ("kernel/pid_max", "fs/protected_fifos", "fs/protected_hardlinks", "fs/protected_regular",
                "fs/protected_symlinks", "net/ipv4/tcp_rmem", "net/core/somaxconn")

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("ip", "ssh", "/usr/sbin/sshd")),
    reason="needs root, iproute2 and openssh-server")


def netlab(*args, check=True):
    proc = subprocess.run([NETLAB] + list(args), capture_output=True, text=True, check=False, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError("netlab %s: %s" % (" ".join(args), proc.stderr))
    return proc


def machine_values():
    values = {}
    for key in MACHINE_KEYS:
        with open("/proc/sys/" + key, encoding="ascii") as handle:
            values[key] = handle.read()
    values["/usr/lib/sysctl.d"] = sorted(os.listdir("/usr/lib/sysctl.d"))
    values["/var/lib/netfleet-tuning"] = sorted(os.listdir("/var/lib/netfleet-tuning"))
    return values


@pytest.fixture(scope="module")
def lab():
    netlab("down", "--name", LAB)
    inventory = netlab("up", "--name", LAB, "--hosts", "2").stdout.strip().splitlines()[-1]
    state = json.loads(netlab("status", "--name", LAB).stdout)
    assert state["inventory"] == inventory and os.path.isfile(inventory)
    yield state
    netlab("down", "--name", LAB)


def ssh(state, host, command):
    return subprocess.run(["ssh", "-F", state["ssh_config"], "%s-%s" % (LAB, host), command],
                          capture_output=True, text=True, check=False, timeout=60)


def test_sysctl_system_and_global_writes_in_a_host_leave_the_machine_alone(lab):
    before = machine_values()
    out = ssh(lab, "h01", "sysctl --system; sysctl -w kernel.pid_max=4194303; sysctl -w fs.protected_regular=2; "
                          "echo 4194301 > /proc/sys/kernel/pid_max; true")
    assert out.returncode == 0, out.stderr
    assert "Applying /etc/sysctl.d/10-netlab-untuned.conf" in out.stdout
    assert "pid-max" not in out.stdout and "protect-links" not in out.stdout  # /usr/lib/sysctl.d is private
    assert "Read-only file system" in out.stderr or "permission denied" in out.stderr
    assert machine_values() == before


def test_proc_sys_read_only_except_net(lab):
    out = ssh(lab, "h01", "findmnt -rn -o TARGET,OPTIONS /proc/sys; findmnt -rn -o TARGET,OPTIONS /proc/sys/net")
    lines = out.stdout.splitlines()
    assert lines[0].startswith("/proc/sys ro,") and lines[1].startswith("/proc/sys/net rw,")


def test_net_sysctls_are_per_host(lab):
    before = machine_values()
    assert ssh(lab, "h01", "sysctl -w net.ipv4.tcp_rmem='4096 87380 16777216'").returncode == 0
    assert ssh(lab, "h01", "cat /proc/sys/net/ipv4/tcp_rmem").stdout.split() == ["4096", "87380", "16777216"]
    assert ssh(lab, "h02", "cat /proc/sys/net/ipv4/tcp_rmem").stdout.split() == ["4096", "16384", "65536"]
    assert machine_values() == before


def test_files_are_private_per_host(lab):
    before = machine_values()
    cmd = "touch /var/lib/netfleet-tuning/mark /usr/lib/sysctl.d/mark.conf /etc/sysctl.d/mark.conf /run/sysctl.d/m"
    assert ssh(lab, "h01", cmd).returncode == 0
    assert ssh(lab, "h02", "ls /var/lib/netfleet-tuning /usr/lib/sysctl.d /etc/sysctl.d").stdout.split() == [
        "/etc/sysctl.d:", "10-netlab-untuned.conf", "/usr/lib/sysctl.d:", "/var/lib/netfleet-tuning:"]
    assert machine_values() == before
    assert not os.path.exists("/etc/sysctl.d/mark.conf")
    assert os.path.exists("/etc/netns/nl-%s-h01/sysctl.d/mark.conf" % LAB)


def test_exec_sees_what_sshd_sees(lab):
    probe = "readlink /proc/self/ns/net; ls /var/lib/netfleet-tuning /usr/lib/sysctl.d /etc/sysctl.d; findmnt -rn"
    via_ssh = ssh(lab, "h01", probe)
    via_exec = netlab("exec", "--name", LAB, "h01", "--", "sh", "-c", probe)
    assert via_ssh.returncode == 0 and via_ssh.stdout == via_exec.stdout
    assert via_exec.stdout != netlab("exec", "--name", LAB, "h02", "--", "sh", "-c", probe).stdout


def test_down_twice_leaves_nothing(lab):
    assert netlab("down", "--name", LAB).returncode == 0
    assert netlab("down", "--name", LAB).returncode == 0
    assert not [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
                if n.startswith("nl-%s-" % LAB)]
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    assert "nl-%s-" % LAB not in links
    assert not os.path.exists("/run/netlab/%s" % LAB)
    assert not [d for d in (os.listdir("/etc/netns") if os.path.isdir("/etc/netns") else [])
                if d.startswith("nl-%s-" % LAB)]
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "/run/netlab/%s/" % LAB not in ps and "netlab:%s\n" % LAB not in ps
