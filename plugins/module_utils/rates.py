# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counter windows: deltas, rates per second and per million Tcp InSegs.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports: the facts module, the
verify playbook's filter plugin and the unit tests all call ``window()``.

A snapshot is a dict::

    {'boot_id': str, 'monotonic': float seconds (time.monotonic()),
     'counters': {group: {name: int}}, 'metrics': {metric name: int}}

(``netstat_facts`` returns exactly that under ``ansible_facts.netstat`` plus
``monotonic``.)  A window is two snapshots of the same boot, some seconds apart.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

__all__ = ['METRIC_NAMES', 'METRIC_SOURCES', 'GAUGES', 'is_gauge', 'window', 'snapshot']

# The named metrics (DESIGN.md "The metrics"), in report order.
METRIC_NAMES = (
    'prune_called',      # TcpExt PruneCalled
    'rcv_collapsed',     # TcpExt TCPRcvCollapsed
    'rcv_pruned',        # TcpExt RcvPruned
    'ofo_pruned',        # TcpExt OfoPruned
    'backlog_drop',      # TcpExt TCPBacklogDrop
    'rcvq_drop',         # TcpExt TCPRcvQDrop
    'softnet_dropped',   # /proc/net/softnet_stat column 2, all CPUs
    'in_segs',           # Tcp InSegs
)

# Where each metric comes from: (counter group, counter name), or
# ('softnet', 'dropped') for the softnet_stat total.
METRIC_SOURCES = {
    'prune_called': ('TcpExt', 'PruneCalled'),
    'rcv_collapsed': ('TcpExt', 'TCPRcvCollapsed'),
    'rcv_pruned': ('TcpExt', 'RcvPruned'),
    'ofo_pruned': ('TcpExt', 'OfoPruned'),
    'backlog_drop': ('TcpExt', 'TCPBacklogDrop'),
    'rcvq_drop': ('TcpExt', 'TCPRcvQDrop'),
    'softnet_dropped': ('softnet', 'dropped'),
    'in_segs': ('Tcp', 'InSegs'),
}

# Values in /proc/net/snmp, netstat and snmp6 that are gauges or constants,
# not monotonic counters: they may go down between two reads without any
# reset, so they are never checked for "went backwards" and never get rates.
# "Group.Name" strings.
GAUGES = frozenset((
    'Ip.Forwarding',          # 1 = forwarding, 2 = not: a setting
    'Ip.DefaultTTL',          # a setting
    'Tcp.RtoAlgorithm',       # constant (1 = other)
    'Tcp.RtoMin',             # constant, ms
    'Tcp.RtoMax',             # constant, ms
    'Tcp.MaxConn',            # constant (-1 = dynamic)
    'Tcp.CurrEstab',          # sockets now in ESTABLISHED / CLOSE_WAIT
    'MPTcpExt.MPCurrEstab',   # MPTCP connections now established
))


def is_gauge(group, name):
    """True if ``group.name`` is a gauge (see GAUGES), not a counter."""
    return '%s.%s' % (group, name) in GAUGES


def snapshot(counters, metrics, boot_id, monotonic):
    """Build a snapshot dict from its parts (a convenience for callers)."""
    return {'boot_id': boot_id, 'monotonic': monotonic,
            'counters': counters, 'metrics': metrics}


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


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

    - ``in_segs`` is the Tcp InSegs delta (the ``in_segs`` metric, else
      ``counters['Tcp']['InSegs']``), None when either snapshot lacks it.
    - ``per_million_segs`` is ``delta * 1e6 / in_segs`` and None when the InSegs
      delta is 0 or unknown (never a division by zero, never an invented 0).
    - ``per_second`` is None only when ``seconds <= 0``.
    - A counter or metric is in the result only when both snapshots have it
      as an integer; gauges (GAUGES) are left out.
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

    in_segs = None
    if _is_int(metrics_a.get('in_segs')) and _is_int(metrics_b.get('in_segs')):
        in_segs = metrics_b['in_segs'] - metrics_a['in_segs']
    else:
        tcp_a = counters_a.get('Tcp') or {}
        tcp_b = counters_b.get('Tcp') or {}
        if _is_int(tcp_a.get('InSegs')) and _is_int(tcp_b.get('InSegs')):
            in_segs = tcp_b['InSegs'] - tcp_a['InSegs']
    in_segs_norm = in_segs if (in_segs is not None and in_segs > 0) else None

    backwards = []
    out_counters = {}
    for group in sorted(counters_b):
        names_b = counters_b.get(group) or {}
        names_a = counters_a.get(group) or {}
        out_group = {}
        for name in sorted(names_b):
            if is_gauge(group, name):
                continue
            value_a, value_b = names_a.get(name), names_b.get(name)
            if not (_is_int(value_a) and _is_int(value_b)):
                continue
            delta = value_b - value_a
            if delta < 0:
                backwards.append('%s.%s (%d -> %d)' % (group, name, value_a, value_b))
            out_group[name] = _rate(delta, seconds, in_segs_norm)
        if out_group:
            out_counters[group] = out_group

    # a metric whose source counter was already named is not named twice
    reported_sources = set(
        name for name, (group, counter) in METRIC_SOURCES.items()
        if any(b.startswith('%s.%s ' % (group, counter)) for b in backwards))
    out_metrics = {}
    ordered = list(METRIC_NAMES) + sorted(n for n in metrics_b if n not in METRIC_NAMES)
    for name in ordered:
        value_a, value_b = metrics_a.get(name), metrics_b.get(name)
        if not (_is_int(value_a) and _is_int(value_b)):
            continue
        delta = value_b - value_a
        if delta < 0 and name not in reported_sources:
            backwards.append('metric %s (%d -> %d)' % (name, value_a, value_b))
        out_metrics[name] = _rate(delta, seconds, in_segs_norm)

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
