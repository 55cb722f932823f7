# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who else sets one of our keys, and whose value ends live: later sysctl files and tuned.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports, no I/O. The planner (dropin_plan) asks
``contest(key, ours, file_override, file_owner, tuned)`` for every key it would write and gets the
outcome: overridden or not, by whom, the owning tool, the fix, and what to tell the user otherwise.

Who wins, in the order the host applies them (the role README, "Living with other roles"):

1. the sysctl files: at boot systemd-sysctl (and ``sysctl --system`` by hand) applies every file in
   the load order; a later file that sets our key wins over our drop-in (``file_override``:
   dropin.find_overrides' last later file, ``file_owner``: sysctl_owners.owner_of of that file);
2. tuned, when a profile is active (``tuned``: tuned_profile.read_tuned's result, None without tuned):
   its sysctl plugin writes the profile's values when the daemon starts (after systemd-sysctl) and on
   every profile change. With ``reapply_sysctl = 1`` (tuned's default) it then re-applies
   /run/sysctl.d, /etc/sysctl.d and /etc/sysctl.conf, so the files' order decides again and our
   drop-in's value ends live: tuned is reported (``also_set_by`` and a warning: stopping tuned or
   switching profiles writes back the value tuned found when it applied). With ``reapply_sysctl = 0``
   tuned's value is the last one written: the key is overridden by the tuned profile.

A tuned value with ``>`` (only raise) or ``<`` (only lower) that would leave our value alone does not
override it. A value tuned cannot tell here (a ``${variable}``) or a conditional unit (cpuinfo or uname
regex) is never called an override: it is a warning that names it.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import same_value
from ansible_collections.netfleet.tuning.plugins.module_utils.tuned_profile import effective_value

__all__ = ['contest', 'tuned_summary']

TUNED_MAIN = '/etc/tuned/tuned-main.conf'


def _tuned_fix(key, tuned, ours):
    profile = ','.join(tuned.get('profiles') or []) or 'the active profile'  # tuned splits include= on , and ;
    return ('give %s one owner: a custom tuned profile (/etc/tuned/<name>/tuned.conf with include=%s and, in its '
            '[sysctl] section, drop=%s or %s=%s) made active with tuned-adm profile <name>; or set reapply_sysctl = 1 '
            'in %s, so that tuned re-applies /etc/sysctl.d after its own values; or leave the key to tuned (the role: '
            'sysctl_profile_overrides: {%s: ~})' % (key, profile, key, key, ours, TUNED_MAIN, key))


def _tuned_view(key, ours, tuned):
    """(entry, what tuned leaves live after its own write, differs, uncertain) for ``key`` in ``tuned``. The
    re-apply of the files (reapply_sysctl) is weighed by contest, not here: ``reapplied_by`` is left out."""
    if not tuned or tuned.get('status') == 'refused':
        return None, None, False, None
    entry = (tuned.get('sysctl') or {}).get(key)
    if not entry:
        return None, None, False, None
    leaves = effective_value(dict(entry, reapplied_by=None), ours)
    if leaves is None:
        return entry, None, False, entry.get('note') or 'its value cannot be worked out here'
    differs = not same_value(key, leaves, ours)
    if differs and entry.get('conditional'):
        return entry, leaves, False, 'it sits in a conditional unit (%s)' % (entry.get('note') or 'uname or cpuinfo')
    return entry, leaves, differs, None


def contest(key, ours, file_override, file_owner, tuned):
    """The outcome for one key we would write with the text ``ours``.

    ``file_override``: ``(path, value text)`` of the last later file that sets the key, or None;
    ``file_owner``: ``{'owner', 'evidence', 'fix'}`` for that file (owner may be None), or None;
    ``tuned``: tuned_profile.read_tuned's result, or None.
    Returns ``{'overridden': bool, 'by', 'theirs', 'owner', 'fix', 'also_set_by': [..], 'warnings': [..],
    'tuned': bool}`` (``tuned``: the override is tuned's).
    """
    out = {'overridden': False, 'by': None, 'theirs': None, 'owner': None, 'fix': None, 'also_set_by': [],
           'warnings': [], 'tuned': False}
    entry, leaves, tuned_differs, uncertain = _tuned_view(key, ours, tuned)
    tuned_name = (entry.get('owner') or tuned.get('owner')) if entry is not None else None
    reapply = bool(tuned.get('reapply_sysctl', True)) if tuned else True
    if entry is not None and tuned_differs and not reapply:
        out.update(overridden=True, by='%s (%s)' % (tuned_name, entry.get('file')), theirs=leaves, owner=tuned_name,
                   fix=_tuned_fix(key, tuned, ours), tuned=True)
        return out
    if file_override is not None and not same_value(key, file_override[1], ours):
        owner = file_owner or {}
        out.update(overridden=True, by=file_override[0], theirs=file_override[1], owner=owner.get('owner'),
                   fix=owner.get('fix'))
        return out
    if file_override is not None:
        out['also_set_by'].append(file_override[0])
    if entry is not None:
        out['also_set_by'].append('%s (%s)' % (tuned_name, entry.get('file')))
        if tuned_differs:
            out['warnings'].append(
                '%s sets %s = %s (%s): with reapply_sysctl = 1 tuned re-applies /etc/sysctl.d after its own values, '
                'so the drop-in\'s %s ends live; stopping tuned or switching its profile writes back the value tuned '
                'found when it applied, so restart tuned after this rollout (systemctl restart tuned) or give the key '
                'one owner' % (tuned_name, key, leaves, entry.get('file'), ours))
        elif uncertain:
            out['warnings'].append('%s sets %s (%s) but %s: whether it overrides the drop-in\'s %s is not known' % (
                tuned_name, key, entry.get('file'), uncertain, ours))
    return out


def tuned_summary(tuned):
    """What the role's result says about tuned on this host (None without tuned)."""
    if not tuned:
        return None
    return {
        'owner': tuned.get('owner'), 'profiles': list(tuned.get('profiles') or []), 'source': tuned.get('source'),
        'reapply_sysctl': bool(tuned.get('reapply_sysctl', True)), 'notes': list(tuned.get('notes') or []),
        'keys': sorted((tuned.get('sysctl') or {}).keys()),
    }
