# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""extras/grafana/netfleet-fleet.json: valid JSON in Grafana's dashboard schema, its data source the
``${datasource}`` variable everywhere, unique ids, and queries that read only the recording rules and the
exporter's own series (the verdict, the baseline, the drop-in, the TCP memory state), never a raw counter.
Their PromQL goes through promtool when it is installed.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DASHBOARD = os.path.join(ROOT, 'extras', 'grafana', 'netfleet-fleet.json')
RULES = os.path.join(ROOT, 'extras', 'prometheus', 'rules', 'netfleet.rules.yml')
DATASOURCE = {'type': 'prometheus', 'uid': '${datasource}'}

# The exporter's series the dashboard may read besides the recording rules (the series contract of issue 15).
EXPORTER_SERIES = frozenset((
    'netfleet_verdict',
    'netfleet_verdict_timestamp_seconds',
    'netfleet_baseline_per_million_segs',
    'netfleet_baseline_per_second',
    'netfleet_baseline_timestamp_seconds',
    'netfleet_dropin_present',
    'netfleet_dropin_keys',
    'netfleet_dropin_keys_overridden',
    'netfleet_tcp_memory_state',
))

# PromQL words that look like metric names: operators and modifiers (functions and aggregations are
# followed by "(", and are told apart that way).
_KEYWORDS = frozenset(('and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left',
                       'group_right', 'inf', 'nan', 'atan2'))
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"' + r"|'(?:[^'\\]|\\.)*'" + r'|`[^`]*`')
_MATCHERS = re.compile(r'\{[^}]*\}')
_RANGE = re.compile(r'\[[^\]]*\]')
_GROUPING = re.compile(r'\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)')
_VARIABLE = re.compile(r'\$\{[^}]*\}|\$\w+')
_NUMBER = re.compile(r'(?<![\w:])(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?(?:ms|[smhdwy])?)')
_IDENTIFIER = re.compile(r'[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?')


def metric_names(expr):
    """The metric names a PromQL expression reads: identifiers that are no function, keyword or label."""
    text = _STRING.sub(' ', expr)
    # a selector given only by {__name__="..."} names its metric inside the braces
    names = set(re.findall(r'__name__\s*=\s*"([^"]*)"', expr))
    text = _MATCHERS.sub(' ', text)
    text = _RANGE.sub(' ', text)
    text = _GROUPING.sub(' ', text)
    text = _VARIABLE.sub(' 1 ', text)
    text = _NUMBER.sub(' ', text)
    for match in _IDENTIFIER.finditer(text):
        if match.group(1) is None and match.group(0) not in _KEYWORDS:
            names.add(match.group(0))
    return names


def _dashboard():
    with open(DASHBOARD) as handle:
        return json.load(handle)


def _panels(panels):
    for panel in panels:
        yield panel
        yield from _panels(panel.get('panels', []))


def _expressions(dashboard):
    """(where, PromQL) for every panel target and every query variable."""
    for panel in _panels(dashboard['panels']):
        for target in panel.get('targets', []):
            yield 'panel %s %r target %s' % (panel['id'], panel['title'], target['refId']), target['expr']
    for variable in dashboard['templating']['list']:
        if variable['type'] == 'query':
            query = variable['query']
            query = query['query'] if isinstance(query, dict) else query
            match = re.match(r'^\s*label_values\((.*),\s*\w+\s*\)\s*$', query)
            yield 'variable %s' % variable['name'], match.group(1) if match else query


def _allowed():
    with open(RULES) as handle:
        groups = yaml.safe_load(handle)['groups']
    return {rule['record'] for group in groups for rule in group['rules'] if 'record' in rule} | EXPORTER_SERIES


@pytest.mark.parametrize('expr, names', [
    ('topk(10, netfleet:prune_called_per_million_insegs:rate5m)', {'netfleet:prune_called_per_million_insegs:rate5m'}),
    ('rate(node_netstat_TcpExt_PruneCalled{instance=~"$instance"}[$__rate_interval]) * 1e6',
     {'node_netstat_TcpExt_PruneCalled'}),
    ('sum without (state) (2 * netfleet_tcp_memory_state{state="pressure"} or up offset 5m)',
     {'netfleet_tcp_memory_state', 'up'}),
    ('a > ignoring (metric) group_left (job) (0.1 * b{metric="x, y"}) and on (instance) c == bool 1',
     {'a', 'b', 'c'}),
    ('{__name__=~"x", __name__="netfleet_netstat_Tcp_InSegs"}', {'netfleet_netstat_Tcp_InSegs'}),
    ('count(x) or vector(0)', {'x'}),
    ('histogram_quantile(0.9, sum by (le) (rate(y_bucket[5m:1m])))', {'y_bucket'}),
])
def test_metric_names_reads_what_a_query_reads(expr, names):
    assert metric_names(expr) == names


def test_valid_dashboard_json_in_grafana_9_and_10_schema():
    dashboard = _dashboard()
    assert 36 <= dashboard['schemaVersion'] <= 39  # Grafana 9.0 to 10.x
    assert dashboard['id'] is None  # imports as a new dashboard (the HTTP API refuses a foreign id)
    assert re.match(r'^[A-Za-z0-9_-]{1,40}$', dashboard['uid'])
    assert dashboard['title'] and dashboard['panels']
    for key in ('annotations', 'templating', 'time', 'tags'):
        assert key in dashboard, key


def test_panel_ids_are_unique_and_every_panel_has_a_place():
    dashboard = _dashboard()
    ids = [panel['id'] for panel in _panels(dashboard['panels'])]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for panel in _panels(dashboard['panels']):
        grid = panel['gridPos']
        assert panel['title'], panel['id']
        assert 0 <= grid['x'] and grid['x'] + grid['w'] <= 24 and grid['h'] >= 1, panel['id']
        refs = [target['refId'] for target in panel.get('targets', [])]
        assert len(refs) == len(set(refs)), panel['id']
        assert panel['type'] == 'row' or refs, '%s has no query' % panel['title']


def test_the_datasource_is_the_template_variable():
    dashboard = _dashboard()
    variables = {variable['name']: variable for variable in dashboard['templating']['list']}
    assert variables['datasource']['type'] == 'datasource'
    assert variables['datasource']['query'] == 'prometheus'
    instance = variables['instance']
    assert instance['type'] == 'query' and instance['datasource'] == DATASOURCE
    assert instance['multi'] and instance['includeAll'] and instance['allValue'] == '.+'
    for panel in _panels(dashboard['panels']):
        if panel['type'] == 'row':
            assert 'datasource' not in panel, panel['id']
            continue
        assert panel['datasource'] == DATASOURCE, panel['id']
        for target in panel['targets']:
            assert target.get('datasource', DATASOURCE) == DATASOURCE, (panel['id'], target['refId'])
    # no data source uid of some Grafana was left behind anywhere
    text = json.dumps(dashboard)
    uids = set(re.findall(r'"uid": "([^"]*)"', text)) - {dashboard['uid'], '${datasource}', '-- Grafana --'}
    assert not uids, uids


def test_queries_read_only_recording_rules_and_exporter_series():
    allowed = _allowed()
    used = set()
    for where, expr in _expressions(_dashboard()):
        names = metric_names(expr)
        assert names, '%s reads no metric: %s' % (where, expr)
        assert names <= allowed, '%s reads %s, neither a recording rule nor an exporter series' % (
            where, sorted(names - allowed))
        used |= names
    # the overview reads the verdicts, the per-million rules and the guards
    for name in ('netfleet_verdict', 'netfleet:prune_called_per_million_insegs:rate5m',
                 'netfleet:rcv_collapsed_per_million_insegs:rate5m', 'netfleet:memory_pressures:increase5m',
                 'netfleet:retrans_segs_per_million_outsegs:rate5m', 'netfleet_tcp_memory_state'):
        assert name in used, name


def test_overview_top_offenders_and_drill_down():
    dashboard = _dashboard()
    exprs = [expr for _where, expr in _expressions(dashboard)]
    assert any(expr.startswith('topk(') for expr in exprs)
    assert any('count by (verdict) (netfleet_verdict == 1)' in expr for expr in exprs)
    drill = [panel for panel in dashboard['panels'] if panel['type'] == 'row' and panel.get('collapsed')]
    assert len(drill) == 1 and drill[0]['panels'], 'one collapsed per-host drill-down row'
    assert all('$instance' in target['expr'] for panel in drill[0]['panels'] for target in panel['targets'])


PROMTOOL = shutil.which('promtool')


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian's prometheus package; `make deps` installs it)")
def test_queries_parse_with_promtool(tmp_path):
    """Each query as a recording rule, so that promtool check rules parses its PromQL."""
    rules = []
    for number, (where, expr) in enumerate(_expressions(_dashboard())):
        expr = re.sub(r'\$\{?__(?:rate_interval|interval|range)\}?', '5m', expr)
        rules.append({'record': 'dashboard:query_%d' % number, 'expr': expr, 'labels': {'where': where}})
    path = tmp_path / 'dashboard.rules.yml'
    path.write_text(yaml.safe_dump({'groups': [{'name': 'dashboard', 'rules': rules}]}))
    result = subprocess.run([PROMTOOL, 'check', 'rules', str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, check=False)
    assert result.returncode == 0, result.stdout
    assert 'SUCCESS: %d rules found' % len(rules) in result.stdout
