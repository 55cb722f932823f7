# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re

from ansible_collections.netfleet.tuning.plugins.module_utils import procnet, promtext, tcp_memory

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'proc')
SAMPLE = re.compile(r'\A[a-zA-Z_:][a-zA-Z0-9_:]* -?[0-9]+(\.[0-9]+(e[+-]?[0-9]+)?)?\Z')
LABELLED = re.compile(r'\A[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-z_]+="[a-z_]+"\})? -?[0-9]+\Z')


def fixture(*parts):
    with open(os.path.join(FIXTURES, *parts)) as handle:
        return handle.read()


def test_render_fixture_counters():
    counters = procnet.parse_pairs(fixture('node_exporter', 'netstat'), 'n')
    counters.update(procnet.parse_pairs(fixture('node_exporter', 'snmp'), 's'))
    softnet = procnet.parse_softnet(fixture('node_exporter', 'softnet_stat'), 'x')
    text = promtext.render(counters, softnet['total'], timestamp=1700000000.5)
    lines = text.splitlines()
    assert text.endswith('\n')
    samples = [line for line in lines if not line.startswith('#')]
    assert len(samples) == sum(len(v) for v in counters.values()) + 3 + 1
    for line in samples:
        assert SAMPLE.match(line), line
    assert 'netfleet_netstat_TcpExt_PruneCalled 0' in lines
    assert 'netfleet_netstat_TcpExt_TCPRcvCollapsed 0' in lines
    assert 'netfleet_netstat_TcpExt_RcvPruned 0' in lines
    assert 'netfleet_netstat_TcpExt_OfoPruned 0' in lines
    assert 'netfleet_netstat_IpExt_InOctets 6286396970' in lines
    assert 'netfleet_netstat_Tcp_MaxConn -1' in lines
    assert '# TYPE netfleet_netstat_Tcp_MaxConn gauge' in lines
    assert '# TYPE netfleet_netstat_Tcp_InSegs untyped' in lines
    assert ('# HELP netfleet_netstat_TcpExt_PruneCalled packets pruned from receive queue because of '
            'socket buffer overrun') in lines
    assert 'netfleet_softnet_dropped_total 41' in lines
    assert 'netfleet_softnet_times_squeezed_total 146' in lines
    assert '# TYPE netfleet_softnet_dropped_total counter' in lines
    assert 'netfleet_netstat_collected_timestamp_seconds 1700000000.5' in lines
    # one HELP and one TYPE per metric, no duplicate names
    names = [line.split()[2] for line in lines if line.startswith('# TYPE')]
    assert len(names) == len(set(names)) == len(samples)


def test_render_empty_and_escaping():
    assert promtext.render({}) == ''
    assert promtext.metric_name('netfleet', 'a-b', '1c') == 'netfleet_a_b_1c'
    assert promtext.metric_name('9x') == '_9x'
    text = promtext.render({'G': {'N': 1, 'skip': 'text', 'flag': True}})
    assert 'netfleet_netstat_G_N 1' in text
    assert 'skip' not in text
    assert 'netfleet_netstat_G_flag' not in text
    assert promtext._help('a\\b\nc') == 'a\\\\b\\nc'


def test_render_tcp_memory():
    pressure = tcp_memory.summarize({'TCP': {'mem': 400000}}, {'value': '287901 383868 575802', 'scope': 'netns'}, 4096)
    text = promtext.render({}, tcp_memory=pressure)
    lines = text.splitlines()
    assert lines == [
        '# HELP netfleet_tcp_memory_pages pages all TCP sockets of the host hold (sockstat TCP mem)',
        '# TYPE netfleet_tcp_memory_pages gauge',
        'netfleet_tcp_memory_pages 400000',
        '# HELP netfleet_tcp_memory_limit_pages net.ipv4.tcp_mem: TCP enters memory pressure above pressure, '
        'leaves it at or below low, and allocates nothing above high (pages)',
        '# TYPE netfleet_tcp_memory_limit_pages gauge',
        'netfleet_tcp_memory_limit_pages{limit="low"} 287901',
        'netfleet_tcp_memory_limit_pages{limit="pressure"} 383868',
        'netfleet_tcp_memory_limit_pages{limit="high"} 575802',
        '# HELP netfleet_tcp_memory_state where the TCP memory stands against net.ipv4.tcp_mem (1 for the state it '
        'is in); between: in pressure or not, as it was',
        '# TYPE netfleet_tcp_memory_state gauge',
        'netfleet_tcp_memory_state{state="below_low"} 0',
        'netfleet_tcp_memory_state{state="between"} 0',
        'netfleet_tcp_memory_state{state="pressure"} 1',
        'netfleet_tcp_memory_state{state="above_high"} 0',
    ]
    for line in lines:
        assert line.startswith('#') or LABELLED.match(line), line
    # a child network namespace: the pages only; nothing known: nothing
    hidden = tcp_memory.summarize({'TCP': {'mem': 2660}}, {'value': None, 'scope': 'host'}, 4096)
    assert promtext.render({}, tcp_memory=hidden).splitlines()[2:] == ['netfleet_tcp_memory_pages 2660']
    assert promtext.render({}, tcp_memory=tcp_memory.summarize(None, None, 4096)) == ''


def test_family_escapes_help_and_label_values():
    assert promtext.family('netfleet_x', 'gauge', 'a\\b\nc', 1.5) == [
        '# HELP netfleet_x a\\\\b\\nc', '# TYPE netfleet_x gauge', 'netfleet_x 1.5']
    assert promtext.family('netfleet_y', 'gauge', 'h', None, [('k', 'a"b\\c\nd', 1), ('k', 'e', False)]) == [
        '# HELP netfleet_y h', '# TYPE netfleet_y gauge', 'netfleet_y{k="a\\"b\\\\c\\nd"} 1', 'netfleet_y{k="e"} 0']
