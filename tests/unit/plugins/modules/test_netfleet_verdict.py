# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netfleet_verdict: the host keeps its last verdict in its state directory (atomically, 0600, never through a
link), idempotent, nothing written in check mode, bad input refused before anything is written."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.netfleet.tuning.plugins.module_utils import host_verdict
from ansible_collections.netfleet.tuning.plugins.modules import netfleet_verdict
from ansible_collections.netfleet.tuning.tests.unit.plugins.modules.module_runner import (
    ExitJson, FailJson, patch_module, run_main,
)

AT = '2026-01-15T10:01:00.456Z'


@pytest.fixture(autouse=True)
def trust_tmp(monkeypatch, tmp_path):
    # the state directory's parents are checked from tmp_path down (/tmp itself is 1777)
    monkeypatch.setattr(netfleet_verdict, 'TRUST_ANCHOR', str(tmp_path))


@pytest.fixture
def warnings(monkeypatch):
    return patch_module(monkeypatch)


@pytest.fixture
def state_dir(tmp_path, warnings):
    return str(tmp_path / 'var' / 'lib' / 'netfleet-tuning')


def keep(state_dir, expect_fail=False, **args):
    params = dict(verdict='improved', passed=True, recorded_at=AT, verdict_message='prune_called fell 98%',
                  host='web1', state_dir=state_dir)
    params.update(args)
    # None: the option is not given at all
    params = dict((key, value) for key, value in params.items() if value is not None)
    with pytest.raises(FailJson if expect_fail else ExitJson) as info:
        run_main(netfleet_verdict.main, params)
    return info.value.args[0]


def read(state_dir):
    with open(os.path.join(state_dir, 'verdict.json')) as handle:
        return handle.read()


def test_keeps_the_verdict_once(state_dir):
    result = keep(state_dir)
    path = os.path.join(state_dir, 'verdict.json')
    assert result['changed'] is True and result['stored'] == path
    assert result['verdict'] == {'schema': host_verdict.VERDICT_SCHEMA, 'verdict': 'improved', 'passed': True,
                                 'recorded_at': AT, 'host': 'web1', 'message': 'prune_called fell 98%'}
    assert host_verdict.decode_verdict(read(state_dir), path) == result['verdict']
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(state_dir).st_mode) == 0o700
    again = keep(state_dir)
    assert again['changed'] is False and again['stored'] is None
    newer = keep(state_dir, verdict='not_improved', passed=False, recorded_at='2026-01-16T10:01:00.000Z')
    assert newer['changed'] is True and '"not_improved"' in read(state_dir)


def test_check_mode_writes_nothing(state_dir):
    result = keep(state_dir, _ansible_check_mode=True)
    assert result['changed'] is True and result['stored'] is None
    assert not os.path.exists(state_dir)


def test_recorded_at_defaults_to_now_on_the_host(state_dir):
    result = keep(state_dir, recorded_at=None)
    assert host_verdict.records.parse_time(result['verdict']['recorded_at']) is not None


def test_a_verdict_that_does_not_agree_with_passed_is_refused(state_dir):
    result = keep(state_dir, expect_fail=True, verdict='not_improved', passed=True)
    assert result['rule'] == 'consistency' and result['entry'] == 'passed'
    assert not os.path.exists(state_dir)


def test_a_bad_time_is_refused(state_dir):
    result = keep(state_dir, expect_fail=True, recorded_at='now')
    assert result['rule'] == 'format' and result['entry'] == 'recorded_at'


def test_a_state_dir_on_a_virtual_file_system_is_refused(warnings):
    result = keep('/proc/netfleet', expect_fail=True)
    assert result['rule'] == 'virtual_fs'


def test_a_state_directory_others_can_write_is_refused(state_dir):
    os.makedirs(state_dir)
    os.chmod(state_dir, 0o777)
    result = keep(state_dir, expect_fail=True)
    assert result['rule'] == 'mode'
    assert os.listdir(state_dir) == []


def test_a_link_at_the_file_is_refused_and_left(state_dir, tmp_path):
    os.makedirs(state_dir)
    os.chmod(state_dir, 0o700)
    target = tmp_path / 'target'
    target.write_text(u'theirs')
    os.symlink(str(target), os.path.join(state_dir, 'verdict.json'))
    result = keep(state_dir, expect_fail=True)
    assert result['rule'] == 'symlink'
    assert target.read_text() == u'theirs'


@pytest.mark.parametrize('content, mode', [('garbage', 0o600), ('x' * 20000, 0o600), (None, 0o666)])
def test_a_file_that_is_not_ours_is_replaced(state_dir, content, mode):
    keep(state_dir)
    path = os.path.join(state_dir, 'verdict.json')
    if content is not None:
        with open(path, 'w') as handle:
            handle.write(content)
    os.chmod(path, mode)
    result = keep(state_dir)
    assert result['changed'] is True
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert host_verdict.decode_verdict(read(state_dir), path) == result['verdict']


def test_absent_forgets_the_verdict(state_dir):
    keep(state_dir)
    path = os.path.join(state_dir, 'verdict.json')
    assert keep(state_dir, state='absent', _ansible_check_mode=True) == {'changed': True, 'removed': path}
    assert os.path.exists(path)
    assert keep(state_dir, state='absent', verdict=None, passed=None) == {'changed': True, 'removed': path}
    assert not os.path.exists(path)
    assert keep(state_dir, state='absent') == {'changed': False, 'removed': None}


def test_absent_leaves_a_link_alone(state_dir, tmp_path):
    os.makedirs(state_dir)
    os.chmod(state_dir, 0o700)
    os.symlink(str(tmp_path / 'theirs'), os.path.join(state_dir, 'verdict.json'))
    assert keep(state_dir, expect_fail=True, state='absent')['rule'] == 'symlink'
    assert os.path.islink(os.path.join(state_dir, 'verdict.json'))


def test_present_needs_the_verdict(state_dir):
    result = keep(state_dir, expect_fail=True, verdict=None)
    assert 'state is present but all of the following are missing: verdict' in result['msg']
