# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dropin_plan: every decision of sysctl_dropin from plain data (no /proc, no files, no clock)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.netfleet.tuning.plugins.module_utils import dropin_plan as dp
from ansible_collections.netfleet.tuning.plugins.module_utils.dropin import render
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import parse_value

PATH = '/etc/sysctl.d/60-netfleet-tuning.conf'
STALE = '/etc/sysctl.d/40-netfleet-tuning.conf'
STATE_PATH = '/var/lib/netfleet-tuning/sysctl_profile.json'
GIB = 1024 ** 3

# A child network namespace on Linux 6.18 (as in the module's tests).
LIVE = {
    'net.core.rmem_max': {'value': '4194304', 'scope': 'host'},
    'net.core.netdev_max_backlog': {'value': None, 'scope': 'host'},
    'net.core.somaxconn': {'value': '4096', 'scope': 'netns'},
    'net.ipv4.tcp_rmem': {'value': '4096 16384 65536', 'scope': 'netns'},
    'net.ipv4.tcp_wmem': {'value': '4096 16384 4194304', 'scope': 'netns'},
    'net.ipv4.tcp_window_scaling': {'value': '1', 'scope': 'netns'},
    'net.ipv4.tcp_sack': {'value': '1', 'scope': 'netns'},
    'net.ipv4.tcp_adv_win_scale': {'value': '1', 'scope': 'netns'},
    'net.ipv4.tcp_collapse_max_bytes': {'value': None, 'scope': 'absent'},
    'net.ipv4.tcp_mem': {'value': '287901 383868 575802', 'scope': 'netns'},
}
WANTED = {
    'net.core.rmem_max': '16777216',
    'net.ipv4.tcp_rmem': '4096 87380 16777216',
    'net.ipv4.tcp_wmem': '4096 65536 16777216',
    'net.ipv4.tcp_window_scaling': '1',
}


def host(**changes):
    out = {'kernel_release': '6.18.44', 'mem_total': 24 * GIB, 'page_size': 4096, 'now': '2026-01-01T00:00:00Z',
           'own_mode_ok': True}
    out.update(changes)
    return out


def options(**changes):
    out = {'path': PATH, 'stale_path': None, 'state_path': STATE_PATH, 'proc_path': '/proc', 'priority': 60,
           'profile': 'json_api', 'header': 'Ansible managed', 'comments': {}, 'notes': [], 'only_raise': True,
           'unsettable': 'skip', 'force': [], 'fit_to_memory': [], 'names': {}}
    out.update(changes)
    return out


def state(**changes):
    out = {'version': 2, 'created': '2025-12-01T00:00:00Z', 'priority': 60, 'original': {}, 'applied': [],
           'previous_files': {}}
    out.update(changes)
    return out


def live(**values):
    """LIVE with some values changed: key with '_' for '.' is awkward, so pass a dict through ``values['d']``."""
    out = dict((key, dict(entry)) for key, entry in LIVE.items())
    for key, value in values.get('d', {}).items():
        out[key] = dict(out.get(key, {'scope': 'netns'}), value=value)
    return out


def present(wanted=None, live_values=None, saved=None, own_text=None, stale_text=None, overrides=None,
            host_facts=None, opts=None):
    wanted = dict((key, parse_value(key, raw)) for key, raw in (WANTED if wanted is None else wanted).items())
    return dp.plan_present(wanted, LIVE if live_values is None else live_values,
                           saved, own_text, stale_text, overrides or {}, host_facts or host(), opts or options())


def ours(settings=None, **kwargs):
    return render(settings or {'net.ipv4.tcp_rmem': '4096 87380 16777216'}, profile='json_api', **kwargs)


def statuses(plan):
    return dict((key, entry['status']) for key, entry in plan.keys.items())


# ---- check_settings ----------------------------------------------------------------------------

def test_check_settings_normalises():
    assert dp.check_settings({'net.ipv4.tcp_rmem': [4096, '87380', 16777216]}, []) == {
        'net.ipv4.tcp_rmem': (4096, 87380, 16777216)}


def test_check_settings_empty_names_no_rule():
    with pytest.raises(dp.Refusal) as info:
        dp.check_settings({}, [])
    assert info.value.message.startswith('settings is empty') and info.value.rules is None


def test_check_settings_invalid_lists_every_rule():
    with pytest.raises(dp.Refusal) as info:
        dp.check_settings({'net.ipv4.tcp_rmem': '1 2', 'kernel.panic': 1}, [])
    assert info.value.message.startswith('invalid settings: ')
    assert sorted(info.value.rules) == ['arity', 'key_pattern']


def test_stale_path():
    assert dp.stale_path('/etc/sysctl.d', None, 60) is None
    assert dp.stale_path('/etc/sysctl.d', state(priority=60), 60) is None
    assert dp.stale_path('/etc/sysctl.d', state(priority=None), 60) is None
    assert dp.stale_path('/etc/sysctl.d', state(priority=5), 60) == '/etc/sysctl.d/05-netfleet-tuning.conf'


# ---- a first rollout ---------------------------------------------------------------------------

def test_first_rollout():
    plan = present()
    assert statuses(plan) == {'net.core.rmem_max': 'skipped', 'net.ipv4.tcp_rmem': 'applied',
                              'net.ipv4.tcp_wmem': 'applied', 'net.ipv4.tcp_window_scaling': 'unchanged'}
    assert plan.keys['net.core.rmem_max']['reason'] == dp.SCOPE_REASON['host']
    assert plan.keys['net.ipv4.tcp_rmem'] == {'scope': 'netns', 'desired': '4096 87380 16777216',
                                              'before': '4096 16384 65536', 'value': '4096 87380 16777216',
                                              'status': 'applied'}
    assert plan.changed and plan.file_changed and not plan.writes_nothing
    assert plan.live_changes == [('net.ipv4.tcp_rmem', '4096 87380 16777216', '4096 16384 65536'),
                                 ('net.ipv4.tcp_wmem', '4096 65536 16777216', '4096 16384 4194304')]
    assert plan.live_what == 'applying the drop-in'
    assert plan.new_state == {'version': 2, 'created': '2026-01-01T00:00:00Z', 'priority': 60,
                              'original': {'net.ipv4.tcp_rmem': '4096 16384 65536',
                                           'net.ipv4.tcp_wmem': '4096 16384 4194304',
                                           'net.ipv4.tcp_window_scaling': '1'},
                              'applied': ['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'], 'previous_files': {}}
    assert [step.action for step in plan.steps] == ['save_state', 'dropin']
    save, write = plan.steps
    assert save.path == STATE_PATH and save.after == plan.new_state and save.before is None
    assert write.path == PATH and write.after == plan.content and write.before is None
    assert 'net.ipv4.tcp_rmem = 4096 87380 16777216' in plan.content
    assert 'net.core.rmem_max =' not in plan.content and '#   net.core.rmem_max: read-only' in plan.content
    assert plan.mem_total == 24 * GIB and plan.memory_cap == 512 * 1024 * 1024
    file_diff, live_diff = plan.diffs
    assert file_diff == {'before_header': PATH, 'after_header': PATH, 'before': '', 'after': plan.content}
    assert live_diff['before'] == 'net.ipv4.tcp_rmem = 4096 16384 65536\nnet.ipv4.tcp_wmem = 4096 16384 4194304\n'
    assert plan.warnings == []


def test_second_rollout_changes_nothing():
    first = present()
    applied = dict(LIVE)
    for key, new, dummy_old in first.live_changes:
        applied[key] = dict(LIVE[key], value=new)
    plan = present(live_values=applied, saved=first.new_state, own_text=first.content)
    assert not plan.changed and not plan.file_changed
    assert plan.steps == [] and plan.live_changes == [] and plan.diffs == []
    assert set(statuses(plan).values()) == {'unchanged', 'skipped'}


def test_created_differs_but_state_is_the_same():
    first = present()
    plan = present(saved=dict(first.new_state, created='2020-01-01T00:00:00Z'), own_text=first.content)
    assert [step.action for step in plan.steps] == []  # the live values still differ, but the state is right
    assert plan.changed and plan.live_changes


def test_wrong_mode_only_fixes_the_mode():
    first = present()
    plan = present(saved=first.new_state, own_text=first.content, host_facts=host(own_mode_ok=False))
    assert [step.action for step in plan.steps] == ['fix_mode'] and plan.file_changed
    assert plan.diffs[0]['before_header'] == 'live values (/proc/sys)'  # no file diff: its text is right


# ---- scope, kernel, unsettable -----------------------------------------------------------------

def test_absent_and_unreadable_keys_are_skipped():
    values = live(d={'net.ipv4.tcp_sack': None})
    values['net.ipv4.tcp_sack']['error'] = 'cannot read /proc/sys/net/ipv4/tcp_sack: Permission denied'
    plan = present(wanted={'net.ipv4.tcp_collapse_max_bytes': '6291456', 'net.ipv4.tcp_sack': '1',
                           'net.core.somaxconn': '8192'}, live_values=values)
    assert plan.keys['net.ipv4.tcp_collapse_max_bytes']['reason'] == dp.SCOPE_REASON['absent']
    assert plan.keys['net.ipv4.tcp_sack'] == dict(status='skipped', scope='netns', desired='1', before=None,
                                                  reason=values['net.ipv4.tcp_sack']['error'])
    assert 'tcp_collapse_max_bytes =' not in plan.content


@pytest.mark.parametrize('release, skipped', [('6.18.44-fc-v657', True), ('6.6.0', True), ('6.5.13', False),
                                              ('5.15.0-91-generic', False), ('unparsable', False)])
def test_obsolete_key_is_skipped_on_new_kernels(release, skipped):
    plan = present(wanted={'net.ipv4.tcp_adv_win_scale': '2'}, host_facts=host(kernel_release=release))
    entry = plan.keys['net.ipv4.tcp_adv_win_scale']
    if skipped:
        assert entry['status'] == 'skipped' and 'obsolete since Linux 6.6' in entry['reason']
        assert plan.writes_nothing
    else:
        assert entry['status'] == 'applied'


def test_unsettable_fail_refuses_naming_the_option():
    with pytest.raises(dp.Refusal) as info:
        present(wanted=dict(WANTED, **{'net.core.netdev_max_backlog': '30000'}), opts=options(unsettable='fail'))
    refusal = info.value
    assert refusal.rules == ['unsettable']
    assert refusal.message.startswith('2 key(s) cannot be set on this host and unsettable is fail: net.core.'
                                      'netdev_max_backlog (read-only or missing')
    assert refusal.message.endswith('. Nothing was changed.')
    assert refusal.keys['net.core.rmem_max']['status'] == 'skipped'  # the outcome decided so far
    with pytest.raises(dp.Refusal) as info:
        present(opts=options(unsettable='fail', names={'unsettable': 'sysctl_profile_unsettable'}))
    assert 'and sysctl_profile_unsettable is fail:' in info.value.message


def test_nothing_settable_writes_nothing():
    plan = present(wanted={'net.core.rmem_max': '16777216', 'net.core.netdev_max_backlog': '30000'})
    assert plan.writes_nothing and not plan.changed and plan.content is None and plan.steps == []
    assert plan.warnings == ['none of the 2 key(s) can be set on this host (all skipped): no drop-in written, '
                             'nothing changed']


def test_nothing_settable_with_our_file_rewrites_it():
    plan = present(wanted={'net.core.rmem_max': '16777216'}, own_text=ours())
    assert not plan.writes_nothing and plan.changed
    assert 'net.ipv4.tcp_rmem =' not in plan.content


# ---- memory --------------------------------------------------------------------------------------

def test_memory_guardrail_refuses():
    with pytest.raises(dp.Refusal) as info:
        present(wanted={'net.ipv4.tcp_rmem': '4096 87380 33554432'}, host_facts=host(mem_total=512 * 1024 ** 2))
    refusal = info.value
    assert refusal.rules == ['memory'] and refusal.extra == {'mem_total_bytes': 512 * 1024 ** 2}
    assert refusal.message.startswith('memory guardrail: net.ipv4.tcp_rmem: 33554432 bytes per socket')
    assert refusal.message.endswith('. Nothing was changed.')


def test_memory_guardrail_ignores_keys_not_written():
    plan = present(wanted={'net.core.rmem_max': '33554432', 'net.ipv4.tcp_window_scaling': '1'},
                   host_facts=host(mem_total=512 * 1024 ** 2))
    assert plan.keys['net.core.rmem_max']['status'] == 'skipped'


def test_memory_force_applies_anyway():
    plan = present(wanted={'net.ipv4.tcp_rmem': '4096 87380 33554432'}, host_facts=host(mem_total=512 * 1024 ** 2),
                   opts=options(force=['memory']))
    assert plan.keys['net.ipv4.tcp_rmem']['status'] == 'applied'


def test_tcp_mem_guardrail_counts_pages():
    with pytest.raises(dp.Refusal) as info:
        present(wanted={'net.ipv4.tcp_mem': '100000 200000 400000'}, host_facts=host(mem_total=GIB))
    assert 'net.ipv4.tcp_mem: max 400000 pages' in info.value.message
    plan = present(wanted={'net.ipv4.tcp_mem': '100000 200000 400000'}, host_facts=host(mem_total=GIB, page_size=1024),
                   opts=options(only_raise=False))
    assert plan.keys['net.ipv4.tcp_mem']['status'] == 'applied'


def test_fit_to_memory_lowers_the_listed_keys():
    wanted = {'net.ipv4.tcp_rmem': '4096 87380 67108864', 'net.ipv4.tcp_wmem': '4096 65536 67108864'}
    plan = present(wanted=wanted, host_facts=host(mem_total=GIB),
                   opts=options(fit_to_memory=['net.ipv4.tcp_rmem', 'net.core.rmem_max'],
                                notes=['bdp profile: ...'], force=['memory']))
    assert plan.keys['net.ipv4.tcp_rmem']['value'] == '4096 87380 33554432'
    assert plan.keys['net.ipv4.tcp_rmem']['desired'] == '4096 87380 67108864'
    assert plan.keys['net.ipv4.tcp_wmem']['value'] == '4096 65536 67108864'  # not listed: forced instead
    assert '# ; lowered to 33554432 by the memory guardrail' in plan.content
    assert '# bdp profile: ...' in plan.content and '#   net.ipv4.tcp_rmem lowered to 33554432' in plan.content


def test_unknown_memtotal_warns_and_skips_the_guardrail():
    plan = present(wanted={'net.ipv4.tcp_rmem': '4096 87380 1073741824'}, host_facts=host(mem_total=None))
    assert plan.keys['net.ipv4.tcp_rmem']['status'] == 'applied'
    assert plan.memory_cap is None
    assert plan.warnings == ['MemTotal not found in /proc/meminfo: the memory guardrail was not applied']


# ---- the memory budget ---------------------------------------------------------------------------
# LIVE's tcp_mem is this machine's default (24 GiB): pressure 383868 pages = 1572323328 bytes; WANTED puts
# 16 MiB + 16 MiB per socket: 46 such sockets fit under pressure, 47 do not, 71 pass high too.

PRESSURE = 383868 * 4096
OVER = 'memory budget: 47 established TCP socket(s) x 33554432 bytes each'


def test_budget_under_pressure():
    plan = present(host_facts=host(established=46))
    budget = plan.memory_budget
    assert budget['established'] == 46 and budget['per_socket_max_bytes'] == 32 * 1024 ** 2
    assert budget['tcp_rmem_max'] == budget['tcp_wmem_max'] == 16777216  # the planned maxima, not the live ones
    assert budget['worst_case_bytes'] == 46 * 32 * 1024 ** 2
    assert budget['headroom_bytes'] == PRESSURE - 46 * 32 * 1024 ** 2 > 0
    assert budget['tcp_mem_pages'] == {'low': 287901, 'pressure': 383868, 'high': 575802}
    assert budget['tcp_mem_source'] == 'live'
    assert budget['exceeds_pressure'] is False and budget['exceeds_high'] is False
    assert plan.warnings == [] and plan.changed


def test_budget_over_pressure_warns_and_plans_as_before():
    plan = present(host_facts=host(established=47))
    assert plan.memory_budget['exceeds_pressure'] is True and plan.memory_budget['exceeds_high'] is False
    assert plan.memory_budget['headroom_bytes'] == PRESSURE - 47 * 32 * 1024 ** 2 < 0
    assert len(plan.warnings) == 1 and plan.warnings[0].startswith(OVER)
    assert 'Lower the buffer maxima or raise net.ipv4.tcp_mem' in plan.warnings[0]
    # a warning only: the same plan as without the budget
    assert [step.action for step in plan.steps] == ['save_state', 'dropin']
    assert statuses(plan) == statuses(present())


def test_budget_over_high():
    plan = present(host_facts=host(established=71))
    assert plan.memory_budget['exceeds_pressure'] is True and plan.memory_budget['exceeds_high'] is True
    assert 'and even its high 575802 pages' in plan.warnings[0]


def test_budget_fail_refuses_before_any_change():
    names = {'over_budget': 'sysctl_profile_over_budget'}
    with pytest.raises(dp.Refusal) as info:
        present(host_facts=host(established=47), opts=options(over_budget='fail', names=names))
    refusal = info.value
    assert refusal.rules == ['memory_budget']
    assert refusal.message.startswith(OVER)
    assert refusal.message.endswith('; sysctl_profile_over_budget is fail (rule: memory_budget). Nothing was changed.')
    assert refusal.extra['memory_budget']['exceeds_pressure'] is True
    assert refusal.warnings == []  # the budget is the refusal, not also a warning
    # without names the option names itself; under pressure the fail option changes nothing
    with pytest.raises(dp.Refusal) as info:
        present(host_facts=host(established=47), opts=options(over_budget='fail'))
    assert '; over_budget is fail (rule: memory_budget)' in info.value.message
    plan = present(host_facts=host(established=46), opts=options(over_budget='fail'))
    assert plan.warnings == [] and plan.changed


def test_budget_fail_also_when_the_values_are_live_already():
    """A second run finds nothing to change, but today's connections still exceed pressure at these
    maxima: the fail option fails every run until the maxima or tcp_mem change (as unsettable=fail)."""
    first = present()
    again = live(d={'net.ipv4.tcp_rmem': '4096 87380 16777216', 'net.ipv4.tcp_wmem': '4096 65536 16777216'})
    second = present(live_values=again, saved=first.new_state, own_text=first.content, host_facts=host(established=0))
    assert not second.changed and second.memory_budget['exceeds_pressure'] is False
    with pytest.raises(dp.Refusal):
        present(live_values=again, saved=first.new_state, own_text=first.content, host_facts=host(established=47),
                opts=options(over_budget='fail'))


def test_budget_tcp_mem_hidden_says_so_and_never_fails():
    hidden = live()
    hidden['net.ipv4.tcp_mem'] = {'value': None, 'scope': 'host'}
    for opts in (options(), options(over_budget='fail')):
        plan = present(live_values=hidden, host_facts=host(established=100000), opts=opts)
        budget = plan.memory_budget
        assert budget['tcp_mem_pages'] is None and budget['tcp_mem_bytes'] is None
        assert budget['headroom_bytes'] is None and budget['exceeds_pressure'] is None
        assert budget['worst_case_bytes'] == 100000 * 32 * 1024 ** 2
        assert 'net.ipv4.tcp_mem is not visible in this network namespace (host scope' in budget['note']
        assert plan.warnings == []
    # a live dict without the key at all (an older caller) is the same
    del hidden['net.ipv4.tcp_mem']
    assert present(live_values=hidden, host_facts=host(established=100000)).memory_budget['tcp_mem_pages'] is None


def test_budget_no_connection():
    plan = present(host_facts=host(established=0), opts=options(over_budget='fail'))
    assert plan.memory_budget['worst_case_bytes'] == 0 and plan.memory_budget['headroom_bytes'] == PRESSURE
    assert plan.memory_budget['exceeds_pressure'] is False and plan.memory_budget['sockets_under_pressure'] == 46


def test_budget_established_unknown():
    plan = present(host_facts=host(established=None, established_unknown='/proc/net/snmp is missing'),
                   opts=options(over_budget='fail'))
    assert plan.memory_budget['established'] is None and plan.memory_budget['exceeds_pressure'] is None
    assert '(/proc/net/snmp is missing)' in plan.memory_budget['note'] and plan.warnings == []


def test_budget_uses_the_values_that_will_be_live():
    # only_raise keeps the host's higher tcp_wmem max (64 MiB): that is the ceiling after the run
    higher = live(d={'net.ipv4.tcp_wmem': '4096 16384 67108864'})
    assert present(live_values=higher, host_facts=host(established=1)).memory_budget['tcp_wmem_max'] == 67108864
    # a later file overrides tcp_rmem: the live value (64 KiB) stays
    plan = present(overrides={'net.ipv4.tcp_rmem': ('/etc/sysctl.d/99-local.conf', '4096 65536 8388608')},
                   host_facts=host(established=1))
    assert plan.memory_budget['tcp_rmem_max'] == 65536
    # a key outside the profile keeps its live value
    plan = present(wanted={'net.ipv4.tcp_rmem': '4096 87380 16777216'}, host_facts=host(established=1))
    assert plan.memory_budget['tcp_wmem_max'] == 4194304 and plan.memory_budget['tcp_rmem_max'] == 16777216


def test_budget_with_tcp_mem_in_the_dropin():
    wanted = dict(WANTED, **{'net.ipv4.tcp_mem': '786432 1048576 1572864'})
    plan = present(wanted=wanted, host_facts=host(established=100))
    budget = plan.memory_budget
    assert plan.keys['net.ipv4.tcp_mem']['status'] == 'applied'
    assert budget['tcp_mem_source'] == 'drop-in' and budget['tcp_mem_pages']['pressure'] == 1048576
    assert budget['exceeds_pressure'] is False and budget['sockets_under_pressure'] == 128
    assert 'as the drop-in sets it' in budget['note'] and plan.warnings == []


def test_budget_when_nothing_can_be_written():
    plan = present(wanted={'net.core.rmem_max': '16777216'}, host_facts=host(established=200))
    assert plan.writes_nothing
    assert plan.memory_budget['tcp_rmem_max'] == 65536 and plan.memory_budget['worst_case_bytes'] == 200 * (
        65536 + 4194304)


def test_budget_absent_has_none():
    opts = {'path': PATH, 'stale_path': None, 'state_path': STATE_PATH}
    assert dp.plan_absent(None, {}, None, None, {}, opts).memory_budget is None


# ---- only_raise and the values from before the first rollout ------------------------------------------

def test_only_raise_keeps_higher_per_element():
    plan = present(live_values=live(d={'net.ipv4.tcp_rmem': '8192 131072 33554432'}))
    entry = plan.keys['net.ipv4.tcp_rmem']
    assert entry['status'] == 'unchanged' and entry['value'] == '8192 131072 33554432'
    assert entry['reason'] == "only_raise: kept the host's higher 8192 131072 33554432 (profile: 4096 87380 16777216)"
    assert '# ; only_raise: kept' in plan.content


def test_only_raise_mixed_elements():
    plan = present(live_values=live(d={'net.ipv4.tcp_rmem': '4096 16384 33554432'}))
    assert plan.keys['net.ipv4.tcp_rmem']['value'] == '4096 87380 33554432'
    assert plan.keys['net.ipv4.tcp_rmem']['status'] == 'applied'


def test_only_raise_off_lowers():
    plan = present(live_values=live(d={'net.ipv4.tcp_rmem': '4096 131072 33554432'}),
                   opts=options(only_raise=False))
    assert plan.keys['net.ipv4.tcp_rmem']['value'] == '4096 87380 16777216'
    assert 'reason' not in plan.keys['net.ipv4.tcp_rmem']


def test_only_raise_compares_with_the_saved_original():
    saved = state(original={'net.core.somaxconn': '4096'}, applied=['net.core.somaxconn'])
    values = live(d={'net.core.somaxconn': '8192'})
    plan = present(wanted={'net.core.somaxconn': '6000'}, live_values=values, saved=saved, own_text=ours())
    assert plan.keys['net.core.somaxconn']['status'] == 'applied' and plan.live_changes == [
        ('net.core.somaxconn', '6000', '8192')]
    plan = present(wanted={'net.core.somaxconn': '1024'}, live_values=values, saved=saved, own_text=ours())
    assert plan.keys['net.core.somaxconn']['value'] == '4096'
    assert plan.new_state['original'] == {'net.core.somaxconn': '4096'}  # recorded once, never overwritten


def test_live_value_failing_the_rules_is_left_alone():
    plan = present(live_values=live(d={'net.ipv4.tcp_wmem': '4096 16384 2147483647'}))
    entry = plan.keys['net.ipv4.tcp_wmem']
    assert entry['status'] == 'skipped' and 'fails the input rules' in entry['reason']
    assert 'net.ipv4.tcp_wmem' not in plan.new_state['original']
    assert '#   net.ipv4.tcp_wmem: its live value' in plan.content


def test_our_dropin_without_state_records_no_tuned_value_as_original():
    wanted = dict(WANTED, **{'net.core.somaxconn': '8192'})
    plan = present(wanted=wanted, own_text=ours())
    assert plan.warnings == ['%s exists but %s does not: the values from before the first rollout of '
                             'net.ipv4.tcp_rmem are unknown, so state=absent will leave them as they are'
                             % (PATH, STATE_PATH)]
    assert 'net.ipv4.tcp_rmem' not in plan.new_state['original']
    assert plan.new_state['original']['net.core.somaxconn'] == '4096'
    assert plan.keys['net.ipv4.tcp_rmem']['status'] == 'applied'


# ---- other files --------------------------------------------------------------------------------------

def test_overridden_by_a_later_file():
    later = '/etc/sysctl.d/99-local.conf'
    plan = present(overrides={'net.ipv4.tcp_rmem': (later, '4096 65536 8388608'),
                              'net.ipv4.tcp_wmem': ('/usr/lib/sysctl.d/80-same.conf', '4096 65536 16777216')})
    entry = plan.keys['net.ipv4.tcp_rmem']
    assert entry['status'] == 'overridden' and entry['by'] == later
    assert entry['reason'] == ('%s sets net.ipv4.tcp_rmem = 4096 65536 8388608 later in the load order: live value '
                               'left as that file sets it' % later)
    assert plan.warnings == ['net.ipv4.tcp_rmem is overridden by %s (net.ipv4.tcp_rmem = 4096 65536 8388608 comes '
                             'after %s): not applied live' % (later, PATH)]
    # the same value set later is not an override
    assert plan.keys['net.ipv4.tcp_wmem']['status'] == 'applied'
    assert plan.keys['net.ipv4.tcp_wmem']['also_set_by'] == '/usr/lib/sysctl.d/80-same.conf'
    assert [key for key, dummy_new, dummy_old in plan.live_changes] == ['net.ipv4.tcp_wmem']
    assert plan.new_state['applied'] == ['net.ipv4.tcp_wmem']


def test_foreign_file_at_our_path_is_refused():
    with pytest.raises(dp.Refusal) as info:
        present(own_text='# hand made\nnet.ipv4.tcp_rmem = 1 2 3\n')
    assert info.value.rules == ['foreign_file'] and info.value.keys == {}
    assert info.value.message.startswith('drop-in %s holds a file netfleet.tuning did not write' % PATH)


def test_stale_priority_file_of_ours_is_removed():
    old = ours()
    plan = present(saved=state(priority=40), stale_text=old, opts=options(stale_path=STALE))
    assert plan.file_changed and plan.new_state['priority'] == 60
    assert [(step.action, step.path) for step in plan.steps] == [
        ('save_state', STATE_PATH), ('dropin', PATH), ('backup', STALE), ('dropin', STALE)]
    remove = plan.steps[-1]
    assert remove.after is None and remove.before == old


def test_stale_file_that_is_not_ours_is_left():
    plan = present(saved=state(priority=40), stale_text='# someone else\n', opts=options(stale_path=STALE))
    assert STALE not in [step.path for step in plan.steps]
    assert plan.warnings == ['%s is no longer a netfleet-tuning drop-in (no fingerprint line): left as it is' % STALE]


def test_version_1_previous_file_goes_to_the_backups():
    saved = state(priority=40, previous_files={'40-netfleet-tuning.conf': 'kernel.panic = 1\n'})
    plan = present(saved=saved, stale_text=ours(), opts=options(stale_path=STALE))
    assert plan.steps[3] == dp.Step('keep_previous', STALE, 'kernel.panic = 1\n', None, True)
    assert plan.new_state['previous_files'] == {}


# ---- keys released from the profile ------------------------------------------------------------------

def test_released_keys_are_restored():
    saved = state(original={'net.core.somaxconn': '4096', 'net.ipv4.tcp_sack': '1', 'net.ipv4.tcp_rmem': '4096 16384 65536'},
                  applied=['net.core.somaxconn', 'net.ipv4.tcp_sack', 'net.ipv4.tcp_rmem'])
    values = live(d={'net.core.somaxconn': '8192', 'net.ipv4.tcp_rmem': '4096 87380 16777216'})
    plan = present(wanted={'net.ipv4.tcp_rmem': '4096 87380 16777216'}, live_values=values, saved=saved,
                   own_text=ours())
    assert plan.keys['net.core.somaxconn'] == {
        'status': 'restored', 'scope': 'netns', 'before': '8192', 'value': None,
        'reason': 'no longer in the profile: original value from before the first rollout'}
    assert plan.keys['net.ipv4.tcp_sack']['status'] == 'unchanged'  # already back at its original
    assert plan.live_changes == [('net.core.somaxconn', '4096', '8192')]
    assert plan.new_state['applied'] == ['net.ipv4.tcp_rmem']
    assert plan.new_state['original'] == {'net.ipv4.tcp_rmem': '4096 16384 65536'}
    assert plan.diffs[-1]['after'] == 'net.core.somaxconn = 4096\n'


def test_released_keys_without_original_or_scope_are_kept():
    saved = state(original={'net.core.somaxconn': None, 'net.core.rmem_max': '212992'},
                  applied=['net.core.somaxconn', 'net.core.rmem_max'])
    plan = present(wanted={'net.ipv4.tcp_rmem': '4096 87380 16777216'}, saved=saved, own_text=ours())
    assert set(plan.keys) == {'net.ipv4.tcp_rmem'}
    assert plan.new_state['applied'] == ['net.core.rmem_max', 'net.core.somaxconn', 'net.ipv4.tcp_rmem']


def test_state_key_not_managed_is_refused():
    saved = state(original={'net.ipv4.ip_forward': '1'}, applied=['net.ipv4.ip_forward'])
    with pytest.raises(dp.Refusal) as info:
        present(saved=saved, own_text=ours())
    assert info.value.rules == ['unmanaged_key'] and 'net.ipv4.ip_forward' in info.value.message
    assert 'Nothing was changed' not in info.value.message  # the state rule already says so
    # a key our own drop-in sets is managed
    plan = present(saved=saved, own_text=ours({'net.ipv4.ip_forward': '1'}),
                   live_values=live(d={'net.ipv4.ip_forward': '0'}))
    assert plan.keys['net.ipv4.ip_forward']['status'] == 'restored'


# ---- state=absent ---------------------------------------------------------------------------------------

def absent(saved=None, live_values=None, own_text=None, stale_text=None, overrides=None, stale=None):
    return dp.plan_absent(saved, LIVE if live_values is None else live_values, own_text, stale_text, overrides or {},
                          {'path': PATH, 'stale_path': stale, 'state_path': STATE_PATH})


def test_absent_restores_each_applied_key():
    saved = state(original={'net.ipv4.tcp_rmem': '4096 16384 65536', 'net.ipv4.tcp_wmem': '4096 16384 4194304',
                            'net.core.somaxconn': None, 'net.core.rmem_max': '212992', 'net.ipv4.tcp_sack': '1'},
                  applied=['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem', 'net.core.somaxconn', 'net.core.rmem_max',
                           'net.ipv4.tcp_sack'])
    values = live(d={'net.ipv4.tcp_rmem': '4096 87380 16777216', 'net.ipv4.tcp_wmem': '4096 65536 16777216'})
    text = ours()
    plan = absent(saved, values, own_text=text,
                  overrides={'net.ipv4.tcp_wmem': ('/etc/sysctl.d/99-local.conf', '1 2 3')})
    assert statuses(plan) == {'net.ipv4.tcp_rmem': 'restored', 'net.ipv4.tcp_wmem': 'overridden',
                              'net.core.somaxconn': 'skipped', 'net.core.rmem_max': 'skipped',
                              'net.ipv4.tcp_sack': 'unchanged'}
    assert plan.keys['net.ipv4.tcp_rmem'] == {'scope': 'netns', 'before': '4096 87380 16777216',
                                              'desired': '4096 16384 65536', 'value': None, 'status': 'restored',
                                              'reason': 'value from before the first rollout'}
    assert plan.keys['net.core.somaxconn']['reason'].startswith('not known from before the first rollout')
    assert plan.keys['net.core.rmem_max']['reason'] == dp.SCOPE_REASON['host']
    assert plan.keys['net.ipv4.tcp_wmem']['by'] == '/etc/sysctl.d/99-local.conf'
    assert plan.live_changes == [('net.ipv4.tcp_rmem', '4096 16384 65536', '4096 87380 16777216')]
    assert plan.live_what == 'restoring the values from before the first rollout'
    assert plan.steps == [dp.Step('backup', PATH, text, None, False), dp.Step('dropin', PATH, None, text, True)]
    assert plan.changed and plan.file_changed and plan.delete_state
    assert plan.diffs[0] == {'before_header': PATH, 'after_header': '(removed)', 'before': text, 'after': ''}


def test_absent_with_nothing_there_changes_nothing():
    plan = absent()
    assert not plan.changed and plan.keys == {} and plan.steps == [] and plan.diffs == []


def test_absent_without_state_removes_our_file_and_warns():
    plan = absent(own_text=ours())
    assert plan.changed and not plan.delete_state and plan.live_changes == []
    assert plan.warnings == ['no saved values in %s: the drop-in is removed but live values stay as they are'
                             % STATE_PATH]


def test_absent_leaves_a_foreign_file():
    plan = absent(own_text='# hand made\n')
    assert not plan.changed and plan.steps == []
    assert plan.warnings == ['%s is not a netfleet-tuning drop-in (no fingerprint line): left as it is' % PATH]


def test_absent_removes_the_stale_file_and_keeps_a_version_1_file():
    saved = state(priority=40, previous_files={'40-netfleet-tuning.conf': 'kernel.panic = 1\n'})
    plan = absent(saved, own_text=ours(), stale_text=ours(), stale=STALE)
    assert [(step.action, step.path) for step in plan.steps] == [
        ('backup', STALE), ('keep_previous', STALE), ('dropin', STALE), ('backup', PATH), ('dropin', PATH)]
    assert plan.steps[1].after == 'kernel.panic = 1\n'


def test_absent_state_alone_is_a_change():
    plan = absent(state())
    assert plan.changed and not plan.file_changed and plan.delete_state


def test_absent_refuses_unmanaged_keys():
    saved = state(original={'net.ipv4.ip_forward': '1'}, applied=['net.ipv4.ip_forward'])
    with pytest.raises(dp.Refusal) as info:
        absent(saved, live(d={'net.ipv4.ip_forward': '0'}))
    assert info.value.rules == ['unmanaged_key']


# ---- words: what this host may set (issue 16) -----------------------------------------------------------

CC = 'net.ipv4.tcp_congestion_control'
QDISC = 'net.core.default_qdisc'
# Measured on this project's machine (Linux 6.18.44): the kernel offers reno bbr cubic, allows reno bbr.
INIT_CC = {'child_netns': False, 'available': ('reno', 'bbr', 'cubic'), 'allowed': ('reno', 'bbr')}
CHILD_CC = dict(INIT_CC, child_netns=True)
CONFIG = {'source': '/proc/config.gz', 'tried': [],
          'options': {'CONFIG_NET_SCH_FQ': 'y', 'CONFIG_NET_SCH_FQ_CODEL': 'm', 'CONFIG_NET_SCH_CAKE': 'm',
                      'CONFIG_NET_SCH_SFQ': 'n'}}
MODULES = {'dir': '/lib/modules/6.18.44', 'present': True, 'modules': ['sch_fq_codel']}


def words_live(cc='reno', qdisc='pfifo_fast', qdisc_scope='netns'):
    return live(d={CC: cc, QDISC: qdisc}) if qdisc_scope == 'netns' else dict(
        live(d={CC: cc}), **{QDISC: {'value': None, 'scope': qdisc_scope}})


def words(wanted, offered=None, config=None, modules=None, **live_values):
    """plan_present for ``wanted`` with ``offered`` (the congestion control lists), the kernel config and modules;
    ``live_values``: words_live's (the live congestion control ``cc``, default qdisc and its scope)."""
    facts = host(congestion_control=offered, kernel_config=config, qdisc_modules=modules)
    return present(wanted=wanted, live_values=words_live(**live_values), host_facts=facts)


def refusal_of(*args, **kwargs):
    with pytest.raises(dp.Refusal) as info:
        words(*args, **kwargs)
    return info.value


def test_child_netns_applies_an_allowed_algorithm():
    plan = words({CC: 'bbr'}, CHILD_CC)
    assert plan.keys[CC] == {'scope': 'netns', 'desired': 'bbr', 'before': 'reno', 'value': 'bbr', 'status': 'applied'}
    assert '\nnet.ipv4.tcp_congestion_control = bbr\n' in plan.content
    assert plan.live_changes == [(CC, 'bbr', 'reno')] and plan.new_state['original'][CC] == 'reno'


def test_child_netns_refuses_what_the_host_does_not_allow():
    # writing cubic in a child network namespace fails with EPERM here: refused before any change
    refusal = refusal_of({CC: 'cubic', 'net.core.somaxconn': '8192'}, CHILD_CC, cc='bbr')
    assert refusal.rules == ['not_available']
    assert refusal.message == (
        'net.ipv4.tcp_congestion_control: cubic is not allowed in this network namespace: it may set reno bbr '
        '(net.ipv4.tcp_allowed_congestion_control; a child network namespace may only set what the host allows, '
        'anything else fails with EPERM). To use cubic here, add it to net.ipv4.tcp_allowed_congestion_control on '
        'the host, in the initial network namespace (where it must be in net.ipv4.tcp_available_congestion_control) '
        '(rule: not_available). Nothing was changed.')
    assert refusal.keys[CC]['desired'] == 'cubic' and 'status' not in refusal.keys[CC]


def test_initial_netns_takes_what_is_available():
    plan = words({CC: 'cubic'}, INIT_CC, cc='bbr')
    assert plan.keys[CC]['status'] == 'applied' and plan.keys[CC]['value'] == 'cubic'
    refusal = refusal_of({CC: 'htcp'}, INIT_CC)
    assert refusal.rules == ['not_available']
    assert refusal.message.startswith(
        'net.ipv4.tcp_congestion_control: htcp is not available on this host: it may set reno bbr cubic '
        '(net.ipv4.tcp_available_congestion_control). Load the algorithm\'s module first, in the initial network '
        'namespace (modprobe tcp_htcp), or choose one of those (rule: not_available)')


def test_the_live_value_is_not_checked():
    plan = words({CC: 'cubic'}, CHILD_CC, cc='cubic')
    assert plan.keys[CC]['status'] == 'unchanged' and 'reason' not in plan.keys[CC]


def test_only_raise_never_orders_words():
    plan = words({CC: 'bbr'}, INIT_CC, cc='cubic')   # 'cubic' > 'bbr' as text: must not be kept
    assert plan.keys[CC]['value'] == 'bbr' and plan.keys[CC]['status'] == 'applied'
    assert 'reason' not in plan.keys[CC] and 'only_raise' not in plan.content


def test_unreadable_lists_leave_it_to_the_kernel_with_a_note():
    plan = words({CC: 'bbr'}, dict(CHILD_CC, allowed=None))
    assert plan.keys[CC]['status'] == 'applied'
    assert plan.keys[CC]['reason'].startswith('net.ipv4.tcp_allowed_congestion_control could not be read, so bbr '
                                              'was not checked before the write: the kernel decides')
    plan = words({CC: 'bbr'}, None)   # nothing gathered at all
    assert plan.keys[CC]['status'] == 'applied' and 'could not be read' in plan.keys[CC]['reason']
    plan = words({CC: 'cubic'}, dict(INIT_CC, child_netns=None))
    assert plan.keys[CC]['status'] == 'applied'
    assert plan.keys[CC]['reason'].startswith('whether this is a child network namespace is unknown: cubic was '
                                              'checked against net.ipv4.tcp_available_congestion_control only')


def test_default_qdisc_offered_by_the_kernel():
    plan = words({QDISC: 'fq'}, config=CONFIG)                      # =y
    assert plan.keys[QDISC]['status'] == 'applied' and 'reason' not in plan.keys[QDISC]
    assert '\nnet.core.default_qdisc = fq\n' in plan.content
    plan = words({QDISC: 'fq_codel'}, config=CONFIG, modules=MODULES)   # =m, module there
    assert plan.keys[QDISC]['status'] == 'applied' and 'reason' not in plan.keys[QDISC]
    plan = words({QDISC: 'pfifo_fast'}, config=None, qdisc='fq')        # always there
    assert plan.keys[QDISC]['status'] == 'applied' and 'reason' not in plan.keys[QDISC]


def test_default_qdisc_the_kernel_was_built_without_is_refused():
    refusal = refusal_of({QDISC: 'sfq'}, config=CONFIG, modules=MODULES)
    assert refusal.rules == ['not_available']
    assert refusal.message == (
        'net.core.default_qdisc: sfq is not available on this host (# CONFIG_NET_SCH_SFQ is not set in '
        '/proc/config.gz): it may set pfifo_fast fq fq_codel (from /proc/config.gz). Use a kernel built with it (=y, '
        'or =m with its module installed), or choose one of those (rule: not_available). Nothing was changed.')
    refusal = refusal_of({QDISC: 'fq_pie'}, config=CONFIG, modules=MODULES)
    assert 'CONFIG_NET_SCH_FQ_PIE is not in /proc/config.gz' in refusal.message


def test_default_qdisc_module_missing_or_unchecked():
    refusal = refusal_of({QDISC: 'cake'}, config=CONFIG, modules=MODULES)
    assert 'CONFIG_NET_SCH_CAKE=m in /proc/config.gz, but no sch_cake.ko* under /lib/modules/6.18.44' in \
        refusal.message and refusal.rules == ['not_available']
    plan = words({QDISC: 'cake'}, config=CONFIG, modules=dict(MODULES, present=False))
    assert plan.keys[QDISC]['status'] == 'applied'
    assert plan.keys[QDISC]['reason'].startswith('CONFIG_NET_SCH_CAKE=m in /proc/config.gz (a module; '
                                                 '/lib/modules/6.18.44 is not there to check it is installed)')


def test_default_qdisc_without_a_config_is_left_to_the_kernel():
    config = {'source': None, 'options': None, 'tried': ['/proc/config.gz (No such file or directory)',
                                                         '/boot/config-6.18.44 (No such file or directory)']}
    plan = words({QDISC: 'fq'}, config=config)
    assert plan.keys[QDISC]['status'] == 'applied'
    assert plan.keys[QDISC]['reason'] == (
        'no kernel config could be read (tried /proc/config.gz (No such file or directory); /boot/config-6.18.44 '
        '(No such file or directory)): whether this kernel offers fq is not known before the write: the kernel '
        'decides when the value is written (a refused write rolls the whole run back)')


def test_default_qdisc_in_a_child_netns_is_skipped_unchecked():
    # host scope: skipped as before, its availability is never looked at (nothing gathered is needed)
    plan = words({QDISC: 'fq', CC: 'bbr'}, CHILD_CC, qdisc_scope='host')
    assert plan.keys[QDISC] == {'scope': 'host', 'desired': 'fq', 'before': None, 'status': 'skipped',
                                'reason': dp.SCOPE_REASON['host']}
    assert plan.keys[CC]['status'] == 'applied' and '#   net.core.default_qdisc: read-only' in plan.content


def test_both_refusals_are_listed():
    refusal = refusal_of({QDISC: 'sfq', CC: 'htcp'}, INIT_CC, config=CONFIG, modules=MODULES)
    assert refusal.rules == ['not_available', 'not_available']
    assert refusal.message.count('(rule: not_available)') == 2


def test_check_offered_is_pure_data():
    values = {CC: ('cubic',), QDISC: ('fq',)}
    notes, problems = dp.check_offered(values, words_live(), [CC, QDISC],
                                       {'congestion_control': CHILD_CC, 'kernel_config': CONFIG})
    assert notes == {} and len(problems) == 1 and problems[0].startswith(CC + ': cubic is not allowed')
    assert dp.check_offered(values, words_live(), [], {}) == ({}, [])


def test_words_restored_from_the_saved_original():
    saved = state(original={CC: 'cubic'}, applied=[CC])
    plan = absent(saved, words_live(cc='bbr'))
    assert plan.keys[CC]['status'] == 'restored' and plan.live_changes == [(CC, 'cubic', 'bbr')]
    # the role's optional keys are managed keys: a state naming them is trusted without the drop-in
    plan = present(wanted={'net.core.somaxconn': '8192'}, live_values=words_live(cc='bbr'), saved=saved)
    assert plan.keys[CC]['status'] == 'restored' and (CC, 'cubic', 'bbr') in plan.live_changes
