# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: one data structure (the model), and its JSON (report.json).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Controller-only, never shipped to hosts. Pure standard library, no Ansible imports, no file access: the
playbooks build the per-host records, call ``build()`` and the renderers through the
``netfleet.tuning.report_outputs`` filter (one call per report), and write the renderings with
``netfleet.tuning.netfleet_state`` on the controller. The human reports are views of the model:
report_view.py (what they show, and the text report), report_templates.py (Markdown and HTML).

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
                      'missing_metrics', 'guards', 'changes', 'rolled_back', 'rollback',
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

``guards`` is the verdict's judgement of the guard metrics without their names (the thresholds carry
them): ``{'regressed': [names], 'unjudged': [names], 'memory_pressure': {'before', 'after'}}``, None
when they were not judged (no verdict, reset, insufficient_traffic).

``changes.memory_budget`` is the role's memory budget (``established``, ``per_socket_max_bytes``,
``worst_case_bytes``, ``headroom_bytes``, ``exceeds_pressure``, ``exceeds_high``, ``note``: see the module
sysctl_dropin's RETURN), None when the role did not run on the host.

``changes.keys`` is the role's per-key outcome, read from ``role_result['keys']`` as the module
sysctl_dropin documents it in its RETURN (``status``, ``desired``, ``before``, ``live``, ``reason``,
``by``): ``{key: {'outcome', 'before', 'after', 'wanted', 'detail'}}``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json

from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry
from ansible_collections.netfleet.tuning.plugins.plugin_utils.verdict import PASSING, VERDICTS

__all__ = ['SCHEMA_VERSION', 'STATUSES', 'build', 'record_for_report', 'render_json']

SCHEMA_VERSION = 1
STATUSES = ('verified', 'failed', 'unreachable', 'not_reached')

_STATUS_TEXT = {
    'failed': 'failed before a verdict',
    'unreachable': 'unreachable or failed without a record',
    'not_reached': 'not reached: the rollout stopped before its batch',
}


def _now():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime('%Y-%m-%dT%H:%M:%SZ')


def _text(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ' '.join(str(part) for part in value)
    return str(value)


def _role_changes(role_result):
    """The role's per-key outcome, ``{key: {'outcome', 'before', 'after', 'wanted', 'detail'}}`` sorted by key,
    from ``role_result['keys']`` (sysctl_dropin RETURN ``keys``; the role keeps the module's result as
    ``ansible_facts.sysctl_profile_result``): ``outcome`` is ``status``, ``before`` the live value before the
    run, ``after`` the value read back after it (``live``; never the value the role only wanted), ``wanted``
    the value asked for (``desired``), ``detail`` the ``reason`` or, for an overridden key, the file ``by``;
    ``owner``, ``fix`` and ``also_set_by`` when the role named another owner of the key (coexistence.contest).
    No ``keys`` (no role result, a host the role never reached): ``{}``."""
    keys = role_result.get('keys') if isinstance(role_result, dict) else None
    if not isinstance(keys, dict):
        return {}
    changes = {}
    for key in sorted(keys):
        entry = keys[key] if isinstance(keys[key], dict) else {}
        detail = entry.get('reason')
        changes[key] = {
            'outcome': _text(entry.get('status')),
            'before': _text(entry.get('before')),
            'after': _text(entry.get('live')),
            'wanted': _text(entry.get('desired')),
            'detail': _text(detail if detail is not None else entry.get('by')),
        }
        # another owner of the key (a later file, tuned): only where there is one, so that a host without
        # other owners reports exactly what it did before
        for field in ('owner', 'fix', 'also_set_by'):
            if entry.get(field):
                changes[key][field] = _text(entry[field])
    return changes


_BUDGET_KEYS = ('established', 'per_socket_max_bytes', 'worst_case_bytes', 'headroom_bytes', 'exceeds_pressure',
                'exceeds_high', 'note')


def _memory_budget(role_result):
    """The role's memory budget (sysctl_dropin RETURN ``memory_budget``) as the report keeps it: the worst case,
    the headroom under tcp_mem pressure, the two flags and the sentence; None when the role reported none."""
    budget = role_result.get('memory_budget') if isinstance(role_result, dict) else None
    if not isinstance(budget, dict):
        return None
    return dict((key, budget.get(key)) for key in _BUDGET_KEYS)


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
    rates = {}
    for name in metric_registry.ordered(metrics):
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


def _guards(value):
    """The verdict's guard judgement as the report keeps it (see the module docstring), or None."""
    if not isinstance(value, dict):
        return None
    return dict((key, value.get(key)) for key in ('regressed', 'unjudged', 'memory_pressure'))


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
        'guards': _guards(verdict.get('guards') if verdict else None),
        'changes': {
            'role_changed': record.get('role_changed') if record else None,
            'keys': _role_changes(record.get('role_result')) if record else {},
            'memory_budget': _memory_budget(record.get('role_result')) if record else None,
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
    thresholds.validate_thresholds (copied into the report).
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
