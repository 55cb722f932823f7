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
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry

__all__ = ['render', 'metric_name', 'PREFIX']

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


def _help_text(section, field, other):
    """The HELP text of ``section`` / ``field``: the metric's help where it is a metric's source, else ``other``."""
    metric = metric_registry.metric_of(section, field)
    return metric.help if metric is not None else other


def _help(text):
    return text.replace('\\', '\\\\').replace('\n', '\\n')


def _value(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def render(counters, softnet_total=None, timestamp=None, prefix=PREFIX):
    """Text exposition of ``counters`` ({group: {name: int}}) and softnet totals.

    ``softnet_total`` is parse_softnet()['total'] or None, ``timestamp`` the
    collection time as Unix seconds (exported as a gauge, not as sample
    timestamps: the textfile collector rejects those) or None.  The output is
    sorted, ends with a newline and has one HELP and TYPE line per metric.
    """
    out = []

    def emit(name, kind, text, value):
        out.append('# HELP %s %s' % (name, _help(text)))
        out.append('# TYPE %s %s' % (name, kind))
        out.append('%s %s' % (name, _value(value)))

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
    if timestamp is not None:
        emit(metric_name(prefix, 'netstat', 'collected_timestamp_seconds'), 'gauge',
             'Unix time netfleet.tuning.netstat_facts read these counters', timestamp)
    return '\n'.join(out) + '\n' if out else ''
