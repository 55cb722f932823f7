# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""formatting: rates and reductions for people."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.netfleet.tuning.plugins.plugin_utils import formatting as f


@pytest.mark.parametrize('value, text', [
    (None, 'n/a'), (0, '0'), (0.0, '0'), (1234567.8, '1,234,568'), (12.345, '12.3'), (1.2345, '1.23'),
    (0.012345, '0.0123'), (float('nan'), 'nan'),
])
def test_format_number(value, text):
    assert f.format_number(value) == text


@pytest.mark.parametrize('value, text', [
    (None, 'n/a'), (100.0, '-100.0%'), (99.996, '-99.9%'), (90.0, '-90.0%'), (-200.0, '+200.0%'), (0.0, '0%'),
    (0.04, '-0.0%'),
])
def test_format_pct(value, text):
    assert f.format_pct(value) == text
