# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tcp_memory: sockstat's TCP mem against net.ipv4.tcp_mem, and the host scope of both."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.module_utils import procnet, tcp_memory

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'proc')
PAGE = 4096
# /proc/sys/net/ipv4/tcp_mem of the machine the netns fixtures come from (linux-6.18-netns/tcp_mem.init)
LIMITS = {'low': 287901, 'pressure': 383868, 'high': 575802}


def fixture(*parts):
    with open(os.path.join(FIXTURES, *parts)) as handle:
        return handle.read()


def sockstat(kernel, name='sockstat'):
    return procnet.parse_sockstat(fixture(kernel, name), name, PAGE)


def with_mem(pages):
    """A sockstat of a busy host: the idle fixture with TCP holding ``pages``."""
    return procnet.parse_sockstat(fixture('linux-6.18', 'sockstat').replace('mem 17\n', 'mem %d\n' % pages),
                                  'sockstat', PAGE)


def visible(value=None):
    """The read_sysctls entry of tcp_mem in the initial network namespace (root: writable)."""
    return {'value': value if value is not None else fixture('linux-6.18-netns', 'tcp_mem.init').strip(),
            'scope': 'netns'}


HIDDEN = {'value': None, 'scope': 'host'}      # a child network namespace: the host's key, not visible


# ---------------------------------------------------------------- the limits

@pytest.mark.parametrize('value, expected', [
    ('287901\t383868\t575802\n', LIMITS),
    ('287901 383868 575802', LIMITS),
    ('0 0 0', {'low': 0, 'pressure': 0, 'high': 0}),
    # the kernel does not order them, nor do we: each limit is compared as it is
    ('3 2 1', {'low': 3, 'pressure': 2, 'high': 1}),
    ('1 2', None),
    ('1 2 3 4', None),
    ('1 -2 3', None),
    ('1 2 x', None),
    ('', None),
    (None, None),
    (123, None),
])
def test_parse_tcp_mem(value, expected):
    assert tcp_memory.parse_tcp_mem(value) == expected


@pytest.mark.parametrize('pages, state', [
    (0, 'below_low'),
    (287901, 'below_low'),          # at low: the kernel leaves pressure (allocated <= tcp_mem[0])
    (287902, 'between'),
    (383868, 'between'),            # at pressure: not above it, in pressure only if it was
    (383869, 'pressure'),           # above pressure: the kernel enters it
    (575802, 'pressure'),
    (575803, 'above_high'),         # above high: allocations refused
])
def test_state_at_each_boundary(pages, state):
    assert tcp_memory.state_of(pages, LIMITS) == state


# ---------------------------------------------------------------- the fact

def test_idle_host_is_below_low():
    got = tcp_memory.summarize(sockstat('linux-6.18'), visible(), PAGE)
    assert got == {
        'pages': 17, 'bytes': 17 * PAGE, 'page_size': PAGE, 'tcp_mem': LIMITS,
        'tcp_mem_bytes': {'low': 287901 * PAGE, 'pressure': 383868 * PAGE, 'high': 575802 * PAGE},
        'state': 'below_low', 'scope': 'host', 'note': None,
    }


def test_old_kernel_sockstat():
    # RHEL 4: TCP mem 1 page, no UDP mem
    got = tcp_memory.summarize(sockstat('node_exporter', 'sockstat_rhe4'), visible('768 1024 1536'), PAGE)
    assert (got['pages'], got['bytes'], got['state']) == (1, PAGE, 'below_low')


@pytest.mark.parametrize('pages, state', [(400000, 'pressure'), (575803, 'above_high'), (900000, 'above_high')])
def test_in_pressure_and_above_high(pages, state):
    got = tcp_memory.summarize(with_mem(pages), visible(), PAGE)
    assert got['state'] == state and got['note'] is None
    assert got['pages'] == pages and got['bytes'] == pages * PAGE


def test_between_says_it_may_still_be_in_pressure():
    got = tcp_memory.summarize(with_mem(300000), visible(), PAGE)
    assert got['state'] == 'between'
    assert got['note'] == tcp_memory.NOTE_BETWEEN
    assert 'may still be in memory pressure' in got['note']


def test_child_namespace_tells_the_pages_and_no_state():
    # captured in a child namespace: mem 2660 is the host's (the initial namespace read the same at that moment)
    child, init = sockstat('linux-6.18-netns', 'sockstat.child'), sockstat('linux-6.18-netns', 'sockstat.init')
    assert child['TCP']['mem'] == init['TCP']['mem'] == 2660
    assert child['TCP']['inuse'] != init['TCP']['inuse']          # inuse is the namespace's own
    got = tcp_memory.summarize(child, HIDDEN, PAGE)
    assert got == {'pages': 2660, 'bytes': 2660 * PAGE, 'page_size': PAGE, 'tcp_mem': None, 'tcp_mem_bytes': None,
                   'state': None, 'scope': 'host', 'note': tcp_memory.NOTE_HIDDEN}
    assert 'not visible in this network namespace' in got['note']
    # the same moment seen from the host tells the state
    assert tcp_memory.summarize(init, visible(), PAGE)['state'] == 'below_low'


@pytest.mark.parametrize('entry, note', [
    ({'value': None, 'scope': 'absent'},
     'net.ipv4.tcp_mem does not exist here (not known to be a child network namespace): the state against it is '
     'not told'),
    ({'value': None, 'scope': 'netns', 'error': 'cannot read /proc/sys/net/ipv4/tcp_mem: Permission denied'},
     'net.ipv4.tcp_mem: cannot read /proc/sys/net/ipv4/tcp_mem: Permission denied'),
    ({'value': '1 2', 'scope': 'netns'}, "net.ipv4.tcp_mem is not three integers: '1 2'"),
    (None, 'net.ipv4.tcp_mem does not exist here (not known to be a child network namespace): the state against it '
           'is not told'),
])
def test_limits_not_known_say_why(entry, note):
    got = tcp_memory.summarize(with_mem(400000), entry, PAGE)
    assert got['state'] is None and got['tcp_mem'] is None and got['tcp_mem_bytes'] is None
    assert got['pages'] == 400000
    assert got['note'] == note


@pytest.mark.parametrize('parsed', [None, {}, {'TCP': {'inuse': 1}}, {'TCP': {'mem': -1}}, {'TCP': 'x'}])
def test_no_tcp_mem_in_sockstat(parsed):
    got = tcp_memory.summarize(parsed, visible(), PAGE)
    assert (got['pages'], got['bytes'], got['state']) == (None, None, None)
    assert got['tcp_mem'] == LIMITS
    assert got['note'].startswith('sockstat has no TCP mem')


def test_both_unknown_joins_the_notes():
    got = tcp_memory.summarize(None, HIDDEN, PAGE)
    assert got['note'] == 'sockstat has no TCP mem (the file is missing or this kernel does not print it); ' + (
        tcp_memory.NOTE_HIDDEN)


@settings(max_examples=300)
@given(pages=st.integers(min_value=0, max_value=2 ** 40),
       limits=st.lists(st.integers(min_value=0, max_value=2 ** 40), min_size=3, max_size=3).map(sorted))
def test_state_is_the_kernels_reading(pages, limits):
    low, pressure, high = limits
    got = tcp_memory.summarize({'TCP': {'mem': pages}}, visible('%d %d %d' % tuple(limits)), PAGE)
    # in pressure for sure above pressure, surely not at or below low, either way between
    assert got['state'] == ('below_low' if pages <= low else 'above_high' if pages > high
                            else 'pressure' if pages > pressure else 'between')
    assert (got['note'] is None) == (got['state'] != 'between')
