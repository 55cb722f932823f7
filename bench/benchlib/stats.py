# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small statistics over repetitions: medians and spreads, ratios. Pure functions."""

import math


def median(values):
    """Median of the numbers in values (None values ignored); None when there is none."""
    nums = sorted(v for v in values if v is not None)
    if not nums:
        return None
    mid = len(nums) // 2
    if len(nums) % 2:
        return nums[mid]
    return (nums[mid - 1] + nums[mid]) / 2.0


def spread(values):
    """{"median", "min", "max", "n"} of the numbers in values."""
    nums = [v for v in values if v is not None]
    return {
        "median": median(nums),
        "min": min(nums) if nums else None,
        "max": max(nums) if nums else None,
        "n": len(nums),
    }


def ratio(numerator, denominator):
    """numerator / denominator, None when either is missing or the denominator is 0."""
    if numerator is None or denominator in (None, 0):
        return None
    return numerator / float(denominator)


def per_million(count, in_segs):
    """count per million InSegs; None without segments."""
    if count is None or not in_segs:
        return None
    return count * 1e6 / float(in_segs)


def reduction_pct(before, after):
    """How much after is below before, in percent of before (100 = to zero); None if before is 0/None."""
    if before in (None, 0) or after is None:
        return None
    return 100.0 * (before - after) / float(before)


def fmt(value, digits=1):
    """A number for the page: None as '-', large values without decimals, small ones with `digits`."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return "{:,}".format(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return "-"
    if abs(value) >= 1000:
        return "{:,.0f}".format(value)
    return "{:.{d}f}".format(value, d=digits)
