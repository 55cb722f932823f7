# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render counters as Prometheus text exposition (format 0.0.4) for node_exporter's textfile collector.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure: data in, text out.  Python 3.8+, stdlib only.

Names: ``netfleet_netstat_<Group>_<Name>`` for every /proc/net/netstat, snmp
and snmp6 value (the node_exporter naming with our own prefix: node_exporter's
netstat collector already exports a few of the same counters as
``node_netstat_*``, and the same name from two collectors is a scrape error),
so the receive-queue counters node_exporter drops by default
(TcpExt PruneCalled, TCPRcvCollapsed, RcvPruned, OfoPruned...) are exported.
Counters are ``untyped`` like node_exporter's, values that are gauges
(metric_registry.is_gauge) are ``gauge``; a metric's source has the metric's
help text (metric_registry), any other counter a generic one.  softnet_stat
totals over all CPUs are ``netfleet_softnet_{processed,dropped,times_squeezed}_total``
counters (per CPU series are node_exporter's softnet collector's job).

TCP memory (the facts' ``tcp_memory``, tcp_memory.summarize) as gauges, each only when known:
``netfleet_tcp_memory_pages`` (sockstat TCP mem, the whole host), ``netfleet_tcp_memory_limit_pages``
with a ``limit`` label (``low``, ``pressure``, ``high``: net.ipv4.tcp_mem, not visible in a child
network namespace) and ``netfleet_tcp_memory_state`` with a ``state`` label, 1 for the state it is in
and 0 for the others (tcp_memory.STATES).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry
from ansible_collections.netfleet.tuning.plugins.module_utils import tcp_memory as tcp_memory_rule

__all__ = ['render', 'family', 'metric_name', 'textfile_counters', 'PREFIX']

PREFIX = 'netfleet'

# The softnet_stat totals exported: (field of parse_softnet()['total'], name suffix, help text when the
# field is no metric's source).
_SOFTNET = (
    ('processed', 'processed_total', 'packets processed by the network softirq, all CPUs'),
    ('dropped', 'dropped_total', None),
    ('time_squeeze', 'times_squeezed_total', 'times the softirq ran out of budget with work left, all CPUs'),
)

_BAD = re.compile(r'[^a-zA-Z0-9_:]')


def metric_name(*parts):
    """Join parts with ``_`` and replace anything not valid in a metric name."""
    name = _BAD.sub('_', '_'.join(parts))
    if not name or name[0].isdigit():
        name = '_' + name
    return name


def textfile_counters(all_counters, kept):
    """The counters to export: ``kept`` (a selection, procnet.filter_counters) plus always the sources of the
    named metrics (metric_registry.COUNTER_SOURCES) found in ``all_counters``."""
    result = dict((group, dict(names)) for group, names in kept.items())
    for group, name in metric_registry.COUNTER_SOURCES:
        value = (all_counters.get(group) or {}).get(name)
        if value is not None:
            result.setdefault(group, {})[name] = value
    return result


def _help_text(section, field, other):
    """The HELP text of ``section`` / ``field``: the metric's help where it is a metric's source, else ``other``."""
    metric = metric_registry.metric_of(section, field)
    return metric.help if metric is not None else other


def _help(text):
    return text.replace('\\', '\\\\').replace('\n', '\\n')


def _label_value(text):
    return str(text).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _value(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def family(name, kind, text, value, labels=None):
    """The lines of one metric family: ``# HELP``, ``# TYPE`` and its samples.

    ``value``: the one sample of an unlabelled metric; ``labels``: ``[(label, label value, sample)]``
    instead (``value`` is then ignored), one sample each, in the order given. Help text and label values
    are escaped as the text format wants (backslash, newline, and double quote in label values);
    ``name`` and ``label`` must already be valid names (metric_name).
    """
    lines = ['# HELP %s %s' % (name, _help(text)), '# TYPE %s %s' % (name, kind)]
    if labels is None:
        lines.append('%s %s' % (name, _value(value)))
        return lines
    for label, label_value, sample in labels:
        lines.append('%s{%s="%s"} %s' % (name, label, _label_value(label_value), _value(sample)))
    return lines


def render(counters, softnet_total=None, timestamp=None, prefix=PREFIX, tcp_memory=None):
    """Text exposition of ``counters`` ({group: {name: int}}), softnet totals and TCP memory.

    ``softnet_total`` is parse_softnet()['total'] or None, ``timestamp`` the
    collection time as Unix seconds (exported as a gauge, not as sample
    timestamps: the textfile collector rejects those) or None, ``tcp_memory``
    tcp_memory.summarize()'s result or None.  The output is sorted, ends with a
    newline and has one HELP and TYPE line per metric (a labelled one has a
    sample per label value).
    """
    out = []

    def emit(name, kind, text, value, labels=None):
        out.extend(family(name, kind, text, value, labels))

    for group in sorted(counters or {}):
        for name in sorted(counters[group] or {}):
            value = counters[group][name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            emit(metric_name(prefix, 'netstat', group, name),
                 'gauge' if metric_registry.is_gauge(group, name) else 'untyped',
                 _help_text(group, name, '/proc/net %s %s' % (group, name)), value)
    if softnet_total:
        for key, suffix, text in _SOFTNET:
            if key in softnet_total:
                emit(metric_name(prefix, 'softnet', suffix), 'counter', _help_text('total', key, text),
                     softnet_total[key])
    _tcp_memory(emit, tcp_memory or {}, prefix)
    if timestamp is not None:
        emit(metric_name(prefix, 'netstat', 'collected_timestamp_seconds'), 'gauge',
             'Unix time netfleet.tuning read these counters (netstat_facts, or the netstat_exporter role\'s program)', timestamp)
    return '\n'.join(out) + '\n' if out else ''


def _tcp_memory(emit, tcp_memory, prefix):
    """The TCP memory gauges of ``tcp_memory`` (tcp_memory.summarize), each only when it is known."""
    if isinstance(tcp_memory.get('pages'), int):
        emit(metric_name(prefix, 'tcp_memory', 'pages'), 'gauge',
             'pages all TCP sockets of the host hold (sockstat TCP mem)', tcp_memory['pages'])
    limits = tcp_memory.get('tcp_mem')
    if isinstance(limits, dict):
        emit(metric_name(prefix, 'tcp_memory', 'limit_pages'), 'gauge',
             'net.ipv4.tcp_mem: TCP enters memory pressure above pressure, leaves it at or below low, '
             'and allocates nothing above high (pages)', None,
             [('limit', name, limits[name]) for name in tcp_memory_rule.LIMITS])
    state = tcp_memory.get('state')
    if state in tcp_memory_rule.STATES:
        emit(metric_name(prefix, 'tcp_memory', 'state'), 'gauge',
             'where the TCP memory stands against net.ipv4.tcp_mem (1 for the state it is in); between: '
             'in pressure or not, as it was', None,
             [('state', name, 1 if name == state else 0) for name in tcp_memory_rule.STATES])
