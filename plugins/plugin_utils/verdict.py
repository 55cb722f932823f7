# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verdicts: did a host's pruning and collapsing drop between two windows?

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Controller-only, never shipped to hosts.  Pure standard library, no Ansible imports.  The verify playbook
calls ``judge()`` through the ``netfleet.tuning.verdict`` filter; the unit
tests call it directly.

A *window* is what ``rates.window()`` returns (``ansible_facts.netstat.rates``
after ``netstat_facts`` with ``sample_seconds``)::

    {'seconds': float, 'valid': bool, 'invalid_reason': str or None,
     'in_segs': int or None,
     'metrics': {name: {'delta': int, 'per_second': float, 'per_million_segs': float}}}

``judge()`` compares the baseline window with the verify window.  The rates it
shows are the windows' own (per second and per million InSegs: rates.window
computes them, the one place that does); the pass/fail decision is made from
the deltas and the InSegs deltas in exact rational arithmetic, so no float
rounding can turn a 89.99 % reduction into a pass at 90 %, and a rate in a
window never decides anything.

The verdict is the first that applies (DESIGN.md):

``reset``
    a window is missing or invalid (boot_id changed inside it, a counter went
    backwards, no positive length, a negative delta), or a counter went
    backwards *between* the windows while the boot_id stayed the same (the
    network namespace was recreated or the counters cleared): the counters
    cannot be trusted, so nothing can be concluded.  A reboot between the
    windows is only noted: each window's rates stand on their own.
``insufficient_traffic``
    fewer than ``min_segments`` Tcp InSegs in either window (or InSegs unknown):
    a quiet window proves nothing.  Also, after the rules below, when every
    gated metric met the ``improved`` rule but one of them on so few events
    that the drop could be luck (a one-sided test at CONFIDENCE, see
    drop_p_value): 3 events falling to 0 is not a proof.
``regressed``
    a guard metric (``guard_metrics``: TCP memory pressure, the retransmission rate, listen queue
    overflows, data lost to pruning, softnet drops by default) rose: its rate (per million InSegs, the
    retransmissions' per million OutSegs) went up by more than ``guard_max_increase_pct`` and a
    one-sided test at CONFIDENCE says the rise is not luck (rise_p_value: a handful of events proves
    nothing). Whatever the counts, a host that entered TCP memory pressure during the verify window
    (TcpExt TCPMemoryPressures) and not during the baseline, or that was in pressure at the end of the
    verify window and not at the end of the baseline (sockstat against tcp_mem, where visible), has
    regressed. This fails the host even when pruning fell: bigger buffers that cost retransmissions
    or memory pressure are not an improvement. A guard this kernel or an older baseline does not
    report is not judged (a note says so).
``clean``
    every gated metric was zero in both windows.
``improved``
    each gated metric's rate per million InSegs fell by at least
    ``min_reduction_pct`` percent (or to zero; a metric zero in both windows
    also counts).
``not_improved``
    anything else, including a gated metric that this kernel does not report
    (a missing metric can never pass).

Only ``improved`` and ``clean`` pass. ``insufficient_traffic`` for a drop too small to prove comes after
``regressed``: a proven harm is not hidden by an unproven gain.

Thresholds come checked (a thresholds.Thresholds, or the dict the ``netfleet.tuning.thresholds`` filter
returned: Thresholds.from_dict) or are checked here once; the p-value of a drop is
significance.drop_p_value; a stored record is read through module_utils/records.py (the one module
that writes and reads that format); the metrics, their order and their sources are module_utils/metric_registry.py.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math
from fractions import Fraction

from ansible_collections.netfleet.tuning.plugins.module_utils import records
from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry
from ansible_collections.netfleet.tuning.plugins.plugin_utils.formatting import format_number, format_pct
from ansible_collections.netfleet.tuning.plugins.plugin_utils import pinned_sockets
from ansible_collections.netfleet.tuning.plugins.plugin_utils.significance import (
    ALPHA, CONFIDENCE, drop_p_value, rise_p_value)
from ansible_collections.netfleet.tuning.plugins.plugin_utils.thresholds import Thresholds, is_int, parse_thresholds

__all__ = ['VERDICTS', 'PASSING', 'PRESSURE_STATES', 'split_source', 'judge', 'check_baseline']

VERDICTS = ('reset', 'insufficient_traffic', 'regressed', 'clean', 'improved', 'not_improved')
PASSING = ('improved', 'clean')
# tcp_memory states (netstat_facts, netfleet_window) in which TCP is in memory pressure for sure
PRESSURE_STATES = ('pressure', 'above_high')

_is_int = is_int


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_window(source):
    """A bare window (what rates.window returns), not a source that holds one."""
    return 'valid' in source and 'metrics' in source


def split_source(source):
    """``(window, boot_id)`` from what the playbooks hold.

    Accepts a window itself (has ``valid``), a record (records.py: the window is ``window``) or
    ``ansible_facts.netstat`` (the window is ``rates``).  Anything else, or None, gives ``(None, None)``.
    """
    if not isinstance(source, dict):
        return None, None
    if _is_window(source):
        return source, None
    if records.is_record(source):
        return records.record_window(source)
    boot_id = source.get('boot_id')
    if isinstance(source.get('rates'), dict):
        return source['rates'], boot_id if isinstance(boot_id, str) and boot_id else None
    return None, boot_id if isinstance(boot_id, str) else None


def _end_values(source):
    """Absolute metric values at the end of a source's window: ``{name: int}`` or None.

    A record keeps them as ``metrics_end`` (records.record_end_values); ``ansible_facts.netstat`` has them
    as ``metrics`` (the last read) next to ``rates``.  A bare window has none.
    """
    if not isinstance(source, dict) or _is_window(source):
        return None
    if source.get('metrics_end') is not None:
        return records.record_end_values(source)
    values = source.get('metrics') if isinstance(source.get('rates'), dict) else None
    if not isinstance(values, dict):
        return None
    return dict((name, value) for name, value in values.items() if _is_int(value))


def _netns_of(source):
    """The network namespace identity a source was read in (``net:[inode]``), or None."""
    value = source.get('netns') if isinstance(source, dict) else None
    return value if isinstance(value, str) and value else None


def _between_problem(before, after, before_window, after_window):
    """A sentence when the counters restarted between the baseline and the verify window (same
    boot): the network namespace identity differs, or a counter was lower at the start of the verify
    window than at the end of the baseline; '' when neither, None when neither can be known."""
    netns_before, netns_after = _netns_of(before), _netns_of(after)
    if netns_before and netns_after and netns_before != netns_after:
        return ('counters were reset between the baseline and the verify window without a reboot (network '
                'namespace %s at the baseline, %s at verify): the namespace was recreated; take a new baseline'
                % (netns_before, netns_after))
    before_end = _end_values(before)
    after_end = _end_values(after)
    if not before_end or not after_end:
        return None
    went_back = []
    for name in metric_registry.NAMES:
        delta = _delta(after_window, name)
        if name not in before_end or name not in after_end or delta is None:
            continue
        after_start = after_end[name] - delta
        if after_start < before_end[name]:
            went_back.append('%s %d at the end of the baseline, %d at the start of verify'
                             % (name, before_end[name], after_start))
    if not went_back:
        return ''
    shown = '; '.join(went_back[:2]) + ('; and %d more' % (len(went_back) - 2) if len(went_back) > 2 else '')
    return ('counters were reset between the baseline and the verify window without a reboot (%s): the network '
            'namespace was recreated or the counters cleared; take a new baseline' % shown)


def _window_problem(window, label):
    """Why a window cannot be used (a sentence), or None."""
    if not isinstance(window, dict):
        if label == 'baseline':
            return 'no baseline window recorded for this host (run the baseline playbook first)'
        return 'no %s window was sampled' % label
    if window.get('valid') is not True:
        return '%s window is invalid: %s' % (label, window.get('invalid_reason') or 'no reason given')
    seconds = window.get('seconds')
    if not _is_number(seconds) or not math.isfinite(seconds) or seconds <= 0:
        return '%s window has no positive length (seconds %r)' % (label, seconds)
    in_segs = window.get('in_segs')
    if in_segs is not None and (not _is_int(in_segs) or in_segs < 0):
        return '%s window has a bad Tcp InSegs delta %r' % (label, in_segs)
    metrics = window.get('metrics')
    if not isinstance(metrics, dict):
        return '%s window has no metrics' % label
    for name in sorted(metrics):
        entry = metrics[name]
        delta = entry.get('delta') if isinstance(entry, dict) else None
        if _is_int(delta) and delta < 0:
            return '%s window: metric %s went backwards (delta %d)' % (label, name, delta)
    return None


def _entry(window, name):
    """The metric's entry in a window (``{'delta', 'per_second', 'per_million_segs'}``), or None."""
    metrics = window.get('metrics') if isinstance(window, dict) else None
    entry = metrics.get(name) if isinstance(metrics, dict) else None
    return entry if isinstance(entry, dict) else None


def _delta(window, name):
    """The metric's delta in a window: a non-negative int, or None when absent."""
    delta = (_entry(window, name) or {}).get('delta')
    return delta if _is_int(delta) and delta >= 0 else None


def _rate(window, name, key):
    """The window's rate ``key`` (``per_second`` or ``per_million_segs``, as rates.window computed it) of a
    metric with a usable delta; None when it has none."""
    if _delta(window, name) is None:
        return None
    value = _entry(window, name).get(key)
    return value if _is_number(value) else None


def _window_summary(window, boot_id):
    if not isinstance(window, dict):
        return {'sampled': False, 'valid': False, 'invalid_reason': None, 'seconds': None,
                'in_segs': None, 'in_segs_per_second': None, 'boot_id': boot_id}
    seconds = window.get('seconds')
    in_segs = window.get('in_segs')
    return {
        'sampled': True,
        'valid': window.get('valid') is True,
        'invalid_reason': window.get('invalid_reason'),
        'seconds': seconds if _is_number(seconds) else None,
        'in_segs': in_segs if _is_int(in_segs) else None,
        'in_segs_per_second': _rate(window, metric_registry.DENOMINATOR, 'per_second'),
        'boot_id': boot_id,
    }


def _metric_names(before, after, gated, guards=()):
    present = set()
    for window in (before, after):
        metrics = window.get('metrics') if isinstance(window, dict) else None
        if isinstance(metrics, dict):
            present.update(name for name in metrics if isinstance(name, str))
    present.update(gated)
    present.update(guards)
    present.difference_update(metric_registry.DENOMINATORS)
    return metric_registry.ordered(present)


def _segs(window, name):
    """The delta of the segments a metric's rate is per (its registry ``per``: the window's Tcp InSegs, or the
    OutSegs metric for the retransmissions): a positive int, else None."""
    if not isinstance(window, dict):
        return None
    metric = metric_registry.BY_NAME.get(name)
    per = metric.per if metric is not None and metric.per else metric_registry.DENOMINATOR
    segs = window.get('in_segs') if per == metric_registry.DENOMINATOR else _delta(window, per)
    return segs if _is_int(segs) and segs > 0 else None


def _reduction(name, before_delta, before_window, after_delta, after_window):
    """100 * (1 - after rate / before rate), per million of the metric's segments, computed exactly; None
    without a before rate."""
    before_segs, after_segs = _segs(before_window, name), _segs(after_window, name)
    if before_delta is None or after_delta is None or not before_delta or before_segs is None or after_segs is None:
        return None
    ratio = Fraction(after_delta * before_segs, before_delta * after_segs)
    return float(100 * (1 - ratio))


def _meets(before_delta, before_segs, after_delta, after_segs, pct):
    """Exact: did after/after_segs fall to at most (1 - pct/100) of before/before_segs?"""
    # after_delta / after_segs <= before_delta / before_segs * (100 - pct) / 100
    # <=> after_delta * before_segs * 100 <= before_delta * after_segs * (100 - pct)
    return after_delta * before_segs * 100 <= before_delta * after_segs * (100 - pct)


def _describe(name, entry):
    text = '%s %s -> %s per million %s' % (
        name, format_number(entry['before_per_million']), format_number(entry['after_per_million']),
        metric_registry.per_label(name))
    if entry['reduction_pct'] is not None:
        text += ' (%s)' % format_pct(entry['reduction_pct'])
    text += ', %s -> %s per second' % (
        format_number(entry['before_per_second']), format_number(entry['after_per_second']))
    return text


def _pinned_hint(socket_buffers, failing=True):
    """The sentence naming the sockets that pin SO_RCVBUF (pinned_sockets.sentence), else None. A record
    from before that rule (no ``pinned``) gets, on a failing host only, the older hint on sockets below
    the tcp_rmem default."""
    if not isinstance(socket_buffers, dict):
        return None
    if 'pinned' in socket_buffers:
        return pinned_sockets.sentence(socket_buffers)
    if not failing:
        return None
    pinned = socket_buffers.get('pinned_below_default')
    if not _is_int(pinned) or pinned <= 0:
        return None
    text = ('%d established socket(s) have a receive buffer below the net.ipv4.tcp_rmem default (%s bytes): '
            'an application that sets SO_RCVBUF itself turns autotuning off and keeps pruning whatever the '
            'sysctls say' % (pinned, socket_buffers.get('tcp_rmem_default')))
    offenders = socket_buffers.get('offenders') or []
    if offenders and isinstance(offenders[0], dict):
        top = offenders[0]
        text += '; most: %s <- %s, %s socket(s), rb %s' % (
            top.get('local'), top.get('peer'), top.get('sockets'), top.get('rb_max'))
    return text


def _pressure_state(source):
    """The tcp_memory state a source (a record, ansible_facts.netstat) ended its window in, or None: unknown,
    or not visible in a child network namespace (tcp_mem is host scope)."""
    memory = source.get('tcp_memory') if isinstance(source, dict) else None
    state = memory.get('state') if isinstance(memory, dict) else None
    return state if isinstance(state, str) else None


def _rose(before_delta, before_segs, after_delta, after_segs, pct):
    """Exact: did after/after_segs rise above (1 + pct/100) times before/before_segs?"""
    # after_delta / after_segs > before_delta / before_segs * (100 + pct) / 100
    return after_delta * before_segs * 100 > before_delta * after_segs * (100 + pct)


def _judge_guards(metrics, guards, before_window, after_window, before, after, checked):
    """The guards' judgement: ``(regressions, notes, summary)``. ``regressions``: a sentence per guard that
    regressed (before -> after, the rise, the p-value), ``notes``: what could not be judged or rose on too
    few events, ``summary``: ``{'metrics': [names], 'regressed': [names], 'unjudged': [names],
    'memory_pressure': {'before': state, 'after': state}}``. Each guard's entry in ``metrics`` gets
    ``guard`` True, ``regressed`` (True, False, None when not judged) and ``guard_p_value``."""
    pct = checked.guard_pct_exact
    shown_pct = checked.guard_max_increase_pct
    regressions, notes, regressed, unjudged = [], [], [], []
    for name in guards:
        entry = metrics[name]
        before_delta, after_delta = entry['before_delta'], entry['after_delta']
        before_segs, after_segs = _segs(before_window, name), _segs(after_window, name)
        if before_delta is None or after_delta is None:
            unjudged.append(name)
            continue
        if name == 'memory_pressures' and after_delta > 0 and before_delta == 0:
            entry['regressed'] = True
            regressed.append(name)
            regressions.append('guard memory_pressures: TCP entered memory pressure %d time(s) during the verify '
                               'window and never during the baseline (TcpExt TCPMemoryPressures 0 -> %d): the '
                               'bigger buffers cost memory the host does not have; size net.ipv4.tcp_mem or lower '
                               'the maxima (the role README, "Sizing tcp_mem")' % (after_delta, after_delta))
            continue
        if before_segs is None or after_segs is None:
            unjudged.append(name)
            continue
        if after_delta == 0 or not _rose(before_delta, before_segs, after_delta, after_segs, pct):
            entry['regressed'] = False
            continue
        entry['guard_p_value'] = rise_p_value(before_delta, before_segs, after_delta, after_segs, pct)
        rise = ('rose from 0' if before_delta == 0 else 'rose %s' % format_pct(entry['reduction_pct']))
        described = _describe(name, entry)
        if entry['guard_p_value'] <= ALPHA:
            entry['regressed'] = True
            regressed.append(name)
            regressions.append('guard %s %s, more than netfleet_guard_max_increase_pct %s%% (p = %.2g): %s; '
                               '%d -> %d events' % (name, rise, shown_pct, entry['guard_p_value'], described,
                                                    before_delta, after_delta))
        else:
            entry['regressed'] = False
            notes.append('guard %s %s on %d -> %d events: too few to show a rise of more than %s%% with %d%% '
                         'confidence (p = %.2g): not a regression' % (name, rise, before_delta, after_delta,
                                                                      shown_pct, round(CONFIDENCE * 100),
                                                                      entry['guard_p_value']))
    if unjudged:
        # one note: a baseline from before the guards lacks them all
        notes.append('guard(s) not judged, not in both windows or without their segment count (a kernel without '
                     'them, or a baseline taken before the guards existed: take a new one): %s'
                     % ', '.join('%s (%s)' % (name, metric_registry.source_label(name)) for name in unjudged))
    states = {'before': _pressure_state(before), 'after': _pressure_state(after)}
    if ('memory_pressures' in guards and 'memory_pressures' not in regressed and states['after'] in PRESSURE_STATES
            and states['before'] is not None and states['before'] not in PRESSURE_STATES):
        regressed.append('memory_pressures')
        metrics['memory_pressures']['regressed'] = True
        regressions.append('guard memory_pressures: TCP memory was in pressure at the end of the verify window '
                           '(sockstat against net.ipv4.tcp_mem: %s) and not at the end of the baseline (%s): size '
                           'net.ipv4.tcp_mem or lower the maxima (the role README, "Sizing tcp_mem")'
                           % (states['after'], states['before']))
    elif 'memory_pressures' in guards and states['after'] in PRESSURE_STATES and 'memory_pressures' not in regressed:
        notes.append('TCP memory was in pressure at the end of the verify window (%s) and %s at the end of the '
                     'baseline: the tuning may not be the cause' % (
                         states['after'], 'in pressure too' if states['before'] else 'its state is unknown'))
    summary = {'metrics': list(guards), 'regressed': regressed, 'unjudged': unjudged, 'memory_pressure': states}
    return regressions, notes, summary


def _checked(thresholds, *values):
    """The Thresholds a caller passed on (checked once before: a Thresholds, or its plain dict), or the
    values (parse_thresholds' arguments) checked now (ThresholdError)."""
    if isinstance(thresholds, Thresholds):
        return thresholds
    if thresholds is not None:
        return Thresholds.from_dict(thresholds)
    return parse_thresholds(*values)


def judge(before, after, gated_metrics=None, min_reduction_pct=None, min_segments=None,
          socket_buffers=None, thresholds=None, guard_metrics=None, guard_max_increase_pct=None):
    """The verdict for one host.

    ``before`` and ``after``: the baseline and the verify window, each given as
    a window, ``ansible_facts.netstat`` or a stored baseline record (see
    split_source); None when missing.  ``thresholds``: a Thresholds already checked
    (thresholds.parse_thresholds) or the dict the thresholds were checked into
    (thresholds.validate_thresholds, the ``netfleet.tuning.thresholds`` filter), taken as
    it is (Thresholds.from_dict); else the three values are checked here, as in
    thresholds.validate_thresholds (ThresholdError on a bad one).  ``socket_buffers``: the verify facts'
    ``socket_buffers`` (optional): sockets that pin SO_RCVBUF come first among a not_improved host's reasons
    and are a note (``hints``) on any other judged host.

    -> ``{'verdict': one of VERDICTS, 'passed': bool, 'reasons': [str],
    'hints': [str], 'message': str, 'reboot': bool or None,
    'metrics': {name: {'gated': bool, 'guard': bool, 'before_delta', 'after_delta',
    'before_per_million', 'after_per_million', 'before_per_second',
    'after_per_second', 'reduction_pct', 'met': bool or None,
    'p_value': float or None, 'regressed': bool or None, 'guard_p_value': float or None}},
    'missing_metrics': [str], 'counter_reset_between': bool or None,
    'guards': {'metrics': [str], 'regressed': [str], 'unjudged': [str],
               'memory_pressure': {'before': str or None, 'after': str or None}} or None,
    'before': {...}, 'after': {...}, 'thresholds': {...}}``.

    ``per_million`` rates are per million of the metric's segments (metric_registry ``per``: InSegs, the
    retransmissions' OutSegs). ``guards`` is None when the host got no further than reset or
    insufficient_traffic (the guards were not judged). ``regressed`` says, for a guard, whether it rose
    by more than ``guard_max_increase_pct`` with a ``guard_p_value`` at most 1 - CONFIDENCE (rise_p_value),
    or entered memory pressure; None when it was not judged.

    ``reduction_pct`` is ``100 * (1 - after/before)`` per million InSegs
    (negative when the rate rose), None when the baseline rate was 0 or
    unknown.  ``met`` says, for a gated metric, whether it satisfied the
    ``improved`` rule (the drop, and a ``p_value`` at most 1 - CONFIDENCE when
    the drop rests on events: see drop_p_value).  ``reboot`` is True when the boot_id of the two windows
    differs (noted, not a failure by itself), None when one is unknown.
    ``counter_reset_between`` is True when, with the same boot, a metric was
    lower at the start of the verify window than at the end of the baseline
    (the verdict is then ``reset``); None when the sources carry no absolute
    values (bare windows) or the check did not apply.
    """
    checked = _checked(thresholds, gated_metrics, min_reduction_pct, min_segments, guard_metrics,
                       guard_max_increase_pct)
    thresholds = checked.as_dict()
    gated = thresholds['gated_metrics']
    # the exact value of what was given ('70.1' stays 701/10, not the nearest binary float)
    pct_exact = checked.pct_exact
    segments_needed = thresholds['min_segments']

    before_window, before_boot = split_source(before)
    after_window, after_boot = split_source(after)
    reboot = None
    if before_boot and after_boot:
        reboot = before_boot != after_boot

    reasons = []
    hints = []
    if reboot:
        hints.append('the host rebooted between the baseline and the verify window (boot_id %s -> %s); '
                     'rates are compared per window, so this alone is not a failure' % (before_boot, after_boot))

    guards = checked.guard_metrics
    metrics = {}
    for name in _metric_names(before_window, after_window, gated, guards):
        entry = {'gated': name in gated, 'guard': name in guards, 'regressed': None, 'guard_p_value': None}
        for label, window in (('before', before_window), ('after', after_window)):
            entry['%s_delta' % label] = _delta(window, name)
            entry['%s_per_million' % label] = _rate(window, name, 'per_million_segs')
            entry['%s_per_second' % label] = _rate(window, name, 'per_second')
        entry['reduction_pct'] = _reduction(name, entry['before_delta'], before_window, entry['after_delta'],
                                            after_window)
        entry['met'] = None
        entry['p_value'] = None
        metrics[name] = entry

    result = {
        'verdict': None,
        'passed': False,
        'reasons': reasons,
        'hints': hints,
        'message': '',
        'reboot': reboot,
        'metrics': metrics,
        'missing_metrics': [],
        'counter_reset_between': None,
        'guards': None,
        'before': _window_summary(before_window, before_boot),
        'after': _window_summary(after_window, after_boot),
        'thresholds': thresholds,
    }

    # 1. reset: a window that cannot be trusted, or counters that went backwards between the
    # windows without a reboot (the network namespace was recreated, or counters cleared)
    problems = [problem for problem in (_window_problem(before_window, 'baseline'),
                                        _window_problem(after_window, 'verify')) if problem]
    between = None
    if not problems and not reboot:
        between = _between_problem(before, after, before_window, after_window)
        result['counter_reset_between'] = bool(between) if between is not None else None
        if between:
            problems.append(between)
    if problems:
        reasons.extend(problems)
        return _finish(result, 'reset')

    # 2. insufficient_traffic
    for label, window in (('baseline', before_window), ('verify', after_window)):
        in_segs = window.get('in_segs')
        if in_segs is None:
            reasons.append('%s window: Tcp InSegs is not reported, so rates per segment are unknown' % label)
        elif in_segs < segments_needed:
            reasons.append('%s window saw %d Tcp InSegs in %.1f s, fewer than netfleet_min_segments %d: '
                           'run it under real traffic' % (label, in_segs, window['seconds'], segments_needed))
    if reasons:
        return _finish(result, 'insufficient_traffic')

    # 3. regressed: a guard rose (its sentences lead; the gated metrics' outcome follows them)
    regressions, guard_notes, result['guards'] = _judge_guards(metrics, guards, before_window, after_window,
                                                               before, after, checked)
    verdict = _judge_gated(result, metrics, gated, before_window, after_window, thresholds, pct_exact,
                           socket_buffers)
    hints.extend(guard_notes)
    if regressions:
        result['reasons'][:0] = regressions
        return _finish(result, 'regressed')
    return _finish(result, verdict)


def _judge_gated(result, metrics, gated, before_window, after_window, thresholds, pct_exact, socket_buffers):
    """clean, improved, not_improved or (a drop too small to prove) insufficient_traffic, from the gated metrics;
    fills the result's reasons, hints, missing_metrics and each gated entry's ``met`` and ``p_value``."""
    reasons, hints = result['reasons'], result['hints']
    before_segs, after_segs = before_window['in_segs'], after_window['in_segs']

    # a gated metric this kernel does not report can never pass
    missing = []
    for name in gated:
        entry = metrics[name]
        where = [window for label, window in (('before', 'baseline'), ('after', 'verify'))
                 if entry['%s_delta' % label] is None]
        if where:
            missing.append(name)
            reasons.append('gated metric %s (%s) is not reported in the %s window: this kernel cannot show '
                           'whether it dropped' % (name, metric_registry.source_label(name), ' and '.join(where)))
    result['missing_metrics'] = missing

    if not missing:
        # 4. clean: nothing to fix, nothing broke
        if all(metrics[name]['before_delta'] == 0 and metrics[name]['after_delta'] == 0 for name in gated):
            for name in gated:
                metrics[name]['met'] = True
            reasons.append('every gated metric (%s) was 0 in both windows' % ', '.join(gated))
            hints.extend(filter(None, [_pinned_hint(socket_buffers, failing=False)]))
            return 'clean'

    # 5. improved / 6. not_improved
    failed = []
    met = []
    unproven = []
    for name in gated:
        if name in missing:
            continue
        entry = metrics[name]
        before_delta, after_delta = entry['before_delta'], entry['after_delta']
        entry['p_value'] = None
        if before_delta == 0 and after_delta == 0:
            entry['met'] = True
            met.append('%s stayed at 0' % name)
        elif before_delta == 0:
            entry['met'] = False
            failed.append('%s rose from 0: %s' % (name, _describe(name, entry)))
        elif not _meets(before_delta, before_segs, after_delta, after_segs, pct_exact):
            entry['met'] = False
            failed.append('%s did not fall by %s%%: %s' % (
                name, thresholds['min_reduction_pct'], _describe(name, entry)))
        else:
            # the drop is there; is it more than chance? (few events can fall 90 % by luck)
            entry['p_value'] = drop_p_value(before_delta, before_segs, after_delta, after_segs, pct_exact)
            entry['met'] = entry['p_value'] <= ALPHA
            if entry['met']:
                met.append(_describe(name, entry))
            else:
                unproven.append(
                    '%s fell %d -> %d events (%s per million InSegs), but so few events cannot show a %s%% drop '
                    'with %d%% confidence (p = %.2g): sample longer windows or under more traffic' % (
                        name, before_delta, after_delta, format_pct(entry['reduction_pct']),
                        thresholds['min_reduction_pct'], round(CONFIDENCE * 100), entry['p_value']))
    # the failures first: they are what the message must name
    reasons.extend(failed)
    reasons.extend(unproven)
    reasons.extend(met)
    if missing or failed:
        # the cause no sysctl fixes comes first (the older below-default hint stays a note)
        hint = _pinned_hint(socket_buffers)
        if hint and 'pinned' in socket_buffers:
            reasons.insert(0, hint)
        elif hint:
            hints.append(hint)
        return 'not_improved'
    hints.extend(filter(None, [_pinned_hint(socket_buffers, failing=False)]))
    if unproven:
        return 'insufficient_traffic'
    return 'improved'


def _finish(result, verdict):
    result['verdict'] = verdict
    result['passed'] = verdict in PASSING
    result['message'] = '%s: %s' % (verdict, '; '.join(result['reasons']))
    return result


def check_baseline(window, gated_metrics=None, min_reduction_pct=None, min_segments=None, thresholds=None):
    """Problems that keep a baseline window from ever showing an improvement (a list of sentences).

    The window is judged before anything is tuned: invalid, too quiet (fewer than ``min_segments``
    InSegs), a gated metric the kernel does not report, or a gated metric with so few events that
    even a verify window without any (and the same traffic) could not show the drop with
    CONFIDENCE.  A metric at 0 is fine (the host can still be ``clean``).  Empty: usable.
    """
    checked = _checked(thresholds, gated_metrics, min_reduction_pct, min_segments)
    thresholds = checked.as_dict()
    pct_exact = checked.pct_exact
    problem = _window_problem(window, 'baseline')
    if problem:
        return [problem]
    in_segs = window.get('in_segs')
    if in_segs is None:
        return ['baseline window: Tcp InSegs is not reported, so rates per segment are unknown']
    if in_segs < thresholds['min_segments']:
        return ['baseline window saw %d Tcp InSegs in %.1f s, fewer than netfleet_min_segments %d: run it under '
                'real traffic' % (in_segs, window['seconds'], thresholds['min_segments'])]
    problems = []
    for name in thresholds['gated_metrics']:
        delta = _delta(window, name)
        if delta is None:
            problems.append('gated metric %s (%s) is not reported by this kernel' % (name, metric_registry.source_label(name)))
        elif delta > 0 and drop_p_value(delta, in_segs, 0, in_segs, pct_exact) > ALPHA:
            problems.append('only %d %s events in the baseline: even none at verify could not show a %s%% drop with '
                            '%d%% confidence; sample a longer window' % (
                                delta, name, thresholds['min_reduction_pct'], round(CONFIDENCE * 100)))
    return problems
