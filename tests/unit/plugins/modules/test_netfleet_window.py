# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netfleet_window: one window in two calls (start, end), the record, and the baseline the host keeps."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat

import pytest

from ansible.module_utils import basic
from ansible_collections.netfleet.tuning.plugins.module_utils import procread, records
from ansible_collections.netfleet.tuning.plugins.modules import netfleet_window
# the fake /proc trees, the ss fixture and the module harness of the netstat_facts tests (module_runner)
from ansible_collections.netfleet.tuning.tests.unit.plugins.modules import test_netstat_facts as facts_tests
from ansible_collections.netfleet.tuning.tests.unit.plugins.modules.test_netstat_facts import (
    BOOT_ID, LAB_SYSCTLS, ExitJson, FailJson, FakeTime, build_proc, bump, run_main, ss_output, ss_reads,
    write,
)

# exit_json/fail_json raise, warnings recorded
module_calls = facts_tests.module_calls


@pytest.fixture(autouse=True)
def trust_tmp(monkeypatch, tmp_path):
    # the state directory's parents are checked from tmp_path down (/tmp itself is 1777)
    monkeypatch.setattr(netfleet_window, 'TRUST_ANCHOR', str(tmp_path))


@pytest.fixture
def clock(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(procread, 'time', fake)
    return fake


@pytest.fixture
def ss(monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda self, name, *args, **kwargs: '/usr/sbin/ss')
    monkeypatch.setattr(basic.AnsibleModule, 'run_command', lambda self, args, **kwargs: (0, ss_output(), ''))


class Host(object):
    """A fake host: a /proc tree and a state directory under tmp_path."""

    def __init__(self, tmp_path, clock, sysctls=None):
        self.clock = clock
        self.proc = build_proc(tmp_path, sysctls=sysctls)
        self.state_dir = str(tmp_path / 'var' / 'lib' / 'netfleet-tuning')
        self.baseline = os.path.join(self.state_dir, 'baseline.json')
        # what the test reads after a run besides the clock (module_runner.run_main's keep)
        self.keep = []

    def run(self, expect_fail=False, **args):
        params = dict(proc_path=self.proc, state_dir=self.state_dir)
        params.update(args)
        with pytest.raises(FailJson if expect_fail else ExitJson) as info:
            run_main(netfleet_window.main, params, keep=[self.clock] + self.keep)
        return info.value.args[0]

    def start(self, **args):
        result = self.run(phase='start', **args)
        # the start travels through the controller as JSON
        return result, json.loads(json.dumps(result['start']))

    def window(self, seconds=5, traffic=None, start_args=None, **end_args):
        start = self.start(**(start_args or {}))[1]
        self.clock.now += seconds
        if traffic:
            traffic()
        return self.run(phase='end', start=start, **end_args)

    def set_netns(self, identity):
        ns = os.path.join(self.proc, 'self', 'ns')
        if not os.path.isdir(ns):
            os.makedirs(ns)
        if os.path.lexists(os.path.join(ns, 'net')):
            os.unlink(os.path.join(ns, 'net'))
        os.symlink(identity, os.path.join(ns, 'net'))


@pytest.fixture
def host(tmp_path, module_calls, clock):
    return Host(tmp_path, clock)


def traffic_on(host):
    def traffic():
        bump(host.proc, 'TcpExt.PruneCalled', 40)
        bump(host.proc, 'TcpExt.TCPRcvCollapsed', 2000)
        bump(host.proc, 'Tcp.InSegs', 200000)
    return traffic


# ---------------------------------------------------------------- phase=start

def test_start_is_compact_and_changes_nothing(host, tmp_path):
    result, start = host.start()
    assert result['changed'] is False
    assert sorted(result) == ['changed', 'start']
    assert sorted(start) == ['boot_id', 'collected_at', 'metrics', 'monotonic', 'netns']
    assert start['boot_id'] == BOOT_ID
    assert start['monotonic'] == 1000.0
    assert start['metrics'] == {'prune_called': 0, 'rcv_collapsed': 0, 'rcv_pruned': 0, 'ofo_pruned': 0,
                                'backlog_drop': 0, 'rcvq_drop': 0, 'softnet_dropped': 0, 'memory_pressures': 0,
                                'memory_pressure_ms': 0, 'retrans_segs': 0, 'lost_retransmit': 0, 'timeouts': 2,
                                'listen_overflows': 0, 'listen_drops': 0, 'in_segs': 2223, 'out_segs': 1997}
    # held on the controller for every host of the fleet: the 16 metrics and a few ids, nothing more
    assert len(json.dumps(start)) < 500
    assert not os.path.exists(host.state_dir)


def test_start_with_socket_buffers_keeps_only_sockets_the_rule_may_name(host, ss):
    start = host.start(socket_buffers=True)[1]
    # the fixture: six sockets, one pinned before connect (rb8192, receive window scale 0 where an unlocked
    # socket gets 7)
    assert start['sockets'] == [{'local': '127.0.0.1:56644', 'peer': '127.0.0.1:37931', 'skmem': {'rb': 8192},
                                 'bytes_received': 3000}]
    # and the first read's queues: seven numbers, whatever the number of sockets
    assert start['queues'] == {'reads': 1, 'sockets': 6, 'recv_q_max': 3000, 'recv_q_p99': 3000, 'send_q_max': 952,
                               'send_q_p99': 952, 'at_rcvbuf_limit': 0}
    assert len(json.dumps(start)) < 760


def test_start_in_check_mode_reads(host):
    result, start = host.start(_ansible_check_mode=True)
    assert result['changed'] is False and start['metrics']['in_segs'] == 2223


def test_start_warns_on_missing_file(host, module_calls):
    os.remove(os.path.join(host.proc, 'net', 'snmp6'))
    start = host.start()[1]
    assert module_calls == ['%s is missing: its counters are not reported' % os.path.join(host.proc, 'net/snmp6')]


@pytest.mark.skipif(not os.path.exists('/proc/net/netstat'), reason='needs Linux /proc')
def test_start_of_the_live_proc_is_small(module_calls):
    with pytest.raises(ExitJson) as info:
        run_main(netfleet_window.main, {'phase': 'start', 'state_dir': '/nonexistent/netfleet-tuning'})
    start = info.value.args[0]['start']
    assert start['boot_id'] and start['metrics']['in_segs'] >= 0
    assert len(json.dumps(start)) < 1024


# ---------------------------------------------------------------- phase=end

def test_window_round_trip(host):
    result = host.window(traffic=traffic_on(host), kind='baseline', host='web1')
    assert result['changed'] is False
    assert result['stored'] is None
    assert result['window_seconds'] == 5.0
    record = result['record']
    assert record['schema'] == records.BASELINE_SCHEMA == 'netfleet.tuning/baseline/1'
    assert record['kind'] == 'baseline' and record['host'] == 'web1'
    assert record['boot_id'] == BOOT_ID
    assert record['recorded_epoch'] == records.parse_time(record['recorded_at'])
    window = record['window']
    assert sorted(window) == ['in_segs', 'invalid_reason', 'metrics', 'seconds', 'valid']
    assert window['valid'] is True and window['invalid_reason'] is None
    assert window['seconds'] == 5.0 and window['in_segs'] == 200000
    assert window['metrics']['prune_called'] == {'delta': 40, 'per_second': 8.0, 'per_million_segs': 200.0}
    assert window['metrics']['rcv_collapsed'] == {'delta': 2000, 'per_second': 400.0, 'per_million_segs': 10000.0}
    assert record['metrics_end']['prune_called'] == 40
    assert record['metrics_end']['in_segs'] == 202223
    assert record['sysctl']['net.ipv4.tcp_rmem'] == {'value': '4096 131072 6291456', 'scope': 'netns'}
    assert record['socket_buffers'] is None
    # the fake host is a child network namespace: the host's TCP memory without a state, and why
    assert record['tcp_memory']['pages'] == 17 and record['tcp_memory']['state'] is None
    assert 'not visible in this network namespace' in record['tcp_memory']['note']
    assert records.decode_record(json.dumps(record), 'test') == record


def test_record_says_whether_the_host_was_in_pressure_at_the_end(tmp_path, module_calls, clock):
    host = Host(tmp_path, clock, sysctls={'net.core.somaxconn': ('4096\n', 0o644),
                                          'net.ipv4.tcp_rmem': ('4096\t131072\t6291456\n', 0o644),
                                          'net.ipv4.tcp_mem': ('287901\t383868\t575802\n', 0o644)})
    write(host.proc, 'sys/net/core/netdev_max_backlog', '1000\n')        # the initial namespace

    def pressure():
        with open(os.path.join(host.proc, 'net', 'sockstat')) as handle:
            text = handle.read()
        write(host.proc, 'net/sockstat', text.replace(' mem 17\n', ' mem 400000\n'))
    record = host.window(traffic=pressure)['record']
    # the end of the window, not its start
    assert record['tcp_memory']['pages'] == 400000 and record['tcp_memory']['state'] == 'pressure'
    assert record['tcp_memory']['tcp_mem'] == {'low': 287901, 'pressure': 383868, 'high': 575802}
    assert records.decode_record(json.dumps(record), 'test') == record


def test_record_has_the_shape_of_sample_record(host):
    # the controller filter that built the records before this module (their files still read)
    netfleet_filter = pytest.importorskip('ansible_collections.netfleet.tuning.plugins.filter.netfleet')
    if not hasattr(netfleet_filter, 'sample_record'):
        pytest.skip('the sample_record filter is gone')
    record = host.window()['record']
    facts = {'collected_at': record['recorded_at'], 'rates': dict(record['window'], counters={})}
    old = netfleet_filter.sample_record(facts, 'web1', 'verify')
    assert sorted(set(record) - set(records.RECORD_OPTIONAL)) == sorted(old)
    assert sorted(record['window']) == sorted(old['window'])
    # a record from the controller files of earlier runs still reads
    records.decode_record(dict(old, metrics_end={}, sysctl={}), 'old')


def test_sysctls_option(host):
    record = host.window(sysctls=['net.ipv4.tcp_rmem'])['record']
    assert record['sysctl'] == {'net.ipv4.tcp_rmem': {'value': '4096 131072 6291456', 'scope': 'netns'}}


def test_socket_buffers_idle_pinned_socket_is_not_named(host, ss):
    record = host.window(start_args={'socket_buffers': True}, socket_buffers=True)['record']
    got = record['socket_buffers']
    assert got['tcp_rmem_default'] == 131072 and got['pinned_below_default'] == 1
    # the same ss text at both reads: nothing received in between
    assert got['pinned'] == 0 and got['pinned_groups'] == []


@pytest.mark.parametrize('name, pinned', [('pin_65536', 9), ('pin_8192', 9), ('pre_tuning', 0)])
def test_socket_buffers_with_the_labs_two_reads(tmp_path, module_calls, clock, monkeypatch, name, pinned):
    host = Host(tmp_path, clock, sysctls=LAB_SYSCTLS)
    calls = ss_reads(monkeypatch, name)
    host.keep.append(calls)
    record = host.window(seconds=10, start_args={'socket_buffers': True}, socket_buffers=True)['record']
    assert [call[0] for call in calls] == [['/usr/sbin/ss', '-tmipn', 'state', 'established']] * 2
    got = record['socket_buffers']
    assert got['pinned'] == pinned
    if pinned:
        assert got['pinned_groups'][0]['process'] == 'python3'
        assert got['pinned_cases']['locked_at_connect'] == 8
    # the queues of both reads: the first one's travelled in the start as a few numbers
    assert got['queues']['reads'] == 2 and got['queues']['sockets'] == 26
    # the record, with its pinned groups, reads back
    assert records.decode_record(json.dumps(record), 'test') == record


def test_socket_buffers_without_ss_at_start(host, ss):
    start = host.start()[1]             # socket_buffers false at start: no sockets key
    record = host.run(phase='end', start=start, socket_buffers=True)['record']
    assert record['socket_buffers']['pinned_below_default'] == 1
    # no first read of the sockets: the pinned rule cannot run, the queues are the second read's
    assert record['socket_buffers']['pinned'] is None
    assert record['socket_buffers']['queues']['reads'] == 1


def test_start_from_another_boot_is_invalid(host):
    def reboot():
        write(host.proc, 'sys/kernel/random/boot_id', 'another-boot\n')
    window = host.window(traffic=reboot)['record']['window']
    assert window['valid'] is False
    assert 'boot_id changed (%s -> another-boot)' % BOOT_ID in window['invalid_reason']


def test_counter_going_backwards_is_invalid(host):
    bump(host.proc, 'TcpExt.PruneCalled', 100)
    window = host.window(traffic=lambda: bump(host.proc, 'TcpExt.PruneCalled', -90))['record']['window']
    assert window['valid'] is False
    assert window['invalid_reason'] == 'counter went backwards: metric prune_called (100 -> 10)'


def test_network_namespace_recreated_is_invalid(host):
    host.set_netns('net:[4026531840]')
    record = host.window(traffic=lambda: host.set_netns('net:[4026532999]'))['record']
    assert record['netns'] == 'net:[4026532999]'
    assert record['window']['valid'] is False
    assert 'network namespace changed (net:[4026531840] -> net:[4026532999])' in record['window']['invalid_reason']


def test_window_of_zero_seconds_is_invalid(host):
    window = host.window(seconds=0)['record']['window']
    assert window['valid'] is False and 'not positive' in window['invalid_reason']


@pytest.mark.parametrize('change, entry, rule', [
    (lambda start: start['metrics'].update(in_segs='2223'), 'metrics.in_segs', 'type'),
    (lambda start: start['metrics'].update(in_segs=True), 'metrics.in_segs', 'type'),
    (lambda start: start['metrics'].update(in_segs=2.5), 'metrics.in_segs', 'type'),
    (lambda start: start['metrics'].update({'Prune-Called': 1}), 'metrics.Prune-Called', 'name_pattern'),
    (lambda start: start.update(monotonic='1000'), 'monotonic', 'type'),
    (lambda start: start.update(monotonic=float('nan')), 'monotonic', 'finite'),
    (lambda start: start.update(boot_id=7), 'boot_id', 'type'),
    (lambda start: start.update(netns=['net:[1]']), 'netns', 'type'),
    (lambda start: start.update(collected_at='yesterday'), 'collected_at', 'format'),
    (lambda start: start.update(sockets={'local': 'x'}), 'sockets', 'type'),
    (lambda start: start.update(sockets=[{'local': 'a:1', 'peer': 'b:2', 'skmem': {}}]), 'sockets[0].skmem.rb',
     'missing_field'),
    (lambda start: start.update(sockets=['a:1']), 'sockets[0]', 'type'),
    (lambda start: start.update(queues={'reads': 1}), 'queues.sockets', 'missing_field'),
    (lambda start: start.update(queues={'reads': 2, 'sockets': 0, 'recv_q_max': None, 'recv_q_p99': None,
                                        'send_q_max': None, 'send_q_p99': None, 'at_rcvbuf_limit': 0}),
     'queues.reads', 'range'),
    (lambda start: start.update(counters={}), 'counters', 'unknown_field'),
    (lambda start: start.pop('metrics'), 'metrics', 'missing_field'),
])
def test_bad_start_is_refused_naming_entry_and_rule(host, change, entry, rule):
    start = host.start()[1]
    change(start)
    result = host.run(expect_fail=True, phase='end', start=start)
    assert result['entry'] == entry and result['rule'] == rule
    assert ('start: %s: ' % entry) in result['msg'] and ('(rule: %s)' % rule) in result['msg']


def test_start_as_key_value_string_is_refused(host):
    # AnsibleModule turns "k=v" text into a dict of strings: the types still say no
    result = host.run(expect_fail=True, phase='end',
                      start='boot_id=x netns=y monotonic=1000 collected_at=2026-01-15T10:00:00.123Z metrics=1')
    assert result['entry'] == 'monotonic' and result['rule'] == 'type'


def test_end_needs_start(host):
    result = host.run(expect_fail=True, phase='end')
    assert 'start' in result['msg']


@pytest.mark.parametrize('args', [
    {'phase': 'start', 'start': {'boot_id': None}},
    {'phase': 'start', 'store_baseline': True},
    {'phase': 'end', 'start': {'boot_id': None}, 'load_baseline': True},
])
def test_options_of_the_other_phase_are_refused(host, args):
    result = host.run(expect_fail=True, **args)
    assert result['rule'] == 'phase' and 'is not used with phase=' in result['msg']


def test_bad_sysctl_key_fails_at_start(host):
    result = host.run(expect_fail=True, phase='start', sysctls=['net.core.x=1'])
    assert 'net.core.x=1: key must match' in result['msg']


@pytest.mark.parametrize('state_dir, rule', [('relative/dir', 'absolute_path'), ('/proc/netfleet', 'virtual_fs')])
def test_bad_state_dir(host, state_dir, rule):
    result = host.run(expect_fail=True, phase='start', state_dir=state_dir)
    assert result['rule'] == rule


# ---------------------------------------------------------------- the baseline the host keeps

def test_store_and_load_round_trip(host):
    result = host.window(traffic=traffic_on(host), kind='baseline', host='web1',
                         store_baseline=True)
    assert result['changed'] is True
    assert result['stored'] == host.baseline
    assert stat.S_IMODE(os.stat(host.baseline).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(host.state_dir).st_mode) == 0o700
    assert os.listdir(host.state_dir) == ['baseline.json']       # no temporary file left
    with open(host.baseline) as handle:
        assert json.load(handle) == result['record']
    loaded = host.start(load_baseline=True)[0]
    assert loaded['changed'] is False
    assert loaded['baseline_error'] is None
    assert loaded['baseline'] == result['record']


def test_store_in_check_mode_writes_nothing(host):
    result = host.window(store_baseline=True, _ansible_check_mode=True)
    assert result['changed'] is True and result['stored'] is None
    assert not os.path.exists(host.state_dir)


def test_load_without_a_stored_baseline(host):
    loaded = host.start(load_baseline=True)[0]
    assert loaded['baseline'] is None and loaded['baseline_error'] is None
    assert not os.path.exists(host.state_dir)


def stored(host):
    host.window(kind='baseline', store_baseline=True)
    with open(host.baseline) as handle:
        return json.load(handle)


def test_symlinked_baseline_is_refused(host, tmp_path):
    stored(host)
    target = tmp_path / 'elsewhere.json'
    target.write_text(open(host.baseline).read())
    os.unlink(host.baseline)
    os.symlink(str(target), host.baseline)
    loaded, start = host.start(load_baseline=True)
    assert loaded['baseline'] is None
    assert loaded['baseline_error'].startswith('baseline file %s is a symbolic link' % host.baseline)
    assert '(rule: symlink)' in loaded['baseline_error']
    before = target.read_text()
    result = host.run(expect_fail=True, phase='end', start=start, store_baseline=True)
    assert result['rule'] == 'symlink'
    assert os.path.islink(host.baseline) and target.read_text() == before


def test_world_writable_state_dir_is_refused(host):
    stored(host)
    os.chmod(host.state_dir, 0o777)
    loaded, start = host.start(load_baseline=True)
    assert loaded['baseline'] is None
    assert host.state_dir in loaded['baseline_error'] and '(rule: mode)' in loaded['baseline_error']
    assert loaded['baseline_error'].startswith('baseline file %s not read: ' % host.baseline)
    result = host.run(expect_fail=True, phase='end', start=start, store_baseline=True)
    assert result['rule'] == 'mode' and host.state_dir in result['msg']


def test_group_writable_baseline_file_is_refused(host):
    stored(host)
    os.chmod(host.baseline, 0o660)
    loaded = host.start(load_baseline=True)[0]
    assert loaded['baseline'] is None and '(rule: mode)' in loaded['baseline_error']


@pytest.mark.parametrize('tamper, entry, rule', [
    (lambda record: record['window']['metrics']['prune_called'].update(delta='0'),
     'window.metrics.prune_called.delta', 'type'),
    (lambda record: record['window'].update(valid='yes'), 'window.valid', 'type'),
    (lambda record: record.update(kind='restore'), 'kind', 'choice'),
    (lambda record: record.update(path='/etc/shadow'), 'path', 'unknown_field'),
    (lambda record: record['sysctl'].update({'net.ipv4.tcp_rmem': {'value': '1\nnet.x=1', 'scope': 'netns'}}),
     'sysctl.net.ipv4.tcp_rmem.value', 'text'),
    (lambda record: record['sysctl'].update({'kernel.core_pattern': {'value': '|/bin/sh', 'scope': 'netns'}}),
     'sysctl.kernel.core_pattern', 'key_pattern'),
])
def test_tampered_baseline_is_reported_not_obeyed(host, tamper, entry, rule):
    record = stored(host)
    tamper(record)
    with open(host.baseline, 'w') as handle:
        json.dump(record, handle)
    loaded = host.start(load_baseline=True)[0]
    assert loaded['baseline'] is None
    assert loaded['baseline_error'].startswith('%s: %s: ' % (host.baseline, entry))
    assert loaded['baseline_error'].endswith('(rule: %s)' % rule)


def test_baseline_that_is_not_json(host):
    stored(host)
    with open(host.baseline, 'w') as handle:
        handle.write('{"schema": ')
    loaded = host.start(load_baseline=True)[0]
    assert loaded['baseline'] is None and '(rule: format)' in loaded['baseline_error']


def test_oversized_baseline_is_not_read(host):
    stored(host)
    with open(host.baseline, 'w') as handle:
        handle.write(' ' * (records.MAX_RECORD_BYTES + 1))
    loaded = host.start(load_baseline=True)[0]
    assert loaded['baseline'] is None and '(rule: too_large)' in loaded['baseline_error']
