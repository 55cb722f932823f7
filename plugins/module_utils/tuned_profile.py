# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which sysctl keys the host's active tuned profile sets, with which value, from which file: a pure reader.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports. Every path is read under ``root`` through
``reader`` (a file's text) and ``lister`` (a directory's names), both replaceable. Nothing here raises
on a broken tree: what could not be read or followed is a note, and ``status`` says how far to trust the
result. It never runs tuned, tuned-adm or anything else, and does not tell whether tuned runs now
(``systemctl is-active tuned`` does): it tells what tuned applies when it loads the profiles named.

API
---
``read_tuned(root='/', reader=read_text, lister=list_names)`` -> dict, or None when no profile is named
(no /etc/tuned/active_profile and no /etc/tuned/post_loaded_profile, or both empty)::

    {'profiles': ['network-throughput'],          # the names tuned loads, in order (post-loaded last)
     'post_loaded': None,                         # the post-loaded profile's name
     'source': '/etc/tuned/active_profile',       # or /etc/tuned/post_loaded_profile if only it names one
     'mode': 'manual' | 'auto' | None,            # /etc/tuned/profile_mode (informational)
     'files': ['/usr/lib/tuned/throughput-performance/tuned.conf', ...],   # loaded, in tuned's order
     'status': 'ok' | 'incomplete' | 'refused',   # see below
     'reapply_sysctl': True | False | None,       # None: tuned-main.conf stops tuned (see notes)
     'reapply_source': '/etc/tuned/tuned-main.conf' or None (the default, 1),
     'reapply_files': ['/run/sysctl.d/99-x.conf', '/etc/sysctl.conf'],  # present ones, in the order tuned
                                                  # re-applies them after its values ([] unless reapply_sysctl)
     'owner': 'tuned profile network-throughput',
     'sysctl': {key: entry},                      # keys in the dotted form
     'notes': ['...']}

    entry = {'value': '4096 87380 16777216' (without its modifier) | None (unknown: never guessed),
             'modifier': '>' | '<' | None,
             'raw': the text in the file, 'profile': 'network-throughput', 'via': None | the active profile
             that included it, 'file': '/usr/lib/tuned/network-throughput/tuned.conf', 'unit': 'sysctl',
             'owner': 'tuned profile network-throughput', 'conditional': False, 'note': None | text,
             'earlier': [entries tuned writes before this one, same shape without 'earlier'],
             'reapplied_by': None | {'file': path, 'value': text}}

``status``: ``ok``; ``incomplete`` (something could not be read or followed: a file too large or
unreadable, an include or a variable that needs a tuned function; keys may be missing or unknown);
``refused`` (tuned 2.20.0 itself would refuse this configuration and apply none of it: an unknown
profile, a missing include, a file it cannot parse, a tuned-main.conf it cannot read). Entries are
listed in all three cases: they say what the files hold.

``owner``: ``tuned profile <name>``, or ``linux-system-roles kernel_settings (tuned profile
kernel_settings)`` for a profile file carrying that role's fingerprint line ``# system_role:kernel_settings``;
several active profiles are joined with `` + ``; an entry's owner adds ``(included by <active>)``.

``effective_value(entry, current_text)`` -> str or None: what is live after tuned applied the entry to a
key whose value it read as ``current_text`` (the /proc/sys text), including the ``earlier`` writes and,
when ``reapplied_by`` is set, the file tuned re-applies after its own values. None: unknown (the entry's
value is unknown, or ``current_text`` is None or several lines: tuned then skips the key).
``tuned_writes(entry, current_text)`` -> str or None: the text tuned writes for this one entry (None:
it writes nothing).

Verified in tuned 2.20.0 (Debian tuned 2.20.0-1, files under usr/lib/python3/dist-packages/tuned/)
------------------------------------------------------------------------------------------------
- Which profiles: daemon/daemon.py ``_init_profile``/``_get_startup_profile`` and utils/commands.py
  ``get_active_profile``/``get_post_loaded_profile``: active_profile is read whole and stripped;
  ``_load_profiles`` splits it on whitespace and appends the post-loaded profile (whitespace in it:
  ``_set_post_loaded_profile`` refuses it); every name must be a known profile
  (``locator.get_known_names``: a directory of a load directory holding tuned.conf), else the whole set
  is refused. So a ``-name`` (conditional) in active_profile is refused in 2.20.0: only includes honour
  the ``-``. profile_mode other than ''/auto/manual: TunedException at start. With profile_mode ``auto``
  (or empty with no profile) tuned starts with the profile recommend.conf picks (not evaluated here)
  and writes it to active_profile (``_thread_code`` ``_save_active_profile``): this reader trusts
  active_profile. profiles/loader.py ``load``: names not matching ``safe_name`` (^[a-zA-Z0-9_.-]+$) are
  dropped silently (after the known-name check).
- Locating: profiles/locator.py ``get_config`` walks consts.LOAD_DIRECTORIES reversed (/etc/tuned, then
  /usr/lib/tuned), takes ``os.path.basename`` of the name, and skips a file already loaded but goes on
  to the next directory: a profile /etc/tuned/X that includes X loads /usr/lib/tuned/X. A profile loaded
  twice, or a loop of includes, is cut there silently. A missing non-conditional include raises
  (the whole set is refused); a missing ``-name`` include is skipped.
  Newer tuned releases keep profiles in /etc/tuned/profiles/<name> and /usr/lib/tuned/profiles/<name>
  (and kernel_settings writes there when /etc/tuned/profiles exists): PROFILE_DIRS looks there first
  in each tree. That layout was NOT checked against a tuned package here; nor is tuned-main.conf's
  ``profile_dirs`` option of those releases (a note says so when it is set).
- Parsing: loader.py ``_load_config_data``: configparser with delimiters '=', inline comments '#',
  strict=False, case-kept option names, values read raw; ``${i:PROFILE_DIR}`` replaced by the file's
  directory. A parse error refuses the set. This module parses with the same stdlib configparser.
- Include: loader.py ``_load_profile``: ``[main] include=`` expanded, split on ``\\s*[,;]\\s*``, loaded depth
  first before the profile itself. merger.py ``_merge_two``: later profiles win; a unit with ``replace``
  true replaces the earlier unit whole; otherwise type, enabled and devices are taken from the later unit
  (their defaults too), the regexes when set, ``drop`` (split on ``[,;]``) removes earlier options, then
  the options are updated. unit.py ``Unit``: ``type`` defaults to the unit's name, ``enabled``/``replace``
  are true only for True/true/1; those keys, devices, *_regex and script_* are not options.
- Units: units/manager.py ``create``: disabled units and those whose ``cpuinfo_regex``/``uname_regex``
  does not match are skipped (this reader marks their keys ``conditional``, never evaluates them);
  ``priority`` (default ``default_instance_priority``) orders the instances, stably; only units of type
  ``sysctl`` reach plugin_sysctl (``[sysctl.x]`` needs ``type=sysctl``; an unknown type is skipped).
  ``devices`` does not matter for sysctl: it supports no devices (base.py ``assign_free_devices``).
- Variables: loader.py ``load`` adds the merged ``[variables]`` unit after the merge
  (profiles/variables.py ``add_from_cfg``; its ``include=`` is a file read with a section-less header);
  variables.py ``expand``: ``${name}`` not preceded by a backslash, then ``${f:...}`` functions. This
  reader expands ``${name}`` from those variables only; a function or an unknown name makes the value
  unknown. A running daemon keeps variables of profiles it loaded before: not modelled.
- Applying: plugins/plugin_sysctl.py ``_instance_apply_static``: per key, ``_read_sysctl`` (the
  /proc/sys text stripped; a missing key or several lines: the key is skipped), then ``unquote``
  (utils/commands.py: one pair of double quotes around the whole value), ``expand``, then base.py
  ``_process_assignment_modifiers``: '>'/'<' with ``int(val) > int(current)`` (or '<'): the value
  without the sign is written only when it compares true, else nothing; a ValueError (a triplet such as
  tcp_rmem, on either side) writes the raw value WITH its sign, which the kernel refuses (measured
  on Linux 6.18 in a scratch network namespace: EINVAL for somaxconn and tcp_rmem, ENOENT for
  tcp_congestion_control; the value stays). ``_get_sysctl_path`` turns '.' into '/', so '/'-separated
  keys are the same key; ``_write_sysctl`` refuses keys ending in base_reachable_time or retrans_time.
- Re-applying: ``_instance_apply_static`` then, when tuned-main.conf's ``reapply_sysctl`` is true
  (utils/global_config.py: configparser ``getboolean`` under a dummy section header, so 1/yes/true/on
  and 0/no/false/off, any case; default True, consts.CFG_DEF_REAPPLY_SYSCTL; a value getboolean refuses,
  or a line it cannot parse, raises at start and tuned does not run; a missing file too, /usr/sbin/tuned
  builds GlobalConfig outside its try), calls ``_apply_system_sysctl``: the ``*.conf`` files of
  /run/sysctl.d then /etc/sysctl.d (a name in /run masks it in /etc), sorted by name, then
  /etc/sysctl.conf; NOT /usr/lib/sysctl.d. ``_apply_sysctl_config_line`` writes each ``key = value`` as
  it stands: a ``-key`` or a glob names no /proc/sys file, so such lines are not re-applied. With 1, a
  key set in those files ends with the file's value; with 0, tuned's value stays live.
- Rolling back: ``_instance_unapply_static`` writes back every value ``_instance_apply_static`` read
  before writing, when tuned stops as a daemon or switches profiles (daemon.py ``_thread_code``), even
  where something else changed the key since: a value our drop-in applied live can be undone then.

kernel_settings (linux-system-roles/kernel_settings @ dc3a4ed, tasks/main.yml, vars/main.yml,
templates/kernel_settings.j2): writes the tuned profile ``kernel_settings`` to
``<parent>/kernel_settings/tuned.conf`` where parent is the last of tuned-main.conf's ``profile_dirs``
if it exists, else /etc/tuned/profiles if it exists, else /etc/tuned; appends ``kernel_settings`` to
active_profile (space-separated, after the profiles already there) and sets profile_mode to manual.
Its file starts with ``{{ ansible_managed | comment }}`` and the fingerprint line
``# system_role:kernel_settings`` (since 1.1.13, 2023), then ``[main]`` ``summary = kernel settings`` and
``[sysctl]`` ``key = value`` lines sorted by key.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import configparser
import errno
import os
import posixpath
import re
import stat

from ansible_collections.netfleet.tuning.plugins.module_utils.dropin import rooted
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import value_text

__all__ = [
    'ACTIVE_PROFILE', 'POST_LOADED_PROFILE', 'PROFILE_MODE', 'MAIN_CONF', 'PROFILE_DIRS', 'REAPPLY_DIRS',
    'SYSCTL_CONF', 'KERNEL_SETTINGS_MARKER', 'MAX_FILE_BYTES', 'MAX_PROFILE_FILES', 'MAX_SYSCTL_FILES',
    'read_text', 'list_names', 'read_tuned', 'tuned_writes', 'effective_value',
]

ACTIVE_PROFILE = '/etc/tuned/active_profile'
POST_LOADED_PROFILE = '/etc/tuned/post_loaded_profile'
PROFILE_MODE = '/etc/tuned/profile_mode'
MAIN_CONF = '/etc/tuned/tuned-main.conf'
PROFILE_FILE = 'tuned.conf'
# Searched in this order for <dir>/<name>/tuned.conf. 2.20.0: /etc/tuned before /usr/lib/tuned. The
# profiles/ directories are the layout of newer tuned releases, not checked against a package here.
PROFILE_DIRS = ('/etc/tuned/profiles', '/etc/tuned', '/usr/lib/tuned/profiles', '/usr/lib/tuned')
# What plugin_sysctl re-applies after its own values when reapply_sysctl is true (a name in an earlier
# directory masks it in later ones), then SYSCTL_CONF.
REAPPLY_DIRS = ('/run/sysctl.d', '/etc/sysctl.d')
SYSCTL_CONF = '/etc/sysctl.conf'
KERNEL_SETTINGS_MARKER = 'system_role:kernel_settings'
KERNEL_SETTINGS_OWNER = 'linux-system-roles kernel_settings'

# Input caps: tuned's own profiles are a few KiB; a larger file is not read (a note, status incomplete).
MAX_FILE_BYTES = 256 * 1024
MAX_NAME_BYTES = 4096               # active_profile, post_loaded_profile, profile_mode
MAX_PROFILE_FILES = 64              # tuned.conf files followed through includes
MAX_SYSCTL_FILES = 512              # sysctl.d files read for reapply
MAX_VALUE_CHARS = 4096

_SAFE_NAME = re.compile(r'^[a-zA-Z0-9_.-]+$')           # loader.py safe_name, as tuned writes it
_VAR_NAME = re.compile(r'\w+$')                          # variables.py _check_var (re.match)
# A sysctl key after '/' -> '.': parts of letters, digits, '_', '-' and the characters interface names
# may add ('+', '@', ':'); at least two parts. No glob, no space, no '=', no control character.
_KEY = re.compile(r'\A[A-Za-z0-9_][A-Za-z0-9_+@:-]*(\.[A-Za-z0-9_+@:-]+)+\Z')
_CONTROL = re.compile(r'[\x00-\x08\x0a-\x1f\x7f]')
_CONTROL_NOT_SPACE = re.compile(r'[\x00-\x08\x0e-\x1f\x7f]')
_PROFILE_DIR_VAR = re.compile(r'(?<!\\)\$\{i:PROFILE_DIR\}')
_VARIABLE = re.compile(r'(?<!\\)\$\{(\w+)\}')
_ESCAPED_VARIABLE = re.compile(r'\\(\$\{\w+\})')
_DEPRECATED = ('base_reachable_time', 'retrans_time')  # plugin_sysctl DEPRECATED_SYSCTL_OPTIONS
# unit.py: keys that configure the unit, not options (popped in this order)
_UNIT_KEYS = ('type', 'enabled', 'replace', 'drop', 'devices', 'devices_udev_regex', 'cpuinfo_regex',
              'uname_regex', 'script_pre', 'script_post')
_TRUE = ('True', 'true', '1')                            # unit.py: enabled/replace are true only for these
# tuned-main.conf options that GlobalConfig.load_config converts (consts.CFG_FUNC_*, 2.20.0): a value
# the conversion refuses stops tuned at start.
_MAIN_BOOLEANS = ('daemon', 'dynamic_tuning', 'recommend_command', 'reapply_sysctl', 'enable_dbus',
                  'enable_unix_socket')
_MAIN_INTEGERS = ('sleep_interval', 'update_interval', 'default_instance_priority', 'log_file_count',
                  'connections_backlog')
_MAGIC_HEADER = 'this_is_some_magic_section_header_because_of_compatibility'
_UNKNOWN = object()                                      # a variable whose value cannot be known here


class _TooLarge(ValueError):
    pass


def read_text(path, limit=MAX_FILE_BYTES):
    """The text of the regular file at ``path`` (links followed, as tuned follows them), or None when there
    is no regular file there (missing, a directory, a FIFO, a device: tuned's ``os.path.isfile`` is false).

    Raises OSError when it cannot be read and ValueError when it is larger than ``limit`` bytes or not UTF-8.
    Opened non-blocking, so a FIFO never hangs the read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, 'O_CLOEXEC', 0))
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise _TooLarge('larger than %d bytes' % limit)
    data = b''.join(chunks)
    if b'\x00' in data:
        raise ValueError('not text (a NUL byte)')
    return data.decode('utf-8')


def list_names(path):
    """The names in the directory ``path``, or None when there is no directory there."""
    try:
        return os.listdir(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise


class _Host(object):
    """The reads of one read_tuned call: paths under root, notes, and the worst status met."""

    def __init__(self, root, reader, lister):
        self.root = root
        self.reader = reader
        self.lister = lister
        self.notes = []
        self.status = 'ok'
        self.texts = {}      # host path -> text or None: each file is read once
        self.failed = set()  # host paths that exist but could not be read (a note says why)

    def note(self, text, status=None):
        if text not in self.notes:
            self.notes.append(text)
        if status == 'refused' or (status == 'incomplete' and self.status == 'ok'):
            self.status = status

    def read(self, path, what, limit=MAX_FILE_BYTES):
        """The text at the host path ``path``, or None (missing, or in ``failed`` with a note saying why)."""
        if path in self.texts:
            return self.texts[path]
        text = None
        try:
            text = self.reader(rooted(self.root, path), limit)
        except _TooLarge as exc:
            self.failed.add(path)
            self.note('%s %s not read: %s' % (what, path, exc), 'incomplete')
        except (OSError, ValueError) as exc:
            self.failed.add(path)
            self.note('%s %s cannot be read: %s' % (what, path, getattr(exc, 'strerror', None) or exc), 'incomplete')
        if text is not None and not isinstance(text, str):
            self.failed.add(path)
            self.note('%s %s: the reader returned no text' % (what, path), 'incomplete')
            text = None
        self.texts[path] = text
        return text

    def listdir(self, path):
        try:
            return self.lister(rooted(self.root, path))
        except (OSError, ValueError) as exc:
            self.note('directory %s cannot be listed: %s' % (path, getattr(exc, 'strerror', None) or exc), 'incomplete')
            return None


# ---- the files that name the profiles and configure tuned -------------------------------------------

def _small_file(host, path, what):
    """A small file's stripped text ('' when missing), or None when it cannot be read or holds control
    characters other than white space."""
    text = host.read(path, what, limit=MAX_NAME_BYTES)
    if text is None:
        return None if path in host.failed else ''
    text = text.strip()
    if _CONTROL_NOT_SPACE.search(text):
        host.note('%s %s holds control characters: not used' % (what, path), 'incomplete')
        return None
    return text


def _read_names(host):
    """(names to load, post-loaded name, source, mode), or None when nothing is named."""
    active = _small_file(host, ACTIVE_PROFILE, 'active profile file')
    post = _small_file(host, POST_LOADED_PROFILE, 'post-loaded profile file')
    mode = _small_file(host, PROFILE_MODE, 'profile mode file')
    if active == '' and post == '':
        return None
    if mode not in ('', 'auto', 'manual', None):
        host.note('%s holds %r: tuned 2.20.0 refuses to start (neither auto nor manual)' % (PROFILE_MODE, mode[:80]),
                  'refused')
    if mode == 'auto' and active:
        host.note('profile_mode is auto: at start tuned applies the profile recommend.conf picks and writes it to '
                  '%s; this reader trusts that file' % ACTIVE_PROFILE)
    names = (active or '').split()
    if post and len(post.split()) > 1:
        host.note('%s names several profiles (%s): tuned 2.20.0 refuses it' % (POST_LOADED_PROFILE, post[:200]), 'refused')
        post = None
    if post:
        names.append(post)
    return names, post or None, ACTIVE_PROFILE if active else POST_LOADED_PROFILE, mode or None


def _read_main_conf(host):
    """(reapply_sysctl True/False/None, its source or None, default instance priority)."""
    text = host.read(MAIN_CONF, 'tuned main configuration')
    if text is None:
        if MAIN_CONF not in host.failed:
            host.note('%s is missing: tuned 2.20.0 does not start without it (GlobalConfig)' % MAIN_CONF, 'refused')
        return True, None, 0
    parser = _parse(host, text, MAIN_CONF, 'tuned does not start', 'refused', headerless=True)
    if parser is None:
        return None, MAIN_CONF, 0
    options = parser.options(_MAGIC_HEADER) if parser.has_section(_MAGIC_HEADER) else []
    results = {}
    for name in options:
        if name not in _MAIN_BOOLEANS + _MAIN_INTEGERS:
            continue
        try:
            if name in _MAIN_BOOLEANS:
                results[name] = parser.getboolean(_MAGIC_HEADER, name)
            else:
                results[name] = parser.getint(_MAGIC_HEADER, name)
        except (ValueError, configparser.Error) as exc:
            host.note('%s: %s = %r is refused by tuned (%s): it does not start' % (
                MAIN_CONF, name, _one_line(parser.get(_MAGIC_HEADER, name, raw=True))[:80], _one_line(exc)), 'refused')
            results[name] = None
    if results.get('daemon') is False:
        host.note('%s: daemon = 0: tuned applies the profile and exits without rolling it back' % MAIN_CONF)
    if 'profile_dirs' in options:
        host.note('%s sets profile_dirs (a newer tuned): this reader searches %s only' % (MAIN_CONF, ', '.join(PROFILE_DIRS)))
    priority = results.get('default_instance_priority') or 0
    if 'reapply_sysctl' in results:
        return results['reapply_sysctl'], MAIN_CONF, priority
    return True, None, priority


def _parse(host, text, path, consequence, status, headerless=False, allow_no_value=False):
    """``text`` parsed as tuned parses its files (configparser: '=' only, inline '#' comments, strict=False,
    option names kept as written; ``headerless``: under tuned's dummy section header), or None after a note
    saying what tuned does then."""
    parser = configparser.ConfigParser(delimiters=('=',), inline_comment_prefixes=('#',), strict=False,
                                       allow_no_value=allow_no_value)
    parser.optionxform = str
    try:
        parser.read_string('[%s]\n%s' % (_MAGIC_HEADER, text) if headerless else text, path)
    except configparser.Error as exc:
        host.note('%s cannot be parsed (%s): %s' % (path, _one_line(exc)[:200], consequence), status)
        return None
    return parser


def _one_line(value):
    return ' '.join(str(value).split())


# ---- profiles: locate, parse, include, merge ---------------------------------------------------------

def _locate(host, name, loaded):
    """Where tuned finds profile ``name``: a host path, '' (skip: already loaded, or a missing '-name'), or
    None (not found)."""
    conditional = name.startswith('-')
    if conditional:
        name = name[1:]
    skipped = False
    for directory in PROFILE_DIRS:
        path = posixpath.normpath(posixpath.join(directory, name, PROFILE_FILE))
        if path in loaded:
            skipped = True
            continue
        if host.read(path, 'tuned profile') is not None or path in host.failed:
            return path     # a file this reader cannot read is still one tuned finds (a note says so)
    if skipped or conditional:
        return ''
    return None


def _parse_profile(host, path, text):
    """tuned's config dict of one tuned.conf: {section: {option: raw value}}, or None (refused)."""
    parser = _parse(host, text, path, 'tuned refuses the profile set', 'refused')
    if parser is None:
        return None
    directory = posixpath.dirname(path)
    config = {}
    for section in parser.sections():
        config[section] = dict(
            (option, _PROFILE_DIR_VAR.sub(lambda match: directory, parser.get(section, option, raw=True)))
            for option in parser.options(section))
    return config


def _is_kernel_settings(text):
    """True if the comment lines before the first section carry kernel_settings' fingerprint line."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('['):
            break
        if line.startswith('#') and line.lstrip('#').strip() == KERNEL_SETTINGS_MARKER:
            return True
    return False


def _make_unit(name, options, profile):
    options = dict(options)
    unit = {'name': name}
    for key in _UNIT_KEYS:
        unit[key] = options.pop(key, None)
    unit['type'] = unit['type'] if unit['type'] is not None else name
    unit['enabled'] = unit['enabled'] is None or unit['enabled'] in _TRUE
    unit['replace'] = unit['replace'] is not None and unit['replace'] in _TRUE
    if unit['drop'] is not None:
        unit['drop'] = re.split(r'\b\s*[,;]\s*', unit['drop'])
    # every option remembers the profile whose file set it
    unit['options'] = dict((key, (value, profile)) for key, value in options.items())
    return unit


def _load(host, names, top, loaded, profiles):
    """loader.py _load_profile: each name's includes depth first, then the profile itself."""
    for name in names:
        display = name[1:] if name.startswith('-') else name
        if not display or display in ('.', '..') or '\x00' in display or len(display) > 255:
            host.note('include of %r in a profile of %s is not a profile name: not followed' % (name[:80], top),
                      'refused' if not name.startswith('-') else 'incomplete')
            continue
        if len(loaded) >= MAX_PROFILE_FILES:
            host.note('more than %d profile files: the rest not read' % MAX_PROFILE_FILES, 'incomplete')
            return
        lookup = posixpath.basename(name) if not name.startswith('-') else '-' + posixpath.basename(display)
        path = _locate(host, lookup, loaded)
        if path == '':
            continue
        if path is None:
            host.note('tuned profile %r is not found in %s: tuned refuses the profile set' % (
                display, ', '.join(PROFILE_DIRS)), 'refused')
            continue
        loaded.append(path)
        text = host.read(path, 'tuned profile')
        config = _parse_profile(host, path, text) if text is not None else None
        if config is None:
            continue
        profile = {'name': posixpath.basename(display), 'file': path, 'via': None if top is None else top,
                   'kernel_settings': _is_kernel_settings(text)}
        main = config.pop('main', {})
        include = main.get('include')
        if include is not None:
            # expanded with the daemon's variables of earlier loads, none at a first start
            expanded = _expand(include, {})
            if expanded is None:
                host.note('%s: include=%s needs a tuned function or variable: not followed' % (path, include[:200]),
                          'incomplete')
            else:
                _load(host, re.split(r'\s*[,;]\s*', expanded), top if top is not None else profile['name'],
                      loaded, profiles)
        profile['units'] = [_make_unit(section, options, profile) for section, options in config.items()]
        profiles.append(profile)


def _merge(profiles):
    """merger.py _merge_two over the loaded profiles, in order: {unit name: unit}."""
    units = {}
    for profile in profiles:
        for new in profile['units']:
            old = units.get(new['name'])
            if new['replace'] or old is None:
                units[new['name']] = dict(new, options=dict(new['options']))
                continue
            old['type'] = new['type']
            old['enabled'] = new['enabled']
            old['devices'] = new['devices']
            for key in ('devices_udev_regex', 'cpuinfo_regex', 'uname_regex', 'script_pre', 'script_post'):
                if new[key] is not None:
                    old[key] = new[key]
            for option in new['drop'] or ():
                old['options'].pop(option, None)
            old['options'].update(new['options'])
    return units


# ---- variables and values ----------------------------------------------------------------------------

def _expand(text, variables):
    """variables.py expand, for ``${name}`` only: the text, or None when something stays unexpanded."""
    unknown = []

    def substitute(match):
        value = variables.get(match.group(1))
        if value is None or value is _UNKNOWN:
            unknown.append(match.group(1))
            return match.group(0)
        return value

    expanded = _VARIABLE.sub(substitute, text)
    if unknown:
        return None
    expanded = _ESCAPED_VARIABLE.sub(r'\1', expanded)
    if '${' in expanded:
        return None
    return expanded


def _read_variables(host, unit):
    """variables.py add_from_cfg over the merged [variables] unit: {name: value or _UNKNOWN}."""
    variables = {}
    if unit is None:
        return variables
    for name, (value, profile) in unit['options'].items():
        if name == 'include':
            _read_variables_file(host, posixpath.normpath(value), profile, variables)
        else:
            _add_variable(host, name, value, profile['file'], variables)
    return variables


def _add_variable(host, name, value, where, variables):
    if value is None:
        return
    if not _VAR_NAME.match(name):
        host.note('%s: variable name %r is not allowed: tuned ignores it' % (where, name[:80]))
        return
    expanded = _expand(value, variables)
    variables[name] = _UNKNOWN if expanded is None else expanded


def _read_variables_file(host, path, profile, variables):
    if not path.startswith('/'):
        host.note('%s: variables include=%s is not an absolute path: not read' % (profile['file'], path[:200]), 'incomplete')
        return
    text = host.read(path, 'tuned variables file')
    if text is None:
        if path not in host.failed:
            host.note('%s: variables file %s is missing: tuned ignores it' % (profile['file'], path))
        return
    parser = _parse(host, text, path, 'tuned ignores it', None, headerless=True, allow_no_value=True)
    if parser is None:
        return
    for section in parser.sections():
        for name in parser.options(section):
            _add_variable(host, name, parser.get(section, name, raw=True), path, variables)


def _owner(profile):
    if profile['kernel_settings']:
        return '%s (tuned profile %s)' % (KERNEL_SETTINGS_OWNER, profile['name'])
    return 'tuned profile %s' % profile['name']


def _entry(host, unit, raw, profile, variables):
    """One sysctl assignment as the result reports it."""
    entry = {'value': None, 'modifier': None, 'raw': raw, 'profile': profile['name'], 'via': profile['via'],
             'file': profile['file'], 'unit': unit['name'], 'owner': _owner(profile), 'conditional': False,
             'note': None}
    if profile['via']:
        entry['owner'] += ' (included by %s)' % profile['via']
    notes = []
    conditions = []
    if unit['uname_regex'] is not None:
        conditions.append('uname matches %r' % _expand_or_raw(unit['uname_regex'], variables))
    if unit['cpuinfo_regex'] is not None:
        conditions.append('/proc/cpuinfo matches %r' % _expand_or_raw(unit['cpuinfo_regex'], variables))
    if conditions:
        entry['conditional'] = True
        notes.append('applies only where %s (not evaluated)' % ' and '.join(conditions))
    text = re.sub(r'^"(.*)"$', r'\1', raw)          # commands.py unquote
    expanded = _expand(text, variables)
    if expanded is None:
        notes.append('value %r needs a tuned function or variable this reader cannot expand: unknown' % raw[:200])
    elif len(expanded) > MAX_VALUE_CHARS or _CONTROL.search(expanded):
        notes.append('value is longer than %d characters or holds control characters: not reported' % MAX_VALUE_CHARS)
        host.note('%s [%s]: a value not reported (too long or control characters)' % (profile['file'], unit['name']),
                  'incomplete')
    else:
        if len(expanded) > 1 and expanded[0] in '<>':
            entry['modifier'] = expanded[0]
            expanded = expanded[1:]
            notes.append('only %s: tuned writes it where the live value is %s' % (
                'raises' if entry['modifier'] == '>' else 'lowers',
                'lower' if entry['modifier'] == '>' else 'higher'))
        entry['value'] = value_text(expanded)
    entry['note'] = '; '.join(notes) or None
    return entry


def _expand_or_raw(text, variables):
    expanded = _expand(text, variables)
    return expanded if expanded is not None else text


def _sysctl_entries(host, units, variables, default_priority):
    """units/manager.py create + plugin_sysctl: {dotted key: entry}, in the order tuned writes them."""
    instances = []
    for unit in units.values():
        sysctl_like = unit['type'] == 'sysctl' or unit['name'].split('.')[0] == 'sysctl'
        if not unit['enabled']:
            if sysctl_like and unit['options']:
                host.note('unit [%s] is disabled (enabled is not true): tuned skips it' % unit['name'])
            continue
        priority = unit['options'].get('priority', (default_priority, None))[0]
        try:
            priority = int(priority)
        except (TypeError, ValueError):
            conditional = unit['uname_regex'] is not None or unit['cpuinfo_regex'] is not None
            host.note('unit [%s]: priority %r is no integer: tuned fails to create its units%s' % (
                unit['name'], str(priority)[:80], ' where the unit applies' if conditional else ''),
                'incomplete' if conditional else 'refused')
            priority = 0
        if unit['type'] != 'sysctl':
            if sysctl_like:
                host.note('unit [%s] has type %r, not sysctl: tuned does not apply it as sysctl' % (
                    unit['name'], unit['type'][:80]))
            continue
        instances.append((priority, len(instances), unit))
    instances.sort(key=lambda item: (item[0], item[1]))
    entries = {}
    for dummy_priority, dummy_index, unit in instances:
        for option, (raw, profile) in unit['options'].items():
            if option == 'priority':
                continue
            key = option.replace('/', '.')
            if not _KEY.match(key):
                host.note('%s [%s]: %r does not look like a sysctl key: not reported' % (
                    profile['file'], unit['name'], option[:120]), 'incomplete')
                continue
            if key.rsplit('.', 1)[-1] in _DEPRECATED:
                host.note('%s [%s]: tuned refuses to set the deprecated %s' % (profile['file'], unit['name'], key))
                continue
            entry = _entry(host, unit, raw, profile, variables)
            previous = entries.get(key)
            earlier = []
            if previous is not None:
                earlier = previous.pop('earlier') + [previous]
            entry['earlier'] = earlier
            entry['reapplied_by'] = None
            entries[key] = entry
    return entries


# ---- what tuned re-applies after its own values --------------------------------------------------------

def _reapply(host):
    """plugin_sysctl _apply_system_sysctl: (files in order, {dotted key: (file, value)} of the last setter)."""
    names = {}
    for directory in REAPPLY_DIRS:
        listing = host.listdir(directory)
        for name in sorted(listing or ()):
            if name.endswith('.conf') and name not in names:
                names[name] = directory
    files = [posixpath.join(names[name], name) for name in sorted(names)]
    if len(files) > MAX_SYSCTL_FILES:
        host.note('more than %d sysctl.d files: the rest not read' % MAX_SYSCTL_FILES, 'incomplete')
        files = files[:MAX_SYSCTL_FILES]
    files.append(SYSCTL_CONF)
    setters = {}
    present = []
    for path in files:
        text = host.read(path, 'sysctl file')
        if text is None:
            continue
        present.append(path)
        for line in text.splitlines():
            line = line.strip()
            if not line or line[0] in '#;' or '=' not in line:
                continue
            option, value = line.split('=', 1)
            key = option.strip().replace('/', '.')
            # a '-key' or a glob names no /proc/sys file: tuned's write fails, nothing is re-applied;
            # an empty value writes nothing
            if _KEY.match(key) and value.strip() and not _CONTROL.search(value):
                setters[key] = (path, value_text(value))
    return present, setters


# ---- the public functions -------------------------------------------------------------------------------

def read_tuned(root='/', reader=read_text, lister=list_names):
    """The host's tuned configuration as the module docstring shows it, or None when no profile is named.

    ``reader(path, limit)``: the text of the file at ``path`` (a path under ``root``), None when there is no
    regular file; raises OSError or ValueError when it cannot be read. ``lister(path)``: the names in a
    directory, None when there is none. Never raises: problems are notes.
    """
    host = _Host(root, reader, lister)
    named = _read_names(host)
    if named is None:
        return None
    names, post, source, mode = named
    reapply, reapply_source, default_priority = _read_main_conf(host)
    wanted = []
    for name in names:
        if name.startswith('-'):
            host.note('%s: %r: tuned 2.20.0 accepts a conditional "-" name only in include=, and refuses '
                      'the profile set' % (source, name[:80]), 'refused')
        elif '/' in name or name in ('.', '..') or len(name) > 255:
            host.note('%s: %r is no profile name: tuned refuses the profile set' % (source, name[:80]), 'refused')
        elif _locate(host, name, []) is None:
            host.note('%s names %r, which is not found in %s: tuned refuses the profile set' % (
                source, name, ', '.join(PROFILE_DIRS)), 'refused')
        elif not _SAFE_NAME.match(name):
            host.note('%s: %r is not a safe profile name: tuned ignores it' % (source, name[:80]))
        else:
            wanted.append(name)
    loaded = []
    profiles = []
    for name in wanted:
        _load(host, [name], None, loaded, profiles)
    units = _merge(profiles)
    variables = _read_variables(host, units.pop('variables', None))
    entries = _sysctl_entries(host, units, variables, default_priority)
    reapply_files = []
    if reapply:
        reapply_files, setters = _reapply(host)
        for key, entry in entries.items():
            if key in setters:
                entry['reapplied_by'] = {'file': setters[key][0], 'value': setters[key][1]}
    owners = []
    for profile in profiles:
        if profile['via'] is None and _owner(profile) not in owners:
            owners.append(_owner(profile))
    return {
        'profiles': wanted, 'post_loaded': post, 'source': source, 'mode': mode,
        'files': [profile['file'] for profile in profiles], 'status': host.status,
        'reapply_sysctl': reapply, 'reapply_source': reapply_source, 'reapply_files': reapply_files,
        'owner': ' + '.join(owners) or None, 'sysctl': entries, 'notes': host.notes,
    }


def _current(current_text):
    """plugin_sysctl _read_sysctl: the stripped text, None when there is none or it has several lines."""
    if current_text is None:
        return None
    text = current_text.strip()
    if '\n' in text:
        return None
    return text


def tuned_writes(entry, current_text):
    """The text plugin_sysctl writes for ``entry`` when the key reads ``current_text``; None: nothing.

    A modifier compares int(value) with int(current) (base.py _process_assignment_modifiers): the value
    without its sign is written when the comparison holds, nothing when it does not; when either side is no
    integer (a triplet such as tcp_rmem) the value is written WITH its sign, which the kernel refuses.
    """
    current = _current(current_text)
    if current is None or entry.get('value') is None:
        return None
    new = (entry.get('modifier') or '') + entry['value']
    if len(new) <= 1:
        return new
    operator, value = new[0], new[1:]
    try:
        if operator == '>':
            return value if int(value) > int(current) else None
        if operator == '<':
            return value if int(value) < int(current) else None
    except ValueError:
        return new
    return new


def effective_value(entry, current_text):
    """The value live after tuned applied ``entry`` (its ``earlier`` writes first) to a key reading
    ``current_text``, as value_text shows it; when ``reapplied_by`` is set, that file's value (tuned
    re-applies it after its own). None: unknown (an unknown value, or a key tuned cannot read).

    A written text that starts with '<' or '>' or is empty leaves the value as it was (the kernel refuses
    the first, measured; writing nothing changes nothing).
    """
    if entry.get('reapplied_by'):
        return entry['reapplied_by']['value']
    live = _current(current_text)
    if live is None:
        return None
    for step in list(entry.get('earlier') or ()) + [entry]:
        if step.get('value') is None:
            return None
        written = tuned_writes(step, live)
        if written and written[0] not in '<>':
            live = written
    return value_text(live)
