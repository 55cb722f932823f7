# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""verdict: the guards (issue 14): a guard metric that rose makes the host ``regressed``, even when pruning fell."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry
from ansible_collections.netfleet.tuning.plugins.plugin_utils import significance
from ansible_collections.netfleet.tuning.plugins.plugin_utils import thresholds
from ansible_collections.netfleet.tuning.plugins.plugin_utils import verdict

from ansible_collections.netfleet.tuning.tests.unit.plugins.plugin_utils.test_verdict import win

# a tuning that worked: pruning and collapsing fell to (nearly) nothing
FIXED = {'prune': 4000, 'collapsed': 200000}
AFTER_FIX = {'prune': 0, 'collapsed': 12}


def judge(before_extra, after_extra, **kwargs):
    before = win(in_segs=10 ** 6, **dict(FIXED, **before_extra))
    after = win(in_segs=10 ** 6, **dict(AFTER_FIX, **after_extra))
    return verdict.judge(before, after, **kwargs)


def test_clean_guards_keep_improved():
    got = judge({}, {})
    assert got['verdict'] == 'improved' and got['passed']
    assert got['guards']['regressed'] == [] and got['guards']['unjudged'] == []
    assert all(got['metrics'][name]['regressed'] is False for name in metric_registry.DEFAULT_GUARDS)
    assert not any('guard' in hint for hint in got['hints'])


def test_retransmissions_rose_is_regressed_though_pruning_fell():
    got = judge({'retrans_segs': 10}, {'retrans_segs': 900})
    assert got['verdict'] == 'regressed' and not got['passed']
    first = got['reasons'][0]
    # the guard, its rate per million OutSegs before -> after, the tolerance, the events
    assert first.startswith('guard retrans_segs rose +8900.0%')
    assert 'per million OutSegs' in first and '20.0 -> 1,800 per million OutSegs' in first
    assert 'netfleet_guard_max_increase_pct 50%' in first and '10 -> 900 events' in first
    # the gated metrics' outcome follows: pruning did fall
    assert any(reason.startswith('prune_called') for reason in got['reasons'][1:])
    assert got['message'].startswith('regressed: guard retrans_segs')
    assert got['guards']['regressed'] == ['retrans_segs']
    entry = got['metrics']['retrans_segs']
    assert entry['guard'] and not entry['gated'] and entry['regressed'] is True
    assert entry['guard_p_value'] < significance.ALPHA
    assert entry['before_per_million'] == pytest.approx(20.0)
    assert got['metrics']['prune_called']['met'] is True


def test_retransmissions_from_zero():
    got = judge({}, {'retrans_segs': 60})
    assert got['verdict'] == 'regressed'
    assert got['reasons'][0].startswith('guard retrans_segs rose from 0')


@pytest.mark.parametrize('after', [14, 15])
def test_rise_within_the_tolerance_is_not_a_regression(after):
    # 10 -> 15 events in the same OutSegs is exactly +50 %: "more than" the tolerance is needed
    got = judge({'retrans_segs': 10}, {'retrans_segs': after})
    assert got['verdict'] == 'improved'
    assert got['metrics']['retrans_segs']['regressed'] is False
    assert got['metrics']['retrans_segs']['guard_p_value'] is None


def test_large_rise_within_a_wider_tolerance():
    got = judge({'retrans_segs': 1000}, {'retrans_segs': 2900}, guard_max_increase_pct=200)
    assert got['verdict'] == 'improved'
    got = judge({'retrans_segs': 1000}, {'retrans_segs': 3300}, guard_max_increase_pct=200)
    assert got['verdict'] == 'regressed'


def test_few_events_prove_nothing():
    got = judge({}, {'listen_overflows': 3})
    assert got['verdict'] == 'improved' and got['passed']
    note = [hint for hint in got['hints'] if hint.startswith('guard listen_overflows')]
    assert note and 'too few' in note[0] and '0 -> 3 events' in note[0]
    assert got['metrics']['listen_overflows']['regressed'] is False
    assert got['metrics']['listen_overflows']['guard_p_value'] > significance.ALPHA


def test_listen_overflows_rose():
    got = judge({'listen_overflows': 2}, {'listen_overflows': 400})
    assert got['verdict'] == 'regressed'
    assert got['reasons'][0].startswith('guard listen_overflows rose')
    assert 'per million InSegs' in got['reasons'][0]


def test_memory_pressure_entered_whatever_the_counts():
    got = judge({}, {'memory_pressures': 1})
    assert got['verdict'] == 'regressed'
    assert got['reasons'][0].startswith('guard memory_pressures: TCP entered memory pressure 1 time(s)')
    assert 'TCPMemoryPressures 0 -> 1' in got['reasons'][0] and 'Sizing tcp_mem' in got['reasons'][0]


def test_memory_pressure_in_both_windows_is_judged_by_its_rate():
    assert judge({'memory_pressures': 2}, {'memory_pressures': 3})['verdict'] == 'improved'


def facts(window, state):
    """ansible_facts.netstat as netstat_facts returns it, with the tcp_memory state at the window's end."""
    return {'boot_id': 'boot-1', 'rates': window, 'tcp_memory': {'state': state}}


@pytest.mark.parametrize('before_state,after_state,expected', [
    ('below_low', 'pressure', 'regressed'),
    ('between', 'above_high', 'regressed'),
    ('below_low', 'between', 'improved'),     # between low and pressure: not surely in pressure
    ('pressure', 'pressure', 'improved'),     # in pressure before the tuning too: noted, not its fault
    (None, 'pressure', 'improved'),           # unknown at the baseline (an older record): noted
    (None, None, 'improved'),                 # a child network namespace: tcp_mem is not visible
])
def test_memory_pressure_state_at_the_end_of_the_windows(before_state, after_state, expected):
    before = facts(win(**FIXED), before_state)
    after = facts(win(**AFTER_FIX), after_state)
    got = verdict.judge(before, after)
    assert got['verdict'] == expected
    assert got['guards']['memory_pressure'] == {'before': before_state, 'after': after_state}
    if expected == 'regressed':
        assert 'in pressure at the end of the verify window' in got['reasons'][0]
        assert got['metrics']['memory_pressures']['regressed'] is True
    elif after_state in verdict.PRESSURE_STATES:
        assert any('in pressure at the end of the verify window' in hint for hint in got['hints'])


def test_guards_off():
    got = judge({}, {'retrans_segs': 900, 'memory_pressures': 4}, guard_metrics=[])
    assert got['verdict'] == 'improved'
    assert got['guards'] == {'metrics': [], 'regressed': [], 'unjudged': [],
                             'memory_pressure': {'before': None, 'after': None}}


def test_a_baseline_from_before_the_guards_is_noted_not_judged():
    before = win(guards=False, **FIXED)
    after = win(retrans_segs=900, **AFTER_FIX)
    got = verdict.judge(before, after)
    assert got['verdict'] == 'improved'
    assert got['guards']['unjudged'] == list(metric_registry.DEFAULT_GUARDS)
    notes = [hint for hint in got['hints'] if hint.startswith('guard(s) not judged')]
    assert len(notes) == 1 and 'retrans_segs (Tcp RetransSegs)' in notes[0]


def test_no_out_segs_no_retransmission_rate():
    before = win(out_segs=0, **FIXED)
    after = win(out_segs=0, retrans_segs=50, **AFTER_FIX)
    got = verdict.judge(before, after)
    assert got['verdict'] == 'improved' and got['guards']['unjudged'] == ['retrans_segs']


@pytest.mark.parametrize('before,after,expected', [
    # reset and a quiet window come before the guards
    (win(valid=False, reason='boot_id changed', **FIXED), win(retrans_segs=900, **AFTER_FIX), 'reset'),
    (win(in_segs=50, **FIXED), win(retrans_segs=900, **AFTER_FIX), 'insufficient_traffic'),
    # a proven harm outranks every other outcome
    (win(prune=0, collapsed=0), win(prune=0, collapsed=0, retrans_segs=900), 'regressed'),
    (win(prune=4000, collapsed=200000), win(prune=3900, collapsed=10000, retrans_segs=900), 'regressed'),
    (win(prune=3, collapsed=0), win(prune=0, collapsed=0, retrans_segs=900), 'regressed'),
])
def test_order_of_the_verdicts(before, after, expected):
    got = verdict.judge(before, after)
    assert got['verdict'] == expected
    if expected != 'regressed':
        assert got['guards'] is None


def test_regressed_host_keeps_the_pinned_sentence_after_the_guard():
    buffers = {'pinned': 3, 'pinned_groups': [{'process': 'python3', 'pid': 7, 'sockets': 3, 'rb': 131072,
                                               'local': '198.18.0.2:40000', 'peer': '198.18.0.1:8080'}]}
    before = win(prune=4000, collapsed=200000)
    after = win(prune=3900, collapsed=10000, retrans_segs=900)
    got = verdict.judge(before, after, socket_buffers=buffers)
    assert got['verdict'] == 'regressed'
    assert got['reasons'][0].startswith('guard retrans_segs')
    assert 'SO_RCVBUF' in got['reasons'][1]


# ------------------------------------------------------------------------------------- the thresholds

@pytest.mark.parametrize('kwargs,expect', [
    ({'guard_metrics': ['retrans_segs', 'bogus']}, "'bogus' is not one"),
    ({'guard_metrics': ['in_segs']}, "'in_segs' is not one"),
    ({'guard_metrics': ['out_segs']}, "'out_segs' is not one"),
    ({'guard_metrics': 'retrans_segs'.split('_')}, "'retrans' is not one"),
    ({'guard_metrics': 7}, 'netfleet_guard_metrics must be a list'),
    ({'guard_max_increase_pct': -1}, 'netfleet_guard_max_increase_pct must be a number in [0, 10000]'),
    ({'guard_max_increase_pct': 10001}, 'netfleet_guard_max_increase_pct must be a number in [0, 10000]'),
    ({'guard_max_increase_pct': 'lots'}, 'netfleet_guard_max_increase_pct'),
    ({'guard_max_increase_pct': float('nan')}, 'netfleet_guard_max_increase_pct'),
    ({'guard_max_increase_pct': True}, 'netfleet_guard_max_increase_pct'),
])
def test_bad_guard_settings_name_the_variable_and_rule(kwargs, expect):
    with pytest.raises(thresholds.ThresholdError) as caught:
        thresholds.validate_thresholds(**kwargs)
    assert expect in str(caught.value)


def test_guard_settings_defaults_and_forms():
    got = thresholds.validate_thresholds()
    assert got['guard_metrics'] == ['rcv_pruned', 'softnet_dropped', 'memory_pressures', 'retrans_segs',
                                    'listen_overflows']
    assert got['guard_max_increase_pct'] == thresholds.DEFAULT_GUARD_MAX_INCREASE_PCT == 50
    got = thresholds.validate_thresholds(guard_metrics='retrans_segs, listen_drops,retrans_segs',
                                         guard_max_increase_pct='25.5')
    assert got['guard_metrics'] == ['retrans_segs', 'listen_drops'] and got['guard_max_increase_pct'] == 25.5
    assert thresholds.validate_thresholds(guard_metrics=[], guard_max_increase_pct=0)['guard_metrics'] == []
    checked = thresholds.parse_thresholds(guard_max_increase_pct='70.1')
    assert checked.guard_pct_exact == thresholds.Fraction(701, 10)
    again = thresholds.Thresholds.from_dict(checked.as_dict())
    assert again.as_dict() == checked.as_dict()


def test_every_guardable_metric_can_be_a_guard():
    assert set(metric_registry.DEFAULT_GUARDS) <= set(metric_registry.GUARDABLE)
    assert not set(metric_registry.DENOMINATORS) & set(metric_registry.GUARDABLE)
    got = judge({}, {}, guard_metrics=list(metric_registry.GUARDABLE))
    assert got['guards']['metrics'] == list(metric_registry.GUARDABLE)


# ------------------------------------------------------------------------------- the test of a rise

def _upper_tail(at_least, events, share):
    return sum(math.comb(events, k) * share ** k * (1 - share) ** (events - k) for k in range(at_least, events + 1))


@settings(max_examples=200, deadline=None)
@given(before=st.integers(0, 200), after=st.integers(0, 200), before_segs=st.integers(1000, 10 ** 7),
       after_segs=st.integers(1000, 10 ** 7), pct=st.integers(0, 300))
def test_rise_p_value_is_the_upper_tail(before, after, before_segs, after_segs, pct):
    ratio = 1 + pct / 100.0
    share = ratio * after_segs / (ratio * after_segs + before_segs)
    expected = _upper_tail(after, before + after, share) if before + after else 1.0
    assert significance.rise_p_value(before, before_segs, after, after_segs, pct) == pytest.approx(
        expected, rel=1e-6, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(before=st.integers(0, 10 ** 6), scale=st.floats(0.0, 1.5), segs=st.integers(10 ** 4, 10 ** 8),
       pct=st.integers(50, 500))
def test_a_guard_that_did_not_rise_by_the_tolerance_never_regresses(before, scale, segs, pct):
    after = int(before * scale)
    got = verdict.judge(win(in_segs=segs, out_segs=segs, retrans_segs=before, **FIXED),
                        win(in_segs=segs, out_segs=segs, retrans_segs=after, **AFTER_FIX),
                        guard_max_increase_pct=pct, min_segments=1)
    assert got['metrics']['retrans_segs']['regressed'] is False
    assert got['verdict'] != 'regressed'
