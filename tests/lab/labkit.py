# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the reliability suite (issue 6): the lab, snapshots, ansible-playbook runs, traffic.

The suite needs root (netlab makes network namespaces). Every host is a network namespace of the
lab ``nlr`` (addresses in 198.18.0.0/15 only); the lab is brought up once per session and deleted by
name in the finalizer, also when a test fails. Nothing here touches the init namespace's sysctls.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import json
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
NETLAB = os.path.join(REPO, 'tools', 'netlab', 'netlab')
VENV_BIN = os.path.join(REPO, '.venv', 'bin')
COLLECTIONS = os.path.join(REPO, '.cache', 'collections')
LAB = os.environ.get('NETFLEET_LAB_NAME', 'nlr')
HOSTS = 3
LABELS = ['h%02d' % i for i in range(1, HOSTS + 1)]

# The tail of every host snapshot script: every readable value under /proc/sys/net into out["live"],
# then the whole snapshot printed as JSON.
LIVE_PY = r'''
for root, dirs, files in os.walk("/proc/sys/net"):
    for file_name in files:
        path = os.path.join(root, file_name)
        try:
            with open(path) as handle:
                out["live"][path[len("/proc/sys/"):].replace("/", ".")] = " ".join(handle.read().split())
        except (IOError, OSError):
            pass
print(json.dumps(out, sort_keys=True))
'''

# Read on each host through `netlab exec` (its own /etc/sysctl.d, state dir and /proc/sys/net):
# the files (sha256, mode, owner) and every readable value under /proc/sys/net.
SNAPSHOT_PY = r'''
import hashlib, json, os, stat
out = {"files": {}, "state": {}, "live": {}}
for name, top in (("files", "/etc/sysctl.d"), ("state", "/var/lib/netfleet-tuning")):
    for root, dirs, files in os.walk(top):
        for file_name in files:
            path = os.path.join(root, file_name)
            info = os.lstat(path)
            with open(path, "rb") as handle:
                data = handle.read()
            out[name][path] = {"sha256": hashlib.sha256(data).hexdigest(), "mode": "%04o" % stat.S_IMODE(info.st_mode),
                               "uid": info.st_uid, "gid": info.st_gid}
        for dir_name in dirs:
            path = os.path.join(root, dir_name)
            info = os.lstat(path)
            out[name][path + "/"] = {"mode": "%04o" % stat.S_IMODE(info.st_mode), "uid": info.st_uid}
''' + LIVE_PY


def run(argv, check=True, timeout=300, **kwargs):
    """Run an argv list (never a shell string); return the CompletedProcess."""
    # check=False: a failure is raised below with both output streams in the message
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=timeout, check=False, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError('%r exited %d\nstdout:\n%s\nstderr:\n%s' % (argv, proc.returncode, proc.stdout[-4000:],
                                                                         proc.stderr[-4000:]))
    return proc


class Lab(object):
    """The session's lab: inventory, host helpers, snapshots, ansible-playbook runs."""

    def __init__(self, name, inventory):
        self.name = name
        self.inventory = inventory
        self.hosts = ['%s-%s' % (name, label) for label in LABELS]
        self.workdir = tempfile.mkdtemp(prefix='netfleet-rel-')
        os.chmod(self.workdir, 0o755)

    # ---- hosts ------------------------------------------------------------------------------
    def netlab(self, *args, **kwargs):
        return run([NETLAB] + list(args), **kwargs)

    def exec_(self, label, argv, check=True):
        return self.netlab('exec', '--name', self.name, label, '--', *argv, check=check)

    def write_file(self, label, path, text):
        script = 'import sys; open(sys.argv[1], "w").write(sys.argv[2])'
        self.exec_(label, ['/usr/bin/python3', '-c', script, path, text])

    def snapshot(self, label):
        return json.loads(self.exec_(label, ['/usr/bin/python3', '-c', SNAPSHOT_PY]).stdout)

    def snapshot_all(self):
        return dict((label, self.snapshot(label)) for label in LABELS)

    def live(self, label, key):
        return self.snapshot(label)['live'][key]

    def address(self, label):
        status = json.loads(self.netlab('status', '--name', self.name).stdout)
        return [host['address'].split('/')[0] for host in status['hosts'] if host['label'] == label][0]

    def reset_host(self, label):
        """`netlab reset-host`: the host's namespace is recreated (its counters restart at 0)."""
        out = self.netlab('reset-host', '--name', self.name, '--host', label, check=False)
        assert out.returncode == 0, 'reset-host %s failed:\n%s%s' % (label, out.stdout, out.stderr)

    def record_pristine(self):
        """The live values right after `up`, and the keys that change on their own (two reads)."""
        self.pristine = self.snapshot_all()
        again = self.snapshot_all()
        self.volatile = set(key for label in LABELS for key in again[label]['live']
                            if again[label]['live'][key] != self.pristine[label]['live'].get(key))

    def clean_host(self, label):
        """Back to the state `up` made: no drop-in, no saved state, the live values `up` left
        (written back with `netlab sysctl`, net.* keys of this host only)."""
        script = ('import glob, os, shutil\n'
                  'for path in glob.glob("/etc/sysctl.d/*"):\n'
                  '    if os.path.basename(path) != "10-netlab-untuned.conf": os.unlink(path)\n'
                  'for path in glob.glob("/var/lib/netfleet-tuning/*"):\n'
                  '    shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)\n')
        self.exec_(label, ['/usr/bin/python3', '-c', script])
        live = self.snapshot(label)['live']
        want = self.pristine[label]['live']
        fix = ['%s=%s' % (key, want[key]) for key in sorted(want)
               if key not in self.volatile and live.get(key) != want[key]]
        if fix:
            self.netlab('sysctl', '--name', self.name, '--hosts', label, *fix)

    def clean_all(self):
        for label in LABELS:
            self.clean_host(label)

    # ---- controller -------------------------------------------------------------------------
    def env(self, **extra):
        env = dict(os.environ)
        env.update({
            'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS,
            'ANSIBLE_FORKS': '10',
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_RETRY_FILES_ENABLED': 'false',
            'ANSIBLE_HOST_KEY_CHECKING': 'false',
            'ANSIBLE_LOCAL_TEMP': os.path.join(self.workdir, '.ansible-tmp'),
            'LC_ALL': 'C.UTF-8',
        })
        env.update(extra)
        return env

    def playbook_argv(self, playbook, extravars=None, limit=None, extra_args=(), host_vars=None):
        """argv for ansible-playbook; extra vars go through a JSON file so their types survive;
        host_vars ({host: {var: value}}) go into a second inventory source (host vars there beat the
        lab inventory's group vars, and unlike -e they do not leak into delegate_to localhost)."""
        argv = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', self.inventory, playbook]
        if host_vars:
            descriptor, path = tempfile.mkstemp(prefix='hv-', suffix='.json', dir=self.workdir)
            with os.fdopen(descriptor, 'w') as handle:
                json.dump({'all': {'hosts': host_vars}}, handle)
            os.rename(path, path[:-5] + '.yml')
            argv[3:3] = ['-i', path[:-5] + '.yml']
        if extravars:
            descriptor, path = tempfile.mkstemp(prefix='ev-', suffix='.json', dir=self.workdir)
            with os.fdopen(descriptor, 'w') as handle:
                json.dump(extravars, handle)
            argv += ['-e', '@' + path]
        if limit:
            argv += ['--limit', limit]
        return argv + list(extra_args)

    def playbook(self, playbook, extravars=None, limit=None, extra_args=(), timeout=300, cwd=None, host_vars=None):
        return run(self.playbook_argv(playbook, extravars, limit, extra_args, host_vars), check=False, timeout=timeout,
                   env=self.env(), cwd=cwd or self.workdir)


@contextlib.contextmanager
def lab_up(name, hosts):
    """A lab of its own: any leftover of that name removed, brought up with ``hosts`` hosts, and deleted by
    name on the way out, also when a test fails. -> Lab."""
    run([NETLAB, 'down', '--name', name], check=False)
    the_lab = None
    try:
        proc = run([NETLAB, 'up', '--name', name, '--hosts', str(hosts)], timeout=300)
        the_lab = Lab(name, proc.stdout.strip().splitlines()[-1])
        yield the_lab
    finally:
        run([NETLAB, 'down', '--name', name], check=False)
        if the_lab is not None:
            shutil.rmtree(the_lab.workdir, ignore_errors=True)


def own_lab(name, hosts):
    """The body of a module-scoped fixture for a test module's own lab (``yield from own_lab(NAME, 3)``): skipped
    without root, else brought up with ``hosts`` hosts and deleted by name afterwards (lab_up) -> Lab."""
    if os.geteuid() != 0:
        import pytest
        pytest.skip('the lab suite needs root (netlab creates network namespaces)')
    with lab_up(name, hosts) as the_lab:
        yield the_lab


def stop_group(proc):
    """Stop a command started with ``start_new_session=True`` (``netlab exec`` and what it ran, ``netlab load``
    and its consumers) by its process group, and make sure every process of the group is gone."""
    import signal
    import time
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    for dummy in range(50):
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError('processes of group %d still running' % proc.pid)


def playbook_path(name):
    return os.path.join(HERE, 'playbooks', name)


class BoundedLoop(object):
    """A background loop for the length of a `with` block, bounded by itself too: it stops after
    ``max_seconds`` or once ``count`` reaches ``max_count``, whichever comes first. Subclasses do one
    round in ``step()`` (adding to ``self.count``) and pause ``interval`` seconds between rounds."""

    def __init__(self, interval, max_seconds, max_count):
        import threading
        self.interval = interval
        self.max_seconds = max_seconds
        self.max_count = max_count
        self.count = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop)
        self.thread.daemon = True

    def step(self):
        raise NotImplementedError

    def _loop(self):
        import time
        deadline = time.time() + self.max_seconds
        while not self.stop.is_set() and time.time() < deadline and self.count < self.max_count:
            self.step()
            self.stop.wait(self.interval)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)


class Traffic(BoundedLoop):
    """Bounded TCP traffic towards every host (connects to its sshd port), so that each sample window
    sees some Tcp InSegs without `netlab load` (which takes the machine-wide load lock). At most
    ``max_seconds`` and ``max_connects`` connects; stopped by the context manager's exit."""

    def __init__(self, addresses, interval=0.1, max_seconds=240, max_connects=20000):
        super(Traffic, self).__init__(interval, max_seconds, max_connects)
        self.addresses = addresses

    def step(self):
        import socket
        for address in self.addresses:
            try:
                sock = socket.create_connection((address, 22), timeout=0.5)
                sock.recv(64)
                sock.close()
            except (OSError, IOError):
                pass
            self.count += 1


def host_addresses(lab):
    status = json.loads(lab.netlab('status', '--name', lab.name).stdout)
    return [host['address'].split('/')[0] for host in status['hosts'] if host.get('label') in LABELS]


ROLLOUT_FAST = {'netfleet_sample_seconds': 1, 'netfleet_settle_seconds': 0, 'netfleet_min_segments': 1,
                'netfleet_serial': [1, '100%']}


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


DROPIN = '/etc/sysctl.d/60-netfleet-tuning.conf'
TUNED_RMEM = '4096 87380 16777216'
UNTUNED_RMEM = '4096 16384 65536'


def rollout_vars(state_dir, **extra):
    """Playbook variables for a fast rollout/verify on the lab hosts (not the API host)."""
    return dict(ROLLOUT_FAST, netfleet_state_dir=str(state_dir), netfleet_hosts='netlab_hosts', **extra)
