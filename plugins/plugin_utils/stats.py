# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a playbook publishes with ``set_stats`` as ``netfleet_report`` (controller-only).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

AWX / Automation Platform keeps a job's ``set_stats`` data as its artifacts, and a workflow branches
on them. The data must stay small for 10,000 hosts: the fleet summary and, per host, only
``verdict``, ``passed`` and ``status`` (no windows, no rates, no charts, no host lists beside the
per-host map)::

    {'playbook': 'verify', 'run_id': '...', 'ok': bool,
     'summary': {'hosts', 'passed', 'failed', 'not_verified', 'verdicts': {...}, 'statuses': {...}},
     'hosts': {name: {'verdict': str or None, 'passed': bool, 'status': str}}}

Pure standard library, no Ansible imports.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

__all__ = ['SUMMARY_KEYS', 'report_stats', 'baseline_stats', 'rollback_stats']

# the summary's counters: its *_hosts lists repeat what the per-host map says
SUMMARY_KEYS = ('hosts', 'passed', 'failed', 'not_verified', 'verdicts', 'statuses', 'ok')


def report_stats(report):
    """The ``netfleet_report`` artifact of a verify or rollout report (see report.build)."""
    summary = report.get('summary') or {}
    hosts = report.get('hosts') or {}
    return {
        'playbook': report.get('playbook'),
        'run_id': report.get('run_id'),
        'ok': bool(summary.get('ok')),
        'summary': dict((key, summary[key]) for key in SUMMARY_KEYS if key in summary),
        'hosts': dict((name, {'verdict': entry.get('verdict'), 'passed': bool(entry.get('passed')),
                              'status': entry.get('status')}) for name, entry in hosts.items()),
    }


def _artifact(playbook, run_id, entries, passed_status):
    """The artifact's shape for a playbook that judges nothing (baseline, rollback)."""
    statuses = {}
    for entry in entries.values():
        statuses[entry['status']] = statuses.get(entry['status'], 0) + 1
    passed = statuses.get(passed_status, 0)
    ok = bool(entries) and passed == len(entries)
    return {
        'playbook': playbook,
        'run_id': run_id,
        'ok': ok,
        'summary': {'hosts': len(entries), 'passed': passed, 'failed': len(entries) - passed,
                    'not_verified': len(entries), 'verdicts': {}, 'statuses': statuses, 'ok': ok},
        'hosts': entries,
    }


def rollback_stats(hosts, checks, active=None, check_mode=False, run_id=None):
    """The ``netfleet_report`` artifact of the rollback playbook.

    ``checks``: per host (same order as ``hosts``) the rollback check (``{'ok': bool, ...}``, see
    rollback_check.check_restored) or None where the host was not checked. Per host ``status`` is ``restored``
    (every restored value is live), ``not_live`` (the check found a value that is not),
    ``check_mode``, ``failed`` or ``unreachable``; ``passed`` is True for ``restored``.
    """
    active = set(hosts if active is None else active)
    entries = {}
    for name, check in zip(hosts, checks):
        if check_mode:
            status = 'check_mode'
        elif isinstance(check, dict) and 'ok' in check:
            status = 'restored' if check['ok'] else 'not_live'
        else:
            status = 'failed' if name in active else 'unreachable'
        entries[name] = {'verdict': None, 'passed': status == 'restored', 'status': status}
    return _artifact('rollback', run_id, entries, 'restored')


def baseline_stats(hosts, records, active=None, check_mode=False, run_id=None):
    """The ``netfleet_report`` artifact of the baseline playbook.

    ``hosts``: every host the run targeted; ``records``: the baseline record of each (same order, None
    where none was taken); ``active``: the hosts still in the play. Per host ``status`` is
    ``stored`` (a valid window, kept on the host), ``invalid`` (sampled, but the window is not valid),
    ``check_mode`` (nothing sampled) or ``failed``; ``passed`` is True for ``stored``; ``verdict`` is
    always None (a baseline judges nothing).
    """
    active = set(hosts if active is None else active)
    entries = {}
    for name, record in zip(hosts, records):
        if check_mode:
            status = 'check_mode'
        elif isinstance(record, dict) and record:
            status = 'stored' if (record.get('window') or {}).get('valid') is True else 'invalid'
        else:
            status = 'failed' if name in active else 'unreachable'
        entries[name] = {'verdict': None, 'passed': status == 'stored', 'status': status}
    return _artifact('baseline', run_id, entries, 'stored')
