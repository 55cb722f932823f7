# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write sysctl values to /proc/sys all or nothing, as far as the kernel allows.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports. ``apply_changes`` writes the keys one by
one and reads each back at once. On the first write the kernel refuses (EINVAL, EPERM...) or the
first read-back that differs, it puts back every key this call touched, the failing one included
(the kernel stores a vector such as ``tcp_wmem`` element by element and stops at the element it
rejects, so a refused triplet can be left half written), and reads each back again.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_scope import key_to_path, read_value
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import same_value

__all__ = ['write_value', 'apply_changes']


def write_value(key, value, proc_path='/proc'):
    """Write one value to /proc/sys (no shell, no sysctl command). Returns an error string or None."""
    try:
        with open(key_to_path(key, proc_path), 'w') as handle:
            handle.write(value + '\n')
    except (IOError, OSError) as exc:
        return 'the kernel refused %s = %s: %s' % (key, value, exc.strerror or exc)
    return None


def _read(reader, key, proc_path):
    try:
        return reader(key, proc_path)
    except (IOError, OSError):
        return None


def apply_changes(changes, proc_path='/proc', writer=write_value, reader=read_value):
    """Write ``changes`` (ordered ``(key, new, old)``; values are texts as sysctl_value.format_value
    writes them) all or nothing.

    Returns ``(ok, outcome, errors)``. ``outcome``: key -> ``{'live': value read back,
    'result': ...}`` for every key touched: ``written`` (ok), ``rolled_back`` (back at ``old``),
    ``rollback_failed`` (neither: see ``live``). Keys after the failing one are not touched.
    ``errors``: one line per problem (the failure, then any key that could not be put back).
    """
    touched = []
    failure = None
    for key, new, old in changes:
        touched.append((key, new, old))
        error = writer(key, new, proc_path)
        if error is None:
            back = _read(reader, key, proc_path)
            if not same_value(key, back, new):
                error = '%s: read back %r after writing %r' % (key, back, new)
        if error:
            failure = error
            break
    outcome = {}
    if failure is None:
        for key, new, dummy_old in touched:
            outcome[key] = {'live': _read(reader, key, proc_path), 'result': 'written'}
        return True, outcome, []
    errors = [failure]
    for key, dummy_new, old in reversed(touched):
        current = _read(reader, key, proc_path)
        error = None
        if old is not None and not same_value(key, current, old):
            error = writer(key, old, proc_path)
            current = _read(reader, key, proc_path)
        back = old is not None and same_value(key, current, old)
        outcome[key] = {'live': current, 'result': 'rolled_back' if back else 'rollback_failed'}
        if not back and old is None:
            errors.append('%s: its value from before this run is unknown: left at %r' % (key, current))
        elif not back:
            errors.append('%s: left at %r, wanted %r back%s' % (key, current, old, ' (%s)' % error if error else ''))
    return False, outcome, errors
