# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is a drop (or a rise) in events more than luck? The one-sided tests the verdicts use (controller-only).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, no Ansible imports. ``drop_p_value`` is the p-value of "the rate per segment did
NOT fall by pct percent" given the event counts and the Tcp InSegs of two windows; a drop counts as
proven at or below ALPHA (verdict.judge, verdict.check_baseline). ``rise_p_value`` is its mirror for the
guards: the p-value of "the rate did NOT rise by more than pct percent".
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math

__all__ = ['CONFIDENCE', 'ALPHA', 'drop_p_value', 'rise_p_value']

# How sure an "improved" must be that each gated rate fell by the threshold, not by luck: a
# one-sided test on the event counts (see drop_p_value).  With a handful of events in a window,
# a 90 % drop happens by chance; such a host gets insufficient_traffic, never a pass.
CONFIDENCE = 0.95
# The p-value at or below which a drop counts as proven (1 - CONFIDENCE, as a float: 0.05000000000000004).
ALPHA = 1 - CONFIDENCE

# The exact sum's terms are summed from at_most down until what is left is below this share of the sum.
_TAIL_EPSILON = 2.0 ** -60
# Past this sum the running terms are scaled down (a sum over a mode far below at_most could overflow).
_RESCALE_AT = 1e280


def _normal_branch(at_most, trials, probability):
    """Whether P(X <= at_most) is taken from the normal approximation (a huge count), as it always was."""
    variance = trials * probability * (1.0 - probability)
    return at_most > 100000 or (variance > 1e6 and at_most > 1000)


def _binomial_cdf_normal(at_most, trials, probability):
    """Continuity-corrected normal approximation of P(X <= at_most)."""
    mean = trials * probability
    z_score = (at_most + 0.5 - mean) / math.sqrt(mean * (1.0 - probability))
    return 0.5 * math.erfc(-z_score / math.sqrt(2.0))


def _binomial_cdf_sum(at_most, trials, probability):
    """P(X <= at_most), every term summed in log space: O(at_most). The reference the fast sum is checked against, and
    what decides when the fast sum lands too close to ALPHA to be trusted (see drop_p_value)."""
    log_probability, log_complement = math.log(probability), math.log1p(-probability)
    log_trials_factorial = math.lgamma(trials + 1)
    logs = [log_trials_factorial - math.lgamma(i + 1) - math.lgamma(trials - i + 1)
            + i * log_probability + (trials - i) * log_complement
            for i in range(int(at_most) + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(value - top) for value in logs))


def _binomial_cdf_fast(at_most, trials, probability):
    """P(X <= at_most) from the term at at_most and the ratio of neighbouring terms, summed from at_most
    down while it matters.

    With p the probability, q = 1 - p and n the trials: pmf(i - 1) = pmf(i) * r(i) with
    r(i) = i / (n - i + 1) * q / p, and r falls as i falls: once
    r(i) < 1, the terms below are at most term * (r + r^2 + ...) = term * r / (1 - r), so the sum
    stops when that bound is below _TAIL_EPSILON of the sum. The verdicts ask for a left tail (after
    events at most their expected share), where r is small and a few dozen terms do; near the mode about
    ten standard deviations' worth (and every term between at_most and the mode, when at_most lies above
    it), instead of one lgamma per event.
    """
    at_most = int(at_most)
    log_probability, log_complement = math.log(probability), math.log1p(-probability)
    # the same expression as the reference's term at at_most
    log_top = (math.lgamma(trials + 1) - math.lgamma(at_most + 1) - math.lgamma(trials - at_most + 1)
               + at_most * log_probability + (trials - at_most) * log_complement)
    odds = math.exp(log_complement - log_probability)
    total = term = 1.0
    i = at_most
    while i > 0:
        ratio = i / (trials - i + 1.0) * odds
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


def _binomial_cdf(at_most, trials, probability, exact=None):
    """P(X <= at_most) for X ~ Binomial(trials, probability): exact for small at_most (``exact``, default
    _binomial_cdf_fast; with _binomial_cdf_sum this is the function as it was before the fast sum), normal
    approximation beyond."""
    if at_most < 0:
        return 0.0
    if at_most >= trials or probability <= 0.0:
        return 1.0
    if probability >= 1.0:
        return 0.0
    if _normal_branch(at_most, trials, probability):
        # a huge count: the exact sum is needlessly slow
        return _binomial_cdf_normal(at_most, trials, probability)
    return (exact or _binomial_cdf_fast)(at_most, trials, probability)


def _sum_tolerance(trials):
    """How far (relative) the fast sum and the reference may differ for ``trials`` events: the reference sums
    terms whose logs each carry the rounding of lgamma(trials + 1), the fast sum carries it once."""
    return 1e-10 + 256 * 2.0 ** -52 * (1.0 + math.lgamma(trials + 1))


def drop_p_value(before_events, before_segs, after_events, after_segs, pct):
    """How likely is a verify window this low if the rate per segment had NOT fallen by ``pct`` percent?

    The conditional test for two Poisson counts with exposures (the InSegs of each window): given
    ``n = before + after`` events, the verify window's share is Binomial(n, pi) with
    ``pi = r * after_segs / (r * after_segs + before_segs)`` where ``r`` is the rate ratio.  At the
    boundary of "not fallen by pct" (``r = 1 - pct/100``, at most 0.99 so that 100 % stays testable),
    the p-value is ``P(X <= after_events)``.  Small means the drop is real, not luck.

    The exact sum runs from the verify count down only while its terms matter (_binomial_cdf_fast); when
    that lands within its rounding of ALPHA, the term-by-term reference sum decides, so a drop is proven
    exactly when it always was (tests/unit/plugins/plugin_utils/test_significance.py compares both).
    """
    ratio = max(1.0 - float(pct) / 100.0, 0.01)
    share = ratio * after_segs / (ratio * after_segs + float(before_segs))
    return _lower_tail(after_events, before_events + after_events, share)


def rise_p_value(before_events, before_segs, after_events, after_segs, pct):
    """How likely is a verify window this high if the rate per segment had NOT risen by more than ``pct``
    percent? The mirror of drop_p_value: at the boundary (``r = 1 + pct/100``) the verify window's share
    of the ``n`` events is Binomial(n, pi), and the p-value is ``P(X >= after_events)``, computed as the
    lower tail of the baseline's share (``P(n - X <= before_events)``, no subtraction from 1). Small means
    the rise is real: a guard that regressed."""
    ratio = 1.0 + float(pct) / 100.0
    share = float(before_segs) / (ratio * after_segs + float(before_segs))
    return _lower_tail(before_events, before_events + after_events, share)


def _lower_tail(at_most, events, share):
    """P(X <= at_most), X ~ Binomial(events, share): the fast sum, and the reference sum when the fast one
    lands within its rounding of ALPHA (so a decision is the same as with the reference alone)."""
    value = _binomial_cdf(at_most, events, share)
    if (0 <= at_most < events and 0.0 < share < 1.0 and not _normal_branch(at_most, events, share)
            and abs(value - ALPHA) <= ALPHA * _sum_tolerance(events)):
        value = _binomial_cdf_sum(at_most, events, share)
    return value
