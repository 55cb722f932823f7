# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import string

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from ansible_collections.netfleet.tuning.plugins.module_utils import procnet
from ansible_collections.netfleet.tuning.plugins.module_utils.procnet import ProcParseError
from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'proc')


def fixture(*parts):
    with open(os.path.join(FIXTURES, *parts)) as handle:
        return handle.read()


def naive_pairs(text):
    """An independent, deliberately simple reading of a pairs file for key-by-key comparison."""
    lines = [line for line in text.splitlines() if line.strip()]
    out = {}
    for head, values in zip(lines[0::2], lines[1::2]):
        names = head.split()
        nums = values.split()
        assert names[0] == nums[0]
        out.setdefault(names[0].rstrip(':'), {}).update(zip(names[1:], (int(n) for n in nums[1:])))
    return out


# ---------------------------------------------------------------- netstat / snmp

@pytest.mark.parametrize('path', [
    ('node_exporter', 'netstat'), ('node_exporter', 'snmp'),
    ('linux-6.18', 'netstat'), ('linux-6.18', 'snmp'),
])
def test_pairs_match_file_key_by_key(path):
    text = fixture(*path)
    assert procnet.parse_pairs(text, '/'.join(path)) == naive_pairs(text)


def test_node_exporter_netstat_values():
    got = procnet.parse_pairs(fixture('node_exporter', 'netstat'), 'netstat')
    assert sorted(got) == ['IpExt', 'TcpExt']
    tcpext = got['TcpExt']
    assert len(tcpext) == 83
    assert tcpext['SyncookiesFailed'] == 2
    assert tcpext['TW'] == 388812
    assert tcpext['DelayedACKs'] == 102471
    assert tcpext['DelayedACKLost'] == 9
    assert tcpext['TCPPrequeued'] == 80568
    assert tcpext['TCPDirectCopyFromPrequeue'] == 168808
    assert tcpext['TCPHPHits'] == 4471289
    assert tcpext['TCPPureAcks'] == 1433940
    assert tcpext['TCPHPAcks'] == 3744565
    assert tcpext['TCPTimeouts'] == 115
    assert tcpext['TCPAbortOnData'] == 41
    assert tcpext['TCPAbortOnClose'] == 4
    assert tcpext['TCPSackShiftFallback'] == 5
    assert tcpext['TCPChallengeACK'] == 2
    assert tcpext['TCPOFOQueue'] == 42
    assert tcpext['PruneCalled'] == 0
    assert tcpext['TCPRcvCollapsed'] == 0
    # this older kernel has no TCPRcvQDrop: absent, never a made-up 0
    assert 'TCPRcvQDrop' not in tcpext
    assert got['IpExt']['InOctets'] == 6286396970     # beyond 32 bits
    assert got['IpExt']['OutOctets'] == 2786264347
    assert len(got['IpExt']) == 12


def test_node_exporter_snmp_values():
    got = procnet.parse_pairs(fixture('node_exporter', 'snmp'), 'snmp')
    assert sorted(got) == ['Icmp', 'IcmpMsg', 'Ip', 'Tcp', 'Udp', 'UdpLite']
    assert got['Tcp']['MaxConn'] == -1
    assert got['Tcp']['RtoMin'] == 200
    assert got['Tcp']['RtoMax'] == 120000
    assert got['Tcp']['ActiveOpens'] == 3556
    assert got['Tcp']['InSegs'] == 57252008
    assert got['Tcp']['OutSegs'] == 54915039
    assert got['Tcp']['RetransSegs'] == 227
    assert got['Tcp']['OutRsts'] == 1003
    assert got['Ip']['Forwarding'] == 1
    assert got['Ip']['InReceives'] == 57740232
    assert got['Ip']['InAddrErrors'] == 25
    assert got['Ip']['ForwDatagrams'] == 397750
    assert got['Ip']['OutNoRoutes'] == 54
    assert got['Icmp']['InMsgs'] == 104
    assert got['Icmp']['OutDestUnreachs'] == 120
    assert got['IcmpMsg'] == {'InType3': 104, 'OutType3': 120}
    assert got['Udp'] == {'InDatagrams': 88542, 'NoPorts': 120, 'InErrors': 0, 'OutDatagrams': 53028,
                          'RcvbufErrors': 0, 'SndbufErrors': 0, 'InCsumErrors': 0}
    assert len(got['Icmp']) == 27


def test_linux_618_netstat_values():
    got = procnet.parse_pairs(fixture('linux-6.18', 'netstat'), 'netstat')
    assert sorted(got) == ['IpExt', 'MPTcpExt', 'TcpExt']
    tcpext = got['TcpExt']
    assert len(tcpext) == 135
    assert len(got['IpExt']) == 18
    assert len(got['MPTcpExt']) == 76
    assert tcpext['TW'] == 12
    assert tcpext['TCPPureAcks'] == 47
    assert tcpext['TCPHPAcks'] == 120
    assert tcpext['TCPRcvCoalesce'] == 483
    assert tcpext['TCPAbortOnData'] == 27
    assert tcpext['TCPFromZeroWindowAdv'] == 7
    assert tcpext['TCPOrigDataSent'] == 229
    assert tcpext['TCPDelivered'] == 268
    assert tcpext['TCPRcvQDrop'] == 0       # present on 6.18
    assert tcpext['TCPAODroppedIcmps'] == 0  # the last name of the line
    assert 'TCPPrequeued' not in tcpext      # gone since 4.14
    assert got['IpExt']['InOctets'] == 47330449
    assert got['IpExt']['OutOctets'] == 203442
    assert got['IpExt']['InNoECTPkts'] == 2293
    assert got['MPTcpExt']['MPCurrEstab'] == 0


def test_linux_618_snmp_values():
    got = procnet.parse_pairs(fixture('linux-6.18', 'snmp'), 'snmp')
    assert got['Ip']['Forwarding'] == 2
    assert got['Ip']['InReceives'] == 2293
    assert got['Ip']['OutTransmits'] == 2066   # new in 6.x
    assert got['Tcp']['MaxConn'] == -1
    assert got['Tcp']['ActiveOpens'] == 41
    assert got['Tcp']['InSegs'] == 2223
    assert got['Tcp']['OutSegs'] == 1997
    assert got['Tcp']['OutRsts'] == 54
    assert got['Udp']['InDatagrams'] == 75
    assert got['Udp']['MemErrors'] == 0
    assert got['IcmpMsg'] == {'InType3': 1}
    assert len(got['Icmp']) == 29


def test_pairs_split_group_is_merged():
    text = 'IcmpMsg: InType0 InType3\nIcmpMsg: 1 2\nIcmpMsg: OutType0\nIcmpMsg: 3\n'
    assert procnet.parse_pairs(text, 'snmp') == {'IcmpMsg': {'InType0': 1, 'InType3': 2, 'OutType0': 3}}


def test_pairs_huge_and_negative():
    text = 'Tcp: A B C\nTcp: 18446744073709551615 -1 123456789012345678901234567890\n'
    assert procnet.parse_pairs(text, 'x') == {'Tcp': {'A': 2 ** 64 - 1, 'B': -1, 'C': 123456789012345678901234567890}}


def test_pairs_without_trailing_newline():
    assert procnet.parse_pairs('Tcp: A\nTcp: 5', 'x') == {'Tcp': {'A': 5}}


@pytest.mark.parametrize('text, line, words', [
    ('', 0, 'empty'),
    ('TcpExt: A B\n', 1, 'truncated'),
    ('TcpExt: A B\nTcpExt: 1 2\nIpExt: C\n', 3, 'truncated'),
    ('TcpExt: A B\nTcpExt: 1\n', 2, '2 names'),
    ('TcpExt: A B\nTcpExt: 1 2 3\n', 2, '3 values'),
    ('TcpExt: A B\nIpExt: 1 2\n', 2, 'header line 1 is for TcpExt'),
    ('TcpExt: A B\nTcpExt: 1 x\n', 2, 'TcpExt.B'),
    ('TcpExt: A B\nTcpExt: 1 0x10\n', 2, 'not an integer'),
    ('TcpExt: A B\nTcpExt: 1 +2\n', 2, 'not an integer'),
    ('TcpExt: A B\nTcpExt: 1 1_000\n', 2, 'not an integer'),
    ('TcpExt: A A\nTcpExt: 1 2\n', 1, 'twice'),
    ('TcpExt A B\nTcpExt 1 2\n', 1, 'Group'),
    ('TcpExt: A-B\nTcpExt: 1\n', 1, 'bad counter name'),
    ('Tcp: A\nTcp: 1\nTcp: A\nTcp: 2\n', 3, 'twice'),
    ('Tcp: A\nTcp: 1\x00\n', 2, 'NUL'),
])
def test_pairs_errors_name_file_and_line(text, line, words):
    with pytest.raises(ProcParseError) as info:
        procnet.parse_pairs(text, '/proc/net/netstat')
    assert info.value.source == '/proc/net/netstat'
    assert info.value.lineno == line
    assert words in str(info.value)
    assert str(info.value).startswith('/proc/net/netstat')
    if line:
        assert 'line %d' % line in str(info.value)


def test_pairs_truncated_real_file():
    text = fixture('linux-6.18', 'netstat')
    lines = text.splitlines()
    with pytest.raises(ProcParseError, match='truncated'):
        procnet.parse_pairs('\n'.join(lines[:-1]) + '\n', 'netstat')
    cut = lines[1].rsplit(' ', 3)[0]        # a value line cut short
    with pytest.raises(ProcParseError, match='line 2: TcpExt has 135 names on line 1 but 132 values'):
        procnet.parse_pairs('\n'.join([lines[0], cut] + lines[2:]), 'netstat')


def test_not_text():
    with pytest.raises(ProcParseError):
        procnet.parse_pairs(b'Tcp: A\nTcp: 1\n', 'x')


# ---------------------------------------------------------------- snmp6

def test_snmp6_values():
    got = procnet.parse_snmp6(fixture('linux-6.18', 'snmp6'), 'snmp6')
    assert sorted(got) == ['Icmp6', 'Ip6', 'Udp6', 'UdpLite6']
    assert sum(len(v) for v in got.values()) == 90
    assert got['Ip6']['InReceives'] == 7
    assert got['Ip6']['OutRequests'] == 16
    assert got['Ip6']['InOctets'] == 576
    assert got['Ip6']['OutOctets'] == 1328
    assert got['Icmp6']['OutNeighborSolicits'] == 4
    assert got['Icmp6']['InType1'] == 1
    assert got['Icmp6']['OutType143'] == 4
    assert got['Udp6']['InDatagrams'] == 0
    assert got['UdpLite6']['MemErrors'] == 0


def test_snmp6_key_by_key():
    text = fixture('linux-6.18', 'snmp6')
    got = procnet.parse_snmp6(text, 'snmp6')
    flat = dict((group + name, value) for group, names in got.items() for name, value in names.items())
    expected = dict((line.split()[0], int(line.split()[1])) for line in text.splitlines())
    assert flat == expected


@pytest.mark.parametrize('text, line', [
    ('', 0),
    ('Ip6InReceives 1 2\n', 1),
    ('Ip6InReceives\n', 1),
    ('Ip6InReceives 1\nIp6InReceives 2\n', 2),
    ('Ip6InReceives 1\nIpInReceives 2\n', 2),
    ('Ip6InReceives x\n', 1),
])
def test_snmp6_errors(text, line):
    with pytest.raises(ProcParseError) as info:
        procnet.parse_snmp6(text, 'snmp6')
    assert info.value.lineno == line


# ---------------------------------------------------------------- sockstat

def test_sockstat_rhel4():
    got = procnet.parse_sockstat(fixture('node_exporter', 'sockstat_rhe4'), 'sockstat', 4096)
    assert got == {
        'sockets_used': 229,
        'TCP': {'inuse': 4, 'orphan': 0, 'tw': 4, 'alloc': 17, 'mem': 1, 'mem_bytes': 4096},
        'UDP': {'inuse': 0},
        'RAW': {'inuse': 0},
        'FRAG': {'inuse': 0, 'memory': 0},
    }


def test_sockstat_linux_618():
    got = procnet.parse_sockstat(fixture('linux-6.18', 'sockstat'), 'sockstat', 4096)
    assert got['sockets_used'] == 10
    assert got['TCP'] == {'inuse': 1, 'orphan': 0, 'tw': 2, 'alloc': 1, 'mem': 17, 'mem_bytes': 17 * 4096}
    assert got['UDP'] == {'inuse': 0, 'mem': 0, 'mem_bytes': 0}
    assert got['UDPLITE'] == {'inuse': 0}
    assert got['FRAG'] == {'inuse': 0, 'memory': 0}
    assert sorted(got) == ['FRAG', 'RAW', 'TCP', 'UDP', 'UDPLITE', 'sockets_used']


def test_sockstat_page_size_used():
    got = procnet.parse_sockstat('TCP: inuse 1 mem 3\n', 's', 65536)
    assert got['TCP']['mem_bytes'] == 3 * 65536


@pytest.mark.parametrize('text', [
    '', 'TCP: inuse\n', 'TCP: inuse x\n', 'TCP inuse 1\n', 'TCP: inuse 1 inuse 2\n',
    'TCP: inuse 1\nTCP: inuse 2\n', 'sockets: used 1 free 2\n', 'sockets: used 1\nsockets: used 2\n',
])
def test_sockstat_errors(text):
    with pytest.raises(ProcParseError):
        procnet.parse_sockstat(text, 'sockstat', 4096)


def test_sockstat_bad_page_size():
    with pytest.raises(ValueError):
        procnet.parse_sockstat('TCP: inuse 1\n', 's', 0)


# ---------------------------------------------------------------- softnet

def test_softnet_node_exporter():
    got = procnet.parse_softnet(fixture('node_exporter', 'softnet_stat'), 'softnet_stat')
    assert len(got['cpus']) == 4
    assert [c['cpu'] for c in got['cpus']] == [0, 1, 2, 3]   # no index column: line position
    assert got['cpus'][1]['dropped'] == 0x29 == 41
    assert [c['processed'] for c in got['cpus']] == [0x49279, 0xdfb82, 0x551c3f, 0x2f8339]
    assert [c['time_squeeze'] for c in got['cpus']] == [1, 10, 85, 50]
    assert got['total'] == {'processed': 0x49279 + 0xdfb82 + 0x551c3f + 0x2f8339,
                            'dropped': 41, 'time_squeeze': 1 + 10 + 85 + 50}
    # 11 columns: cpu_collision, received_rps, flow_limit_count, no backlog_len
    assert got['cpus'][0]['cpu_collision'] == 0
    assert got['cpus'][0]['received_rps'] == 0
    assert got['cpus'][0]['flow_limit_count'] == 0
    assert 'backlog_len' not in got['cpus'][0]


def test_softnet_linux_618():
    got = procnet.parse_softnet(fixture('linux-6.18', 'softnet_stat'), 'softnet_stat')
    assert [c['cpu'] for c in got['cpus']] == [0, 1]      # from column 13
    assert got['cpus'][0]['processed'] == 0x25
    assert got['cpus'][1]['processed'] == 0x8da
    assert got['total'] == {'processed': 0x25 + 0x8da, 'dropped': 0, 'time_squeeze': 0}
    assert sorted(got['cpus'][1]) == sorted(['cpu', 'processed', 'dropped', 'time_squeeze', 'cpu_collision',
                                             'received_rps', 'flow_limit_count', 'backlog_len',
                                             'input_qlen', 'process_qlen'])


def test_softnet_cpu_index_column_skips_offline_cpus():
    text = ' '.join(['00000001', '00000002', '00000003'] + ['00000000'] * 9 + ['00000005', '00000000', '00000000'])
    got = procnet.parse_softnet(text + '\n', 's')
    assert got['cpus'][0]['cpu'] == 5


def test_softnet_extra_columns_kept():
    text = ' '.join(['1', '2', '3'] + ['0'] * 12 + ['ff']) + '\n'
    got = procnet.parse_softnet(text, 's')
    assert got['cpus'][0]['col16'] == 255


@pytest.mark.parametrize('text, line', [
    ('', 0),
    ('00000001 00000002\n', 1),
    ('00000001 00000002 0000000g\n', 1),
    ('00000001 00000002 00000003\n00000001 00000002 00000003 00000004\n', 2),
    ('00000001 -0000002 00000003\n', 1),
])
def test_softnet_errors(text, line):
    with pytest.raises(ProcParseError) as info:
        procnet.parse_softnet(text, 'softnet_stat')
    assert info.value.lineno == line


# ---------------------------------------------------------------- metrics

def test_metrics_old_kernel_absent_sources():
    counters = procnet.parse_pairs(fixture('node_exporter', 'netstat'), 'netstat')
    counters.update(procnet.parse_pairs(fixture('node_exporter', 'snmp'), 'snmp'))
    softnet = procnet.parse_softnet(fixture('node_exporter', 'softnet_stat'), 's')
    got = procnet.metrics(counters, softnet)
    assert got == {'prune_called': 0, 'rcv_collapsed': 0, 'rcv_pruned': 0, 'ofo_pruned': 0,
                   'backlog_drop': 0, 'softnet_dropped': 41, 'memory_pressures': 0, 'retrans_segs': 227,
                   'lost_retransmit': 0, 'timeouts': 115, 'listen_overflows': 0, 'listen_drops': 0,
                   'in_segs': 57252008, 'out_segs': 54915039}
    # this kernel has no TCPRcvQDrop (4.x) nor TCPMemoryPressuresChrono (4.15): absent, never 0
    assert 'rcvq_drop' not in got and 'memory_pressure_ms' not in got
    assert list(got) == [name for name in metric_registry.NAMES if name in got]


def test_metrics_values_and_missing():
    counters = {'TcpExt': {'PruneCalled': 7, 'TCPRcvCollapsed': 900, 'RcvPruned': 1, 'OfoPruned': 2,
                           'TCPBacklogDrop': 3, 'TCPRcvQDrop': 4}, 'Tcp': {'InSegs': 10 ** 6}}
    assert procnet.metrics(counters, None) == {
        'prune_called': 7, 'rcv_collapsed': 900, 'rcv_pruned': 1, 'ofo_pruned': 2,
        'backlog_drop': 3, 'rcvq_drop': 4, 'in_segs': 10 ** 6}
    assert procnet.metrics({}, None) == {}


# ---------------------------------------------------------------- properties

any_text = st.text(alphabet=st.characters(blacklist_categories=('Cs',)), max_size=400)
pairs_alphabet = st.sampled_from(list(string.ascii_letters[:6] + string.digits[:4] + ': \n-_') + ['Tcp', 'TcpExt', '\t'])
pairs_like = st.lists(pairs_alphabet, max_size=120).map(''.join)


def _all_tokens(text):
    return set(text.replace(':', ' ').split())


def _all_ints(text):
    return set(int(t) for t in _all_tokens(text) if re.match(r'\A-?[0-9]+\Z', t))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(any_text, pairs_like))
def test_pairs_property_only_proc_parse_error(text):
    try:
        got = procnet.parse_pairs(text, 'fuzz')
    except ProcParseError as exc:
        assert str(exc).startswith('fuzz')
        return
    tokens = _all_tokens(text)
    for group, names in got.items():
        assert group in tokens
        for name, value in names.items():
            assert name in tokens
            assert value in _all_ints(text)


@settings(max_examples=300)
@given(st.one_of(any_text, st.lists(st.sampled_from(['Ip6InReceives', 'Icmp6OutMsgs', ' ', '\t', '\n', '1', '-2', 'x', '6']),
                                    max_size=40).map(''.join)))
def test_snmp6_property(text):
    try:
        got = procnet.parse_snmp6(text, 'fuzz')
    except ProcParseError:
        return
    tokens = _all_tokens(text)
    for group, names in got.items():
        for name, value in names.items():
            assert group + name in tokens
            assert value in _all_ints(text)


@settings(max_examples=300)
@given(st.one_of(any_text, st.lists(st.sampled_from(['TCP:', 'sockets:', 'used', 'inuse', 'mem', ' ', '\n', '1', '17', 'x']),
                                    max_size=40).map(''.join)))
def test_sockstat_property(text):
    try:
        got = procnet.parse_sockstat(text, 'fuzz', 4096)
    except ProcParseError:
        return
    tokens = _all_tokens(text)
    for proto, fields in got.items():
        if proto == 'sockets_used':
            assert 'used' in tokens
            continue
        assert proto in tokens
        for key, value in fields.items():
            if key == 'mem_bytes':
                assert value == fields['mem'] * 4096
                continue
            assert key in tokens
            assert value in _all_ints(text)


@settings(max_examples=300)
@given(st.one_of(any_text, st.lists(st.sampled_from(['00000029', 'ff', '0', 'g', ' ', '\n', '-1']), max_size=60).map(''.join)))
def test_softnet_property(text):
    try:
        got = procnet.parse_softnet(text, 'fuzz')
    except ProcParseError:
        return
    values = set(int(t, 16) for t in text.split())
    for cpu in got['cpus']:
        for key, value in cpu.items():
            if key == 'cpu':
                continue
            assert value in values
    assert got['total']['dropped'] == sum(c['dropped'] for c in got['cpus'])


names = st.from_regex(r'\A[A-Za-z][A-Za-z0-9_]{0,12}\Z')
groups = st.dictionaries(names, st.dictionaries(names, st.integers(min_value=-2 ** 70, max_value=2 ** 70),
                                                min_size=1, max_size=8), min_size=1, max_size=4)


def render_pairs(data):
    out = []
    for group, counters in data.items():
        out.append('%s: %s' % (group, ' '.join(counters)))
        out.append('%s: %s' % (group, ' '.join(str(v) for v in counters.values())))
    return '\n'.join(out) + '\n'


@settings(max_examples=200)
@given(groups)
def test_pairs_round_trip(data):
    assert procnet.parse_pairs(render_pairs(data), 'gen') == data


@settings(max_examples=300)
@given(groups, st.data())
def test_pairs_mutated_never_invent(data, draw):
    text = render_pairs(data)
    cut = draw.draw(st.integers(min_value=0, max_value=len(text)))
    insert = draw.draw(st.sampled_from(['', ' ', 'x', '\n', ':', '-', '9', 'Tcp: ']))
    mutated = text[:cut] + insert + text[cut + draw.draw(st.integers(min_value=0, max_value=3)):]
    try:
        got = procnet.parse_pairs(mutated, 'gen')
    except ProcParseError:
        return
    tokens = _all_tokens(mutated)
    for group, counters in got.items():
        assert group in tokens
        for name, value in counters.items():
            assert name in tokens and value in _all_ints(mutated)
