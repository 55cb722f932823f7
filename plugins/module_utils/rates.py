# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counter windows: deltas, rates per second and per million segments (the one place rates are computed).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports: the facts module and
netfleet_window (through records.build_record) call ``window()`` on the host;
the verdicts and the report read the rates it computed.  Which metrics there
are, where they come from and which counters are gauges is metric_registry.

A snapshot is a dict::

    {'boot_id': str, 'monotonic': float seconds (time.monotonic()),
     'counters': {group: {name: int}}, 'metrics': {metric name: int}}

(``netstat_facts`` returns exactly that under ``ansible_facts.netstat`` plus
``monotonic``.)  A window is two snapshots of the same boot, some seconds apart.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry

__all__ = ['window', 'snapshot']


def snapshot(counters, metrics, boot_id, monotonic):
    """Build a snapshot dict from its parts (a convenience for callers)."""
    return {'boot_id': boot_id, 'monotonic': monotonic,
            'counters': counters, 'metrics': metrics}


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _delta_of(values_a, values_b, key):
    """``values_b[key] - values_a[key]`` when both are integers, else None."""
    if _is_int(values_a.get(key)) and _is_int(values_b.get(key)):
        return values_b[key] - values_a[key]
    return None


def _rate(delta, seconds, in_segs_delta):
    return {
        'delta': delta,
        'per_second': (delta / seconds) if seconds > 0 else None,
        'per_million_segs': (delta * 1000000.0 / in_segs_delta) if in_segs_delta else None,
    }


def window(before, after):
    """Deltas and rates between two snapshots of the same boot.

    Returns::

        {'seconds': float, 'valid': bool, 'invalid_reason': str or None,
         'in_segs': int or None,
         'metrics': {name: {'delta': int, 'per_second': float,
                            'per_million_segs': float or None}},
         'counters': {group: {name: {same three keys}}}}

    - ``in_segs`` is the Tcp InSegs delta (the metric_registry.DENOMINATOR
      metric, else its source ``counters['Tcp']['InSegs']``), None when either
      snapshot lacks it.
    - ``per_million_segs`` is ``delta * 1e6 / in_segs`` and None when the InSegs
      delta is 0 or unknown (never a division by zero, never an invented 0); a
      metric whose registry ``per`` is another denominator (``retrans_segs``:
      ``out_segs``) divides by that one's delta instead, and so does the metric's
      source counter (``Tcp.RetransSegs``); the denominators' own metrics have
      None (``per`` is None), their counters per million InSegs as any other.
    - ``per_second`` is None only when ``seconds <= 0``.
    - A counter or metric is in the result only when both snapshots have it
      as an integer; gauges (metric_registry.is_gauge, and metrics of kind
      gauge) are left out.
    - Invalid (``valid`` False, ``invalid_reason`` says why, all reasons joined
      with "; ") when boot_id differs or is missing, ``seconds <= 0``, or any
      counter or metric went backwards (each named, with both values).  The
      numbers are still filled in for diagnosis; a consumer must check
      ``valid`` first and treat an invalid window as a reset, never a pass.
    """
    before = before or {}
    after = after or {}
    reasons = []

    boot_a, boot_b = before.get('boot_id'), after.get('boot_id')
    if not boot_a or not boot_b:
        reasons.append('boot_id missing (before %r, after %r)' % (boot_a, boot_b))
    elif boot_a != boot_b:
        reasons.append('boot_id changed (%s -> %s): the host rebooted' % (boot_a, boot_b))

    try:
        seconds = float(after.get('monotonic')) - float(before.get('monotonic'))
    except (TypeError, ValueError):
        seconds = 0.0
        reasons.append('monotonic time missing')
    else:
        if not seconds > 0:
            reasons.append('window length %.6f s is not positive' % seconds)

    metrics_a = before.get('metrics') or {}
    metrics_b = after.get('metrics') or {}
    counters_a = before.get('counters') or {}
    counters_b = after.get('counters') or {}

    # each denominator's delta (metric, else its source counter), and the positive ones to divide by
    denominators = {}
    for name in metric_registry.DENOMINATORS:
        delta = _delta_of(metrics_a, metrics_b, name)
        if delta is None:
            source = metric_registry.BY_NAME[name].source
            delta = _delta_of(counters_a.get(source.section) or {}, counters_b.get(source.section) or {},
                              source.field)
        denominators[name] = delta
    in_segs = denominators[metric_registry.DENOMINATOR]
    divide_by = dict((name, delta if (delta is not None and delta > 0) else None)
                     for name, delta in denominators.items())

    backwards = []
    out_counters = {}
    for group in sorted(counters_b):
        names_b = counters_b.get(group) or {}
        names_a = counters_a.get(group) or {}
        out_group = {}
        for name in sorted(names_b):
            if metric_registry.is_gauge(group, name):
                continue
            value_a, value_b = names_a.get(name), names_b.get(name)
            if not (_is_int(value_a) and _is_int(value_b)):
                continue
            delta = value_b - value_a
            if delta < 0:
                backwards.append('%s.%s (%d -> %d)' % (group, name, value_a, value_b))
            # a metric's source counter has the metric's rate (Tcp RetransSegs per million OutSegs)
            source_of = metric_registry.metric_of(group, name)
            per = source_of.per if source_of is not None and source_of.per else metric_registry.DENOMINATOR
            out_group[name] = _rate(delta, seconds, divide_by[per])
        if out_group:
            out_counters[group] = out_group

    # a metric whose source counter was already named is not named twice
    reported_sources = set(
        metric.name for metric in metric_registry.METRICS
        if any(text.startswith('%s.%s ' % (metric.source.section, metric.source.field)) for text in backwards))
    out_metrics = {}
    for name in metric_registry.ordered(metrics_b):
        metric = metric_registry.BY_NAME.get(name)
        if metric is not None and metric.kind == 'gauge':
            continue
        value_a, value_b = metrics_a.get(name), metrics_b.get(name)
        if not (_is_int(value_a) and _is_int(value_b)):
            continue
        delta = value_b - value_a
        if delta < 0 and name not in reported_sources:
            backwards.append('metric %s (%d -> %d)' % (name, value_a, value_b))
        per = metric.per if metric is not None else metric_registry.DENOMINATOR
        out_metrics[name] = _rate(delta, seconds, divide_by.get(per))

    if backwards:
        reasons.append('counter went backwards: ' + ', '.join(backwards))

    return {
        'seconds': seconds,
        'valid': not reasons,
        'invalid_reason': '; '.join(reasons) if reasons else None,
        'in_segs': in_segs,
        'metrics': out_metrics,
        'counters': out_counters,
    }
