# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the human reports show, and in which order: the failing hosts first, the passing ones summarised in a
large fleet; the labels and numbers of a host's row (controller-only). Also the terminal's text report.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, no Ansible imports. The Markdown and HTML reports (report_templates.py) and the text
report (render_text) all read a report (report.build) through these functions, so they show the same hosts in
the same order. Every step is linear in the hosts.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import heapq

from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry
from ansible_collections.netfleet.tuning.plugins.plugin_utils.formatting import format_number, format_pct
from ansible_collections.netfleet.tuning.plugins.plugin_utils.report import STATUSES
from ansible_collections.netfleet.tuning.plugins.plugin_utils.significance import CONFIDENCE
from ansible_collections.netfleet.tuning.plugins.plugin_utils.verdict import VERDICTS

__all__ = ['FULL_DETAIL_HOSTS', 'DETAIL_LIMIT', 'CHART_LIMIT', 'NEAREST_LIMIT', 'TEXT_LIMIT', 'FAILING_ORDER',
           'gated_metrics', 'before_after', 'guard_cell', 'budget_warning', 'segs_rate', 'verdict_label', 'change_count', 'thresholds_text',
           'summary_line', 'groups', 'is_full', 'why', 'passing_summary', 'detailed', 'detail_note',
           'verdict_counts_text', 'change_rows', 'owner_fixes', 'noted', 'NOTED_LIMIT', 'render_text']

# A role outcome's detail that only names the key's scope: the table shows no detail then.
_SCOPES = ('netns', 'host', 'absent')

# ---------------------------------------------------------------- what the human reports show first

# Up to this many hosts the human reports show every host in full (a table row, a section, a chart); above
# it they show the failing hosts in full (up to DETAIL_LIMIT sections, CHART_LIMIT charts) and summarise
# the passing ones, so that a failing host is found at once in a fleet of thousands.
FULL_DETAIL_HOSTS = 100
DETAIL_LIMIT = 200
CHART_LIMIT = 100
# The passing hosts closest to the threshold, listed in a large fleet's summary.
NEAREST_LIMIT = 20
# The text report (printed after every batch) lists at most this many failing hosts.
TEXT_LIMIT = 100

# Passing hosts with a note (sockets that pin SO_RCVBUF, a reboot between the windows) listed with it, at most.
NOTED_LIMIT = 100

# Failing hosts first, in this order (no verdict at all, then the verdicts); each group in report order.
FAILING_ORDER = ('failed', 'unreachable', 'regressed', 'not_improved', 'reset', 'insufficient_traffic')


def gated_metrics(report):
    thresholds = report.get('thresholds') or {}
    gated = thresholds.get('gated_metrics')
    if gated:
        return list(gated)
    names = []
    for entry in report.get('hosts', {}).values():
        for name, metric in (entry.get('metrics') or {}).items():
            if metric.get('gated') and name not in names:
                names.append(name)
        if names:
            break
    return names or list(metric_registry.DEFAULT_GATED)


def before_after(metric, kind='per_million'):
    if not metric:
        return 'n/a'
    text = '%s -> %s' % (format_number(metric.get('before_%s' % kind)), format_number(metric.get('after_%s' % kind)))
    if kind == 'per_million' and metric.get('reduction_pct') is not None:
        text += ' (%s)' % format_pct(metric['reduction_pct'])
    return text


def guard_cell(entry):
    """The guards of a host's row: ``ok``; the guards that regressed, each with its rate before -> after
    (per million of its segments: ``retrans_segs 20.0 -> 1,800/M OutSegs (+8900.0%)``); ``n/a`` when they were
    not judged (no verdict, reset, insufficient_traffic). Guards a window lacked are counted."""
    guards = entry.get('guards')
    if not isinstance(guards, dict):
        return 'n/a'
    metrics = entry.get('metrics') or {}
    if guards.get('regressed'):
        return '; '.join('%s %s' % (name, _guard_change(name, metrics.get(name))) for name in guards['regressed'])
    unjudged = guards.get('unjudged') or []
    return 'ok' + (' (%d not judged)' % len(unjudged) if unjudged else '')


def _guard_change(name, metric):
    if not metric:
        return ''
    text = '%s -> %s/M %s' % (format_number(metric.get('before_per_million')),
                              format_number(metric.get('after_per_million')), metric_registry.per_label(name))
    if metric.get('reduction_pct') is not None:
        text += ' (%s)' % format_pct(metric['reduction_pct'])
    return text


def budget_warning(entry):
    """The role's memory budget sentence when today's connections at the new maxima could exceed tcp_mem pressure
    (the role warned, or refused with sysctl_profile_over_budget fail), else None."""
    budget = (entry.get('changes') or {}).get('memory_budget')
    if isinstance(budget, dict) and budget.get('exceeds_pressure'):
        return 'memory budget: %s' % budget.get('note')
    return None


def segs_rate(entry):
    before = (entry.get('before') or {}).get('in_segs_per_second')
    after = (entry.get('after') or {}).get('in_segs_per_second')
    if before is None and after is None:
        return 'n/a'
    return '%s -> %s' % (format_number(before), format_number(after))


def verdict_label(entry):
    if entry['verdict']:
        return entry['verdict'] + ('' if entry['passed'] else ' (FAIL)')
    return entry['status']


def change_count(entry):
    changes = entry.get('changes') or {}
    live = changes.get('live') or {}
    keys = changes.get('keys') or {}
    applied = [key for key, value in keys.items() if value.get('outcome') in ('applied', 'changed')]
    return len(set(applied) | set(live))


def thresholds_text(report):
    thresholds = report.get('thresholds') or {}
    if not thresholds:
        return None
    text = ('gated metrics %s; each must fall by at least %s%% per million Tcp InSegs (or be 0 in both windows); '
            'each window needs at least %s InSegs' % (
                ', '.join(thresholds.get('gated_metrics') or []), thresholds.get('min_reduction_pct'),
                thresholds.get('min_segments')))
    guards = thresholds.get('guard_metrics')
    if guards:
        text += ('; guards %s: none may rise by more than %s%% (a rise proven at %d%% confidence, or entering TCP '
                 'memory pressure, is regressed)' % (', '.join(guards), thresholds.get('guard_max_increase_pct'),
                                                     round(CONFIDENCE * 100)))
    elif guards is not None:
        text += '; no guards'
    return text


def summary_line(report):
    summary = report['summary']
    counts = ', '.join('%s %d' % (verdict, count) for verdict, count in summary['verdicts'].items() if count)
    line = '%d of %d hosts passed' % (summary['passed'], summary['hosts'])
    if counts:
        line += ' (%s)' % counts
    others = ', '.join('%s %d' % (status.replace('_', ' '), count)
                       for status, count in summary['statuses'].items() if count and status != 'verified')
    if others:
        line += '; not verified: %s' % others
    return line


def groups(report):
    """``(failing, not_reached, passing)`` host names: failing ones grouped by FAILING_ORDER, every group in
    the report's order. Linear in the hosts."""
    buckets = dict((key, []) for key in FAILING_ORDER)
    other, waiting, passing = [], [], []
    for name, entry in report['hosts'].items():
        if entry.get('passed'):
            passing.append(name)
        elif entry.get('status') == 'not_reached':
            waiting.append(name)
        else:
            buckets.get(entry.get('verdict') or entry.get('status'), other).append(name)
    return [name for key in FAILING_ORDER for name in buckets[key]] + other, waiting, passing


def is_full(report):
    return len(report['hosts']) <= FULL_DETAIL_HOSTS


def why(entry):
    """The one sentence a failing host's row shows: its first reason, or what stopped it before a verdict."""
    if entry.get('status') == 'verified' and entry.get('reasons'):
        return entry['reasons'][0]
    return entry.get('message') or ''


def _least_drop(entry, gated):
    """The smallest reduction of a host's gated metrics (percent), None when none had a rate to fall from."""
    values = [(entry.get('metrics') or {}).get(metric, {}).get('reduction_pct') for metric in gated]
    values = [value for value in values if value is not None]
    return min(values) if values else None


def passing_summary(report, passing, gated):
    """Per gated metric over the passing hosts: ``(metric, stayed at 0, fell to 0, fell (not to 0), least
    reduction, its host)``; and the NEAREST_LIMIT passing hosts closest to the threshold. Linear."""
    hosts = report['hosts']
    rows = []
    for metric in gated:
        zero = to_zero = fell = 0
        least = least_host = None
        for name in passing:
            values = (hosts[name].get('metrics') or {}).get(metric) or {}
            before, after = values.get('before_delta'), values.get('after_delta')
            if not before and not after:
                zero += 1
            elif after == 0:
                to_zero += 1
            else:
                fell += 1
                reduction = values.get('reduction_pct')
                if reduction is not None and (least is None or reduction < least):
                    least, least_host = reduction, name
        rows.append((metric, zero, to_zero, fell, least, least_host))
    candidates = ((name, _least_drop(hosts[name], gated)) for name in passing)
    nearest = heapq.nsmallest(NEAREST_LIMIT, (item for item in candidates if item[1] is not None),
                              key=lambda item: item[1])
    return rows, [name for name, _value in nearest]


def detailed(report, failing, waiting, passing, full):
    """The hosts that get a section of their own: every host in a small fleet; else the failing ones, those
    with a verdict (and numbers to show) first, at most DETAIL_LIMIT (a failed or unreachable host's row
    already says all there is: its message)."""
    if full:
        return failing + waiting + passing
    judged = [name for name in failing if report['hosts'][name]['status'] == 'verified']
    return (judged + [name for name in failing if report['hosts'][name]['status'] != 'verified'])[:DETAIL_LIMIT]


def detail_note(detailed, failing):
    return ('%d of the %d, those with a verdict first; the others are in the table above and in report.json.'
            % (len(detailed), len(failing)))


def noted(report, names, limit=NOTED_LIMIT):
    """``([(name, [note, ...])], how many more)``: the hosts of ``names`` whose verdict carries notes (a passing
    host with sockets that pin SO_RCVBUF gets one), in order, at most ``limit``. Linear in the hosts."""
    found = [(name, report['hosts'][name].get('hints') or []) for name in names]
    found = [(name, hints) for name, hints in found if hints]
    return found[:limit], max(0, len(found) - limit)


def verdict_counts_text(report, names):
    counts = {}
    for name in names:
        key = report['hosts'][name]['verdict'] or report['hosts'][name]['status']
        counts[key] = counts.get(key, 0) + 1
    order = FAILING_ORDER + tuple(key for key in VERDICTS + STATUSES if key not in FAILING_ORDER)
    return ', '.join('%s %d' % (key, counts[key]) for key in order if key in counts)


def change_rows(entry):
    """What the role changed on a host, for the report tables: ``[(key, outcome label, wanted,
    live before, live after)]`` sorted by key, from ``entry['changes']`` (live values and per-key outcomes)."""
    changes = entry.get('changes') or {}
    live = changes.get('live') or {}
    keys = changes.get('keys') or {}
    rows = []
    for key in sorted(set(live) | set(keys)):
        outcome = keys.get(key, {})
        label = outcome.get('outcome') or ''
        if outcome.get('detail') and outcome['detail'] not in _SCOPES:
            label += ' (%s)' % outcome['detail']
        rows.append((key, label, outcome.get('wanted'),
                     live.get(key, {}).get('before', outcome.get('before')),
                     live.get(key, {}).get('after', outcome.get('after'))))
    return rows


def owner_fixes(entry):
    """The keys another owner overrides on a host, with who owns them and the fix:
    ``[(key, owner or None, fix)]`` sorted by key (only keys the role gave a fix)."""
    keys = (entry.get('changes') or {}).get('keys') or {}
    return [(key, keys[key].get('owner'), keys[key]['fix']) for key in sorted(keys)
            if isinstance(keys[key], dict) and keys[key].get('fix')]


def render_text(report, width=None):
    """A fixed-width table for a terminal (the rollout prints it after every batch): the failing hosts
    first (at most TEXT_LIMIT), the passing ones too up to FULL_DETAIL_HOSTS hosts; then the summary and,
    per failing host, why; then the notes of passing hosts (sockets that pin SO_RCVBUF), at most TEXT_LIMIT."""
    gated = gated_metrics(report)
    failing, waiting, passing = groups(report)
    full = is_full(report)
    shown = failing[:TEXT_LIMIT] + (waiting + passing if full else [])
    header = ['host', 'verdict'] + ['%s/M InSegs' % name for name in gated] + ['guards', 'InSegs/s']
    rows = [header]
    for name in shown:
        entry = report['hosts'][name]
        row = [name, verdict_label(entry)]
        for metric in gated:
            row.append(before_after(entry['metrics'].get(metric)))
        row.append(guard_cell(entry))
        row.append(segs_rate(entry))
        rows.append(row)
    lines = []
    if len(rows) > 1:
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for index, row in enumerate(rows):
            lines.append('  '.join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if index == 0:
                lines.append('  '.join('-' * w for w in widths))
        lines.append('')
    lines.append(summary_line(report))
    if not full and passing:
        lines.append('  %d passing host(s) (%s): each one in report.md and report.json'
                     % (len(passing), verdict_counts_text(report, passing)))
    for name in failing[:TEXT_LIMIT]:
        entry = report['hosts'][name]
        lines.append('  %s: %s' % (name, entry['message']))
        for hint in entry['hints'] + list(filter(None, [budget_warning(entry)])):
            lines.append('    note: %s' % hint)
    if len(failing) > TEXT_LIMIT:
        lines.append('  ... and %d more failing host(s): report.md lists every one' % (len(failing) - TEXT_LIMIT))
    with_notes, more = noted(report, passing, TEXT_LIMIT)
    for name, hints in with_notes:
        for hint in hints:
            lines.append('  %s (%s): note: %s' % (name, verdict_label(report['hosts'][name]), hint))
    if more:
        lines.append('  ... and %d more passing host(s) with a note: report.md lists them' % more)
    if waiting:
        lines.append('  %d host(s) not reached: the rollout stopped before their batch%s' % (
            len(waiting), (': ' + ', '.join(waiting)) if full else ''))
    for name in report['summary'].get('rolled_back_hosts') or []:
        lines.append('  %s: rolled back to the values live before the rollout' % name)
    return '\n'.join(lines) + '\n'
