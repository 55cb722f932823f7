# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import gc
import json
import time
import os
import re

import pytest
from hypothesis import given, settings, strategies as st

from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tuning.plugins.filter import netfleet
from ansible_collections.netfleet.tuning.plugins.module_utils import rates

FILTERS = netfleet.FilterModule().filters()


def facts(prune, collapsed, in_segs, boot='boot-1', at='2026-01-15T10:00:20.500Z', rmem='4096 16384 65536',
          start=(10, 20, 1000)):
    """ansible_facts.netstat as netstat_facts returns it with sample_seconds: 20.

    ``start``: absolute PruneCalled, TCPRcvCollapsed and InSegs at the first read.
    """
    def snap(monotonic, prune_called, rcv_collapsed, segments):
        """One read: the absolute counters at this monotonic time."""
        return rates.snapshot({'TcpExt': {'PruneCalled': prune_called, 'TCPRcvCollapsed': rcv_collapsed},
                               'Tcp': {'InSegs': segments}},
                              {'prune_called': prune_called, 'rcv_collapsed': rcv_collapsed, 'in_segs': segments},
                              boot, monotonic)
    first = snap(100.0, start[0], start[1], start[2])
    last = snap(120.0, start[0] + prune, start[1] + collapsed, start[2] + in_segs)
    return {
        'counters': last['counters'],
        'metrics': last['metrics'],
        'sysctl': {'net.ipv4.tcp_rmem': {'value': rmem, 'scope': 'netns'}},
        'boot_id': boot,
        'collected_at': at,
        'monotonic': 120.0,
        'rates': rates.window(first, last),
        'socket_buffers': {'pinned_below_default': 0},
    }


LATER = (10 ** 6, 10 ** 7, 10 ** 9)
# the collection's root (playbooks/, roles/)
ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')


def task_file(name):
    """The text of playbooks/tasks/<name>."""
    with open(os.path.join(ROOT, 'playbooks', 'tasks', name)) as handle:
        return handle.read()


def test_filter_names():
    assert sorted(FILTERS) == ['baseline_check', 'baseline_lines', 'baseline_pick', 'baseline_stats', 'baseline_status',
                               'baseline_warnings', 'fleet_report',
                               'host_file_name', 'report_outputs', 'report_render', 'report_stats', 'rollback_check',
                               'rollback_stats', 'sample_record', 'thresholds', 'verdict', 'verify_judgement',
                               'watch_round', 'watch_settings']


def test_host_file_name():
    name = FILTERS['host_file_name']
    assert name('web-01.example.com', '.json') == 'web-01.example.com.json'
    assert name('web<1>', '.json') != name('web_1_', '.json')
    assert name('..') == '%2E.'
    with pytest.raises(AnsibleFilterError, match='host_file_name: an empty host name'):
        name('', '.json')
    with pytest.raises(AnsibleFilterError, match='host_file_name: the suffix'):
        name('web', '/x')
    with pytest.raises(AnsibleFilterError, match='host_file_name: a host name must be a string'):
        name(None)


def test_playbooks_name_host_files_with_the_filter():
    # every per-host file on the controller goes through netfleet.tuning.host_file_name
    settings = task_file('settings.yml')
    assert "__netfleet_host_file: \"{{ inventory_hostname | netfleet.tuning.host_file_name('.json') }}\"" in settings
    for directory in ('playbooks', 'roles'):
        for parent, _dirs, files in os.walk(os.path.join(ROOT, directory)):
            for file_name in files:
                with open(os.path.join(parent, file_name)) as handle:
                    text = handle.read()
                assert not re.search(r'inventory_hostname\s*\|\s*regex_replace', text), file_name
                assert not re.search(r'inventory_hostname\s*}}\.json', text), file_name


def test_thresholds():
    guards = ['rcv_pruned', 'softnet_dropped', 'memory_pressures', 'retrans_segs', 'listen_overflows']
    assert FILTERS['thresholds']({}) == {
        'gated_metrics': ['prune_called', 'rcv_collapsed'], 'min_reduction_pct': 90, 'min_segments': 10000,
        'guard_metrics': guards, 'guard_max_increase_pct': 50}
    assert FILTERS['thresholds']({'min_segments': '500', 'gated_metrics': 'prune_called', 'guard_metrics': [],
                                  'guard_max_increase_pct': '20'}) == {
        'gated_metrics': ['prune_called'], 'min_reduction_pct': 90, 'min_segments': 500, 'guard_metrics': [],
        'guard_max_increase_pct': 20}
    with pytest.raises(AnsibleFilterError, match=r"netfleet_guard_metrics must be a list of metric names .*'in_segs' "
                                                 r"is not one"):
        FILTERS['thresholds']({'guard_metrics': ['in_segs']})
    with pytest.raises(AnsibleFilterError, match=r'netfleet_guard_max_increase_pct must be a number in \[0, 10000\]'):
        FILTERS['thresholds']({'guard_max_increase_pct': -5})
    with pytest.raises(AnsibleFilterError, match=r'netfleet_min_reduction_pct must be a number in \(0, 100\]'):
        FILTERS['thresholds']({'min_reduction_pct': 0})
    with pytest.raises(AnsibleFilterError, match='expects a dict'):
        FILTERS['thresholds']([1])


def test_sample_record_and_verdict_round_trip():
    base = FILTERS['sample_record'](facts(4000, 200000, 900000), 'lab-h01')
    assert base['schema'] == netfleet.BASELINE_SCHEMA
    assert base['host'] == 'lab-h01' and base['kind'] == 'baseline'
    assert base['recorded_epoch'] == 1768471220.5
    assert set(base['window']) == {'seconds', 'valid', 'invalid_reason', 'in_segs', 'metrics'}
    assert base['window']['metrics']['prune_called']['delta'] == 4000
    assert base['metrics_end'] == {'prune_called': 4010, 'rcv_collapsed': 200020, 'in_segs': 901000}
    # it survives a trip through a JSON file on the controller
    base = json.loads(json.dumps(base))
    after = facts(0, 5, 1000000, rmem='4096 131072 33554432', start=LATER)
    got = FILTERS['verdict'](base, after)
    assert got['verdict'] == 'improved' and got['passed'] is True
    assert got['reboot'] is False
    got = FILTERS['verdict'](base, facts(3900, 199000, 900000, start=LATER), min_reduction_pct='50')
    assert got['verdict'] == 'not_improved'
    assert FILTERS['verdict'](base, facts(0, 0, 10, start=LATER))['verdict'] == 'insufficient_traffic'
    # the host's counters restarted between the windows (namespace recreated, same boot): reset
    got = FILTERS['verdict'](base, facts(0, 5, 1000000, start=(0, 0, 0)))
    assert got['verdict'] == 'reset' and got['counter_reset_between'] is True
    assert 'prune_called 4010 at the end of the baseline, 0 at the start of verify' in got['message']
    # the same after a reboot is noted, not fatal
    got = FILTERS['verdict'](base, facts(0, 5, 1000000, start=(0, 0, 0), boot='boot-2'))
    assert got['verdict'] == 'improved' and got['reboot'] is True
    assert FILTERS['verdict'](None, after)['verdict'] == 'reset'
    with pytest.raises(AnsibleFilterError, match='netfleet_gated_metrics'):
        FILTERS['verdict'](base, after, gated_metrics=['in_segs'])
    with pytest.raises(AnsibleFilterError, match='expects ansible_facts.netstat'):
        FILTERS['sample_record']('nope')


def test_sample_record_without_rates():
    record = FILTERS['sample_record']({'boot_id': 'b', 'collected_at': 'garbage'})
    assert record['window'] is None and record['recorded_epoch'] is None
    assert FILTERS['baseline_status'](record)['usable'] is False


def test_baseline_status():
    base = FILTERS['sample_record'](facts(4000, 200000, 900000))
    epoch = base['recorded_epoch']
    assert FILTERS['baseline_status'](base, 3600, now=epoch + 60) == {
        'usable': True, 'reason': 'baseline from 2026-01-15T10:00:20.500Z', 'age_seconds': 60.0}
    stale = FILTERS['baseline_status'](base, 3600, now=epoch + 7200)
    assert stale['usable'] is False and '7200 s old' in stale['reason']
    assert FILTERS['baseline_status'](base, 0, now=epoch + 10 ** 7)['usable'] is True
    assert FILTERS['baseline_status'](base, '3600', now=epoch + 10)['usable'] is True
    assert FILTERS['baseline_status'](base, 3600, now=epoch - 3600)['usable'] is False
    assert FILTERS['baseline_status']({'schema': 'other'})['usable'] is False
    assert FILTERS['baseline_status'](None)['reason'] == 'no baseline of this collection'
    broken = dict(base, window=dict(base['window'], valid=False, invalid_reason='boot_id changed'))
    assert 'invalid (boot_id changed)' in FILTERS['baseline_status'](broken, 3600, now=epoch)['reason']
    with pytest.raises(AnsibleFilterError, match='netfleet_baseline_max_age'):
        FILTERS['baseline_status'](base, 'soon')


def test_report_filters():
    base = FILTERS['sample_record'](facts(4000, 200000, 900000))
    ver = FILTERS['sample_record'](facts(0, 0, 1000000, rmem='4096 131072 33554432', start=LATER), kind='verify')
    records = {'lab-h01': {'stage': 'verified', 'baseline': base, 'verify': ver,
                           'verdict': FILTERS['verdict'](base, ver)},
               'lab-h02': None}
    rep = FILTERS['fleet_report'](records, hosts=['lab-h01', 'lab-h02'], active=['lab-h01'],
                                  thresholds=FILTERS['thresholds']({}), playbook='verify', run_id='r1',
                                  generated_at='2026-01-15T10:06:00Z')
    assert rep['hosts']['lab-h01']['verdict'] == 'improved'
    assert rep['hosts']['lab-h02']['status'] == 'not_reached'
    render = FILTERS['report_render']
    assert json.loads(render(rep)) == rep
    assert json.loads(render(rep, 'json')) == rep
    assert '| lab-h01 | improved |' in render(rep, 'markdown')
    assert '<svg' in render(rep, 'html')
    assert 'lab-h01  improved' in render(rep, 'text')
    with pytest.raises(AnsibleFilterError, match='format must be one of html, json, markdown, text'):
        render(rep, 'pdf')
    with pytest.raises(AnsibleFilterError, match='expects a report'):
        render({'x': 1}, 'text')
    # report.yml's one call: the three files, the terminal's lines and the set_stats artifact of that report
    out = FILTERS['report_outputs'](records, hosts=['lab-h01', 'lab-h02'], active=['lab-h01'],
                                    thresholds=FILTERS['thresholds']({}), playbook='verify', run_id='r1',
                                    generated_at='2026-01-15T10:06:00Z')
    assert sorted(out) == ['files', 'stats', 'text']
    assert out['files'] == {'report.json': render(rep, 'json'), 'report.md': render(rep, 'markdown'),
                            'report.html': render(rep, 'html')}
    assert out['text'] == render(rep, 'text').splitlines()
    assert out['stats'] == FILTERS['report_stats'](rep)
    assert gc.isenabled()
    # report.yml hands it hostvars and the variable's name: the same report; a host without it has no record
    host_vars = {'lab-h01': {'__netfleet_record': records['lab-h01'], 'other': 1}, 'lab-h02': {'other': 2}}
    again = FILTERS['report_outputs'](host_vars, hosts=['lab-h01', 'lab-h02'], record_var='__netfleet_record',
                                      active=['lab-h01'], thresholds=FILTERS['thresholds']({}), playbook='verify',
                                      run_id='r1', generated_at='2026-01-15T10:06:00Z')
    assert again == out


def test_report_yml_builds_the_report_once():
    # the report is built and rendered in one call; no task templates the whole report again
    text = task_file('report.yml')
    assert text.count('netfleet.tuning.report_outputs(') == 1
    assert 'netfleet.tuning.fleet_report' not in text and 'netfleet.tuning.report_render' not in text


class _Tagged(str):
    """A str subclass, as Ansible's tagged and unsafe strings are."""


class _Int(int):
    pass


class _Lazy(dict):
    """Stands in for ansible-core 2.19's lazy dict: what it holds (_non_lazy_copy) and what reading it the
    templating way gives (items: every str 'rendered' by upper-casing it)."""

    reads = 0

    def _non_lazy_copy(self):
        return dict(dict.items(self))

    def items(self):
        _Lazy.reads += 1
        for key, value in dict.items(self):
            yield key, value.upper() if isinstance(value, str) else value


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda children: st.lists(children, max_size=4) | st.tuples(children, children) | st.dictionaries(
        st.text(max_size=4) | st.integers() | st.booleans() | st.none(), children, max_size=4),
    max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(value=json_like)
def test_plain_is_the_json_round_trip(value):
    want = json.loads(json.dumps(value, default=str))
    assert netfleet._plain(value) == want
    assert netfleet._convert(value, False) == want


def test_plain_makes_plain_types():
    got = netfleet._plain({_Tagged('k'): [_Tagged('v'), _Int(3), (1, 2), {1: b'x'}, {'a'}]})
    assert got == {'k': ['v', 3, [1, 2], {'1': "b'x'"}, "{'a'}"]}
    assert [type(item).__name__ for item in (list(got)[0], got['k'][0], got['k'][1])] == ['str', 'str', 'int']
    assert netfleet._plain(None) is None
    loop = []
    loop.append(loop)
    with pytest.raises(AnsibleFilterError, match='not JSON data'):
        netfleet._plain(loop)
    with pytest.raises(AnsibleFilterError, match='not JSON data'):
        netfleet._convert({(1, 2): 3}, False)


def test_plain_reads_what_a_lazy_container_holds(monkeypatch):
    _Lazy.reads = 0
    records = _Lazy({'h1': _Lazy({'error': 'as stored', 'n': 1}), 'h2': {'deep': _Lazy({'x': 'y'})}})
    # lazy containers below lazy ones give up what they hold; one below a plain dict (never the case for
    # the records: their stored values are final data) is read the templating way, correct if slower
    assert netfleet._plain(records) == {'h1': {'error': 'as stored', 'n': 1}, 'h2': {'deep': {'x': 'Y'}}}
    assert _Lazy.reads == 1
    # text that could be a template: read the templating way, where Ansible renders what it trusts
    monkeypatch.setattr(netfleet, '_is_trusted_as_template', lambda value: isinstance(value, _Tagged))
    trusted = _Lazy({'h1': _Lazy({'error': _Tagged('{{ x }}')}), 'h2': _Lazy({'error': 'plain'})})
    assert netfleet._plain(trusted) == {'h1': {'error': '{{ X }}'}, 'h2': {'error': 'plain'}}
    # a str with template marks that Ansible does not trust stays as stored
    untrusted = _Lazy({'h1': _Lazy({'error': 'a {{ b }}'})})
    assert netfleet._plain(untrusted) == {'h1': {'error': 'a {{ b }}'}}


ROLE_RESULT = {
    'state': 'absent', 'changed': True,
    'keys': {
        'net.ipv4.tcp_rmem': {'status': 'restored', 'scope': 'netns', 'desired': '4096 16384 65536',
                              'before': '4096 87380 16777216', 'live': '4096 16384 65536'},
        'net.core.somaxconn': {'status': 'unchanged', 'scope': 'netns', 'desired': '4096', 'live': '4096'},
        'net.core.rmem_max': {'status': 'skipped', 'scope': 'host', 'reason': 'read-only in this network namespace'},
    },
}


def test_rollback_check_ok():
    live = {'net.ipv4.tcp_rmem': {'value': '4096\t16384  65536', 'scope': 'netns'},
            'net.core.somaxconn': {'value': '4096', 'scope': 'netns'}}
    got = FILTERS['rollback_check'](ROLE_RESULT, live, {'net.ipv4.tcp_rmem': {'value': '4096 16384 65536'}})
    assert got['ok'] is True
    assert got['checked'] == ['net.core.somaxconn', 'net.ipv4.tcp_rmem']
    assert got['mismatches'] == []
    assert got['notes'] == ['net.core.rmem_max: skipped (read-only in this network namespace)']


def test_rollback_check_mismatch():
    live = {'net.ipv4.tcp_rmem': {'value': '4096 87380 16777216', 'scope': 'netns'}}
    got = FILTERS['rollback_check'](ROLE_RESULT, live)
    assert got['ok'] is False
    assert got['mismatches'] == [
        'net.core.somaxconn: not in the fresh read of the live values',
        "net.ipv4.tcp_rmem: live value '4096 87380 16777216', expected the saved '4096 16384 65536'"]
    failed = {'keys': {'net.core.somaxconn': {'status': 'failed', 'desired': '4096', 'live': '128'}}}
    assert FILTERS['rollback_check'](failed, {})['ok'] is False


def test_rollback_check_baseline_note_and_nothing_saved():
    live = {'net.ipv4.tcp_rmem': {'value': '4096 16384 65536'}, 'net.core.somaxconn': {'value': '4096'}}
    got = FILTERS['rollback_check'](ROLE_RESULT, live, {'net.core.somaxconn': {'value': '128'}})
    assert got['ok'] is True
    assert any('differs from the stored baseline' in note for note in got['notes'])
    empty = FILTERS['rollback_check']({'keys': {}}, {})
    assert empty['ok'] is True and 'nothing was restored' in empty['notes'][0]
    assert FILTERS['rollback_check'](None, None)['ok'] is True


def test_baseline_check():
    check = FILTERS['baseline_check']
    base = FILTERS['sample_record'](facts(4000, 200000, 900000))
    assert check(base['window']) == []
    assert check(FILTERS['sample_record'](facts(0, 0, 900000))['window']) == []  # may still be clean
    few = check(FILTERS['sample_record'](facts(3, 200000, 900000))['window'])
    assert few == ['only 3 prune_called events in the baseline: even none at verify could not show a 90% drop '
                   'with 95% confidence; sample a longer window']
    assert 'fewer than netfleet_min_segments 10000' in check(FILTERS['sample_record'](facts(5, 5, 50))['window'])[0]
    assert 'no baseline window' in check(None)[0]
    assert check(FILTERS['sample_record'](facts(4000, 0, 900000))['window'], gated_metrics=['prune_called']) == []
    with pytest.raises(AnsibleFilterError, match='netfleet_min_segments'):
        check(base['window'], min_segments=0)


def test_thresholds_checked_once_are_passed_on():
    # the playbooks check the thresholds once (the thresholds filter) and pass the result on as it is
    checked = FILTERS['thresholds']({'min_reduction_pct': '50', 'min_segments': '500', 'gated_metrics': 'prune_called'})
    base = FILTERS['sample_record'](facts(4000, 200000, 900000))
    after = facts(1000, 5, 1000000, start=LATER)
    assert FILTERS['verdict'](base, after, thresholds=checked) == FILTERS['verdict'](
        base, after, gated_metrics=['prune_called'], min_reduction_pct=50, min_segments=500)
    assert FILTERS['baseline_check'](base['window'], thresholds=checked) == FILTERS['baseline_check'](
        base['window'], gated_metrics=['prune_called'], min_reduction_pct=50, min_segments=500)
    with pytest.raises(AnsibleFilterError, match='give thresholds .* or gated_metrics, min_reduction_pct and '
                                                 'min_segments, not both'):
        FILTERS['verdict'](base, after, thresholds=checked, min_segments=500)
    with pytest.raises(AnsibleFilterError, match='thresholds must be the dict netfleet.tuning.thresholds returns'):
        FILTERS['baseline_check'](base['window'], thresholds={'min_segments': 500})


def test_baseline_pick_prefers_the_host_copy_and_never_hides_its_error():
    host = dict(FILTERS['sample_record'](facts(4000, 200000, 900000), 'lab-h01'), socket_buffers=None)
    other = dict(host, host='from-controller')
    controller_text = json.dumps(other)
    got = FILTERS['baseline_pick']({'baseline': host, 'baseline_error': None}, controller_text, controller_path='c.json')
    assert got['source'] == 'host' and got['record']['host'] == 'lab-h01' and got['error'] == ''
    got = FILTERS['baseline_pick']({'baseline': None, 'baseline_error': None}, controller_text, controller_path='c.json')
    assert got['source'] == 'controller' and got['record']['host'] == 'from-controller'
    got = FILTERS['baseline_pick']({'baseline': None, 'baseline_error': 'file x: entry y (rule: z)'}, controller_text)
    assert got['record'] is None and got['source'] is None and 'rule: z' in got['error']
    got = FILTERS['baseline_pick']({}, '{broken', controller_path='c.json')
    assert got['record'] is None and got['error'].startswith('c.json: not valid JSON')
    tampered = dict(host, window='not a window')
    got = FILTERS['baseline_pick']({'baseline': tampered}, None)
    assert got['record'] is None and got['error']
    got = FILTERS['baseline_pick']({}, None)
    assert (got['record'], got['source'], got['error']) == (None, None, '')
    assert got['status']['usable'] is False


def test_baseline_pick_reads_the_controller_copy_only_when_the_host_keeps_none(tmp_path):
    host = dict(FILTERS['sample_record'](facts(4000, 200000, 900000), 'lab-h01'), socket_buffers=None)
    path = tmp_path / 'lab-h01.json'
    path.write_text(json.dumps(dict(host, host='from-controller')))
    got = FILTERS['baseline_pick']({'baseline': host}, controller_path=str(path), read_controller=True)
    assert got['source'] == 'host'
    got = FILTERS['baseline_pick']({}, controller_path=str(path), read_controller=True, max_age=0)
    assert got['source'] == 'controller' and got['record']['host'] == 'from-controller'
    assert got['status']['usable'] is True
    # without read_controller the file is never opened
    assert FILTERS['baseline_pick']({}, controller_path=str(path))['record'] is None
    # a missing copy is no baseline, not an error
    got = FILTERS['baseline_pick']({}, controller_path=str(tmp_path / 'none.json'), read_controller=True)
    assert (got['record'], got['error']) == (None, '')
    # a copy that exists but cannot be read is an error naming the path, and the status says why
    unreadable = tmp_path / 'dir.json'
    unreadable.mkdir()
    got = FILTERS['baseline_pick']({}, controller_path=str(unreadable), read_controller=True)
    assert got['record'] is None and got['error'].startswith('%s cannot be read' % unreadable)
    assert got['status'] == dict(got['status'], usable=False, reason=got['error'])


def test_baseline_pick_status_applies_the_max_age():
    host = dict(FILTERS['sample_record'](facts(4000, 200000, 900000), 'lab-h01'), socket_buffers=None)
    age = time.time() - host['recorded_epoch']
    got = FILTERS['baseline_pick']({'baseline': host}, max_age=age + 3600)
    assert got['source'] == 'host' and got['status']['usable'] is True, got
    got = FILTERS['baseline_pick']({'baseline': host}, max_age=60)
    assert got['source'] == 'host' and got['status']['usable'] is False and 'old' in got['status']['reason']


def test_baseline_lines_one_line_per_sampled_host():
    good = FILTERS['sample_record'](facts(4000, 200000, 900000), 'lab-h01')
    lines = FILTERS['baseline_lines'](['lab-h01', 'lab-h02', 'lab-h03'], [good, None, {'window': {'valid': False}}],
                                      ['prune_called'])
    assert len(lines) == 2
    assert lines[0].startswith('lab-h01: %s InSegs in ' % good['window']['in_segs'])
    assert 'prune_called %s' % good['window']['metrics']['prune_called']['delta'] in lines[0]
    assert lines[1] == 'lab-h03: n/a InSegs in n/a s; prune_called n/a; window not valid (no reason given)'


def _warnings_the_old_way(hosts, problems):
    """What tasks/baseline.yml's Jinja built before baseline_warnings: the hosts with problems, zipped with their
    problems joined by '; ', joined by ': ', regex_replace('$', ...)."""
    warned = [(name, host_problems) for name, host_problems in zip(hosts, problems) if host_problems]
    return [re.sub('$', '. Verify cannot pass this host against this baseline.',
                   ': '.join([name, '; '.join(host_problems)])) for name, host_problems in warned]


def test_baseline_warnings_one_line_per_host_with_problems():
    few = FILTERS['baseline_check'](FILTERS['sample_record'](facts(3, 200000, 900000))['window'])
    quiet = FILTERS['baseline_check'](FILTERS['sample_record'](facts(5, 5, 50))['window'])
    hosts, problems = ['lab-h01', 'lab-h02', 'lab-h03', 'lab-h04'], [[], few, quiet, few + quiet]
    lines = FILTERS['baseline_warnings'](hosts, problems)
    assert lines == _warnings_the_old_way(hosts, problems)
    assert lines[0] == 'lab-h02: %s. Verify cannot pass this host against this baseline.' % few[0]
    assert lines[2] == 'lab-h04: %s; %s. Verify cannot pass this host against this baseline.' % (few[0], quiet[0])
    assert FILTERS['baseline_warnings'](['lab-h01'], [[]]) == []


def test_baseline_yml_warns_through_the_filter():
    text = task_file('baseline.yml')
    assert text.count('netfleet.tuning.baseline_warnings(') == 1
    assert 'regex_replace' not in text and "map('join'" not in text


def _judged_the_old_way(picked, verify, limits):
    """What verify_host.yml's judging task built before verify_judgement: baseline_pick's result (or rollout's
    picked baseline), then the verdict filter, combined into the record's fields."""
    fields = {'stage': 'verified', 'baseline': picked['record'], 'baseline_source': picked['source'], 'verify': verify,
              'verdict': FILTERS['verdict'](picked['record'], verify, gated_metrics=limits['gated_metrics'],
                                            min_reduction_pct=limits['min_reduction_pct'],
                                            min_segments=limits['min_segments'],
                                            socket_buffers=verify['socket_buffers'])}
    if picked['error']:
        fields['error'] = picked['error']
    return fields


@pytest.mark.parametrize('case', ['host', 'controller', 'host_error', 'unreadable', 'none', 'rollout'])
def test_verify_judgement_picks_and_judges_as_the_two_filters_did(tmp_path, case):
    judgement = FILTERS['verify_judgement']
    limits = FILTERS['thresholds']({'min_segments': 1000})
    base = dict(FILTERS['sample_record'](facts(4000, 200000, 900000), 'lab-h01'), socket_buffers=None)
    verify = FILTERS['sample_record'](facts(40, 2000, 900000, start=LATER), 'lab-h01', kind='verify')
    path = tmp_path / 'lab-h01.json'
    path.write_text(json.dumps(dict(base, host='from-controller')))
    start = {'host': {'baseline': base}, 'host_error': {'baseline_error': 'entry y (rule: z)'}}.get(case, {})
    if case == 'unreadable':
        path = tmp_path / 'dir.json'
        path.mkdir()
    elif case == 'none':
        path = tmp_path / 'missing.json'
    if case == 'rollout':
        picked = FILTERS['baseline_pick']({'baseline': base}, max_age=0)
        got = judgement(verify, limits, baseline=picked, window_start={'ignored': True}, controller_path=str(path))
    else:
        picked = FILTERS['baseline_pick'](start, controller_path=str(path), read_controller=True)
        got = judgement(verify, limits, window_start=start, controller_path=str(path))
    assert got == _judged_the_old_way(picked, verify, limits)
    verdict = got['verdict']['verdict']
    assert verdict == ('reset' if case in ('host_error', 'unreadable', 'none') else 'improved'), got['verdict']
    assert ('error' in got) is (case in ('host_error', 'unreadable'))


def test_verify_judgement_refuses_bad_thresholds_and_baselines():
    verify = FILTERS['sample_record'](facts(40, 2000, 900000, start=LATER), 'lab-h01', kind='verify')
    # the thresholds are checked once, by the thresholds filter, and passed on as it returns them
    with pytest.raises(AnsibleFilterError, match='netfleet.tuning.thresholds returns'):
        FILTERS['verify_judgement'](verify, {'min_segments': 0}, window_start={})
    with pytest.raises(AnsibleFilterError, match='netfleet_min_segments'):
        FILTERS['thresholds']({'min_segments': 0})
    with pytest.raises(AnsibleFilterError, match='baseline_pick'):
        FILTERS['verify_judgement'](verify, None, baseline='not picked')


def test_verify_host_yml_judges_in_one_filter_call():
    # the judging task picks and judges in one call per host, with no task variable templated again
    text = task_file('verify_host.yml')
    assert text.count('netfleet.tuning.verify_judgement(') == 1
    assert 'netfleet.tuning.baseline_pick' not in text and 'netfleet.tuning.verdict(' not in text
    assert '__netfleet_picked' not in text


def test_watch_settings_checks_and_names_the_variable():
    got = FILTERS['watch_settings']({'rounds': '3', 'seconds': 2, 'top': None})
    assert (got['rounds'], got['seconds'], got['top'], got['hosts'], got['bound_seconds']) == (3, 2, 20, 'all', 6)
    with pytest.raises(AnsibleFilterError, match=r'^netfleet_watch_seconds must be an integer from 1 to 300'):
        FILTERS['watch_settings']({'seconds': 0})
    with pytest.raises(AnsibleFilterError, match=r'netfleet_watch_rounds x netfleet_watch_seconds must be at most 3600'):
        FILTERS['watch_settings']({'rounds': 100, 'seconds': 100})
    with pytest.raises(AnsibleFilterError, match='expects a dict'):
        FILTERS['watch_settings']('rounds=3')


def test_watch_round_reads_each_hosts_result_from_hostvars():
    host_vars = {'a': {'__r': {'unreachable': True, 'msg': 'Failed to connect'}}, 'b': {'other': 1}}
    out = FILTERS['watch_round'](host_vars, hosts=['a', 'b'], result_var='__r', starts={}, round_number='2',
                                 rounds='3', top='20', now=1768471260)
    assert out['starts'] == {}
    assert out['lines'][0].startswith('round 2/3 at 2026-01-15 10:01:00 UTC, no window: 2 host(s), 0 read')
    assert out['lines'][-2:] == ['not read: a: unreachable: Failed to connect', 'not read: b: no result this round']
    with pytest.raises(AnsibleFilterError, match='result_var'):
        FILTERS['watch_round'](host_vars, hosts=['a'])
    with pytest.raises(AnsibleFilterError, match='watch_round'):
        FILTERS['watch_round'](host_vars, hosts=['a'], result_var='__r', round_number='one')


def test_watch_task_files_read_once_per_round_and_build_the_view_once():
    read = task_file('watch_read.yml')
    assert read.count('netfleet.tuning.netfleet_window:') == 1 and 'store_baseline' not in read
    assert read.count('netfleet.tuning.watch_round(') == 1 and 'run_once: true' in read
    round_file = task_file('watch_round.yml')
    assert 'ansible.builtin.pause:' in round_file and round_file.count('run_once: true') == 2
