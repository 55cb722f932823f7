# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verify thresholds: which metrics are gated, by how much they must fall, how much traffic a window needs,
which guard metrics must not rise and by how much they may (controller-only, never shipped to hosts).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, no Ansible imports. ``parse_thresholds`` checks them once and returns a
``Thresholds`` that the judge (verdict.judge, verdict.check_baseline) takes as it is;
``validate_thresholds`` gives the same as the plain dict that reports and filters carry, and
``Thresholds.from_dict`` turns that dict back into a Thresholds without checking it again (the
playbooks check the thresholds once per host, with the ``netfleet.tuning.thresholds`` filter, and pass
the result on to the ``verdict`` and ``baseline_check`` filters).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math
import re
from fractions import Fraction

from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry

__all__ = ['DEFAULT_MIN_REDUCTION_PCT', 'DEFAULT_MIN_SEGMENTS', 'DEFAULT_GUARD_MAX_INCREASE_PCT',
           'MAX_GUARD_INCREASE_PCT', 'VARIABLES', 'KEYS', 'ThresholdError', 'Thresholds', 'parse_thresholds',
           'validate_thresholds']

DEFAULT_MIN_REDUCTION_PCT = 90
DEFAULT_MIN_SEGMENTS = 10000
# How much a guard's rate may rise (percent) before a significant rise makes the host "regressed": wide
# enough for the noise of two windows of real traffic, narrow enough that a doubled retransmission rate
# or listen queue overflows that were rare and are now common are caught.
DEFAULT_GUARD_MAX_INCREASE_PCT = 50
MAX_GUARD_INCREASE_PCT = 10000

# The playbook variables that carry each threshold: errors name them.
VARIABLES = {
    'gated_metrics': 'netfleet_gated_metrics',
    'min_reduction_pct': 'netfleet_min_reduction_pct',
    'min_segments': 'netfleet_min_segments',
    'guard_metrics': 'netfleet_guard_metrics',
    'guard_max_increase_pct': 'netfleet_guard_max_increase_pct',
}
# The keys of the checked thresholds' dict (as_dict), in order.
KEYS = ('gated_metrics', 'min_reduction_pct', 'min_segments', 'guard_metrics', 'guard_max_increase_pct')

_DECIMAL = re.compile(r'\A[0-9]+(\.[0-9]+)?\Z')
_INTEGER = re.compile(r'\A[0-9]+\Z')


class ThresholdError(ValueError):
    """A threshold that breaks its rule; the message names the playbook variable."""


def is_int(value):
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


class Thresholds(object):
    """Checked thresholds: ``gated_metrics`` [str], ``min_reduction_pct`` (int or float, as reports show it),
    ``min_segments`` int, ``guard_metrics`` [str] (may be empty: no guards), ``guard_max_increase_pct`` (int
    or float), and the exact values of the two percents that were given (``pct_exact``,
    ``guard_pct_exact``: ``'70.1'`` stays 701/10, not the nearest binary float), which the pass/fail
    arithmetic uses."""

    __slots__ = ('gated_metrics', 'min_reduction_pct', 'min_segments', 'pct_exact', 'guard_metrics',
                 'guard_max_increase_pct', 'guard_pct_exact')

    def __init__(self, gated_metrics, min_reduction_pct, min_segments, pct_exact, guard_metrics=(),
                 guard_max_increase_pct=DEFAULT_GUARD_MAX_INCREASE_PCT, guard_pct_exact=None):
        self.gated_metrics = gated_metrics
        self.min_reduction_pct = min_reduction_pct
        self.min_segments = min_segments
        self.pct_exact = pct_exact
        self.guard_metrics = list(guard_metrics)
        self.guard_max_increase_pct = guard_max_increase_pct
        self.guard_pct_exact = Fraction(guard_max_increase_pct) if guard_pct_exact is None else guard_pct_exact

    def as_dict(self):
        """The plain dict of KEYS (a new dict), as reports carry it."""
        return {'gated_metrics': list(self.gated_metrics), 'min_reduction_pct': self.min_reduction_pct,
                'min_segments': self.min_segments, 'guard_metrics': list(self.guard_metrics),
                'guard_max_increase_pct': self.guard_max_increase_pct}

    @classmethod
    def from_dict(cls, value):
        """The Thresholds of the dict they were checked into (``as_dict()``: validate_thresholds, the
        ``netfleet.tuning.thresholds`` filter), as the playbooks pass it on: taken as it is, the rules are
        not applied again. ThresholdError only when ``value`` is not such a dict (other keys, or values
        of other types). The percents' exact values are those of the numbers in the dict."""
        if not isinstance(value, dict) or sorted(value) != sorted(KEYS):
            raise ThresholdError('thresholds must be the dict netfleet.tuning.thresholds returns (keys %s), got %r'
                                 % (', '.join(KEYS), value))
        gated, pct, segments, guards, guard_pct = (value[key] for key in KEYS)
        if (not _names(gated) or not _names(guards) or not _finite(pct) or not _finite(guard_pct)
                or not is_int(segments)):
            raise ThresholdError('thresholds must be the dict netfleet.tuning.thresholds returns (lists of metric '
                                 'names, numbers, an integer), got %r' % (value,))
        return cls(list(gated), pct, segments, Fraction(pct), list(guards), guard_pct, Fraction(guard_pct))


def _names(value):
    return isinstance(value, (list, tuple)) and all(isinstance(name, str) for name in value)


def _finite(value):
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _exact_number(raw):
    """A number as given (an int, a finite float, a decimal string as -e gives it) -> Fraction, or None."""
    if isinstance(raw, str) and _DECIMAL.match(raw.strip()):
        return Fraction(raw.strip())
    if is_int(raw) or (isinstance(raw, float) and math.isfinite(raw)):
        return Fraction(raw)
    return None


def _plain(exact):
    return int(exact) if exact.denominator == 1 else float(exact)


def _pct_value(raw):
    """min_reduction_pct -> (Fraction, plain number), or raise ThresholdError."""
    name = VARIABLES['min_reduction_pct']
    rule = '%s must be a number in (0, 100] (percent by which each gated rate must fall)' % name
    exact = _exact_number(raw)
    if exact is None or not 0 < exact <= 100:
        raise ThresholdError('%s, got %r' % (rule, raw))
    return exact, _plain(exact)


def _guard_pct_value(raw):
    """guard_max_increase_pct -> (Fraction, plain number), or raise ThresholdError."""
    name = VARIABLES['guard_max_increase_pct']
    rule = ('%s must be a number in [0, %d] (percent by which a guard metric rate may rise before a '
            'significant rise fails the host)' % (name, MAX_GUARD_INCREASE_PCT))
    exact = _exact_number(raw)
    if exact is None or not 0 <= exact <= MAX_GUARD_INCREASE_PCT:
        raise ThresholdError('%s, got %r' % (rule, raw))
    return exact, _plain(exact)


def _segments_value(raw):
    name = VARIABLES['min_segments']
    rule = ('%s must be an integer >= 1 (Tcp InSegs each window needs; 0 would let an idle host pass)'
            % name)
    if isinstance(raw, str) and _INTEGER.match(raw.strip()):
        value = int(raw.strip())
    elif is_int(raw):
        value = raw
    elif isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        value = int(raw)
    else:
        raise ThresholdError('%s, got %r' % (rule, raw))
    if value < 1:
        raise ThresholdError('%s, got %r' % (rule, raw))
    return value


def _metric_list(raw, variable, allowed, what, allow_empty):
    """A list of metric names (a list, or a comma-separated string as -e gives it), each in ``allowed``,
    without repeats -> list, or raise ThresholdError naming the variable and its rule."""
    rule = '%s must be a %slist of metric names %s: %s' % (
        variable, '' if allow_empty else 'non-empty ', what, ', '.join(allowed))
    if isinstance(raw, str):
        items = [part.strip() for part in raw.split(',') if part.strip()]
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        raise ThresholdError('%s, got %r' % (rule, raw))
    if not items and not allow_empty:
        raise ThresholdError('%s, got an empty list' % rule)
    result = []
    for item in items:
        if not isinstance(item, str) or item not in allowed:
            raise ThresholdError('%s; %r is not one' % (rule, item))
        if item not in result:
            result.append(item)
    return result


def _gated_value(raw):
    return _metric_list(raw, VARIABLES['gated_metrics'], metric_registry.GATEABLE, 'from', allow_empty=False)


def _guard_value(raw):
    return _metric_list(raw, VARIABLES['guard_metrics'], metric_registry.GUARDABLE,
                        '(empty: no guards) from', allow_empty=True)


def parse_thresholds(gated_metrics=None, min_reduction_pct=None, min_segments=None, guard_metrics=None,
                     guard_max_increase_pct=None):
    """Check the thresholds once -> Thresholds.

    ``None`` means the default.  Strings are accepted where Ansible's ``-e
    key=value`` gives them (``"90"``, ``"5000"``, ``"prune_called,rcv_collapsed"``).
    Raises ThresholdError naming the playbook variable and its rule:

    - ``netfleet_gated_metrics``: non-empty, every name in metric_registry.GATEABLE (default
      metric_registry.DEFAULT_GATED);
    - ``netfleet_min_reduction_pct``: a finite number with 0 < pct <= 100;
    - ``netfleet_min_segments``: an integer >= 1;
    - ``netfleet_guard_metrics``: every name in metric_registry.GUARDABLE, may be empty (default
      metric_registry.DEFAULT_GUARDS);
    - ``netfleet_guard_max_increase_pct``: a finite number with 0 <= pct <= MAX_GUARD_INCREASE_PCT (default
      DEFAULT_GUARD_MAX_INCREASE_PCT).
    """
    gated = _gated_value(metric_registry.DEFAULT_GATED if gated_metrics is None else gated_metrics)
    exact, pct = _pct_value(DEFAULT_MIN_REDUCTION_PCT if min_reduction_pct is None else min_reduction_pct)
    segments = _segments_value(DEFAULT_MIN_SEGMENTS if min_segments is None else min_segments)
    guards = _guard_value(metric_registry.DEFAULT_GUARDS if guard_metrics is None else guard_metrics)
    guard_exact, guard_pct = _guard_pct_value(
        DEFAULT_GUARD_MAX_INCREASE_PCT if guard_max_increase_pct is None else guard_max_increase_pct)
    return Thresholds(gated, pct, segments, exact, guards, guard_pct, guard_exact)


def validate_thresholds(gated_metrics=None, min_reduction_pct=None, min_segments=None, guard_metrics=None,
                        guard_max_increase_pct=None):
    """Check the thresholds (see parse_thresholds) and return them normalised as the plain dict reports carry
    (Thresholds.as_dict: the keys KEYS)."""
    return parse_thresholds(gated_metrics, min_reduction_pct, min_segments, guard_metrics,
                            guard_max_increase_pct).as_dict()
