# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""state_store: a state file is data, every entry checked; versions 1 and 2."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.netfleet.tuning.plugins.module_utils import hostfs, state_store
from ansible_collections.netfleet.tuning.plugins.module_utils.state_store import StateError, decode

PATH = '/var/lib/netfleet-tuning/sysctl_profile.json'
DROPIN_DIR = '/etc/sysctl.d'
GOOD = {
    'version': 2, 'created': '2026-11-30T10:00:00Z', 'priority': 60,
    'original': {'net.ipv4.tcp_rmem': '4096 16384 65536', 'net.core.somaxconn': '4096', 'net.core.rmem_max': None},
    'applied': ['net.ipv4.tcp_rmem'],
    'previous_files': {'60-netfleet-tuning.conf': '# theirs\n'},
}


def failure(raw):
    with pytest.raises(StateError) as info:
        decode(raw if isinstance(raw, str) else json.dumps(raw), PATH, DROPIN_DIR)
    return info.value


def test_good_state_round_trips():
    state = decode(json.dumps(GOOD), PATH, DROPIN_DIR)
    assert state == GOOD
    assert decode(state_store.encode(state), PATH, DROPIN_DIR) == state


def test_version_1_paths_become_priorities():
    raw = dict(GOOD, version=1, path='/etc/sysctl.d/70-netfleet-tuning.conf',
               previous_files={'/etc/sysctl.d/70-netfleet-tuning.conf': 'x\n'})
    del raw['priority']
    state = decode(json.dumps(raw), PATH, DROPIN_DIR)
    assert state['priority'] == 70 and state['previous_files'] == {'70-netfleet-tuning.conf': 'x\n'}
    assert 'path' not in state_store.encode(state)


@pytest.mark.parametrize('raw, entry, rule', [
    ('{not json', None, 'state_format'),
    ('[]', None, 'state_format'),
    (dict(GOOD, version=3), 'version', 'state_format'),
    (dict(GOOD, version=True), 'version', 'state_format'),
    (dict(GOOD, path='/etc/passwd'), 'path', 'state_format'),  # version 2 has no paths at all
    (dict(GOOD, extra=1), 'extra', 'state_format'),
    (dict(GOOD, created='$(reboot)'), 'created', 'state_format'),
    (dict(GOOD, priority=100), 'priority', 'priority'),
    (dict(GOOD, priority='60'), 'priority', 'priority'),
    (dict(GOOD, original=[]), 'original', 'state_format'),
    (dict(GOOD, original={'kernel.pid_max': '1'}), 'original.kernel.pid_max', 'key_pattern'),
    (dict(GOOD, original={'net.ipv4.tcp_rmem': '4096 16384 2147483647'}), 'original.net.ipv4.tcp_rmem', 'range'),
    (dict(GOOD, original={'net.ipv4.tcp_rmem': '4096 65536'}), 'original.net.ipv4.tcp_rmem', 'arity'),
    (dict(GOOD, original={'net.ipv4.tcp_rmem': '65536 4096 8192'}), 'original.net.ipv4.tcp_rmem', 'triplet_order'),
    (dict(GOOD, original={'net.core.somaxconn': '1\nkernel.x = 1'}), 'original.net.core.somaxconn', 'injection'),
    (dict(GOOD, original={'net.core.somaxconn': 4096}), 'original.net.core.somaxconn', 'not_integer'),
    (dict(GOOD, applied='net.core.somaxconn'), 'applied', 'state_format'),
    (dict(GOOD, applied=['net.core.somaxconn', 'net.core.somaxconn']), 'applied[1]', 'state_format'),
    (dict(GOOD, applied=['../../etc/shadow']), 'applied[0]', 'key_pattern'),
    (dict(GOOD, previous_files={'../../etc/cron.d/x': 'x'}), 'previous_files.../../etc/cron.d/x', 'state_path'),
    (dict(GOOD, previous_files={'/etc/sysctl.d/60-netfleet-tuning.conf': 'x'}),
     'previous_files./etc/sysctl.d/60-netfleet-tuning.conf', 'state_path'),
    (dict(GOOD, previous_files={'60-netfleet-tuning.conf': 'a\x00b'}), 'previous_files.60-netfleet-tuning.conf',
     'state_format'),
    (dict(GOOD, previous_files={'60-netfleet-tuning.conf': 'x' * (300 * 1024)}),
     'previous_files.60-netfleet-tuning.conf', 'state_format'),
])
def test_bad_entries_are_refused_with_file_entry_and_rule(raw, entry, rule):
    exc = failure(raw)
    assert exc.rule == rule and exc.entry == entry
    assert str(exc).startswith('state file %s: ' % PATH)
    assert '(rule: %s)' % rule in str(exc) and 'nothing was changed' in str(exc)


@pytest.mark.parametrize('path', ['/etc/hostname', '/etc/sysctl.d/../cron.d/60-netfleet-tuning.conf',
                                  '/etc/sysctl.d/99-other.conf', '/etc/sysctl.d/60-netfleet-tuning.conf/x'])
def test_version_1_path_outside_our_names_is_refused(path):
    raw = dict(GOOD, version=1, path=path, previous_files={})
    del raw['priority']
    assert failure(raw).rule == 'state_path'


def test_unmanaged_keys_are_refused():
    state = decode(json.dumps(dict(GOOD, original={'net.ipv4.ip_forward': '1'}, applied=['net.ipv4.ip_forward'])),
                   PATH, DROPIN_DIR)
    with pytest.raises(StateError) as info:
        state_store.check_managed(state, {'net.ipv4.tcp_rmem'}, PATH)
    assert info.value.rule == 'unmanaged_key' and info.value.entry == 'applied.net.ipv4.ip_forward'
    state_store.check_managed(state, {'net.ipv4.ip_forward'}, PATH)


def test_store_save_load_and_strict_file(tmp_path):
    base = tmp_path / 'trusted'
    base.mkdir(mode=0o755)
    os.chmod(str(base), 0o755)
    store = state_store.StateStore(str(base / 'state'), DROPIN_DIR, anchor=str(base))
    assert store.load() is None
    store.prepare()
    state = decode(json.dumps(GOOD), PATH, DROPIN_DIR)
    store.save(state)
    assert oct(os.stat(store.state_path).st_mode & 0o777) == '0o600'
    assert store.load() == state
    os.chmod(store.state_path, 0o646)
    with pytest.raises(hostfs.UnsafePathError) as info:
        store.load()
    assert info.value.rule == 'mode'


def test_backups_keep_the_newest(tmp_path):
    base = tmp_path / 'trusted'
    base.mkdir(mode=0o755)
    os.chmod(str(base), 0o755)
    store = state_store.StateStore(str(base / 'state'), DROPIN_DIR, anchor=str(base))
    store.prepare()
    paths = [store.backup('60-netfleet-tuning.conf', 'v%d\n' % i) for i in range(state_store.KEEP_BACKUPS + 2)]
    kept = sorted(os.listdir(store.backup_dir))
    assert len(kept) == state_store.KEEP_BACKUPS
    assert os.path.basename(paths[-1]) in kept
    assert oct(os.stat(paths[-1]).st_mode & 0o777) == '0o600'


def test_backup_pruning_counts_only_the_names_own_copies(tmp_path):
    base = tmp_path / 'trusted'
    base.mkdir(mode=0o755)
    os.chmod(str(base), 0o755)
    store = state_store.StateStore(str(base / 'state'), DROPIN_DIR, anchor=str(base))
    store.prepare()
    kept = store.backup('60-netfleet-tuning.conf.before-first-rollout', 'theirs\n')
    for i in range(state_store.KEEP_BACKUPS + 1):
        store.backup('60-netfleet-tuning.conf', 'v%d\n' % i)
    names = os.listdir(store.backup_dir)
    assert os.path.basename(kept) in names
    assert len([n for n in names if 'before-first-rollout' not in n]) == state_store.KEEP_BACKUPS


def test_saved_words_are_checked_like_input():
    """A saved congestion control or default qdisc is a word (issue 16): any algorithm name, a listed qdisc."""
    raw = dict(GOOD, original={'net.ipv4.tcp_congestion_control': 'cubic', 'net.core.default_qdisc': 'fq_codel'},
               applied=['net.ipv4.tcp_congestion_control'])
    state = decode(json.dumps(raw), PATH, DROPIN_DIR)
    assert state['original']['net.ipv4.tcp_congestion_control'] == 'cubic'
    assert decode(state_store.encode(state), PATH, DROPIN_DIR) == state
    for value, rule in (('cubic\nkernel.panic = 1', 'not_a_name'), ('bbr cubic', 'not_a_name'), (5, 'not_a_name'),
                        (['bbr'], 'not_a_name')):
        exc = failure(dict(GOOD, original={'net.ipv4.tcp_congestion_control': value}))
        assert exc.rule == rule and exc.entry == 'original.net.ipv4.tcp_congestion_control', (value, str(exc))
    assert failure(dict(GOOD, original={'net.core.default_qdisc': 'htb'})).rule == 'unknown_qdisc'
