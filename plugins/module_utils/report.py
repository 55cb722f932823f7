# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: one data structure, rendered as JSON, Markdown, HTML and text.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports, no file access: the
playbooks build the per-host records, call ``build()`` and the renderers through the
``netfleet.tuning.report_outputs`` filter (one call per report), and write the renderings with
``netfleet.tuning.netfleet_state`` on the controller.

A *record* is what the verify tasks keep per host (any key may be missing)::

    {'stage': 'started' | 'tuned' | 'verified' | 'failed',
     'batch': int, 'verdict': <verdict.judge() result>,
     'baseline': {'recorded_at': str, 'boot_id': str, 'window': {...}, 'sysctl': {...}},
     'verify': {'recorded_at': str, 'boot_id': str, 'window': {...}, 'sysctl': {...},
                'socket_buffers': {...}},
     'role_result': <the role's sysctl_profile_result>, 'role_changed': bool,
     'rolled_back': bool, 'rollback': {...}, 'error': str}

``build()`` turns the records into the report (schema version 1)::

    {'schema_version': 1, 'generated_at': str, 'generator': 'netfleet.tuning',
     'playbook': str, 'run_id': str, 'thresholds': {...}, 'socket_buffers_rule': str or None,
     'hosts': {name: {'status', 'verdict', 'passed', 'message', 'reasons', 'hints',
                      'reboot', 'batch', 'before', 'after', 'metrics', 'zero_metrics',
                      'missing_metrics', 'changes', 'rolled_back', 'rollback',
                      'socket_buffers', 'error'}},
     'summary': {'hosts', 'passed', 'failed', 'not_verified', 'verdicts',
                 'statuses', 'passed_hosts', 'failed_hosts', 'not_verified_hosts', 'ok'}}

Each host is kept once, without what is said elsewhere: ``metrics`` holds the verdict's
gated metrics and the others that moved (``zero_metrics`` names the others: 0 in both
windows); ``before``/``after`` carry their window's ``rates`` only for a host without a
verdict (a verdict's ``metrics`` has the same numbers); ``socket_buffers`` leaves its
rule's text to ``socket_buffers_rule``.  Every step is linear in the hosts.

``status`` is ``verified`` (a verdict was reached, pass or not), ``failed``
(an error before a verdict), ``unreachable`` (the host dropped out of the play
without a record of why) or ``not_reached`` (a rollout stopped before the
host's batch).  Stage ``pending`` means "waiting for its batch": such a host is
``not_reached`` while it is still in the play.

The human reports (Markdown, HTML, text) show the failing hosts first, then the hosts
not reached, then the passing ones: every host in full up to FULL_DETAIL_HOSTS hosts;
above that, the passing hosts are summarised, so a failing host is found at once.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import heapq
import json
import re
import unicodedata

from ansible_collections.netfleet.tuning.plugins.module_utils.rates import METRIC_NAMES
from ansible_collections.netfleet.tuning.plugins.module_utils.verdict import (
    PASSING, VERDICTS, format_number, format_pct,
)

__all__ = ['SCHEMA_VERSION', 'STATUSES', 'build', 'record_for_report', 'render_json', 'render_markdown',
           'render_html', 'render_text', 'normalize_changes']

SCHEMA_VERSION = 1
_SCOPES = ('netns', 'host', 'absent')
STATUSES = ('verified', 'failed', 'unreachable', 'not_reached')

_STATUS_TEXT = {
    'failed': 'failed before a verdict',
    'unreachable': 'unreachable or failed without a record',
    'not_reached': 'not reached: the rollout stopped before its batch',
}

# Keys of a role result entry, by meaning, in the order they are tried.
_OUTCOME_KEYS = ('outcome', 'status', 'result', 'state')
_OLD_KEYS = ('before', 'previous', 'old', 'old_value', 'live_before', 'original')
# the value live after the role (read back), never the value the role only wanted
_NEW_KEYS = ('after', 'live', 'new', 'new_value', 'live_after')
_WANTED_KEYS = ('desired', 'wanted', 'value')
_DETAIL_KEYS = ('detail', 'reason', 'by', 'msg', 'message', 'file', 'overridden_by')


def _now():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime('%Y-%m-%dT%H:%M:%SZ')


def _first(entry, keys):
    for key in keys:
        if key in entry and entry[key] is not None:
            return entry[key]
    return None


def _text(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ' '.join(str(part) for part in value)
    return str(value)


def normalize_changes(role_result):
    """The role's per-key outcome as ``{key: {'outcome', 'before', 'after', 'wanted', 'detail'}}``.

    ``before`` and ``after`` are live values (before the run, read back after it); ``wanted`` is what
    the profile asked for.

    Accepts ``{key: {...}}``, ``{'keys': {key: {...}}}`` / ``{'results': ...}``
    or a list of ``{'key': key, ...}``; values that are plain strings are the
    outcome.  Unknown shapes give ``{}``.
    """
    if isinstance(role_result, dict):
        for wrapper in ('keys', 'results', 'per_key', 'sysctls'):
            if isinstance(role_result.get(wrapper), (dict, list)):
                return normalize_changes(role_result[wrapper])
        items = [(key, value) for key, value in role_result.items() if isinstance(key, str) and '.' in key]
    elif isinstance(role_result, list):
        items = []
        for entry in role_result:
            if isinstance(entry, dict) and isinstance(entry.get('key') or entry.get('name'), str):
                items.append((entry.get('key') or entry.get('name'), entry))
    else:
        return {}
    changes = {}
    for key, value in items:
        if isinstance(value, dict):
            changes[key] = {
                'outcome': _text(_first(value, _OUTCOME_KEYS)),
                'before': _text(_first(value, _OLD_KEYS)),
                'after': _text(_first(value, _NEW_KEYS)),
                'wanted': _text(_first(value, _WANTED_KEYS)),
                'detail': _text(_first(value, _DETAIL_KEYS)),
            }
        else:
            changes[key] = {'outcome': _text(value), 'before': None, 'after': None, 'wanted': None, 'detail': None}
    return dict(sorted(changes.items()))


def _sysctl_values(sysctl):
    """``{key: {'value': v, 'scope': s}}`` (netstat facts) -> ``{key: v}``."""
    values = {}
    if isinstance(sysctl, dict):
        for key, entry in sysctl.items():
            if isinstance(entry, dict):
                values[key] = _text(entry.get('value'))
            else:
                values[key] = _text(entry)
    return values


def _live_changes(before, after):
    """Keys whose live value differs between the baseline and the verify read."""
    before_values = _sysctl_values(before)
    after_values = _sysctl_values(after)
    changed = {}
    for key in sorted(set(before_values) | set(after_values)):
        old, new = before_values.get(key), after_values.get(key)
        if key in before_values and key in after_values and old != new:
            changed[key] = {'before': old, 'after': new}
    return changed


def _window_rates(window):
    """The per-metric rates of a window, in report order."""
    metrics = window.get('metrics') if isinstance(window, dict) else None
    if not isinstance(metrics, dict):
        return {}
    names = [name for name in METRIC_NAMES if name in metrics]
    names += sorted(name for name in metrics if name not in METRIC_NAMES)
    rates = {}
    for name in names:
        entry = metrics[name] if isinstance(metrics[name], dict) else {}
        rates[name] = {
            'delta': entry.get('delta'),
            'per_second': entry.get('per_second'),
            'per_million_segs': entry.get('per_million_segs'),
        }
    return rates


def _side(summary, sample, with_rates):
    """'before' / 'after' of a host: the verdict's window summary, when and where the sample was taken, and
    (``with_rates``: a host without a verdict, whose rates are nowhere else) the sample's rates."""
    side = dict(summary) if isinstance(summary, dict) else {}
    sample = sample if isinstance(sample, dict) else {}
    window = sample.get('window') if isinstance(sample.get('window'), dict) else None
    if not side and window is not None:
        side = {'seconds': window.get('seconds'), 'in_segs': window.get('in_segs'),
                'valid': window.get('valid'), 'invalid_reason': window.get('invalid_reason')}
    side['recorded_at'] = sample.get('recorded_at')
    if side.get('boot_id') is None:
        side['boot_id'] = sample.get('boot_id')
    if with_rates and window is not None:
        side['rates'] = _window_rates(window)
    return side


def _report_metrics(metrics):
    """The verdict's metrics as the report keeps them: every gated one, and the others when they moved or are
    missing in a window -> (metrics, names of the others: 0 in both windows)."""
    kept, zero = {}, []
    for name, entry in metrics.items():
        if not isinstance(entry, dict):
            continue
        if not entry.get('gated') and entry.get('before_delta') == 0 and entry.get('after_delta') == 0:
            zero.append(name)
        else:
            kept[name] = entry
    return kept, zero


def _socket_buffers(value):
    """The verify window's socket buffer counts, without the rule's text (once per report, not per host)."""
    if not isinstance(value, dict):
        return value
    return dict((key, item) for key, item in value.items() if key != 'rule')


def _host(name, record, active, reached):
    # {} is what Jinja's map(attribute=..., default={}) gives for a host without a record
    record = record if isinstance(record, dict) and record else None
    verdict = record.get('verdict') if record else None
    verdict = verdict if isinstance(verdict, dict) and verdict.get('verdict') in VERDICTS else None
    error = _text(record.get('error')) if record else None

    stage = record.get('stage') if record else None
    if verdict is not None:
        status = 'verified'
    elif record is not None and (error or stage == 'failed'):
        status = 'failed'
    elif name in reached:
        # its batch started, and it has neither a verdict nor a recorded error
        status = 'unreachable' if name not in active else 'failed'
    elif stage == 'pending' and name not in active:
        # ready for its batch, then dropped out of the play
        status = 'unreachable'
    else:
        status = 'not_reached'

    baseline = record.get('baseline') if record else None
    verify = record.get('verify') if record else None
    if verdict is not None:
        message = verdict.get('message') or verdict['verdict']
    elif error:
        message = error
    else:
        message = _STATUS_TEXT[status] if status != 'verified' else ''
    metrics, zero = _report_metrics(verdict.get('metrics') or {}) if verdict else ({}, [])

    return {
        'status': status,
        'verdict': verdict['verdict'] if verdict else None,
        'passed': bool(verdict and verdict.get('passed') and verdict['verdict'] in PASSING),
        'message': message,
        'reasons': list(verdict.get('reasons') or []) if verdict else [],
        'hints': list(verdict.get('hints') or []) if verdict else [],
        'reboot': verdict.get('reboot') if verdict else None,
        'batch': record.get('batch') if record else None,
        'before': _side(verdict.get('before') if verdict else None, baseline, verdict is None),
        'after': _side(verdict.get('after') if verdict else None, verify, verdict is None),
        'metrics': metrics,
        'zero_metrics': zero,
        'missing_metrics': list(verdict.get('missing_metrics') or []) if verdict else [],
        'changes': {
            'role_changed': record.get('role_changed') if record else None,
            'keys': normalize_changes(record.get('role_result')) if record else {},
            'live': _live_changes((baseline or {}).get('sysctl'), (verify or {}).get('sysctl')),
        },
        'rolled_back': record.get('rolled_back') if record else None,
        'rollback': record.get('rollback') if record else None,
        'socket_buffers': _socket_buffers((verify or {}).get('socket_buffers')) if isinstance(verify, dict) else None,
        'error': error,
    }


# What build() reads of a record, and of its baseline and verify samples (a window only for a host without
# a verdict: a verdict carries the same numbers).
_RECORD_KEYS = ('stage', 'batch', 'error', 'verdict', 'role_result', 'role_changed', 'rolled_back', 'rollback')
_SAMPLE_KEYS = ('recorded_at', 'boot_id', 'sysctl', 'socket_buffers')


def record_for_report(record):
    """The parts of a record that build() reads, as a shallow selection (nothing below them is copied): a
    caller that must copy the records first copies a third of them (no counters at the window's end, no
    windows beside a verdict)."""
    if not isinstance(record, dict):
        return record
    out = dict((key, record[key]) for key in _RECORD_KEYS if key in record)
    with_window = not isinstance(record.get('verdict'), dict)
    for key in ('baseline', 'verify'):
        sample = record.get(key)
        if isinstance(sample, dict):
            names = _SAMPLE_KEYS + (('window',) if with_window else ())
            out[key] = dict((name, sample[name]) for name in names if name in sample)
        elif key in record:
            out[key] = sample
    return out


def build(records, hosts=None, active=None, reached=None, thresholds=None, playbook=None,
          run_id=None, generated_at=None, state_dir=None):
    """The report (see the module docstring) from per-host records; linear in the hosts.

    ``records``: ``{inventory name: record or None}``.  ``hosts``: every host
    the play targets, in order (default: the records' keys, sorted); a host with a record
    that ``hosts`` does not name is added at the end.  ``active``: the
    hosts still in the play (not failed, not unreachable); default all.
    ``reached``: hosts whose batch started (default: every host with a
    record, or every active host).  ``thresholds``: as validated by
    verdict.validate_thresholds (copied into the report).
    """
    records = records if isinstance(records, dict) else {}
    if hosts is None:
        hosts = sorted(records)
    else:
        hosts = list(dict.fromkeys(hosts))
        named = set(hosts)
        hosts.extend(sorted(name for name in records if name not in named))
    active = set(active) if active is not None else set(hosts)
    reached = set(reached) if reached is not None else set(
        name for name in hosts if isinstance(records.get(name), dict) and records[name]
        and records[name].get('stage') != 'pending')

    entries = {}
    rule = None
    for name in hosts:
        record = records.get(name)
        entries[name] = _host(name, record, active, reached)
        if rule is None and isinstance(record, dict) and isinstance(record.get('verify'), dict):
            buffers = record['verify'].get('socket_buffers')
            rule = _text(buffers.get('rule')) if isinstance(buffers, dict) else None

    verdict_counts = dict((verdict, 0) for verdict in VERDICTS)
    status_counts = dict((status, 0) for status in STATUSES)
    for entry in entries.values():
        status_counts[entry['status']] += 1
        if entry['verdict']:
            verdict_counts[entry['verdict']] += 1
    passed_hosts = [name for name in hosts if entries[name]['passed']]
    failed_hosts = [name for name in hosts
                    if not entries[name]['passed'] and entries[name]['status'] in ('verified', 'failed', 'unreachable')]
    not_verified = [name for name in hosts if entries[name]['status'] != 'verified']
    summary = {
        'hosts': len(hosts),
        'passed': len(passed_hosts),
        'failed': len(failed_hosts),
        'not_verified': len(not_verified),
        'verdicts': verdict_counts,
        'statuses': status_counts,
        'passed_hosts': passed_hosts,
        'failed_hosts': failed_hosts,
        'not_verified_hosts': not_verified,
        'rolled_back_hosts': [name for name in hosts if entries[name]['rolled_back']],
        'rebooted_hosts': [name for name in hosts if entries[name]['reboot']],
        'ok': bool(hosts) and len(passed_hosts) == len(hosts),
    }
    return {
        'schema_version': SCHEMA_VERSION,
        'generated_at': generated_at or _now(),
        'generator': 'netfleet.tuning',
        'playbook': playbook,
        'run_id': run_id,
        'state_dir': state_dir,
        'thresholds': dict(thresholds) if isinstance(thresholds, dict) else None,
        'socket_buffers_rule': rule,
        'hosts': entries,
        'summary': summary,
    }


def _dump(value):
    return json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=True, allow_nan=False)


# top-level keys whose entries go one per line (each host's entry on a line of its own)
_LINE_PER_ENTRY = ('hosts', 'summary')


def render_json(report):
    """Stable JSON: the top-level keys sorted, one per line; ``hosts`` and ``summary`` one entry per line (the
    hosts in the report's order, every key inside an entry sorted, no spaces), so that a host is one line
    (``grep '"web-1"' report.json``). Trailing newline. ``render_json(json.loads(text)) == text``."""
    if not isinstance(report, dict):
        return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=True, allow_nan=False) + '\n'
    lines = ['{']
    keys = sorted(report)
    for index, key in enumerate(keys):
        value = report[key]
        comma = ',' if index < len(keys) - 1 else ''
        if key in _LINE_PER_ENTRY and isinstance(value, dict) and value:
            names = list(value) if key == 'hosts' else sorted(value)
            lines.append('  %s: {' % _dump(key))
            lines.extend('    %s: %s%s' % (_dump(name), _dump(value[name]), ',' if pos < len(names) - 1 else '')
                         for pos, name in enumerate(names))
            lines.append('  }%s' % comma)
        else:
            lines.append('  %s: %s%s' % (_dump(key), _dump(value), comma))
    lines.append('}')
    return '\n'.join(lines) + '\n'


def _gated(report):
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
    return names or ['prune_called', 'rcv_collapsed']


def _before_after(metric, kind='per_million'):
    if not metric:
        return 'n/a'
    text = '%s -> %s' % (format_number(metric.get('before_%s' % kind)), format_number(metric.get('after_%s' % kind)))
    if kind == 'per_million' and metric.get('reduction_pct') is not None:
        text += ' (%s)' % format_pct(metric['reduction_pct'])
    return text


def _segs_rate(entry):
    before = (entry.get('before') or {}).get('in_segs_per_second')
    after = (entry.get('after') or {}).get('in_segs_per_second')
    if before is None and after is None:
        return 'n/a'
    return '%s -> %s' % (format_number(before), format_number(after))


def _verdict_label(entry):
    if entry['verdict']:
        return entry['verdict'] + ('' if entry['passed'] else ' (FAIL)')
    return entry['status']


def _change_count(entry):
    changes = entry.get('changes') or {}
    live = changes.get('live') or {}
    keys = changes.get('keys') or {}
    applied = [key for key, value in keys.items() if value.get('outcome') in ('applied', 'changed')]
    return len(set(applied) | set(live))


def _thresholds_text(report):
    thresholds = report.get('thresholds') or {}
    if not thresholds:
        return None
    return ('gated metrics %s; each must fall by at least %s%% per million Tcp InSegs (or be 0 in both windows); '
            'each window needs at least %s InSegs' % (
                ', '.join(thresholds.get('gated_metrics') or []), thresholds.get('min_reduction_pct'),
                thresholds.get('min_segments')))


def _summary_line(report):
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

# Failing hosts first, in this order (no verdict at all, then the verdicts); each group in report order.
FAILING_ORDER = ('failed', 'unreachable', 'not_improved', 'reset', 'insufficient_traffic')


def _groups(report):
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


def _full(report):
    return len(report['hosts']) <= FULL_DETAIL_HOSTS


def _why(entry):
    """The one sentence a failing host's row shows: its first reason, or what stopped it before a verdict."""
    if entry.get('status') == 'verified' and entry.get('reasons'):
        return entry['reasons'][0]
    return entry.get('message') or ''


def _least_drop(entry, gated):
    """The smallest reduction of a host's gated metrics (percent), None when none had a rate to fall from."""
    values = [(entry.get('metrics') or {}).get(metric, {}).get('reduction_pct') for metric in gated]
    values = [value for value in values if value is not None]
    return min(values) if values else None


def _passing_summary(report, passing, gated):
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


def _detailed(report, failing, waiting, passing, full):
    """The hosts that get a section of their own: every host in a small fleet; else the failing ones, those
    with a verdict (and numbers to show) first, at most DETAIL_LIMIT (a failed or unreachable host's row
    already says all there is: its message)."""
    if full:
        return failing + waiting + passing
    judged = [name for name in failing if report['hosts'][name]['status'] == 'verified']
    return (judged + [name for name in failing if report['hosts'][name]['status'] != 'verified'])[:DETAIL_LIMIT]


def _detail_note(detailed, failing):
    return ('%d of the %d, those with a verdict first; the others are in the table above and in report.json.'
            % (len(detailed), len(failing)))


def _verdict_counts_text(report, names):
    counts = {}
    for name in names:
        key = report['hosts'][name]['verdict'] or report['hosts'][name]['status']
        counts[key] = counts.get(key, 0) + 1
    order = FAILING_ORDER + tuple(key for key in VERDICTS + STATUSES if key not in FAILING_ORDER)
    return ', '.join('%s %d' % (key, counts[key]) for key in order if key in counts)


# ---------------------------------------------------------------- Markdown

# Characters shown as escapes: C0 and C1 controls, format characters (bidi overrides, zero-width
# spaces), surrogates, and the line and paragraph separators (U+2028, U+2029).
_INVISIBLE = frozenset(('Cc', 'Cf', 'Cs', 'Zl', 'Zp'))
_SHORT_ESCAPES = {'\t': '\\t', '\n': '\\n', '\r': '\\r'}
# Backslash-escaped wherever they are: they open or close emphasis, code, links, HTML, tables,
# headings, strike-through or (on GitHub) maths in the middle of a line.
_MD_ALWAYS = frozenset('\\`*[]{}|#!$~')
# "<" opens HTML and autolinks, "&" entities; a ">" without a "<" is harmless inside a line ("->")
_MD_ENTITIES = {'&': '&amp;', '<': '&lt;'}
# Meaningful only at the start of a line (list items, block quotes, setext underlines)
_MD_LEADING = frozenset('-+=>')
# Text that _md would return unchanged: ASCII letters, digits and punctuation that means nothing inside a line,
# "_" only inside a word, no leading "- + = >" or space, no leading "1. " or "1) ", no trailing space.
_MD_PLAIN = re.compile(r"(?![-+=> ]|[0-9]{1,9}[.)](?: |\Z))(?:[A-Za-z0-9 ,.:;%()/=+>'\"?@-]"
                       r"|(?<=[A-Za-z0-9])_(?=[A-Za-z0-9]))+(?<! )\Z")


def _visible(text):
    """``text`` with every invisible or line-breaking character as a backslash escape (``\\r``, ``\\x1b``,
    ``\\u2028``) and every backslash doubled, so that two different texts never look the same: one line,
    as Python's repr shows a string."""
    text = '' if text is None else str(text)
    out = []
    for char in text:
        if char == '\\':
            out.append('\\\\')
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif unicodedata.category(char) in _INVISIBLE:
            code = ord(char)
            out.append('\\x%02x' % code if code < 0x100 else '\\u%04x' % code if code < 0x10000 else '\\U%08x' % code)
        else:
            out.append(char)
    return ''.join(out)


def _md(text):
    """Host- or user-derived text as Markdown that renders as ``_visible(text)``: one line, no raw control
    character, and no Markdown of its own, in a table cell, a list item, a heading or a paragraph.

    ASCII punctuation that means something anywhere is backslash-escaped (``|`` included, so a table cell
    never ends early), ``&`` and ``<`` become entities, ``_`` is escaped unless it is inside a word (where
    it cannot start emphasis), a leading ``- + = >`` and the ``.`` or ``)`` of a leading ``1. `` (list
    markers, block quotes) are escaped, and leading or trailing spaces (stripped, or an indented code block)
    become ``&#32;``. ``( ) . + - >`` elsewhere are left as they are: they mean something only at the start
    of a line, after a ``]`` or ``<`` (both always escaped), and the report stays readable as plain text.
    Text made only of what needs no escape anywhere (_MD_PLAIN: most host names, numbers and sentences)
    is returned as it is, without the walk.
    """
    text = '' if text is None else str(text)
    if _MD_PLAIN.match(text):
        return text
    return _md_walk(text)


def _md_walk(text):
    """_md, character by character."""
    text = _visible(text)
    out = []
    last = len(text) - 1
    digits = 0
    for index, char in enumerate(text):
        if '0' <= char <= '9' and digits == index:
            digits += 1
        if char in _MD_ALWAYS:
            out.append('\\' + char)
        elif char in _MD_ENTITIES:
            out.append(_MD_ENTITIES[char])
        elif char == '_':
            inside = 0 < index < last and text[index - 1].isalnum() and text[index + 1].isalnum()
            out.append(char if inside else '\\_')
        elif (index == 0 and char in _MD_LEADING) or (
                index == digits and 0 < index < 10 and char in '.)' and text[index + 1:index + 2] in ('', ' ')):
            out.append('\\' + char)
        else:
            out.append(char)
    body = ''.join(out)
    stripped = body.strip(' ')
    if not stripped:
        return '&#32;' * len(body)
    lead = len(body) - len(body.lstrip(' '))
    trail = len(body) - len(body.rstrip(' '))
    return '&#32;' * lead + stripped + '&#32;' * trail


def _md_code(text, cell=True):
    """A code span that shows ``_visible(text)``; ``-`` for no text. In a table ``cell`` a ``|`` is written
    ``\\|`` (GitHub's tables take it out before the span is read), so the cell never ends early."""
    text = _visible(text)
    if not text:
        return '-'
    if cell:
        text = text.replace('|', '\\|')
    fence = '`' * (max([len(run) for run in re.findall('`+', text)] or [0]) + 1)
    if text[0] in '` ' or text[-1] in '` ':
        text = ' %s ' % text
    return '%s%s%s' % (fence, text, fence)


def _change_rows(entry):
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


def _md_table(report, names, gated, why=False):
    header = ['host', 'verdict'] + ['%s per million InSegs' % _md(name) for name in gated] + [
        'InSegs per second', 'sysctls changed'] + (['why'] if why else [])
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for name in names:
        entry = report['hosts'][name]
        row = [_md(name), _md(_verdict_label(entry))]
        for metric in gated:
            row.append(_md(_before_after(entry['metrics'].get(metric))))
        row.append(_md(_segs_rate(entry)))
        row.append(str(_change_count(entry)))
        if why:
            row.append(_md(_why(entry)))
        lines.append('| ' + ' | '.join(row) + ' |')
    return lines + ['']


def _md_host(name, entry, gated):
    lines = ['### %s: %s' % (_md(name), _md(_verdict_label(entry))), '']
    if entry['status'] != 'verified':
        lines.append('- %s' % _md(entry['message']))
    for reason in entry['reasons']:
        lines.append('- %s' % _md(reason))
    for hint in entry['hints']:
        lines.append('- note: %s' % _md(hint))
    if entry.get('error') and entry['status'] == 'verified':
        lines.append('- error: %s' % _md(entry['error']))
    if entry.get('rolled_back'):
        lines.append('- rolled back to the values live before the rollout')
    before, after = entry.get('before') or {}, entry.get('after') or {}
    if before.get('recorded_at') or after.get('recorded_at'):
        lines.append('- baseline %s (%s s, %s InSegs), verify %s (%s s, %s InSegs)' % (
            _md(before.get('recorded_at') or 'n/a'), _md(format_number(before.get('seconds'))),
            _md(format_number(before.get('in_segs'))), _md(after.get('recorded_at') or 'n/a'),
            _md(format_number(after.get('seconds'))), _md(format_number(after.get('in_segs')))))
    others = [metric for metric in entry['metrics'] if metric not in gated and (
        entry['metrics'][metric].get('before_delta') or entry['metrics'][metric].get('after_delta'))]
    for metric in others:
        lines.append('- %s (not gated): %s per million InSegs' % (
            _md(metric), _md(_before_after(entry['metrics'][metric]))))
    rows = _change_rows(entry)
    if rows:
        lines.extend(['', '| sysctl | role outcome | wanted | live before | live after |', '|---|---|---|---|---|'])
        for key, label, wanted, old, new in rows:
            cells = (_md(key), _md(label or '-'), _md_code(wanted), _md_code(old), _md_code(new))
            lines.append('| %s | %s | %s | %s | %s |' % cells)
    lines.append('')
    return lines


def render_markdown(report):
    """The human report as GitHub-flavoured Markdown: the failing hosts first (a table, then a section each),
    the hosts the rollout did not reach, then the passing hosts (in full up to FULL_DETAIL_HOSTS hosts,
    summarised above)."""
    gated = _gated(report)
    failing, waiting, passing = _groups(report)
    full = _full(report)
    lines = ['# netfleet.tuning fleet report', '']
    meta = 'Generated %s' % _md(report.get('generated_at'))
    if report.get('playbook'):
        meta += ' by %s' % _md_code(report['playbook'], cell=False)
    if report.get('run_id'):
        meta += ', run %s' % _md(report['run_id'])
    lines.extend([meta + '.', ''])
    thresholds = _thresholds_text(report)
    if thresholds:
        lines.extend(['Thresholds: %s.' % _md(thresholds), ''])
    lines.extend(['**%s**' % _md(_summary_line(report)), ''])

    if failing:
        lines.extend(['## Failing hosts (%d: %s)' % (len(failing), _md(_verdict_counts_text(report, failing))), ''])
        lines.extend(_md_table(report, failing, gated, why=True))
    if waiting:
        lines.extend(['## Not reached (%d)' % len(waiting), '',
                      'The rollout stopped before their batch: %s.' % ', '.join(_md(name) for name in waiting), ''])
    if passing:
        lines.extend(['## Passing hosts (%d: %s)' % (len(passing), _md(_verdict_counts_text(report, passing))), ''])
        if full:
            lines.extend(_md_table(report, passing, gated))
        else:
            rows, nearest = _passing_summary(report, passing, gated)
            lines.extend(['| gated metric | stayed at 0 | fell to 0 | fell, not to 0 | smallest reduction |',
                          '|---|---|---|---|---|'])
            for metric, zero, to_zero, fell, least, host in rows:
                lines.append('| %s | %d | %d | %d | %s |' % (
                    _md(metric), zero, to_zero, fell,
                    '-' if least is None else _md('%s (%s)' % (format_pct(least), host))))
            lines.append('')
            if nearest:
                lines.extend(['The %d passing hosts closest to the threshold:' % len(nearest), ''])
                lines.extend(_md_table(report, nearest, gated))
            lines.extend(['Every passing host (each one\'s numbers are in report.json): %s.'
                          % ', '.join(_md(name) for name in passing), ''])

    detailed = _detailed(report, failing, waiting, passing, full)
    if detailed:
        lines.extend(['## Hosts' if full else '## Failing hosts in detail', ''])
        if not full and len(failing) > len(detailed):
            lines.extend([_detail_note(detailed, failing), ''])
        for name in detailed:
            lines.extend(_md_host(name, report['hosts'][name], gated))
    return '\n'.join(lines).rstrip('\n') + '\n'


# ---------------------------------------------------------------- text

def render_text(report, width=None):
    """A fixed-width table for a terminal (the rollout prints it after every batch): the failing hosts
    first (at most TEXT_LIMIT), the passing ones too up to FULL_DETAIL_HOSTS hosts; then the summary and,
    per failing host, why."""
    gated = _gated(report)
    failing, waiting, passing = _groups(report)
    full = _full(report)
    shown = failing[:TEXT_LIMIT] + (waiting + passing if full else [])
    header = ['host', 'verdict'] + ['%s/M InSegs' % name for name in gated] + ['InSegs/s']
    rows = [header]
    for name in shown:
        entry = report['hosts'][name]
        row = [name, _verdict_label(entry)]
        for metric in gated:
            row.append(_before_after(entry['metrics'].get(metric)))
        row.append(_segs_rate(entry))
        rows.append(row)
    lines = []
    if len(rows) > 1:
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for index, row in enumerate(rows):
            lines.append('  '.join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if index == 0:
                lines.append('  '.join('-' * w for w in widths))
        lines.append('')
    lines.append(_summary_line(report))
    if not full and passing:
        lines.append('  %d passing host(s) (%s): each one in report.md and report.json'
                     % (len(passing), _verdict_counts_text(report, passing)))
    for name in failing[:TEXT_LIMIT]:
        entry = report['hosts'][name]
        lines.append('  %s: %s' % (name, entry['message']))
        for hint in entry['hints']:
            lines.append('    note: %s' % hint)
    if len(failing) > TEXT_LIMIT:
        lines.append('  ... and %d more failing host(s): report.md lists every one' % (len(failing) - TEXT_LIMIT))
    if waiting:
        lines.append('  %d host(s) not reached: the rollout stopped before their batch%s' % (
            len(waiting), (': ' + ', '.join(waiting)) if full else ''))
    for name in report['summary'].get('rolled_back_hosts') or []:
        lines.append('  %s: rolled back to the values live before the rollout' % name)
    return '\n'.join(lines) + '\n'


# ---------------------------------------------------------------- HTML

def _h(text):
    text = '' if text is None else str(text)
    return (text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace('"', '&quot;').replace("'", '&#39;'))


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:72em;color:#1d2330;
padding:0 1em;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #d8dde6}
table{border-collapse:collapse;margin:.8em 0}th,td{border:1px solid #d8dde6;padding:.3em .6em;text-align:left;
vertical-align:top}th{background:#f1f3f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.05em .5em;border-radius:.6em;font-weight:600;font-size:.9em}
.pass{background:#d9f2e1;color:#11612f}.fail{background:#fbe0e0;color:#8a1616}.other{background:#eceff3;color:#444}
.host{border:1px solid #d8dde6;border-radius:.4em;padding:.2em 1em 1em;margin:1em 0}
.meta{color:#5b6475;font-size:.92em}code{background:#f1f3f7;padding:0 .25em;border-radius:.2em}
svg text{font-family:inherit;font-size:12px}.note{color:#5b6475}nav a{margin-right:1.2em}
.names{font-size:.9em;line-height:1.6}
"""


def _badge(entry):
    if entry['passed']:
        css = 'pass'
    elif entry['verdict'] or entry['status'] in ('failed', 'unreachable'):
        css = 'fail'
    else:
        css = 'other'
    return '<span class="badge %s">%s</span>' % (css, _h(_verdict_label(entry)))


def _chart(entry, gated):
    """An inline SVG: per gated metric, a bar for the baseline and one for verify (per million InSegs)."""
    rows = []
    for metric in gated:
        values = entry['metrics'].get(metric) or {}
        rows.append((metric, values.get('before_per_million'), values.get('after_per_million'),
                     values.get('reduction_pct')))
    if not rows or all(before is None and after is None for _m, before, after, _r in rows):
        return '<p class="note">No rates to chart.</p>'
    label_w, bar_w, value_w, bar_h, gap = 120, 420, 170, 16, 4
    height = len(rows) * (2 * bar_h + gap + 16) + 24
    width = label_w + bar_w + value_w
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d">'
             % (width, height, width, height),
             '<title>%s</title>' % _h('per million Tcp InSegs, baseline and verify')]
    y = 8
    for metric, before, after, reduction in rows:
        top = max(value for value in (before, after, 0) if value is not None)
        parts.append('<text x="0" y="%d" font-weight="600">%s</text>' % (y + bar_h, _h(metric)))
        for label, value, color in (('before', before, '#d9822b'), ('after', after, '#2b8a3e')):
            length = 0 if not value or not top else max(1.0, bar_w * value / top)
            parts.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s</title></rect>'
                         % (label_w, y, length, bar_h, color, label, _h(format_number(value))))
            parts.append('<text x="%d" y="%d">%s %s</text>' % (
                label_w + bar_w + 6, y + bar_h - 3, label, _h(format_number(value))))
            y += bar_h + gap
        if reduction is not None:
            parts.append('<text x="%d" y="%d" class="note">%s</text>' % (label_w, y + 10, _h(format_pct(reduction))))
        y += 16
    parts.append('</svg>')
    return ''.join(parts)


def _html_table(report, names, gated, why=False, linked=frozenset()):
    out = ['<table><thead><tr><th>host</th><th>verdict</th>']
    for metric in gated:
        out.append('<th>%s per million InSegs<br>before &rarr; after</th>' % _h(metric))
    out.append('<th>InSegs per second</th><th>sysctls changed</th>%s</tr></thead><tbody>'
               % ('<th>why</th>' if why else ''))
    for name in names:
        entry = report['hosts'][name]
        shown = '<a href="#host-%s">%s</a>' % (_h(name), _h(name)) if name in linked else _h(name)
        out.append('<tr><td>%s</td><td>%s</td>' % (shown, _badge(entry)))
        for metric in gated:
            out.append('<td class="num">%s</td>' % _h(_before_after(entry['metrics'].get(metric))))
        out.append('<td class="num">%s</td><td class="num">%d</td>%s</tr>' % (
            _h(_segs_rate(entry)), _change_count(entry), '<td>%s</td>' % _h(_why(entry)) if why else ''))
    out.append('</tbody></table>')
    return out


def _html_host(name, entry, gated, chart):
    out = ['<div class="host" id="host-%s"><h3>%s %s</h3>' % (_h(name), _h(name), _badge(entry))]
    items = []
    if entry['status'] != 'verified':
        items.append(_h(entry['message']))
    items.extend(_h(reason) for reason in entry['reasons'])
    items.extend('<span class="note">note: %s</span>' % _h(hint) for hint in entry['hints'])
    if entry.get('error') and entry['status'] == 'verified':
        items.append('error: %s' % _h(entry['error']))
    if entry.get('rolled_back'):
        items.append('rolled back to the values live before the rollout')
    if items:
        out.append('<ul>%s</ul>' % ''.join('<li>%s</li>' % item for item in items))
    if entry['status'] == 'verified':
        if chart:
            out.append(_chart(entry, gated))
        before, after = entry.get('before') or {}, entry.get('after') or {}
        out.append('<p class="meta">baseline %s: %s s, %s InSegs; verify %s: %s s, %s InSegs</p>' % (
            _h(before.get('recorded_at') or 'n/a'), _h(format_number(before.get('seconds'))),
            _h(format_number(before.get('in_segs'))), _h(after.get('recorded_at') or 'n/a'),
            _h(format_number(after.get('seconds'))), _h(format_number(after.get('in_segs')))))
        rows = list(entry['metrics'])
        if rows:
            out.append('<table><thead><tr><th>metric</th><th>gated</th><th>per million InSegs</th>'
                       '<th>per second</th><th>deltas</th></tr></thead><tbody>')
            for metric in rows:
                values = entry['metrics'][metric]
                out.append('<tr><td>%s</td><td>%s</td><td class="num">%s</td><td class="num">%s</td>'
                           '<td class="num">%s</td></tr>' % (
                               _h(metric), 'yes' if values.get('gated') else '',
                               _h(_before_after(values)), _h(_before_after(values, 'per_second')),
                               _h('%s -> %s' % (format_number(values.get('before_delta')),
                                                format_number(values.get('after_delta'))))))
            out.append('</tbody></table>')
        if entry.get('zero_metrics'):
            out.append('<p class="meta">0 in both windows: %s</p>' % _h(', '.join(entry['zero_metrics'])))
    rows = _change_rows(entry)
    if rows:
        out.append('<table><thead><tr><th>sysctl</th><th>role outcome</th><th>wanted</th><th>live before</th>'
                   '<th>live after</th></tr></thead><tbody>')
        for key, label, wanted, old, new in rows:
            out.append('<tr><td><code>%s</code></td><td>%s</td><td><code>%s</code></td><td><code>%s</code></td>'
                       '<td><code>%s</code></td></tr>'
                       % (_h(key), _h(label or '-'), _h(wanted if wanted is not None else '-'),
                          _h(old if old is not None else '-'), _h(new if new is not None else '-')))
        out.append('</tbody></table>')
    out.append('</div>')
    return out


def render_html(report):
    """A self-contained HTML page (inline CSS and SVG, no scripts, no external resources): the failing hosts
    first (a table at the top, then a section each with its chart: see _detailed), the hosts not reached,
    then the passing hosts: in full up to FULL_DETAIL_HOSTS hosts, summarised above (per gated metric, the
    hosts closest to the threshold, every name)."""
    gated = _gated(report)
    failing, waiting, passing = _groups(report)
    full = _full(report)
    detailed = _detailed(report, failing, waiting, passing, full)
    linked = frozenset(detailed)
    charted = 0
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           '<title>netfleet.tuning fleet report</title>', '<style>%s</style></head><body>' % _CSS,
           '<h1>netfleet.tuning fleet report</h1>']
    meta = 'Generated %s' % _h(report.get('generated_at'))
    if report.get('playbook'):
        meta += ' by <code>%s</code>' % _h(report['playbook'])
    if report.get('run_id'):
        meta += ', run %s' % _h(report['run_id'])
    out.append('<p class="meta">%s.</p>' % meta)
    thresholds = _thresholds_text(report)
    if thresholds:
        out.append('<p class="meta">Thresholds: %s.</p>' % _h(thresholds))
    out.append('<p><strong>%s</strong></p>' % _h(_summary_line(report)))
    nav = [('failing', 'Failing hosts', failing), ('not-reached', 'Not reached', waiting),
           ('passing', 'Passing hosts', passing)]
    out.append('<nav>%s</nav>' % ''.join('<a href="#%s">%s (%d)</a>' % (anchor, text, len(names))
                                         for anchor, text, names in nav if names))

    if failing:
        out.append('<h2 id="failing">Failing hosts (%d: %s)</h2>'
                   % (len(failing), _h(_verdict_counts_text(report, failing))))
        out.extend(_html_table(report, failing, gated, why=True, linked=linked))
    if waiting:
        out.append('<h2 id="not-reached">Not reached (%d)</h2>' % len(waiting))
        out.append('<p>The rollout stopped before their batch:</p><p class="names">%s</p>'
                   % ', '.join(_h(name) for name in waiting))
    if passing:
        out.append('<h2 id="passing">Passing hosts (%d: %s)</h2>'
                   % (len(passing), _h(_verdict_counts_text(report, passing))))
        if full:
            out.extend(_html_table(report, passing, gated, linked=linked))
        else:
            rows, nearest = _passing_summary(report, passing, gated)
            out.append('<table><thead><tr><th>gated metric</th><th>stayed at 0</th><th>fell to 0</th>'
                       '<th>fell, not to 0</th><th>smallest reduction</th></tr></thead><tbody>')
            for metric, zero, to_zero, fell, least, host in rows:
                out.append('<tr><td>%s</td><td class="num">%d</td><td class="num">%d</td><td class="num">%d</td>'
                           '<td>%s</td></tr>' % (_h(metric), zero, to_zero, fell,
                                                 '-' if least is None else _h('%s (%s)' % (format_pct(least), host))))
            out.append('</tbody></table>')
            if nearest:
                out.append('<p>The %d passing hosts closest to the threshold:</p>' % len(nearest))
                out.extend(_html_table(report, nearest, gated))
            out.append('<details><summary>Every passing host (each one\'s numbers are in report.json)</summary>'
                       '<p class="names">%s</p></details>' % ', '.join(_h(name) for name in passing))

    if detailed:
        out.append('<h2>%s</h2>' % ('Hosts' if full else 'Failing hosts in detail'))
        if not full and len(failing) > len(detailed):
            out.append('<p class="note">%s</p>' % _h(_detail_note(detailed, failing)))
        for name in detailed:
            entry = report['hosts'][name]
            chart = entry['status'] == 'verified' and charted < CHART_LIMIT
            charted += 1 if chart else 0
            out.extend(_html_host(name, entry, gated, chart))
    out.append('</body></html>')
    return '\n'.join(out) + '\n'
