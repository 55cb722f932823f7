# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sysctl.d drop-in: render it, parse sysctl.d files, find who overrides our keys.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports. Every path function takes ``root``
so tests can use a fake tree.

Load order (procps ``sysctl --system`` and systemd-sysctl agree on the directories): every
``*.conf`` in ``/etc/sysctl.d``, ``/run/sysctl.d``, ``/usr/local/lib/sysctl.d``,
``/usr/lib/sysctl.d``, ``/lib/sysctl.d``; a file name seen in an earlier directory masks the
same name in later ones; the surviving files are applied sorted by file name; procps then
applies ``/etc/sysctl.conf`` last (sysctl(8), "SYSTEM FILE PRECEDENCE"). systemd-sysctl never
reads /etc/sysctl.conf itself (sysctl.d(5)), only through a link to it among the sysctl.d files:
Debian 12's systemd package ships ``/etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf`` (sysctl_conf_links). A
later assignment of a key wins, so a file that sorts after ours (or /etc/sysctl.conf, whatever our
priority) and sets one of our keys overrides it.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fnmatch
import os
import re

from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import (
    SysctlKeyError, is_canonical, validate_key, value_text,
)

__all__ = [
    'SYSCTL_DIRS', 'SYSCTL_CONF', 'DROPIN_DIR', 'FINGERPRINT', 'comment_lines', 'render',
    'parse_conf', 'load_order', 'read_conf', 'find_overrides', 'sysctl_conf_links', 'rooted', 'is_ours',
]

SYSCTL_DIRS = ('/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d')
SYSCTL_CONF = '/etc/sysctl.conf'
DROPIN_DIR = '/etc/sysctl.d'
FINGERPRINT = 'netfleet.tuning:sysctl_profile'

_CONTROL_RE = re.compile(r'[\x00-\x08\x0b-\x1f\x7f]')


def rooted(root, path):
    """Join an absolute path under ``root`` ('/' leaves it as is)."""
    if not root or root == '/':
        return path
    return os.path.join(root, path.lstrip('/'))


def comment_lines(text):
    """Turn any text into sysctl.d comment lines: every line starts with '#', no control characters.

    This is how user-supplied or controller-supplied text (the ansible_managed header, notes,
    reasons) enters the file: it can never become an assignment.
    """
    out = []
    for line in (text or '').splitlines():
        line = _CONTROL_RE.sub('?', line.rstrip())
        if not line.startswith('#'):
            line = '# ' + line if line else '#'
        out.append(line)
    return out


def render(settings, comments=None, header='', notes=(), skipped=None, profile=None):
    """The drop-in text.

    ``settings``: key -> a value's text as sysctl_value.format_value writes it (the caller validated
    it; anything else is refused here). Keys are written sorted (stable output). ``comments``: key -> why (one comment
    line above each key). ``skipped``: key -> reason, listed as comments at the end (keys that
    this host cannot or must not set are never written as assignments).
    """
    comments = comments or {}
    lines = comment_lines(header)
    lines.append('# %s' % FINGERPRINT + (' profile=%s' % profile if profile else ''))
    lines.append('# Written by the netfleet.tuning.sysctl_profile role: edit its variables, not this file.')
    lines.extend(comment_lines('\n'.join(notes)))
    for key in sorted(settings):
        value = settings[key]
        try:
            validate_key(key)
        except SysctlKeyError:
            value = None
        if not is_canonical(key, value):
            raise ValueError('refusing to render %r = %r: not a validated key/value' % (key, settings[key]))
        lines.append('')
        lines.extend(comment_lines(comments.get(key, '')))
        lines.append('%s = %s' % (key, value))
    if skipped:
        lines.append('')
        lines.append('# Not written on this host (the role reports them as skipped):')
        for key in sorted(skipped):
            lines.extend(comment_lines('  %s: %s' % (key, skipped[key])))
    return '\n'.join(lines) + '\n'


def is_ours(text):
    """True if ``text`` is a drop-in this collection rendered: its fingerprint line is there.

    Only such a file is ever replaced or removed as ours; any other file at one of our paths is
    someone else's and is left alone (or kept in the state to put back, see sysctl_dropin).
    """
    for line in text.splitlines():
        if line == '# ' + FINGERPRINT or line.startswith('# %s ' % FINGERPRINT):
            return True
    return False


def parse_conf(text):
    """Assignments in a sysctl.d / sysctl.conf text: a list of (key, value, lineno).

    Blank lines and lines starting with '#' or ';' are comments. A leading '-' (ignore errors)
    is dropped. Keys written with '/' are turned into the dotted form. The value is its text with
    whitespace runs collapsed (sysctl_value.value_text; compare values with sysctl_value.same_value).
    Lines without '=' are ignored, as both tools do.
    """
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line[0] in '#;':
            continue
        if '=' not in line:
            continue
        key, value = line.split('=', 1)
        key = key.strip()
        if key.startswith('-'):
            key = key[1:].strip()
        if '/' in key and '.' not in key.split('/')[0]:
            key = key.replace('/', '.')
        out.append((key, value_text(value), lineno))
    return out


def load_order(root='/', dirs=SYSCTL_DIRS, sysctl_conf=SYSCTL_CONF, include=None):
    """The files ``sysctl --system`` applies, in order (paths under ``root``).

    Returns a list of paths. A name in an earlier directory masks the same name in later ones;
    a masking file that is a link to /dev/null (systemd's way to disable a file) is skipped.
    /etc/sysctl.conf comes last unless it is missing. ``include``: a path (under ``root``) to
    place in the order as if it existed (our drop-in before its first write).
    """
    seen = {}
    if include:
        seen[os.path.basename(include)] = include
    for directory in dirs:
        real_dir = rooted(root, directory)
        try:
            names = os.listdir(real_dir)
        except (IOError, OSError):
            continue
        for name in names:
            if not name.endswith('.conf') or name in seen:
                continue
            seen[name] = os.path.join(real_dir, name)
    files = []
    for name in sorted(seen):
        path = seen[name]
        if path != include and (os.path.realpath(path) == '/dev/null' or not os.path.isfile(path)):
            continue
        files.append(path)
    conf = rooted(root, sysctl_conf)
    if os.path.isfile(conf):
        files.append(conf)
    return files


def read_conf(path):
    """The text of a sysctl file, or None when it cannot be read (find_overrides' reader)."""
    try:
        with open(path, 'r') as handle:
            return handle.read()
    except (IOError, OSError, UnicodeDecodeError):
        return None


def find_overrides(our_path, keys, files, reader=read_conf):
    """Which later file sets each of our keys last: ``{key: (path, value)}``.

    ``files``: the load order (see load_order, with ``include=our_path``); only files after
    ``our_path`` count (all of them if it is not in the list; a file that is the same as ours,
    e.g. through a link, is skipped). Keys in the files may be globs
    (``net.ipv4.conf.*.rp_filter``). ``/etc/sysctl.conf`` counts when it comes after ours,
    which it always does. A file that comes again later in the order under another name (the
    ``99-sysctl.conf`` link to /etc/sysctl.conf) is read once, at its last place, and named by it:
    what it sets is reported as set by ``/etc/sysctl.conf``.
    """
    keys = list(keys)
    our_real = os.path.realpath(our_path)
    reals = [os.path.realpath(path) for path in files]
    last = dict((real, index) for index, real in enumerate(reals))
    start = reals.index(our_real) + 1 if our_real in reals else 0
    found = {}
    for index in range(start, len(files)):
        path = files[index]
        if reals[index] == our_real or last[reals[index]] != index:
            continue
        text = reader(path)
        if text is None:
            continue
        for their_key, value, dummy_line in parse_conf(text):
            for key in keys:
                is_glob = any(char in their_key for char in '*?[')
                if their_key == key or (is_glob and fnmatch.fnmatchcase(key, their_key)):
                    found[key] = (path, value)
    return found


def sysctl_conf_links(files, root='/', sysctl_conf=SYSCTL_CONF):
    """The other names of /etc/sysctl.conf in a load order: how systemd-sysctl reads it.

    Debian 12's systemd package ships ``/etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf`` (a link the
    other way round, /etc/sysctl.conf -> sysctl.d/99-sysctl.conf, is found too); without one,
    systemd-sysctl never applies /etc/sysctl.conf at boot, and only ``sysctl --system`` (and tuned's
    reapply) does. ``[]`` when /etc/sysctl.conf is missing.
    """
    conf = rooted(root, sysctl_conf)
    if not os.path.isfile(conf):
        return []
    conf_real = os.path.realpath(conf)
    return [path for path in files if path != conf and os.path.realpath(path) == conf_real]
