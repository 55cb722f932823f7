# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verify thresholds: which metrics are gated, by how much they must fall, how much traffic a window needs
(controller-only, never shipped to hosts).

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

__all__ = ['DEFAULT_MIN_REDUCTION_PCT', 'DEFAULT_MIN_SEGMENTS', 'VARIABLES', 'ThresholdError', 'Thresholds',
           'parse_thresholds', 'validate_thresholds']

DEFAULT_MIN_REDUCTION_PCT = 90
DEFAULT_MIN_SEGMENTS = 10000

# The playbook variables that carry each threshold: errors name them.
VARIABLES = {
    'gated_metrics': 'netfleet_gated_metrics',
    'min_reduction_pct': 'netfleet_min_reduction_pct',
    'min_segments': 'netfleet_min_segments',
}

_DECIMAL = re.compile(r'\A[0-9]+(\.[0-9]+)?\Z')
_INTEGER = re.compile(r'\A[0-9]+\Z')


class ThresholdError(ValueError):
    """A threshold that breaks its rule; the message names the playbook variable."""


def is_int(value):
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


class Thresholds(object):
    """Checked thresholds: ``gated_metrics`` [str], ``min_reduction_pct`` (int or float, as reports show it),
    ``min_segments`` int, and ``pct_exact``: the exact value of the percent that was given (``'70.1'`` stays
    701/10, not the nearest binary float), which the pass/fail arithmetic uses."""

    __slots__ = ('gated_metrics', 'min_reduction_pct', 'min_segments', 'pct_exact')

    def __init__(self, gated_metrics, min_reduction_pct, min_segments, pct_exact):
        self.gated_metrics = gated_metrics
        self.min_reduction_pct = min_reduction_pct
        self.min_segments = min_segments
        self.pct_exact = pct_exact

    def as_dict(self):
        """``{'gated_metrics': [str], 'min_reduction_pct': int or float, 'min_segments': int}`` (a new dict)."""
        return {'gated_metrics': list(self.gated_metrics), 'min_reduction_pct': self.min_reduction_pct,
                'min_segments': self.min_segments}

    @classmethod
    def from_dict(cls, value):
        """The Thresholds of the dict they were checked into (``as_dict()``: validate_thresholds, the
        ``netfleet.tuning.thresholds`` filter), as the playbooks pass it on: taken as it is, the rules are
        not applied again. ThresholdError only when ``value`` is not such a dict (other keys, or values
        of other types). The percent's exact value is that of the number in the dict."""
        keys = ('gated_metrics', 'min_reduction_pct', 'min_segments')
        if not isinstance(value, dict) or sorted(value) != sorted(keys):
            raise ThresholdError('thresholds must be the dict netfleet.tuning.thresholds returns (keys %s), got %r'
                                 % (', '.join(keys), value))
        gated, pct, segments = (value[key] for key in keys)
        if (not isinstance(gated, (list, tuple)) or not all(isinstance(name, str) for name in gated)
                or isinstance(pct, bool) or not isinstance(pct, (int, float)) or not math.isfinite(pct)
                or not is_int(segments)):
            raise ThresholdError('thresholds must be the dict netfleet.tuning.thresholds returns (a list of metric '
                                 'names, a number, an integer), got %r' % (value,))
        return cls(list(gated), pct, segments, Fraction(pct))


def _pct_value(raw):
    """min_reduction_pct -> (Fraction, plain number), or raise ThresholdError."""
    name = VARIABLES['min_reduction_pct']
    rule = '%s must be a number in (0, 100] (percent by which each gated rate must fall)' % name
    if isinstance(raw, str) and _DECIMAL.match(raw.strip()):
        exact = Fraction(raw.strip())
    elif is_int(raw):
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
    elif is_int(raw):
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
    rule = '%s must be a non-empty list of metric names from: %s' % (name, ', '.join(metric_registry.GATEABLE))
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
        if not isinstance(item, str) or item not in metric_registry.GATEABLE:
            raise ThresholdError('%s; %r is not one' % (rule, item))
        if item not in result:
            result.append(item)
    return result


def parse_thresholds(gated_metrics=None, min_reduction_pct=None, min_segments=None):
    """Check the thresholds once -> Thresholds.

    ``None`` means the default.  Strings are accepted where Ansible's ``-e
    key=value`` gives them (``"90"``, ``"5000"``, ``"prune_called,rcv_collapsed"``).
    Raises ThresholdError naming the playbook variable and its rule:

    - ``netfleet_gated_metrics``: non-empty, every name in metric_registry.GATEABLE (default
      metric_registry.DEFAULT_GATED);
    - ``netfleet_min_reduction_pct``: a finite number with 0 < pct <= 100;
    - ``netfleet_min_segments``: an integer >= 1.
    """
    gated = _gated_value(metric_registry.DEFAULT_GATED if gated_metrics is None else gated_metrics)
    exact, pct = _pct_value(DEFAULT_MIN_REDUCTION_PCT if min_reduction_pct is None else min_reduction_pct)
    segments = _segments_value(DEFAULT_MIN_SEGMENTS if min_segments is None else min_segments)
    return Thresholds(gated, pct, segments, exact)


def validate_thresholds(gated_metrics=None, min_reduction_pct=None, min_segments=None):
    """Check the thresholds (see parse_thresholds) and return them normalised as the plain dict reports carry:
    ``{'gated_metrics': [str], 'min_reduction_pct': int or float, 'min_segments': int}``."""
    return parse_thresholds(gated_metrics, min_reduction_pct, min_segments).as_dict()
