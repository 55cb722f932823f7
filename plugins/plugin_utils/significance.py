# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is a drop in events more than luck? The one-sided test the verdicts use (controller-only).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, no Ansible imports. ``drop_p_value`` is the p-value of "the rate per segment did
NOT fall by pct percent" given the event counts and the Tcp InSegs of two windows; a drop counts as
proven at or below ALPHA (verdict.judge, verdict.check_baseline).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math

__all__ = ['CONFIDENCE', 'ALPHA', 'drop_p_value']

# How sure an "improved" must be that each gated rate fell by the threshold, not by luck: a
# one-sided test on the event counts (see drop_p_value).  With a handful of events in a window,
# a 90 % drop happens by chance; such a host gets insufficient_traffic, never a pass.
CONFIDENCE = 0.95
# The p-value at or below which a drop counts as proven (1 - CONFIDENCE, as a float: 0.05000000000000004).
ALPHA = 1 - CONFIDENCE

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
    exactly when it always was (tests/unit/plugins/plugin_utils/test_significance.py compares both).
    """
    ratio = max(1.0 - float(pct) / 100.0, 0.01)
    share = ratio * after_segs / (ratio * after_segs + float(before_segs))
    events = before_events + after_events
    value = _binomial_cdf(after_events, events, share)
    if (0 <= after_events < events and 0.0 < share < 1.0 and not _normal_branch(after_events, events, share)
            and abs(value - ALPHA) <= ALPHA * _sum_tolerance(events)):
        value = _binomial_cdf_sum(after_events, events, share)
    return value
