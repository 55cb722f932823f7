# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl_value: the one key rule and the one value model (parse, validate, format, compare)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.module_utils import sysctl_value as sv
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import ProfileError, SysctlKeyError


# ---- keys ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('key', ['net.core.rmem_max', 'net.ipv4.conf.all.rp_filter', 'net.a.b'])
def test_valid_key(key):
    assert sv.validate_key(key) == key


@pytest.mark.parametrize('key, shown', [
    ('kernel.panic', 'kernel.panic'), ('net.core.x\nkernel.x', 'net.core.x\\nkernel.x'), (5, '5'),
    (None, 'None'), ('net.core.X', 'net.core.X'), ('net/core/x', 'net/core/x'),
])
def test_invalid_key_names_it_and_the_rule(key, shown):
    with pytest.raises(SysctlKeyError) as info:
        sv.validate_key(key)
    assert isinstance(info.value, ProfileError) and info.value.rules == ['key_pattern']
    assert str(info.value) == ('%s: key must match %s (net. then 2-4 dot-separated parts of a-z, 0-9 and _) '
                               '(rule: key_pattern)' % (shown, sv.KEY_RULE))
    assert info.value.errors[0][0] == shown


# ---- parse_value: the one validator ------------------------------------------------------------------

@pytest.mark.parametrize('key, raw, value', [
    ('net.core.rmem_max', 16777216, (16777216,)), ('net.core.rmem_max', '16777216', (16777216,)),
    ('net.ipv4.tcp_rmem', ' 4096\t87380  16777216 ', (4096, 87380, 16777216)),
    ('net.ipv4.tcp_rmem', [4096, '87380', 16777216], (4096, 87380, 16777216)),
    ('net.ipv4.tcp_rmem', (4096, 87380, 16777216), (4096, 87380, 16777216)),
    ('net.ipv4.tcp_rmem', '+4096 87380 16777216', (4096, 87380, 16777216)),
    ('net.ipv4.tcp_adv_win_scale', -2, (-2,)), ('net.ipv4.tcp_timestamps', '2', (2,)),
    ('net.ipv4.custom_pair', '1 2', (1, 2)), ('net.ipv4.custom_big', str(2 ** 63 - 1), (2 ** 63 - 1,)),
])
def test_parse_value_forms(key, raw, value):
    assert sv.parse_value(key, raw) == value


@pytest.mark.parametrize('key, raw, rule', [
    ('net.ipv4.tcp_rmem', '4096 87380 16777216\nkernel.panic = 1', 'injection'),
    ('net.ipv4.tcp_rmem', 'bbr', 'injection'),
    ('net.ipv4.tcp_rmem', '1 2', 'arity'),
    ('net.core.somaxconn', '1 2', 'arity'),
    ('net.ipv4.tcp_rmem', '3 2 1', 'triplet_order'),
    ('net.ipv4.tcp_sack', True, 'boolean'), ('net.ipv4.tcp_sack', 'yes', 'boolean'),
    ('net.ipv4.tcp_sack', [True], 'boolean'),
    ('net.ipv4.tcp_sack', 2, 'choice'),
    ('net.core.rmem_max', -1, 'negative'),
    ('net.core.rmem_max', 2 ** 31, 'range'), ('net.core.somaxconn', 0, 'range'),
    ('net.core.somaxconn', 1.5, 'not_integer'), ('net.core.somaxconn', None, 'not_integer'),
    ('net.core.somaxconn', {'a': 1}, 'not_integer'), ('net.core.somaxconn', ['x'], 'not_integer'),
    ('net.core.somaxconn', '', 'arity'),
])
def test_parse_value_rules(key, raw, rule):
    with pytest.raises(ProfileError) as info:
        sv.parse_value(key, raw)
    assert info.value.rules == [rule]
    assert str(info.value).startswith(key + ': ')


def test_per_socket_range_message():
    with pytest.raises(ProfileError) as info:
        sv.parse_value('net.ipv4.tcp_rmem', '4096 87380 2147483648')
    assert 'a per-socket buffer above 1 GiB is not a sane size' in str(info.value)


def test_every_rule_has_a_kind_with_a_parser():
    for rule in list(sv.KEY_RULES.values()) + [sv.GENERIC]:
        assert rule['kind'] in sv._PARSERS and rule['kind'] in sv._TEXT_READERS
    assert sv.rules_for('net.ipv4.not_listed') is sv.GENERIC


# ---- text, format, equality --------------------------------------------------------------------------------

@pytest.mark.parametrize('text, value', [
    ('4096\t87380\t16777216\n', (4096, 87380, 16777216)), ('-2', (-2,)), ('2147483647', (2147483647,)),
    (None, None), ('', None), ('  ', None), ('cubic reno', None), ('1 x', None),
])
def test_parse_text(text, value):
    assert sv.parse_text('net.ipv4.tcp_rmem', text) == value


def test_parse_text_applies_no_range_rule():
    assert sv.parse_text('net.ipv4.tcp_rmem', '4096 16384 2147483647') == (4096, 16384, 2147483647)


def test_format_value():
    assert sv.format_value((4096, 87380, 16777216)) == '4096 87380 16777216'
    assert sv.format_value((-2,)) == '-2'


@pytest.mark.parametrize('first, second, same', [
    ('4096 87380 16777216', '4096\t87380   16777216\n', True),
    ((4096, 87380, 16777216), '4096 87380 16777216', True),
    ('+5', '5', True), ('05', '5', True),
    ('4096 87380 16777216', '4096 87380 8388608', False),
    ('1', '1 1', False),
    (None, '1', False), ('1', None, False), (None, None, False), ('x', 'x', False), ('', '', False),
])
def test_same_value(first, second, same):
    assert sv.same_value('net.ipv4.tcp_rmem', first, second) is same
    assert sv.same_value('net.ipv4.tcp_rmem', second, first) is same


@pytest.mark.parametrize('text, canonical', [
    ('4096 87380 16777216', True), ('-2', True), ('1  2', False), ('+1', False), ('01', False), ('', False),
    ('1\nkernel.x = 1', False), ('1 = 2', False), (' 1', False),
])
def test_is_canonical(text, canonical):
    assert sv.is_canonical('net.a.b', text) is canonical


def test_value_text():
    assert sv.value_text('4096\t87380  16777216\n') == '4096 87380 16777216'
    assert sv.value_text('cubic\treno') == 'cubic reno'


# ---- properties ------------------------------------------------------------------------------------------

_VALUE_OUT = re.compile(r'\A-?[0-9]+( -?[0-9]+)*\Z')


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=40), st.integers(),
                 st.lists(st.one_of(st.integers(), st.text(max_size=8)), max_size=4), st.booleans(), st.floats()))
def test_a_parsed_value_formats_to_safe_canonical_text(raw):
    for key in ('net.ipv4.tcp_rmem', 'net.core.somaxconn', 'net.ipv4.custom_thing', 'net.ipv4.tcp_adv_win_scale'):
        try:
            value = sv.parse_value(key, raw)
        except ProfileError as exc:
            assert str(exc).startswith(key + ': ')
            continue
        text = sv.format_value(value)
        assert _VALUE_OUT.match(text) and sv.is_canonical(key, text)
        assert sv.parse_text(key, text) == value and sv.same_value(key, value, text)
        assert sv.parse_value(key, text) == value


# ---- words: one name of a closed vocabulary (issue 16) ---------------------------------------------------

CC = sv.CONGESTION_CONTROL
QDISC = sv.DEFAULT_QDISC


@pytest.mark.parametrize('key, raw', [
    (CC, 'bbr'), (CC, 'reno'), (CC, 'cubic'), (CC, 'bpf_cubic'), (CC, 'a' * 15),
    (QDISC, 'pfifo_fast'), (QDISC, 'fq'), (QDISC, 'fq_codel'), (QDISC, 'fq_pie'), (QDISC, 'cake'), (QDISC, 'sfq'),
])
def test_words_round_trip(key, raw):
    value = sv.parse_value(key, raw)
    assert value == (raw,) and not sv.is_integers(key)
    text = sv.format_value(value)
    assert text == raw and sv.is_canonical(key, text) and sv.parse_text(key, text + '\n') == value
    assert sv.same_value(key, value, text) and sv.same_value(key, ' %s\n' % text, value)
    assert sv.parse_value(key, text) == value


@pytest.mark.parametrize('key, raw, why', [
    (CC, 'bbr\nkernel.panic = 1', "it contains whitespace ('\\n')"),
    (CC, 'bbr cubic', "it contains whitespace (' ')"),
    (CC, ' bbr', "it contains whitespace (' ')"),
    (CC, 'bbr=1', "it contains '='"),
    (CC, 'bbr;reboot', "it contains ';'"),
    (CC, '$(id)', "it contains '$'"),
    (CC, '../bbr', "it contains '.'"),
    (CC, 'BBR', "it contains upper case ('B'): names are lower case"),
    (CC, 'tcp-bbr', "it contains '-'"),
    (CC, u'bbr\u00e9', "it contains"),
    (CC, 'a' * 16, "it has 16 characters, more than the kernel's 15"),
    (CC, '', 'it is empty'),
    (CC, None, 'it is empty (null)'),
    (CC, True, 'it is a YAML boolean'),
    (CC, ['bbr'], 'it is of type list, not one word'),
    (CC, 5, 'it is of type int, not one word'),
    (CC, 1.5, 'it is of type float, not one word'),
    (CC, {'bbr': 1}, 'it is of type dict, not one word'),
    (QDISC, 'fq codel', "it contains whitespace (' ')"),
    (QDISC, 'FQ', "it contains upper case ('F')"),
    (QDISC, 'fq\n', "it contains whitespace ('\\n')"),
])
def test_words_that_are_not_names(key, raw, why):
    with pytest.raises(ProfileError) as info:
        sv.parse_value(key, raw)
    assert info.value.rules == ['not_a_name']  # never 'injection': the rule says what was wrong
    message = str(info.value)
    assert message.startswith('%s: value %r is not a name: ' % (key, raw)) and why in message, message
    assert 'one word of a-z, 0-9 and _ (1-15 characters)' in message and message.endswith('(rule: not_a_name)')


@pytest.mark.parametrize('raw', ['fqx', 'htb', 'noqueue', 'codel', 'mq', 'pfifo', 'netem'])
def test_default_qdisc_outside_the_list_is_unknown_qdisc(raw):
    with pytest.raises(ProfileError) as info:
        sv.parse_value(QDISC, raw)
    assert info.value.rules == ['unknown_qdisc']
    assert str(info.value) == ('net.core.default_qdisc: value %r is not one of the qdiscs that work as a default '
                               'root qdisc without parameters: pfifo_fast, fq, fq_codel, fq_pie, cake, sfq '
                               '(rule: unknown_qdisc)' % raw)


def test_congestion_control_is_syntax_only_on_the_controller():
    # whether a host may set it is the host's check (dropin_plan.check_offered)
    assert sv.parse_value(CC, 'nosuchcc') == ('nosuchcc',)


@pytest.mark.parametrize('text, value', [
    ('bbr\n', ('bbr',)), ('  cubic\t', ('cubic',)), ('noqueue', ('noqueue',)),
    ('reno bbr', None), ('BBR', None), ('b=1', None), ('', None), (None, None), ('a' * 16, None),
])
def test_parse_text_of_words_takes_any_name(text, value):
    # what the kernel or a file shows: any name, no vocabulary (a host may hold any qdisc)
    assert sv.parse_text(QDISC, text) == value
    assert sv.parse_text(CC, text) == value


@pytest.mark.parametrize('first, second, same', [
    ('bbr', 'bbr\n', True), (('bbr',), 'bbr', True), ('bbr', 'cubic', False), ('bbr', 'bbr cubic', False),
    (None, 'bbr', False), ('1', '1', True), ('x y', 'x y', False),
])
def test_same_value_of_words(first, second, same):
    assert sv.same_value(CC, first, second) is same and sv.same_value(CC, second, first) is same


@pytest.mark.parametrize('text, canonical', [
    ('bbr', True), ('fq_codel', True), (' bbr', False), ('bbr\n', False), ('bbr cubic', False), ('', False),
    ('bbr\nkernel.x = 1', False), (None, False),
])
def test_is_canonical_words(text, canonical):
    assert sv.is_canonical(CC, text) is canonical


def test_integer_keys_keep_their_rules_for_words():
    # the value model's integer rules are unchanged: a word for an integer key is still injection
    with pytest.raises(ProfileError) as info:
        sv.parse_value('net.core.somaxconn', 'bbr')
    assert info.value.rules == ['injection']
    assert sv.is_integers('net.core.somaxconn') and sv.is_integers('net.ipv4.not_listed')


@pytest.mark.parametrize('text, names', [
    ('reno bbr cubic\n', ('reno', 'bbr', 'cubic')), ('reno\tbbr  bbr', ('reno', 'bbr')),
    ('reno B@D bbr x=1 ' + 'a' * 16, ('reno', 'bbr')), ('', ()), (None, ()),
])
def test_name_tokens_drop_what_is_not_a_name(text, names):
    assert sv.name_tokens(text) == names


_WORD_OUT = re.compile(r'\A[a-z0-9_]{1,15}\Z')


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=20), st.integers(), st.lists(st.text(max_size=8), max_size=3), st.booleans(),
                 st.none()))
def test_a_parsed_word_formats_to_one_safe_name(raw):
    for key in (CC, QDISC):
        try:
            value = sv.parse_value(key, raw)
        except ProfileError as exc:
            assert exc.rules in (['not_a_name'], ['unknown_qdisc']) and str(exc).startswith(key + ': ')
            continue
        text = sv.format_value(value)
        assert _WORD_OUT.match(text) and sv.is_canonical(key, text) and sv.parse_text(key, text) == value
