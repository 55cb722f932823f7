# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verdicts: did a host's pruning and collapsing drop between two windows?

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports.  The verify playbook
calls ``judge()`` through the ``netfleet.tuning.verdict`` filter; the unit
tests call it directly.

A *window* is what ``rates.window()`` returns (``ansible_facts.netstat.rates``
after ``netstat_facts`` with ``sample_seconds``)::

    {'seconds': float, 'valid': bool, 'invalid_reason': str or None,
     'in_segs': int or None,
     'metrics': {name: {'delta': int, 'per_second': float, 'per_million_segs': float}}}

``judge()`` compares the baseline window with the verify window.  Rates are
recomputed here from the deltas, the InSegs deltas and the seconds (the
``per_*`` values in the windows are not trusted), and the pass/fail decision is
made in exact rational arithmetic, so no float rounding can turn a 89.99 %
reduction into a pass at 90 %.

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
``clean``
    every gated metric was zero in both windows.
``improved``
    each gated metric's rate per million InSegs fell by at least
    ``min_reduction_pct`` percent (or to zero; a metric zero in both windows
    also counts).
``not_improved``
    anything else, including a gated metric that this kernel does not report
    (a missing metric can never pass).

Only ``improved`` and ``clean`` pass.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math
import re
from fractions import Fraction

from ansible_collections.netfleet.tuning.plugins.module_utils.rates import METRIC_NAMES, METRIC_SOURCES

__all__ = [
    'VERDICTS', 'PASSING', 'GATEABLE_METRICS', 'DEFAULT_GATED_METRICS',
    'DEFAULT_MIN_REDUCTION_PCT', 'DEFAULT_MIN_SEGMENTS', 'CONFIDENCE', 'ALPHA', 'ThresholdError', 'drop_p_value',
    'validate_thresholds', 'split_source', 'judge', 'format_number', 'format_pct', 'check_restored',
    'check_baseline',
]

VERDICTS = ('reset', 'insufficient_traffic', 'clean', 'improved', 'not_improved')
PASSING = ('improved', 'clean')

# in_segs normalises the others: it cannot be gated on.
GATEABLE_METRICS = tuple(name for name in METRIC_NAMES if name != 'in_segs')
DEFAULT_GATED_METRICS = ('prune_called', 'rcv_collapsed')
DEFAULT_MIN_REDUCTION_PCT = 90
DEFAULT_MIN_SEGMENTS = 10000

# How sure an "improved" must be that each gated rate fell by the threshold, not by luck: a
# one-sided test on the event counts (see drop_p_value).  With a handful of events in a window,
# a 90 % drop happens by chance; such a host gets insufficient_traffic, never a pass.
CONFIDENCE = 0.95
# The p-value at or below which a drop counts as proven (1 - CONFIDENCE, as a float: 0.05000000000000004).
ALPHA = 1 - CONFIDENCE

# The playbook variables that carry each threshold: errors name them.
VARIABLES = {
    'gated_metrics': 'netfleet_gated_metrics',
    'min_reduction_pct': 'netfleet_min_reduction_pct',
    'min_segments': 'netfleet_min_segments',
}

_DECIMAL = re.compile(r'\A[0-9]+(\.[0-9]+)?\Z')
_INTEGER = re.compile(r'\A[0-9]+\Z')
_MILLION = 1000000


class ThresholdError(ValueError):
    """A threshold that breaks its rule; the message names the playbook variable."""


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _pct_value(raw):
    """min_reduction_pct -> (Fraction, plain number), or raise ThresholdError."""
    name = VARIABLES['min_reduction_pct']
    rule = '%s must be a number in (0, 100] (percent by which each gated rate must fall)' % name
    if isinstance(raw, str) and _DECIMAL.match(raw.strip()):
        exact = Fraction(raw.strip())
    elif _is_int(raw):
        exact = Fraction(raw)
    elif isinstance(raw, float) and not isinstance(raw, bool) and math.isfinite(raw):
        exact = Fraction(raw)
    else:
        raise ThresholdError('%s, got %r' % (rule, raw))
    if not 0 < exact <= 100:
        raise ThresholdError('%s, got %r' % (rule, raw))
    plain = int(exact) if exact.denominator == 1 else float(exact)
    return exact, plain


def _segments_value(raw):
    name = VARIABLES['min_segments']
    rule = ('%s must be an integer >= 1 (Tcp InSegs each window needs; 0 would let an idle host pass)'
            % name)
    if isinstance(raw, str) and _INTEGER.match(raw.strip()):
        value = int(raw.strip())
    elif _is_int(raw):
        value = raw
    elif isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        value = int(raw)
    else:
        raise ThresholdError('%s, got %r' % (rule, raw))
    if value < 1:
        raise ThresholdError('%s, got %r' % (rule, raw))
    return value


def _gated_value(raw):
    name = VARIABLES['gated_metrics']
    rule = '%s must be a non-empty list of metric names from: %s' % (name, ', '.join(GATEABLE_METRICS))
    if isinstance(raw, str):
        items = [part.strip() for part in raw.split(',') if part.strip()]
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        raise ThresholdError('%s, got %r' % (rule, raw))
    if not items:
        raise ThresholdError('%s, got an empty list' % rule)
    result = []
    for item in items:
        if not isinstance(item, str) or item not in GATEABLE_METRICS:
            raise ThresholdError('%s; %r is not one' % (rule, item))
        if item not in result:
            result.append(item)
    return result


def validate_thresholds(gated_metrics=None, min_reduction_pct=None, min_segments=None):
    """Check the thresholds and return them normalised.

    ``None`` means the default.  Strings are accepted where Ansible's ``-e
    key=value`` gives them (``"90"``, ``"5000"``, ``"prune_called,rcv_collapsed"``).
    Raises ThresholdError naming the playbook variable and its rule:

    - ``netfleet_gated_metrics``: non-empty, every name in GATEABLE_METRICS;
    - ``netfleet_min_reduction_pct``: a finite number with 0 < pct <= 100;
    - ``netfleet_min_segments``: an integer >= 1.

    -> ``{'gated_metrics': [str], 'min_reduction_pct': int or float,
    'min_segments': int}``.
    """
    gated = _gated_value(DEFAULT_GATED_METRICS if gated_metrics is None else gated_metrics)
    _exact, pct = _pct_value(DEFAULT_MIN_REDUCTION_PCT if min_reduction_pct is None else min_reduction_pct)
    segments = _segments_value(DEFAULT_MIN_SEGMENTS if min_segments is None else min_segments)
    return {'gated_metrics': gated, 'min_reduction_pct': pct, 'min_segments': segments}


def split_source(source):
    """``(window, boot_id)`` from what the playbooks hold.

    Accepts a window itself (has ``valid``), ``ansible_facts.netstat`` (the
    window is ``rates``) or a stored baseline record (the window is
    ``window``).  Anything else, or None, gives ``(None, None)``.
    """
    if not isinstance(source, dict):
        return None, None
    if 'valid' in source and 'metrics' in source:
        return source, None
    for key in ('window', 'rates'):
        if isinstance(source.get(key), dict):
            boot_id = source.get('boot_id')
            return source[key], boot_id if isinstance(boot_id, str) and boot_id else None
    return None, source.get('boot_id') if isinstance(source.get('boot_id'), str) else None


def _end_values(source):
    """Absolute metric values at the end of a source's window: ``{name: int}`` or None.

    A stored record keeps them as ``metrics_end``; ``ansible_facts.netstat`` has them as ``metrics``
    (the last read) next to ``rates``.  A bare window has none.
    """
    if not isinstance(source, dict) or ('valid' in source and 'metrics' in source):
        return None
    values = source.get('metrics_end')
    if values is None and isinstance(source.get('rates'), dict):
        values = source.get('metrics')
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
    for name in METRIC_NAMES:
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


def format_number(value):
    """A rate for people: ``None`` -> ``'n/a'``, 0 -> ``'0'``, 3 significant digits below 100."""
    if value is None:
        return 'n/a'
    if not _is_number(value) or not math.isfinite(value):
        return str(value)
    if value == 0:
        return '0'
    magnitude = abs(value)
    if magnitude >= 100:
        return '{:,.0f}'.format(value)
    if magnitude >= 10:
        return '%.1f' % value
    if magnitude >= 1:
        return '%.2f' % value
    return '%.3g' % value


def format_pct(value):
    """A reduction in percent, signed as a change: 95.0 -> ``'-95.0%'``, -20.0 -> ``'+20.0%'``."""
    if value is None:
        return 'n/a'
    # truncated toward zero, so that a 99.996 % drop never reads as -100.0 %
    change = math.trunc(-value * 10) / 10.0
    if change == 0:
        return '0%' if value == 0 else ('-0.0%' if value > 0 else '+0.0%')
    return '%+.1f%%' % change


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


def _delta(window, name):
    """The metric's delta in a window: a non-negative int, or None when absent."""
    metrics = window.get('metrics') if isinstance(window, dict) else None
    entry = metrics.get(name) if isinstance(metrics, dict) else None
    delta = entry.get('delta') if isinstance(entry, dict) else None
    return delta if _is_int(delta) and delta >= 0 else None


def _per_million(delta, in_segs):
    if delta is None or not _is_int(in_segs) or in_segs <= 0:
        return None
    return delta * float(_MILLION) / in_segs


def _per_second(delta, seconds):
    if delta is None or not _is_number(seconds) or seconds <= 0:
        return None
    return delta / float(seconds)


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
        'in_segs_per_second': _per_second(in_segs if _is_int(in_segs) and in_segs >= 0 else None, seconds),
        'boot_id': boot_id,
    }


def _metric_names(before, after, gated):
    present = set()
    for window in (before, after):
        metrics = window.get('metrics') if isinstance(window, dict) else None
        if isinstance(metrics, dict):
            present.update(name for name in metrics if isinstance(name, str))
    present.update(gated)
    present.discard('in_segs')
    ordered = [name for name in METRIC_NAMES if name in present]
    return ordered + sorted(name for name in present if name not in METRIC_NAMES)


def _reduction(before_delta, before_window, after_delta, after_window):
    """100 * (1 - after rate / before rate), per million InSegs, computed exactly; None without a before rate."""
    before_segs = before_window.get('in_segs') if isinstance(before_window, dict) else None
    after_segs = after_window.get('in_segs') if isinstance(after_window, dict) else None
    if before_delta is None or after_delta is None or not before_delta:
        return None
    if not (_is_int(before_segs) and before_segs > 0 and _is_int(after_segs) and after_segs > 0):
        return None
    ratio = Fraction(after_delta * before_segs, before_delta * after_segs)
    return float(100 * (1 - ratio))


def _meets(before_delta, before_segs, after_delta, after_segs, pct):
    """Exact: did after/after_segs fall to at most (1 - pct/100) of before/before_segs?"""
    # after_delta / after_segs <= before_delta / before_segs * (100 - pct) / 100
    # <=> after_delta * before_segs * 100 <= before_delta * after_segs * (100 - pct)
    return after_delta * before_segs * 100 <= before_delta * after_segs * (100 - pct)


def _describe(name, entry):
    text = '%s %s -> %s per million InSegs' % (
        name, format_number(entry['before_per_million']), format_number(entry['after_per_million']))
    if entry['reduction_pct'] is not None:
        text += ' (%s)' % format_pct(entry['reduction_pct'])
    text += ', %s -> %s per second' % (
        format_number(entry['before_per_second']), format_number(entry['after_per_second']))
    return text


def _source_name(name):
    group, counter = METRIC_SOURCES.get(name, (None, None))
    if group is None:
        return name
    if group == 'softnet':
        return 'softnet_stat dropped'
    return '%s %s' % (group, counter)


def _pinned_hint(socket_buffers):
    """A sentence when sockets pin a receive buffer below the tcp_rmem default, else None."""
    if not isinstance(socket_buffers, dict):
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


def judge(before, after, gated_metrics=None, min_reduction_pct=None, min_segments=None,
          socket_buffers=None):
    """The verdict for one host.

    ``before`` and ``after``: the baseline and the verify window, each given as
    a window, ``ansible_facts.netstat`` or a stored baseline record (see
    split_source); None when missing.  Thresholds as in validate_thresholds
    (ThresholdError on a bad one).  ``socket_buffers``: the verify facts'
    ``socket_buffers`` (optional), used for a hint when the rates did not drop.

    -> ``{'verdict': one of VERDICTS, 'passed': bool, 'reasons': [str],
    'hints': [str], 'message': str, 'reboot': bool or None,
    'metrics': {name: {'gated': bool, 'before_delta', 'after_delta',
    'before_per_million', 'after_per_million', 'before_per_second',
    'after_per_second', 'reduction_pct', 'met': bool or None,
    'p_value': float or None}},
    'missing_metrics': [str], 'counter_reset_between': bool or None,
    'before': {...}, 'after': {...}, 'thresholds': {...}}``.

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
    thresholds = validate_thresholds(gated_metrics, min_reduction_pct, min_segments)
    gated = thresholds['gated_metrics']
    # the exact value of what was given ('70.1' stays 701/10, not the nearest binary float)
    pct_exact, _plain = _pct_value(DEFAULT_MIN_REDUCTION_PCT if min_reduction_pct is None else min_reduction_pct)
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

    metrics = {}
    for name in _metric_names(before_window, after_window, gated):
        entry = {'gated': name in gated}
        for label, window in (('before', before_window), ('after', after_window)):
            delta = _delta(window, name)
            in_segs = window.get('in_segs') if isinstance(window, dict) else None
            seconds = window.get('seconds') if isinstance(window, dict) else None
            entry['%s_delta' % label] = delta
            entry['%s_per_million' % label] = _per_million(delta, in_segs)
            entry['%s_per_second' % label] = _per_second(delta, seconds)
        entry['reduction_pct'] = _reduction(entry['before_delta'], before_window, entry['after_delta'], after_window)
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
        'before': _window_summary(before_window, before_boot),
        'after': _window_summary(after_window, after_boot),
        'thresholds': thresholds,
    }

    # 1. reset: a window that cannot be trusted, or counters that went backwards between the
    # windows without a reboot (the network namespace was recreated, or counters cleared)
    problems = [p for p in (_window_problem(before_window, 'baseline'),
                            _window_problem(after_window, 'verify')) if p]
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

    before_segs, after_segs = before_window['in_segs'], after_window['in_segs']

    # a gated metric this kernel does not report can never pass
    missing = []
    for name in gated:
        entry = metrics[name]
        where = [label for label in ('before', 'after') if entry['%s_delta' % label] is None]
        if where:
            missing.append(name)
            reasons.append('gated metric %s (%s) is not reported in the %s window: this kernel cannot show '
                           'whether it dropped' % (name, _source_name(name),
                                                   ' and '.join('baseline' if w == 'before' else 'verify'
                                                                for w in where)))
    result['missing_metrics'] = missing

    if not missing:
        # 3. clean: nothing to fix, nothing broke
        if all(metrics[name]['before_delta'] == 0 and metrics[name]['after_delta'] == 0 for name in gated):
            for name in gated:
                metrics[name]['met'] = True
            reasons.append('every gated metric (%s) was 0 in both windows' % ', '.join(gated))
            return _finish(result, 'clean')

    # 4. improved / 5. not_improved
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
        hint = _pinned_hint(socket_buffers)
        if hint:
            hints.append(hint)
        return _finish(result, 'not_improved')
    if unproven:
        return _finish(result, 'insufficient_traffic')
    return _finish(result, 'improved')


# The exact sum's terms are summed from k down until what is left is below this share of the sum.
_TAIL_EPSILON = 2.0 ** -60
# Past this sum the running terms are scaled down (a sum over a mode far below k could overflow).
_RESCALE_AT = 1e280


def _normal_branch(k, n, p):
    """Whether P(X <= k) is taken from the normal approximation (a huge count), as it always was."""
    variance = n * p * (1.0 - p)
    return k > 100000 or (variance > 1e6 and k > 1000)


def _binomial_cdf_normal(k, n, p):
    """Continuity-corrected normal approximation of P(X <= k)."""
    mean = n * p
    z = (k + 0.5 - mean) / math.sqrt(mean * (1.0 - p))
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _binomial_cdf_sum(k, n, p):
    """P(X <= k), every term summed in log space: O(k). The reference the fast sum is checked against, and
    what decides when the fast sum lands too close to ALPHA to be trusted (see drop_p_value)."""
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(n + 1)
    logs = [log_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
            for i in range(int(k) + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(value - top) for value in logs))


def _binomial_cdf_fast(k, n, p):
    """P(X <= k) from the term at k and the ratio of neighbouring terms, summed from k down while it
    matters.

    pmf(i - 1) = pmf(i) * r(i) with r(i) = i / (n - i + 1) * q / p, and r falls as i falls: once
    r(i) < 1, the terms below are at most term * (r + r^2 + ...) = term * r / (1 - r), so the sum
    stops when that bound is below _TAIL_EPSILON of the sum. The verdicts ask for a left tail (after
    events at most their expected share), where r is small and a few dozen terms do; near the mode about
    ten standard deviations' worth (and every term between k and the mode, when k lies above it), instead
    of one lgamma per event.
    """
    k = int(k)
    log_p, log_q = math.log(p), math.log1p(-p)
    # the same expression as the reference's term at k
    log_top = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_p + (n - k) * log_q
    odds = math.exp(log_q - log_p)
    total = term = 1.0
    i = k
    while i > 0:
        ratio = i / (n - i + 1.0) * odds
        term *= ratio
        total += term
        i -= 1
        if ratio < 1.0 and term * ratio <= (1.0 - ratio) * total * _TAIL_EPSILON:
            break
        if total > _RESCALE_AT:
            total /= _RESCALE_AT
            term /= _RESCALE_AT
            log_top += math.log(_RESCALE_AT)
    return min(1.0, math.exp(log_top + math.log(total)))


def _binomial_cdf(k, n, p, exact=None):
    """P(X <= k) for X ~ Binomial(n, p): exact for small k (``exact``, default _binomial_cdf_fast; with
    _binomial_cdf_sum this is the function as it was before the fast sum), normal approximation beyond."""
    if k < 0:
        return 0.0
    if k >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    if _normal_branch(k, n, p):
        # a huge count: the exact sum is needlessly slow
        return _binomial_cdf_normal(k, n, p)
    return (exact or _binomial_cdf_fast)(k, n, p)


def _sum_tolerance(n):
    """How far (relative) the fast sum and the reference may differ for n events: the reference sums
    terms whose logs each carry the rounding of lgamma(n + 1), the fast sum carries it once."""
    return 1e-10 + 256 * 2.0 ** -52 * (1.0 + math.lgamma(n + 1))


def drop_p_value(before_events, before_segs, after_events, after_segs, pct):
    """How likely is a verify window this low if the rate per segment had NOT fallen by ``pct`` percent?

    The conditional test for two Poisson counts with exposures (the InSegs of each window): given
    ``n = before + after`` events, the verify window's share is Binomial(n, pi) with
    ``pi = r * after_segs / (r * after_segs + before_segs)`` where ``r`` is the rate ratio.  At the
    boundary of "not fallen by pct" (``r = 1 - pct/100``, at most 0.99 so that 100 % stays testable),
    the p-value is ``P(X <= after_events)``.  Small means the drop is real, not luck.

    The exact sum runs from the verify count down only while its terms matter (_binomial_cdf_fast); when
    that lands within its rounding of ALPHA, the term-by-term reference sum decides, so a drop is proven
    exactly when it always was (tests/unit/plugins/module_utils/test_verdict.py compares both).
    """
    ratio = max(1.0 - float(pct) / 100.0, 0.01)
    share = ratio * after_segs / (ratio * after_segs + float(before_segs))
    events = before_events + after_events
    value = _binomial_cdf(after_events, events, share)
    if (0 <= after_events < events and 0.0 < share < 1.0 and not _normal_branch(after_events, events, share)
            and abs(value - ALPHA) <= ALPHA * _sum_tolerance(events)):
        value = _binomial_cdf_sum(after_events, events, share)
    return value


def _finish(result, verdict):
    result['verdict'] = verdict
    result['passed'] = verdict in PASSING
    result['message'] = '%s: %s' % (verdict, '; '.join(result['reasons']))
    return result


def _same_value(left, right):
    """Sysctl values equal as the kernel sees them: whitespace-separated fields, integers compared as integers."""
    if left is None or right is None:
        return left is None and right is None
    left_parts, right_parts = str(left).split(), str(right).split()
    if len(left_parts) != len(right_parts):
        return False
    for a, b in zip(left_parts, right_parts):
        if re.match(r'\A-?[0-9]+\Z', a) and re.match(r'\A-?[0-9]+\Z', b):
            if int(a) != int(b):
                return False
        elif a != b:
            return False
    return True


def check_restored(role_result, live_sysctl, baseline_sysctl=None):
    """After ``sysctl_profile_state: absent``: are the restored values live?

    ``role_result``: the role's ``sysctl_profile_result`` (``keys``: per key ``status``, ``desired`` =
    the value saved before the first rollout).  ``live_sysctl``: a fresh read
    (``ansible_facts.netstat.sysctl``, ``{key: {'value', 'scope'}}``).  ``baseline_sysctl``: the
    stored baseline's ``sysctl`` (optional), compared for information only (a baseline may be newer
    than the first rollout).

    -> ``{'ok': bool, 'checked': [key], 'mismatches': [str], 'notes': [str]}``.  A key the role
    restored (or found already restored) whose live value differs from the saved one, a key whose
    restore failed, and a key the fresh read does not show are mismatches.
    """
    keys = role_result.get('keys') if isinstance(role_result, dict) else None
    live_sysctl = live_sysctl if isinstance(live_sysctl, dict) else {}
    baseline_sysctl = baseline_sysctl if isinstance(baseline_sysctl, dict) else {}
    checked, mismatches, notes = [], [], []
    if not isinstance(keys, dict) or not keys:
        notes.append('no saved values on the host: nothing was restored (never rolled out, or already rolled back)')
        return {'ok': True, 'checked': checked, 'mismatches': mismatches, 'notes': notes}

    def live_value(key):
        entry = live_sysctl.get(key)
        return entry.get('value') if isinstance(entry, dict) else entry

    for key in sorted(keys):
        entry = keys[key] if isinstance(keys[key], dict) else {}
        status = entry.get('status')
        if status == 'failed':
            mismatches.append('%s: the role could not restore %r (read back %r)'
                              % (key, entry.get('desired'), entry.get('live')))
            continue
        if status not in ('restored', 'unchanged'):
            notes.append('%s: %s (%s)' % (key, status, entry.get('reason') or 'not restored'))
            continue
        checked.append(key)
        if key not in live_sysctl:
            mismatches.append('%s: not in the fresh read of the live values' % key)
            continue
        now = live_value(key)
        if not _same_value(now, entry.get('desired')):
            mismatches.append('%s: live value %r, expected the saved %r' % (key, now, entry.get('desired')))
            continue
        base = baseline_sysctl.get(key)
        base = base.get('value') if isinstance(base, dict) else base
        if base is not None and not _same_value(now, base):
            notes.append('%s: restored to %r, which differs from the stored baseline %r (the baseline was taken '
                         'after an earlier change)' % (key, now, base))
    return {'ok': not mismatches, 'checked': checked, 'mismatches': mismatches, 'notes': notes}


def check_baseline(window, gated_metrics=None, min_reduction_pct=None, min_segments=None):
    """Problems that keep a baseline window from ever showing an improvement (a list of sentences).

    The window is judged before anything is tuned: invalid, too quiet (fewer than ``min_segments``
    InSegs), a gated metric the kernel does not report, or a gated metric with so few events that
    even a verify window without any (and the same traffic) could not show the drop with
    CONFIDENCE.  A metric at 0 is fine (the host can still be ``clean``).  Empty: usable.
    """
    thresholds = validate_thresholds(gated_metrics, min_reduction_pct, min_segments)
    pct_exact, _plain = _pct_value(DEFAULT_MIN_REDUCTION_PCT if min_reduction_pct is None else min_reduction_pct)
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
            problems.append('gated metric %s (%s) is not reported by this kernel' % (name, _source_name(name)))
        elif delta > 0 and drop_p_value(delta, in_segs, 0, in_segs, pct_exact) > ALPHA:
            problems.append('only %d %s events in the baseline: even none at verify could not show a %s%% drop with '
                            '%d%% confidence; sample a longer window' % (
                                delta, name, thresholds['min_reduction_pct'], round(CONFIDENCE * 100)))
    return problems
