# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Numbers for people: rates and reductions as the verdicts' messages and the reports show them
(controller-only).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, no Ansible imports.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math

__all__ = ['format_number', 'format_pct']


def format_number(value):
    """A rate for people: ``None`` -> ``'n/a'``, 0 -> ``'0'``, 3 significant digits below 100."""
    if value is None:
        return 'n/a'
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
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
