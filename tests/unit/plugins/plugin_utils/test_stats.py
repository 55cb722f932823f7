# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""stats: the set_stats artifact stays small and says per host verdict, passed, status."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

from ansible_collections.netfleet.tuning.plugins.plugin_utils.stats import baseline_stats, report_stats, rollback_stats


def fake_report(count):
    hosts = {}
    for index in range(count):
        passed = index % 10 != 0
        hosts['web-%05d.example.com' % index] = {
            'status': 'verified', 'verdict': 'improved' if passed else 'not_improved', 'passed': passed,
            'message': 'x' * 200, 'before': {'rates': {'prune_called': {'per_second': 1.0}}}, 'metrics': {'a': 1},
        }
    names = sorted(hosts)
    return {'playbook': 'verify', 'run_id': '20261130T120000Z', 'hosts': hosts,
            'summary': {'hosts': count, 'passed': sum(1 for h in hosts.values() if h['passed']),
                        'failed': sum(1 for h in hosts.values() if not h['passed']), 'not_verified': 0,
                        'verdicts': {'improved': 9, 'not_improved': 1}, 'statuses': {'verified': count},
                        'passed_hosts': names, 'failed_hosts': [], 'not_verified_hosts': [], 'ok': False}}


def test_report_stats_keeps_only_the_small_fields():
    stats = report_stats(fake_report(3))
    assert stats['playbook'] == 'verify' and stats['ok'] is False
    assert 'passed_hosts' not in stats['summary'] and stats['summary']['hosts'] == 3
    assert stats['hosts']['web-00000.example.com'] == {'verdict': 'not_improved', 'passed': False, 'status': 'verified'}
    assert stats['hosts']['web-00001.example.com'] == {'verdict': 'improved', 'passed': True, 'status': 'verified'}


def test_report_stats_for_10000_hosts_stays_small():
    size = len(json.dumps(report_stats(fake_report(10000))))
    # 88.5 bytes a host measured with these 21-character names: a workflow's artifacts, not a report
    assert size < 10000 * 100, size


def test_baseline_stats_statuses():
    good = {'window': {'valid': True}}
    bad = {'window': {'valid': False}}
    stats = baseline_stats(['a', 'b', 'c', 'd'], [good, bad, None, None], active=['a', 'b', 'c'])
    assert stats['hosts'] == {
        'a': {'verdict': None, 'passed': True, 'status': 'stored'},
        'b': {'verdict': None, 'passed': False, 'status': 'invalid'},
        'c': {'verdict': None, 'passed': False, 'status': 'failed'},
        'd': {'verdict': None, 'passed': False, 'status': 'unreachable'},
    }
    assert stats['summary']['statuses'] == {'stored': 1, 'invalid': 1, 'failed': 1, 'unreachable': 1}
    assert stats['ok'] is False and stats['summary']['passed'] == 1
    checked = baseline_stats(['a'], [None], check_mode=True)
    assert checked['hosts']['a']['status'] == 'check_mode' and not checked['ok']


def test_rollback_stats_statuses():
    stats = rollback_stats(['a', 'b', 'c', 'd'], [{'ok': True}, {'ok': False}, None, None], active=['a', 'b', 'c'],
                           run_id='r1')
    assert [stats['hosts'][h]['status'] for h in 'abcd'] == ['restored', 'not_live', 'failed', 'unreachable']
    assert stats['playbook'] == 'rollback' and stats['run_id'] == 'r1' and not stats['ok']
    assert rollback_stats(['a'], [{'ok': True}])['ok'] is True
