# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import random
import re

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.plugin_utils.host_file import NAME_MAX, host_file_name

# what a file name's stem is made of: kept bytes, %XX escapes, and "~" before a digest
STEM = re.compile(r'^(?:[a-z0-9._~-]|%[0-9A-F]{2})+$')


def unquote(stem):
    """Percent-decoding, to bytes."""
    data = bytearray()
    index = 0
    while index < len(stem):
        if stem[index] == '%':
            data.append(int(stem[index + 1:index + 3], 16))
            index += 3
        else:
            data.append(ord(stem[index]))
            index += 1
    return bytes(data)


def decode(file_name, suffix=''):
    """The inverse of host_file_name for names that were not shortened."""
    assert file_name.endswith(suffix)
    stem = file_name[:len(file_name) - len(suffix)] if suffix else file_name
    assert '~' not in stem
    return unquote(stem).decode('utf-8', 'surrogatepass')


def check_file_name(file_name, suffix=''):
    assert file_name.endswith(suffix)
    assert file_name not in ('', '.', '..')
    assert not file_name.startswith('.')
    assert '/' not in file_name and '\0' not in file_name
    assert len(file_name.encode('utf-8')) <= NAME_MAX
    assert file_name.isascii()
    assert STEM.match(file_name[:len(file_name) - len(suffix)])


@pytest.mark.parametrize('name', ['web-01.example.com', 'web_1_', 'lab-h01', '10.0.0.7', 'a.b-c_d'])
def test_plain_names_stay_readable(name):
    assert host_file_name(name) == name
    assert host_file_name(name, '.json') == name + '.json'


def test_web_angle_and_web_underscore_get_different_files():
    # the regex_replace('[^A-Za-z0-9._-]', '_') this replaces gave both web_1_.json
    assert host_file_name('web<1>', '.json') == 'web%3C1%3E.json'
    assert host_file_name('web_1_', '.json') == 'web_1_.json'


@pytest.mark.parametrize('name, expected', [
    ('web\r1', 'web%0D1'),
    ('web\n1', 'web%0A1'),
    ('a\x00b', 'a%00b'),
    ('tab\there', 'tab%09here'),
    ('del\x7f', 'del%7F'),
    ('a/b', 'a%2Fb'),
    ('../etc/passwd', '%2E.%2Fetc%2Fpasswd'),
    ('.', '%2E'),
    ('..', '%2E.'),
    ('.hidden', '%2Ehidden'),
    ('a.', 'a.'),
    ('100%', '100%25'),
    ('%41', '%2541'),
    ('a b', 'a%20b'),
    ('~x', '%7Ex'),
    ('Web1', '%57eb1'),
    ('caf\u00e9', 'caf%C3%A9'),
    ('\u2028', '%E2%80%A8'),
    ('\U0001F600', '%F0%9F%98%80'),
    ('\ud800', '%ED%A0%80'),  # a lone surrogate still has a file name
])
def test_encoding(name, expected):
    assert host_file_name(name) == expected
    check_file_name(host_file_name(name, '.json'), '.json')
    assert decode(expected) == name


def test_case_only_differences_stay_distinct_when_folded():
    names = ['web1', 'Web1', 'WEB1', 'wEb1']
    files = [host_file_name(name, '.json') for name in names]
    assert len(set(file_name.lower() for file_name in files)) == len(names)


def test_dot_names_are_never_special():
    for name in ('.', '..', '...', '.json'):
        check_file_name(host_file_name(name))
        check_file_name(host_file_name(name, '.json'), '.json')


@pytest.mark.parametrize('name', ['a' * 300, '\u00e9' * 200, '%' * 120, 'x' * 250 + '\r', '.' * 1000])
def test_long_names_are_shortened_with_a_digest(name):
    file_name = host_file_name(name, '.json')
    check_file_name(file_name, '.json')
    assert NAME_MAX - 2 <= len(file_name) <= NAME_MAX  # not cutting a %XX may cost up to 2 bytes
    stem = file_name[:-len('.json')]
    prefix, digest = stem.rsplit('~', 1)
    assert digest == hashlib.sha256(name.encode('utf-8')).hexdigest()
    # the kept prefix is the start of the encoding, never cut inside a %XX escape
    assert not re.search(r'%.?$', prefix)
    assert name.encode('utf-8').startswith(unquote(prefix))
    assert not prefix.startswith('.')


def test_the_longest_plain_name_is_kept_and_one_more_byte_is_shortened():
    name = 'a' * (NAME_MAX - len('.json'))
    assert host_file_name(name, '.json') == name + '.json'
    longer = host_file_name(name + 'a', '.json')
    assert '~' in longer and len(longer) == NAME_MAX
    assert longer != host_file_name(name, '.json')


def test_names_with_a_common_long_prefix_stay_distinct():
    base = 'host-' * 60
    files = {host_file_name(base + str(index), '.json') for index in range(1000)}
    assert len(files) == 1000
    for file_name in files:
        check_file_name(file_name, '.json')


@pytest.mark.parametrize('name, suffix, error', [
    ('', '.json', ValueError),
    ('web', '/x', ValueError),
    ('web', '.j son', ValueError),
    ('web', 'x' * 33, ValueError),
    ('web', '\u00e9', ValueError),
    (None, '', TypeError),
    (17, '', TypeError),
    ('web', None, TypeError),
])
def test_bad_input(name, suffix, error):
    with pytest.raises(error):
        host_file_name(name, suffix)


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_property_valid_and_reversible(name):
    file_name = host_file_name(name, '.json')
    check_file_name(file_name, '.json')
    if '~' not in file_name:
        assert decode(file_name, '.json') == name


@settings(max_examples=200, deadline=None)
@given(st.sets(st.text(alphabet=st.sampled_from('aA_<>%.~/\r\n 1\u00e9\u2028'), min_size=1, max_size=8),
               min_size=2, max_size=50))
def test_property_distinct_names_never_share_a_file(names):
    files = [host_file_name(name, '.json') for name in names]
    assert len(set(files)) == len(names)
    # nor on a case-insensitive file system
    assert len(set(file_name.lower() for file_name in files)) == len(names)


def test_many_random_names_never_collide():
    rng = random.Random(20261)
    alphabet = 'abcXYZ019._-_<>%~/\\|\r\n\t \x00\x7f.\u00e9\u2028\u202e\U0001F600'
    names = set()
    while len(names) < 20000:
        length = rng.choice((1, 2, 3, 5, 8, 13, 90, 260))
        names.add(''.join(rng.choice(alphabet) for dummy in range(length)))
    files = {}
    for name in names:
        file_name = host_file_name(name, '.json')
        check_file_name(file_name, '.json')
        folded = file_name.lower()
        assert folded not in files, (name, files.get(folded))
        files[folded] = name
    assert len(files) == len(names)
