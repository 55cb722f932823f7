# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live fleet view of the watch playbook: its settings, the chained windows and the table of one round
(controller-only, never shipped to hosts).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, no Ansible imports. playbooks/watch.yml reads every host once, then per round waits
once on the controller and reads every host again with netfleet_window; each read ends the host's window
that the previous read started (next_start), so that the rounds' windows follow each other without a gap
and each round costs one read per host. The table of a round (watch_round) shows the hosts that prune
most per second first.

The input of a round is ``{host: the registered result of that round's netfleet_window call}``:
``record`` (a window ended), ``start`` (a first read: the host's window shows next round), ``unreachable``,
a failure's ``msg``, or nothing at all.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math
import re
import time

from ansible_collections.netfleet.tuning.plugins.module_utils import records
from ansible_collections.netfleet.tuning.plugins.module_utils import tcp_memory
from ansible_collections.netfleet.tuning.plugins.plugin_utils.formatting import format_number

__all__ = ['VARIABLES', 'LIMITS', 'DEFAULTS', 'MAX_TOTAL_SECONDS', 'MAX_HOST_WIDTH', 'COLUMNS', 'IN_PRESSURE',
           'WatchError', 'validate_settings', 'next_start', 'next_starts', 'host_row', 'build_round', 'render_round',
           'watch_round']

# The playbook variables of the settings: errors name them.
VARIABLES = {
    'rounds': 'netfleet_watch_rounds',
    'seconds': 'netfleet_watch_seconds',
    'top': 'netfleet_watch_top',
    'hosts': 'netfleet_hosts',
}
DEFAULTS = {'rounds': 12, 'seconds': 5, 'top': 20, 'hosts': 'all'}
# (lowest, highest) of each integer setting, and what it is, for the error message
LIMITS = {
    'rounds': (1, 720, 'rounds of the watch'),
    'seconds': (1, 300, 'seconds of each round\'s window'),
    'top': (1, 1000, 'hosts shown per round, worst first'),
}
# The watch is bounded: rounds x seconds at most this (an hour), whatever the two are.
MAX_TOTAL_SECONDS = 3600

# Longer inventory names are cut (their start kept) so that the table keeps its width.
MAX_HOST_WIDTH = 40
# A reason (an unreachable host's message, a reset window's why) is cut to this many characters.
MAX_REASON = 240

# The table's columns after the host: (title, the row's key); every cell is right-aligned.
COLUMNS = (
    ('prune/s', 'prune_ps'),
    ('prune/M', 'prune_pm'),
    ('collapse/s', 'collapse_ps'),
    ('collapse/M', 'collapse_pm'),
    ('InSegs/s', 'in_segs_ps'),
    ('mempress', 'mem_events'),
    ('tcp_mem', 'mem_state'),
    ('retrans/M', 'retrans_pm'),
)
# The columns a reset window shows as "reset" (every rate and delta of the window; tcp_mem is the state at the
# second read, a reading, not a difference).
WINDOW_KEYS = ('prune_ps', 'prune_pm', 'collapse_ps', 'collapse_pm', 'in_segs_ps', 'mem_events', 'retrans_pm')
MIN_CELL = 9
# The tcp_memory states in which TCP is in memory pressure for sure.
IN_PRESSURE = ('pressure', 'above_high')

_INTEGER = re.compile(r'\A[0-9]+\Z')
_UNPRINTABLE = re.compile(r'[\x00-\x1f\x7f-\x9f]')
_SPACES = re.compile(r'\s+')


class WatchError(ValueError):
    """A setting that breaks its rule; the message names the playbook variable."""


# ---------------------------------------------------------------------------------------------- settings

def _integer(key, raw):
    """One integer setting (an int, an integral float, digits as ``-e`` gives them) within LIMITS."""
    low, high, what = LIMITS[key]
    rule = '%s must be an integer from %d to %d (%s)' % (VARIABLES[key], low, high, what)
    if isinstance(raw, str) and _INTEGER.match(raw.strip()):
        value = int(raw.strip())
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        value = int(raw)
    else:
        raise WatchError('%s, got %r' % (rule, raw))
    if not low <= value <= high:
        raise WatchError('%s, got %r' % (rule, raw))
    return value


def _hosts(raw):
    rule = '%s must be a host pattern: a non-empty string, or a non-empty list of non-empty strings' % VARIABLES['hosts']
    if isinstance(raw, str) and raw.strip():
        return raw
    if isinstance(raw, (list, tuple)) and raw and all(isinstance(item, str) and item.strip() for item in raw):
        return list(raw)
    raise WatchError('%s, got %r' % (rule, raw))


def validate_settings(rounds=None, seconds=None, top=None, hosts=None):
    """Check the watch's settings -> ``{'rounds', 'seconds', 'top', 'hosts', 'bound_seconds', 'summary'}``.

    None means the default (DEFAULTS). Raises WatchError naming the variable and its rule: each integer
    within LIMITS, ``netfleet_hosts`` a host pattern, and ``rounds x seconds`` at most MAX_TOTAL_SECONDS
    (``bound_seconds`` is that product: the time the rounds wait, the reads come on top). ``summary`` says the
    three integers in words (``12 round(s) of 5 s, worst 20 hosts per round``).
    """
    values = {}
    for key, raw in (('rounds', rounds), ('seconds', seconds), ('top', top)):
        values[key] = _integer(key, DEFAULTS[key] if raw is None else raw)
    values['hosts'] = _hosts(DEFAULTS['hosts'] if hosts is None else hosts)
    total = values['rounds'] * values['seconds']
    if total > MAX_TOTAL_SECONDS:
        raise WatchError('%s x %s must be at most %d s (the watch is bounded in time; run it again for longer), '
                         'got %d x %d = %d s' % (VARIABLES['rounds'], VARIABLES['seconds'], MAX_TOTAL_SECONDS,
                                                 values['rounds'], values['seconds'], total))
    values['bound_seconds'] = total
    values['summary'] = '%d round(s) of %d s, worst %d hosts per round' % (
        values['rounds'], values['seconds'], values['top'])
    return values


# ------------------------------------------------------------------------------------------ chained windows

def _number(value):
    """A finite int or float (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def next_start(result, given=None):
    """The ``start`` of the host's next window, from the registered result of its last netfleet_window call and
    the ``start`` that call was given (None for a first read); None when there is none (then the next call is a
    first read, ``phase: start``).

    - a first read (``start`` in the result): that start;
    - a window that ended (``record``): its second read, as a start: the record's ``boot_id``, ``netns``,
      ``recorded_at`` and ``metrics_end``, and the host's monotonic time at that read: the ``monotonic`` of the
      start it was given plus the window's ``seconds``, both measured on the host. A reset window ends in a good
      start too (the counters after the reset);
    - anything else (unreachable, failed, skipped): None.

    Whatever comes back is checked as a start (records.validate_start): what does not pass gives None, never an
    error, so that one odd host never stops the watch.
    """
    if not isinstance(result, dict) or result.get('unreachable'):
        return None
    try:
        if isinstance(result.get('start'), dict):
            return records.validate_start(result['start'])
        record = result.get('record')
        if not isinstance(record, dict) or not isinstance(given, dict):
            return None
        window = record.get('window')
        begun = _number(given.get('monotonic'))
        seconds = _number(window.get('seconds')) if isinstance(window, dict) else None
        if begun is None or seconds is None:
            return None
        return records.validate_start({
            'boot_id': record.get('boot_id'),
            'netns': record.get('netns'),
            'monotonic': begun + seconds,
            'collected_at': record.get('recorded_at'),
            'metrics': record.get('metrics_end'),
        })
    except records.RecordError:
        return None


def next_starts(results, starts=None):
    """``{host: registered result}`` and ``{host: the start its call was given}`` -> ``{host: the start of its
    next window}`` for the hosts that have one (next_start)."""
    starts = starts if isinstance(starts, dict) else {}
    found = {}
    for name, result in results.items():
        start = next_start(result, starts.get(name))
        if start is not None:
            found[name] = start
    return found


# ---------------------------------------------------------------------------------------------- one round

def _text(value, limit=MAX_REASON):
    """One line of printable text, at most ``limit`` characters."""
    text = _UNPRINTABLE.sub('?', _SPACES.sub(' ', value if isinstance(value, str) else str(value))).strip()
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _rate(metrics, name, key):
    entry = metrics.get(name)
    return _number(entry.get(key)) if isinstance(entry, dict) else None


def host_row(name, result):
    """One host's row of a round -> dict with ``host``, ``status`` and ``reason``, and for a window the values.

    ``status``: ``ok`` (a valid window), ``reset`` (the window is invalid: a reboot, a recreated network
    namespace, a counter that went backwards; ``reason`` says which), ``started`` (a first read: the window
    shows next round), ``unreachable``, ``failed``, ``not_read`` (no result). A window's row has the rates
    (None where the window lacks the metric or, per million, had no segments), ``mem_events`` (the
    TCPMemoryPressures delta), ``mem_state`` (the tcp_memory state at the second read: one of
    tcp_memory.STATES, ``n/a`` when not told, as in a child network namespace, ``unknown`` for anything else),
    ``seconds`` and the deltas the fleet's totals add up.
    """
    row = {'host': name, 'status': 'not_read', 'reason': 'no result this round'}
    if not isinstance(result, dict) or not result:
        return row
    if result.get('unreachable'):
        return dict(row, status='unreachable', reason=_text(result.get('msg') or 'unreachable'))
    record = result.get('record')
    if not isinstance(record, dict):
        if isinstance(result.get('start'), dict):
            return dict(row, status='started', reason='first read this round: its window shows next round')
        if result.get('skipped'):
            return dict(row, reason='skipped')
        return dict(row, status='failed', reason=_text(result.get('msg') or 'failed without a message'))
    window = record.get('window') if isinstance(record.get('window'), dict) else {}
    metrics = window.get('metrics') if isinstance(window.get('metrics'), dict) else {}
    memory = record.get('tcp_memory') if isinstance(record.get('tcp_memory'), dict) else {}
    state = memory.get('state')
    seconds = _number(window.get('seconds'))
    in_segs = _number(window.get('in_segs'))
    in_segs_ps = _rate(metrics, 'in_segs', 'per_second')
    if in_segs_ps is None and in_segs is not None and seconds:
        in_segs_ps = in_segs / seconds
    row.update({
        'status': 'ok', 'reason': None, 'seconds': seconds,
        'prune_ps': _rate(metrics, 'prune_called', 'per_second'),
        'prune_pm': _rate(metrics, 'prune_called', 'per_million_segs'),
        'collapse_ps': _rate(metrics, 'rcv_collapsed', 'per_second'),
        'collapse_pm': _rate(metrics, 'rcv_collapsed', 'per_million_segs'),
        'in_segs_ps': in_segs_ps,
        'mem_events': _rate(metrics, 'memory_pressures', 'delta'),
        'mem_state': state if state in tcp_memory.STATES else ('n/a' if state is None else 'unknown'),
        'retrans_pm': _rate(metrics, 'retrans_segs', 'per_million_segs'),
        'prune_delta': _rate(metrics, 'prune_called', 'delta'),
        'collapse_delta': _rate(metrics, 'rcv_collapsed', 'delta'),
        'in_segs_delta': in_segs,
    })
    if window.get('valid') is not True:
        row.update(status='reset', reason=_text(window.get('invalid_reason') or 'the window is not valid'))
    return row


def _worst_first(row):
    """Sort key: prune_called per second, then rcv_collapsed per second, highest first; a missing rate after
    every number; then the name."""
    prune, collapse = row['prune_ps'], row['collapse_ps']
    return (prune is None, -(prune or 0), collapse is None, -(collapse or 0), row['host'])


def _sum(rows, key):
    values = [row[key] for row in rows if row.get(key) is not None]
    return sum(values) if values else None


def _per_million(rows, key):
    """The fleet's per-million rate: the deltas of the hosts that have both, over their InSegs."""
    pairs = [(row[key], row['in_segs_delta']) for row in rows
             if row.get(key) is not None and row.get('in_segs_delta') is not None]
    segments = sum(segs for _delta, segs in pairs)
    return sum(delta for delta, _segs in pairs) * 1000000.0 / segments if segments > 0 else None


def build_round(results, number, rounds, now=None):
    """The model of one round -> ``{'round', 'rounds', 'time' (epoch), 'rows' (the hosts read: valid windows worst
    first, then the reset ones by name), 'not_read' (the others, by name), 'counts', 'totals', 'seconds'
    (the shortest and the longest window)}``. ``results``: ``{host: registered result}``."""
    rows = [host_row(name, results[name]) for name in sorted(results)]
    valid = sorted((row for row in rows if row['status'] == 'ok'), key=_worst_first)
    reset = [row for row in rows if row['status'] == 'reset']
    others = [row for row in rows if row['status'] not in ('ok', 'reset')]
    windows = [row['seconds'] for row in valid + reset if row.get('seconds') is not None]
    states = [row['mem_state'] for row in valid + reset]
    totals = {
        'prune_ps': _sum(valid, 'prune_ps'),
        'prune_pm': _per_million(valid, 'prune_delta'),
        'collapse_ps': _sum(valid, 'collapse_ps'),
        'collapse_pm': _per_million(valid, 'collapse_delta'),
        'in_segs_ps': _sum(valid, 'in_segs_ps'),
        'mem_events': _sum(valid, 'mem_events'),
        'in_pressure': sum(1 for state in states if state in IN_PRESSURE),
        'state_known': sum(1 for state in states if state in tcp_memory.STATES),
    }
    return {
        'round': number, 'rounds': rounds, 'time': time.time() if now is None else now,
        'rows': valid + reset, 'not_read': others,
        'counts': {'hosts': len(rows), 'read': len(valid), 'reset': len(reset), 'not_read': len(others)},
        'totals': totals,
        'seconds': (min(windows), max(windows)) if windows else None,
    }


def _cell(row, key):
    if row['status'] == 'reset' and key in WINDOW_KEYS:
        return 'reset'
    value = row.get(key)
    return value if isinstance(value, str) else format_number(value)


def _host_cell(name):
    name = _text(name, limit=10 ** 6)
    return name if len(name) <= MAX_HOST_WIDTH else name[:MAX_HOST_WIDTH - 1] + '~'


def _window_text(seconds):
    if seconds is None:
        return 'no window'
    low, high = seconds
    if high - low < 0.05:
        return 'window %.1f s' % high
    return 'window %.1f-%.1f s' % (low, high)


def _header(model):
    counts, totals = model['counts'], model['totals']
    when = time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(model['time']))
    return ('round %d/%d at %s, %s: %d host(s), %d read, %d reset, %d not read | fleet: prune %s/s %s/M, '
            'collapse %s/s %s/M, InSegs %s/s, mempress %s, in pressure %d of %d with a known tcp_mem state'
            % (model['round'], model['rounds'], when, _window_text(model['seconds']), counts['hosts'],
               counts['read'], counts['reset'], counts['not_read'], format_number(totals['prune_ps']),
               format_number(totals['prune_pm']), format_number(totals['collapse_ps']),
               format_number(totals['collapse_pm']), format_number(totals['in_segs_ps']),
               format_number(totals['mem_events']), totals['in_pressure'], totals['state_known']))


def render_round(model, top):
    """The lines of one round: the header (round, time, window, counts, the fleet's totals), the table of at
    most ``top`` hosts (fixed width: every line of it as wide as the others) and ``... N more hosts``, then one
    line per reset window (why) and per host not read (why), at most ``top`` of each."""
    shown = model['rows'][:top]
    cells = [['host'] + [title for title, _key in COLUMNS]]
    cells += [[_host_cell(row['host'])] + [_cell(row, key) for _title, key in COLUMNS] for row in shown]
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    widths = [widths[0]] + [max(width, MIN_CELL) for width in widths[1:]]
    lines = [_header(model)]
    for line in cells:
        numbers = [cell.rjust(widths[index + 1]) for index, cell in enumerate(line[1:])]
        lines.append('  '.join([line[0].ljust(widths[0])] + numbers))
    if len(model['rows']) > top:
        lines.append('... %d more hosts' % (len(model['rows']) - top))
    reset = [row for row in model['rows'] if row['status'] == 'reset']
    for label, rows in (('reset', reset), ('not read', model['not_read'])):
        for row in rows[:top]:
            status = '' if row['status'] in ('reset', 'not_read') else row['status'] + ': '
            lines.append('%s: %s: %s%s' % (label, _host_cell(row['host']), status, row['reason']))
        if len(rows) > top:
            lines.append('... %d more hosts %s' % (len(rows) - top, label))
    return lines


def watch_round(results, starts, number, rounds, top, now=None):
    """One round of the watch -> ``{'lines': the table's lines (build_round, render_round), 'starts': {host: the
    start of its next window} (next_starts)}``. ``results``: ``{host: the registered result of the round's read}``;
    ``starts``: ``{host: the start that read was given}`` (the previous round's ``starts``). Round 0 (the first
    read, before the first window) has no lines."""
    lines = render_round(build_round(results, number, rounds, now), top) if number > 0 else []
    return {'lines': lines, 'starts': next_starts(results, starts)}
