# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""watch_view: the watch's settings, its chained windows and the table of one round (worst hosts first, bounded,
fixed width; a reset window is never a number)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.netfleet.tuning.plugins.module_utils import records
from ansible_collections.netfleet.tuning.plugins.plugin_utils import watch_view
from ansible_collections.netfleet.tuning.plugins.plugin_utils.watch_view import (
    MAX_HOST_WIDTH, WatchError, build_round, next_start, next_starts, render_round, validate_settings, watch_round)

NOW = 1768471260.0  # 2026-01-15 10:01:00 UTC
BOOT = '909edf35-58eb-4858-ad76-ccff11ccf7a7'
NETNS = 'net:[4026532249]'


# ------------------------------------------------------------------------------------------------ helpers

def snapshot(monotonic, at, metrics, boot=BOOT, netns=NETNS):
    """What procread.read_snapshot gives records.build_start / build_record (the parts they read)."""
    return {'boot_id': boot, 'netns': netns, 'monotonic': monotonic, 'collected_at': at, 'metrics': dict(metrics)}


def counters(prune=0, collapse=0, in_segs=0, out_segs=0, retrans=0, pressures=0):
    return {'prune_called': prune, 'rcv_collapsed': collapse, 'in_segs': in_segs, 'out_segs': out_segs,
            'retrans_segs': retrans, 'memory_pressures': pressures}


def window_result(prune=0.0, collapse=0.0, in_segs=10000, seconds=5.0, state=None, pressures=0, retrans=0,
                  out_segs=5000, drop=(), boot=BOOT, tcp_memory=True):
    """The registered result of a netfleet_window phase=end call: a real record (records.build_record) of a window
    of ``seconds`` with these per-second rates; ``drop``: metrics the kernel lacks."""
    start_metrics = counters(100, 1000, 50000, 40000, 10, 1)
    end_metrics = counters(100 + int(prune * seconds), 1000 + int(collapse * seconds), 50000 + in_segs,
                           40000 + out_segs, 10 + retrans, 1 + pressures)
    for name in drop:
        start_metrics.pop(name)
        end_metrics.pop(name)
    start = records.build_start(snapshot(100.0, '2026-01-15T10:00:55.000Z', start_metrics))
    end = snapshot(100.0 + seconds, '2026-01-15T10:01:00.000Z', end_metrics, boot=boot)
    memory = None
    if tcp_memory:
        memory = {'pages': 45, 'bytes': 184320, 'page_size': 4096, 'tcp_mem': None, 'tcp_mem_bytes': None,
                  'state': state, 'scope': 'host', 'note': None if state else 'not visible in a child namespace'}
    record = records.build_record(start, end, {}, None, 'verify', 'h', tcp_memory=memory)
    return {'changed': False, 'failed': False, 'record': record, 'window_seconds': seconds, 'stored': None}, start


def results_of(**hosts):
    return dict((name, value[0] if isinstance(value, tuple) else value) for name, value in hosts.items())


def table(lines):
    """The table's lines of a round: the column header and the host rows (after the round's header line)."""
    return [line for line in lines[1:] if not line.startswith(('... ', 'reset: ', 'not read: '))]


# ------------------------------------------------------------------------------------------------ settings

def test_settings_defaults_and_strings_as_extra_vars_give_them():
    assert validate_settings() == {'rounds': 12, 'seconds': 5, 'top': 20, 'hosts': 'all', 'bound_seconds': 60,
                                   'summary': '12 round(s) of 5 s, worst 20 hosts per round'}
    got = validate_settings('720', ' 5 ', 3.0, ['web', 'db'])
    assert (got['rounds'], got['seconds'], got['top'], got['hosts'], got['bound_seconds']) == (720, 5, 3, ['web', 'db'],
                                                                                               3600)


@pytest.mark.parametrize('kwargs, variable, rule', [
    ({'rounds': 0}, 'netfleet_watch_rounds', 'an integer from 1 to 720'),
    ({'rounds': 721}, 'netfleet_watch_rounds', 'an integer from 1 to 720'),
    ({'rounds': 'ten'}, 'netfleet_watch_rounds', 'an integer from 1 to 720'),
    ({'rounds': True}, 'netfleet_watch_rounds', 'an integer from 1 to 720'),
    ({'rounds': 2.5}, 'netfleet_watch_rounds', 'an integer from 1 to 720'),
    ({'seconds': 0}, 'netfleet_watch_seconds', 'an integer from 1 to 300'),
    ({'seconds': 301}, 'netfleet_watch_seconds', 'an integer from 1 to 300'),
    ({'seconds': '-1'}, 'netfleet_watch_seconds', 'an integer from 1 to 300'),
    ({'top': 0}, 'netfleet_watch_top', 'an integer from 1 to 1000'),
    ({'top': [20]}, 'netfleet_watch_top', 'an integer from 1 to 1000'),
    ({'hosts': ''}, 'netfleet_hosts', 'a host pattern'),
    ({'hosts': []}, 'netfleet_hosts', 'a host pattern'),
    ({'hosts': ['web', 3]}, 'netfleet_hosts', 'a host pattern'),
    ({'rounds': 720, 'seconds': 6}, 'netfleet_watch_rounds x netfleet_watch_seconds', 'at most 3600 s'),
])
def test_settings_fail_naming_the_variable_and_its_rule(kwargs, variable, rule):
    with pytest.raises(WatchError) as caught:
        validate_settings(**kwargs)
    message = str(caught.value)
    assert message.startswith(variable + ' must ') and rule in message and ', got ' in message


def test_the_bound_says_the_product():
    with pytest.raises(WatchError, match=r'got 720 x 300 = 216000 s'):
        validate_settings(720, 300)
    assert validate_settings(12, 300)['bound_seconds'] == 3600


# ------------------------------------------------------------------------------------------ chained windows

def test_a_first_read_gives_its_start():
    start = records.build_start(snapshot(10.0, '2026-01-15T10:00:00.000Z', counters(1, 2, 3)))
    assert next_start({'changed': False, 'start': start}) == start


def test_an_ended_window_gives_the_start_of_the_next_one():
    """The start built from a record is the second read's start, so the next window is what the module would
    measure from a fresh first read at that moment."""
    first = snapshot(100.0, '2026-01-15T10:00:55.000Z', counters(5, 50, 1000))
    second = snapshot(105.25, '2026-01-15T10:01:00.250Z', counters(9, 90, 3000))
    third = snapshot(110.5, '2026-01-15T10:01:05.500Z', counters(12, 95, 4000))
    start = records.build_start(first)
    record = records.build_record(start, second, {}, None, 'verify', 'h')
    chained = next_start({'record': record}, start)
    assert chained == records.build_start(second)
    following = records.build_record(chained, third, {}, None, 'verify', 'h')['window']
    assert following['valid'] and following['seconds'] == pytest.approx(5.25)
    assert following['metrics']['prune_called']['delta'] == 3 and following['in_segs'] == 1000


def test_a_reset_window_still_ends_in_a_good_start():
    start = records.build_start(snapshot(100.0, '2026-01-15T10:00:55.000Z', counters(500, 5000, 90000)))
    end = snapshot(105.0, '2026-01-15T10:01:00.000Z', counters(1, 2, 30), boot='other-boot')
    record = records.build_record(start, end, {}, None, 'verify', 'h')
    assert record['window']['valid'] is False
    chained = next_start({'record': record}, start)
    assert chained['boot_id'] == 'other-boot' and chained['metrics']['in_segs'] == 30


@pytest.mark.parametrize('result, given', [
    (None, None),
    ({}, None),
    ({'unreachable': True, 'msg': 'Failed to connect'}, None),
    ({'failed': False, 'failed_when_result': False, 'msg': 'proc_path /proc is not a directory'}, None),
    ({'skipped': True}, None),
    ({'record': {'window': {'seconds': 5.0}}}, None),                  # a record without the start it was given
    ({'record': {'window': {'seconds': 5.0}}}, {'monotonic': 'x'}),
    ({'record': {'window': None}}, {'monotonic': 1.0}),
    ({'record': {'window': {'seconds': 5.0}, 'boot_id': 3}}, {'monotonic': 1.0}),  # fails validate_start
    ({'start': {'boot_id': 'b'}}, None),                                # a start that is not one
])
def test_no_start_from_anything_else(result, given):
    assert next_start(result, given) is None


def test_next_starts_keeps_the_hosts_that_have_one():
    ended, given = window_result(prune=1.0)
    found = next_starts({'a': ended, 'b': {'unreachable': True}, 'c': {'start': given}}, {'a': given})
    assert sorted(found) == ['a', 'c'] and found['c'] == given
    assert found['a']['monotonic'] == pytest.approx(given['monotonic'] + 5.0)


# ------------------------------------------------------------------------------------------------ one round

def test_worst_hosts_first_by_prune_then_collapse_then_name():
    results = results_of(quiet=window_result(), pruner=window_result(prune=40.0, collapse=10.0),
                         collapser=window_result(prune=2.0, collapse=900.0),
                         twin_b=window_result(prune=2.0, collapse=900.0), mild=window_result(prune=2.0, collapse=1.0))
    model = build_round(results, 1, 3, now=NOW)
    assert [row['host'] for row in model['rows']] == ['pruner', 'collapser', 'twin_b', 'mild', 'quiet']
    lines = render_round(model, 20)
    assert lines[0].startswith('round 1/3 at 2026-01-15 10:01:00 UTC, window 5.0 s: 5 host(s), 5 read, 0 reset, '
                               '0 not read | fleet: prune 46.0/s ')
    rows = table(lines)
    assert rows[0].split() == ['host', 'prune/s', 'prune/M', 'collapse/s', 'collapse/M', 'InSegs/s', 'mempress',
                               'tcp_mem', 'retrans/M']
    assert rows[1].split()[:6] == ['pruner', '40.0', '20,000', '10.0', '5,000', '2,000']


def test_fleet_totals_add_the_hosts_up():
    results = results_of(a=window_result(prune=10.0, in_segs=10000, pressures=2, state='pressure'),
                         b=window_result(prune=0.0, collapse=4.0, in_segs=30000, state='below_low'),
                         c=window_result(state=None))
    totals = build_round(results, 2, 3, now=NOW)['totals']
    assert totals['prune_ps'] == pytest.approx(10.0)
    # 50 prunes over 10000 + 30000 + 10000 InSegs
    assert totals['prune_pm'] == pytest.approx(50 * 1e6 / 50000)
    assert totals['collapse_ps'] == pytest.approx(4.0)
    assert totals['in_segs_ps'] == pytest.approx(10000.0)
    assert (totals['mem_events'], totals['in_pressure'], totals['state_known']) == (2, 1, 2)


def test_at_most_top_rows_and_how_many_more():
    results = results_of(**dict(('web%02d' % index, window_result(prune=float(index))) for index in range(30)))
    lines = render_round(build_round(results, 1, 1, now=NOW), 5)
    rows = table(lines)
    assert len(rows) == 6 and [row.split()[0] for row in rows[1:]] == ['web29', 'web28', 'web27', 'web26', 'web25']
    assert lines[-1] == '... 25 more hosts'


def test_a_host_without_a_metric_shows_na_and_sorts_after_the_numbers():
    results = results_of(old_kernel=window_result(prune=3.0, drop=('prune_called', 'memory_pressures')),
                         zero=window_result(), no_segments=window_result(prune=1.0, in_segs=0))
    model = build_round(results, 1, 1, now=NOW)
    assert [row['host'] for row in model['rows']] == ['no_segments', 'zero', 'old_kernel']
    cells = dict((row.split()[0], row.split()) for row in table(render_round(model, 20))[1:])
    assert cells['old_kernel'][1:3] == ['n/a', 'n/a'] and cells['old_kernel'][6] == 'n/a'
    # no InSegs in the window: a rate per second, but no rate per million (never a division by zero)
    assert cells['no_segments'][1:3] == ['1.00', 'n/a']


@pytest.mark.parametrize('boot, start_metrics', [
    ('rebooted', None),                          # boot_id changed
    (BOOT, counters(500, 5000, 99999999)),       # counters went backwards (a recreated namespace)
])
def test_a_reset_window_is_shown_as_reset_never_as_a_number(boot, start_metrics):
    start = records.build_start(snapshot(100.0, '2026-01-15T10:00:55.000Z', start_metrics or counters(1, 2, 3)))
    end = snapshot(105.0, '2026-01-15T10:01:00.000Z', counters(40, 400, 4000), boot=boot)
    record = records.build_record(start, end, {}, None, 'verify', 'h', tcp_memory={'state': 'between'})
    results = results_of(ok=window_result(), broken={'record': record})
    model = build_round(results, 1, 1, now=NOW)
    assert [row['host'] for row in model['rows']] == ['ok', 'broken'] and model['counts']['reset'] == 1
    lines = render_round(model, 20)
    broken = [row for row in table(lines) if row.startswith('broken')][0].split()
    assert broken == ['broken', 'reset', 'reset', 'reset', 'reset', 'reset', 'reset', 'between', 'reset']
    reason = [line for line in lines if line.startswith('reset: broken: ')]
    assert len(reason) == 1 and ('boot_id changed' in reason[0] or 'went backwards' in reason[0])
    # the reset host's numbers are not in the fleet's totals
    assert model['totals']['prune_ps'] == 0


@pytest.mark.parametrize('state, shown', [
    ('pressure', 'pressure'), ('above_high', 'above_high'), ('below_low', 'below_low'), ('between', 'between'),
    (None, 'n/a'),              # a child network namespace: tcp_mem not visible
    ('swapping', 'unknown'),    # not a state this collection knows
    ('no tcp_memory', 'n/a'),   # a record from before tcp_memory existed
])
def test_the_memory_state(state, shown):
    result = window_result(state=state) if state != 'no tcp_memory' else window_result(tcp_memory=False)
    row = table(render_round(build_round({'h': result[0]}, 1, 1, now=NOW), 20))[1].split()
    assert row[7] == shown


def test_hosts_not_read_are_listed_with_why_under_the_table():
    results = {'up': window_result(prune=1.0)[0],
               'down': {'unreachable': True, 'changed': False, 'msg': 'Failed to connect to the host via ssh:\n  timeout'},
               'broken': {'failed': False, 'failed_when_result': False, 'msg': 'proc_path /proc is not a directory'},
               'new': {'start': window_result()[1]},
               'none': {}}
    model = build_round(results, 4, 12, now=NOW)
    assert model['counts'] == {'hosts': 5, 'read': 1, 'reset': 0, 'not_read': 4}
    lines = render_round(model, 20)
    assert len(table(lines)) == 2
    assert lines[-4:] == [
        'not read: broken: failed: proc_path /proc is not a directory',
        'not read: down: unreachable: Failed to connect to the host via ssh: timeout',
        'not read: new: started: first read this round: its window shows next round',
        'not read: none: no result this round',
    ]


def test_the_lists_under_the_table_are_bounded_too():
    results = dict(('down%03d' % index, {'unreachable': True, 'msg': 'x' * 500}) for index in range(50))
    lines = render_round(build_round(results, 1, 1, now=NOW), 10)
    listed = [line for line in lines if line.startswith('not read: ')]
    assert len(listed) == 10 and lines[-1] == '... 40 more hosts not read'
    assert max(len(line) for line in listed) <= len("not read: down000: unreachable: ") + watch_view.MAX_REASON


def test_fixed_width_every_line_of_the_table_as_wide_as_the_header():
    long_name = 'api-consumer-0001.eu-west-1.compute.internal.example.com'
    results = results_of(**{long_name: window_result(prune=123456.0, collapse=1e7, in_segs=10 ** 9),
                            'b': window_result(), 'c\x1bname': window_result(prune=0.5),
                            'r': window_result(boot='rebooted')})
    lines = render_round(build_round(results, 1, 1, now=NOW), 20)
    rows = table(lines)
    assert len(set(len(row) for row in rows)) == 1, rows
    # the host column is MAX_HOST_WIDTH wide: a longer name is cut, its start kept
    assert rows[0][:MAX_HOST_WIDTH + 2] == 'host'.ljust(MAX_HOST_WIDTH + 2)
    assert any(row.startswith(long_name[:MAX_HOST_WIDTH - 1] + '~') for row in rows)
    assert all('\x1b' not in line for line in lines)
    # the column titles stay right-aligned over their numbers
    title_end = rows[0].index('InSegs/s') + len('InSegs/s')
    assert all(row[title_end - 1] != ' ' for row in rows[1:])


def test_window_lengths_in_the_header():
    slow, _start = window_result(seconds=7.5)
    lines = render_round(build_round({'a': window_result()[0], 'b': slow}, 1, 1, now=NOW), 20)
    assert 'window 5.0-7.5 s' in lines[0]
    lines = render_round(build_round({'a': {'unreachable': True}}, 1, 1, now=NOW), 20)
    assert 'no window' in lines[0] and 'prune n/a/s' in lines[0]


def test_watch_round_gives_lines_and_the_next_starts():
    ended, given = window_result(prune=2.0)
    out = watch_round({'a': ended, 'b': {'unreachable': True}}, {'a': given}, 3, 12, 20, now=NOW)
    assert out['lines'][0].startswith('round 3/12 ') and sorted(out['starts']) == ['a']
    assert watch_round({'a': {'start': given}}, {}, 0, 12, 20, now=NOW) == {'lines': [], 'starts': {'a': given}}


def test_the_columns_are_the_ones_the_docs_name():
    assert [title for title, _key in watch_view.COLUMNS] == ['prune/s', 'prune/M', 'collapse/s', 'collapse/M',
                                                             'InSegs/s', 'mempress', 'tcp_mem', 'retrans/M']
