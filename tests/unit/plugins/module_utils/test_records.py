# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""records: the window's start and record, built on the host and checked wherever they are read back."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import json

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.module_utils import records, sockets, tcp_memory
from ansible_collections.netfleet.tuning.plugins.module_utils.records import RecordError

BOOT = '909edf35-58eb-4858-ad76-ccff11ccf7a7'
METRICS = {'prune_called': 10, 'rcv_collapsed': 1000, 'rcv_pruned': 0, 'ofo_pruned': 0, 'backlog_drop': 0,
           'rcvq_drop': 0, 'softnet_dropped': 3, 'in_segs': 10 ** 6}
SYSCTL = {'net.ipv4.tcp_rmem': {'value': '4096 131072 6291456', 'scope': 'netns'},
          'net.core.netdev_max_backlog': {'value': None, 'scope': 'host'},
          'net.ipv4.tcp_collapse_max_bytes': {'value': None, 'scope': 'absent'}}


def snapshot(mono=100.0, boot=BOOT, netns='net:[4026531840]', at='2026-01-15T10:00:00.123Z', **metrics):
    values = dict(METRICS, **metrics)
    return {'boot_id': boot, 'netns': netns, 'monotonic': mono, 'collected_at': at, 'metrics': values,
            'counters': {'Tcp': {'InSegs': values['in_segs'], 'CurrEstab': 3}}, 'sockstat': None, 'softnet': None}


def start_of(**kwargs):
    return json.loads(json.dumps(records.build_start(snapshot(**kwargs))))


def record(**end):
    end.setdefault('mono', 160.5)
    end.setdefault('at', '2026-01-15T10:01:00.623Z')
    end.setdefault('prune_called', 30)
    end.setdefault('in_segs', 2 * 10 ** 6)
    return records.build_record(start_of(), snapshot(**end), SYSCTL, None, 'baseline', 'web1')


# ---------------------------------------------------------------- start

def test_start_is_the_compact_part_of_a_snapshot():
    start = records.build_start(snapshot())
    assert sorted(start) == ['boot_id', 'collected_at', 'metrics', 'monotonic', 'netns']
    assert start['metrics'] == METRICS
    assert records.validate_start(start) == start
    assert len(json.dumps(start)) < 400


def socket_at(port, rb, wscale, received):
    return {'local': '10.0.0.1:%d' % port, 'peer': '10.0.0.2:80', 'skmem': {'rb': rb, 'd': 3}, 'recv_q': 0,
            'send_q': 0, 'rcv_wscale': wscale, 'bytes_received': received, 'processes': [{'name': 'node', 'pid': 7}]}


def test_start_sockets_keep_what_summarize_needs():
    limits = (87380, 16777216, 4194304)         # tcp_rmem default and max, rmem_max
    first = [
        socket_at(40000, 131072, 1, 10),        # pinned before connect: kept
        socket_at(40001, 16384, 9, 10),         # SO_RCVBUF after connect: kept
        socket_at(40002, 600000, 9, 10),        # autotuned: not kept
        socket_at(40003, 500000, 7, 10),        # autotuned, opened before the tuning: not kept
        {'local': '10.0.0.1:40004', 'peer': '10.0.0.2:80', 'recv_q': 0, 'send_q': 0, 'skmem': {}},
    ]
    kept, left_out = records.start_sockets(first, *limits)
    assert kept == [{'local': '10.0.0.1:40000', 'peer': '10.0.0.2:80', 'skmem': {'rb': 131072}, 'bytes_received': 10},
                    {'local': '10.0.0.1:40001', 'peer': '10.0.0.2:80', 'skmem': {'rb': 16384}, 'bytes_received': 10}]
    assert left_out == 0
    # without the tcp_rmem maximum nothing can be judged, nothing is kept
    assert records.start_sockets(first, None) == ([], 0)
    # summarize names the same sockets from the compact list as from the full first read
    second = [dict(entry, bytes_received=10 ** 8) for entry in first]
    kw = dict(tcp_rmem_max=limits[1], rmem_max=limits[2], seconds=10)
    got = sockets.summarize(second, limits[0], earlier=kept, **kw)
    assert got == sockets.summarize(second, limits[0], earlier=first, **kw)
    assert got['pinned'] == 2


def test_start_sockets_are_bounded():
    found = [socket_at(port, 4096, 0, 0) for port in range(1024, 1024 + records.MAX_START_SOCKETS + 5)]
    kept, left_out = records.start_sockets(found, 131072, 6291456, 212992)
    assert len(kept) == records.MAX_START_SOCKETS and left_out == 5
    start = records.build_start(snapshot(), kept)
    assert records.validate_start(start)['sockets'] == kept


@pytest.mark.parametrize('change, entry, rule', [
    (lambda s: s.update(metrics=[]), 'metrics', 'type'),
    (lambda s: s['metrics'].update(in_segs='1'), 'metrics.in_segs', 'type'),
    (lambda s: s['metrics'].update(in_segs=None), 'metrics.in_segs', 'type'),
    (lambda s: s['metrics'].update(in_segs=2 ** 65), 'metrics.in_segs', 'range'),
    (lambda s: s['metrics'].update({'in segs': 1}), 'metrics.in segs', 'name_pattern'),
    (lambda s: s['metrics'].update(dict(('m_%s' % chr(97 + i % 26) * (i // 26 + 1), 0) for i in range(70))),
     'metrics', 'size'),
    (lambda s: s.update(monotonic=True), 'monotonic', 'type'),
    (lambda s: s.update(monotonic=float('inf')), 'monotonic', 'finite'),
    (lambda s: s.update(monotonic=-1.0), 'monotonic', 'range'),
    (lambda s: s.update(boot_id='x' * 200), 'boot_id', 'size'),
    (lambda s: s.update(boot_id='a\nb'), 'boot_id', 'text'),
    (lambda s: s.update(collected_at='2026-13-45T10:00:00.123Z'), 'collected_at', 'format'),
    (lambda s: s.update(collected_at=None), 'collected_at', 'type'),
    (lambda s: s.update(sockets=[{'local': 'a:1', 'peer': 'b:2', 'skmem': {'rb': '4096'}}]), 'sockets[0].skmem.rb',
     'type'),
    (lambda s: s.update(sockets=[{'local': 'a:1', 'peer': 'b:2', 'skmem': {'rb': -1}}]), 'sockets[0].skmem.rb',
     'range'),
    (lambda s: s.update(sockets=[{'local': 'a:1', 'peer': 'b:2', 'skmem': {'rb': 1, 'd': 0}}]),
     'sockets[0].skmem.d', 'unknown_field'),
    (lambda s: s.update(sockets=[{'local': 'a:1', 'peer': 'b:2', 'skmem': {'rb': 1}}] * 5000), 'sockets', 'size'),
    (lambda s: s.update(extra=1), 'extra', 'unknown_field'),
    (lambda s: s.pop('boot_id'), 'boot_id', 'missing_field'),
])
def test_bad_start_names_entry_and_rule(change, entry, rule):
    start = start_of()
    change(start)
    with pytest.raises(RecordError) as info:
        records.validate_start(start)
    assert (info.value.entry, info.value.rule) == (entry, rule)
    assert str(info.value).startswith('start: %s: ' % entry)
    assert str(info.value).endswith('(rule: %s)' % rule)


def test_start_that_is_not_an_object():
    with pytest.raises(RecordError) as info:
        records.validate_start('boot_id=x')
    assert str(info.value) == 'start: must be an object, got str (rule: type)'


# ---------------------------------------------------------------- build_record

def test_record_of_a_valid_window():
    got = record()
    assert sorted(got) == sorted(records.RECORD_FIELDS)
    assert got['schema'] == 'netfleet.tuning/baseline/1'
    assert (got['kind'], got['host'], got['boot_id']) == ('baseline', 'web1', BOOT)
    assert got['recorded_at'] == '2026-01-15T10:01:00.623Z'
    assert got['recorded_epoch'] == 1768471260.623
    window = got['window']
    assert sorted(window) == sorted(records.WINDOW_FIELDS)       # named metrics only, no counters
    assert window['valid'] is True and window['invalid_reason'] is None
    assert window['seconds'] == 60.5 and window['in_segs'] == 10 ** 6
    assert window['metrics']['prune_called'] == {'delta': 20, 'per_second': 20 / 60.5, 'per_million_segs': 20.0}
    assert got['metrics_end']['prune_called'] == 30
    assert got['sysctl'] == SYSCTL and got['socket_buffers'] is None


def test_record_of_another_boot_is_invalid():
    window = record(boot='another-boot')['window']
    assert window['valid'] is False
    assert window['invalid_reason'] == 'boot_id changed (%s -> another-boot): the host rebooted' % BOOT


def test_record_with_a_counter_going_backwards_is_invalid():
    window = record(rcv_collapsed=999)['window']
    assert window['valid'] is False
    assert window['invalid_reason'] == 'counter went backwards: metric rcv_collapsed (1000 -> 999)'


def test_record_of_a_recreated_network_namespace_is_invalid():
    got = record(netns='net:[4026532999]', prune_called=5)
    assert got['netns'] == 'net:[4026532999]'
    assert got['window']['invalid_reason'] == (
        'counter went backwards: metric prune_called (10 -> 5); '
        'network namespace changed (net:[4026531840] -> net:[4026532999]): the counters were reset')


def test_record_without_netns_is_not_judged_on_it():
    window = records.build_record(start_of(netns=None), snapshot(mono=101.0), {}, None, 'verify', None)['window']
    assert window['valid'] is True


def test_build_record_checks_the_start():
    with pytest.raises(RecordError):
        records.build_record(dict(start_of(), monotonic='1'), snapshot(), {}, None, 'verify', None)


# ---------------------------------------------------------------- decode_record

def test_record_round_trips_through_its_text():
    got = record()
    text = records.encode_record(got)
    assert text.endswith('\n') and '\n' not in text[:-1]
    assert records.decode_record(text, 'f') == got
    assert records.decode_record(text.encode('utf-8'), 'f') == got
    assert records.decode_record(got, 'f') == got


QUEUES = {'reads': 1, 'sockets': 12, 'recv_q_max': 128512, 'recv_q_p99': 128512, 'send_q_max': 3782144,
          'send_q_p99': 3782144, 'at_rcvbuf_limit': 3}


def test_start_carries_the_first_reads_queues():
    start = records.build_start(snapshot(), [], dict(QUEUES))
    assert start['queues'] == QUEUES
    assert records.validate_start(json.loads(json.dumps(start))) == start
    # no socket in the first read: the peaks are null
    empty = sockets.read_queues([])
    assert records.validate_start(records.build_start(snapshot(), [], empty))['queues'] == empty


@pytest.mark.parametrize('change, entry, rule', [
    (lambda q: q.update(reads=2), 'queues.reads', 'range'),
    (lambda q: q.update(sockets='12'), 'queues.sockets', 'type'),
    (lambda q: q.update(sockets=-1), 'queues.sockets', 'range'),
    (lambda q: q.update(recv_q_max=2 ** 65), 'queues.recv_q_max', 'range'),
    (lambda q: q.update(recv_q_p99=None), 'queues.recv_q_p99', 'consistency'),
    (lambda q: q.update(send_q_p99=3782145), 'queues.send_q_p99', 'consistency'),
    (lambda q: q.update(at_rcvbuf_limit=13), 'queues.at_rcvbuf_limit', 'consistency'),
    (lambda q: q.update(sockets=0, at_rcvbuf_limit=0), 'queues.recv_q_max', 'consistency'),
    (lambda q: q.pop('send_q_max'), 'queues.send_q_max', 'missing_field'),
    (lambda q: q.update(sockets_list=[]), 'queues.sockets_list', 'unknown_field'),
])
def test_bad_start_queues_name_entry_and_rule(change, entry, rule):
    start = start_of()
    start['queues'] = dict(QUEUES)
    change(start['queues'])
    with pytest.raises(RecordError) as info:
        records.validate_start(start)
    assert (info.value.entry, info.value.rule) == (entry, rule)


def tcp_memory_fact(pages=400000, value='287901 383868 575802', scope='netns'):
    return tcp_memory.summarize({'TCP': {'mem': pages}}, {'value': value, 'scope': scope}, 4096)


@pytest.mark.parametrize('fact', [
    tcp_memory_fact(),                                       # in pressure
    tcp_memory_fact(pages=300000),                           # between, with its note
    tcp_memory_fact(pages=2660, value=None, scope='host'),   # a child network namespace: no state, the note
    tcp_memory.summarize(None, None, 4096),                  # nothing known
])
def test_record_with_tcp_memory_round_trips(fact):
    got = records.build_record(start_of(), snapshot(mono=110.0), SYSCTL, None, 'verify', 'web1', tcp_memory=fact)
    assert got['tcp_memory'] == fact
    assert records.decode_record(records.encode_record(got), 'f') == got


def test_record_with_queues_round_trips():
    found = sockets.parse_ss('Recv-Q Send-Q Local Address:Port Peer Address:Port\n'
                             '500 7 10.0.0.1:40000 10.0.0.2:80\n\t skmem:(r7500,rb8192,t0,tb46080,f0,w0,o0,bl0,d2)\n')
    summary = sockets.summarize(found, 131072, earlier=found, seconds=1, earlier_queues=dict(QUEUES))
    assert summary['queues'] == {'reads': 2, 'sockets': 13, 'recv_q_max': 128512, 'recv_q_p99': 128512,
                                 'send_q_max': 3782144, 'send_q_p99': 3782144, 'at_rcvbuf_limit': 4}
    got = records.build_record(start_of(), snapshot(mono=110.0), SYSCTL, summary, 'verify', 'web1')
    assert records.decode_record(records.encode_record(got), 'f') == got


def test_record_from_before_issue_14_still_reads():
    """No tcp_memory, no socket_buffers.queues: decodes to itself, nothing added."""
    old = record()
    assert 'tcp_memory' not in old
    buffers = sockets.summarize([], 131072)
    del buffers['queues']
    old['socket_buffers'] = buffers
    got = records.decode_record(json.loads(records.encode_record(old)), 'f')
    assert got == old and 'tcp_memory' not in got and 'queues' not in got['socket_buffers']


def test_record_with_socket_buffers_round_trips():
    found = sockets.parse_ss('Recv-Q Send-Q Local Address:Port Peer Address:Port\n'
                             '0 0 10.0.0.1:40000 10.0.0.2:80\n\t skmem:(r0,rb8192,t0,tb46080,f0,w0,o0,bl0,d2)\n')
    summary = sockets.summarize(found, 131072, earlier=found)
    got = records.build_record(start_of(), snapshot(mono=110.0), SYSCTL, summary, 'verify', 'web1')
    assert records.decode_record(records.encode_record(got), 'f') == got
    # with pinned groups (process, pid)
    second = [socket_at(40000, 131072, 1, 10 ** 8)]
    summary = sockets.summarize(second, 87380, earlier=[socket_at(40000, 131072, 1, 0)], tcp_rmem_max=16777216,
                                rmem_max=4194304, seconds=10)
    assert summary['pinned_groups'][0]['process'] == 'node'
    got = records.build_record(start_of(), snapshot(mono=110.0), SYSCTL, summary, 'verify', 'web1')
    assert records.decode_record(records.encode_record(got), 'f') == got


def test_record_from_before_the_pinned_rule_still_reads():
    old = {'rule': 'r', 'tcp_rmem_default': 131072, 'established': 1, 'with_rb': 1, 'pinned_below_default': 1,
           'pinned_drops': 0, 'pinned_stable': 1,
           'offenders': [{'local': 'a:*', 'peer': 'b:1', 'sockets': 1, 'rb_min': 1, 'rb_max': 1, 'drops': 0}]}
    got = dict(record(), socket_buffers=old)
    assert records.decode_record(got, 'f')['socket_buffers'] == old


def pinned_summary():
    return sockets.summarize([socket_at(40000, 131072, 1, 10 ** 8)], 87380,
                             earlier=[socket_at(40000, 131072, 1, 0)], tcp_rmem_max=16777216, rmem_max=4194304,
                             seconds=10)


def test_record_with_read_error_and_no_window_decodes():
    got = dict(record(), window=None,
               sysctl={'net.ipv4.tcp_rmem': {'value': None, 'scope': 'netns', 'error': 'cannot read x: denied'}})
    assert records.decode_record(got, 'f') == got


def tampered(change):
    raw = copy.deepcopy(record())
    change(raw)
    return raw


@pytest.mark.parametrize('change, entry, rule', [
    (lambda r: r.update(schema='netfleet.tuning/baseline/2'), 'schema', 'schema'),
    (lambda r: r.update(kind='rollback'), 'kind', 'choice'),
    (lambda r: r.update(extra=1), 'extra', 'unknown_field'),
    (lambda r: r.pop('sysctl'), 'sysctl', 'missing_field'),
    (lambda r: r.update(host=['web1']), 'host', 'type'),
    (lambda r: r.update(host='w' * 2000), 'host', 'size'),
    (lambda r: r.update(recorded_at='2026-01-15 10:01:00'), 'recorded_at', 'format'),
    (lambda r: r.update(recorded_epoch='1768471260'), 'recorded_epoch', 'type'),
    (lambda r: r.update(recorded_epoch=1.0), 'recorded_epoch', 'consistency'),
    (lambda r: r.update(window=[]), 'window', 'type'),
    (lambda r: r['window'].update(seconds='60'), 'window.seconds', 'type'),
    (lambda r: r['window'].update(valid=1), 'window.valid', 'type'),
    (lambda r: r['window'].update(in_segs=1.5), 'window.in_segs', 'type'),
    (lambda r: r['window'].update(invalid_reason='reset'), 'window.invalid_reason', 'consistency'),
    (lambda r: r['window'].update(valid=False), 'window.invalid_reason', 'consistency'),
    (lambda r: r['window'].update(counters={}), 'window.counters', 'unknown_field'),
    (lambda r: r['window']['metrics'].update({'PruneCalled': r['window']['metrics']['prune_called']}),
     'window.metrics.PruneCalled', 'name_pattern'),
    (lambda r: r['window']['metrics']['prune_called'].update(delta=20.0), 'window.metrics.prune_called.delta', 'type'),
    (lambda r: r['window']['metrics']['prune_called'].update(per_second=True),
     'window.metrics.prune_called.per_second', 'type'),
    (lambda r: r['window']['metrics']['prune_called'].pop('per_million_segs'),
     'window.metrics.prune_called.per_million_segs', 'missing_field'),
    (lambda r: r['metrics_end'].update(prune_called='30'), 'metrics_end.prune_called', 'type'),
    (lambda r: r['sysctl'].update({'net.ipv4.tcp_rmem': {'value': 4096, 'scope': 'netns'}}),
     'sysctl.net.ipv4.tcp_rmem.value', 'type'),
    (lambda r: r['sysctl'].update({'net.ipv4.tcp_rmem': {'value': '1', 'scope': 'global'}}),
     'sysctl.net.ipv4.tcp_rmem.scope', 'choice'),
    (lambda r: r['sysctl'].update({'net.ipv4.tcp_rmem': {'value': '1', 'scope': 'netns', 'apply': True}}),
     'sysctl.net.ipv4.tcp_rmem.apply', 'unknown_field'),
    (lambda r: r['sysctl'].update({'net/../../etc': {'value': '1', 'scope': 'netns'}}),
     'sysctl.net/../../etc', 'key_pattern'),
    (lambda r: r.update(socket_buffers={'rule': 'x'}), 'socket_buffers.tcp_rmem_default', 'missing_field'),
    (lambda r: r.update(socket_buffers=dict(sockets.summarize([], 131072), offenders=[{}] * 101)),
     'socket_buffers.offenders', 'size'),
    (lambda r: r.update(socket_buffers=dict(sockets.summarize([], 131072), established=-1)),
     'socket_buffers.established', 'range'),
    (lambda r: r.update(socket_buffers=dict(pinned_summary(), pinned='1')), 'socket_buffers.pinned', 'type'),
    (lambda r: r.update(socket_buffers=dict(pinned_summary(), pinned_cases={'other': 1})),
     'socket_buffers.pinned_cases.other', 'unknown_field'),
    (lambda r: r.update(socket_buffers=dict(pinned_summary(), pinned_groups={})),
     'socket_buffers.pinned_groups', 'type'),
    (lambda r: r.update(socket_buffers=dict(pinned_summary(), pinned_groups=[{}] * 101)),
     'socket_buffers.pinned_groups', 'size'),
    (lambda r: r.update(socket_buffers=dict(pinned_summary(), pinned_groups=[
        dict(pinned_summary()['pinned_groups'][0], process='evil\n<script>')])),
     'socket_buffers.pinned_groups[0].process', 'text'),
    (lambda r: r.update(socket_buffers=dict(pinned_summary(), pinned_groups=[
        dict(pinned_summary()['pinned_groups'][0], process='x' * 65)])),
     'socket_buffers.pinned_groups[0].process', 'size'),
    (lambda r: r.update(socket_buffers=dict(pinned_summary(), pinned_groups=[
        dict(pinned_summary()['pinned_groups'][0], case='guess')])),
     'socket_buffers.pinned_groups[0].case', 'choice'),
    (lambda r: r.update(socket_buffers=dict(pinned_summary(), pinned_groups=[
        dict(pinned_summary()['pinned_groups'][0], pid=-1)])),
     'socket_buffers.pinned_groups[0].pid', 'range'),
    (lambda r: r.update(socket_buffers=dict(pinned_summary(), queues=dict(QUEUES, reads=3))),
     'socket_buffers.queues.reads', 'range'),
    (lambda r: r.update(socket_buffers=dict(pinned_summary(), queues=dict(QUEUES, recv_q_p99=10 ** 6))),
     'socket_buffers.queues.recv_q_p99', 'consistency'),
    (lambda r: r.update(socket_buffers=dict(pinned_summary(), queues=[])), 'socket_buffers.queues', 'type'),
    (lambda r: r.update(tcp_memory=[]), 'tcp_memory', 'type'),
    (lambda r: r.update(tcp_memory=dict(tcp_memory_fact(), extra=1)), 'tcp_memory.extra', 'unknown_field'),
    (lambda r: r.update(tcp_memory=dict(tcp_memory_fact(), pages='400000')), 'tcp_memory.pages', 'type'),
    (lambda r: r.update(tcp_memory=dict(tcp_memory_fact(), page_size=0)), 'tcp_memory.page_size', 'range'),
    (lambda r: r.update(tcp_memory=dict(tcp_memory_fact(), bytes=1)), 'tcp_memory.bytes', 'consistency'),
    (lambda r: r.update(tcp_memory=dict(tcp_memory_fact(), scope='netns')), 'tcp_memory.scope', 'choice'),
    (lambda r: r.update(tcp_memory=dict(tcp_memory_fact(), state='calm')), 'tcp_memory.state', 'choice'),
    # the state is recomputed from the pages and the limits: a record cannot say "below_low" at 400000 pages
    (lambda r: r.update(tcp_memory=dict(tcp_memory_fact(), state='below_low')), 'tcp_memory.state', 'consistency'),
    (lambda r: r.update(tcp_memory=dict(tcp_memory_fact(value=None, scope='host'), state='pressure')),
     'tcp_memory.state', 'consistency'),
    (lambda r: r.update(tcp_memory=dict(tcp_memory_fact(value=None, scope='host'), note=None)),
     'tcp_memory.note', 'consistency'),
    (lambda r: r.update(tcp_memory=dict(tcp_memory_fact(), note='a\nb')), 'tcp_memory.note', 'text'),
    (lambda r: r.update(tcp_memory=dict(tcp_memory_fact(), tcp_mem={'low': -1, 'pressure': 2, 'high': 3})),
     'tcp_memory.tcp_mem.low', 'range'),
    (lambda r: r.update(tcp_memory=dict(tcp_memory_fact(), tcp_mem_bytes=None)), 'tcp_memory.tcp_mem_bytes',
     'consistency'),
])
def test_tampered_record_names_source_entry_and_rule(change, entry, rule):
    with pytest.raises(RecordError) as info:
        records.decode_record(tampered(change), '/var/lib/netfleet-tuning/baseline.json')
    assert (info.value.entry, info.value.rule) == (entry, rule)
    assert str(info.value).startswith('/var/lib/netfleet-tuning/baseline.json: %s: ' % entry)
    assert info.value.rules == [rule]


@pytest.mark.parametrize('text, rule', [
    ('{"schema": ', 'format'),
    ('[]', 'type'),
    (' ' * (records.MAX_RECORD_BYTES + 1), 'size'),
    (b'\xff\xfe', 'format'),
])
def test_record_text_that_is_not_a_record(text, rule):
    with pytest.raises(RecordError) as info:
        records.decode_record(text, 'f')
    assert info.value.rule == rule and info.value.entry is None


def test_not_a_number_in_the_text_is_refused():
    text = records.encode_record(record()).replace('"seconds":60.5', '"seconds":NaN')
    with pytest.raises(RecordError) as info:
        records.decode_record(text, 'f')
    assert (info.value.entry, info.value.rule) == ('window.seconds', 'finite')


def test_an_integer_where_a_float_is_expected_is_a_number():
    raw = tampered(lambda r: r['window'].update(seconds=60))
    assert records.decode_record(raw, 'f')['window']['seconds'] == 60.0


def test_encode_refuses_what_json_cannot_say():
    with pytest.raises(ValueError):
        records.encode_record(dict(record(), recorded_epoch=float('nan')))


@pytest.mark.parametrize('text, epoch', [
    ('2026-01-15T10:01:00.623Z', 1768471260.623),
    ('2026-01-15T10:01:00Z', 1768471260.0),
    ('2026-01-15T10:01:00', None),
    ('2026-02-30T10:01:00Z', None),
    (None, None),
])
def test_parse_time(text, epoch):
    assert records.parse_time(text) == epoch


# ---------------------------------------------------------------- any window

counts = st.integers(min_value=0, max_value=2 ** 63)


@settings(max_examples=200, deadline=None)
@given(before=st.dictionaries(st.sampled_from(sorted(METRICS)), counts),
       after=st.dictionaries(st.sampled_from(sorted(METRICS)), counts),
       seconds=st.floats(min_value=-10, max_value=1e6, allow_nan=False),
       same_boot=st.booleans())
def test_every_built_record_decodes_to_itself(before, after, seconds, same_boot):
    start = records.build_start(dict(snapshot(), metrics=before))
    end = dict(snapshot(mono=100.0 + seconds, boot=BOOT if same_boot else 'other'), metrics=after)
    got = records.build_record(start, end, SYSCTL, None, 'verify', 'h')
    assert records.decode_record(records.encode_record(got), 'f') == got
    assert got['window']['valid'] is (same_boot and (100.0 + seconds) - 100.0 > 0 and all(
        after[name] >= before[name] for name in set(before) & set(after)))
