# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The guards that a network namespace cannot stage (issue 14), from /proc text to the verdict.

TCP memory pressure is host-wide (``net.ipv4.tcp_mem`` is host scope: lowering it would change the machine's
own sysctls) and so are softnet drops (``/proc/net/softnet_stat``, ``netdev_max_backlog``): the lab cannot make
one canary enter them. These tests take the files captured on Linux 6.18 (``tests/unit/fixtures/proc/linux-6.18``
and ``linux-6.18-netns``), advance their counters as a host under load would (the values this test writes are
named where it writes them), and run them through the same code the playbooks run: procnet's parsers,
the registry's metrics, records.build_start / build_record (the host's window record), tcp_memory.summarize,
and verdict.judge.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re

import pytest

from ansible_collections.netfleet.tuning.plugins.module_utils import procnet
from ansible_collections.netfleet.tuning.plugins.module_utils import records
from ansible_collections.netfleet.tuning.plugins.module_utils import tcp_memory
from ansible_collections.netfleet.tuning.plugins.plugin_utils import verdict

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'proc')
PAGE = 4096


def fixture(*parts):
    with open(os.path.join(FIXTURES, *parts)) as handle:
        return handle.read()


def advance(text, group, deltas):
    """The /proc/net/netstat or snmp text with ``group``'s counters advanced by ``deltas`` ({name: +n})."""
    lines = text.splitlines()
    for index in range(0, len(lines) - 1, 2):
        names, values = lines[index].split(), lines[index + 1].split()
        if names[0] != group + ':':
            continue
        for name, delta in deltas.items():
            position = names.index(name)
            values[position] = str(int(values[position]) + delta)
        lines[index + 1] = ' '.join(values)
    return '\n'.join(lines) + '\n'


def advance_softnet(text, dropped):
    """softnet_stat with CPU 0's dropped column (the second, hex) advanced by ``dropped``."""
    lines = text.splitlines()
    columns = lines[0].split()
    columns[1] = '%08x' % (int(columns[1], 16) + dropped)
    lines[0] = ' '.join(columns)
    return '\n'.join(lines) + '\n'


def sockstat_with_mem(pages):
    return re.sub(r'(TCP: .* mem )\d+', r'\g<1>%d' % pages, fixture('linux-6.18-netns', 'sockstat.init'))


class Read(object):
    """One read of a host's /proc: netstat, snmp, softnet_stat (texts), sockstat's TCP mem."""

    def __init__(self, netstat, snmp, softnet, mem_pages, monotonic):
        counters = {}
        counters.update(procnet.parse_pairs(netstat, 'netstat'))
        counters.update(procnet.parse_pairs(snmp, 'snmp'))
        self.snapshot = {'boot_id': 'boot-1', 'netns': 'net:[4026531840]', 'monotonic': monotonic,
                         'collected_at': '2026-11-30T10:00:%02d.000Z' % int(monotonic % 60),
                         'metrics': procnet.metrics(counters, procnet.parse_softnet(softnet, 'softnet_stat'))}
        self.sockstat = procnet.parse_sockstat(sockstat_with_mem(mem_pages), 'sockstat', PAGE)


def window(first, second, kind, tcp_mem=fixture('linux-6.18-netns', 'tcp_mem.init').strip()):
    """The host's record of a window between two reads, as netfleet_window builds it at phase=end."""
    start = records.build_start(first.snapshot)
    memory = tcp_memory.summarize(second.sockstat, {'value': tcp_mem, 'scope': 'host'}, PAGE)
    return records.build_record(start, second.snapshot, {}, None, kind, 'web-1', tcp_memory=memory)


# a window of real traffic: 1,000,000 segments in, 500,000 out, in 20 s
TRAFFIC = {'Tcp': {'InSegs': 10 ** 6, 'OutSegs': 500000}}


def reads(tcpext=None, tcp=None, softnet_dropped=0, mem_pages=(2660, 2660), start=0.0, base=None):
    """Two reads 20 s apart: the second advances the counters by TRAFFIC plus ``tcpext`` / ``tcp``."""
    netstat, snmp, softnet = base or (fixture('linux-6.18', 'netstat'), fixture('linux-6.18', 'snmp'),
                                      fixture('linux-6.18', 'softnet_stat'))
    first = Read(netstat, snmp, softnet, mem_pages[0], start)
    netstat = advance(netstat, 'TcpExt', tcpext or {})
    snmp = advance(snmp, 'Tcp', dict(TRAFFIC['Tcp'], **(tcp or {})))
    softnet = advance_softnet(softnet, softnet_dropped)
    second = Read(netstat, snmp, softnet, mem_pages[1], start + 20.0)
    return first, second, (netstat, snmp, softnet)


UNTUNED = {'PruneCalled': 4000, 'TCPRcvCollapsed': 200000}
TUNED = {'PruneCalled': 0, 'TCPRcvCollapsed': 10}


def judge(before_extra, after_extra, before_mem=(2660, 2660), after_mem=(2660, 2660), **kwargs):
    first, second, texts = reads(tcpext=dict(UNTUNED, **before_extra.get('TcpExt', {})),
                                 tcp=before_extra.get('Tcp'), softnet_dropped=before_extra.get('softnet', 0),
                                 mem_pages=before_mem)
    baseline = window(first, second, 'baseline')
    third, fourth, _texts = reads(tcpext=dict(TUNED, **after_extra.get('TcpExt', {})), tcp=after_extra.get('Tcp'),
                                  softnet_dropped=after_extra.get('softnet', 0), mem_pages=after_mem, start=100.0,
                                  base=texts)
    return verdict.judge(baseline, window(third, fourth, 'verify'), **kwargs)


def test_the_captured_files_give_every_default_guard():
    first, second, _texts = reads()
    record = window(first, second, 'verify')
    assert set(record['window']['metrics']) >= {'memory_pressures', 'retrans_segs', 'listen_overflows',
                                                'rcv_pruned', 'softnet_dropped', 'out_segs'}
    assert record['tcp_memory']['state'] == 'below_low'


def test_a_clean_tuning_from_proc_is_improved():
    got = judge({}, {})
    assert got['verdict'] == 'improved', got['message']
    assert got['guards']['regressed'] == [] and got['guards']['unjudged'] == []
    assert got['guards']['memory_pressure'] == {'before': 'below_low', 'after': 'below_low'}


def test_entering_memory_pressure_from_proc_is_regressed():
    # TcpExt TCPMemoryPressures +1 (and 250 ms in pressure) in the verify window, none in the baseline
    got = judge({}, {'TcpExt': {'TCPMemoryPressures': 1, 'TCPMemoryPressuresChrono': 250}})
    assert got['verdict'] == 'regressed'
    assert got['reasons'][0].startswith('guard memory_pressures: TCP entered memory pressure 1 time(s)')


@pytest.mark.parametrize('pages,state,expected', [
    (383869, 'pressure', 'regressed'),      # one page above tcp_mem's pressure value (287901 383868 575802)
    (575803, 'above_high', 'regressed'),
    (300000, 'between', 'improved'),        # between low and pressure: not surely in pressure
])
def test_tcp_memory_at_the_end_of_verify_from_sockstat(pages, state, expected):
    got = judge({}, {}, after_mem=(2660, pages))
    assert got['guards']['memory_pressure'] == {'before': 'below_low', 'after': state}
    assert got['verdict'] == expected, got['message']


def test_softnet_drops_from_proc():
    # softnet_stat's dropped column: 0 in the baseline, 400 in the verify window (all CPUs, host-wide)
    got = judge({}, {'softnet': 400})
    assert got['verdict'] == 'regressed'
    assert got['reasons'][0].startswith('guard softnet_dropped rose from 0')
    # and a handful is too few to call a regression
    got = judge({}, {'softnet': 3})
    assert got['verdict'] == 'improved'
    assert any(hint.startswith('guard softnet_dropped rose from 0 on 0 -> 3 events') for hint in got['hints'])


def test_data_lost_to_pruning_rose_from_proc():
    got = judge({'TcpExt': {'RcvPruned': 5}}, {'TcpExt': {'RcvPruned': 300}})
    assert got['verdict'] == 'regressed'
    assert got['reasons'][0].startswith('guard rcv_pruned rose')


def test_retransmissions_are_per_million_out_segs_from_proc():
    got = judge({'Tcp': {'RetransSegs': 50}}, {'Tcp': {'RetransSegs': 5000}})
    entry = got['metrics']['retrans_segs']
    assert entry['before_per_million'] == pytest.approx(100.0) and entry['after_per_million'] == pytest.approx(10000.0)
    assert got['verdict'] == 'regressed' and 'per million OutSegs' in got['reasons'][0]
