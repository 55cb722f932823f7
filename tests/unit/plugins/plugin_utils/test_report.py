# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import re
from html.parser import HTMLParser

import pytest

from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry
from ansible_collections.netfleet.tuning.plugins.plugin_utils import markdown_text as mt
from ansible_collections.netfleet.tuning.plugins.plugin_utils import report as r
from ansible_collections.netfleet.tuning.plugins.plugin_utils import report_templates as rt
from ansible_collections.netfleet.tuning.plugins.plugin_utils import report_view as rv
from ansible_collections.netfleet.tuning.plugins.plugin_utils import thresholds as t
from ansible_collections.netfleet.tuning.plugins.plugin_utils import verdict as v


def win(prune, collapsed, in_segs=10 ** 6, seconds=20.0, valid=True, **guards):
    """A window with the gated metrics, every default guard (0 unless given) and OutSegs (half the InSegs)."""
    metrics = {'prune_called': {'delta': prune}, 'rcv_collapsed': {'delta': collapsed},
               'in_segs': {'delta': in_segs}, 'out_segs': {'delta': in_segs // 2}}
    for name in metric_registry.DEFAULT_GUARDS:
        metrics[name] = {'delta': guards.get(name, 0)}
    for name, entry in metrics.items():
        per = metric_registry.BY_NAME[name].per
        entry['per_second'] = entry['delta'] / seconds
        entry['per_million_segs'] = entry['delta'] * 1e6 / metrics[per]['delta'] if per else None
    return {'seconds': seconds, 'valid': valid, 'invalid_reason': None if valid else 'boot_id changed',
            'in_segs': in_segs, 'metrics': metrics}


def sample(window, rmem='4096 16384 65536', boot='boot-1', at='2026-01-15T10:00:00.000Z'):
    return {'recorded_at': at, 'boot_id': boot, 'window': window,
            'sysctl': {'net.ipv4.tcp_rmem': {'value': rmem, 'scope': 'netns'},
                       'net.core.rmem_max': {'value': None, 'scope': 'host'}}}


def record(before, after, **extra):
    base = sample(before)
    ver = sample(after, rmem='4096 131072 33554432', at='2026-01-15T10:05:00.000Z')
    rec = {'stage': 'verified', 'batch': 1, 'baseline': base, 'verify': ver,
           'verdict': v.judge(base, ver),
           # the role's sysctl_profile_result: sysctl_dropin RETURN
           'role_result': {'keys': {'net.ipv4.tcp_rmem': {'status': 'applied', 'scope': 'netns',
                                                          'before': '4096 16384 65536', 'live': '4096 131072 33554432'},
                                    'net.core.rmem_max': {'status': 'skipped', 'scope': 'host'}}},
           'role_changed': True}
    rec.update(extra)
    return rec


@pytest.fixture
def fleet():
    records = {
        'lab-h01': record(win(4000, 200000), win(0, 3)),
        'lab-h02': record(win(3000, 150000), win(2900, 140000)),
        'lab-h03': {'stage': 'failed', 'batch': 2, 'error': 'sysctl_profile: cannot write /etc/sysctl.d'},
        'lab-h04': {'stage': 'started', 'batch': 2},
        'lab-h05': None,
    }
    hosts = ['lab-h01', 'lab-h02', 'lab-h03', 'lab-h04', 'lab-h05']
    return r.build(records, hosts=hosts, active=['lab-h01', 'lab-h02', 'lab-h03'],
                   thresholds=t.validate_thresholds(), playbook='rollout', run_id='run-1',
                   generated_at='2026-01-15T10:06:00Z', state_dir='/tmp/state')


def test_statuses_and_summary(fleet):
    hosts = fleet['hosts']
    assert list(hosts) == ['lab-h01', 'lab-h02', 'lab-h03', 'lab-h04', 'lab-h05']
    assert [hosts[h]['status'] for h in hosts] == ['verified', 'verified', 'failed', 'unreachable', 'not_reached']
    assert [hosts[h]['verdict'] for h in hosts] == ['improved', 'not_improved', None, None, None]
    assert [hosts[h]['passed'] for h in hosts] == [True, False, False, False, False]
    summary = fleet['summary']
    assert summary['hosts'] == 5
    assert summary['passed'] == 1
    assert summary['failed'] == 3
    assert summary['passed_hosts'] == ['lab-h01']
    assert summary['failed_hosts'] == ['lab-h02', 'lab-h03', 'lab-h04']
    assert summary['not_verified_hosts'] == ['lab-h03', 'lab-h04', 'lab-h05']
    assert summary['verdicts'] == {'reset': 0, 'insufficient_traffic': 0, 'regressed': 0, 'clean': 0,
                                   'improved': 1, 'not_improved': 1}
    assert summary['statuses'] == {'verified': 2, 'failed': 1, 'unreachable': 1, 'not_reached': 1}
    assert summary['ok'] is False
    assert hosts['lab-h03']['message'] == 'sysctl_profile: cannot write /etc/sysctl.d'
    assert 'stopped before its batch' in hosts['lab-h05']['message']


def test_host_entry_shape(fleet):
    entry = fleet['hosts']['lab-h01']
    assert entry['before']['in_segs'] == 10 ** 6
    assert entry['before']['recorded_at'] == '2026-01-15T10:00:00.000Z'
    # the window's rates are the verdict's metrics: kept once, there
    assert 'rates' not in entry['before'] and 'rates' not in entry['after']
    assert entry['metrics']['prune_called']['before_delta'] == 4000
    assert entry['metrics']['prune_called']['before_per_second'] == 200.0
    assert entry['metrics']['prune_called']['before_per_million'] == 4000.0
    assert entry['metrics']['prune_called']['after_per_million'] == 0.0
    assert entry['metrics']['prune_called']['reduction_pct'] == 100.0
    # a metric that is not gated and was 0 in both windows is named, not repeated
    assert 'softnet_dropped' not in entry['metrics'] and entry['zero_metrics'] == [
        'rcv_pruned', 'softnet_dropped', 'memory_pressures', 'retrans_segs', 'listen_overflows']
    # the guards were judged: none regressed (their names are in the thresholds, once)
    assert entry['guards'] == {'regressed': [], 'unjudged': [], 'memory_pressure': {'before': None, 'after': None}}
    assert entry['changes']['keys']['net.ipv4.tcp_rmem']['outcome'] == 'applied'
    assert entry['changes']['keys']['net.core.rmem_max'] == {'outcome': 'skipped', 'before': None, 'after': None,
                                                             'wanted': None, 'detail': None}
    assert entry['changes']['live'] == {'net.ipv4.tcp_rmem': {'before': '4096 16384 65536',
                                                              'after': '4096 131072 33554432'}}
    assert entry['batch'] == 1


def test_all_pass_is_ok():
    rep = r.build({'a': record(win(4000, 200000), win(0, 0)), 'b': record(win(0, 0), win(0, 0))})
    assert rep['summary']['ok'] is True
    assert rep['hosts']['b']['verdict'] == 'clean'
    assert r.build({})['summary']['ok'] is False


def test_json_is_stable_and_strict(fleet):
    text = r.render_json(fleet)
    assert text.endswith('}\n')
    again = json.loads(text)
    assert again == json.loads(json.dumps(fleet))
    assert r.render_json(again) == text
    assert again['schema_version'] == 1
    assert set(again) == {'schema_version', 'generated_at', 'generator', 'playbook', 'run_id', 'state_dir',
                          'thresholds', 'socket_buffers_rule', 'hosts', 'summary'}
    for entry in again['hosts'].values():
        assert {'verdict', 'before', 'after', 'status', 'passed', 'message', 'changes'} <= set(entry)
    with pytest.raises(ValueError):
        r.render_json({'x': float('nan')})
    assert json.loads(r.render_json([1, {'b': 2}])) == [1, {'b': 2}]


def test_json_one_host_per_line_in_the_reports_order(fleet):
    lines = r.render_json(fleet).splitlines()
    hosts = [line for line in lines if line.startswith('    "lab-h')]
    assert [line.split('"')[1] for line in hosts] == list(fleet['hosts'])
    for name, line in zip(fleet['hosts'], hosts):
        assert json.loads('{%s}' % line.rstrip(',')) == {name: fleet['hosts'][name]}
    # the top-level keys sorted, each on a line of its own; the summary one entry per line
    top = [line.split('"')[1] for line in lines if line.startswith('  "')]
    assert top == sorted(fleet)
    assert '    "failed_hosts": ["lab-h02","lab-h03","lab-h04"],' in lines
    assert r.render_json({'hosts': {}, 'summary': {}}) == '{\n  "hosts": {},\n  "summary": {}\n}\n'


def test_markdown(fleet):
    text = rt.render_markdown(fleet)
    assert text.startswith('# netfleet.tuning fleet report\n')
    assert '**1 of 5 hosts passed (improved 1, not_improved 1); not verified: failed 1, unreachable 1, ' \
           'not reached 1**' in text
    row = [line for line in text.splitlines() if line.startswith('| lab-h01 |')][0]
    assert '4,000 -> 0 (-100.0%)' in row
    assert '200,000 -> 3.00 (-99.9%)' in row
    assert row.endswith('| 1 |')
    assert '| lab-h02 | not_improved (FAIL) |' in text
    assert 'prune_called did not fall by 90%' in text
    # failing hosts first (no verdict at all, then the verdicts), then the hosts not reached, then the passing
    headings = [line for line in text.splitlines() if line.startswith('## ')]
    assert headings == ['## Failing hosts (3: failed 1, unreachable 1, not_improved 1)', '## Not reached (1)',
                        '## Passing hosts (1: improved 1)', '## Hosts']
    rows = [line.split(' | ')[0][2:] for line in text.splitlines() if line.startswith('| lab-h')]
    assert rows[:4] == ['lab-h03', 'lab-h04', 'lab-h02', 'lab-h01']
    failing_row = [line for line in text.splitlines() if line.startswith('| lab-h03 |')][0]
    assert failing_row.endswith('| sysctl_profile: cannot write /etc/sysctl.d |')
    assert 'The rollout stopped before their batch: lab-h05.' in text
    sections = [line for line in text.splitlines() if line.startswith('### ')]
    assert sections == ['### lab-h03: failed', '### lab-h04: unreachable', '### lab-h02: not_improved (FAIL)',
                        '### lab-h05: not_reached', '### lab-h01: improved']
    assert '| net.ipv4.tcp_rmem | applied | - | `4096 16384 65536` | `4096 131072 33554432` |' in text
    assert '| net.core.rmem_max | skipped | - | - | - |' in text  # skipped without a reason: no detail


def test_markdown_escapes_cells():
    rep = r.build({'evil|host': {'stage': 'failed', 'error': 'a|b <script>`x`'}})
    text = rt.render_markdown(rep)
    assert 'evil\\|host' in text
    assert '<script>' not in text
    assert 'a\\|b &lt;script>\\`x\\`' in text


HOSTILE = ['web\r1', 'a|b', '<script>', '# head', 'x\ny', '- item', '1. first', '> quote', '_em_', 'tab\there',
           'web\u2028sep', 'bidi\u202eevil', 'back\\slash|pipe', ' lead', 'del\x7f', '[link](http://x)', 'a&amp;b']
_UNESCAPED_PIPE = re.compile(r'(?<!\\)\|')
_RAW_CONTROL = re.compile('[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]')


def hostile_report():
    records = {}
    for index, name in enumerate(HOSTILE):
        if index % 3 == 0:
            records[name] = record(win(4000, 200000), win(0, 3), role_result={'keys': {
                'net.ipv4.tcp_rmem': {'status': 'applied', 'before': '4096 | 16384\r65536', 'live': '`x`'},
                'net.core.somaxconn': {'status': 'applied', 'before': '1|2\r', 'live': '`x`|', 'desired': 'a||b'},
                'net.evil|key\r\n# x': {'status': 'overridden', 'by': '/etc/sysctl.d/99-x|y\n.conf'}}})
        elif index % 3 == 1:
            records[name] = {'stage': 'failed', 'error': 'line one\r\n| line two | `x` <b>\x1b[31m'}
        else:
            records[name] = None
    active = [name for index, name in enumerate(HOSTILE) if index % 3 != 2]
    return r.build(records, hosts=HOSTILE, active=active, thresholds=t.validate_thresholds(),
                   playbook='verify', run_id='run\r1|x')


def test_markdown_host_names_cannot_break_the_structure():
    text = rt.render_markdown(hostile_report())
    lines = text.split('\n')
    assert lines == text.splitlines() + [''] or lines == text.splitlines()  # no other line breaks
    assert not _RAW_CONTROL.search(text)
    # every table: each row has as many unescaped "|" as its header
    tables, current = [], []
    for line in lines:
        if line.startswith('|'):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    passing = sum(1 for index in range(len(HOSTILE)) if index % 3 == 0)
    assert len(tables) == 2 + passing
    for table in tables:
        counts = set(len(_UNESCAPED_PIPE.findall(row)) for row in table)
        assert len(counts) == 1, table
    # the failing hosts' table, then the passing hosts' table
    assert len(tables[0]) == 2 + len(HOSTILE) - passing - sum(1 for index in range(len(HOSTILE)) if index % 3 == 2)
    assert len(tables[1]) == 2 + passing
    # one heading per host, each one line, never a deeper or shallower heading
    headings = [line for line in lines if line.startswith('#')]
    assert headings[0] == '# netfleet.tuning fleet report'
    host_headings = [line for line in headings if line.startswith('### ')]
    assert len(host_headings) == len(HOSTILE)
    assert [line for line in headings if not line.startswith('### ')] == [
        '# netfleet.tuning fleet report', '## Failing hosts (6: failed 6)', '## Not reached (5)',
        '## Passing hosts (6: improved 6)', '## Hosts']
    assert '### web\\\\r1: improved' in lines
    assert '### \\# head: improved' in lines
    assert '### &lt;script>: not_reached' in lines
    assert '| a\\|b | failed |' in text
    assert '<script>' not in text and '<b>' not in text
    # a list item never starts a nested list, a quote or a heading
    for line in lines:
        if line.startswith('- '):
            assert not re.match(r'- (?:[-+*>#]|\d+[.)] )', line), line


def test_markdown_escapes_render_as_the_visible_text():
    markdown_it = pytest.importorskip('markdown_it')
    rep = hostile_report()
    html = markdown_it.MarkdownIt('commonmark').enable('table').render(rt.render_markdown(rep))
    assert html.count('<table>') == 2 + sum(1 for index in range(len(HOSTILE)) if index % 3 == 0)
    # no list, quote, link or emphasis came from a host name
    assert '<ol' not in html and '<blockquote>' not in html and '<a ' not in html
    assert '<em>' not in html and '<strong>' in html and html.count('<strong>') == 1
    for index, name in enumerate(HOSTILE):
        shown = mt.visible(name).replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;').replace('"', '&quot;')
        if index % 3 == 2:  # not reached: named in a sentence
            assert shown in html.split('before their batch:')[1].split('</p>')[0], name
        else:
            assert '<td>%s</td>' % shown in html, name
        assert '<h3>%s: ' % shown in html, name
    assert '<td><code>1|2\\r</code></td><td><code>`x`|</code></td>' in html.replace('\n', '')
    assert '<td><code>a||b</code></td>' in html
    for body, count in ((html.split('<tbody>')[1].split('</tbody>')[0], 6),
                        (html.split('<tbody>')[2].split('</tbody>')[0], 6)):
        rows = body.split('</tr>')[:-1]
        assert len(rows) == count
        assert all(row.count('<td') == rows[0].count('<td') for row in rows)


class _Collect(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.tags = []
        self.attrs = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)


def test_html_self_contained(fleet):
    page = rt.render_html(fleet)
    parser = _Collect()
    parser.feed(page)
    assert page.startswith('<!DOCTYPE html>')
    assert 'script' not in parser.tags and 'link' not in parser.tags and 'img' not in parser.tags
    for name, value in parser.attrs:
        assert name != 'src'
        if name == 'href':
            assert value.startswith('#')
    # one chart per verified host, with a bar per window and gated metric
    assert parser.tags.count('svg') == 2
    assert parser.tags.count('rect') == 8
    assert 'The rollout stopped before their batch:</p><p class="names">lab-h05</p>' in page
    # failing hosts first: their table is the first one, linked to their sections
    first = page.split('<tbody>')[1].split('</tbody>')[0]
    assert re.findall(r'href="#host-([^"]+)"', first) == ['lab-h03', 'lab-h04', 'lab-h02']
    assert page.index('id="failing"') < page.index('id="not-reached"') < page.index('id="passing"')


def test_html_escapes_everything():
    rep = r.build({'<img src=x onerror=alert(1)>': {'stage': 'failed', 'error': '<script>alert(1)</script>'}})
    page = rt.render_html(rep)
    assert '<script>' not in page and '<img' not in page
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in page


def test_text(fleet):
    text = rv.render_text(fleet)
    lines = text.splitlines()
    assert lines[0].split() == ['host', 'verdict', 'prune_called/M', 'InSegs', 'rcv_collapsed/M', 'InSegs',
                                'guards', 'InSegs/s']
    assert set(lines[1]) <= {'-', ' '}
    # failing first, then not reached, then passing
    assert [line.split()[0] for line in lines[2:7]] == ['lab-h03', 'lab-h04', 'lab-h02', 'lab-h05', 'lab-h01']
    assert re.match(r'lab-h01\s+improved\s+4,000 -> 0 \(-100\.0%\)\s+200,000 -> 3\.00 \(-99\.9%\)', lines[6])
    assert '1 of 5 hosts passed' in text
    assert '  lab-h02: not_improved: prune_called did not fall by 90%' in text
    assert '  1 host(s) not reached: the rollout stopped before their batch: lab-h05' in text


def test_role_changes_from_the_documented_return():
    # the shape of the sysctl_profile role's sysctl_profile_result (sysctl_dropin RETURN)
    result = {'state': 'present', 'changed': True, 'path': '/etc/sysctl.d/60-netfleet-tuning.conf',
              'keys': {'net.ipv4.tcp_rmem': {'status': 'applied', 'scope': 'netns', 'desired': '4096 87380 16777216',
                                             'value': '4096 87380 16777216', 'before': '4096 16384 65536',
                                             'live': '4096 87380 16777216'},
                       'net.core.rmem_max': {'status': 'skipped', 'scope': 'host', 'desired': '16777216',
                                             'reason': 'read-only in this network namespace (host scope)'},
                       'net.core.somaxconn': {'status': 'overridden', 'scope': 'netns', 'desired': '8192',
                                              'before': '4096', 'live': '4096', 'by': '/etc/sysctl.d/99-x.conf'}}}
    got = r._role_changes(result)
    assert got['net.ipv4.tcp_rmem'] == {'outcome': 'applied', 'before': '4096 16384 65536',
                                        'after': '4096 87380 16777216', 'wanted': '4096 87380 16777216',
                                        'detail': None}
    # skipped: what it wanted, never shown as live
    assert got['net.core.rmem_max']['after'] is None and got['net.core.rmem_max']['wanted'] == '16777216'
    assert got['net.core.somaxconn']['detail'] == '/etc/sysctl.d/99-x.conf'


def test_reset_and_reboot_reported():
    base = sample(win(4000, 200000), boot='boot-1')
    ver = sample(win(0, 0), boot='boot-2')
    rec = {'stage': 'verified', 'baseline': base, 'verify': ver, 'verdict': v.judge(base, ver)}
    rep = r.build({'h': rec})
    assert rep['hosts']['h']['reboot'] is True
    assert rep['summary']['rebooted_hosts'] == ['h']
    assert 'rebooted' in rt.render_markdown(rep)
    bad = sample(win(1, 1, valid=False))
    rec = {'stage': 'verified', 'baseline': base, 'verify': bad, 'verdict': v.judge(base, bad)}
    rep = r.build({'h': rec})
    assert rep['hosts']['h']['verdict'] == 'reset'
    assert rep['summary']['failed_hosts'] == ['h']


def test_pending_hosts_are_not_reached_unless_they_dropped_out():
    records = {'a': record(win(4000, 200000), win(3900, 190000)), 'b': {'stage': 'pending'},
               'c': {'stage': 'pending'}}
    rep = r.build(records, hosts=['a', 'b', 'c'], active=['a', 'b'])
    assert [rep['hosts'][h]['status'] for h in 'abc'] == ['verified', 'not_reached', 'unreachable']
    assert rep['summary']['failed_hosts'] == ['a', 'c']


def test_text_shows_hints_and_rollback():
    rec = record(win(4000, 200000), win(3900, 190000), rolled_back=True)
    rec['verdict']['hints'] = ['8 established socket(s) have a receive buffer below the default']
    text = rv.render_text(r.build({'a': rec}))
    assert '    note: 8 established socket(s)' in text
    assert '  a: rolled back to the values live before the rollout' in text
    assert 'rolled back' in rt.render_markdown(r.build({'a': rec}))


PINNED = {
    'rule': 'the rule', 'tcp_rmem_default': 87380, 'tcp_rmem_max': 16777216, 'rmem_max': 4194304,
    'unlocked_wscale': 9, 'established': 9, 'with_rb': 9, 'pinned_below_default': 0, 'pinned_drops': 0,
    'offenders': [], 'pinned': 8, 'pinned_cases': {'locked_at_connect': 8, 'below_default': 0},
    'pinned_groups': [{'process': 'python3', 'pid': 4121, 'local': '198.18.0.11:*', 'peer': '198.18.0.2:8080',
                       'case': 'locked_at_connect', 'sockets': 8, 'rb_min': 131072, 'rb_max': 131072,
                       'rcv_wscale': 1, 'received_bytes': 216000000, 'drops': 96}],
}


def pinned_record(before, after):
    """A record whose verify window found 8 sockets of python3 pinning SO_RCVBUF."""
    rec = record(before, after)
    rec['verify']['socket_buffers'] = PINNED
    rec['verdict'] = v.judge(rec['baseline'], rec['verify'], socket_buffers=PINNED)
    return rec


def test_pinned_sockets_in_every_view():
    records = {'bad': pinned_record(win(3000, 150000), win(2900, 140000)),
               'good': pinned_record(win(4000, 200000), win(0, 3)),
               'plain': record(win(4000, 200000), win(0, 3))}
    rep = r.build(records, hosts=['bad', 'good', 'plain'])
    named = '8 sockets of process python3 (pid 4121) pin SO_RCVBUF'
    bad, good = rep['hosts']['bad'], rep['hosts']['good']
    # report.json: not_improved says it first; improved passes with a note; the host's groups are kept
    assert bad['verdict'] == 'not_improved' and bad['reasons'][0].startswith(named)
    assert bad['message'].startswith('not_improved: ' + named)
    assert good['verdict'] == 'improved' and good['passed'] and good['hints'][0].startswith(named)
    assert bad['socket_buffers']['pinned_groups'][0]['pid'] == 4121 and 'rule' not in bad['socket_buffers']
    assert rep['socket_buffers_rule'] == 'the rule'
    assert json.loads(r.render_json(rep))['hosts']['good']['hints'] == good['hints']
    text = rv.render_text(rep)
    assert '  bad: not_improved: ' + named in text
    assert '  good (improved): note: ' + named in text
    assert 'plain' not in text.split('\n\n', 1)[1].replace('plain  improved', '')
    md = rt.render_markdown(rep)
    # the failing table's "why" column is the first reason: the pinned sockets
    row = md.split('| bad | not_improved (FAIL) |')[1].split('\n')[0]
    assert ' | ' + named in row
    assert '- note: ' + named in md
    page = rt.render_html(rep)
    assert '<td>' + named in page and 'note: ' + named in page


def test_large_fleet_lists_the_notes_of_passing_hosts():
    rep = _large_fleet(3 * rv.FULL_DETAIL_HOSTS)
    assert rep['hosts']['web-0011']['verdict'] == 'improved'
    rep['hosts']['web-0011'] = r.build({'web-0011': pinned_record(win(4000, 200000), win(0, 3))})['hosts']['web-0011']
    md = rt.render_markdown(rep)
    assert 'Passing hosts with a note (1):' in md
    assert '- web-0011: note: 8 sockets of process python3 (pid 4121) pin SO_RCVBUF' in md
    page = rt.render_html(rep)
    assert '<li>web-0011: <span class="note">note: 8 sockets of process python3' in page
    assert 'web-0011 (improved): note: 8 sockets' in rv.render_text(rep)
    assert rv.noted(rep, list(rep['hosts']), limit=0) == ([], 1)


def test_build_names_each_host_once_in_order():
    records = {'b': {'stage': 'failed', 'error': 'x'}, 'z': {'stage': 'pending'}, 'a': None}
    rep = r.build(records, hosts=['b', 'c', 'b'])
    # the play's hosts in order, each once, then the records' other hosts, sorted
    assert list(rep['hosts']) == ['b', 'c', 'a', 'z']
    assert rep['summary']['hosts'] == 4
    assert list(r.build(records)['hosts']) == ['a', 'b', 'z']


def _large_fleet(count, failing_every=7, pending_every=50):
    """count hosts: every failing_every-th fails verify, every pending_every-th was not reached, one failed
    before a verdict and one unreachable; the rest improved."""
    records, hosts, active = {}, [], []
    good = record(win(4000, 200000), win(0, 3))
    bad = record(win(3000, 150000), win(2900, 140000))
    for index in range(count):
        name = 'web-%04d' % index
        hosts.append(name)
        if index == 3:
            records[name] = {'stage': 'failed', 'batch': 2, 'error': 'no baseline'}
        elif index == 5:
            records[name] = {'stage': 'started', 'batch': 2}
            continue
        elif index % pending_every == 1:
            records[name] = {'stage': 'pending'}
        elif index % failing_every == 0:
            records[name] = bad
        else:
            records[name] = good
        active.append(name)
    return r.build(records, hosts=hosts, active=active, thresholds=t.validate_thresholds(), playbook='rollout')


def test_large_fleet_failures_first_passing_summarised():
    rep = _large_fleet(3 * rv.FULL_DETAIL_HOSTS)
    failing, waiting, passing = rv.groups(rep)
    assert failing[:2] == ['web-0003', 'web-0005'] and len(failing) == 2 + len(range(0, 300, 7))
    assert all(rep['hosts'][name]['verdict'] == 'not_improved' for name in failing[2:])
    assert len(waiting) == 6 and len(passing) == 300 - 45 - 6 == 249

    text = rt.render_markdown(rep)
    headings = [line for line in text.splitlines() if line.startswith('## ')]
    assert headings == ['## Failing hosts (45: failed 1, unreachable 1, not_improved 43)', '## Not reached (6)',
                        '## Passing hosts (249: improved 249)', '## Failing hosts in detail']
    # a section each: those with a verdict (numbers to show) first, then the rest
    sections = [line[4:].split(':')[0] for line in text.splitlines() if line.startswith('### ')]
    assert sections == failing[2:] + failing[:2]
    # a passing host: named (findable), summarised, never a section or a row of its own
    last = passing[-1]
    assert last in text.split('Every passing host')[1]
    assert '| %s |' % last not in text
    assert '| prune_called | 0 | 249 | 0 | - |' in text
    assert '| rcv_collapsed | 0 | 0 | 249 | \\-99.9% (web-0002) |' in text

    page = rt.render_html(rep)
    assert page.count('<svg') == len(failing) - 2  # a chart per failing host with a verdict
    assert page.index('id="failing"') < page.index('id="passing"')
    assert 'id="host-%s"' % last not in page and 'id="host-web-0007"' in page
    before, summary = page.split('<details>', maxsplit=1)
    assert last in summary and last not in before
    closest = page.split('closest to the threshold')[1].split('</table>')[0]
    assert closest.count('<tr>') == 1 + rv.NEAREST_LIMIT

    terminal = rv.render_text(rep)
    assert 'web-0002' not in terminal and last not in terminal
    assert '  249 passing host(s) (improved 249): each one in report.md and report.json' in terminal
    assert '  6 host(s) not reached: the rollout stopped before their batch\n' in terminal


def test_large_fleet_caps(monkeypatch):
    monkeypatch.setattr(rv, 'DETAIL_LIMIT', 10)
    monkeypatch.setattr(rv, 'CHART_LIMIT', 4)
    monkeypatch.setattr(rv, 'TEXT_LIMIT', 5)
    rep = _large_fleet(3 * rv.FULL_DETAIL_HOSTS)
    failing = rv.groups(rep)[0]
    text = rt.render_markdown(rep)
    assert len([line for line in text.splitlines() if line.startswith('### ')]) == 10
    assert '10 of the 45, those with a verdict first; the others are in the table above and in report.json.' in text
    # the table still lists every failing host
    table = text.split('## Not reached', maxsplit=1)[0]
    assert len([line for line in table.splitlines() if line.startswith('| web-')]) == 45
    page = rt.render_html(rep)
    assert page.count('<svg') == 4 and page.count('class="host"') == 10
    # the hosts without a section are not linked
    assert '<a href="#host-%s">' % failing[11] in page and '<a href="#host-%s">' % failing[12] not in page
    assert '<a href="#host-%s">' % failing[0] not in page
    terminal = rv.render_text(rep).splitlines()
    assert len([line for line in terminal if line.startswith('web-')]) == 5
    assert '  ... and 40 more failing host(s): report.md lists every one' in terminal


def test_small_fleet_shows_every_host():
    rep = _large_fleet(rv.FULL_DETAIL_HOSTS)
    page = rt.render_html(rep)
    assert page.count('class="host"') == rv.FULL_DETAIL_HOSTS
    assert page.count('<svg') == len([e for e in rep['hosts'].values() if e['status'] == 'verified'])
    assert '| web-0002 | improved |' in rt.render_markdown(rep)
    assert 'web-0002' in rv.render_text(rep)


def test_report_size_grows_linearly_and_stays_small():
    # a verified host's entry is a line of a few KB in report.json, whatever the fleet's size
    small, large = _large_fleet(200, failing_every=1000), _large_fleet(400, failing_every=1000)
    per_host = [len(r.render_json(rep)) / float(len(rep['hosts'])) for rep in (small, large)]
    assert per_host[1] < per_host[0] * 1.05
    assert per_host[1] < 3000
    # above FULL_DETAIL_HOSTS, a passing host costs the human reports its name and little more
    for render in (rt.render_html, rt.render_markdown, rv.render_text):
        assert (len(render(large)) - len(render(small))) / 200.0 < 40, render


def test_record_for_report_keeps_what_build_reads():
    records = {
        'verified': record(win(4000, 200000), win(0, 3), rolled_back=True, rollback={'keys': {}}),
        'reset': record(win(4000, 200000), win(1, 1, valid=False)),
        'failed': {'stage': 'failed', 'batch': 2, 'error': 'x', 'baseline': sample(win(5, 5))},
        'no-verdict-window': {'stage': 'tuned', 'verify': sample(win(7, 7)), 'baseline': None},
        'pending': {'stage': 'pending'}, 'none': None, 'odd': 'text',
    }
    for rec in records.values():
        if isinstance(rec, dict) and isinstance(rec.get('verify'), dict):
            rec['verify']['metrics_end'] = {'prune_called': 10 ** 9}
            rec['verify']['socket_buffers'] = {'rule': 'r', 'pinned_below_default': 2}
    kwargs = {'hosts': sorted(records), 'active': ['verified', 'reset', 'failed'], 'generated_at': 'x',
              'thresholds': t.validate_thresholds()}
    slim = dict((name, r.record_for_report(rec)) for name, rec in records.items())
    assert r.build(slim, **kwargs) == r.build(records, **kwargs)
    assert 'metrics_end' not in slim['verified']['verify'] and 'window' not in slim['verified']['verify']
    assert 'window' in slim['no-verdict-window']['verify'] and slim['no-verdict-window']['baseline'] is None
    assert r.build(slim, **kwargs)['socket_buffers_rule'] == 'r'


def test_a_regressed_guard_in_every_view():
    """Issue 14: a canary whose pruning fell but whose retransmissions rose is listed first among the failing
    hosts with the guard named, in the JSON, the text, the Markdown and the HTML; the others show ``ok``."""
    records = {'canary': record(win(4000, 200000, retrans_segs=10), win(0, 3, retrans_segs=900)),
               'tuned': record(win(4000, 200000, retrans_segs=10), win(0, 3, retrans_segs=11)),
               'flat': record(win(3000, 150000), win(2900, 140000))}
    rep = r.build(records, hosts=['tuned', 'flat', 'canary'], thresholds=t.validate_thresholds())
    canary = rep['hosts']['canary']
    assert canary['verdict'] == 'regressed' and not canary['passed']
    assert canary['guards']['regressed'] == ['retrans_segs']
    assert canary['metrics']['retrans_segs']['regressed'] is True
    assert rep['hosts']['tuned']['verdict'] == 'improved' and rep['hosts']['tuned']['guards']['regressed'] == []
    assert rep['summary']['verdicts']['regressed'] == 1
    assert rv.guard_cell(canary) == 'retrans_segs 20.0 -> 1,800/M OutSegs (+8900.0%)'
    assert rv.guard_cell(rep['hosts']['tuned']) == 'ok'
    # failing hosts first, regressed before not_improved
    failing, _waiting, passing = rv.groups(rep)
    assert failing == ['canary', 'flat'] and passing == ['tuned']
    text = rv.render_text(rep)
    row = [line for line in text.splitlines() if line.startswith('canary ')][0]
    assert 'regressed (FAIL)' in row and 'retrans_segs 20.0 -> 1,800/M OutSegs' in row
    assert '  canary: regressed: guard retrans_segs rose +8900.0%' in text
    assert 'guards rcv_pruned, softnet_dropped, memory_pressures, retrans_segs, listen_overflows: none may rise ' \
           'by more than 50%' in rv.thresholds_text(rep)
    markdown = rt.render_markdown(rep)
    assert '| guards |' in markdown and '| retrans_segs 20.0 -> 1,800/M OutSegs (+8900.0%) |' in markdown
    assert '- retrans_segs (guard): 20.0 -> 1,800 (+8900.0%) per million OutSegs' in markdown
    page = rt.render_html(rep)
    assert '<th>guards</th>' in page and '<td>guard, regressed</td>' in page
    assert json.loads(r.render_json(rep))['hosts']['canary']['guards']['regressed'] == ['retrans_segs']


def test_the_memory_budget_of_the_role_in_the_report():
    """Issue 14: the role's memory budget (sysctl_profile_result.memory_budget) reaches the report; a host whose
    connections at the new maxima could exceed tcp_mem pressure is flagged in every human view."""
    note = ('120 established TCP socket(s) x 33554432 bytes (tcp_rmem max 16777216 + tcp_wmem max 16777216) = '
            '4026531840 bytes (3840.0 MiB) at most: more than tcp_mem pressure (1572323328 bytes, 1499.5 MiB)')
    over = {'established': 120, 'per_socket_max_bytes': 33554432, 'worst_case_bytes': 4026531840,
            'headroom_bytes': -2454208512, 'exceeds_pressure': True, 'exceeds_high': True, 'note': note,
            'tcp_mem_pages': {'low': 1, 'pressure': 2, 'high': 3}}
    hidden = dict(over, headroom_bytes=None, exceeds_pressure=None, exceeds_high=None, note='not visible here')
    records = {'busy': record(win(4000, 200000), win(3900, 190000)), 'pod': record(win(4000, 200000), win(0, 3))}
    records['busy']['role_result']['memory_budget'] = over
    records['pod']['role_result']['memory_budget'] = hidden
    rep = r.build(records)
    budget = rep['hosts']['busy']['changes']['memory_budget']
    kept = ('established', 'per_socket_max_bytes', 'worst_case_bytes', 'headroom_bytes', 'exceeds_pressure',
            'exceeds_high', 'note')
    assert budget == dict((key, over[key]) for key in kept)
    assert rv.budget_warning(rep['hosts']['busy']) == 'memory budget: ' + note
    assert rv.budget_warning(rep['hosts']['pod']) is None
    assert '    note: memory budget: 120 established' in rv.render_text(rep)
    markdown = rt.render_markdown(rep)
    assert '- WARNING memory budget: 120 established' in markdown and '- memory budget: not visible here' in markdown
    assert '<p class="warn">memory budget: 120 established' in rt.render_html(rep)
    assert r.build({'x': record(win(1, 1), win(1, 1))})['hosts']['x']['changes']['memory_budget'] is None


def test_another_owners_key_with_its_owner_and_fix():
    # issue 16: an overridden key keeps who owns it and the fix, in report.json and under the host in md and html
    fix = 'give net.ipv4.tcp_timestamps one owner: set it in dev-sec\'s sysctl_overwrite <b>or</b> drop it'
    rec = record(win(4000, 200000), win(0, 3))
    rec['role_result']['keys']['net.ipv4.tcp_timestamps'] = {
        'status': 'overridden', 'scope': 'netns', 'desired': '1', 'before': '0', 'live': '0',
        'by': '/etc/sysctl.d/90-dev-sec.conf', 'owner': 'dev-sec hardening (devsec.hardening.os_hardening)',
        'fix': fix, 'reason': '/etc/sysctl.d/90-dev-sec.conf sets net.ipv4.tcp_timestamps = 0 later in the load order'}
    rec['role_result']['keys']['net.core.somaxconn'] = {
        'status': 'applied', 'scope': 'netns', 'before': '128', 'live': '4096',
        'also_set_by': 'tuned profile throughput-performance (/usr/lib/tuned/throughput-performance/tuned.conf)'}
    rep = r.build({'lab-h01': rec})
    keys = rep['hosts']['lab-h01']['changes']['keys']
    assert keys['net.ipv4.tcp_timestamps']['owner'] == 'dev-sec hardening (devsec.hardening.os_hardening)'
    assert keys['net.ipv4.tcp_timestamps']['fix'] == fix
    assert keys['net.core.somaxconn']['also_set_by'].startswith('tuned profile throughput-performance')
    # a key without another owner carries no such field (reports of hosts without other owners are unchanged)
    assert set(keys['net.ipv4.tcp_rmem']) == {'outcome', 'before', 'after', 'wanted', 'detail'}
    assert rv.owner_fixes(rep['hosts']['lab-h01']) == [
        ('net.ipv4.tcp_timestamps', 'dev-sec hardening (devsec.hardening.os_hardening)', fix)]
    markdown = rt.render_markdown(rep)
    assert "- `net.ipv4.tcp_timestamps` is another owner's (dev-sec hardening (devsec.hardening.os_hardening)): " \
        "give net.ipv4.tcp_timestamps one owner" in markdown
    html = rt.render_html(rep)
    assert "<li><code>net.ipv4.tcp_timestamps</code> is another owner's" in html
    assert '&lt;b&gt;or&lt;/b&gt;' in html and '<b>or</b>' not in html
