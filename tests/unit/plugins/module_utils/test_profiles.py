# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

import pytest
from hypothesis import example, given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.module_utils import profiles as pr
from ansible_collections.netfleet.tuning.plugins.module_utils.profiles import ProfileError

MIB = 1024 * 1024


def rules_of(exc_info):
    return exc_info.value.rules


# ---- the profiles as the issue gives them ----------------------------------------------------

def test_json_api_values():
    plan = pr.build_plan('json_api')
    assert plan['settings'] == {
        'net.core.rmem_max': '16777216',
        'net.core.wmem_max': '16777216',
        'net.ipv4.tcp_rmem': '4096 87380 16777216',
        'net.ipv4.tcp_wmem': '4096 65536 16777216',
        'net.core.netdev_max_backlog': '30000',
        'net.ipv4.tcp_window_scaling': '1',
    }
    assert list(plan['settings']) == sorted(plan['settings'])
    assert plan['basename'] == '60-netfleet-tuning.conf'
    assert set(plan['comments']) == set(plan['settings'])
    assert plan['fit_to_memory'] == [] and plan['notes'] == []


def test_json_api_heavy_values():
    assert pr.build_plan('json_api_heavy')['settings'] == {
        'net.core.rmem_default': '16777216',
        'net.core.wmem_default': '16777216',
        'net.core.rmem_max': '33554432',
        'net.core.wmem_max': '33554432',
        'net.ipv4.tcp_rmem': '4096 87380 33554432',
        'net.ipv4.tcp_wmem': '4096 65536 33554432',
        'net.ipv4.tcp_window_scaling': '1',
        'net.ipv4.tcp_timestamps': '1',
        'net.ipv4.tcp_sack': '1',
        'net.core.netdev_max_backlog': '50000',
        'net.core.somaxconn': '4096',
    }


def test_every_profile_key_has_a_reason_and_a_rule():
    for profile in pr.PROFILES.values():
        for key in profile:
            assert key in pr.KEY_WHY and key in pr.KEY_RULES
            pr.validate_settings({key: profile[key]})


# ---- bdp ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('link, rtt, expect', [
    (10000, 20, 67108864),      # BDP 25 MB, 2*BDP 50 MB -> 64 MiB
    (1000, 10, 16777216),       # BDP 1.25 MB -> 4 MiB, raised to json_api's 16 MiB
    (40000, 50, 536870912),     # BDP 250 MB, 2*BDP 500 MB -> 512 MiB
    (10000, 0.5, 16777216),     # sub-millisecond RTT in a data centre
    ('25000', '8', 67108864),   # -e extra vars arrive as strings; BDP 25 MB -> 2*BDP 50 MB
    (100000, 40, 1073741824),   # 2*BDP exactly 1e9 B -> 2^30, the ceiling
])
def test_bdp_sizes(link, rtt, expect):
    settings, notes, fit = pr.bdp_profile(link, rtt)
    assert settings['net.core.rmem_max'] == expect
    assert settings['net.ipv4.tcp_rmem'] == '4096 87380 %d' % expect
    assert settings['net.ipv4.tcp_wmem'] == '4096 65536 %d' % expect
    assert settings['net.ipv4.tcp_adv_win_scale'] == 1
    assert fit == ['net.core.rmem_max', 'net.core.wmem_max', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']
    assert any('BDP =' in note for note in notes) and any('%d' % expect in note for note in notes)


def test_bdp_arithmetic_in_notes():
    dummy_settings, notes, dummy_fit = pr.bdp_profile(10000, 20)
    text = '\n'.join(notes)
    assert '10000 Mbit/s * 1e6 / 8 * 20 ms / 1000 = 25000000 bytes' in text
    assert '2 * BDP = 50000000 bytes' in text
    assert '67108864 (64 MiB)' in text


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0.001, max_value=100000), st.floats(min_value=0.001, max_value=80))
def test_bdp_property(link, rtt):
    try:
        settings_, dummy_notes, dummy_fit = pr.bdp_profile(link, rtt)
    except ProfileError as exc:
        assert exc.rules == ['bdp_input']
        assert 2 * link * rtt * 125 > pr.MAX_SOCKET_BYTES
        return
    buf = settings_['net.core.rmem_max']
    assert buf & (buf - 1) == 0  # a power of two
    assert buf >= pr.JSON_API_BUFFER
    assert buf >= 2 * link * rtt * 125
    assert buf == pr.JSON_API_BUFFER or buf < 4 * link * rtt * 125 + 1  # the smallest such power
    pr.validate_settings(settings_)


@pytest.mark.parametrize('link, rtt', [(0, 10), (-1, 10), (1000, 0), (1000, -5), (True, 10), (None, 10),
                                       (1000, None), ('fast', 10), (2000000, 10), (1000, 20000),
                                       (400000, 100), (float('nan'), 10)])
def test_bdp_bad_inputs(link, rtt):
    with pytest.raises(ProfileError) as info:
        pr.build_plan('bdp', link_mbit=link, rtt_ms=rtt)
    assert set(rules_of(info)) == {'bdp_input'}
    assert 'link_mbit: ' in str(info.value) or 'rtt_ms: ' in str(info.value)


def test_bdp_reports_both_bad_inputs():
    with pytest.raises(ProfileError) as info:
        pr.build_plan('bdp')
    assert 'link_mbit: must be a number' in str(info.value) and 'rtt_ms: must be a number' in str(info.value)


def test_bdp_overridden_keys_are_not_fitted():
    plan = pr.build_plan('bdp', link_mbit=10000, rtt_ms=20, overrides={'net.core.rmem_max': 8 * MIB})
    assert 'net.core.rmem_max' not in plan['fit_to_memory']
    assert 'net.ipv4.tcp_rmem' in plan['fit_to_memory']
    assert plan['settings']['net.core.rmem_max'] == str(8 * MIB)


# ---- overrides, custom ----------------------------------------------------------------------------

def test_overrides_key_by_key_and_null_removes():
    plan = pr.build_plan('json_api', overrides={'net.core.somaxconn': 8192, 'net.core.netdev_max_backlog': None,
                                                'net.ipv4.tcp_rmem': [4096, 131072, 16777216]})
    assert plan['settings']['net.core.somaxconn'] == '8192'
    assert plan['settings']['net.ipv4.tcp_rmem'] == '4096 131072 16777216'
    assert 'net.core.netdev_max_backlog' not in plan['settings']
    assert plan['comments']['net.core.somaxconn'].endswith(' (from overrides)')


def test_custom_profile_as_whole_dict():
    plan = pr.build_plan('custom', custom={'net.ipv4.tcp_rmem': '4096 87380 8388608', 'net.core.somaxconn': '1024'})
    assert plan['settings'] == {'net.core.somaxconn': '1024', 'net.ipv4.tcp_rmem': '4096 87380 8388608'}
    assert plan['comments']['net.core.somaxconn'].endswith(' (from custom)')


def test_custom_needs_a_dict():
    with pytest.raises(ProfileError) as info:
        pr.build_plan('custom')
    assert rules_of(info) == ['empty_profile']


def test_generic_keys():
    plan = pr.build_plan('custom', custom={'net.ipv4.ip_local_port_range': '1024 65000',
                                           'net.ipv4.tcp_fin_timeout': 15, 'net.ipv4.conf.all.rp_filter': 1})
    assert plan['settings']['net.ipv4.ip_local_port_range'] == '1024 65000'
    with pytest.raises(ProfileError) as info:
        pr.build_plan('custom', custom={'net.ipv4.ip_local_port_range': '65000 1024'})
    assert rules_of(info) == ['triplet_order']
    with pytest.raises(ProfileError) as info:
        pr.build_plan('custom', custom={'net.ipv4.foo': '1 2 3 4'})
    assert rules_of(info) == ['arity']


def test_absent_state_skips_profile_validation():
    plan = pr.build_plan('nope', overrides={'bad key': True}, state='absent')
    assert plan['settings'] == {} and plan['state'] == 'absent'


# ---- every validation rule: one bad input, its rule and a message naming the key ----------------

BAD = [
    ({'name': 'json_apii'}, 'unknown_profile', 'profile'),
    ({'overrides': 'net.core.somaxconn=1 b=2'}, 'not_a_dict', 'overrides'),
    ({'overrides': ['net.core.somaxconn']}, 'not_a_dict', 'overrides'),
    ({'name': 'custom', 'custom': 'a=1'}, 'not_a_dict', 'custom'),
    ({'overrides': {'kernel.panic': 1}}, 'key_pattern', 'kernel.panic'),
    ({'overrides': {'net.core.rmem_max\nkernel.panic': 1}}, 'key_pattern', 'net.core.rmem_max\\nkernel.panic'),
    ({'overrides': {'net/core/rmem_max': 1}}, 'key_pattern', 'net/core/rmem_max'),
    ({'overrides': {5: 1}}, 'key_pattern', '5'),
    ({'overrides': {'net.ipv4.tcp_window_scaling': True}}, 'boolean', 'net.ipv4.tcp_window_scaling'),
    ({'overrides': {'net.ipv4.tcp_sack': 'yes'}}, 'boolean', 'net.ipv4.tcp_sack'),
    ({'overrides': {'net.ipv4.tcp_rmem': [4096, True, 8192]}}, 'boolean', 'net.ipv4.tcp_rmem'),
    ({'overrides': {'net.core.somaxconn': '1024\nkernel.panic = 1'}}, 'injection', 'net.core.somaxconn'),
    ({'overrides': {'net.core.somaxconn': '1024 = 5'}}, 'injection', 'net.core.somaxconn'),
    ({'overrides': {'net.core.somaxconn': '1024;reboot'}}, 'injection', 'net.core.somaxconn'),
    ({'overrides': {'net.core.somaxconn': '$(reboot)'}}, 'injection', 'net.core.somaxconn'),
    ({'overrides': {'net.core.somaxconn': '`reboot`'}}, 'injection', 'net.core.somaxconn'),
    ({'overrides': {'net.core.somaxconn': '1024 # comment'}}, 'injection', 'net.core.somaxconn'),
    ({'overrides': {'net.core.somaxconn': '0x400'}}, 'injection', 'net.core.somaxconn'),
    ({'overrides': {'net.core.somaxconn': 1024.5}}, 'not_integer', 'net.core.somaxconn'),
    ({'overrides': {'net.core.somaxconn': '--5'}}, 'not_integer', 'net.core.somaxconn'),
    ({'overrides': {'net.core.somaxconn': {'a': 1}}}, 'not_integer', 'net.core.somaxconn'),
    ({'name': 'custom', 'custom': {'net.core.somaxconn': None}}, 'not_integer', 'net.core.somaxconn'),
    ({'overrides': {'net.core.somaxconn': ''}}, 'arity', 'net.core.somaxconn'),
    ({'overrides': {'net.ipv4.tcp_rmem': '4096 87380'}}, 'arity', 'net.ipv4.tcp_rmem'),
    ({'overrides': {'net.ipv4.tcp_mem': 1000}}, 'arity', 'net.ipv4.tcp_mem'),
    ({'overrides': {'net.core.rmem_max': '1 2 3'}}, 'arity', 'net.core.rmem_max'),
    ({'overrides': {'net.ipv4.tcp_rmem': '4096 87380 1024'}}, 'triplet_order', 'net.ipv4.tcp_rmem'),
    ({'overrides': {'net.ipv4.tcp_wmem': '65536 4096 16777216'}}, 'triplet_order', 'net.ipv4.tcp_wmem'),
    ({'overrides': {'net.ipv4.tcp_mem': '3 2 1'}}, 'triplet_order', 'net.ipv4.tcp_mem'),
    ({'overrides': {'net.core.rmem_max': -16777216}}, 'negative', 'net.core.rmem_max'),
    ({'overrides': {'net.ipv4.tcp_rmem': '-1 87380 16777216'}}, 'negative', 'net.ipv4.tcp_rmem'),
    ({'overrides': {'net.core.rmem_max': 2 ** 31}}, 'range', 'net.core.rmem_max'),
    ({'overrides': {'net.core.wmem_max': 4 * 2 ** 30}}, 'range', 'net.core.wmem_max'),
    ({'overrides': {'net.ipv4.tcp_rmem': '4096 87380 2147483648'}}, 'range', 'net.ipv4.tcp_rmem'),
    ({'overrides': {'net.core.rmem_default': 100}}, 'range', 'net.core.rmem_default'),
    ({'overrides': {'net.core.somaxconn': 0}}, 'range', 'net.core.somaxconn'),
    ({'overrides': {'net.ipv4.tcp_adv_win_scale': 32}}, 'range', 'net.ipv4.tcp_adv_win_scale'),
    ({'overrides': {'net.ipv4.tcp_window_scaling': 2}}, 'choice', 'net.ipv4.tcp_window_scaling'),
    ({'overrides': {'net.ipv4.tcp_timestamps': 3}}, 'choice', 'net.ipv4.tcp_timestamps'),
    ({'overrides': {'net.ipv4.tcp_window_scaling': 0}}, 'tcp_feature_off', 'net.ipv4.tcp_window_scaling'),
    ({'overrides': {'net.ipv4.tcp_sack': '0'}}, 'tcp_feature_off', 'net.ipv4.tcp_sack'),
    ({'overrides': {'net.ipv4.tcp_moderate_rcvbuf': 0}}, 'tcp_feature_off', 'net.ipv4.tcp_moderate_rcvbuf'),
    ({'priority': 100}, 'priority', 'priority'),
    ({'priority': -1}, 'priority', 'priority'),
    ({'priority': '../../tmp/x'}, 'priority', 'priority'),
    ({'priority': '6/0'}, 'priority', 'priority'),
    ({'priority': True}, 'priority', 'priority'),
    ({'priority': 6.5}, 'priority', 'priority'),
    ({'state': 'gone'}, 'choice', 'state'),
    ({'unsettable': 'ignore'}, 'choice', 'unsettable'),
    ({'over_budget': 'ignore'}, 'choice', 'over_budget'),
    ({'over_budget': True}, 'choice', 'over_budget'),
    ({'force': ['everything']}, 'choice', 'force'),
    ({'force': 'memory'}, 'choice', 'force'),
    ({'name': 'bdp', 'link_mbit': 0, 'rtt_ms': 10}, 'bdp_input', 'link_mbit'),
    ({'name': 'bdp', 'link_mbit': 1000, 'rtt_ms': '10ms'}, 'bdp_input', 'rtt_ms'),
]


@pytest.mark.parametrize('kwargs, rule, subject', BAD,
                         ids=['%s-%d' % (case[1], index) for index, case in enumerate(BAD)])
def test_validation_rules(kwargs, rule, subject):
    with pytest.raises(ProfileError) as info:
        pr.build_plan(**kwargs)
    assert rule in rules_of(info)
    msg = str(info.value)
    assert '(rule: %s)' % rule in msg
    assert subject + ': ' in msg


def test_the_caller_names_the_inputs():
    """The core names each input as itself; a caller maps it to what its user typed (the role: its variables)."""
    names = {'priority': 'sysctl_profile_priority', 'overrides': 'sysctl_profile_overrides',
             'profile': 'sysctl_profile_name'}
    with pytest.raises(ProfileError) as info:
        pr.build_plan('json_apii', priority=100, names=names)
    assert 'sysctl_profile_name: unknown profile' in str(info.value)
    assert 'sysctl_profile_priority: must be' in str(info.value)
    with pytest.raises(ProfileError) as info:
        pr.build_plan(overrides={'net.core.somaxconn': True}, names=names)
    assert str(info.value).startswith('sysctl_profile_overrides: net.core.somaxconn: YAML boolean')
    plan = pr.build_plan(overrides={'net.core.somaxconn': 8192}, names=names)
    assert plan['comments']['net.core.somaxconn'].endswith(' (from sysctl_profile_overrides)')


def test_all_errors_are_reported_together():
    with pytest.raises(ProfileError) as info:
        pr.build_plan('json_api', priority=100, overrides={'net.core.somaxconn': True, 'net.ipv4.tcp_rmem': '3 2 1'})
    assert sorted(rules_of(info)) == ['boolean', 'priority', 'triplet_order']


def test_force_tcp_feature_off():
    plan = pr.build_plan('json_api', overrides={'net.ipv4.tcp_sack': 0}, force=['tcp_feature_off'])
    assert plan['settings']['net.ipv4.tcp_sack'] == '0'
    assert plan['force'] == ['tcp_feature_off']


def test_validate_settings_returns_values():
    # the forms one value may take are tested with the value model (test_sysctl_value.py)
    assert pr.validate_settings({'net.ipv4.tcp_rmem': ' 4096\t87380  16777216 ', 'net.core.somaxconn': 8192}) == {
        'net.ipv4.tcp_rmem': (4096, 87380, 16777216), 'net.core.somaxconn': (8192,)}


def test_negative_allowed_where_the_kernel_allows_it():
    assert pr.validate_settings({'net.ipv4.tcp_adv_win_scale': -2}) == {'net.ipv4.tcp_adv_win_scale': (-2,)}


@pytest.mark.parametrize('priority, name', [(60, '60-netfleet-tuning.conf'), (5, '05-netfleet-tuning.conf'),
                                            ('7', '07-netfleet-tuning.conf'), (0, '00-netfleet-tuning.conf'),
                                            (99, '99-netfleet-tuning.conf')])
def test_dropin_basename(priority, name):
    assert pr.dropin_basename(priority) == name


def test_priority_error_names_the_caller_subject():
    with pytest.raises(ProfileError) as exc:
        pr.check_priority(100, 'priority')
    assert str(exc.value).startswith('priority: must be an integer 0..99')
    with pytest.raises(ProfileError) as exc:
        pr.check_priority(100, 'sysctl_profile_priority')
    assert str(exc.value).startswith('sysctl_profile_priority: ')


@pytest.mark.parametrize('path', ['/var/lib/netfleet-tuning', '/srv/state/', '/processes/x', '/system'])
def test_state_dir_accepts_absolute_real_paths(path):
    assert pr.check_state_dir(path) == path


@pytest.mark.parametrize('path,rule', [
    ('var/lib/netfleet', 'absolute_path'), ('', 'absolute_path'), (None, 'absolute_path'), (7, 'absolute_path'),
    ('/var/lib\x00x', 'absolute_path'), ('/proc', 'virtual_fs'), ('/proc/sys/kernel/netfleet', 'virtual_fs'),
    ('//sys//fs', 'virtual_fs'), ('/./dev/shm/x', 'virtual_fs'),
])
def test_state_dir_rejected_with_rule_and_name(path, rule):
    with pytest.raises(ProfileError) as exc:
        pr.check_state_dir(path)
    assert exc.value.rules == [rule]
    assert str(exc.value).startswith('state_dir: ')


def test_build_plan_checks_state_dir_only_when_given():
    assert pr.build_plan(state_dir='/var/lib/x')['settings'] == pr.build_plan()['settings']
    with pytest.raises(ProfileError) as exc:
        pr.build_plan(state_dir='relative', priority=100)
    assert sorted(exc.value.rules) == ['absolute_path', 'priority']


def test_build_plan_absent_names_no_profile():
    plan = pr.build_plan(name='json_api_heavy', state='absent')
    assert plan['profile'] is None and plan['settings'] == {}
    assert pr.build_plan(name='json_api_heavy')['profile'] == 'json_api_heavy'


# ---- property: a key is refused or matches the pattern (values: test_sysctl_value.py) ----------------

@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=30))
@example('net.ipv4.tcp_mem')  # a triplet key given one integer: rule arity (once found only by chance)
def test_any_key_is_refused_or_matches_the_pattern(key):
    try:
        out = pr.validate_settings({key: 1})
    except ProfileError as exc:
        assert exc.rules[0] in ('key_pattern', 'arity', 'choice', 'range', 'tcp_feature_off')
        return
    assert list(out) == [key]
    assert re.match(r'\Anet\.[a-z0-9_]+(\.[a-z0-9_]+){1,3}\Z', key)


# ---- only_raise ----------------------------------------------------------------------------------

@pytest.mark.parametrize('desired, base, expect', [
    ((16777216,), (4194304,), (16777216,)),
    ((16777216,), (33554432,), (33554432,)),
    ((4096, 87380, 16777216), (4096, 131072, 33554432), (4096, 131072, 33554432)),
    ((4096, 87380, 16777216), (4096, 16384, 33554432), (4096, 87380, 33554432)),
    ((4096, 87380, 16777216), (8192, 16384, 65536), (8192, 87380, 16777216)),
    ((4096, 87380, 16777216), None, (4096, 87380, 16777216)),
    ((4096, 87380, 16777216), (1, 2), (4096, 87380, 16777216)),
])
def test_only_raise(desired, base, expect):
    assert pr.only_raise(desired, base) == expect


@given(st.lists(st.integers(1, 2 ** 30), min_size=3, max_size=3),
       st.lists(st.integers(1, 2 ** 30), min_size=3, max_size=3))
def test_only_raise_keeps_order_and_never_lowers(desired, base):
    desired, base = tuple(sorted(desired)), tuple(sorted(base))
    out = pr.only_raise(desired, base)
    assert list(out) == sorted(out)
    assert all(got >= wanted and got >= had for got, wanted, had in zip(out, desired, base))


# ---- memory guardrail, kernel ----------------------------------------------------------------

def test_memory_cap():
    assert pr.memory_cap(512 * MIB) == 16 * MIB
    assert pr.memory_cap(1000 * MIB) == 16 * MIB  # 31.25 MiB -> 16 MiB
    assert pr.memory_cap(1024 * MIB) == 32 * MIB
    assert pr.memory_cap(24684092 * 1024) == 512 * MIB


def test_memory_violations():
    settings_ = {'net.core.rmem_max': (33554432,), 'net.ipv4.tcp_rmem': (4096, 87380, 16777216),
                 'net.core.somaxconn': (2 ** 20,), 'net.ipv4.tcp_mem': (1, 2, 300000)}
    bad = pr.memory_violations(settings_, 512 * MIB)
    assert sorted(bad) == ['net.core.rmem_max', 'net.ipv4.tcp_mem']
    assert bad['net.core.rmem_max'].endswith('add memory to force to apply it anyway')
    assert '1/32' in bad['net.core.rmem_max']
    bad = pr.memory_violations(settings_, 512 * MIB, force_name='sysctl_profile_force')
    assert bad['net.ipv4.tcp_mem'].endswith('add memory to sysctl_profile_force to apply it anyway')
    assert pr.memory_violations(settings_, 64 * 1024 * MIB) == {}


def test_fit_to_cap():
    assert pr.fit_to_cap('net.ipv4.tcp_rmem', (4096, 87380, 67108864), 33554432) == (4096, 87380, 33554432)
    assert pr.fit_to_cap('net.ipv4.tcp_rmem', (4096, 87380, 67108864), 65536) == (4096, 65536, 65536)
    assert pr.fit_to_cap('net.core.rmem_max', (67108864,), 33554432) == (33554432,)
    assert pr.fit_to_cap('net.core.somaxconn', (67108864,), 1) == (67108864,)


@pytest.mark.parametrize('release, obsolete', [('6.18.44-fc-v657', True), ('6.6.0', True), ('6.5.0', False),
                                               ('5.15.0-91-generic', False), ('7.0', True), ('garbage', False)])
def test_obsolete_reason(release, obsolete):
    assert (pr.obsolete_reason('net.ipv4.tcp_adv_win_scale', release) is not None) is obsolete
    assert pr.obsolete_reason('net.ipv4.tcp_rmem', release) is None


# ---- words: congestion control and the default qdisc (issue 16) ----------------------------------------

CC = 'net.ipv4.tcp_congestion_control'
QDISC = 'net.core.default_qdisc'
ROLE_NAMES = {'congestion_control': 'sysctl_profile_congestion_control', 'default_qdisc': 'sysctl_profile_default_qdisc',
              'overrides': 'sysctl_profile_overrides'}


@pytest.mark.parametrize('profile, extra', [('json_api', {}), ('json_api_heavy', {}),
                                            ('bdp', {'link_mbit': 10000, 'rtt_ms': 20}),
                                            ('custom', {'custom': {'net.core.somaxconn': 4096}})])
def test_optional_words_are_added_to_any_profile(profile, extra):
    plain = pr.build_plan(profile, **extra)
    plan = pr.build_plan(profile, congestion_control='bbr', default_qdisc='fq', names=ROLE_NAMES, **extra)
    assert plan['settings'] == dict(plain['settings'], **{CC: 'bbr', QDISC: 'fq'})
    assert plan['comments'][CC] == pr.KEY_WHY[CC] + ' (from sysctl_profile_congestion_control)'
    assert plan['comments'][QDISC] == pr.KEY_WHY[QDISC] + ' (from sysctl_profile_default_qdisc)'
    assert CC not in plan['fit_to_memory'] and QDISC not in plan['fit_to_memory']
    assert CC not in plain['settings'] and QDISC not in plain['settings']


def test_an_override_of_the_same_key_wins():
    plan = pr.build_plan(congestion_control='bbr', overrides={CC: 'reno'}, names=ROLE_NAMES)
    assert plan['settings'][CC] == 'reno' and plan['comments'][CC].endswith('(from sysctl_profile_overrides)')
    plan = pr.build_plan(congestion_control='bbr', default_qdisc='fq', overrides={CC: None, QDISC: None})
    assert CC not in plan['settings'] and QDISC not in plan['settings']
    # overrides alone can set the words too
    assert pr.build_plan(overrides={CC: 'bbr', QDISC: 'fq_codel'})['settings'][QDISC] == 'fq_codel'


@pytest.mark.parametrize('kwargs, rule, text', [
    ({'congestion_control': 'bbr\nkernel.panic = 1'}, 'not_a_name',
     'sysctl_profile_congestion_control: net.ipv4.tcp_congestion_control: value'),
    ({'congestion_control': ['bbr']}, 'not_a_name', 'sysctl_profile_congestion_control: net.ipv4.tcp_congestion_control'),
    ({'congestion_control': 5}, 'not_a_name', 'sysctl_profile_congestion_control: net.ipv4.tcp_congestion_control'),
    ({'default_qdisc': 'fqx'}, 'unknown_qdisc', 'sysctl_profile_default_qdisc: net.core.default_qdisc: value'),
    ({'default_qdisc': 'fq codel'}, 'not_a_name', 'sysctl_profile_default_qdisc: net.core.default_qdisc'),
    ({'overrides': {CC: 'bbr=1'}}, 'not_a_name', 'sysctl_profile_overrides: net.ipv4.tcp_congestion_control'),
    ({'overrides': {QDISC: 'htb'}}, 'unknown_qdisc', 'sysctl_profile_overrides: net.core.default_qdisc'),
])
def test_bad_words_name_the_role_variable_and_the_rule(kwargs, rule, text):
    with pytest.raises(ProfileError) as info:
        pr.build_plan(names=ROLE_NAMES, **kwargs)
    assert rules_of(info) == [rule] and str(info.value).startswith(text), str(info.value)


def test_absent_ignores_the_optional_words():
    plan = pr.build_plan(state='absent', congestion_control='BAD VALUE', default_qdisc='fqx')
    assert plan['settings'] == {}


def test_words_skip_the_numeric_rules():
    values = pr.validate_settings({CC: 'bbr', QDISC: 'fq', 'net.core.rmem_max': 33554432})
    assert values[CC] == ('bbr',) and values[QDISC] == ('fq',)
    # only_raise: a word has no order ('cubic' > 'bbr' as text must not win)
    assert pr.only_raise(('bbr',), ('cubic',)) == ('bbr',) and pr.only_raise(('reno',), None) == ('reno',)
    assert pr.memory_violations(values, 512 * MIB) == {'net.core.rmem_max': pr.memory_violations(
        {'net.core.rmem_max': (33554432,)}, 512 * MIB)['net.core.rmem_max']}
    assert pr.fit_to_cap(CC, ('bbr',), 1) == ('bbr',) and pr.fit_to_cap(QDISC, ('fq',), 4096) == ('fq',)
    assert pr.obsolete_reason(CC, '6.18.44') is None


def test_every_optional_key_has_a_reason_and_a_words_rule():
    for dummy_option, key in pr.OPTIONAL_KEYS:
        assert key in pr.KEY_WHY and pr.KEY_RULES[key]['kind'] == 'words'
    assert set(pr.INPUT_NAMES) >= set(option for option, dummy_key in pr.OPTIONAL_KEYS)
