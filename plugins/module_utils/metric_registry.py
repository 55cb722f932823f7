# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The metric registry: the one table of the named metrics (DESIGN.md "The metrics").

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no imports of its own: it runs on hosts (procnet turns parsed
counters into the metrics of netstat_facts and netfleet_window, rates makes windows of them,
promtext writes their help text into the textfile) and on the controller (thresholds knows which
metrics can be gated and which are by default, verdict names a metric's source, the report orders
them); bench/ and tools/netlab load this file by its path.  A new metric is one entry in METRICS.

Each metric has:

``name``
    the key under ``metrics`` in the facts, windows, records, verdicts and the report.
``source``
    where its value is read: ``Source(file, section, field)``: the /proc file (relative to
    ``proc_path``), and the section and field of what procnet's parser of that file returns
    (``parse_pairs`` of ``net/netstat`` or ``net/snmp``: ``{'TcpExt': {'PruneCalled': n}}``, the
    ``counters`` of the facts;
    ``parse_softnet`` of ``net/softnet_stat``: ``{'total': {'dropped': n}}``, all CPUs).  A kernel
    without that field has no such metric: absent, never 0.
``help``
    what one count is, in ``netstat -s`` wording (the textfile's HELP line).
``kind``
    ``counter`` (only grows, except at a reset: a window is invalid when it went backwards) or
    ``gauge`` (may go down: no delta, no rate).
``unit``
    what it counts (``packets``, ``segments``).
``gateable``
    whether ``netfleet_gated_metrics`` may name it (DENOMINATOR cannot be: it normalises the rest).
``gated_by_default``
    whether it is in the default ``netfleet_gated_metrics``.
``per``
    the metric its rate ``per_million_segs`` divides by (one of DENOMINATORS): ``in_segs`` for what
    happens to received traffic, ``out_segs`` for the sender's retransmissions (the retransmission rate
    is RetransSegs per OutSegs); None for the denominators themselves.
``guardable``
    whether ``netfleet_guard_metrics`` may name it (a metric that must not rise: the denominators
    cannot be).
``guarded_by_default``
    whether it is in the default ``netfleet_guard_metrics``.

Every metric's rate ``per_million_segs`` is per million of its ``per`` metric's delta in the same
window (Tcp InSegs for most), so that a quieter window does not look like a fix.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from collections import namedtuple

__all__ = ['Source', 'Metric', 'METRICS', 'NAMES', 'BY_NAME', 'DENOMINATOR', 'DENOMINATORS', 'GATEABLE',
           'DEFAULT_GATED', 'GUARDABLE', 'DEFAULT_GUARDS', 'COUNTER_FILES', 'COUNTER_SOURCES', 'GAUGE_COUNTERS',
           'metric_of', 'is_gauge', 'source_label', 'per_label', 'ordered']

# The files whose parsers (procnet.parse_pairs, parse_snmp6) give ``{group: {counter: int}}``: the
# ``counters`` of the facts. softnet_stat's parser gives ``{'cpus': [...], 'total': {...}}``.
COUNTER_FILES = ('net/netstat', 'net/snmp', 'net/snmp6')


class Source(namedtuple('Source', 'file section field')):
    """Where a metric is read: the /proc file, and the section and field of its parsed form."""

    __slots__ = ()

    @property
    def is_counter(self):
        """Whether the source is a /proc/net counter (``counters[section][field]`` of the facts)."""
        return self.file in COUNTER_FILES

    @property
    def label(self):
        """How reports name it: ``TcpExt PruneCalled``, ``softnet_stat dropped``."""
        if self.is_counter:
            return '%s %s' % (self.section, self.field)
        return '%s %s' % (self.file.rsplit('/', 1)[-1], self.field)


Metric = namedtuple('Metric', 'name source help kind unit gateable gated_by_default per guardable guarded_by_default')


def _metric(name, source, help_text, unit, gateable=True, gated_by_default=False, kind='counter', per='in_segs',
            guardable=True, guarded_by_default=False):
    return Metric(name, Source(*source), help_text, kind, unit, gateable, gated_by_default, per, guardable,
                  guarded_by_default)


# The named metrics, in report order.
METRICS = (
    _metric('prune_called', ('net/netstat', 'TcpExt', 'PruneCalled'),
            'packets pruned from receive queue because of socket buffer overrun', 'packets',
            gated_by_default=True),
    _metric('rcv_collapsed', ('net/netstat', 'TcpExt', 'TCPRcvCollapsed'),
            'packets collapsed in receive queue due to low socket buffer', 'packets', gated_by_default=True),
    _metric('rcv_pruned', ('net/netstat', 'TcpExt', 'RcvPruned'),
            'packets pruned from receive queue (data lost)', 'packets', guarded_by_default=True),
    _metric('ofo_pruned', ('net/netstat', 'TcpExt', 'OfoPruned'),
            'packets dropped from out-of-order queue because of socket buffer overrun', 'packets'),
    _metric('backlog_drop', ('net/netstat', 'TcpExt', 'TCPBacklogDrop'),
            'packets dropped because the socket backlog was full', 'packets'),
    _metric('rcvq_drop', ('net/netstat', 'TcpExt', 'TCPRcvQDrop'),
            'packets dropped because the receive queue was full', 'packets'),
    _metric('softnet_dropped', ('net/softnet_stat', 'total', 'dropped'),
            'packets dropped because the input queue was full (netdev_max_backlog), all CPUs', 'packets',
            guarded_by_default=True),
    # the guards: what bigger buffers must not make worse (verify's netfleet_guard_metrics)
    _metric('memory_pressures', ('net/netstat', 'TcpExt', 'TCPMemoryPressures'),
            'times TCP entered memory pressure (net.ipv4.tcp_mem)', 'events', gateable=False,
            guarded_by_default=True),
    _metric('memory_pressure_ms', ('net/netstat', 'TcpExt', 'TCPMemoryPressuresChrono'),
            'milliseconds TCP spent in memory pressure (added when it leaves it)', 'milliseconds', gateable=False),
    _metric('retrans_segs', ('net/snmp', 'Tcp', 'RetransSegs'), 'segments retransmitted', 'segments',
            gateable=False, per='out_segs', guarded_by_default=True),
    _metric('lost_retransmit', ('net/netstat', 'TcpExt', 'TCPLostRetransmit'),
            'retransmitted segments lost again', 'segments', gateable=False, per='out_segs'),
    _metric('timeouts', ('net/netstat', 'TcpExt', 'TCPTimeouts'),
            'retransmission timeouts (RTO expiries, SYN-ACK timeouts included)', 'events', gateable=False,
            per='out_segs'),
    _metric('listen_overflows', ('net/netstat', 'TcpExt', 'ListenOverflows'),
            'times the listen queue of a socket overflowed', 'events', gateable=False, guarded_by_default=True),
    _metric('listen_drops', ('net/netstat', 'TcpExt', 'ListenDrops'),
            'SYNs to LISTEN sockets dropped', 'events', gateable=False),
    # the denominators of every per-million rate
    _metric('in_segs', ('net/snmp', 'Tcp', 'InSegs'), 'TCP segments received', 'segments', gateable=False,
            per=None, guardable=False),
    _metric('out_segs', ('net/snmp', 'Tcp', 'OutSegs'), 'segments sent out',
            'segments', gateable=False, per=None, guardable=False),
)

NAMES = tuple(metric.name for metric in METRICS)
BY_NAME = dict((metric.name, metric) for metric in METRICS)
# The metric the gated rates divide by (every per-million rate but the retransmissions'), and all of them.
DENOMINATOR = 'in_segs'
DENOMINATORS = ('in_segs', 'out_segs')
GATEABLE = tuple(metric.name for metric in METRICS if metric.gateable)
DEFAULT_GATED = tuple(metric.name for metric in METRICS if metric.gated_by_default)
GUARDABLE = tuple(metric.name for metric in METRICS if metric.guardable)
DEFAULT_GUARDS = tuple(metric.name for metric in METRICS if metric.guarded_by_default)
# (group, counter) of every metric read from a /proc/net counter, in report order.
COUNTER_SOURCES = tuple((metric.source.section, metric.source.field) for metric in METRICS
                        if metric.source.is_counter)

# Values in /proc/net/snmp, netstat and snmp6 that are gauges or constants, not monotonic counters
# (besides any metric of kind gauge): they may go down between two reads without any reset, so
# they are never checked for "went backwards" and never get rates. "Group.Name" strings.
GAUGE_COUNTERS = frozenset((
    'Ip.Forwarding',          # 1 = forwarding, 2 = not: a setting
    'Ip.DefaultTTL',          # a setting
    'Tcp.RtoAlgorithm',       # constant (1 = other)
    'Tcp.RtoMin',             # constant, ms
    'Tcp.RtoMax',             # constant, ms
    'Tcp.MaxConn',            # constant (-1 = dynamic)
    'Tcp.CurrEstab',          # sockets now in ESTABLISHED / CLOSE_WAIT
    'MPTcpExt.MPCurrEstab',   # MPTCP connections now established
))

_BY_SOURCE = dict(((metric.source.section, metric.source.field), metric) for metric in METRICS)


def metric_of(section, field):
    """The Metric read from ``section`` / ``field`` (``'TcpExt', 'PruneCalled'``; ``'total', 'dropped'``
    for softnet_stat), or None."""
    return _BY_SOURCE.get((section, field))


def is_gauge(group, name):
    """True if the counter ``group.name`` is a gauge (GAUGE_COUNTERS, or the source of a gauge metric)."""
    metric = metric_of(group, name)
    return '%s.%s' % (group, name) in GAUGE_COUNTERS or (metric is not None and metric.kind == 'gauge')


def source_label(name):
    """How reports name a metric's source (``TcpExt PruneCalled``); the name itself when it is not registered."""
    metric = BY_NAME.get(name)
    return metric.source.label if metric is not None else name


def per_label(name):
    """What a metric's ``per_million_segs`` is per million of (``InSegs``, ``OutSegs``): its ``per`` metric's field."""
    metric = BY_NAME.get(name)
    per = BY_NAME.get(metric.per if metric is not None and metric.per else DENOMINATOR)
    return per.source.field


def ordered(names):
    """``names`` in report order: the registered ones as in METRICS, then the others sorted."""
    present = set(names)
    return [name for name in NAMES if name in present] + sorted(name for name in present if name not in BY_NAME)
