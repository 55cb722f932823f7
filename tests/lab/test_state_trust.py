# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host state you can trust (issue 11), against netlab hosts: a hostile or unlucky host's state
file, state directory, drop-in path, concurrent runs, a kernel that refuses a value, a full state
file system. One test (or parametrized case) per item of the issue (item 7, the controller side,
is covered by unit tests).

Every hostile case must end with a clear error naming the file (and entry) and the rule, and the
host exactly as before: the same entries (type, sha256, mode, owner, link target) in its
/etc/sysctl.d, its state dir and its private sysctl directories, the same live values under
/proc/sys/net (the lock file's pid and the keys that change on their own aside). Positive cases
check the intended outcome.

How the hosts are read and changed: through the mount and network namespaces of the host's sshd
(`nsenter -t <sshd pid> -m -n`), which is exactly what the module sees over ssh. Not through
`netlab exec`, which makes a new mount namespace each time and (tools/netlab/hostns.py) chmods the
host's state dir to 0700 on the way: a mode set up by a case would be undone by the next read.
Everything stays inside the hosts' private views: their own /etc/sysctl.d, their private
/var/lib/netfleet-tuning (a directory under /run/netlab/LAB/ bind-mounted there), their network
namespaces. The full file system is a 16 KiB tmpfs mounted over the state dir in one host sshd's
mount namespace only (private propagation: the test checks the machine does not see it), always
unmounted.

Speed: the cases of one item run in batches, one case per lab host (3 at once), each batch one
ansible-playbook run per phase (tests/lab/playbooks/state_trust.yml: several role runs per host, each
in its own block, every outcome recorded), with ssh pipelining. Cases on a "rolled-out" host reuse
one genuine json_api rollout as long as the host still matches it exactly (every refused case
leaves it so).

  NETFLEET_LAB_NAME=nls PYTHONPATH=.cache/collections .venv/bin/pytest -q tests/lab/test_state_trust.py
NETFLEET_CONCURRENT_TRIES (default 20): tries of two concurrent rollouts then absent (over the lab's hosts).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import concurrent.futures
import glob
import hashlib
import json
import os
import random
import subprocess
import time

import pytest

from labkit import DROPIN, HERE, LABELS, LIVE_PY, playbook_path, read_json, run

STATE_DIR = '/var/lib/netfleet-tuning'
STATE_FILE = STATE_DIR + '/sysctl_profile.json'
LOCK_FILE = STATE_DIR + '/sysctl_profile.lock'
BACKUP_DIR = STATE_DIR + '/backup'
VICTIM_CONF = '/etc/sysctl.d/99-victim.conf'
VICTIM_STATE = STATE_DIR + '/victim'
SECRET = '/etc/sysctl.d/secret.txt'
SECRET_MARK = 'netfleet-lab-secret-5f1c2d'
SECRET_TEXT = SECRET_MARK + ': private, mode 0600\n'
VICTIMS = {
    VICTIM_CONF: ('# victim: a file netfleet.tuning must never write or delete\n', 0o644, 0),
    VICTIM_STATE: ('victim: a file netfleet.tuning must never write or delete\n', 0o644, 0),
    SECRET: (SECRET_TEXT, 0o600, 0),
}
TUNED_RMEM = '4096 87380 16777216'
HOP_LIMIT = 'net.ipv6.conf.all.hop_limit'
TMPFS_SOURCE = 'netfleet-lab-full'
NOBODY = 65534
CONCURRENT_TRIES = int(os.environ.get('NETFLEET_CONCURRENT_TRIES', '20'))

# Every entry under the trees (lstat: type, mode, owner; sha256 of files, the state file's text,
# link targets; never following a link), the trees' own top entries, the files whose content holds
# the secret's mark, and every readable value under /proc/sys/net.
SNAPSHOT_PY = r'''
import hashlib, json, os, stat, sys
TREES = ("/etc/sysctl.d", "/var/lib/netfleet-tuning", "/usr/lib/sysctl.d", "/run/sysctl.d", "/etc/sysctl.conf")
out = {"files": {}, "live": {}, "holds_secret": []}
def entry(path):
    info = os.lstat(path)
    fields = {"mode": "%04o" % stat.S_IMODE(info.st_mode), "uid": info.st_uid, "gid": info.st_gid}
    if stat.S_ISLNK(info.st_mode):
        fields["type"] = "link"; fields["target"] = os.readlink(path)
    elif stat.S_ISDIR(info.st_mode):
        fields["type"] = "dir"
    elif stat.S_ISREG(info.st_mode):
        fields["type"] = "file"
        with open(path, "rb") as handle:
            data = handle.read()
        fields["sha256"] = hashlib.sha256(data).hexdigest()
        if path == "/var/lib/netfleet-tuning/sysctl_profile.json":
            fields["text"] = data.decode("utf-8", "replace")
        if sys.argv[1].encode() in data and not path.startswith("/etc/sysctl.d/"):
            out["holds_secret"].append(path)
    else:
        fields["type"] = "other"
    return fields
for top in TREES:
    if not os.path.lexists(top):
        continue
    out["files"][top] = entry(top)
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            out["files"][os.path.join(root, name)] = entry(os.path.join(root, name))
''' + LIVE_PY

# Small file operations in a host, as root, never following a link at the last component.
HOSTOPS_PY = r'''
import json, os, shutil, sys
operation, args = sys.argv[1], json.loads(sys.argv[2])
def clear(path):
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
if operation == "put":  # path, text, mode, uid (owner uid:uid)
    clear(args["path"])
    fd = os.open(args["path"], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    os.write(fd, args["text"].encode("utf-8"))
    os.fchown(fd, args.get("uid", 0), args.get("uid", 0))
    os.fchmod(fd, args["mode"])
    os.close(fd)
elif operation == "link":  # path -> target
    clear(args["path"])
    os.symlink(args["target"], args["path"])
elif operation == "unlink":
    clear(args["path"])
elif operation == "rename":
    os.rename(args["src"], args["dst"])
elif operation == "mkdir":
    os.mkdir(args["path"])
    os.chmod(args["path"], args["mode"])
elif operation == "rmtree":  # a real directory only, never through a link
    if os.path.isdir(args["path"]) and not os.path.islink(args["path"]):
        shutil.rmtree(args["path"])
elif operation == "chmod":
    os.chmod(args["path"], args["mode"], follow_symlinks=False)
elif operation == "chown":
    os.chown(args["path"], args["uid"], args["gid"], follow_symlinks=False)
else:
    raise SystemExit("unknown operation " + operation)
'''

# Holds the host's lock (flock, as the module takes it, its pid written in the file) until its
# stdin closes or 10 s have passed, whichever comes first.
HOLDER_PY = r'''
import fcntl, os, select, sys
fd = os.open("/var/lib/netfleet-tuning/sysctl_profile.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.pwrite(fd, ("%d\n" % os.getpid()).encode(), 0)
print("locked %d" % os.getpid(), flush=True)
select.select([sys.stdin], [], [], 10)
'''

# In the mount namespace of a host's sshd: mount a 16 KiB tmpfs over the state dir, copy the given
# files of the state dir into it (same bytes, root 0600) and fill it up to the last byte.
STAGE_FULL_PY = r'''
import json, os, subprocess, sys
keep = json.loads(sys.argv[1])
top = "/var/lib/netfleet-tuning"
with open("/proc/self/mountinfo") as mountinfo:
    if any(line.split()[4] == top and " tmpfs " in line for line in mountinfo):
        raise SystemExit("a tmpfs is already mounted on " + top)
saved = {}
for name in keep:
    with open(os.path.join(top, name), "rb") as handle:
        saved[name] = handle.read()
subprocess.check_call(["mount", "-t", "tmpfs", "-o", "size=16k,mode=0700,uid=0,gid=0", "%s", top])
for name, data in sorted(saved.items()):
    fd = os.open(os.path.join(top, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    os.write(fd, data)
    os.close(fd)
try:
    with open(os.path.join(top, "zz-filler"), "wb") as filler:
        while True:
            filler.write(b"x" * 512)
            filler.flush()
except OSError as exc:
    usage = os.statvfs(top)
    print(json.dumps({"filled": exc.strerror, "free": usage.f_bavail * usage.f_frsize}))
''' % TMPFS_SOURCE


# ------------------------------------------------------------------------------ host access

_SSHD = {}


def _is_host_sshd(pid, namespace):
    """``pid`` is an sshd in the network namespace ``namespace`` (netlab's name for the host)."""
    try:
        with open('/proc/%s/comm' % pid) as handle:
            comm = handle.read().strip()
        return comm == 'sshd' and os.stat('/proc/%s/ns/net' % pid).st_ino == os.stat('/run/netns/' + namespace).st_ino
    except (IOError, OSError):
        return False


def sshd_pid(lab, label):
    """The pid of the host's sshd listener (its mount namespace is what every ssh session sees)."""
    cached = _SSHD.get((lab.name, label))
    if cached is None or not _is_host_sshd(*cached):
        status = json.loads(lab.netlab('status', '--name', lab.name).stdout)
        row = [host for host in status['hosts'] if host['label'] == label][0]
        cached = (str(row['sshd_pid']), row['namespace'])
        assert row['sshd_running'] and _is_host_sshd(*cached), row
        _SSHD[(lab.name, label)] = cached
    return cached[0]


def host_argv(lab, label, argv):
    return ['nsenter', '-t', sshd_pid(lab, label), '-m', '-n'] + list(argv)


def host_py(lab, label, script, *args):
    return run(host_argv(lab, label, ['/usr/bin/python3', '-c', script] + list(args)), timeout=60).stdout


def host_file_op(lab, label, operation, **args):
    """One of HOSTOPS_PY's file operations (put, link, unlink, ...) in the host, as root."""
    return host_py(lab, label, HOSTOPS_PY, operation, json.dumps(args))


def snapshot(lab, label, via='sshd'):
    """The host as its sshd (and so the module) sees it; via='exec': through `netlab exec`, which
    sees the host's real private state dir also where a tmpfs hides it from sshd."""
    if via == 'exec':
        return json.loads(lab.exec_(label, ['/usr/bin/python3', '-c', SNAPSHOT_PY, SECRET_MARK]).stdout)
    return json.loads(host_py(lab, label, SNAPSHOT_PY, SECRET_MARK))


def parallel(func, items):
    items = list(items)
    if not items:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(func, items))


def snapshots(lab, labels, via='sshd'):
    labels = list(labels)
    return dict(zip(labels, parallel(lambda label: snapshot(lab, label, via), labels)))


def host_name(lab, label):
    return '%s-%s' % (lab.name, label)


def comparable(lab, snap):
    """A snapshot without the lock file (it holds the last locker's pid) and the live values that
    change on their own (found right after `up`)."""
    return {'files': dict((path, entry) for path, entry in snap['files'].items() if path != LOCK_FILE),
            'live': dict((key, value) for key, value in snap['live'].items() if key not in lab.volatile)}


def assert_unchanged(lab, before, after, allow_new=()):
    """The host's files and live values as before; ``allow_new``: path prefixes under which new
    entries may appear (they are returned)."""
    was, now = comparable(lab, before), comparable(lab, after)
    new = sorted(path for path in now['files']
                 if path not in was['files'] and any(path.startswith(prefix) for prefix in allow_new))
    for path in new:
        del now['files'][path]
    changed = dict((path, (was['files'].get(path), now['files'].get(path)))
                   for path in set(was['files']) | set(now['files'])
                   if was['files'].get(path) != now['files'].get(path))
    assert not changed, 'files changed (before, after): %s' % json.dumps(changed, indent=1, sort_keys=True)[:4000]
    live = dict((key, (was['live'].get(key), now['live'].get(key))) for key in set(was['live']) | set(now['live'])
                if was['live'].get(key) != now['live'].get(key))
    assert not live, 'live values changed (before, after): %s' % live
    return new


def not_pristine(lab, label, snap):
    """Live values that differ from those right after `up` (empty: all as before any rollout)."""
    want = lab.pristine[label]['live']
    return dict((key, (want.get(key), snap['live'].get(key))) for key in want
                if key not in lab.volatile and want.get(key) != snap['live'].get(key))


def sha256(text):
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def assert_victims_intact(snap):
    for path, (text, mode, uid) in VICTIMS.items():
        assert snap['files'][path] == {'type': 'file', 'mode': '%04o' % mode, 'uid': uid, 'gid': uid,
                                       'sha256': sha256(text)}, (path, snap['files'].get(path))
    assert snap['holds_secret'] == [], 'the secret was copied to %s' % snap['holds_secret']


def warnings(output):
    return [line for line in output.splitlines() if '[WARNING]' in line]


def ansible_env(lab):
    """The suite's environment for ansible-playbook, with pipelining (one ssh exchange per module
    instead of several: a role run costs ~35% less here; the module runs the same way)."""
    return lab.env(ANSIBLE_PIPELINING='1')


def role_runs(lab, out, host_runs, timeout=180):
    """tests/lab/playbooks/state_trust.yml on the hosts of ``host_runs`` ({label: [run, ...]}): one
    role run per entry, on every host at once. Returns (process, {label: [outcome per run]})."""
    out = str(out)
    if not os.path.isdir(out):
        os.makedirs(out)
    for old in glob.glob(os.path.join(out, '*.json')):
        os.unlink(old)
    names = dict((host_name(lab, label), label) for label in host_runs)
    argv = lab.playbook_argv(playbook_path('state_trust.yml'), {'rel_out_dir': out}, limit=','.join(sorted(names)),
                             host_vars=dict((host_name(lab, label), {'rel_runs': runs})
                                            for label, runs in host_runs.items()))
    proc = run(argv, check=False, timeout=timeout, env=ansible_env(lab), cwd=lab.workdir)
    got = {}
    for label, runs in host_runs.items():
        path = os.path.join(out, host_name(lab, label) + '.json')
        got[label] = read_json(path) if os.path.exists(path) else None
        assert got[label] is not None and len(got[label]) == len(runs), (
            label, proc.returncode, proc.stdout[-3000:], proc.stderr[-2000:])
    return proc, got


def assert_refused(outcome, path, rule, entry=None):
    """A run that failed before any change, naming the file (and entry) and the rule."""
    assert outcome['failed'], 'the run was not refused: %s' % json.dumps(outcome.get('result'))[:2000]
    msg = outcome['msg']
    assert path in msg, 'message does not name %s: %s' % (path, msg)
    if entry:
        assert entry in msg, 'message does not name the entry %s: %s' % (entry, msg)
    assert '(rule: %s)' % rule in msg, 'message does not name the rule %s: %s' % (rule, msg)
    assert outcome['rules'] == [rule], outcome['rules']
    assert 'othing was changed' in msg, msg


# ------------------------------------------------------------------------------ set-ups, batches

class Rolled(object):
    """Hosts with one genuine first rollout of json_api, plus the victim and secret files the hostile
    cases aim at. Set up once per host and reused while the host still matches it exactly."""

    def __init__(self, lab, workdir):
        self.lab = lab
        self.workdir = workdir
        self.snap = {}

    def _prepare(self, label):
        self.lab.clean_host(label)
        for path, (text, mode, uid) in sorted(VICTIMS.items()):
            host_file_op(self.lab, label, 'put', path=path, text=text, mode=mode, uid=uid)

    def ensure(self, labels):
        lab = self.lab
        labels = list(labels)
        now = snapshots(lab, labels)
        todo = [label for label in labels
                if label not in self.snap or comparable(lab, now[label]) != comparable(lab, self.snap[label])]
        if not todo:
            return
        for label in todo:
            self.snap.pop(label, None)
        parallel(self._prepare, todo)
        proc, got = role_runs(lab, os.path.join(self.workdir, 'setup'), dict((label, [{}]) for label in todo))
        snaps = snapshots(lab, todo)
        for label in todo:
            assert not got[label][0]['failed'], got[label]
            snap = snaps[label]
            assert snap['live']['net.ipv4.tcp_rmem'] == TUNED_RMEM
            for path, mode in ((STATE_FILE, '0600'), (LOCK_FILE, '0600'), (DROPIN, '0644')):
                entry = snap['files'][path]
                assert (entry['type'], entry['mode'], entry['uid'], entry['gid']) == ('file', mode, 0, 0), (path, entry)
            self.snap[label] = snap

    def state(self, label):
        return json.loads(self.snap[label]['files'][STATE_FILE]['text'])

    def dropin_text(self, label):
        return host_py(self.lab, label, 'import sys; sys.stdout.write(open(sys.argv[1]).read())', DROPIN)

    def put_back(self, label):
        """The genuine state file back (root 0600), after a case replaced it."""
        text = self.snap[label]['files'][STATE_FILE]['text']
        host_file_op(self.lab, label, 'put', path=STATE_FILE, text=text, mode=0o600, uid=0)


@pytest.fixture(scope='module')
def rolled(lab, tmp_path_factory):
    return Rolled(lab, str(tmp_path_factory.mktemp('rolled')))


@pytest.fixture(scope='module', autouse=True)
def leave_hosts_clean(lab):
    """After this module every host is back to what `up` made (other modules may reuse the lab)."""
    yield
    parallel(lab.clean_host, LABELS)


class Case(object):
    """One case: the host set-up ('rolled' or 'fresh'), what the case does to the host (arrange) and
    how it is put back (restore, always called), and its phases: each a list of role runs (one
    ansible-playbook run per phase for the whole batch, a snapshot after each; optionally a step of
    the case after a phase, with its own snapshot in the record's 'hooked')."""

    def __init__(self, case_id, phases, setup='rolled', arrange=None, restore=None, underlying=False, between=None,
                 **info):
        self.id = case_id
        self.phases = phases
        self.between = between or {}  # phase index -> fn(ctx), called after that phase and its snapshot
        self.setup = setup
        self.arrange = arrange
        self.restore = restore
        self.underlying = underlying
        self.info = info


class Ctx(object):
    def __init__(self, lab, label, rolled):
        self.lab = lab
        self.label = label
        self.rolled = rolled
        self.data = {}

    def file_op(self, operation, **args):
        return host_file_op(self.lab, self.label, operation, **args)


def run_cases(lab, rolled, cases, workdir):
    """Run ``cases`` in batches of one case per lab host. Returns {case id: record}: label, snaps
    (before, then after each phase), hooked (phase -> snapshot after the case's step after it),
    outcomes and output per phase, and with ``underlying`` the snapshots through `netlab exec`
    before and after."""
    records = {}
    for start in range(0, len(cases), len(LABELS)):
        chunk = list(zip(LABELS, cases[start:start + len(LABELS)]))
        _run_chunk(lab, rolled, chunk, os.path.join(workdir, 'batch%d' % start), records)
    return records


def _run_chunk(lab, rolled, chunk, workdir, records):
    labels = [label for label, case in chunk]
    rolled.ensure([label for label, case in chunk if case.setup == 'rolled'])
    parallel(lab.clean_host, [label for label, case in chunk if case.setup == 'fresh'])
    ctxs = dict((label, Ctx(lab, label, rolled)) for label in labels)
    arranged = []
    under_labels = [label for label, case in chunk if case.underlying]
    rec = dict((case.id, {'label': label, 'snaps': [], 'hooked': {}, 'outcomes': [], 'outputs': [], 'under': [],
                          'ctx': ctxs[label]})
               for label, case in chunk)
    try:
        for label, case in chunk:
            arranged.append((label, case))
            if case.arrange:
                case.arrange(ctxs[label])
        snaps = snapshots(lab, labels)
        unders = snapshots(lab, under_labels, via='exec')
        for label, case in chunk:
            rec[case.id]['snaps'].append(snaps[label])
            if case.underlying:
                rec[case.id]['under'].append(unders[label])
        for phase in range(max(len(case.phases) for label, case in chunk)):
            host_runs = dict((label, case.phases[phase]) for label, case in chunk
                             if phase < len(case.phases) and case.phases[phase])
            proc, got = role_runs(lab, os.path.join(workdir, 'phase%d' % phase), host_runs)
            snaps = snapshots(lab, host_runs)
            for label, case in chunk:
                if label in host_runs:
                    rec[case.id]['outcomes'].append(got[label])
                    rec[case.id]['outputs'].append(proc.stdout + proc.stderr)
                    rec[case.id]['snaps'].append(snaps[label])
            hooked = [(label, case) for label, case in chunk if label in host_runs and phase in case.between]
            for label, case in hooked:
                case.between[phase](ctxs[label])
            snaps = snapshots(lab, [label for label, case in hooked])
            for label, case in hooked:
                rec[case.id]['hooked'][phase] = snaps[label]
        unders = snapshots(lab, under_labels, via='exec')
        for label, case in chunk:
            if case.underlying:
                rec[case.id]['under'].append(unders[label])
    finally:
        problems = []
        for label, case in arranged:
            try:
                if case.restore:
                    case.restore(ctxs[label])
            except Exception as exc:  # restore every host, then report
                problems.append('%s on %s: %r' % (case.id, label, exc))
        assert not problems, 'could not put hosts back: %s' % problems
    records.update(rec)


def show(record, phase=0):
    for outcome in record['outcomes'][phase]:
        print('  %s' % (outcome.get('msg') if outcome['failed'] else 'ok: %s' % outcome['result']['counts']))


# The two runs every hostile case on a rolled-out host tries: removal, and a rollout that would
# change something (another profile).
ABSENT_AND_PRESENT = [{'state': 'absent'}, {'name': 'json_api_heavy'}]


# ------------------------------------------------------------ 1. the state file is data, not orders

def _version_1(state, **extra):
    out = {'version': 1, 'created': state['created'], 'path': '/etc/sysctl.d/60-netfleet-tuning.conf',
           'original': state['original'], 'applied': state['applied'], 'previous_files': {}}
    out.update(extra)
    return out


def _version_2(state, **extra):
    out = dict(state)
    out.update(extra)
    return out


def _with(state, key, value, applied=False):
    out = json.loads(json.dumps(state))
    out['original'][key] = value
    if applied and key not in out['applied']:
        out['applied'] = sorted(out['applied'] + [key])
    return out


TAMPERED = [
    # id, build(genuine state) -> JSON or text, entry the message names, rule
    ('v1_path_outside_sysctl_d', lambda state: _version_1(state, path=VICTIM_STATE), 'path', 'state_path'),
    ('v1_path_other_conf', lambda state: _version_1(state, path=VICTIM_CONF), 'path', 'state_path'),
    ('v1_path_dotdot',
     lambda state: _version_1(state, path='/etc/sysctl.d/../sysctl.d/60-netfleet-tuning.conf'), 'path', 'state_path'),
    ('v1_previous_file_outside',
     lambda state: _version_1(state, previous_files={VICTIM_STATE: 'net.ipv4.ip_forward = 1\n'}),
     'previous_files.' + VICTIM_STATE, 'state_path'),
    ('v2_previous_file_traversal',
     lambda state: _version_2(state, previous_files={'../../var/lib/netfleet-tuning/victim':
                                                     'net.ipv4.ip_forward = 1\n'}),
     'previous_files.../../var/lib/netfleet-tuning/victim', 'state_path'),
    ('v2_previous_file_other_name',
     lambda state: _version_2(state, previous_files={'99-victim.conf': 'net.ipv4.ip_forward = 1\n'}),
     'previous_files.99-victim.conf', 'state_path'),
    ('unmanaged_key_ip_forward', lambda state: _with(state, 'net.ipv4.ip_forward', '1', applied=True),
     'net.ipv4.ip_forward', 'unmanaged_key'),
    ('original_tcp_rmem_2147483647', lambda state: _with(state, 'net.ipv4.tcp_rmem', '4096 16384 2147483647'),
     'original.net.ipv4.tcp_rmem', 'range'),
    ('original_triplet_out_of_order', lambda state: _with(state, 'net.ipv4.tcp_wmem', '4096 65536 1024'),
     'original.net.ipv4.tcp_wmem', 'triplet_order'),
    ('original_two_values_for_triplet', lambda state: _with(state, 'net.ipv4.tcp_rmem', '4096 16384'),
     'original.net.ipv4.tcp_rmem', 'arity'),
    ('original_newline_injection',
     lambda state: _with(state, 'net.ipv4.tcp_rmem', '4096 16384 65536\nkernel.panic = 1'),
     'original.net.ipv4.tcp_rmem', 'injection'),
    ('key_outside_net', lambda state: _with(state, 'kernel.panic', '1'), 'original.kernel.panic', 'key_pattern'),
    ('not_json', lambda state: '{"version": 2, "original": {', None, 'state_format'),
    ('unknown_version', lambda state: _version_2(state, version=3), 'version', 'state_format'),
    ('unknown_field', lambda state: _version_2(state, run_after='reboot'), 'run_after', 'state_format'),
]


def _tamper_state(build):
    def arrange(ctx):
        built = build(ctx.rolled.state(ctx.label))
        text = built if isinstance(built, str) else json.dumps(built, indent=2, sort_keys=True)
        ctx.file_op('put', path=STATE_FILE, text=text, mode=0o600, uid=0)
    return arrange


def _put_back_state(ctx):
    ctx.rolled.put_back(ctx.label)


FOREIGN_10 = '/etc/sysctl.d/10-netfleet-tuning.conf'
FOREIGN_10_TEXT = '# not ours: no fingerprint line\nnet.ipv4.tcp_syn_retries = 6\n'


def _foreign_at_priority_10(ctx):
    ctx.file_op('put', path=FOREIGN_10, text=FOREIGN_10_TEXT, mode=0o644, uid=0)
    _tamper_state(lambda state: _version_2(state, priority=10))(ctx)


def _remove_foreign(ctx):
    ctx.file_op('unlink', path=FOREIGN_10)
    _put_back_state(ctx)


@pytest.fixture(scope='module')
def tampered(lab, rolled, tmp_path_factory):
    cases = [Case(case_id, [ABSENT_AND_PRESENT], arrange=_tamper_state(build), restore=_put_back_state)
             for case_id, build, _entry, _rule in TAMPERED]
    cases.append(Case('v1_own_dropin', [[{'name': 'json_api_heavy'}], [{'state': 'absent'}]],
                      arrange=_tamper_state(_version_1), restore=_put_back_state))
    cases.append(Case('priority_names_a_foreign_file', [[{'name': 'json_api_heavy'}, {'state': 'absent'}]],
                      arrange=_foreign_at_priority_10, restore=_remove_foreign))
    return run_cases(lab, rolled, cases, str(tmp_path_factory.mktemp('tampered')))


@pytest.mark.parametrize('case_id, build, entry, rule', TAMPERED, ids=[case[0] for case in TAMPERED])
def test_tampered_state_file(lab, tampered, case_id, build, entry, rule):
    """A state file edited by someone else, on a host with a genuine rollout (drop-in and state).
    Expected: state=absent and a rollout of another profile both refuse before any change, naming
    the state file, the entry and the rule; the host, victim files included, is unchanged."""
    record = tampered[case_id]
    print('%s on %s:' % (case_id, record['label']))
    show(record)
    for outcome in record['outcomes'][0]:
        assert_refused(outcome, STATE_FILE, rule, entry)
    assert_unchanged(lab, record['snaps'][0], record['snaps'][1])
    assert_victims_intact(record['snaps'][1])


def test_v1_state_file_of_our_own_is_read(lab, tampered):
    """The positive counterpart: a version 1 state file whose path is our own drop-in in /etc/sysctl.d.
    Expected: a rollout of another profile succeeds and rewrites it as version 2 with the originals
    kept; state=absent then restores every value from before the first rollout."""
    record = tampered['v1_own_dropin']
    mid, after = record['snaps'][1], record['snaps'][2]
    assert not record['outcomes'][0][0]['failed'], record['outcomes'][0]
    state = json.loads(mid['files'][STATE_FILE]['text'])
    genuine = record['ctx'].rolled.state(record['label'])
    assert state['version'] == 2 and state['priority'] == 60, state
    for key, value in genuine['original'].items():
        assert state['original'][key] == value, (key, state['original'])
    assert not record['outcomes'][1][0]['failed'], record['outcomes'][1]
    assert DROPIN not in after['files'] and STATE_FILE not in after['files']
    assert not not_pristine(lab, record['label'], after)
    assert_victims_intact(after)


def test_state_priority_names_a_foreign_file(lab, tampered):
    """The state's priority edited to 10 while /etc/sysctl.d/10-netfleet-tuning.conf is someone else's
    file (no fingerprint line): the name is one of ours, the file is not. Expected: a rollout of
    another profile and state=absent both succeed and leave that file byte-identical, with a warning
    naming it; state=absent restores every value."""
    record = tampered['priority_names_a_foreign_file']
    print('priority_names_a_foreign_file on %s:' % record['label'])
    show(record)
    before, after = record['snaps']
    for outcome in record['outcomes'][0]:
        assert not outcome['failed'], outcome
    assert after['files'][FOREIGN_10] == before['files'][FOREIGN_10] == {
        'type': 'file', 'mode': '0644', 'uid': 0, 'gid': 0, 'sha256': sha256(FOREIGN_10_TEXT)}
    shown = [line for line in warnings(record['outputs'][0]) if FOREIGN_10 in line and 'left as it is' in line]
    assert shown, warnings(record['outputs'][0])
    print('  warning: %s' % shown[0])
    assert DROPIN not in after['files'] and STATE_FILE not in after['files']
    assert not not_pristine(lab, record['label'], after)
    assert_victims_intact(after)


# ------------------------------------------------------------------------ 2. strict modes (sshd's)

def _chmod(path, mode):
    return lambda ctx: ctx.file_op('chmod', path=path, mode=mode)


def _chown(path):
    return lambda ctx: ctx.file_op('chown', path=path, uid=NOBODY, gid=NOBODY)


def _replace_state_file(kind):
    def arrange(ctx):
        ctx.file_op('rename', src=STATE_FILE, dst=STATE_DIR + '/real.json')
        if kind == 'link':
            ctx.file_op('link', path=STATE_FILE, target='real.json')
        else:
            ctx.file_op('mkdir', path=STATE_FILE, mode=0o700)
    return arrange


def _sub(mode, owner=False):
    def arrange(ctx):
        ctx.file_op('mkdir', path=STATE_DIR + '/sub', mode=mode)
        if owner:
            ctx.file_op('chown', path=STATE_DIR + '/sub', uid=NOBODY, gid=NOBODY)
    return arrange


def _undo_strict(ctx):
    top = ctx.rolled.snap[ctx.label]['files'][STATE_DIR]
    ctx.file_op('chmod', path=STATE_DIR, mode=int(top['mode'], 8))
    ctx.file_op('chown', path=STATE_DIR, uid=top['uid'], gid=top['gid'])
    for path in (STATE_DIR + '/sub', STATE_FILE):
        ctx.file_op('rmtree', path=path)
    ctx.file_op('unlink', path=STATE_DIR + '/link')
    ctx.file_op('unlink', path=STATE_DIR + '/real.json')
    ctx.rolled.put_back(ctx.label)


UNTRUSTED = [
    # id, arrange, state_dir for the runs, path named, rule
    ('dir_world_writable_0777', _chmod(STATE_DIR, 0o777), STATE_DIR, STATE_DIR, 'mode'),
    ('dir_group_writable_0770', _chmod(STATE_DIR, 0o770), STATE_DIR, STATE_DIR, 'mode'),
    ('dir_other_writable_0702', _chmod(STATE_DIR, 0o702), STATE_DIR, STATE_DIR, 'mode'),
    ('dir_owned_by_nobody', _chown(STATE_DIR), STATE_DIR, STATE_DIR, 'owner'),
    ('file_owned_by_nobody', _chown(STATE_FILE), STATE_DIR, STATE_FILE, 'owner'),
    ('file_mode_0666', _chmod(STATE_FILE, 0o666), STATE_DIR, STATE_FILE, 'mode'),
    ('file_is_a_symlink', _replace_state_file('link'), STATE_DIR, STATE_FILE, 'symlink'),
    ('file_is_a_directory', _replace_state_file('dir'), STATE_DIR, STATE_FILE, 'not_regular'),
    ('parent_world_writable', _sub(0o777), STATE_DIR + '/sub/state', STATE_DIR + '/sub', 'mode'),
    ('parent_owned_by_nobody', _sub(0o755, owner=True), STATE_DIR + '/sub/state', STATE_DIR + '/sub', 'owner'),
    ('state_dir_is_a_symlink', lambda ctx: ctx.file_op('link', path=STATE_DIR + '/link', target=STATE_DIR),
     STATE_DIR + '/link', STATE_DIR + '/link', 'symlink'),
]


@pytest.fixture(scope='module')
def untrusted(lab, rolled, tmp_path_factory):
    cases = [Case(case_id, [[dict(role_run, state_dir=state_dir) for role_run in ABSENT_AND_PRESENT]], arrange=arrange,
                  restore=_undo_strict)
             for case_id, arrange, state_dir, _path, _rule in UNTRUSTED]
    cases.append(Case('made_with_strict_modes', [[{'state_dir': MADE_STATE_DIR}]], setup='fresh'))
    return run_cases(lab, rolled, cases, str(tmp_path_factory.mktemp('untrusted')))


@pytest.mark.parametrize('case_id, arrange, state_dir, path, rule', UNTRUSTED, ids=[case[0] for case in UNTRUSTED])
def test_untrusted_state_dir(lab, untrusted, case_id, arrange, state_dir, path, rule):
    """The state dir (the host's private bind mount at /var/lib/netfleet-tuning), a parent of it or the
    state file writable by group or others, owned by uid 65534, a link or not a file.
    Expected: state=absent and a rollout of another profile both refuse before any change, naming the
    path and the rule; everything as before (modes and owners put back afterwards)."""
    record = untrusted[case_id]
    print('%s on %s:' % (case_id, record['label']))
    show(record)
    for outcome in record['outcomes'][0]:
        assert_refused(outcome, path, rule)
    assert_unchanged(lab, record['snaps'][0], record['snaps'][1])


MADE_STATE_DIR = STATE_DIR + '/made/state'


def test_state_dir_created_with_strict_modes(lab, untrusted):
    """The positive counterpart: a first rollout with a state dir that does not exist yet
    (/var/lib/netfleet-tuning/made/state). Expected: it succeeds; the new directories are root-owned,
    the state dir 0700 and its new parent 0755; the state file and the lock file root 0600; the
    drop-in root 0644."""
    record = untrusted['made_with_strict_modes']
    outcome = record['outcomes'][0][0]
    assert not outcome['failed'], outcome
    files = record['snaps'][1]['files']
    want = {STATE_DIR + '/made': ('dir', '0755'), MADE_STATE_DIR: ('dir', '0700'),
            MADE_STATE_DIR + '/sysctl_profile.json': ('file', '0600'),
            MADE_STATE_DIR + '/sysctl_profile.lock': ('file', '0600'), DROPIN: ('file', '0644')}
    for path, (kind, mode) in sorted(want.items()):
        entry = files[path]
        assert (entry['type'], entry['mode'], entry['uid'], entry['gid']) == (kind, mode, 0, 0), (path, entry)
        print('%s: %s %s root:root' % (path, kind, mode))


# -------------------------------------------------------------------------- 3. never follow a link

def _link_dropin(target, rendered_owner=None):
    def arrange(ctx):
        ctx.data['dropin'] = ctx.rolled.dropin_text(ctx.label)
        if rendered_owner is not None:
            ctx.file_op('put', path=target, text=ctx.data['dropin'], mode=0o600, uid=rendered_owner)
        ctx.file_op('link', path=DROPIN, target=target)
    return arrange


def _unlink_dropin(ctx):
    if 'dropin' in ctx.data:
        ctx.file_op('put', path=DROPIN, text=ctx.data['dropin'], mode=0o644, uid=0)
    ctx.file_op('unlink', path='/etc/sysctl.d/rendered.txt')


def _fresh_link(ctx):
    ctx.file_op('put', path=SECRET, text=SECRET_TEXT, mode=0o600, uid=0)
    ctx.file_op('link', path=DROPIN, target=SECRET)


SYMLINK_CASES = [
    Case('dropin_links_to_a_secret', [ABSENT_AND_PRESENT + [{}]], arrange=_link_dropin('secret.txt'),
         restore=_unlink_dropin),
    Case('dropin_links_to_the_rendered_text', [[{}, {'state': 'absent'}]],
         arrange=_link_dropin('/etc/sysctl.d/rendered.txt', rendered_owner=NOBODY), restore=_unlink_dropin),
    Case('dropin_link_on_a_fresh_host', [[{}, {'state': 'absent'}]], setup='fresh', arrange=_fresh_link),
    Case('backup_dir_links_to_sysctl_d', [[{'name': 'json_api_heavy'}], [{'state': 'absent'}]],
         arrange=lambda ctx: ctx.file_op('link', path=BACKUP_DIR, target='/etc/sysctl.d'),
         restore=lambda ctx: ctx.file_op('unlink', path=BACKUP_DIR)),
]


@pytest.fixture(scope='module')
def symlinks(lab, rolled, tmp_path_factory):
    return run_cases(lab, rolled, SYMLINK_CASES, str(tmp_path_factory.mktemp('symlinks')))


@pytest.mark.parametrize('case_id', ['dropin_links_to_a_secret', 'dropin_links_to_the_rendered_text',
                                     'dropin_link_on_a_fresh_host'])
def test_dropin_is_a_symlink(lab, symlinks, case_id):
    """The drop-in path is a link: to a 0600 file /etc/sysctl.d/secret.txt (on a rolled-out host: state
    =absent, rollouts of both profiles; on a fresh host: first rollout, absent), or to a file already
    holding the exact rendered drop-in, owned by uid 65534, mode 0600 (same profile, absent).
    Expected: every run refuses with rule symlink naming the drop-in; the link and its target
    (content, mode, owner) unchanged; no file in the state dir holds the secret; on the fresh host
    the lock is not even taken (nothing was to change)."""
    record = symlinks[case_id]
    print('%s on %s:' % (case_id, record['label']))
    show(record)
    before, after = record['snaps'][0], record['snaps'][1]
    for outcome in record['outcomes'][0]:
        assert_refused(outcome, DROPIN, 'symlink')
    assert_unchanged(lab, before, after)
    assert after['files'][DROPIN]['type'] == 'link'
    assert after['files'][SECRET] == {'type': 'file', 'mode': '0600', 'uid': 0, 'gid': 0, 'sha256': sha256(SECRET_TEXT)}
    assert after['holds_secret'] == []
    if case_id == 'dropin_links_to_the_rendered_text':
        rendered = after['files']['/etc/sysctl.d/rendered.txt']
        assert (rendered['mode'], rendered['uid'], rendered['gid']) == ('0600', NOBODY, NOBODY), rendered
    if case_id == 'dropin_link_on_a_fresh_host':
        assert LOCK_FILE not in after['files'] and STATE_FILE not in after['files'], after['files']


def test_backup_dir_is_a_symlink(lab, symlinks):
    """The state dir's backup/ is a link to /etc/sysctl.d (a backup written through it would land
    there). Expected: a rollout of another profile (it backs the old drop-in up) refuses with rule
    symlink naming the backup directory, and puts the state file back: everything as before. Then
    state=absent (where the backup is optional) removes the drop-in and restores the values with a
    warning; nothing is written into /etc/sysctl.d."""
    record = symlinks['backup_dir_links_to_sysctl_d']
    print('backup_dir_links_to_sysctl_d on %s:' % record['label'])
    show(record)
    before, mid, after = record['snaps']
    outcome = record['outcomes'][0][0]
    assert outcome['failed'] and BACKUP_DIR in outcome['msg'] and '(rule: symlink)' in outcome['msg'], outcome
    assert outcome['rules'] == ['symlink'] and 'othing was changed' in outcome['msg'], outcome
    assert_unchanged(lab, before, mid)
    assert not record['outcomes'][1][0]['failed'], record['outcomes'][1]
    shown = [line for line in warnings(record['outputs'][1]) if 'no backup of %s was kept' % DROPIN in line]
    assert shown and BACKUP_DIR in shown[0], warnings(record['outputs'][1])
    print('  warning: %s' % shown[0])
    in_sysctl_d = sorted(path for path in after['files'] if path.startswith('/etc/sysctl.d/'))
    assert in_sysctl_d == sorted(path for path in before['files']
                                 if path.startswith('/etc/sysctl.d/') and path != DROPIN)
    assert not not_pristine(lab, record['label'], after)


# ----------------------------------------------------------------------------- 4. one run at a time

SLOW_PYTHON = os.path.join(HERE, 'bin', 'slow_sysctl_python')


def _start(lab, out, runs, labels):
    """ansible-playbook in the background, the module run by bin/slow_sysctl_python (while it plans,
    each read of tcp_rmem is 0.25 s slower: the window between reading the state and reading the live
    values is wide enough that two runs that are not serialized lose originals)."""
    out = str(out)
    if not os.path.isdir(out):
        os.makedirs(out)
    names = [host_name(lab, label) for label in labels]
    argv = lab.playbook_argv(playbook_path('state_trust.yml'), {'rel_runs': runs, 'rel_out_dir': out},
                             limit=','.join(names),
                             host_vars=dict((name, {'ansible_python_interpreter': SLOW_PYTHON}) for name in names))
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            env=ansible_env(lab), cwd=lab.workdir, start_new_session=True)


def _finish(proc, timeout=180):
    try:
        out = proc.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out = proc.communicate(timeout=10)[0]
    return proc.returncode, out


def test_concurrent_rollouts_then_absent(lab, tmp_path):
    """Two rollouts started together on one host with different profiles (json_api with somaxconn
    8192, json_api_heavy), then state=absent. Expected, in every try: both rollouts succeed, one after
    the other (the later one saw the earlier one's tcp_rmem as its value before), the state saved
    between holds as originals exactly the live values from before the try, and after state=absent
    every live value is back at its value from before the try, with no drop-in and no state file.
    NETFLEET_CONCURRENT_TRIES tries (default 20), spread over the lab's hosts: each round runs the two
    playbooks on up to 3 hosts at once (each host has its own state, lock and values); which playbook
    starts first alternates, the second starts 0-0.3 s later. The rollouts' module runs under
    bin/slow_sysctl_python (see _start): without it the module re-plans so close to acting that even
    a module without any lock passed 9 of 9 tries here; with it, such a module loses originals."""
    parallel(lab.clean_host, LABELS)
    a_runs = [{'overrides': {'net.core.somaxconn': 8192}}]
    b_runs = [{'name': 'json_api_heavy'}]
    tries, failures, overlaps, orders, failed_tries = 0, [], 0, {}, set()
    start = time.time()
    pre = snapshots(lab, LABELS)
    round_no = 0
    while tries < CONCURRENT_TRIES:
        labels = list(LABELS)[:min(len(LABELS), CONCURRENT_TRIES - tries)]
        pair = [(a_runs, 'a'), (b_runs, 'b')]
        if round_no % 2:
            pair.reverse()
        out = dict((tag, tmp_path / ('round%d-%s' % (round_no, tag))) for tag in 'ab')
        first = _start(lab, out[pair[0][1]], pair[0][0], labels)
        time.sleep(random.uniform(0, 0.3))
        second = _start(lab, out[pair[1][1]], pair[1][0], labels)
        _finish(first)
        _finish(second)
        mid = snapshots(lab, labels)
        absent_runs = dict((label, [{'state': 'absent'}]) for label in labels)
        proc, absent = role_runs(lab, tmp_path / ('round%d-absent' % round_no), absent_runs)
        post = snapshots(lab, labels)
        for label in labels:
            tries += 1
            where = 'try %d (%s, round %d)' % (tries, label, round_no)
            problems = []
            got = {}
            for tag in 'ab':
                path = str(out[tag] / (host_name(lab, label) + '.json'))
                got[tag] = read_json(path)[0] if os.path.exists(path) else {'failed': True, 'msg': 'no outcome'}
                if got[tag]['failed']:
                    problems.append('rollout %s failed: %s' % (tag, got[tag].get('msg')))
            if not problems:
                run_a, run_b = got['a'], got['b']
                overlaps += run_a['t0'] < run_b['t1'] and run_b['t0'] < run_a['t1']
                # one run after the other: the later one saw the earlier one's value as its "before"
                rmem = dict((tag, got[tag]['result']['keys']['net.ipv4.tcp_rmem']) for tag in 'ab')
                was = pre[label]['live']['net.ipv4.tcp_rmem']
                if rmem['a']['before'] == was and rmem['b']['before'] == rmem['a']['live']:
                    orders['a then b'] = orders.get('a then b', 0) + 1
                elif rmem['b']['before'] == was and rmem['a']['before'] == rmem['b']['live']:
                    orders['b then a'] = orders.get('b then a', 0) + 1
                else:
                    problems.append('the two runs were not one after the other (tcp_rmem before/live: a %s/%s, b '
                                    '%s/%s, live before the try %s)' % (rmem['a']['before'], rmem['a']['live'],
                                                                        rmem['b']['before'], rmem['b']['live'], was))
            text = mid[label]['files'].get(STATE_FILE, {}).get('text')
            if text is None:
                problems.append('no state file after the two rollouts')
            else:
                saved = json.loads(text)['original']
                wrong = dict((key, (value, pre[label]['live'].get(key))) for key, value in saved.items()
                             if value is not None and value != pre[label]['live'].get(key))
                if wrong:
                    problems.append('originals overwritten (saved, live before): %s' % wrong)
            if absent[label][0]['failed']:
                problems.append('state=absent failed: %s' % absent[label][0]['msg'])
            diff = dict((key, (pre[label]['live'].get(key), post[label]['live'].get(key))) for key in pre[label]['live']
                        if key not in lab.volatile and pre[label]['live'].get(key) != post[label]['live'].get(key))
            if diff:
                problems.append('after state=absent, live values differ (before, after): %s' % diff)
            if DROPIN in post[label]['files'] or STATE_FILE in post[label]['files']:
                problems.append('drop-in or state file left after state=absent')
            if problems:
                failed_tries.add(tries)
                failures.extend('%s: %s' % (where, problem) for problem in problems)
        pre.update(post)
        round_no += 1
    print('concurrent rollouts then absent: %d of %d tries restored every value (%d rounds, %.1f s); the two '
          'role runs overlapped in time in %d tries; serialized as %s'
          % (tries - len(failed_tries), tries, round_no, time.time() - start, overlaps, orders))
    assert not failures, '\n'.join(failures)


def test_lock_held_by_another_run(lab, tmp_path):
    """Another run holds the host's lock (a process in the host flocks sysctl_profile.lock, at most
    10 s). Expected: a rollout with sysctl_profile_lock_timeout 2 fails after ~2 s with rule locked,
    naming the lock file and the holder's pid; nothing changed. Once the holder is gone, the same
    rollout succeeds."""
    label = 'h02'
    lab.clean_host(label)
    holder = subprocess.Popen(host_argv(lab, label, ['/usr/bin/python3', '-c', HOLDER_PY]),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True)
    try:
        line = holder.stdout.readline().split()
        assert line[:1] == ['locked'], line
        before = snapshot(lab, label)
        proc, got = role_runs(lab, tmp_path / 'o1', {label: [{'lock_timeout': 2}]})
        after = snapshot(lab, label)
        outcome = got[label][0]
        print('locked: %s (%.1f s in the role)' % (outcome.get('msg'), outcome['t1'] - outcome['t0']))
        assert_refused(outcome, LOCK_FILE, 'locked')
        assert '(pid %s)' % line[1] in outcome['msg'], outcome['msg']
        assert outcome['t1'] - outcome['t0'] >= 2, outcome
        assert_unchanged(lab, before, after)
    finally:
        holder.stdin.close()
        holder.wait(15)
    proc, got = role_runs(lab, tmp_path / 'o2', {label: [{'lock_timeout': 2}]})
    assert not got[label][0]['failed'], got[label]
    assert snapshot(lab, label)['live']['net.ipv4.tcp_rmem'] == TUNED_RMEM
    lab.clean_host(label)


# ------------------------------------------------------------------------ 5. all or nothing, live

KERNEL_CASES = [
    # json_api plus a key the kernel refuses although the rules accept it; hop_limit sorts after
    # tcp_rmem and tcp_wmem, which are written first (keys are written in name order).
    Case('einval_hop_limit_300', [[{'overrides': {HOP_LIMIT: 300}}],
                                  [{'overrides': {HOP_LIMIT: 100}}, {'state': 'absent'}]],
         setup='fresh', says='Invalid argument'),
    Case('read_back_differs', [[{'overrides': {HOP_LIMIT: '70 71 72'}}],
                               [{'overrides': {HOP_LIMIT: 100}}, {'state': 'absent'}]],
         setup='fresh', says="read back '70'"),
    Case('einval_on_a_rolled_out_host', [[{'name': 'json_api_heavy', 'overrides': {HOP_LIMIT: 300}}],
                                         [{'name': 'json_api_heavy'}, {'state': 'absent'}]],
         says='Invalid argument'),
]


def _edit_state(func):
    def step(ctx):
        text = host_py(ctx.lab, ctx.label, 'import sys; sys.stdout.write(open(sys.argv[1]).read())', STATE_FILE)
        ctx.data.setdefault('states', []).append(text)
        ctx.file_op('put', path=STATE_FILE, text=json.dumps(func(json.loads(text)), indent=2, sort_keys=True),
                    mode=0o600, uid=0)
    return step


RESTORE_REFUSED = Case(
    # json_api plus hop_limit 100 rolled out; then the saved original of hop_limit is edited to 300 (it
    # passes the rules: hop_limit is in our own drop-in, so it is a managed key; the kernel refuses it).
    'restore_value_refused', [[{'overrides': {HOP_LIMIT: 100}}], [{'state': 'absent'}], [{'state': 'absent'}]],
    setup='fresh',
    between={0: _edit_state(lambda state: _with(state, HOP_LIMIT, '300')),
             1: _edit_state(lambda state: _with(state, HOP_LIMIT, '64'))})


@pytest.fixture(scope='module')
def kernel(kernel_and_full):
    return kernel_and_full


@pytest.mark.parametrize('case_id', [case.id for case in KERNEL_CASES])
def test_kernel_refuses_a_value(lab, kernel, case_id):
    """A value the rules accept and the kernel refuses, written after other keys: net.ipv6.conf.all.
    hop_limit 300 (EINVAL, max 255), or "70 71 72" (the kernel stores 70, no error: the read-back
    differs); on a fresh host (json_api) and on a rolled-out host (json_api_heavy).
    Expected: the host fails with rule kernel_refused naming the key; every key written in this run,
    the failing one too, reported rolled_back and live at its value from before; the drop-in and the
    state file as before (on a rolled-out host the only new file is a backup of the drop-in in the
    state dir's backup/). A rerun with a good value succeeds; state=absent then restores every value
    from before the first rollout."""
    case = [kernel_case for kernel_case in KERNEL_CASES if kernel_case.id == case_id][0]
    record = kernel[case_id]
    label = record['label']
    print('%s on %s:' % (case_id, label))
    show(record)
    before, after, final = record['snaps']
    outcome = record['outcomes'][0][0]
    assert outcome['failed'] and outcome['rules'] == ['kernel_refused'], outcome
    assert HOP_LIMIT in outcome['msg'] and case.info['says'] in outcome['msg'], outcome['msg']
    assert 'the drop-in and the state file are as before this run' in outcome['msg'], outcome['msg']
    statuses = dict((key, entry['status']) for key, entry in outcome['keys'].items() if entry.get('scope') == 'netns')
    for key in ('net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem', HOP_LIMIT):
        assert statuses[key] == 'rolled_back', statuses
    for key, entry in outcome['keys'].items():
        if entry['status'] == 'rolled_back':
            assert entry['live'] == before['live'][key], (key, entry)
    new = assert_unchanged(lab, before, after, allow_new=(BACKUP_DIR,))
    if case.setup == 'fresh':
        assert new == [] and DROPIN not in after['files'] and STATE_FILE not in after['files'], new
    for path in new:
        if after['files'][path]['type'] == 'file':
            assert after['files'][path]['sha256'] == before['files'][DROPIN]['sha256'], path
    print('  new in the state dir: %s' % new)

    good, absent = record['outcomes'][1]
    assert not good['failed'], good
    if case.setup == 'fresh':
        assert good['result']['keys'][HOP_LIMIT]['live'] == '100', good['result']['keys'][HOP_LIMIT]
    assert good['result']['keys']['net.ipv4.tcp_rmem']['live'].split()[1] == '87380'
    assert not absent['failed'], absent
    assert not not_pristine(lab, label, final)


def test_kernel_refuses_a_restore_value(lab, kernel):
    """The issue's half-applied restore: the saved original of a key the kernel refuses (hop_limit
    300, edited into the state after a rollout of json_api plus hop_limit 100). Expected: state=absent
    fails with rule kernel_refused naming the key; the keys it restored before (tcp_rmem, tcp_wmem) and
    hop_limit are rolled_back to their tuned values; the drop-in is put back and the state file kept,
    byte-identical (only a backup of the drop-in is new). With the original repaired (64, the value
    from before), state=absent succeeds and every value is as before the first rollout."""
    record = kernel['restore_value_refused']
    label = record['label']
    print('restore_value_refused on %s:' % label)
    show(record, 1)
    assert not record['outcomes'][0][0]['failed'], record['outcomes'][0]
    tampered, after, final = record['hooked'][0], record['snaps'][2], record['snaps'][3]
    outcome = record['outcomes'][1][0]
    assert outcome['failed'] and outcome['rules'] == ['kernel_refused'], outcome
    assert HOP_LIMIT in outcome['msg'] and 'Invalid argument' in outcome['msg'], outcome['msg']
    assert 'the drop-in and the state file are as before this run' in outcome['msg'], outcome['msg']
    statuses = dict((key, entry['status']) for key, entry in outcome['keys'].items())
    assert statuses == {'net.ipv4.tcp_rmem': 'rolled_back', 'net.ipv4.tcp_wmem': 'rolled_back',
                        HOP_LIMIT: 'rolled_back'}, statuses
    assert tampered['live'][HOP_LIMIT] == '100' and tampered['live']['net.ipv4.tcp_rmem'] == TUNED_RMEM
    new = assert_unchanged(lab, tampered, after, allow_new=(BACKUP_DIR,))
    print('  new in the state dir: %s' % new)
    assert not record['outcomes'][2][0]['failed'], record['outcomes'][2]
    assert DROPIN not in final['files'] and STATE_FILE not in final['files']
    assert not not_pristine(lab, label, final)


# ------------------------------------------------------------------- 6. a full state file system

class FullStateFs(object):
    """A 16 KiB tmpfs over the host's state dir in its sshd's mount namespace only (what the module,
    started from an ssh session, sees), holding copies of ``keep`` and filled to the last byte.
    `netlab exec` still sees the host's real private state dir underneath."""

    def __init__(self, lab, label, keep=()):
        self.lab = lab
        self.label = label
        self.keep = list(keep)
        self.pid = sshd_pid(lab, label)

    def ours_mounted(self):
        with open('/proc/%s/mountinfo' % self.pid) as handle:
            return sum(1 for line in handle if line.split()[4] == STATE_DIR and TMPFS_SOURCE in line)

    def mount(self):
        try:
            out = host_py(self.lab, self.label, STAGE_FULL_PY, json.dumps(self.keep))
            self.staged = json.loads(out.strip().splitlines()[-1])
            assert self.staged['free'] == 0, self.staged
            with open('/proc/self/mountinfo') as handle:  # private propagation: the machine never sees it
                assert TMPFS_SOURCE not in handle.read(), 'the tmpfs shows in the init mount namespace'
        except BaseException:
            self.unmount()
            raise

    def unmount(self):
        for _attempt in range(3):
            if not self.ours_mounted():
                break
            run(['nsenter', '-t', self.pid, '-m', 'umount', STATE_DIR], check=False, timeout=30)
        assert not self.ours_mounted(), 'the tmpfs over %s in sshd %s is still mounted' % (STATE_DIR, self.pid)


def _full(keep, put=None):
    def arrange(ctx):
        for name, text in (put or {}).items():
            ctx.file_op('put', path=os.path.join(STATE_DIR, name), text=text, mode=0o600, uid=0)
        ctx.data['fs'] = FullStateFs(ctx.lab, ctx.label, keep)
        ctx.data['fs'].mount()
    return arrange


def _unmount(ctx):
    if 'fs' in ctx.data:
        ctx.data['fs'].unmount()


FULL_CASES = [
    Case('first_rollout_lock_file_left_by_an_earlier_run', [[{}]], setup='fresh', underlying=True,
         arrange=_full(['sysctl_profile.lock'], {'sysctl_profile.lock': '1\n'}), restore=_unmount),
    Case('first_rollout_fresh_state_dir', [[{}]], setup='fresh', underlying=True, arrange=_full([]), restore=_unmount),
    Case('absent_with_lock_file', [[{'state': 'absent'}]], underlying=True,
         arrange=_full(['sysctl_profile.json', 'sysctl_profile.lock']), restore=_unmount),
    Case('absent_without_lock_file', [[{'state': 'absent'}]], underlying=True,
         arrange=_full(['sysctl_profile.json']), restore=_unmount),
]


@pytest.fixture(scope='module')
def kernel_and_full(lab, rolled, tmp_path_factory):
    """Items 5 and 6 in one set of batches (8 cases: 3 batches instead of 4)."""
    records = run_cases(lab, rolled, KERNEL_CASES + [RESTORE_REFUSED] + FULL_CASES,
                        str(tmp_path_factory.mktemp('kernel_and_full')))
    return records


@pytest.fixture(scope='module')
def full(kernel_and_full):
    return kernel_and_full


def _state_dir_entries(snap):
    return dict((path, entry) for path, entry in snap['files'].items() if path.startswith(STATE_DIR + '/'))


@pytest.mark.parametrize('case_id', ['first_rollout_lock_file_left_by_an_earlier_run',
                                     'first_rollout_fresh_state_dir'])
def test_full_state_fs_first_rollout(lab, full, case_id):
    """A first rollout while the state file system is full (no byte free); the state dir empty, or
    holding the lock file an earlier run left. Expected: the host fails naming the file of the state
    dir that could not be written (the state file sysctl_profile.json, or the lock file) and 'No space
    left'; nothing changed: no drop-in, every live value as before, no state file and no temporary
    file left in the full dir, the real state dir underneath untouched."""
    record = full[case_id]
    print('%s on %s:' % (case_id, record['label']))
    show(record)
    outcome = record['outcomes'][0][0]
    assert outcome['failed'], outcome
    assert 'No space left' in outcome['msg'], outcome['msg']
    assert STATE_DIR + '/sysctl_profile.' in outcome['msg'], 'the message names no file of the state dir: %r' % (
        outcome['msg'])
    if case_id == 'first_rollout_lock_file_left_by_an_earlier_run':
        assert STATE_FILE in outcome['msg'] and 'othing was changed' in outcome['msg'], outcome['msg']
    assert_unchanged(lab, record['snaps'][0], record['snaps'][1])
    assert _state_dir_entries(record['under'][0]) == _state_dir_entries(record['under'][1])


@pytest.mark.parametrize('case_id', ['absent_with_lock_file', 'absent_without_lock_file'])
def test_full_state_fs_absent(lab, full, case_id):
    """A genuine rollout, then the state dir full: a full tmpfs holding copies of the state file and
    of the lock file, or of the state file only (kept from before the lock existed, or the lock file
    cleaned away). Expected: state=absent removes the drop-in and restores every value, warns that no
    backup was kept ('No space left'), deletes the state file; the real state dir underneath
    untouched."""
    record = full[case_id]
    print('%s on %s:' % (case_id, record['label']))
    show(record)
    before, after = record['snaps']
    outcome = record['outcomes'][0][0]
    assert not outcome['failed'], outcome['msg']
    shown = [line for line in warnings(record['outputs'][0]) if 'no backup of %s was kept' % DROPIN in line]
    assert shown and 'No space left' in shown[0], warnings(record['outputs'][0])
    print('  warning: %s' % shown[0])
    assert DROPIN not in after['files'] and STATE_FILE not in after['files']
    assert not not_pristine(lab, record['label'], after)
    new = set(_state_dir_entries(after)) - set(_state_dir_entries(before))
    assert new <= {BACKUP_DIR, LOCK_FILE}, new
    assert _state_dir_entries(record['under'][0]) == _state_dir_entries(record['under'][1])
