# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl_dropin against a fake /proc and a fake root (sysctl.d dirs) in tmp_path."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest


from ansible_collections.netfleet.tuning.plugins.module_utils import hostfs, live_apply, state_store
from ansible_collections.netfleet.tuning.plugins.modules import sysctl_dropin
# the module harness of the netstat_facts tests (works on ansible-core 2.16 to the newest)
from ansible_collections.netfleet.tuning.tests.unit.plugins.modules import test_netstat_facts as facts_tests
from ansible_collections.netfleet.tuning.tests.unit.plugins.modules.test_netstat_facts import (
    ExitJson, FailJson, run_main,
)

JSON_API = {
    'net.core.rmem_max': '16777216',
    'net.core.wmem_max': '16777216',
    'net.ipv4.tcp_rmem': '4096 87380 16777216',
    'net.ipv4.tcp_wmem': '4096 65536 16777216',
    'net.core.netdev_max_backlog': '30000',
    'net.ipv4.tcp_window_scaling': '1',
}

# A child network namespace on Linux 6.18: [rw]mem_* read-only, netdev_max_backlog and tcp_mem missing.
CHILD_NETNS = {
    'net.core.rmem_max': ('4194304\n', 0o444),
    'net.core.wmem_max': ('4194304\n', 0o444),
    'net.core.rmem_default': ('212992\n', 0o444),
    'net.core.wmem_default': ('212992\n', 0o444),
    'net.core.somaxconn': ('4096\n', 0o644),
    'net.ipv4.tcp_rmem': ('4096\t16384\t65536\n', 0o644),
    'net.ipv4.tcp_wmem': ('4096\t16384\t4194304\n', 0o644),
    'net.ipv4.tcp_window_scaling': ('1\n', 0o644),
    'net.ipv4.tcp_timestamps': ('1\n', 0o644),
    'net.ipv4.tcp_sack': ('1\n', 0o644),
    'net.ipv4.tcp_adv_win_scale': ('1\n', 0o644),
    'net.ipv4.tcp_moderate_rcvbuf': ('1\n', 0o644),
}
INIT_NETNS = dict(CHILD_NETNS, **{
    'net.core.rmem_max': ('4194304\n', 0o644),
    'net.core.wmem_max': ('4194304\n', 0o644),
    'net.core.rmem_default': ('212992\n', 0o644),
    'net.core.wmem_default': ('212992\n', 0o644),
    'net.core.netdev_max_backlog': ('1000\n', 0o644),
    'net.ipv4.tcp_mem': ('287901\t383868\t575802\n', 0o644),
})


@pytest.fixture(autouse=True)
def module_calls(monkeypatch):
    """exit_json/fail_json raise; module warnings land in the result's 'warnings' (no ansible-core
    internals patched)."""
    warnings = facts_tests.patch_module(monkeypatch)
    real_exit = facts_tests.basic.AnsibleModule.exit_json

    def exit_json(self, **kwargs):
        kwargs['warnings'] = list(warnings)
        del warnings[:]
        real_exit(self, **kwargs)

    monkeypatch.setattr(facts_tests.basic.AnsibleModule, 'exit_json', exit_json)
    return warnings


@pytest.fixture(autouse=True)
def trust_tmp(monkeypatch, tmp_path):
    # the state directory's parents are checked from tmp_path down (/tmp itself is 1777)
    monkeypatch.setattr(sysctl_dropin, 'TRUST_ANCHOR', str(tmp_path))


class Host(object):
    """A fake host: /proc tree, root with sysctl.d dirs, state dir."""

    def __init__(self, tmp_path, keys=None, mem_kb=24684092):
        self.proc = str(tmp_path / 'proc')
        self.root = str(tmp_path / 'root')
        self.state_dir = str(tmp_path / 'state')
        for key, (text, mode) in (CHILD_NETNS if keys is None else keys).items():
            path = self.key_path(key)
            if not os.path.isdir(os.path.dirname(path)):
                os.makedirs(os.path.dirname(path))
            with open(path, 'w') as handle:
                handle.write(text)
            os.chmod(path, mode)
        with open(os.path.join(self.proc, 'meminfo'), 'w') as handle:
            handle.write('MemTotal:       %d kB\nMemFree:        1000 kB\n' % mem_kb)
        os.makedirs(os.path.join(self.root, 'etc', 'sysctl.d'))
        self.dropin = os.path.join(self.root, 'etc', 'sysctl.d', '60-netfleet-tuning.conf')

    def key_path(self, key):
        return os.path.join(self.proc, 'sys', *key.split('.'))

    def live(self, key):
        with open(self.key_path(key)) as handle:
            return ' '.join(handle.read().split())

    def set_live(self, key, value):
        mode = os.stat(self.key_path(key)).st_mode & 0o777
        os.chmod(self.key_path(key), 0o644)
        with open(self.key_path(key), 'w') as handle:
            handle.write(value + '\n')
        os.chmod(self.key_path(key), mode)

    def write_file(self, rel, text):
        path = os.path.join(self.root, rel.lstrip('/'))
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        with open(path, 'w') as handle:
            handle.write(text)
        return path

    def read_dropin(self):
        with open(self.dropin) as handle:
            return handle.read()

    def state(self):
        with open(os.path.join(self.state_dir, 'sysctl_profile.json')) as handle:
            return json.load(handle)

    def run(self, check=False, diff=False, expect_fail=False, **args):
        params = dict(proc_path=self.proc, root=self.root, state_dir=self.state_dir, kernel_release='6.18.44',
                      header='Ansible managed: test', profile='json_api', _ansible_check_mode=check,
                      _ansible_diff=diff)
        params.update(args)
        with pytest.raises(FailJson if expect_fail else ExitJson) as info:
            run_main(sysctl_dropin.main, params)
        return info.value.args[0]


@pytest.fixture
def host(tmp_path):
    return Host(tmp_path)


def snapshot(host):
    files = {}
    for base in (host.proc, host.root, host.state_dir):
        for dirpath, dummy_dirs, names in os.walk(base):
            for name in names:
                path = os.path.join(dirpath, name)
                with open(path, errors='surrogateescape') as handle:  # config.gz is not text
                    text = handle.read()
                # the kernel shows triplets with tabs, we write spaces: compare values, not bytes
                files[path] = ' '.join(text.split()) if path.startswith(host.proc) else text
    return files


def test_first_run_child_netns(host):
    res = host.run(settings=JSON_API)
    assert res['changed'] and res['file_changed']
    keys = res['keys']
    assert keys['net.ipv4.tcp_rmem']['status'] == 'applied'
    assert keys['net.ipv4.tcp_rmem']['before'] == '4096 16384 65536'
    assert keys['net.ipv4.tcp_rmem']['live'] == '4096 87380 16777216'
    assert keys['net.ipv4.tcp_wmem']['status'] == 'applied'
    # element-wise only_raise: the host had 4194304 > 65536? no: 4096 16384 4194304 vs 4096 65536 16777216
    assert keys['net.ipv4.tcp_wmem']['value'] == '4096 65536 16777216'
    assert keys['net.ipv4.tcp_window_scaling']['status'] == 'unchanged'
    for key in ('net.core.rmem_max', 'net.core.wmem_max'):
        assert keys[key]['status'] == 'skipped' and keys[key]['scope'] == 'host'
        assert 'host scope' in keys[key]['reason']
    assert keys['net.core.netdev_max_backlog']['status'] == 'skipped'
    assert keys['net.core.netdev_max_backlog']['scope'] == 'host'
    assert res['counts'] == {'applied': 2, 'unchanged': 1, 'skipped': 3, 'overridden': 0, 'restored': 0, 'rolled_back': 0, 'failed': 0}
    assert host.live('net.ipv4.tcp_rmem') == '4096 87380 16777216'
    assert host.live('net.core.rmem_max') == '4194304'
    text = host.read_dropin()
    assert text.startswith('# Ansible managed: test\n# netfleet.tuning:sysctl_profile profile=json_api\n')
    assignments = [line for line in text.splitlines() if line and not line.startswith('#')]
    # host-scope keys are not written as assignments (sysctl --system would fail on them)
    assert assignments == ['net.ipv4.tcp_rmem = 4096 87380 16777216', 'net.ipv4.tcp_window_scaling = 1',
                           'net.ipv4.tcp_wmem = 4096 65536 16777216']
    assert '#   net.core.rmem_max: read-only or missing' in text
    assert os.stat(host.dropin).st_mode & 0o7777 == 0o644
    fact = res['ansible_facts']['sysctl_profile_result']
    assert fact['keys'] == keys and fact['path'] == host.dropin and fact['changed']
    state = host.state()
    assert state['original']['net.ipv4.tcp_rmem'] == '4096 16384 65536'
    assert state['applied'] == ['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']
    assert os.stat(os.path.join(host.state_dir, 'sysctl_profile.json')).st_mode & 0o777 == 0o600


def test_second_run_no_change(host):
    host.run(settings=JSON_API)
    before = snapshot(host)
    res = host.run(settings=JSON_API, diff=True)
    assert not res['changed'] and not res['file_changed']
    assert 'diff' not in res
    assert set(entry['status'] for entry in res['keys'].values()) == {'unchanged', 'skipped'}
    assert snapshot(host) == before


def test_check_mode_changes_nothing_and_diffs(host):
    before = snapshot(host)
    res = host.run(settings=JSON_API, check=True, diff=True)
    assert res['changed']
    assert res['keys']['net.ipv4.tcp_rmem']['status'] == 'applied'
    assert res['keys']['net.ipv4.tcp_rmem']['live'] == '4096 16384 65536'
    assert snapshot(host) == before
    assert not os.path.exists(host.state_dir)
    file_diff, live_diff = res['diff']
    assert file_diff['before'] == '' and 'net.ipv4.tcp_rmem = 4096 87380 16777216' in file_diff['after']
    assert live_diff['before'] == 'net.ipv4.tcp_rmem = 4096 16384 65536\nnet.ipv4.tcp_wmem = 4096 16384 4194304\n'
    assert live_diff['after'] == 'net.ipv4.tcp_rmem = 4096 87380 16777216\nnet.ipv4.tcp_wmem = 4096 65536 16777216\n'


def test_check_mode_after_apply_reports_no_change(host):
    host.run(settings=JSON_API)
    assert not host.run(settings=JSON_API, check=True)['changed']


def test_only_raise_per_element(host):
    host.set_live('net.ipv4.tcp_rmem', '8192 131072 33554432')
    res = host.run(settings=JSON_API)
    entry = res['keys']['net.ipv4.tcp_rmem']
    assert entry['status'] == 'unchanged'
    assert entry['value'] == '8192 131072 33554432'
    assert 'only_raise' in entry['reason']
    assert 'net.ipv4.tcp_rmem = 8192 131072 33554432' in host.read_dropin()


def test_only_raise_mixed_elements(tmp_path):
    host = Host(tmp_path)
    host.set_live('net.ipv4.tcp_rmem', '4096 16384 33554432')
    res = host.run(settings=JSON_API)
    entry = res['keys']['net.ipv4.tcp_rmem']
    assert entry['status'] == 'applied'
    assert entry['live'] == '4096 87380 33554432'


def test_only_raise_off_lowers(tmp_path):
    host = Host(tmp_path)
    host.set_live('net.ipv4.tcp_rmem', '4096 131072 33554432')
    res = host.run(settings=JSON_API, only_raise=False)
    assert res['keys']['net.ipv4.tcp_rmem']['status'] == 'applied'
    assert host.live('net.ipv4.tcp_rmem') == '4096 87380 16777216'


def test_only_raise_compares_with_original_values(host):
    """A user can lower an override later without our own earlier value blocking it."""
    host.run(settings=dict(JSON_API, **{'net.core.somaxconn': '8192'}))
    assert host.live('net.core.somaxconn') == '8192'
    res = host.run(settings=dict(JSON_API, **{'net.core.somaxconn': '6000'}))
    assert res['keys']['net.core.somaxconn']['status'] == 'applied'
    assert host.live('net.core.somaxconn') == '6000'
    # below the original 4096: only_raise keeps the original
    res = host.run(settings=dict(JSON_API, **{'net.core.somaxconn': '1024'}))
    assert host.live('net.core.somaxconn') == '4096'
    assert 'only_raise' in res['keys']['net.core.somaxconn']['reason']


def test_key_dropped_from_profile_is_restored(host):
    host.run(settings=dict(JSON_API, **{'net.core.somaxconn': '8192'}))
    res = host.run(settings=JSON_API)
    assert res['keys']['net.core.somaxconn']['status'] == 'restored'
    assert host.live('net.core.somaxconn') == '4096'
    assert 'net.core.somaxconn' not in host.state()['applied']
    assert not host.run(settings=JSON_API)['changed']


def test_unsettable_fail_changes_nothing(host):
    before = snapshot(host)
    res = host.run(settings=JSON_API, unsettable='fail', expect_fail=True)
    assert 'net.core.rmem_max' in res['msg'] and 'net.core.netdev_max_backlog' in res['msg']
    assert 'Nothing was changed' in res['msg']
    # the module names its own option; a caller maps it to the name its user set (the role: its variable)
    assert 'and unsettable is fail:' in res['msg'] and 'sysctl_profile_' not in res['msg']
    res = host.run(settings=JSON_API, unsettable='fail', variable_names={'unsettable': 'sysctl_profile_unsettable'},
                   expect_fail=True)
    assert 'and sysctl_profile_unsettable is fail:' in res['msg']
    assert snapshot(host) == before


def test_nothing_settable_writes_no_dropin(host):
    before = snapshot(host)
    host_scope = dict((key, value) for key, value in JSON_API.items()
                      if key.startswith('net.core.') and key != 'net.core.somaxconn')
    res = host.run(settings=host_scope)
    assert res['changed'] is False
    assert set(entry['status'] for entry in res['keys'].values()) == {'skipped'}
    assert any('none of the %d key(s) can be set' % len(host_scope) in warning for warning in res.get('warnings', []))
    assert not os.path.exists(host.dropin)
    assert snapshot(host) == before


def test_absent_key_never_written(tmp_path):
    host = Host(tmp_path)
    res = host.run(settings=dict(JSON_API, **{'net.ipv4.tcp_collapse_max_bytes': '6291456'}))
    entry = res['keys']['net.ipv4.tcp_collapse_max_bytes']
    assert entry['status'] == 'skipped' and entry['scope'] == 'absent'
    assert 'tcp_collapse_max_bytes =' not in host.read_dropin()
    assert not os.path.exists(host.key_path('net.ipv4.tcp_collapse_max_bytes'))


@pytest.mark.parametrize('release, written', [('6.18.44-fc-v657', False), ('6.6.0', False), ('6.5.13', True),
                                              ('5.15.0-91-generic', True)])
def test_tcp_adv_win_scale_kernel_aware(tmp_path, release, written):
    host = Host(tmp_path)
    host.set_live('net.ipv4.tcp_adv_win_scale', '2')
    res = host.run(settings=dict(JSON_API, **{'net.ipv4.tcp_adv_win_scale': '1'}), kernel_release=release,
                   only_raise=False)
    entry = res['keys']['net.ipv4.tcp_adv_win_scale']
    assert ('net.ipv4.tcp_adv_win_scale = 1' in host.read_dropin()) is written
    if written:
        assert entry['status'] == 'applied' and host.live('net.ipv4.tcp_adv_win_scale') == '1'
    else:
        assert entry['status'] == 'skipped' and 'obsolete since Linux 6.6' in entry['reason']
        assert host.live('net.ipv4.tcp_adv_win_scale') == '2'


def test_init_namespace_applies_host_keys(tmp_path):
    host = Host(tmp_path, keys=INIT_NETNS)
    res = host.run(settings=JSON_API)
    for key in ('net.core.rmem_max', 'net.core.wmem_max', 'net.core.netdev_max_backlog'):
        assert res['keys'][key]['status'] == 'applied' and res['keys'][key]['scope'] == 'netns'
    assert host.live('net.core.rmem_max') == '16777216'
    assert host.live('net.core.netdev_max_backlog') == '30000'
    assert 'net.core.netdev_max_backlog = 30000' in host.read_dropin()
    res = host.run(state='absent')
    assert host.live('net.core.rmem_max') == '4194304'
    assert host.live('net.core.netdev_max_backlog') == '1000'
    assert res['keys']['net.core.rmem_max']['status'] == 'restored'


def test_override_by_later_file(host):
    later = host.write_file('/etc/sysctl.d/99-local.conf', '# local\nnet.ipv4.tcp_rmem = 4096 65536 8388608\n')
    host.write_file('/etc/sysctl.d/10-early.conf', 'net.ipv4.tcp_wmem = 4096 4096 4096\n')
    res = host.run(settings=JSON_API)
    entry = res['keys']['net.ipv4.tcp_rmem']
    assert entry['status'] == 'overridden' and entry['by'] == later
    assert host.live('net.ipv4.tcp_rmem') == '4096 16384 65536'  # not fought live
    assert any('overridden by %s' % later in warning for warning in res['warnings'])
    assert res['keys']['net.ipv4.tcp_wmem']['status'] == 'applied'  # an earlier file does not override


def test_override_glob_and_sysctl_conf_and_run_dir(host):
    host.write_file('/etc/sysctl.conf', 'net/ipv4/tcp_window_scaling = 0\n')
    run = host.write_file('/run/sysctl.d/70-x.conf', '-net.ipv4.tcp_w*mem = 1 2 3\n')
    res = host.run(settings=JSON_API)
    assert res['keys']['net.ipv4.tcp_window_scaling']['by'] == os.path.join(host.root, 'etc/sysctl.conf')
    assert res['keys']['net.ipv4.tcp_wmem']['by'] == run


def test_same_value_in_later_file_is_not_an_override(host):
    later = host.write_file('/usr/lib/sysctl.d/80-same.conf', 'net.ipv4.tcp_rmem=4096 87380   16777216\n')
    res = host.run(settings=JSON_API)
    assert res['keys']['net.ipv4.tcp_rmem']['status'] == 'applied'
    assert res['keys']['net.ipv4.tcp_rmem']['also_set_by'] == later


def test_masked_later_file_is_ignored(host):
    host.write_file('/usr/lib/sysctl.d/80-vendor.conf', 'net.ipv4.tcp_rmem = 1 1 1\n')
    os.symlink('/dev/null', os.path.join(host.root, 'etc/sysctl.d/80-vendor.conf'))
    res = host.run(settings=JSON_API)
    assert res['keys']['net.ipv4.tcp_rmem']['status'] == 'applied'


def test_absent_restores_and_second_absent_is_noop(host):
    pristine = snapshot(host)
    host.run(settings=JSON_API)
    res = host.run(state='absent', diff=True)
    assert res['changed'] and res['file_changed']
    assert res['keys']['net.ipv4.tcp_rmem']['status'] == 'restored'
    assert res['keys']['net.ipv4.tcp_rmem']['live'] == '4096 16384 65536'
    assert not os.path.exists(host.dropin)
    assert not os.path.exists(os.path.join(host.state_dir, 'sysctl_profile.json'))
    assert res['diff'][0]['after'] == ''
    assert os.path.exists(res['backup_file'])
    res = host.run(state='absent')
    assert not res['changed'] and res['keys'] == {}
    now = snapshot(host)
    # the live values and sysctl.d are as before the rollout; only backups and the lock file remain
    kept = dict((path, text) for path, text in now.items() if '/backup/' not in path and not path.endswith('.lock'))
    assert kept == pristine


def test_absent_check_mode(host):
    host.run(settings=JSON_API)
    before = snapshot(host)
    res = host.run(state='absent', check=True)
    assert res['changed'] and res['keys']['net.ipv4.tcp_rmem']['status'] == 'restored'
    assert snapshot(host) == before


def test_absent_without_state_removes_file_and_warns(host):
    host.run(settings=JSON_API)
    os.unlink(os.path.join(host.state_dir, 'sysctl_profile.json'))
    res = host.run(state='absent')
    assert res['changed'] and not os.path.exists(host.dropin)
    assert any('no saved values' in warning for warning in res['warnings'])
    assert host.live('net.ipv4.tcp_rmem') == '4096 87380 16777216'


def test_foreign_file_at_our_path_is_never_overwritten(host):
    foreign = '# hand made\nnet.ipv4.tcp_rmem = 4096 65536 1048576\n'
    host.write_file('/etc/sysctl.d/60-netfleet-tuning.conf', foreign)
    before = snapshot(host)
    res = host.run(settings=JSON_API, expect_fail=True)
    assert res['rules'] == ['foreign_file'] and 'never overwritten' in res['msg'] and host.dropin in res['msg']
    assert snapshot(host) == before
    # absent leaves it alone too (it is not ours)
    res = host.run(state='absent')
    assert not res['changed'] and host.read_dropin() == foreign
    assert any('not a netfleet-tuning drop-in' in warning for warning in res['warnings'])


def test_previous_file_of_version_1_goes_to_the_backups_not_back_into_sysctl_d(host):
    """0.1 kept a foreign file that sat at our path in the state; its text is never written back into
    /etc/sysctl.d (it would be applied as root at the next boot): a copy goes to the backups."""
    host.run(settings=JSON_API)
    state = host.state()
    state.update(version=1, path=host.dropin, previous_files={host.dropin: 'kernel.panic = 1\n'})
    del state['priority']
    write_state(host, state)
    res = host.run(state='absent')
    assert res['changed'] and not os.path.exists(host.dropin)
    kept = [warning for warning in res['warnings'] if 'is not put back' in warning]
    assert kept, res['warnings']
    copies = [name for name in os.listdir(os.path.join(host.state_dir, 'backup')) if '.before-first-rollout' in name]
    assert len(copies) == 1
    with open(os.path.join(host.state_dir, 'backup', copies[0])) as handle:
        assert handle.read() == 'kernel.panic = 1\n'


def test_wrong_mode_is_fixed(host):
    host.run(settings=JSON_API)
    os.chmod(host.dropin, 0o600)
    res = host.run(settings=JSON_API)
    assert res['changed'] and res['file_changed']
    assert os.stat(host.dropin).st_mode & 0o777 == 0o644
    assert not host.run(settings=JSON_API)['changed']


def test_priority_change_removes_our_old_file(host):
    host.run(settings=JSON_API)
    res = host.run(settings=JSON_API, priority=70)
    assert res['path'].endswith('/70-netfleet-tuning.conf')
    assert not os.path.exists(host.dropin)
    assert os.path.exists(res['path'])
    assert host.state()['priority'] == 70 and 'path' not in host.state()
    assert not host.run(settings=JSON_API, priority=70)['changed']


def test_priority_is_zero_padded(host):
    res = host.run(settings=JSON_API, priority=5)
    assert res['path'].endswith('/etc/sysctl.d/05-netfleet-tuning.conf')


@pytest.mark.parametrize('priority', [100, -1])
def test_priority_out_of_range(host, priority):
    res = host.run(settings=JSON_API, priority=priority, expect_fail=True)
    assert res['msg'].startswith('priority: must be an integer 0..99') and 'rule: priority' in res['msg']


@pytest.mark.parametrize('settings, rule', [
    ({'net.ipv4.tcp_rmem': '4096 87380 16777216\nkernel.panic = 1'}, 'injection'),
    ({'net.ipv4.tcp_rmem': '1 2'}, 'arity'),
    ({'net.ipv4.tcp_rmem': '3 2 1'}, 'triplet_order'),
    ({'net.ipv4.tcp_sack': True}, 'boolean'),
    ({'net.ipv4.tcp_sack': '0'}, 'tcp_feature_off'),
    ({'kernel.panic': '1'}, 'key_pattern'),
    ({'net.core.rmem_max': '-1'}, 'negative'),
])
def test_module_validates_again(host, settings, rule):
    before = snapshot(host)
    res = host.run(settings=settings, expect_fail=True)
    assert 'rule: %s' % rule in res['msg']
    assert snapshot(host) == before


def test_force_tcp_feature_off(host):
    # only_raise keeps the host's 1: turning a feature off also needs only_raise false
    res = host.run(settings={'net.ipv4.tcp_sack': '0'}, force=['tcp_feature_off'])
    assert res['keys']['net.ipv4.tcp_sack']['status'] == 'unchanged'
    res = host.run(settings={'net.ipv4.tcp_sack': '0'}, force=['tcp_feature_off'], only_raise=False)
    assert res['keys']['net.ipv4.tcp_sack']['status'] == 'applied'
    assert host.live('net.ipv4.tcp_sack') == '0'


def test_memory_guardrail_refuses_and_force(tmp_path):
    host = Host(tmp_path, mem_kb=512 * 1024)  # 512 MiB: 1/32 = 16 MiB
    before = snapshot(host)
    heavy = {'net.ipv4.tcp_rmem': '4096 87380 33554432'}
    res = host.run(settings=heavy, expect_fail=True)
    assert 'memory guardrail' in res['msg'] and 'net.ipv4.tcp_rmem' in res['msg']
    assert 'add memory to force to apply it anyway' in res['msg'] and res['rules'] == ['memory']
    # a module names its own options; a caller maps them to the names its user set (the role: its variables)
    res = host.run(settings=heavy, variable_names={'force': 'sysctl_profile_force'}, expect_fail=True)
    assert 'add memory to sysctl_profile_force to apply it anyway' in res['msg']
    assert snapshot(host) == before
    res = host.run(settings=heavy, force=['memory'])
    assert host.live('net.ipv4.tcp_rmem') == '4096 87380 33554432'
    # 16 MiB is exactly 1/32 of 512 MiB: allowed
    assert host.run(settings=JSON_API, only_raise=False)['keys']['net.ipv4.tcp_rmem']['status'] == 'applied'


def test_memory_guardrail_ignores_keys_not_written(tmp_path):
    host = Host(tmp_path, mem_kb=512 * 1024)
    res = host.run(settings={'net.core.rmem_max': '33554432', 'net.ipv4.tcp_window_scaling': '1'})
    assert res['keys']['net.core.rmem_max']['status'] == 'skipped'


def test_fit_to_memory_lowers_bdp_keys(tmp_path):
    host = Host(tmp_path, mem_kb=1024 * 1024)  # 1 GiB -> cap 32 MiB
    res = host.run(settings={'net.ipv4.tcp_rmem': '4096 87380 67108864', 'net.ipv4.tcp_wmem': '4096 65536 67108864'},
                   fit_to_memory=['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'], notes=['bdp profile: ...'])
    assert res['memory_cap_bytes'] == 33554432
    assert host.live('net.ipv4.tcp_rmem') == '4096 87380 33554432'
    text = host.read_dropin()
    assert 'lowered to 33554432 by the memory guardrail' in text
    assert '# bdp profile: ...' in text


def test_tcp_mem_guardrail(tmp_path):
    host = Host(tmp_path, keys=INIT_NETNS, mem_kb=1024 * 1024)
    res = host.run(settings={'net.ipv4.tcp_mem': '100000 200000 400000'}, expect_fail=True)  # 1.5 GiB of pages
    assert 'net.ipv4.tcp_mem: max 400000 pages' in res['msg'] and res['rules'] == ['memory']


# ---- the memory budget: a real /proc/net/snmp (Linux 6.18) with CurrEstab set --------------------------

SNMP_FIXTURE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                            'fixtures', 'proc', 'linux-6.18', 'snmp')
PAGE = os.sysconf('SC_PAGE_SIZE')


def write_snmp(host, established=None, text=None):
    """<proc>/net/snmp: the fixture with Tcp CurrEstab = ``established``, or ``text`` as it is."""
    if text is None:
        with open(SNMP_FIXTURE) as handle:
            lines = handle.read().splitlines(True)
        names = [index for index, line in enumerate(lines) if line.startswith('Tcp:')]
        column = lines[names[0]].split().index('CurrEstab')
        values = lines[names[1]].split()
        values[column] = str(established)
        lines[names[1]] = ' '.join(values) + '\n'
        text = ''.join(lines)
    directory = os.path.join(host.proc, 'net')
    if not os.path.isdir(directory):
        os.makedirs(directory)
    with open(os.path.join(directory, 'snmp'), 'w') as handle:
        handle.write(text)


def sockets_over_pressure():
    """The fewest fully grown json_api sockets (32 MiB each) over INIT_NETNS's tcp_mem pressure."""
    return 383868 * PAGE // (32 * 1024 ** 2) + 1


def test_budget_child_netns_says_tcp_mem_is_host_scope(host):
    write_snmp(host, 100000)
    res = host.run(settings=JSON_API, over_budget='fail')
    budget = res['memory_budget']
    assert res['ansible_facts']['sysctl_profile_result']['memory_budget'] == budget
    assert budget['established'] == 100000 and budget['per_socket_max_bytes'] == 32 * 1024 ** 2
    assert budget['worst_case_bytes'] == 100000 * 32 * 1024 ** 2
    assert budget['tcp_mem_pages'] is None and budget['exceeds_pressure'] is None and budget['headroom_bytes'] is None
    assert 'net.ipv4.tcp_mem is not visible in this network namespace (host scope' in budget['note']
    assert res['warnings'] == [] and host.live('net.ipv4.tcp_rmem') == '4096 87380 16777216'


def test_budget_init_netns_warns_over_pressure(tmp_path):
    host = Host(tmp_path, keys=INIT_NETNS)
    write_snmp(host, sockets_over_pressure())
    res = host.run(settings=JSON_API)
    budget = res['memory_budget']
    assert budget['tcp_mem_pages'] == {'low': 287901, 'pressure': 383868, 'high': 575802}
    assert budget['tcp_mem_bytes']['pressure'] == 383868 * PAGE and budget['exceeds_pressure'] is True
    assert budget['established'] == sockets_over_pressure() and budget['headroom_bytes'] < 0
    assert [w for w in res['warnings'] if w.startswith('memory budget: %d established' % sockets_over_pressure())]
    # a warning only: applied
    assert res['changed'] and host.live('net.core.rmem_max') == '16777216'
    assert res['ansible_facts']['sysctl_profile_result']['memory_budget'] == budget


def test_budget_fail_changes_nothing(tmp_path):
    host = Host(tmp_path, keys=INIT_NETNS)
    write_snmp(host, sockets_over_pressure())
    before = snapshot(host)
    res = host.run(settings=JSON_API, over_budget='fail', expect_fail=True)
    assert res['rules'] == ['memory_budget'] and res['memory_budget']['exceeds_pressure'] is True
    assert res['msg'].startswith('memory budget: ') and res['msg'].endswith(
        '; over_budget is fail (rule: memory_budget). Nothing was changed.')
    res = host.run(settings=JSON_API, over_budget='fail', check=True, expect_fail=True,
                   variable_names={'over_budget': 'sysctl_profile_over_budget'})
    assert '; sysctl_profile_over_budget is fail (rule: memory_budget)' in res['msg']
    assert snapshot(host) == before and not os.path.exists(host.state_dir)
    # under pressure the fail option lets the run apply
    write_snmp(host, sockets_over_pressure() - 1)
    res = host.run(settings=JSON_API, over_budget='fail')
    assert res['changed'] and res['memory_budget']['exceeds_pressure'] is False and res['warnings'] == []


def test_budget_in_check_mode(tmp_path):
    host = Host(tmp_path, keys=INIT_NETNS)
    write_snmp(host, 3)
    before = snapshot(host)
    res = host.run(settings=JSON_API, check=True, diff=True)
    assert res['changed'] and snapshot(host) == before
    budget = res['ansible_facts']['sysctl_profile_result']['memory_budget']
    # the maxima the plan would make live, not today's (4 MiB wmem max)
    assert budget['tcp_rmem_max'] == budget['tcp_wmem_max'] == 16777216
    assert budget['worst_case_bytes'] == 3 * 32 * 1024 ** 2 and budget['exceeds_pressure'] is False
    assert budget['headroom_bytes'] == 383868 * PAGE - 3 * 32 * 1024 ** 2


def test_budget_without_snmp_or_with_a_broken_one(tmp_path):
    host = Host(tmp_path, keys=INIT_NETNS)
    res = host.run(settings=JSON_API, over_budget='fail', check=True)
    budget = res['memory_budget']
    assert budget['established'] is None and budget['exceeds_pressure'] is None
    assert '/net/snmp is missing' in budget['note'] and res['warnings'] == []
    write_snmp(host, text='Tcp: CurrEstab\n')
    res = host.run(settings=JSON_API, over_budget='fail', check=True)
    assert res['memory_budget']['established'] is None
    assert [w for w in res['warnings'] if w.startswith('memory budget: ') and 'header for Tcp has no value line' in w]
    write_snmp(host, text='Ip: Forwarding\nIp: 1\n')
    assert 'has no Tcp CurrEstab' in host.run(settings=JSON_API, check=True)['memory_budget']['note']


def test_budget_only_with_state_present(host):
    write_snmp(host, 1)
    host.run(settings=JSON_API)
    res = host.run(state='absent')
    assert 'memory_budget' not in res and 'memory_budget' not in res['ansible_facts']['sysctl_profile_result']


def test_header_cannot_inject(host):
    host.run(settings=JSON_API, header='Ansible managed\nnet.ipv4.ip_forward = 1\n\x1b[31mred')
    lines = host.read_dropin().splitlines()
    assert '# net.ipv4.ip_forward = 1' in lines
    assert all(line.startswith('#') or line == '' or ' = ' in line for line in lines)
    assert not any(line.startswith('net.ipv4.ip_forward') for line in lines)
    assert '\x1b' not in ''.join(lines)


def test_comment_injection_stays_comment(host):
    host.run(settings=JSON_API, comments={'net.ipv4.tcp_rmem': 'why\nnet.ipv4.ip_forward = 1'})
    assert '\nnet.ipv4.ip_forward' not in host.read_dropin()


def test_empty_settings_fail(host):
    res = host.run(settings={}, expect_fail=True)
    assert 'settings is empty' in res['msg']


def test_relative_state_dir_fails(host):
    res = host.run(settings=JSON_API, state_dir='relative/dir', expect_fail=True)
    assert 'absolute' in res['msg']


def test_corrupt_state_fails(host):
    os.makedirs(host.state_dir)
    with open(os.path.join(host.state_dir, 'sysctl_profile.json'), 'w') as handle:
        handle.write('{not json')
    res = host.run(settings=JSON_API, expect_fail=True)
    assert 'not valid JSON' in res['msg'] and res['rules'] == ['state_format']
    assert 'sysctl_profile.json' in res['msg'] and not os.path.exists(host.dropin)


def test_read_back_mismatch_rolls_everything_back(host, monkeypatch):
    """The kernel keeps another value than written: every key of the run goes back, and so do the
    drop-in and the state file (all or nothing)."""
    real = sysctl_dropin.apply_changes

    def lossy_writer(key, value, proc_path):
        if key == 'net.ipv4.tcp_wmem' and value == '4096 65536 16777216':
            value = '4096 65536 8388608'
        return live_apply.write_value(key, value, proc_path)

    monkeypatch.setattr(sysctl_dropin, 'apply_changes', lambda changes, proc: real(changes, proc, writer=lossy_writer))
    pristine = snapshot(host)
    res = host.run(settings=JSON_API, expect_fail=True)
    assert 'read back' in res['msg'] and 'Rolled back' in res['msg'] and res['rules'] == ['kernel_refused']
    assert res['keys']['net.ipv4.tcp_rmem']['status'] == 'rolled_back'
    assert res['keys']['net.ipv4.tcp_wmem']['status'] == 'rolled_back'
    assert not res['changed']
    now = snapshot(host)
    assert dict((path, text) for path, text in now.items() if not path.endswith('.lock')) == pristine


def test_write_error_reported(host):
    os.chmod(host.key_path('net.ipv4.tcp_rmem'), 0o644)
    os.unlink(host.key_path('net.ipv4.tcp_wmem'))
    os.mkdir(host.key_path('net.ipv4.tcp_wmem'))  # now 'absent' (a directory)
    res = host.run(settings=JSON_API)
    assert res['keys']['net.ipv4.tcp_wmem']['status'] == 'skipped'


def test_backups_are_pruned(host):
    for somaxconn in range(5000, 5000 + state_store.KEEP_BACKUPS + 3):
        host.run(settings=dict(JSON_API, **{'net.core.somaxconn': str(somaxconn)}))
    backups = os.listdir(os.path.join(host.state_dir, 'backup'))
    assert len(backups) == state_store.KEEP_BACKUPS


# ---- host state you can trust (issue 11) -------------------------------------------------------
def write_state(host, state):
    if not os.path.isdir(host.state_dir):
        os.makedirs(host.state_dir, 0o700)
    path = os.path.join(host.state_dir, 'sysctl_profile.json')
    with open(path, 'w') as handle:
        json.dump(state, handle)
    os.chmod(path, 0o600)


def assert_refused(host, rule, *texts, **run_args):
    """The run fails with ``rule`` and every text in its message, and nothing on the host changed."""
    before = snapshot(host)
    res = host.run(expect_fail=True, **run_args)
    assert res['rules'] == [rule], res['msg']
    for text in texts:
        assert text in res['msg'], res['msg']
    assert snapshot(host) == before
    return res


@pytest.mark.parametrize('state', ['present', 'absent'])
def test_state_path_outside_is_refused(host, state):
    host.run(settings=JSON_API)
    victim = host.write_file('/etc/victim.txt', 'untouched\n')
    tampered = host.state()
    tampered.update(version=1, path=victim, previous_files={victim: 'net.ipv4.ip_forward = 1\n'})
    del tampered['priority']
    write_state(host, tampered)
    args = dict(settings=JSON_API) if state == 'present' else {}
    assert_refused(host, 'state_path', 'sysctl_profile.json', 'path: path', state=state, **args)
    with open(victim) as handle:
        assert handle.read() == 'untouched\n'


def test_state_previous_file_name_outside_is_refused(host):
    host.run(settings=JSON_API)
    tampered = dict(host.state(), previous_files={'../../victim.conf': 'kernel.x = 1\n'})
    write_state(host, tampered)
    assert_refused(host, 'state_path', 'previous_files.../../victim.conf', state='absent')


def test_state_unmanaged_key_is_never_restored(host):
    host.run(settings=JSON_API)
    tampered = host.state()
    tampered['original']['net.ipv4.ip_forward'] = '1'
    tampered['applied'].append('net.ipv4.ip_forward')
    write_state(host, tampered)
    assert_refused(host, 'unmanaged_key', 'net.ipv4.ip_forward', state='absent')


def test_state_original_failing_the_input_rules_is_refused(host):
    host.run(settings=JSON_API)
    tampered = host.state()
    tampered['original']['net.ipv4.tcp_rmem'] = '4096 16384 2147483647'
    write_state(host, tampered)
    assert_refused(host, 'range', 'original.net.ipv4.tcp_rmem', settings=JSON_API)
    assert_refused(host, 'range', 'original.net.ipv4.tcp_rmem', state='absent')


@pytest.mark.parametrize('mode', [0o777, 0o770, 0o702])
def test_state_dir_others_can_write_is_refused(host, mode):
    os.makedirs(host.state_dir)
    os.chmod(host.state_dir, mode)
    assert_refused(host, 'mode', 'state directory %s' % host.state_dir, settings=JSON_API)
    assert not os.path.exists(host.dropin)


def test_state_file_link_is_refused(host, tmp_path):
    host.run(settings=JSON_API)
    real = tmp_path / 'elsewhere.json'
    os.rename(os.path.join(host.state_dir, 'sysctl_profile.json'), str(real))
    os.symlink(str(real), os.path.join(host.state_dir, 'sysctl_profile.json'))
    assert_refused(host, 'symlink', 'state file', state='absent')


@pytest.mark.parametrize('state', ['present', 'absent'])
def test_dropin_link_is_refused_and_target_untouched(host, tmp_path, state):
    secret = tmp_path / 'secret'
    secret.write_text('# netfleet.tuning:sysctl_profile\nprivate = 1\n')
    os.chmod(str(secret), 0o600)
    os.symlink(str(secret), host.dropin)
    args = dict(settings=JSON_API) if state == 'present' else {}
    assert_refused(host, 'symlink', 'drop-in %s' % host.dropin, state=state, **args)
    assert os.stat(str(secret)).st_mode & 0o777 == 0o600
    assert not os.path.exists(os.path.join(host.state_dir, 'backup'))


def test_stale_file_that_is_not_ours_is_left(host):
    host.run(settings=JSON_API)
    old = host.dropin
    host.write_file('/etc/sysctl.d/60-netfleet-tuning.conf', '# someone else\n')
    res = host.run(settings=JSON_API, priority=70)
    assert host.read_dropin() == '# someone else\n' and os.path.exists(res['path'])
    assert any('no longer a netfleet-tuning drop-in' in warning and old in warning for warning in res['warnings'])


def test_kernel_refusal_mid_way_rolls_back_a_half_written_triplet(host, monkeypatch):
    """The kernel stores tcp_wmem's first elements, then refuses the last one (EINVAL)."""
    real = sysctl_dropin.apply_changes

    def half_writer(key, value, proc_path):
        if key == 'net.ipv4.tcp_wmem' and value.endswith('16777216'):
            live_apply.write_value(key, ' '.join(value.split()[:2] + ['4194304']), proc_path)
            return 'the kernel refused %s = %s: Invalid argument' % (key, value)
        return live_apply.write_value(key, value, proc_path)

    monkeypatch.setattr(sysctl_dropin, 'apply_changes', lambda changes, proc: real(changes, proc, writer=half_writer))
    before = snapshot(host)
    res = host.run(settings=JSON_API, expect_fail=True)
    assert res['rules'] == ['kernel_refused'] and 'Invalid argument' in res['msg']
    assert res['keys']['net.ipv4.tcp_wmem']['status'] == 'rolled_back'
    assert res['keys']['net.ipv4.tcp_wmem']['live'] == '4096 16384 4194304'
    assert res['keys']['net.ipv4.tcp_rmem']['status'] == 'rolled_back'
    assert dict((path, text) for path, text in snapshot(host).items() if not path.endswith('.lock')) == before


def test_full_state_fs_on_rollout_names_the_state_file(host, monkeypatch):
    def full(self, state):
        raise hostfs.FileOpError(self.state_path, 'state file', 'write', OSError(28, 'No space left on device'))

    monkeypatch.setattr(state_store.StateStore, 'save', full)
    before = snapshot(host)
    res = host.run(settings=JSON_API, expect_fail=True)
    assert res['msg'].startswith('cannot write state file %s: No space left on device' % os.path.join(
        host.state_dir, 'sysctl_profile.json'))
    assert 'Nothing was changed' in res['msg'] and host.dropin not in res['msg']
    assert dict((path, text) for path, text in snapshot(host).items() if not path.endswith('.lock')) == before


def test_full_state_fs_still_lets_absent_remove_our_dropin(host, monkeypatch):
    pristine = snapshot(host)
    host.run(settings=JSON_API)

    def full(self, name, content):
        raise hostfs.FileOpError(os.path.join(self.backup_dir, name), 'backup file', 'write',
                                 OSError(28, 'No space left on device'))

    monkeypatch.setattr(state_store.StateStore, 'backup', full)
    res = host.run(state='absent')
    assert res['changed'] and not os.path.exists(host.dropin)
    assert any('no backup of %s' % host.dropin in warning and 'No space left' in warning for warning in res['warnings'])
    now = snapshot(host)
    assert dict((path, text) for path, text in now.items() if not path.endswith('.lock')) == pristine


def test_live_value_failing_the_rules_is_left_alone(host):
    host.set_live('net.ipv4.tcp_wmem', '4096 16384 2147483647')
    res = host.run(settings=JSON_API)
    entry = res['keys']['net.ipv4.tcp_wmem']
    assert entry['status'] == 'skipped' and 'fails the input rules' in entry['reason']
    assert 'net.ipv4.tcp_wmem' not in host.state()['original']
    assert host.live('net.ipv4.tcp_wmem') == '4096 16384 2147483647'


def test_missing_state_with_our_dropin_records_no_tuned_value_as_original(host):
    host.run(settings=JSON_API)
    os.unlink(os.path.join(host.state_dir, 'sysctl_profile.json'))
    res = host.run(settings=dict(JSON_API, **{'net.core.somaxconn': '8192'}))
    assert any('values from before the first rollout of' in warning for warning in res['warnings'])
    original = host.state()['original']
    assert 'net.ipv4.tcp_rmem' not in original and original['net.core.somaxconn'] == '4096'
    res = host.run(state='absent')
    assert res['keys']['net.core.somaxconn']['status'] == 'restored'
    assert host.live('net.ipv4.tcp_rmem') == '4096 87380 16777216'  # unknown before: left as is


def test_another_run_holding_the_lock_fails_after_lock_timeout(host):
    import subprocess
    import sys
    os.makedirs(host.state_dir, 0o700)
    lock = os.path.join(host.state_dir, 'sysctl_profile.lock')
    holder = subprocess.Popen([sys.executable, '-c', (
        'import fcntl, os, sys, time\n'
        'fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n'
        'fcntl.flock(fd, fcntl.LOCK_EX)\n'
        'print("held", flush=True)\n'
        'time.sleep(20)\n'), lock], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b'held'
        assert_refused(host, 'locked', lock, 'still holds it after 1 s', settings=JSON_API, lock_timeout=1)
        # check mode and a run that changes nothing need no lock
        assert host.run(settings=JSON_API, check=True)['changed']
    finally:
        holder.kill()
        holder.wait()
    assert host.run(settings=JSON_API)['changed']


# ---- words: congestion control and the default qdisc (issue 16) -------------------------------------------

CC = 'net.ipv4.tcp_congestion_control'
QDISC = 'net.core.default_qdisc'
KERNEL_FIXTURE = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'kernel', 'config-6.18.44.gz')
# as measured in a child network namespace of this project's machine (Linux 6.18.44)
CC_FILES = {
    CC: ('reno\n', 0o644),
    'net.ipv4.tcp_available_congestion_control': ('reno bbr cubic\n', 0o444),
    'net.ipv4.tcp_allowed_congestion_control': ('reno bbr\n', 0o444),
}


def test_child_netns_sets_an_allowed_algorithm(tmp_path):
    host = Host(tmp_path, keys=dict(CHILD_NETNS, **CC_FILES))
    res = host.run(settings={CC: 'bbr'})
    assert res['changed'] and res['keys'][CC]['status'] == 'applied' and res['keys'][CC]['live'] == 'bbr'
    assert host.live(CC) == 'bbr' and '\nnet.ipv4.tcp_congestion_control = bbr\n' in host.read_dropin()
    assert host.state()['original'][CC] == 'reno'
    res = host.run(state='absent')
    assert res['keys'][CC]['status'] == 'restored' and host.live(CC) == 'reno'


@pytest.mark.parametrize('check', [True, False])
def test_child_netns_refuses_what_the_host_does_not_allow(tmp_path, check):
    host = Host(tmp_path, keys=dict(CHILD_NETNS, **CC_FILES))
    # a token of the host's list that is not a name is dropped, never echoed
    host.set_live('net.ipv4.tcp_allowed_congestion_control', 'reno $(x) bbr')
    before = snapshot(host)
    res = host.run(settings=dict(JSON_API, **{CC: 'cubic'}), check=check, diff=True, expect_fail=True)
    assert res['rules'] == ['not_available']
    assert res['msg'].startswith('net.ipv4.tcp_congestion_control: cubic is not allowed in this network namespace: '
                                 'it may set reno bbr (net.ipv4.tcp_allowed_congestion_control; ')
    assert 'EPERM' in res['msg'] and res['msg'].endswith('Nothing was changed.') and '$(x)' not in res['msg']
    assert snapshot(host) == before and not os.path.exists(host.state_dir)


def test_initial_netns_default_qdisc_from_the_kernel_config(tmp_path):
    host = Host(tmp_path, keys=dict(INIT_NETNS, **dict(CC_FILES, **{QDISC: ('pfifo_fast\n', 0o644)})))
    with open(KERNEL_FIXTURE, 'rb') as src, open(os.path.join(host.proc, 'config.gz'), 'wb') as dst:
        dst.write(src.read())
    before = snapshot(host)
    res = host.run(settings={QDISC: 'fq', CC: 'cubic'}, check=True, expect_fail=True)
    assert res['rules'] == ['not_available']
    assert ('net.core.default_qdisc: fq is not available on this host (# CONFIG_NET_SCH_FQ is not set in %s): it '
            'may set pfifo_fast (from %s)' % ((os.path.join(host.proc, 'config.gz'),) * 2)) in res['msg']
    assert snapshot(host) == before
    # cubic is in tcp_available_congestion_control: the initial namespace may set it
    res = host.run(settings={CC: 'cubic', QDISC: 'pfifo_fast'})
    assert res['keys'][CC]['status'] == 'applied' and res['keys'][QDISC]['status'] == 'unchanged'


def test_default_qdisc_as_a_module_or_without_a_config(tmp_path):
    host = Host(tmp_path, keys=dict(INIT_NETNS, **{QDISC: ('pfifo_fast\n', 0o644)}))
    # no config anywhere: the kernel decides at write time, the reason says so
    res = host.run(settings={QDISC: 'fq'}, check=True)
    assert res['keys'][QDISC]['status'] == 'applied'
    assert res['keys'][QDISC]['reason'].startswith('no kernel config could be read (tried %s' % os.path.join(
        host.proc, 'config.gz'))
    # /boot/config-<release> says =m and the module is installed
    host.write_file('/boot/config-6.18.44', 'CONFIG_NET_SCH_FQ=m\n# CONFIG_NET_SCH_CAKE is not set\n')
    host.write_file('/lib/modules/6.18.44/kernel/net/sched/sch_fq.ko.zst', '')
    res = host.run(settings={QDISC: 'fq'})
    assert res['keys'][QDISC]['status'] == 'applied' and 'reason' not in res['keys'][QDISC]
    assert host.live(QDISC) == 'fq' and '\nnet.core.default_qdisc = fq\n' in host.read_dropin()
    res = host.run(settings={QDISC: 'cake'}, expect_fail=True)
    assert res['rules'] == ['not_available'] and 'it may set pfifo_fast fq (from ' in res['msg']
