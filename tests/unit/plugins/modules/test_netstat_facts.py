# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import shutil

import pytest

from ansible.module_utils import basic
from ansible_collections.netfleet.tuning.plugins.module_utils import procread
from ansible_collections.netfleet.tuning.plugins.modules import netstat_facts
# how the module tests run a module (ansible-core's documented helper, or a child reading an args file)
from ansible_collections.netfleet.tuning.tests.unit.plugins.modules.module_runner import (  # noqa: F401 (re-exported)
    ExitJson, FailJson, patch_module, run_main,
)

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')
BOOT_ID = '909edf35-58eb-4858-ad76-ccff11ccf7a7'


@pytest.fixture
def module_calls(monkeypatch):
    """Patch exit_json/fail_json to raise, and record warnings."""
    return patch_module(monkeypatch)


def run(args, keep=()):
    """netstat_facts with these arguments -> (exited, result); ``keep``: see module_runner.run_main."""
    with pytest.raises((ExitJson, FailJson)) as info:
        run_main(netstat_facts.main, args, keep)
    return info.type is ExitJson, info.value.args[0]


def build_proc(root, kernel='linux-6.18', sysctls=None, child=True):
    """A fake procfs: net/* from the fixtures, boot_id, and sysctl files {key: (text, mode)}."""
    proc = os.path.join(str(root), 'proc')
    os.makedirs(os.path.join(proc, 'net'))
    source = os.path.join(FIXTURES, 'proc', kernel)
    for name in os.listdir(source):
        if name in ('netstat', 'snmp', 'snmp6', 'sockstat', 'softnet_stat'):
            shutil.copy(os.path.join(source, name), os.path.join(proc, 'net', name))
    if kernel == 'node_exporter':
        shutil.copy(os.path.join(source, 'sockstat_rhe4'), os.path.join(proc, 'net', 'sockstat'))
    os.makedirs(os.path.join(proc, 'sys', 'kernel', 'random'))
    write(proc, 'sys/kernel/random/boot_id', BOOT_ID + '\n')
    if sysctls is None:
        sysctls = {
            'net.core.somaxconn': ('4096\n', 0o644),
            'net.core.rmem_max': ('212992\n', 0o444),
            'net.ipv4.tcp_rmem': ('4096\t131072\t6291456\n', 0o644),
        }
    for key, (text, mode) in sysctls.items():
        path = os.path.join(proc, 'sys', *key.split('.'))
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        write(proc, os.path.relpath(path, proc), text)
        os.chmod(path, mode)
    if not child:
        write(proc, 'sys/net/core/netdev_max_backlog', '1000\n')
    return proc


def write(proc, relative, text):
    with open(os.path.join(proc, relative), 'w') as handle:
        handle.write(text)


def bump(proc, counter, by):
    """Raise TcpExt/Tcp counter ``counter`` in the fake net/netstat or net/snmp by ``by``."""
    group, name = counter.split('.')
    for relative in ('net/netstat', 'net/snmp'):
        path = os.path.join(proc, relative)
        with open(path) as handle:
            lines = handle.read().splitlines()
        for index in range(0, len(lines), 2):
            names = lines[index].split()
            if names[0] == group + ':' and name in names:
                values = lines[index + 1].split()
                pos = names.index(name)
                values[pos] = str(int(values[pos]) + by)
                lines[index + 1] = ' '.join(values)
                write(proc, relative, '\n'.join(lines) + '\n')
                return
    raise AssertionError('no counter %s' % counter)


class FakeTime(object):
    """Stands in for the time module inside netstat_facts: sleep advances the clock and runs a hook."""

    def __init__(self, on_sleep=None):
        self.now = 1000.0
        self.slept = []
        self.on_sleep = on_sleep

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep()

    def time(self):
        return 1700000000.0


# ---------------------------------------------------------------- facts

def test_facts_from_fake_proc(tmp_path, module_calls):
    proc = build_proc(tmp_path)
    ok, result = run({'proc_path': proc})
    assert ok, result
    assert result['changed'] is False
    facts = result['ansible_facts']['netstat']
    assert sorted(facts) == ['boot_id', 'collected_at', 'counters', 'metrics', 'monotonic', 'netns', 'sockstat', 'softnet',
                             'sysctl', 'tcp_memory']
    assert facts['boot_id'] == BOOT_ID
    assert re.match(r'\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z', facts['collected_at'])
    counters = facts['counters']
    assert sorted(counters) == ['Icmp', 'Icmp6', 'IcmpMsg', 'Ip', 'Ip6', 'IpExt', 'MPTcpExt', 'Tcp', 'TcpExt',
                                'Udp', 'Udp6', 'UdpLite', 'UdpLite6']
    assert counters['TcpExt']['TCPRcvCoalesce'] == 483
    assert counters['Tcp']['InSegs'] == 2223
    assert counters['Tcp']['MaxConn'] == -1
    assert counters['Ip6']['OutOctets'] == 1328
    assert facts['metrics'] == {'prune_called': 0, 'rcv_collapsed': 0, 'rcv_pruned': 0, 'ofo_pruned': 0,
                                'backlog_drop': 0, 'rcvq_drop': 0, 'softnet_dropped': 0, 'memory_pressures': 0,
                                'memory_pressure_ms': 0, 'retrans_segs': 0, 'lost_retransmit': 0, 'timeouts': 2,
                                'listen_overflows': 0, 'listen_drops': 0, 'in_segs': 2223, 'out_segs': 1997}
    page = os.sysconf('SC_PAGE_SIZE')
    assert facts['sockstat']['TCP'] == {'inuse': 1, 'orphan': 0, 'tw': 2, 'alloc': 1, 'mem': 17, 'mem_bytes': 17 * page}
    assert facts['softnet']['total'] == {'processed': 0x25 + 0x8da, 'dropped': 0, 'time_squeeze': 0}
    sysctl = facts['sysctl']
    assert sorted(sysctl) == sorted(netstat_facts.sysctl_scope.MANAGED_KEYS)
    assert sysctl['net.ipv4.tcp_rmem'] == {'value': '4096 131072 6291456', 'scope': 'netns'}
    assert sysctl['net.core.rmem_max'] == {'value': '212992', 'scope': 'host'}
    assert sysctl['net.core.netdev_max_backlog'] == {'value': None, 'scope': 'host'}
    assert sysctl['net.ipv4.tcp_mem'] == {'value': None, 'scope': 'host'}
    assert sysctl['net.ipv4.tcp_sack'] == {'value': None, 'scope': 'absent'}
    # a child network namespace: tcp_mem is the host's and not visible here; the pages are the host's
    memory = facts['tcp_memory']
    assert memory['pages'] == 17 and memory['bytes'] == 17 * page and memory['page_size'] == page
    assert memory['tcp_mem'] is None and memory['state'] is None and memory['scope'] == 'host'
    assert memory['note'] == netstat_facts.procread.tcp_memory.NOTE_HIDDEN
    assert 'rates' not in facts and 'socket_buffers' not in facts
    assert module_calls == []
    json.dumps(result)    # everything is JSON-serialisable


def set_tcp_mem_pages(proc, pages):
    with open(os.path.join(proc, 'net', 'sockstat')) as handle:
        text = handle.read()
    write(proc, 'net/sockstat', text.replace(' mem 17\n', ' mem %d\n' % pages))


@pytest.mark.parametrize('pages, state', [(17, 'below_low'), (300000, 'between'), (400000, 'pressure'),
                                          (600000, 'above_high')])
def test_tcp_memory_in_the_initial_namespace(tmp_path, module_calls, pages, state):
    proc = build_proc(tmp_path, child=False, sysctls={
        'net.core.somaxconn': ('4096\n', 0o644),
        'net.ipv4.tcp_rmem': ('4096\t131072\t6291456\n', 0o644),
        'net.ipv4.tcp_mem': ('287901\t383868\t575802\n', 0o644)})
    set_tcp_mem_pages(proc, pages)
    ok, result = run({'proc_path': proc})
    assert ok, result
    facts = result['ansible_facts']['netstat']
    assert facts['sysctl']['net.ipv4.tcp_mem'] == {'value': '287901 383868 575802', 'scope': 'netns'}
    memory = facts['tcp_memory']
    assert memory['pages'] == pages and memory['state'] == state
    assert memory['tcp_mem'] == {'low': 287901, 'pressure': 383868, 'high': 575802}
    assert memory['tcp_mem_bytes']['high'] == 575802 * os.sysconf('SC_PAGE_SIZE')
    assert (memory['note'] is None) == (state != 'between')


def test_tcp_memory_reads_tcp_mem_also_when_not_asked_for(tmp_path, module_calls):
    proc = build_proc(tmp_path, child=False, sysctls={
        'net.core.somaxconn': ('4096\n', 0o644), 'net.ipv4.tcp_mem': ('1 2 3\n', 0o644)})
    ok, result = run({'proc_path': proc, 'sysctls': ['net.core.somaxconn']})
    facts = result['ansible_facts']['netstat']
    assert 'net.ipv4.tcp_mem' not in facts['sysctl']
    assert facts['tcp_memory']['tcp_mem'] == {'low': 1, 'pressure': 2, 'high': 3}
    assert facts['tcp_memory']['state'] == 'above_high'


def test_retransmission_rate_per_million_out_segs(tmp_path, module_calls, monkeypatch):
    proc = build_proc(tmp_path)

    def traffic():
        bump(proc, 'Tcp.InSegs', 100000)
        bump(proc, 'Tcp.OutSegs', 250000)
        bump(proc, 'Tcp.RetransSegs', 500)
        bump(proc, 'TcpExt.TCPTimeouts', 3)
        bump(proc, 'TcpExt.ListenOverflows', 7)
    monkeypatch.setattr(netstat_facts, 'time', FakeTime(on_sleep=traffic))
    ok, result = run({'proc_path': proc, 'sample_seconds': 10})
    assert ok, result
    metrics = result['ansible_facts']['netstat']['rates']['metrics']
    assert metrics['retrans_segs'] == {'delta': 500, 'per_second': 50.0, 'per_million_segs': 2000.0}
    assert metrics['timeouts'] == {'delta': 3, 'per_second': 0.3, 'per_million_segs': 12.0}
    assert metrics['listen_overflows'] == {'delta': 7, 'per_second': 0.7, 'per_million_segs': 70.0}
    assert metrics['out_segs']['delta'] == 250000 and metrics['out_segs']['per_million_segs'] is None


def test_old_kernel_rates_have_no_metric_it_lacks(tmp_path, module_calls, monkeypatch):
    proc = build_proc(tmp_path, kernel='node_exporter')
    monkeypatch.setattr(netstat_facts, 'time', FakeTime(on_sleep=lambda: bump(proc, 'Tcp.RetransSegs', 5)))
    ok, result = run({'proc_path': proc, 'sample_seconds': 1})
    metrics = result['ansible_facts']['netstat']['rates']['metrics']
    assert 'memory_pressure_ms' not in metrics and 'rcvq_drop' not in metrics      # absent, never 0
    assert metrics['memory_pressures']['delta'] == 0
    assert metrics['retrans_segs'] == {'delta': 5, 'per_second': 5.0, 'per_million_segs': None}     # no OutSegs sent


def test_old_kernel_without_snmp6(tmp_path, module_calls):
    proc = build_proc(tmp_path, kernel='node_exporter')
    ok, result = run({'proc_path': proc})
    assert ok, result
    facts = result['ansible_facts']['netstat']
    assert facts['counters']['Tcp']['InSegs'] == 57252008
    assert 'Ip6' not in facts['counters']
    assert facts['metrics']['softnet_dropped'] == 41
    assert 'rcvq_drop' not in facts['metrics'] and 'memory_pressure_ms' not in facts['metrics']
    assert facts['sockstat']['TCP']['mem_bytes'] == os.sysconf('SC_PAGE_SIZE')
    assert facts['tcp_memory']['pages'] == 1
    assert facts['softnet']['total']['time_squeeze'] == 146
    assert len(module_calls) == 1
    assert 'net/snmp6 is missing' in module_calls[0]


def test_missing_snmp6_warns_and_keeps_rest(tmp_path, module_calls):
    proc = build_proc(tmp_path)
    os.remove(os.path.join(proc, 'net', 'snmp6'))
    ok, result = run({'proc_path': proc})
    assert ok
    assert 'Ip6' not in result['ansible_facts']['netstat']['counters']
    assert result['ansible_facts']['netstat']['counters']['TcpExt']['TW'] == 12
    assert module_calls == ['%s is missing: its counters are not reported' % os.path.join(proc, 'net/snmp6')]


def test_missing_softnet_and_sockstat(tmp_path, module_calls):
    proc = build_proc(tmp_path)
    os.remove(os.path.join(proc, 'net', 'softnet_stat'))
    os.remove(os.path.join(proc, 'net', 'sockstat'))
    ok, result = run({'proc_path': proc})
    facts = result['ansible_facts']['netstat']
    assert ok and facts['softnet'] is None and facts['sockstat'] is None
    assert 'softnet_dropped' not in facts['metrics']
    assert len(module_calls) == 2


def test_malformed_netstat_fails_with_file_and_line(tmp_path, module_calls):
    proc = build_proc(tmp_path)
    with open(os.path.join(proc, 'net', 'netstat')) as handle:
        lines = handle.read().splitlines()
    lines[3] = lines[3].replace(' 0 0 0', ' 0 zero 0', 1)    # IpExt values
    write(proc, 'net/netstat', '\n'.join(lines) + '\n')
    ok, result = run({'proc_path': proc})
    assert not ok
    assert result['msg'].startswith(os.path.join(proc, 'net/netstat') + ' line 4: IpExt.')
    assert "'zero' is not an integer" in result['msg']
    assert 'Traceback' not in json.dumps(result)


def test_truncated_snmp_fails(tmp_path, module_calls):
    proc = build_proc(tmp_path)
    with open(os.path.join(proc, 'net', 'snmp')) as handle:
        text = handle.read()
    write(proc, 'net/snmp', text[:text.index('Tcp: 1 200')])
    ok, result = run({'proc_path': proc})
    assert not ok
    assert 'net/snmp line 7: header for Tcp has no value line (truncated file?)' in result['msg']


def test_bad_sysctl_key_fails(tmp_path, module_calls):
    proc = build_proc(tmp_path)
    ok, result = run({'proc_path': proc, 'sysctls': ['net.ipv4.tcp_rmem', 'net.core.x=1']})
    assert not ok
    assert 'net.core.x=1: key must match' in result['msg']


def test_sysctls_option(tmp_path, module_calls):
    proc = build_proc(tmp_path)
    ok, result = run({'proc_path': proc, 'sysctls': ['net.ipv4.tcp_rmem']})
    assert result['ansible_facts']['netstat']['sysctl'] == {
        'net.ipv4.tcp_rmem': {'value': '4096 131072 6291456', 'scope': 'netns'}}


def test_counter_filter(tmp_path, module_calls):
    proc = build_proc(tmp_path)
    ok, result = run({'proc_path': proc, 'counters': ['TcpExt.TCPRcv*', 'Tcp.InSegs', 'Udp6', 'Nope.*']})
    assert ok
    facts = result['ansible_facts']['netstat']
    assert facts['counters'] == {
        'TcpExt': {'TCPRcvCollapsed': 0, 'TCPRcvCoalesce': 483, 'TCPRcvQDrop': 0},
        'Tcp': {'InSegs': 2223},
        'Udp6': dict((n, 0) for n in ('InDatagrams', 'NoPorts', 'InErrors', 'OutDatagrams', 'RcvbufErrors',
                                      'SndbufErrors', 'InCsumErrors', 'IgnoredMulti', 'MemErrors')),
    }
    assert facts['metrics']['prune_called'] == 0      # metrics ignore the filter
    assert module_calls == ['counters: pattern Nope.* matched no counter']


@pytest.mark.parametrize('pattern', ['Tcp.In Segs', 'a.b.c', '', 'Tcp;rm'])
def test_bad_counter_pattern(tmp_path, module_calls, pattern):
    ok, result = run({'proc_path': build_proc(tmp_path), 'counters': [pattern]})
    assert not ok
    assert 'is not a Group.Name pattern' in result['msg']


@pytest.mark.parametrize('seconds', [-1, 3601])
def test_sample_seconds_bounds(tmp_path, module_calls, seconds):
    ok, result = run({'proc_path': build_proc(tmp_path), 'sample_seconds': seconds})
    assert not ok
    assert 'sample_seconds must be between 0 and 3600' in result['msg']


def test_proc_path_missing(tmp_path, module_calls):
    ok, result = run({'proc_path': str(tmp_path / 'nope')})
    assert not ok
    assert 'is not a directory' in result['msg']


# ---------------------------------------------------------------- sample_seconds

def test_sample_seconds_rates(tmp_path, module_calls, monkeypatch):
    proc = build_proc(tmp_path)
    bump(proc, 'Tcp.CurrEstab', 8)

    def traffic():
        bump(proc, 'TcpExt.PruneCalled', 40)
        bump(proc, 'TcpExt.TCPRcvCollapsed', 2000)
        bump(proc, 'Tcp.InSegs', 200000)
        bump(proc, 'Tcp.CurrEstab', -5)     # a gauge going down is not a reset

    clock = FakeTime(on_sleep=traffic)
    monkeypatch.setattr(netstat_facts, 'time', clock)
    ok, result = run({'proc_path': proc, 'sample_seconds': 5, 'counters': ['TcpExt.PruneCalled', 'Tcp.*']}, keep=[clock])
    assert ok, result
    assert clock.slept == [5]
    facts = result['ansible_facts']['netstat']
    window = facts['rates']
    assert window['valid'] is True and window['invalid_reason'] is None
    assert window['seconds'] == 5.0
    assert window['in_segs'] == 200000
    assert window['metrics']['prune_called'] == {'delta': 40, 'per_second': 8.0, 'per_million_segs': 200.0}
    assert window['metrics']['rcv_collapsed'] == {'delta': 2000, 'per_second': 400.0, 'per_million_segs': 10000.0}
    assert window['metrics']['softnet_dropped']['delta'] == 0
    assert sorted(window['counters']) == ['Tcp', 'TcpExt']
    assert list(window['counters']['TcpExt']) == ['PruneCalled']
    assert 'CurrEstab' not in window['counters']['Tcp']        # a gauge
    assert window['counters']['Tcp']['InSegs']['per_second'] == 40000.0
    assert facts['counters']['TcpExt']['PruneCalled'] == 40    # the second read
    assert facts['counters']['Tcp']['CurrEstab'] == 3
    assert facts['monotonic'] == 1005.0


def test_sample_seconds_counter_reset_invalid(tmp_path, module_calls, monkeypatch):
    proc = build_proc(tmp_path)
    bump(proc, 'TcpExt.PruneCalled', 100)

    def reset():
        bump(proc, 'TcpExt.PruneCalled', -90)
    monkeypatch.setattr(netstat_facts, 'time', FakeTime(on_sleep=reset))
    ok, result = run({'proc_path': proc, 'sample_seconds': 2})
    window = result['ansible_facts']['netstat']['rates']
    assert window['valid'] is False
    assert window['invalid_reason'] == 'counter went backwards: TcpExt.PruneCalled (100 -> 10)'


def test_sample_seconds_reboot_invalid(tmp_path, module_calls, monkeypatch):
    proc = build_proc(tmp_path)
    monkeypatch.setattr(netstat_facts, 'time', FakeTime(
        on_sleep=lambda: write(proc, 'sys/kernel/random/boot_id', 'another-boot\n')))
    ok, result = run({'proc_path': proc, 'sample_seconds': 1})
    window = result['ansible_facts']['netstat']['rates']
    assert window['valid'] is False
    assert 'boot_id changed' in window['invalid_reason']


def test_sample_seconds_missing_file_warns_once(tmp_path, module_calls, monkeypatch):
    proc = build_proc(tmp_path)
    os.remove(os.path.join(proc, 'net', 'snmp6'))
    monkeypatch.setattr(netstat_facts, 'time', FakeTime())
    ok, result = run({'proc_path': proc, 'sample_seconds': 1})
    assert ok
    assert len(module_calls) == 1
    assert result['ansible_facts']['netstat']['rates']['in_segs'] == 0
    assert result['ansible_facts']['netstat']['rates']['metrics']['prune_called']['per_million_segs'] is None


# ---------------------------------------------------------------- textfile

def test_textfile_written(tmp_path, module_calls, monkeypatch):
    proc = build_proc(tmp_path)
    monkeypatch.setattr(netstat_facts, 'time', FakeTime())
    target = tmp_path / 'textfile' / 'netfleet.prom'
    target.parent.mkdir()
    target.write_text('old\n')
    ok, result = run({'proc_path': proc, 'textfile': str(target), 'counters': ['Tcp.InSegs']})
    assert ok, result
    assert result['changed'] is False
    assert result['textfile']['written'] is True
    text = target.read_text()
    assert result['textfile']['lines'] == text.count('\n')
    lines = text.splitlines()
    # the filter keeps Tcp.InSegs; the metric sources are always exported
    for line in ('netfleet_netstat_Tcp_InSegs 2223', 'netfleet_netstat_TcpExt_PruneCalled 0',
                 'netfleet_netstat_TcpExt_TCPRcvCollapsed 0', 'netfleet_netstat_TcpExt_RcvPruned 0',
                 'netfleet_netstat_TcpExt_OfoPruned 0', 'netfleet_softnet_dropped_total 0',
                 'netfleet_netstat_Tcp_OutSegs 1997', 'netfleet_netstat_Tcp_RetransSegs 0',
                 'netfleet_netstat_TcpExt_TCPTimeouts 2', 'netfleet_netstat_TcpExt_ListenOverflows 0',
                 'netfleet_softnet_processed_total %d' % (0x25 + 0x8da),
                 'netfleet_netstat_collected_timestamp_seconds 1700000000.0'):
        assert line in lines
    # a counter that is neither kept nor a metric's source is not
    assert 'netfleet_netstat_Tcp_ActiveOpens' not in text
    assert os.listdir(str(target.parent)) == ['netfleet.prom']     # no temporary file left
    assert oct(os.stat(str(target)).st_mode & 0o777) == oct(0o644)
    assert module_calls == []


def test_textfile_tcp_memory(tmp_path, module_calls, monkeypatch):
    proc = build_proc(tmp_path, child=False, sysctls={
        'net.core.somaxconn': ('4096\n', 0o644), 'net.ipv4.tcp_mem': ('287901\t383868\t575802\n', 0o644)})
    set_tcp_mem_pages(proc, 400000)
    target = tmp_path / 'netfleet.prom'
    ok, result = run({'proc_path': proc, 'textfile': str(target)})
    assert ok, result
    lines = target.read_text().splitlines()
    for line in ('# TYPE netfleet_tcp_memory_pages gauge', 'netfleet_tcp_memory_pages 400000',
                 'netfleet_tcp_memory_limit_pages{limit="low"} 287901',
                 'netfleet_tcp_memory_limit_pages{limit="pressure"} 383868',
                 'netfleet_tcp_memory_limit_pages{limit="high"} 575802',
                 'netfleet_tcp_memory_state{state="below_low"} 0', 'netfleet_tcp_memory_state{state="between"} 0',
                 'netfleet_tcp_memory_state{state="pressure"} 1', 'netfleet_tcp_memory_state{state="above_high"} 0'):
        assert line in lines
    # in a child network namespace only the pages: no limit, no state
    child = build_proc(tmp_path / 'child')
    ok, result = run({'proc_path': child, 'textfile': str(target)})
    text = target.read_text()
    assert 'netfleet_tcp_memory_pages 17' in text.splitlines()
    assert 'netfleet_tcp_memory_limit_pages' not in text and 'netfleet_tcp_memory_state' not in text


def test_textfile_check_mode_not_written(tmp_path, module_calls):
    proc = build_proc(tmp_path)
    target = tmp_path / 'netfleet.prom'
    ok, result = run({'proc_path': proc, 'textfile': str(target), '_ansible_check_mode': True})
    assert ok, result
    assert result['changed'] is False
    assert result['textfile']['written'] is False
    assert result['textfile']['lines'] > 100
    assert not target.exists()
    assert result['ansible_facts']['netstat']['counters']['Tcp']['InSegs'] == 2223


def test_textfile_missing_directory(tmp_path, module_calls):
    ok, result = run({'proc_path': build_proc(tmp_path), 'textfile': str(tmp_path / 'no' / 'x.prom')})
    assert not ok
    assert 'does not exist' in result['msg']


def test_textfile_refuses_a_link(tmp_path, module_calls):
    target = tmp_path / 'elsewhere.prom'
    target.write_text('kept\n')
    link = tmp_path / 'netfleet.prom'
    link.symlink_to(target)
    ok, result = run({'proc_path': build_proc(tmp_path), 'textfile': str(link)})
    assert not ok
    assert result['msg'].startswith('textfile %s is a symbolic link' % link)
    assert target.read_text() == 'kept\n' and link.is_symlink()
    assert sorted(os.listdir(str(tmp_path))) == sorted(['elsewhere.prom', 'netfleet.prom', 'proc'])


def test_textfile_name_warning(tmp_path, module_calls):
    ok, result = run({'proc_path': build_proc(tmp_path), 'textfile': str(tmp_path / 'x.txt')})
    assert ok
    assert module_calls == ['textfile: node_exporter reads only files ending in .prom']


# ---------------------------------------------------------------- socket_buffers

def ss_output():
    with open(os.path.join(FIXTURES, 'ss', 'ss-tmin-linux-6.18.txt')) as handle:
        return handle.read()


def lab_ss(name, read):
    """ss -tmipn output captured in the lab (tests/unit/fixtures/ss/pinned-lab-6.18), read 1 or 2."""
    with open(os.path.join(FIXTURES, 'ss', 'pinned-lab-6.18', '%s.ss%d.txt' % (name, read))) as handle:
        return handle.read()


# the lab host's sysctls when those reads were taken
LAB_SYSCTLS = {
    'net.core.rmem_max': ('4194304\n', 0o444),
    'net.ipv4.tcp_rmem': ('4096\t87380\t16777216\n', 0o644),
}


def ss_reads(monkeypatch, name):
    """run_command answers the lab's first read, then its second; -> the calls made."""
    calls = []

    def run_command(self, args, **kwargs):
        calls.append((args, kwargs))
        return 0, lab_ss(name, min(len(calls), 2)), ''
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: '/usr/sbin/ss')
    monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
    return calls


def test_socket_buffers(tmp_path, module_calls, monkeypatch):
    calls = []

    def run_command(self, args, **kwargs):
        calls.append((args, kwargs))
        return 0, ss_output(), ''
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: '/usr/sbin/ss')
    monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
    ok, result = run({'proc_path': build_proc(tmp_path), 'socket_buffers': True}, keep=[calls])
    assert ok, result
    assert calls[0][0] == ['/usr/sbin/ss', '-tmipn', 'state', 'established']
    assert calls[0][1]['environ_update']['LC_ALL'] == 'C'
    got = result['ansible_facts']['netstat']['socket_buffers']
    assert got['tcp_rmem_default'] == 131072 and got['tcp_rmem_max'] == 6291456 and got['rmem_max'] == 212992
    assert got['unlocked_wscale'] == 7
    assert got['established'] == 6
    assert got['pinned_below_default'] == 1
    assert got['offenders'][0]['rb_min'] == 8192
    # one read: the pinned rule needs two
    assert got['pinned'] is None and got['pinned_groups'] is None
    # the queues of that one read
    assert got['queues'] == {'reads': 1, 'sockets': 6, 'recv_q_max': 3000, 'recv_q_p99': 3000, 'send_q_max': 952,
                             'send_q_p99': 952, 'at_rcvbuf_limit': 0}


@pytest.mark.parametrize('name, pinned, process', [
    ('pin_65536', 9, 'python3'),        # the load's 8 pinned connections and the helper's late one
    ('pin_1048576', 9, 'python3'),
    ('pre_tuning', 0, None),            # autotuned connections opened before tcp_rmem was raised
    ('autotuned', 1, 'python3'),        # only the helper's SO_RCVBUF-after-connect socket
])
def test_socket_buffers_sampled_names_the_pinning_process(tmp_path, module_calls, monkeypatch, name, pinned,
                                                          process):
    calls = ss_reads(monkeypatch, name)
    monkeypatch.setattr(netstat_facts, 'time', FakeTime())
    # the lab's reads were 10 s apart
    ok, result = run({'proc_path': build_proc(tmp_path, sysctls=LAB_SYSCTLS), 'socket_buffers': True,
                      'sample_seconds': 10}, keep=[calls])
    assert ok, result
    assert len(calls) == 2
    got = result['ansible_facts']['netstat']['socket_buffers']
    assert got['pinned'] == pinned
    assert got['unlocked_wscale'] == 9
    if process:
        assert got['pinned_groups'][0]['process'] == process and got['pinned_groups'][0]['pid'] > 0
    else:
        assert got['pinned_groups'] == []
    # the queues over both reads
    assert got['queues']['reads'] == 2 and got['queues']['sockets'] == 26


def test_socket_buffers_bad_ss_output_only_warns(tmp_path, module_calls, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: '/usr/sbin/ss')
    bad = 'Recv-Q Send-Q Local Address:Port Peer Address:Port\n0 0 a:1 b:2\n\t wscale:7,99\n'
    monkeypatch.setattr(basic.AnsibleModule, 'run_command', lambda self, args, **kw: (0, bad, ''))
    ok, result = run({'proc_path': build_proc(tmp_path), 'socket_buffers': True})
    assert ok, result
    assert 'socket_buffers' not in result['ansible_facts']['netstat']
    assert 'window scale 7,99 is above 14, socket buffers not reported' in module_calls[0]


def test_socket_buffers_output_is_bounded(tmp_path, module_calls, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: '/usr/sbin/ss')
    monkeypatch.setattr(procread, 'MAX_SS_BYTES', 100)
    monkeypatch.setattr(basic.AnsibleModule, 'run_command', lambda self, args, **kw: (0, ss_output(), ''))
    ok, result = run({'proc_path': build_proc(tmp_path), 'socket_buffers': True})
    assert ok and 'socket_buffers' not in result['ansible_facts']['netstat']
    assert 'printed more than 100 bytes' in module_calls[0]


def test_socket_buffers_without_ss(tmp_path, module_calls, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: None)
    ok, result = run({'proc_path': build_proc(tmp_path), 'socket_buffers': True})
    assert ok
    assert 'socket_buffers' not in result['ansible_facts']['netstat']
    assert module_calls == ['socket_buffers: ss (iproute2) is not installed, socket buffers not reported']


def test_socket_buffers_ss_fails(tmp_path, module_calls, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: '/usr/sbin/ss')
    monkeypatch.setattr(basic.AnsibleModule, 'run_command', lambda self, args, **kw: (1, '', 'boom'))
    ok, result = run({'proc_path': build_proc(tmp_path), 'socket_buffers': True})
    assert ok
    assert 'socket_buffers' not in result['ansible_facts']['netstat']
    assert 'exited 1: boom' in module_calls[0]


def test_socket_buffers_without_tcp_rmem(tmp_path, module_calls, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, *a, **k: '/usr/sbin/ss')
    monkeypatch.setattr(basic.AnsibleModule, 'run_command', lambda self, args, **kw: (0, ss_output(), ''))
    proc = build_proc(tmp_path, sysctls={'net.core.somaxconn': ('1\n', 0o644)})
    ok, result = run({'proc_path': proc, 'socket_buffers': True})
    assert ok
    assert 'socket_buffers' not in result['ansible_facts']['netstat']
    assert 'tcp_rmem cannot be read' in module_calls[0]


# ---------------------------------------------------------------- the live system

@pytest.mark.skipif(not os.path.exists('/proc/net/netstat'), reason='needs Linux /proc')
def test_live_proc(module_calls):
    ok, result = run({})
    assert ok, result
    facts = result['ansible_facts']['netstat']
    assert 'InSegs' in facts['counters']['Tcp']
    assert facts['metrics']['in_segs'] == facts['counters']['Tcp']['InSegs']
    assert facts['boot_id']
