# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import math

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.module_utils import rates


def snap(boot='b1', mono=100.0, prune=10, collapsed=1000, in_segs=10 ** 6, curr=5, softnet=3, **extra):
    counters = {'TcpExt': {'PruneCalled': prune, 'TCPRcvCollapsed': collapsed},
                'Tcp': {'InSegs': in_segs, 'CurrEstab': curr, 'MaxConn': -1, 'RtoMin': 200}}
    metrics = {'prune_called': prune, 'rcv_collapsed': collapsed, 'in_segs': in_segs, 'softnet_dropped': softnet}
    result = rates.snapshot(counters, metrics, boot, mono)
    result.update(extra)
    return result


def test_valid_window():
    got = rates.window(snap(), snap(mono=110.0, prune=30, collapsed=3000, in_segs=2 * 10 ** 6, curr=1, softnet=3))
    assert got['valid'] is True
    assert got['invalid_reason'] is None
    assert got['seconds'] == 10.0
    assert got['in_segs'] == 10 ** 6
    assert got['metrics']['prune_called'] == {'delta': 20, 'per_second': 2.0, 'per_million_segs': 20.0}
    assert got['metrics']['rcv_collapsed'] == {'delta': 2000, 'per_second': 200.0, 'per_million_segs': 2000.0}
    assert got['metrics']['softnet_dropped'] == {'delta': 0, 'per_second': 0.0, 'per_million_segs': 0.0}
    assert got['metrics']['in_segs']['per_second'] == 10 ** 5
    assert list(got['metrics']) == ['prune_called', 'rcv_collapsed', 'softnet_dropped', 'in_segs']
    assert got['counters']['TcpExt']['PruneCalled']['delta'] == 20
    # gauges are left out, also when they went down
    assert 'CurrEstab' not in got['counters']['Tcp']
    assert 'MaxConn' not in got['counters']['Tcp']
    assert 'RtoMin' not in got['counters']['Tcp']


def test_zero_in_segs_no_division():
    got = rates.window(snap(), snap(mono=101.0, prune=12))
    assert got['valid'] is True
    assert got['in_segs'] == 0
    assert got['metrics']['prune_called'] == {'delta': 2, 'per_second': 2.0, 'per_million_segs': None}


def test_missing_in_segs():
    before, after = snap(), snap(mono=102.0)
    for item in (before, after):
        del item['metrics']['in_segs']
        del item['counters']['Tcp']['InSegs']
    got = rates.window(before, after)
    assert got['in_segs'] is None
    assert got['metrics']['prune_called']['per_million_segs'] is None


def test_in_segs_from_counters_when_metric_missing():
    before, after = snap(), snap(mono=102.0, in_segs=10 ** 6 + 500)
    del before['metrics']['in_segs']
    got = rates.window(before, after)
    assert got['in_segs'] == 500


def test_retransmissions_per_million_out_segs():
    """retrans_segs, lost_retransmit and timeouts divide by the OutSegs delta (the registry's ``per``), the
    rest by InSegs; the metric's source counter has the metric's rate."""
    before, after = snap(), snap(mono=110.0, prune=30, in_segs=2 * 10 ** 6)
    for item, (out_segs, retrans, timeouts) in ((before, (5000, 100, 7)), (after, (5000 + 250000, 100 + 500, 9))):
        item['metrics'].update({'out_segs': out_segs, 'retrans_segs': retrans, 'timeouts': timeouts})
        item['counters']['Tcp'].update({'OutSegs': out_segs, 'RetransSegs': retrans})
    got = rates.window(before, after)
    assert got['valid'] is True and got['in_segs'] == 10 ** 6
    assert got['metrics']['retrans_segs'] == {'delta': 500, 'per_second': 50.0, 'per_million_segs': 2000.0}
    assert got['metrics']['timeouts'] == {'delta': 2, 'per_second': 0.2, 'per_million_segs': 8.0}
    assert got['metrics']['prune_called']['per_million_segs'] == 20.0          # per million InSegs
    assert got['counters']['Tcp']['RetransSegs'] == got['metrics']['retrans_segs']
    # the denominators divide by nothing; their counters are per million InSegs like any other counter
    assert got['metrics']['out_segs'] == {'delta': 250000, 'per_second': 25000.0, 'per_million_segs': None}
    assert got['counters']['Tcp']['OutSegs']['per_million_segs'] == 250000.0


def test_retransmissions_without_out_segs():
    """No OutSegs delta (0, or a snapshot without it): no rate per million, never a division by zero; the
    InSegs rates are not touched."""
    before, after = snap(), snap(mono=110.0, prune=30, in_segs=2 * 10 ** 6)
    before['metrics'].update({'retrans_segs': 1, 'out_segs': 7})
    after['metrics'].update({'retrans_segs': 3, 'out_segs': 7})
    got = rates.window(before, after)
    assert got['metrics']['retrans_segs'] == {'delta': 2, 'per_second': 0.2, 'per_million_segs': None}
    del after['metrics']['out_segs']
    got = rates.window(before, after)
    assert got['metrics']['retrans_segs']['per_million_segs'] is None
    assert got['metrics']['prune_called']['per_million_segs'] == 20.0


def test_reboot_invalid():
    got = rates.window(snap(boot='b1'), snap(boot='b2', mono=5.0, prune=0))
    assert got['valid'] is False
    assert 'boot_id changed' in got['invalid_reason']


def test_missing_boot_id_invalid():
    got = rates.window(snap(boot=None), snap(boot=None, mono=110.0))
    assert got['valid'] is False
    assert 'boot_id missing' in got['invalid_reason']


def test_backwards_named_once():
    got = rates.window(snap(), snap(mono=110.0, prune=5))
    assert got['valid'] is False
    assert got['invalid_reason'] == 'counter went backwards: TcpExt.PruneCalled (10 -> 5)'
    assert got['metrics']['prune_called']['delta'] == -5     # the numbers stay, for diagnosis


def test_metric_only_backwards():
    got = rates.window(snap(), snap(mono=110.0, softnet=1))
    assert got['valid'] is False
    assert 'metric softnet_dropped (3 -> 1)' in got['invalid_reason']


@pytest.mark.parametrize('mono', [100.0, 99.0])
def test_non_positive_seconds(mono):
    got = rates.window(snap(), snap(mono=mono))
    assert got['valid'] is False
    assert 'not positive' in got['invalid_reason']
    assert got['metrics']['prune_called']['per_second'] is None


def test_missing_monotonic():
    before = snap()
    del before['monotonic']
    got = rates.window(before, snap())
    assert got['valid'] is False
    assert 'monotonic' in got['invalid_reason']


def test_counter_only_in_one_snapshot_skipped():
    before, after = snap(), snap(mono=101.0)
    after['counters']['TcpExt']['New'] = 5
    before['counters']['Gone'] = {'X': 1}
    got = rates.window(before, after)
    assert 'New' not in got['counters']['TcpExt']
    assert 'Gone' not in got['counters']
    assert got['valid'] is True


def test_inputs_not_modified():
    before, after = snap(), snap(mono=110.0, prune=20)
    copies = copy.deepcopy((before, after))
    rates.window(before, after)
    assert (before, after) == copies


counter_values = st.integers(min_value=0, max_value=2 ** 64)


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(['A', 'B', 'C', 'CurrEstab', 'InSegs']), st.tuples(counter_values, counter_values),
                       max_size=5),
       st.floats(min_value=-5, max_value=1000, allow_nan=False), st.booleans())
def test_window_property(values, seconds, same_boot):
    before = {'boot_id': 'x', 'monotonic': 0.0, 'metrics': {},
              'counters': {'Tcp': dict((k, v[0]) for k, v in values.items())}}
    after = {'boot_id': 'x' if same_boot else 'y', 'monotonic': seconds, 'metrics': {},
             'counters': {'Tcp': dict((k, v[1]) for k, v in values.items())}}
    got = rates.window(before, after)
    went_back = any(b < a for k, (a, b) in values.items() if k != 'CurrEstab')
    assert got['valid'] == (same_boot and seconds > 0 and not went_back)
    for name, rate in got['counters'].get('Tcp', {}).items():
        assert name != 'CurrEstab'
        assert rate['delta'] == values[name][1] - values[name][0]
        if seconds > 0:
            assert math.isclose(rate['per_second'], rate['delta'] / seconds)
        if got['in_segs']:
            if got['in_segs'] > 0:
                assert rate['per_million_segs'] is not None
        else:
            assert rate['per_million_segs'] is None
