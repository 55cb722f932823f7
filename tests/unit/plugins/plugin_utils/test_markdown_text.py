# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""markdown_text: host- and user-derived text made safe for the Markdown report (the md and md_code filters)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.plugin_utils import markdown_text as mt


@pytest.mark.parametrize('text, shown', [
    ('web\r1', 'web\\r1'),
    ('x\ny', 'x\\ny'),
    ('a\\b', 'a\\\\b'),
    ('\x00\x1b\x7f\x85', '\\x00\\x1b\\x7f\\x85'),
    ('\u2028\u2029\u202e\ufeff', '\\u2028\\u2029\\u202e\\ufeff'),
    ('caf\u00e9 \U0001F600', 'caf\u00e9 \U0001F600'),
])
def test_visible(text, shown):
    assert mt.visible(text) == shown
    assert '\n' not in mt.md(text) and '\r' not in mt.md(text)


@pytest.mark.parametrize('text, markdown', [
    ('web-01.example.com', 'web-01.example.com'),
    ('tcp_rmem', 'tcp_rmem'),
    ('4,000 -> 0 (-100.0%)', '4,000 -> 0 (-100.0%)'),
    ('3.00', '3.00'),
    ('_em_', '\\_em\\_'),
    ('a*b', 'a\\*b'),
    ('- x', '\\- x'),
    ('+ x', '\\+ x'),
    ('> x', '\\> x'),
    ('12. x', '12\\. x'),
    ('1) x', '1\\) x'),
    ('# x', '\\# x'),
    ('a|b', 'a\\|b'),
    ('<b>', '&lt;b>'),
    ('&amp;', '&amp;amp;'),
    ('[a](b)', '\\[a\\](b)'),
    ('$x$ ~y~ {z} !', '\\$x\\$ \\~y\\~ \\{z\\} \\!'),
    ('  x ', '&#32;&#32;x&#32;'),
    ('web\r1', 'web\\\\r1'),
    (None, ''),
])
def test_md(text, markdown):
    assert mt.md(text) == markdown


@pytest.mark.parametrize('text, markdown', [
    ('4096 16384 65536', '`4096 16384 65536`'),
    ('a|b', '`a\\|b`'),
    ('`x`', '`` `x` ``'),
    ('a``b', '```a``b```'),
    ('1\r2', '`1\\r2`'),
    (None, '-'),
    ('', '-'),
])
def test_md_code(text, markdown):
    assert mt.md_code(text) == markdown
    assert mt.md_code('a|b', cell=False) == '`a|b`'


@given(st.text(alphabet="aZ09 _-+=>.),:;%(/'\"?@!#|&<\\`*\u00e9\t\r\u202e", max_size=14))
@settings(max_examples=3000, deadline=None)
def test_md_plain_fast_path_is_the_walk(text):
    assert mt.md(text) == mt._md_walk(text)
