# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""metric_registry: the one table of the metrics, and everything that reads it agrees with it."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re

import pytest
import yaml

from ansible_collections.netfleet.tuning.plugins.filter import netfleet as filters
from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry, procnet, promtext, rates
from ansible_collections.netfleet.tuning.plugins.modules import netstat_facts
from ansible_collections.netfleet.tuning.plugins.plugin_utils import report, report_view, thresholds, verdict

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
FIXTURES = os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'proc')
# What each /proc file's parser returns, as {section: {field: value}}.
PARSERS = {
    'net/netstat': lambda text: procnet.parse_pairs(text, 'netstat'),
    'net/snmp': lambda text: procnet.parse_pairs(text, 'snmp'),
    'net/snmp6': lambda text: procnet.parse_snmp6(text, 'snmp6'),
    'net/softnet_stat': lambda text: procnet.parse_softnet(text, 'softnet_stat'),
}
# Metrics an older kernel does not have (the node_exporter fixture: no TCPRcvQDrop, no TCPMemoryPressuresChrono).
ABSENT_ON = {'node_exporter': {'rcvq_drop', 'memory_pressure_ms'}}


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return handle.read()


def parsed(kernel, source):
    """The parsed form of ``source``'s file in the fixtures of ``kernel``."""
    return PARSERS[source.file](read('tests', 'unit', 'fixtures', 'proc', kernel, source.file.split('/')[-1]))


def fixture_snapshot(kernel):
    """(counters, softnet) as procread builds them from a fixture directory."""
    counters = {}
    for name in ('netstat', 'snmp', 'snmp6'):
        if os.path.exists(os.path.join(FIXTURES, kernel, name)):
            counters.update(PARSERS['net/' + name](read('tests', 'unit', 'fixtures', 'proc', kernel, name)))
    return counters, PARSERS['net/softnet_stat'](read('tests', 'unit', 'fixtures', 'proc', kernel, 'softnet_stat'))


# ---------------------------------------------------------------- the table itself

def test_names_and_order():
    assert metric_registry.NAMES == ('prune_called', 'rcv_collapsed', 'rcv_pruned', 'ofo_pruned',
                                     'backlog_drop', 'rcvq_drop', 'softnet_dropped',
                                     'memory_pressures', 'memory_pressure_ms', 'retrans_segs', 'lost_retransmit',
                                     'timeouts', 'listen_overflows', 'listen_drops', 'in_segs', 'out_segs')
    assert len(set(metric_registry.NAMES)) == len(metric_registry.NAMES)
    assert list(metric_registry.BY_NAME) == list(metric_registry.NAMES)
    assert metric_registry.BY_NAME['prune_called'].source == ('net/netstat', 'TcpExt', 'PruneCalled')
    assert metric_registry.BY_NAME['softnet_dropped'].source == ('net/softnet_stat', 'total', 'dropped')
    assert metric_registry.BY_NAME['retrans_segs'].source == ('net/snmp', 'Tcp', 'RetransSegs')
    assert metric_registry.BY_NAME['out_segs'].source == ('net/snmp', 'Tcp', 'OutSegs')


def test_entries_are_complete():
    sources = set()
    for metric in metric_registry.METRICS:
        assert re.match(r'\A[a-z_]{1,64}\Z', metric.name)
        assert metric.source.file in PARSERS, metric
        assert metric.kind in ('counter', 'gauge')
        assert metric.unit in ('packets', 'segments', 'events', 'milliseconds')
        assert metric.help and '\n' not in metric.help
        assert metric.gated_by_default in (True, False) and metric.gateable in (True, False)
        assert not metric.gated_by_default or metric.gateable
        assert metric.guarded_by_default in (True, False) and metric.guardable in (True, False)
        assert not metric.guarded_by_default or metric.guardable
        # a denominator divides by nothing; every other metric by one of the denominators
        if metric.name in metric_registry.DENOMINATORS:
            assert metric.per is None and not metric.gateable and not metric.guardable
        else:
            assert metric.per in metric_registry.DENOMINATORS, metric
        assert metric.source not in sources
        sources.add(metric.source)
    # the denominator normalises the others: never gated
    assert metric_registry.DENOMINATOR in metric_registry.DENOMINATORS
    assert metric_registry.DENOMINATORS == ('in_segs', 'out_segs')
    assert metric_registry.GATEABLE == ('prune_called', 'rcv_collapsed', 'rcv_pruned', 'ofo_pruned',
                                        'backlog_drop', 'rcvq_drop', 'softnet_dropped')
    assert metric_registry.DEFAULT_GATED == ('prune_called', 'rcv_collapsed')
    # the guards: every metric but the denominators may be one
    assert metric_registry.GUARDABLE == tuple(name for name in metric_registry.NAMES
                                              if name not in metric_registry.DENOMINATORS)
    assert metric_registry.DEFAULT_GUARDS == ('rcv_pruned', 'softnet_dropped', 'memory_pressures', 'retrans_segs',
                                              'listen_overflows')
    # the sender's retransmissions are per million segments sent, everything else per million received
    assert [name for name in metric_registry.NAMES if metric_registry.BY_NAME[name].per == 'out_segs'] == [
        'retrans_segs', 'lost_retransmit', 'timeouts']


def test_lookups():
    assert metric_registry.metric_of('TcpExt', 'PruneCalled').name == 'prune_called'
    assert metric_registry.metric_of('total', 'dropped').name == 'softnet_dropped'
    assert metric_registry.metric_of('TcpExt', 'TCPTimeouts').name == 'timeouts'
    assert metric_registry.metric_of('TcpExt', 'TCPSackRecovery') is None
    assert metric_registry.source_label('prune_called') == 'TcpExt PruneCalled'
    assert metric_registry.source_label('softnet_dropped') == 'softnet_stat dropped'
    assert metric_registry.source_label('in_segs') == 'Tcp InSegs'
    assert metric_registry.source_label('bogus') == 'bogus'
    assert metric_registry.ordered({'zeta', 'in_segs', 'alpha', 'prune_called'}) == [
        'prune_called', 'in_segs', 'alpha', 'zeta']
    assert metric_registry.per_label('prune_called') == 'InSegs'
    assert metric_registry.per_label('retrans_segs') == 'OutSegs'
    assert metric_registry.per_label('bogus') == 'InSegs'
    assert metric_registry.COUNTER_SOURCES == (
        ('TcpExt', 'PruneCalled'), ('TcpExt', 'TCPRcvCollapsed'), ('TcpExt', 'RcvPruned'), ('TcpExt', 'OfoPruned'),
        ('TcpExt', 'TCPBacklogDrop'), ('TcpExt', 'TCPRcvQDrop'), ('TcpExt', 'TCPMemoryPressures'),
        ('TcpExt', 'TCPMemoryPressuresChrono'), ('Tcp', 'RetransSegs'), ('TcpExt', 'TCPLostRetransmit'),
        ('TcpExt', 'TCPTimeouts'), ('TcpExt', 'ListenOverflows'), ('TcpExt', 'ListenDrops'), ('Tcp', 'InSegs'),
        ('Tcp', 'OutSegs'))


def test_gauges():
    for name in ('Tcp.CurrEstab', 'Tcp.MaxConn', 'Tcp.RtoMin', 'Tcp.RtoMax', 'Tcp.RtoAlgorithm',
                 'Ip.Forwarding', 'Ip.DefaultTTL', 'MPTcpExt.MPCurrEstab'):
        assert name in metric_registry.GAUGE_COUNTERS
        assert metric_registry.is_gauge(*name.split('.'))
    for metric in metric_registry.METRICS:
        assert metric_registry.is_gauge(metric.source.section, metric.source.field) == (metric.kind == 'gauge')


# ---------------------------------------------------------------- the parsers produce every source

@pytest.mark.parametrize('kernel', ['linux-6.18', 'node_exporter'])
def test_every_source_is_parsed_from_the_fixtures(kernel):
    for metric in metric_registry.METRICS:
        section = parsed(kernel, metric.source).get(metric.source.section) or {}
        if metric.name in ABSENT_ON.get(kernel, ()):
            assert metric.source.field not in section
        else:
            value = section.get(metric.source.field)
            assert isinstance(value, int) and not isinstance(value, bool), (kernel, metric)


@pytest.mark.parametrize('kernel', ['linux-6.18', 'node_exporter'])
def test_facts_have_every_metric_the_kernel_has(kernel):
    counters, softnet = fixture_snapshot(kernel)
    got = procnet.metrics(counters, softnet)
    assert set(got) == set(metric_registry.NAMES) - ABSENT_ON.get(kernel, set())
    for name, value in got.items():
        source = metric_registry.BY_NAME[name].source
        found = counters if source.is_counter else softnet
        assert value == found[source.section][source.field]


# ---------------------------------------------------------------- everything that names metrics uses it

def test_textfile_help_and_exports():
    counters, softnet = fixture_snapshot('linux-6.18')
    exported = netstat_facts.textfile_counters(counters, {})
    text = promtext.render(exported, softnet['total'])
    for metric in metric_registry.METRICS:
        source = metric.source
        if source.is_counter:
            name = promtext.metric_name('netfleet', 'netstat', source.section, source.field)
        else:
            name = 'netfleet_softnet_%s_total' % source.field
        assert '# HELP %s %s' % (name, metric.help) in text.splitlines(), metric
    # only the metrics' sources when the counters option keeps nothing
    assert sorted((group, name) for group in exported for name in exported[group]) == sorted(
        metric_registry.COUNTER_SOURCES)


def test_windows_and_reports_order_by_the_registry():
    names = list(metric_registry.NAMES)
    before = {'boot_id': 'b', 'monotonic': 1.0, 'counters': {}, 'metrics': dict((name, 0) for name in names)}
    after = {'boot_id': 'b', 'monotonic': 2.0, 'counters': {},
             'metrics': dict((name, 10 ** 6 if name == 'in_segs' else 1) for name in reversed(names))}
    window = rates.window(before, after)
    assert list(window['metrics']) == names
    assert window['metrics']['prune_called']['per_million_segs'] == 1.0
    # the report keeps a window's rates in the same order
    assert list(report._window_rates(window)) == names
    # the verdict judges every metric but the denominators, in registry order
    got = verdict.judge(window, window, min_segments=1)
    assert list(got['metrics']) == [name for name in names if name not in metric_registry.DENOMINATORS]


def test_thresholds_and_views_use_the_registry():
    assert thresholds.validate_thresholds()['gated_metrics'] == list(metric_registry.DEFAULT_GATED)
    for name in metric_registry.GATEABLE:
        assert thresholds.validate_thresholds(gated_metrics=[name])['gated_metrics'] == [name]
    with pytest.raises(thresholds.ThresholdError, match=', '.join(metric_registry.GATEABLE)):
        thresholds.validate_thresholds(gated_metrics=[metric_registry.DENOMINATOR])
    assert report_view.gated_metrics({'hosts': {}}) == list(metric_registry.DEFAULT_GATED)


def test_verdict_names_the_source_of_a_missing_metric():
    window = {'seconds': 10.0, 'valid': True, 'invalid_reason': None, 'in_segs': 10 ** 6,
              'metrics': {'in_segs': {'delta': 10 ** 6, 'per_second': 10.0 ** 5, 'per_million_segs': 10.0 ** 6}}}
    problems = verdict.check_baseline(window, gated_metrics=['softnet_dropped', 'rcvq_drop'])
    assert problems == ['gated metric softnet_dropped (softnet_stat dropped) is not reported by this kernel',
                        'gated metric rcvq_drop (TcpExt TCPRcvQDrop) is not reported by this kernel']


# ---------------------------------------------------------------- the documentation (YAML and Markdown) agrees

def _docs(text):
    return yaml.safe_load(text)


def test_module_documents_every_metric():
    returned = _docs(netstat_facts.RETURN)['ansible_facts']['contains']['netstat']['contains']['metrics']
    text = ' '.join(returned['description'])
    for metric in metric_registry.METRICS:
        assert 'C(%s)' % metric.name in text, metric.name


@pytest.mark.parametrize('name', ['verdict', 'baseline_check'])
def test_filter_documents_the_gateable_metrics(name):
    options = _docs(read('plugins', 'filter', name + '.yml'))['DOCUMENTATION']['options']
    assert options['gated_metrics']['default'] == list(metric_registry.DEFAULT_GATED)
    verdict_options = _docs(read('plugins', 'filter', 'verdict.yml'))['DOCUMENTATION']['options']
    assert verdict_options['gated_metrics']['description'].endswith(
        'Any of %s.' % ', '.join(metric_registry.GATEABLE))
    assert set(filters.FilterModule().filters()) >= {'verdict', 'baseline_check', 'thresholds'}


def reference_rows():
    """The metric table of docs/reference.md as it must read: one row per registry entry."""
    def flag(default, able):
        return 'yes' if default else ('no' if able else 'never')

    rows = []
    for metric in metric_registry.METRICS:
        per = metric_registry.BY_NAME[metric.per].source.label if metric.per else '-'
        rows.append('| `%s` | `%s`: %s %s | %s | %s | %s | %s | %s | %s |' % (
            metric.name, metric.source.file, metric.source.section, metric.source.field, metric.kind, metric.unit,
            per, flag(metric.gated_by_default, metric.gateable), flag(metric.guarded_by_default, metric.guardable),
            metric.help))
    return rows


def test_reference_table_is_the_registry():
    text = read('docs', 'reference.md')
    section = text.split('### The metrics\n', 1)[1].split('\n### ', 1)[0]
    table = [line for line in section.splitlines() if line.startswith('| `')]
    assert table == reference_rows()
