# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""coexistence.contest and the planner with other owners: real tuned profile trees (Debian's tuned 2.20 files,
tests/unit/fixtures/tuned) and the owners of sysctl files (sysctl_owners)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest

from ansible_collections.netfleet.tuning.plugins.module_utils import dropin_plan as dp
from ansible_collections.netfleet.tuning.plugins.module_utils.coexistence import contest, tuned_summary
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_owners import owner_of
from ansible_collections.netfleet.tuning.plugins.module_utils.tuned_profile import read_tuned
from ansible_collections.netfleet.tuning.tests.unit.plugins.module_utils.test_dropin_plan import host, live, present, state

TREES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'tuned')
HEAVY_RMEM = '4096 87380 33554432'
RMEM = 'net.ipv4.tcp_rmem'
WMEM = 'net.ipv4.tcp_wmem'
SOMAXCONN = 'net.core.somaxconn'


def tuned(tree):
    return read_tuned(os.path.join(TREES, tree))


def test_reapply_off_tuned_overrides_a_different_value():
    got = contest(RMEM, HEAVY_RMEM, None, None, tuned('reapply_off'))
    assert got['overridden'] and got['tuned']
    assert got['by'].startswith('tuned profile network-throughput (') and got['by'].endswith(
        'network-throughput/tuned.conf)')
    assert got['owner'] == 'tuned profile network-throughput' and got['theirs'] == '4096 87380 16777216'
    assert 'drop=net.ipv4.tcp_rmem' in got['fix'] and 'reapply_sysctl = 1' in got['fix']
    assert 'sysctl_profile_overrides: {net.ipv4.tcp_rmem: ~}' in got['fix']


def test_reapply_off_same_value_is_not_an_override():
    got = contest(RMEM, '4096 87380 16777216', None, None, tuned('reapply_off'))
    assert not got['overridden'] and got['also_set_by'][0].startswith('tuned profile network-throughput')
    assert got['warnings'] == []


def test_only_raise_modifier_leaves_a_higher_value():
    # throughput-performance: net.core.somaxconn=>2048; ours 4096 stays, ours 1024 would be raised
    assert not contest(SOMAXCONN, '4096', None, None, tuned('reapply_off'))['overridden']
    raised = contest(SOMAXCONN, '1024', None, None, tuned('reapply_off'))
    assert raised['overridden'] and raised['theirs'] == '2048'
    assert raised['owner'] == 'tuned profile throughput-performance (included by network-throughput)'


def test_reapply_on_drop_in_wins_with_a_warning():
    got = contest(WMEM, '4096 65536 33554432', None, None, tuned('throughput'))
    assert not got['overridden'] and got['by'] is None
    assert got['also_set_by'] == ['tuned profile network-throughput (/usr/lib/tuned/network-throughput/tuned.conf)']
    assert len(got['warnings']) == 1 and 'with reapply_sysctl = 1 tuned re-applies /etc/sysctl.d' in got['warnings'][0]
    assert 'systemctl restart tuned' in got['warnings'][0]


def test_a_later_file_still_wins_when_tuned_reapplies():
    later = ('/etc/sysctl.d/90-dev-sec.conf', '0')
    owner = owner_of(later[0], '', 'net.ipv4.tcp_timestamps')
    got = contest('net.ipv4.tcp_timestamps', '1', later, owner, tuned('throughput'))
    assert got['overridden'] and not got['tuned'] and got['by'] == later[0] and 'dev-sec' in got['owner']
    assert got['fix'] == owner['fix']


def test_kernel_settings_named_as_the_owner():
    got = contest(RMEM, HEAVY_RMEM, None, None, tuned('kernel_settings'))
    assert not got['overridden']
    assert got['also_set_by'][0].startswith('linux-system-roles kernel_settings (tuned profile kernel_settings)')
    assert 'linux-system-roles kernel_settings' in got['warnings'][0]


def test_no_tuned_and_no_file_changes_nothing():
    assert contest(RMEM, HEAVY_RMEM, None, None, None) == {
        'overridden': False, 'by': None, 'theirs': None, 'owner': None, 'fix': None, 'also_set_by': [],
        'warnings': [], 'tuned': False}
    assert tuned_summary(None) is None


def test_refused_tuned_set_overrides_nothing():
    refused = dict(tuned('reapply_off'), status='refused')
    assert not contest(RMEM, HEAVY_RMEM, None, None, refused)['overridden']


def test_unknown_tuned_value_is_a_warning_not_an_override():
    state = tuned('reapply_off')
    state['sysctl'][RMEM] = dict(state['sysctl'][RMEM], value=None, note='${f:unknown} cannot be expanded here')
    got = contest(RMEM, HEAVY_RMEM, None, None, state)
    assert not got['overridden'] and 'cannot be expanded' in got['warnings'][0]


@pytest.mark.parametrize('tree, status', [('reapply_off', 'overridden'), ('throughput', 'applied')])
def test_the_planner_with_tuned(tree, status):
    plan = present(wanted={RMEM: HEAVY_RMEM}, host_facts=host(tuned=tuned(tree)))
    entry = plan.keys[RMEM]
    assert entry['status'] == status
    if status == 'overridden':
        assert entry['owner'] == 'tuned profile network-throughput' and entry['fix']
        assert 'reapply_sysctl = 0' in entry['reason'] and not plan.live_changes
        assert any('is overridden by tuned profile network-throughput' in text for text in plan.warnings)
    else:
        assert 'tuned profile network-throughput' in entry['also_set_by'] and 'owner' not in entry
        assert plan.live_changes[0][:2] == (RMEM, HEAVY_RMEM)


def test_the_planner_names_a_files_owner_and_its_fix():
    later = '/etc/sysctl.d/90-dev-sec.conf'
    owners = {'net.ipv4.tcp_timestamps': owner_of(later, '', 'net.ipv4.tcp_timestamps')}
    plan = present(wanted={'net.ipv4.tcp_timestamps': 1}, live_values=live(d={'net.ipv4.tcp_timestamps': '0'}),
                   overrides={'net.ipv4.tcp_timestamps': (later, '0')}, host_facts=host(file_owners=owners))
    entry = plan.keys['net.ipv4.tcp_timestamps']
    assert entry['status'] == 'overridden' and entry['by'] == later and 'dev-sec' in entry['owner']
    assert entry['reason'].startswith(later + ' (') and entry['fix']


def test_absent_leaves_a_key_tuned_keeps():
    saved = state(original={RMEM: '4096 16384 65536'}, applied=[RMEM])
    live = {RMEM: {'value': HEAVY_RMEM, 'scope': 'netns'}}
    opts = {'path': '/etc/sysctl.d/60-netfleet-tuning.conf', 'stale_path': None, 'state_path': '/s/state.json'}
    plan = dp.plan_absent(saved, live, None, None, {}, opts, {'tuned': tuned('reapply_off')})
    assert plan.keys[RMEM]['status'] == 'overridden' and plan.keys[RMEM]['owner'] == 'tuned profile network-throughput'
    assert plan.live_changes == []
    plan = dp.plan_absent(saved, live, None, None, {}, opts, {'tuned': tuned('throughput')})
    assert plan.keys[RMEM]['status'] == 'restored'
