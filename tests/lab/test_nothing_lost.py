# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nothing lost and security: foreign files byte-identical, rollback restores every live value,
controller files written atomically and never world-writable, the drop-in root-owned 0644."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import json
import os
import re
import stat

import pytest

from labkit import DROPIN, LABELS, REPO, TUNED_RMEM, BoundedLoop, Traffic, host_addresses, read_json, rollout_vars

FOREIGN = {
    '/etc/sysctl.d/30-foreign.conf': u'# owned by someone else\r\nnet.core.somaxconn=1024\n; odd comment\n'
                                     u'net.ipv4.tcp_sack = 1\n# caf\u00e9, no newline at the end',
    '/etc/sysctl.d/99-zz-local.conf': u'\n\n   # whitespace only and comments\n',
    '/etc/sysctl.d/README': u'not a .conf file: sysctl ignores it, so must we\n',
}


class Reader(BoundedLoop):
    """Reads every JSON file under the state dir in a loop while the playbooks run (bounded: at
    most max_seconds and max_reads) and records any read that does not parse."""

    def __init__(self, top, max_seconds=300, max_reads=200000):
        super(Reader, self).__init__(0.005, max_seconds, max_reads)
        self.top = top
        self.bad = []

    def step(self):
        for path in glob.glob(os.path.join(self.top, '*.json')) + glob.glob(os.path.join(self.top, 'baseline', '*.json')):
            try:
                with open(path) as handle:
                    text = handle.read()
            except (IOError, OSError):
                continue  # renamed away between glob and open: fine
            self.count += 1
            try:
                json.loads(text)
            except ValueError as exc:
                self.bad.append('%s: %s (%d bytes)' % (path, exc, len(text)))


@pytest.fixture(scope='module')
def cycle(lab, tmp_path_factory):
    """Foreign files on every host; rollout (under a concurrent reader of the state dir); rollback.
    Snapshots before, after the rollout and after the rollback."""
    lab.clean_all()
    for label in LABELS:
        for path, text in FOREIGN.items():
            lab.write_file(label, path, text)
    state = str(tmp_path_factory.mktemp('nothing-lost') / 'state')
    snaps = {'before': lab.snapshot_all()}
    with Traffic(host_addresses(lab)), Reader(state) as reader:
        rollout = lab.playbook('netfleet.tuning.rollout', rollout_vars(state))
        snaps['rolled_out'] = lab.snapshot_all()
        rollback = lab.playbook('netfleet.tuning.rollback', rollout_vars(state))
    snaps['rolled_back'] = lab.snapshot_all()
    yield {'state': state, 'rollout': rollout, 'rollback': rollback, 'reader': reader, 'snaps': snaps}
    lab.clean_all()


def test_rollout_and_rollback_succeed(cycle):
    assert cycle['rollout'].returncode == 0, cycle['rollout'].stdout[-3000:]
    assert cycle['rollback'].returncode == 0, cycle['rollback'].stdout[-3000:]
    for label in LABELS:
        assert cycle['snaps']['rolled_out'][label]['live']['net.ipv4.tcp_rmem'] == TUNED_RMEM


def test_foreign_files_byte_identical(cycle):
    snaps = cycle['snaps']
    for label in LABELS:
        for path in list(FOREIGN) + ['/etc/sysctl.d/10-netlab-untuned.conf']:
            seen = [snaps[s][label]['files'][path] for s in ('before', 'rolled_out', 'rolled_back')]
            assert seen[0] == seen[1] == seen[2], '%s %s changed: %s' % (label, path, seen)


def test_rollback_restores_every_live_value(cycle, lab):
    snaps = cycle['snaps']
    for label in LABELS:
        before, after = snaps['before'][label]['live'], snaps['rolled_back'][label]['live']
        diff = sorted(k for k in set(before) | set(after) if k not in lab.volatile and before.get(k) != after.get(k))
        assert not diff, '%s: %s' % (label, ['%s: %r -> %r' % (k, before.get(k), after.get(k)) for k in diff])
        changed = [k for k in before if k not in lab.volatile and snaps['rolled_out'][label]['live'].get(k) != before[k]]
        assert 'net.ipv4.tcp_rmem' in changed  # the rollout did change something to restore
        assert sorted(snaps['rolled_back'][label]['files']) == sorted(snaps['before'][label]['files'])


def test_state_files_never_half_written(cycle):
    reader = cycle['reader']
    assert reader.count > 0
    assert not reader.bad, reader.bad[:5]
    leftovers = glob.glob(os.path.join(cycle['state'], '**', '.*'), recursive=True)
    assert not leftovers, leftovers
    for path in glob.glob(os.path.join(cycle['state'], '**', '*.json'), recursive=True):
        read_json(path)


def test_dropin_root_owned_0644(cycle):
    for label in LABELS:
        meta = cycle['snaps']['rolled_out'][label]['files'][DROPIN]
        assert (meta['uid'], meta['gid'], meta['mode']) == (0, 0, '0644'), meta
        state = cycle['snaps']['rolled_out'][label]['state']
        saved = state['/var/lib/netfleet-tuning/sysctl_profile.json']
        assert (saved['uid'], saved['mode']) == (0, '0600'), saved


def test_controller_files_not_world_writable(cycle):
    paths = [cycle['state']] + glob.glob(os.path.join(cycle['state'], '**'), recursive=True)
    assert len(paths) > 4
    for path in paths:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        assert not mode & 0o002, '%s is world-writable (%04o)' % (path, mode)


SHELL_MODULES = re.compile(r'^\s*-?\s*(ansible\.builtin\.)?(shell|command|raw|script|expect)\s*:', re.M)
PY_SHELL = re.compile(r'use_unsafe_shell|shell\s*=\s*True|os\.system\(|os\.popen\(|commands\.getoutput|pty\.spawn')


def test_no_shell_string_from_user_input():
    """Static: no task of the role/playbooks runs shell/command/raw/script, and no plugin code runs a
    shell (use_unsafe_shell, shell=True, os.system, os.popen). Values reach /proc/sys by open().write()."""
    yaml_files = glob.glob(os.path.join(REPO, 'roles', '**', '*.yml'), recursive=True)
    yaml_files += glob.glob(os.path.join(REPO, 'playbooks', '**', '*.yml'), recursive=True)
    assert yaml_files
    for path in yaml_files:
        with open(path) as handle:
            text = handle.read()
        assert not SHELL_MODULES.search(text), '%s runs a command module: %s' % (path, SHELL_MODULES.search(text).group(0))
    py_files = glob.glob(os.path.join(REPO, 'plugins', '**', '*.py'), recursive=True)
    assert py_files
    for path in py_files:
        with open(path) as handle:
            text = handle.read()
        assert not PY_SHELL.search(text), '%s: %s' % (path, PY_SHELL.search(text).group(0))
        for call in re.findall(r'run_command\(([^)\n]*)', text):
            assert not re.match(r"\s*['\"]", call), '%s: run_command with a string: %s' % (path, call)
