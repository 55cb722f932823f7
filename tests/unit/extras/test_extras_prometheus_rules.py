# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""extras/prometheus: the rule file keeps the series contract of issue 15, every alert carries what an
on-call needs and is tested firing and not firing, and promtool accepts the rules and passes their tests.

The promtool tests run when promtool is installed (Debian's ``prometheus`` package: ``make deps``) and are
skipped, saying so, when it is not; ``make promtool`` (part of ``make test``) fails without it.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import os
import re
import shutil
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
RULES = os.path.join(ROOT, 'extras', 'prometheus', 'rules', 'netfleet.rules.yml')
RULE_TESTS = sorted(glob.glob(os.path.join(ROOT, 'extras', 'prometheus', 'tests', '*.yml')))
RUNBOOK = os.path.join(ROOT, 'docs', 'monitoring.md')
RUNBOOK_URL = 'https://github.com/netfleet/tuning/blob/main/docs/monitoring.md#'

# The contract the exporter, the dashboard and the lab test rely on (docs/monitoring.md).
RECORDS = (
    'netfleet:prune_called:rate5m',
    'netfleet:rcv_collapsed:rate5m',
    'netfleet:in_segs:rate5m',
    'netfleet:prune_called_per_million_insegs:rate5m',
    'netfleet:rcv_collapsed_per_million_insegs:rate5m',
    'netfleet:retrans_segs_per_million_outsegs:rate5m',
    'netfleet:memory_pressures:increase5m',
)
ALERTS = (
    'NetfleetPruningBack',
    'NetfleetTCPMemoryPressure',
    'NetfleetDropinMissing',
    'NetfleetDropinOverridden',
    'NetfleetTextfileStale',
)

PROMTOOL = shutil.which('promtool')
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not installed (Debian's prometheus package; `make deps` installs it, `make promtool` requires it)")


def _load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def _groups():
    return {group['name']: group['rules'] for group in _load(RULES)['groups']}


def _alerts():
    return {rule['alert']: rule for rule in _groups()['netfleet.alerts']}


def _slug(heading):
    """GitHub's anchor of a Markdown heading: lower case, punctuation but - and _ dropped, spaces to -."""
    return re.sub(r'[^\w\- ]', '', heading.strip().lower()).replace(' ', '-')


def _anchors(path):
    with open(path) as handle:
        return {_slug(line.lstrip('#')) for line in handle if line.startswith('#')}


def test_groups_and_recording_rules_keep_the_contract():
    groups = _groups()
    assert sorted(groups) == ['netfleet.alerts', 'netfleet.rules']
    rules = groups['netfleet.rules']
    assert all('record' in rule and 'alert' not in rule for rule in rules)
    assert tuple(rule['record'] for rule in rules) == RECORDS
    for rule in rules:
        ranges = set(re.findall(r'\[(\w+)\]', rule['expr']))
        # a rule built on the rules above it has no range of its own; one over raw counters uses [5m]
        assert ranges <= {'5m'}, rule['record']
        assert ranges or 'netfleet:' in rule['expr'], rule['record']


def test_every_alert_has_for_severity_summary_description_and_runbook():
    alerts = _alerts()
    assert sorted(alerts) == sorted(ALERTS)
    anchors = _anchors(RUNBOOK)
    for name, rule in alerts.items():
        assert re.match(r'^\d+[smh]$', rule['for']), name
        assert rule['labels']['severity'] in ('warning', 'critical'), name
        annotations = rule['annotations']
        assert sorted(annotations) == ['description', 'runbook_url', 'summary'], name
        for key in ('summary', 'description'):
            assert '$labels.instance' in annotations[key], (name, key)
        assert annotations['runbook_url'] == RUNBOOK_URL + name.lower(), name
        assert name.lower() in anchors, '%s: no "### %s" section in docs/monitoring.md' % (name, name)


def _alert_cases():
    """(alert name, input instances, instances expected to fire, firing cases) from every promtool test."""
    cases = {}
    for path in RULE_TESTS:
        document = _load(path)
        assert document['rule_files'] == ['../rules/netfleet.rules.yml'], path
        for test in document['tests']:
            inputs = {m for series in test.get('input_series', [])
                      for m in re.findall(r'instance="([^"]*)"', series['series'])}
            for case in test.get('alert_rule_test', []):
                entry = cases.setdefault(case['alertname'], [set(), set(), 0])
                entry[0] |= inputs
                fired = case.get('exp_alerts') or []
                entry[1] |= {alert['exp_labels'].get('instance') for alert in fired}
                entry[2] += 1 if fired else 0
    return cases


@pytest.mark.parametrize('alert', ALERTS)
def test_every_alert_has_series_that_fire_and_series_that_do_not(alert):
    cases = _alert_cases()
    assert alert in cases, '%s has no alert_rule_test in extras/prometheus/tests' % alert
    inputs, fired, firing_cases = cases[alert]
    assert firing_cases >= 1, '%s never fires in its tests' % alert
    assert inputs - fired, '%s: every input host fires; add one that must not' % alert


def test_every_recording_rule_value_is_tested():
    tested = set()
    for path in RULE_TESTS:
        for test in _load(path)['tests']:
            for case in test.get('promql_expr_test', []):
                samples = [sample['labels'] for sample in case.get('exp_samples') or []]
                tested |= {name for name in RECORDS for text in [case['expr']] + samples if name in text}
    assert set(RECORDS) <= tested, sorted(set(RECORDS) - tested)


@needs_promtool
def test_promtool_check_rules():
    result = subprocess.run([PROMTOOL, 'check', 'rules', RULES], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, check=False)
    assert result.returncode == 0, result.stdout
    assert 'SUCCESS: %d rules found' % (len(RECORDS) + len(ALERTS)) in result.stdout


@needs_promtool
def test_promtool_test_rules():
    assert RULE_TESTS
    result = subprocess.run([PROMTOOL, 'test', 'rules'] + RULE_TESTS, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert result.returncode == 0, result.stdout
    assert result.stdout.count('SUCCESS') == len(RULE_TESTS), result.stdout
