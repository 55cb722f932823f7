# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""significance: the one-sided test of a drop; the fast sum decides as the old sum did."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math
from unittest import mock
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.plugin_utils import significance


@pytest.mark.parametrize('at_most, trials, probability, want', [
    (0, 10, 0.5, 0.5 ** 10), (10, 10, 0.3, 1.0), (-1, 5, 0.5, 0.0), (3, 10, 0.0, 1.0), (3, 10, 1.0, 0.0),
    (2, 4, 0.5, 11 / 16.0),
])
def test_binomial_cdf_exact(at_most, trials, probability, want):
    assert significance._binomial_cdf(at_most, trials, probability) == pytest.approx(want, rel=1e-9)


def test_binomial_cdf_large_counts():
    # the normal approximation branch: the median of a big binomial is ~0.5
    assert significance._binomial_cdf(5 * 10 ** 5, 10 ** 6, 0.5) == pytest.approx(0.5, abs=1e-3)
    assert significance._binomial_cdf(200000, 10 ** 6, 0.5) < 1e-12
    assert significance.drop_p_value(10 ** 9, 10 ** 12, 10 ** 6, 10 ** 12, 90) < 1e-12


pcts = st.one_of(st.integers(min_value=1, max_value=100),
                 st.floats(min_value=0.001, max_value=100.0, allow_nan=False, allow_infinity=False))


def _legacy_binomial_cdf(at_most, trials, probability):
    """verdict._binomial_cdf as it was before the fast sum (commit b2a74c8): the same branches, one lgamma term
    per event in the exact one (2.2 ms at 5,000 events, 40 ms at 100,000). test_reference_sum_is_exact checks
    that sum against exact rational arithmetic; the bench compares whole verdicts with that commit's code."""
    return significance._binomial_cdf(at_most, trials, probability, exact=significance._binomial_cdf_sum)


def _exact_cdf(at_most, trials, probability):
    """P(X <= at_most) in exact rational arithmetic (the probability taken exactly as the float it is)."""
    probability = Fraction(probability)
    return float(sum(Fraction(math.comb(trials, i)) * probability ** i * (1 - probability) ** (trials - i)
                     for i in range(at_most + 1)))


@pytest.mark.parametrize('at_most, trials, probability', [
    (0, 1, 0.5), (3, 10, 0.5), (2, 40, 0.3), (10, 60, 0.05), (59, 60, 0.999), (25, 200, 0.125), (1, 7, 1e-5),
    (0, 150, 0.02)])
def test_reference_sum_is_exact(at_most, trials, probability):
    want = _exact_cdf(at_most, trials, probability)
    assert significance._binomial_cdf_sum(at_most, trials, probability) == pytest.approx(want, rel=1e-12)
    assert significance._binomial_cdf_fast(at_most, trials, probability) == pytest.approx(want, rel=1e-12)


def _legacy_drop_p_value(before_events, before_segs, after_events, after_segs, pct):
    ratio = max(1.0 - float(pct) / 100.0, 0.01)
    share = ratio * after_segs / (ratio * after_segs + float(before_segs))
    return _legacy_binomial_cdf(after_events, before_events + after_events, share)


def _same_decision(args):
    new, old = significance.drop_p_value(*args), _legacy_drop_p_value(*args)
    assert (new <= significance.ALPHA) == (old <= significance.ALPHA), (args, new, old)
    if old > 1e-300:
        assert abs(new - old) <= old * significance._sum_tolerance(args[0] + args[2]), (args, new, old)
    return new, old


def test_alpha_is_the_old_threshold():
    assert significance.ALPHA == 1 - significance.CONFIDENCE == 0.050000000000000044


@pytest.mark.parametrize('at_most, trials, probability', [
    (0, 1, 0.5), (0, 10, 0.1), (3, 10, 0.5), (50, 100, 0.5), (5000, 200000, 0.04), (20000, 300000, 0.1),
    (99999, 100000, 0.999), (1000, 10 ** 9, 1e-6), (0, 2, 1e-300), (7, 8, 1 - 1e-12), (40, 10 ** 7, 0.5),
])
def test_fast_sum_is_the_reference_sum(at_most, trials, probability):
    want = _legacy_binomial_cdf(at_most, trials, probability)
    assert significance._binomial_cdf(at_most, trials, probability) == pytest.approx(
        want, rel=significance._sum_tolerance(trials), abs=1e-300)


@settings(max_examples=1500, deadline=None)
@given(before=st.integers(min_value=0, max_value=400000), after=st.integers(min_value=0, max_value=60000),
       before_segs=st.integers(min_value=1, max_value=10 ** 10),
       after_segs=st.integers(min_value=1, max_value=10 ** 10), pct=pcts)
def test_property_p_value_decisions_unchanged(before, after, before_segs, after_segs, pct):
    """Over random counts, exposures and thresholds: the same side of ALPHA as the old sum, and the same
    value to within the old sum's own rounding."""
    _same_decision((before, before_segs, after, after_segs, pct))


def _share_at_alpha(at_most, trials):
    """The share at which the reference P(X <= at_most; trials, share) is ALPHA (it falls as the share grows):
    bisection."""
    low, high = 0.0, 1.0
    for _step in range(200):
        mid = (low + high) / 2.0
        if _legacy_binomial_cdf(at_most, trials, mid) > significance.ALPHA:
            low = mid
        else:
            high = mid
    return high


@pytest.mark.parametrize('at_most, trials', [(0, 3), (1, 40), (5, 60), (30, 500), (400, 9000), (2000, 60000),
                                             (700, 10 ** 6), (3000, 280000), (950, 10 ** 8)])
def test_p_value_decisions_unchanged_at_the_threshold(at_most, trials):
    """The hardest inputs: exposures that put the old p-value within 1e-3 .. 1e-16 of ALPHA, both sides."""
    share = _share_at_alpha(at_most, trials)
    seen = set()
    for step in (0.0, 1e-3, 1e-6, 1e-9, 1e-12, 1e-14, 1e-15, 1e-16):
        for sign in (1, -1):
            share_here = share * (1 + sign * step)
            # after_segs 1e6 at pct 90 (ratio 0.1): the before_segs that give this share
            before_segs = 0.1 * 1e6 * (1 - share_here) / share_here
            new, old = _same_decision((trials - at_most, before_segs, at_most, 1e6, 90))
            seen.add(old <= significance.ALPHA)
    assert seen == {True, False}


def test_fast_sum_touches_few_terms():
    # a typical improved host: 250,000 collapsed events before, 5,000 after; the old sum took one lgamma per
    # verify event (5,001 here and 3 more), the fast one three for its first term and one for the tolerance
    calls = []
    real = math.lgamma
    with mock.patch.object(significance.math, 'lgamma', side_effect=lambda value: calls.append(value) or real(value)):
        value = significance.drop_p_value(250000, 10 ** 6, 5000, 10 ** 6, 90)
    assert value < 1e-100 and len(calls) == 4
