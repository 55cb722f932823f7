# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""thresholds: the verify thresholds, checked once."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry
from ansible_collections.netfleet.tuning.plugins.plugin_utils import thresholds as t
from ansible_collections.netfleet.tuning.plugins.plugin_utils import verdict as v

GATED = ('prune_called', 'rcv_collapsed')


def test_defaults():
    assert t.validate_thresholds() == {'gated_metrics': ['prune_called', 'rcv_collapsed'],
                                       'min_reduction_pct': 90, 'min_segments': 10000,
                                       'guard_metrics': list(metric_registry.DEFAULT_GUARDS),
                                       'guard_max_increase_pct': 50}
    assert t.DEFAULT_MIN_SEGMENTS > 0
    assert v.VERDICTS == ('reset', 'insufficient_traffic', 'regressed', 'clean', 'improved', 'not_improved')
    assert v.PASSING == ('improved', 'clean')
    assert 'in_segs' not in metric_registry.GATEABLE


@pytest.mark.parametrize('raw, want', [
    ('95', 95), ('99.5', 99.5), (100, 100), (0.5, 0.5), (' 90 ', 90), (50.0, 50),
])
def test_pct_accepted(raw, want):
    assert t.validate_thresholds(min_reduction_pct=raw)['min_reduction_pct'] == want


@pytest.mark.parametrize('raw', [0, -1, 100.01, 101, '0', '', 'ninety', '-5', float('nan'), float('inf'),
                                 True, False, [90], {'a': 1}])
def test_pct_rejected(raw):
    with pytest.raises(t.ThresholdError) as err:
        t.validate_thresholds(min_reduction_pct=raw)
    assert 'netfleet_min_reduction_pct' in str(err.value)
    assert '(0, 100]' in str(err.value)


@pytest.mark.parametrize('raw, want', [(1, 1), ('5000', 5000), (20000.0, 20000), (10 ** 12, 10 ** 12)])
def test_segments_accepted(raw, want):
    assert t.validate_thresholds(min_segments=raw)['min_segments'] == want


@pytest.mark.parametrize('raw', [0, -1, '0', 1.5, 'many', True, float('nan'), float('inf'), '1e4', ''])
def test_segments_rejected(raw):
    with pytest.raises(t.ThresholdError) as err:
        t.validate_thresholds(min_segments=raw)
    assert 'netfleet_min_segments' in str(err.value)
    assert '>= 1' in str(err.value)


def test_gated_accepted():
    assert t.validate_thresholds(gated_metrics='prune_called, rcv_collapsed')['gated_metrics'] == list(GATED)
    assert t.validate_thresholds(gated_metrics=['rcv_pruned', 'rcv_pruned'])['gated_metrics'] == ['rcv_pruned']
    assert t.validate_thresholds(gated_metrics=('softnet_dropped',))['gated_metrics'] == ['softnet_dropped']


@pytest.mark.parametrize('raw', [[], '', ',', ['in_segs'], ['PruneCalled'], ['prune_called', 3], 42, {'x': 1}])
def test_gated_rejected(raw):
    with pytest.raises(t.ThresholdError) as err:
        t.validate_thresholds(gated_metrics=raw)
    assert 'netfleet_gated_metrics' in str(err.value)


def test_from_dict_takes_the_checked_dict_as_it_is():
    checked = t.validate_thresholds(['rcv_collapsed', 'prune_called'], '70.5', '500')
    again = t.Thresholds.from_dict(checked)
    assert again.as_dict() == checked
    assert again.pct_exact == t.parse_thresholds(min_reduction_pct=70.5).pct_exact
    # the rules are not applied again: only the dict's shape is checked
    guards = {'guard_metrics': ['retrans_segs'], 'guard_max_increase_pct': 50}
    assert t.Thresholds.from_dict(dict(guards, gated_metrics=[], min_reduction_pct=0, min_segments=0)).min_segments == 0
    for bad in (None, [], dict(guards, gated_metrics=['prune_called'], min_segments=1),
                dict(guards, gated_metrics='prune_called', min_reduction_pct=90, min_segments=1),
                dict(guards, gated_metrics=['prune_called'], min_reduction_pct=True, min_segments=1),
                dict(guards, gated_metrics=['prune_called'], min_reduction_pct=float('inf'), min_segments=1),
                dict(guards, gated_metrics=['prune_called'], min_reduction_pct=90, min_segments='1'),
                # a dict from before the guards, and guards of the wrong types
                {'gated_metrics': ['prune_called'], 'min_reduction_pct': 90, 'min_segments': 1},
                {'gated_metrics': ['prune_called'], 'min_reduction_pct': 90, 'min_segments': 1,
                 'guard_metrics': 'retrans_segs', 'guard_max_increase_pct': 50},
                {'gated_metrics': ['prune_called'], 'min_reduction_pct': 90, 'min_segments': 1,
                 'guard_metrics': [], 'guard_max_increase_pct': None}):
        with pytest.raises(t.ThresholdError, match='thresholds must be the dict netfleet.tuning.thresholds returns'):
            t.Thresholds.from_dict(bad)
