# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.md and report.html, rendered from the Jinja2 templates shipped with the collection (controller-only).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

The templates are ``plugins/plugin_utils/templates/report.md.j2`` and ``report.html.j2``. They live beside
this file, inside the collection, because this code runs in the controller's Python (a filter plugin) and not
in a play: Ansible's template lookup would search the playbook's and role's directories, not the
collection's, so the templates are read through this package's own path, wherever the collection is
installed. They are rendered with jinja2 directly (ansible-core requires it on the controller); the HTML
environment autoescapes everything, the Markdown one escapes host- and user-derived text with the ``md`` and
``md_code`` filters (markdown_text.py).

This module builds what the templates show from a report (report.build) through report_view.py, so the
templates only lay it out: the failing hosts first, the passing ones summarised above FULL_DETAIL_HOSTS hosts,
a chart per verified host only in the first CHART_LIMIT host sections.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import jinja2

from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry
from ansible_collections.netfleet.tuning.plugins.plugin_utils import report_view as view
from ansible_collections.netfleet.tuning.plugins.plugin_utils.formatting import format_number, format_pct
from ansible_collections.netfleet.tuning.plugins.plugin_utils.markdown_text import md, md_code

__all__ = ['TEMPLATE_DIR', 'render_markdown', 'render_html']

TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'templates')

# The chart's geometry (pixels): label, bar and value columns, bar height, gap between the bars.
_CHART = {'label_w': 120, 'bar_w': 420, 'value_w': 170, 'bar_h': 16, 'gap': 4}

_ENVIRONMENTS = {}


def _environment(kind):
    """The Jinja2 environment of ``kind`` ('markdown' or 'html'), built once per process."""
    env = _ENVIRONMENTS.get(kind)
    if env is None:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=kind == 'html',
                                 trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        env.filters['md'] = md
        env.filters['md_code'] = md_code
        env.filters['number'] = format_number
        env.filters['pct'] = format_pct
        _ENVIRONMENTS[kind] = env
    return env


def _row(report, name, gated):
    entry = report['hosts'][name]
    return {'name': name, 'entry': entry, 'label': view.verdict_label(entry),
            'cells': [view.before_after(entry['metrics'].get(metric)) for metric in gated],
            'guards': view.guard_cell(entry), 'segs': view.segs_rate(entry), 'changes': view.change_count(entry), 'why': view.why(entry)}


def _chart(entry, gated):
    """What the HTML chart of a host draws: per gated metric, a bar for the baseline and one for verify (per
    million InSegs), laid out; None when there is no rate to chart."""
    rows = []
    for metric in gated:
        values = entry['metrics'].get(metric) or {}
        rows.append((metric, values.get('before_per_million'), values.get('after_per_million'),
                     values.get('reduction_pct')))
    if not rows or all(before is None and after is None for _metric, before, after, _pct in rows):
        return None
    geo = _CHART
    chart = dict(geo, height=len(rows) * (2 * geo['bar_h'] + geo['gap'] + 16) + 24,
                 width=geo['label_w'] + geo['bar_w'] + geo['value_w'], metrics=[])
    y = 8
    for metric, before, after, reduction in rows:
        top = max(value for value in (before, after, 0) if value is not None)
        item = {'name': metric, 'y': y + geo['bar_h'], 'bars': [], 'reduction': reduction}
        for label, value, color in (('before', before, '#d9822b'), ('after', after, '#2b8a3e')):
            length = 0 if not value or not top else max(1.0, geo['bar_w'] * value / top)
            item['bars'].append({'label': label, 'value': value, 'color': color, 'y': y,
                                 'length': '%.1f' % length})
            y += geo['bar_h'] + geo['gap']
        item['note_y'] = y + 10
        y += 16
        chart['metrics'].append(item)
    return chart


def _role(metric):
    """What a metric is in the verdict (the HTML table's second column): gated, a guard (regressed), or nothing."""
    roles = ['gated'] if metric.get('gated') else []
    if metric.get('guard'):
        roles.append('guard, regressed' if metric.get('regressed') else 'guard')
    return '; '.join(roles)


def _host(name, entry, gated, chart):
    before, after = entry.get('before') or {}, entry.get('after') or {}
    metrics = entry['metrics']
    return {
        'name': name, 'entry': entry, 'label': view.verdict_label(entry), 'before': before, 'after': after,
        'chart': _chart(entry, gated) if chart else None,
        # Markdown: the other metrics that moved (the gated ones are in the host's table row), guards named
        'others': [(metric, 'guard' if metrics[metric].get('guard') else 'not gated', view.before_after(metrics[metric]),
                    metric_registry.per_label(metric))
                   for metric in metrics if metric not in gated and (
                       metrics[metric].get('before_delta') or metrics[metric].get('after_delta'))],
        # HTML: every metric the report keeps
        'metric_rows': [(metric, _role(metrics[metric]), view.before_after(metrics[metric]),
                         view.before_after(metrics[metric], 'per_second'),
                         '%s -> %s' % (format_number(metrics[metric].get('before_delta')),
                                       format_number(metrics[metric].get('after_delta'))))
                        for metric in metrics],
        'change_rows': view.change_rows(entry),
        'owner_fixes': view.owner_fixes(entry),
        'budget': ((entry.get('changes') or {}).get('memory_budget') or {}).get('note'),
        'budget_warning': view.budget_warning(entry),
    }


def _context(report, charts):
    """What both templates show, from the report (see report_view)."""
    gated = view.gated_metrics(report)
    failing, waiting, passing = view.groups(report)
    full = view.is_full(report)
    detailed = view.detailed(report, failing, waiting, passing, full)
    context = {
        'report': report, 'gated': gated, 'full': full, 'waiting': waiting, 'passing_names': passing,
        'thresholds': view.thresholds_text(report), 'summary_line': view.summary_line(report),
        'failing': [_row(report, name, gated) for name in failing],
        'failing_counts': view.verdict_counts_text(report, failing),
        'passing_counts': view.verdict_counts_text(report, passing),
        'passing': [], 'passing_summary': [], 'nearest': [], 'noted': [], 'noted_more': 0,
        'linked': frozenset(detailed),
        'detail_note': view.detail_note(detailed, failing) if not full and len(failing) > len(detailed) else None,
    }
    if full:
        context['passing'] = [_row(report, name, gated) for name in passing]
    elif passing:
        summary, nearest = view.passing_summary(report, passing, gated)
        context['passing_summary'] = [
            (metric, zero, to_zero, fell, None if least is None else '%s (%s)' % (format_pct(least), host))
            for metric, zero, to_zero, fell, least, host in summary]
        context['nearest'] = [_row(report, name, gated) for name in nearest]
        # a passing host has no section of its own here: its notes (pinned sockets) are listed
        context['noted'], context['noted_more'] = view.noted(report, passing)
    hosts, charted = [], 0
    for name in detailed:
        entry = report['hosts'][name]
        chart = charts and entry['status'] == 'verified' and charted < view.CHART_LIMIT
        charted += 1 if chart else 0
        hosts.append(_host(name, entry, gated, chart))
    context['detailed'] = hosts
    return context


def render_markdown(report):
    """The human report as GitHub-flavoured Markdown: the failing hosts first (a table, then a section each),
    the hosts the rollout did not reach, then the passing hosts (in full up to FULL_DETAIL_HOSTS hosts,
    summarised above)."""
    text = _environment('markdown').get_template('report.md.j2').render(_context(report, charts=False))
    return text.rstrip('\n') + '\n'


def render_html(report):
    """A self-contained HTML page (inline CSS and SVG, no scripts, no external resources): the failing hosts
    first (a table at the top, then a section each with its chart), the hosts not reached, then the passing
    hosts: in full up to FULL_DETAIL_HOSTS hosts, summarised above (per gated metric, the hosts closest to the
    threshold, every name)."""
    return _environment('html').get_template('report.html.j2').render(_context(report, charts=True))
