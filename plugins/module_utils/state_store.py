# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's own state: the one place that reads and writes ``/var/lib/netfleet-tuning``.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports. Every file in the state directory is read and
written through ``StateStore`` (the role's state below, netfleet_window's baseline through ``read_file`` /
``write_file``). What the role's state holds (``sysctl_profile.json``):

- ``priority``: the priority of the drop-in the last rollout wrote (so a later rollout at another
  priority removes the old file). A number, never a path: every path is derived from the module's
  own parameters.
- ``original``: key -> the live value before the first rollout that changed the key (or null when it
  could not be read). Written once per key and never overwritten by a tuned value.
- ``applied``: the keys a rollout wrote live (``state=absent`` restores exactly these).
- ``previous_files``: drop-in file name -> the text of a foreign file that sat at our path before
  our first rollout (put back when our file goes).

State is data, never instructions. ``decode`` checks every entry against the same rules as user
input and raises ``StateError`` naming the file, the entry and the rule; ``check_managed`` refuses
keys the collection does not manage. The directory and its files must pass hostfs' strict modes; a
lock serialises runs on one host.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import time

from ansible_collections.netfleet.tuning.plugins.module_utils import hostfs
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import (
    ProfileError, SysctlKeyError, format_value, is_integers, parse_value, validate_key,
)

__all__ = [
    'STATE_FILE', 'LOCK_FILE', 'BACKUP_DIR', 'STATE_VERSION', 'StateError', 'decode', 'encode',
    'check_managed', 'empty_state', 'StateStore', 'DROPIN_NAME_RE',
]

STATE_FILE = 'sysctl_profile.json'
LOCK_FILE = 'sysctl_profile.lock'
BACKUP_DIR = 'backup'
STATE_VERSION = 2
KEEP_BACKUPS = 5
MAX_STATE_BYTES = 4 * 1024 * 1024
MAX_PREVIOUS_FILE_BYTES = 256 * 1024
DROPIN_NAME_RE = re.compile(r'\A([0-9]{2})-netfleet-tuning\.conf\Z')
_CREATED_RE = re.compile(r'\A[0-9T:.+Z-]{1,40}\Z')
_FIELDS = ('version', 'created', 'priority', 'original', 'applied', 'previous_files')
_V1_FIELDS = ('version', 'created', 'path', 'original', 'applied', 'previous_files')


class StateError(ValueError):
    """A state file that fails a rule. ``entry``: where in the file (``original.net.core.somaxconn``)."""

    def __init__(self, path, entry, rule, message):
        self.path = path
        self.entry = entry
        self.rule = rule
        super(StateError, self).__init__(
            'state file %s: %s%s (rule: %s). It is data the collection refuses to act on: nothing was changed. '
            'Check the file (or move it away to start over: the values from before the first rollout are then '
            'forgotten)' % (path, '%s: ' % entry if entry else '', message, rule))

    @property
    def rules(self):
        return [self.rule]


def empty_state():
    return {'version': STATE_VERSION, 'created': None, 'priority': None, 'original': {}, 'applied': [],
            'previous_files': {}}


def _printable(value):
    return repr(value)[:80]


def _dropin_name(path, entry, name):
    """A drop-in file name of ours (``NN-netfleet-tuning.conf``), else StateError."""
    if not isinstance(name, str) or not DROPIN_NAME_RE.match(name):
        raise StateError(path, entry, 'state_path', 'file name %s is not a netfleet-tuning drop-in name '
                         '(NN-netfleet-tuning.conf)' % _printable(name))
    return name


def _v1_dropin_name(path, entry, value, dropin_dir):
    """Version 1 stored absolute paths: accept only our own drop-in names inside the drop-in directory."""
    if not isinstance(value, str) or os.path.dirname(value) != dropin_dir:
        raise StateError(path, entry, 'state_path', 'path %s is not a netfleet-tuning drop-in in %s: paths are '
                         'derived from the role\'s parameters, never taken from the state' % (
                             _printable(value), dropin_dir))
    return _dropin_name(path, entry, os.path.basename(value))


def _key(path, entry, key):
    try:
        return validate_key(key)
    except SysctlKeyError as exc:
        raise StateError(path, entry, exc.rules[0], 'key %s is not a sysctl key of the form net.x.y' % (
            _printable(key)))


def _original_value(path, key, value):
    if value is None:
        return None
    if not isinstance(value, str):
        if not is_integers(key):
            raise StateError(path, 'original.%s' % key, 'not_a_name', 'value %s is not a string holding a name'
                             % _printable(value))
        raise StateError(path, 'original.%s' % key, 'not_integer', 'value %s is not a string of integers'
                         % _printable(value))
    try:
        return format_value(parse_value(key, value))
    except ProfileError as exc:
        raise StateError(path, 'original.%s' % key, exc.rules[0], str(exc).rsplit(' (rule:', 1)[0])


def decode(text, path, dropin_dir):
    """Parse and check a state file's text; return the state (version 2 shape).

    ``dropin_dir``: the drop-in directory as the module sees it (version 1 files stored absolute
    paths, accepted only inside it). Raises StateError on the first rule broken.
    """
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise StateError(path, None, 'state_format', 'not valid JSON (%s)' % exc)
    if not isinstance(raw, dict):
        raise StateError(path, None, 'state_format', 'not a JSON object')
    version = raw.get('version')
    if version not in (1, STATE_VERSION) or isinstance(version, bool):
        raise StateError(path, 'version', 'state_format', 'unknown version %s (this collection reads 1 and %d)'
                         % (_printable(version), STATE_VERSION))
    allowed = _V1_FIELDS if version == 1 else _FIELDS
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise StateError(path, unknown[0], 'state_format', 'unknown field (version %d has %s)' % (
            version, ', '.join(allowed)))
    state = empty_state()

    created = raw.get('created')
    if created is not None and (not isinstance(created, str) or not _CREATED_RE.match(created)):
        raise StateError(path, 'created', 'state_format', 'not a timestamp: %s' % _printable(created))
    state['created'] = created

    if version == 1:
        if raw.get('path') is not None:
            name = _v1_dropin_name(path, 'path', raw['path'], dropin_dir)
            state['priority'] = int(DROPIN_NAME_RE.match(name).group(1))
    else:
        priority = raw.get('priority')
        if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)
                                     or not 0 <= priority <= 99):
            raise StateError(path, 'priority', 'priority', 'must be an integer 0..99, got %s' % _printable(priority))
        state['priority'] = priority

    original = raw.get('original', {})
    if not isinstance(original, dict):
        raise StateError(path, 'original', 'state_format', 'must be an object of key -> value')
    for key in sorted(original, key=str):
        _key(path, 'original.%s' % key, key)
        state['original'][key] = _original_value(path, key, original[key])

    applied = raw.get('applied', [])
    if not isinstance(applied, list):
        raise StateError(path, 'applied', 'state_format', 'must be a list of keys')
    for index, key in enumerate(applied):
        _key(path, 'applied[%d]' % index, key)
        if key in state['applied']:
            raise StateError(path, 'applied[%d]' % index, 'state_format', 'key %s listed twice' % key)
        state['applied'].append(key)

    previous = raw.get('previous_files', {})
    if not isinstance(previous, dict):
        raise StateError(path, 'previous_files', 'state_format', 'must be an object of file name -> text')
    for name in sorted(previous, key=str):
        entry = 'previous_files.%s' % name
        base = _v1_dropin_name(path, entry, name, dropin_dir) if version == 1 else _dropin_name(path, entry, name)
        content = previous[name]
        if not isinstance(content, str):
            raise StateError(path, entry, 'state_format', 'must be the file\'s text')
        if '\x00' in content or len(content.encode('utf-8')) > MAX_PREVIOUS_FILE_BYTES:
            raise StateError(path, entry, 'state_format', 'not a text file of at most %d bytes'
                             % MAX_PREVIOUS_FILE_BYTES)
        state['previous_files'][base] = content
    return state


def check_managed(state, managed, path):
    """Every key the state would restore must be one the collection manages (``managed``)."""
    for where in ('applied', 'original'):
        for key in sorted(state[where]):
            if key not in managed:
                raise StateError(path, '%s.%s' % (where, key), 'unmanaged_key', 'key %s is not managed by '
                                 'netfleet.tuning here (not in its profiles, this run\'s settings or its own '
                                 'drop-in): it is never restored from the state' % key)


def encode(state):
    out = dict((k, state[k]) for k in _FIELDS if k != 'version')
    out['version'] = STATE_VERSION
    out['applied'] = sorted(state['applied'])
    return json.dumps(out, indent=2, sort_keys=True) + '\n'


def _backup_name(name, moment):
    """NAME.YYYYmmddTHHMMSS.ffffff (UTC): fixed width, so names sort in time order."""
    return '%s.%s.%06d' % (name, time.strftime('%Y%m%dT%H%M%S', time.gmtime(moment)), int(moment % 1 * 1e6))


def now():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


class StateStore(object):
    """The state directory of one host: strict modes, one lock, the state file and the backups."""

    def __init__(self, state_dir, dropin_dir, lock_timeout=60, anchor='/'):
        self.dir = state_dir
        self.dropin_dir = dropin_dir
        self.anchor = anchor
        self.lock_timeout = lock_timeout
        self.state_path = os.path.join(state_dir, STATE_FILE)
        self.lock_path = os.path.join(state_dir, LOCK_FILE)
        self.backup_dir = os.path.join(state_dir, BACKUP_DIR)
        self._lock = None

    def check(self):
        """Strict modes on the directory and every parent; True if the directory exists."""
        return hostfs.check_trusted_dir(self.dir, 'state directory', self.anchor)

    def prepare(self):
        """Create the directory (0700, parents 0755) if needed and check it."""
        return hostfs.make_trusted_dir(self.dir, 0o700, 0o755, 'state directory', self.anchor)

    def lock(self):
        """Take the host's lock (creating the directory first); held until release() or exit."""
        self.prepare()
        self._lock = hostfs.Lock(self.lock_path, self.lock_timeout).acquire()
        return self._lock

    def release(self):
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def read_file(self, name, what, limit):
        """The text of the file ``name`` in the directory (strict modes, at most ``limit`` bytes), or None
        when the directory or the file is not there. UnsafePathError / FileOpError otherwise."""
        if not self.check():
            return None
        return hostfs.read_text(os.path.join(self.dir, name), what, strict=True, limit=limit)

    def write_file(self, name, text, what):
        """Replace the file ``name`` in the directory (made and checked first) with ``text``, mode 0600.
        Returns its path."""
        self.prepare()
        path = os.path.join(self.dir, name)
        hostfs.write_atomic(path, text, 0o600, what)
        return path

    def load(self):
        """The checked state, or None when there is none. StateError / UnsafePathError otherwise."""
        text = self.read_file(STATE_FILE, 'state file', MAX_STATE_BYTES)
        if text is None:
            return None
        return decode(text, self.state_path, self.dropin_dir)

    def save(self, state):
        hostfs.write_atomic(self.state_path, encode(state), 0o600, 'state file')

    def delete(self):
        return hostfs.remove(self.state_path, 'state file')

    def backup(self, name, content):
        """Keep ``content`` (a drop-in before we replace or remove it) in backup/; the newest
        KEEP_BACKUPS per name stay. Returns the backup's path."""
        hostfs.make_trusted_dir(self.backup_dir, 0o700, 0o755, 'backup directory', self.anchor)
        # fixed-width stamps down to the microsecond: names sort in the order they were written
        moment = time.time()
        target = os.path.join(self.backup_dir, _backup_name(name, moment))
        while os.path.lexists(target):
            moment += 0.000001
            target = os.path.join(self.backup_dir, _backup_name(name, moment))
        hostfs.write_atomic(target, content, 0o600, 'backup file')
        # only this name's stamped copies count (not, say, NAME.before-first-rollout.STAMP)
        olds = sorted(n for n in os.listdir(self.backup_dir)
                      if n.startswith(name + '.') and n[len(name) + 1:len(name) + 2].isdigit() and not n.endswith('.tmp'))
        for old in olds[:-KEEP_BACKUPS]:
            try:
                hostfs.remove(os.path.join(self.backup_dir, old), 'backup file')
            except (hostfs.UnsafePathError, hostfs.FileOpError):
                pass  # pruning is housekeeping: a link or odd file planted there is left alone
        return target
