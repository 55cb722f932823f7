# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollback check: after ``sysctl_profile_state: absent``, are the restored values live? (controller-only)

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, no Ansible imports: the ``netfleet.tuning.rollback_check`` filter wraps it. Values
are compared as the value model compares them (module_utils/sysctl_value.same_value).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import same_value

__all__ = ['check_restored']


def _text(value):
    return None if value is None else str(value)


def check_restored(role_result, live_sysctl, baseline_sysctl=None):
    """After ``sysctl_profile_state: absent``: are the restored values live?

    ``role_result``: the role's ``sysctl_profile_result`` (``keys``: per key ``status``, ``desired`` =
    the value saved before the first rollout).  ``live_sysctl``: a fresh read
    (``ansible_facts.netstat.sysctl``, ``{key: {'value', 'scope'}}``).  ``baseline_sysctl``: the
    stored baseline's ``sysctl`` (optional), compared for information only (a baseline may be newer
    than the first rollout).

    -> ``{'ok': bool, 'checked': [key], 'mismatches': [str], 'notes': [str]}``.  A key the role
    restored (or found already restored) whose live value differs from the saved one, a key whose
    restore failed, and a key the fresh read does not show are mismatches.
    """
    keys = role_result.get('keys') if isinstance(role_result, dict) else None
    live_sysctl = live_sysctl if isinstance(live_sysctl, dict) else {}
    baseline_sysctl = baseline_sysctl if isinstance(baseline_sysctl, dict) else {}
    checked, mismatches, notes = [], [], []
    if not isinstance(keys, dict) or not keys:
        notes.append('no saved values on the host: nothing was restored (never rolled out, or already rolled back)')
        return {'ok': True, 'checked': checked, 'mismatches': mismatches, 'notes': notes}

    def live_value(key):
        entry = live_sysctl.get(key)
        return entry.get('value') if isinstance(entry, dict) else entry

    for key in sorted(keys):
        entry = keys[key] if isinstance(keys[key], dict) else {}
        status = entry.get('status')
        if status == 'failed':
            mismatches.append('%s: the role could not restore %r (read back %r)'
                              % (key, entry.get('desired'), entry.get('live')))
            continue
        if status not in ('restored', 'unchanged'):
            notes.append('%s: %s (%s)' % (key, status, entry.get('reason') or 'not restored'))
            continue
        checked.append(key)
        if key not in live_sysctl:
            mismatches.append('%s: not in the fresh read of the live values' % key)
            continue
        now = live_value(key)
        if not same_value(key, _text(now), _text(entry.get('desired'))):
            mismatches.append('%s: live value %r, expected the saved %r' % (key, now, entry.get('desired')))
            continue
        base = baseline_sysctl.get(key)
        base = base.get('value') if isinstance(base, dict) else base
        if base is not None and not same_value(key, _text(now), _text(base)):
            notes.append('%s: restored to %r, which differs from the stored baseline %r (the baseline was taken '
                         'after an earlier change)' % (key, now, base))
    return {'ok': not mismatches, 'checked': checked, 'mismatches': mismatches, 'notes': notes}
