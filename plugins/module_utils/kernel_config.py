# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The running kernel's build configuration and modules: which qdiscs it offers.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library (gzip), Python 3.8+, no Ansible imports. ``parse_config`` and ``qdisc_offer`` are pure;
``read_config`` and ``read_modules`` read the host (paths injectable, as sysctl_scope's ``proc_path``):

``read_config(proc_path, release, root)``
    the kernel's config: ``<proc>/config.gz`` (CONFIG_IKCONFIG_PROC), else ``/boot/config-<release>`` (Debian,
    RHEL, SUSE install it there) -> ``{'source', 'options', 'tried'}`` (``options`` None when none is readable).
``read_modules(release, root)``
    the qdisc modules installed for the kernel (``sch_*.ko*`` under ``/lib/modules/<release>``).
``qdisc_offer(name, config)``
    whether the kernel offers a qdisc, from those two: ``(status, detail)``.

A qdisc ``<name>`` is built from ``CONFIG_NET_SCH_<NAME>`` (``=y`` built in, ``=m`` the module ``sch_<name>``, which
the kernel loads itself when default_qdisc names it); pfifo_fast is part of the scheduler core (sch_generic.c) and
always there.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import gzip
import io
import os
import re

__all__ = ['MAX_CONFIG_BYTES', 'config_option', 'module_name', 'parse_config', 'decode', 'read_config',
           'read_modules', 'qdisc_offer', 'OFFERED']

# A kernel config is a few hundred KB (about 10,000 lines); anything far larger is not one.
MAX_CONFIG_BYTES = 8 * 1024 * 1024
BUILT_IN = ('pfifo_fast',)
_SET_RE = re.compile(r'\A(CONFIG_[A-Za-z0-9_]+)=(.*)\Z')
_UNSET_RE = re.compile(r'\A# (CONFIG_[A-Za-z0-9_]+) is not set\Z')
_MODULE_RE = re.compile(r'\A(sch_[a-z0-9_]+)\.ko(\.(xz|zst|gz))?\Z')
# qdisc_offer's statuses of a qdisc the kernel offers (no_module and not_built: it does not; unknown: no config)
OFFERED = ('built_in', 'module', 'module_unchecked')


def config_option(name):
    """'fq_codel' -> 'CONFIG_NET_SCH_FQ_CODEL' (None for a qdisc that is always built in)."""
    return None if name in BUILT_IN else 'CONFIG_NET_SCH_' + name.upper()


def module_name(name):
    """'fq_codel' -> 'sch_fq_codel'."""
    return 'sch_' + name


def parse_config(text):
    """A kernel config's text -> ``{option: value}``: ``y``, ``m``, ``n`` (``# CONFIG_X is not set``) or the value
    as written (strings keep their quotes). Other lines (comments, blanks) are ignored."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        match = _SET_RE.match(line)
        if match:
            out[match.group(1)] = match.group(2)
            continue
        match = _UNSET_RE.match(line)
        if match:
            out[match.group(1)] = 'n'
    return out


def decode(data, gzipped):
    """The text of a config file's bytes (gunzipped when ``gzipped``), at most MAX_CONFIG_BYTES; ValueError for a
    file that is not one (bad gzip, too large, not text)."""
    if gzipped:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
                data = handle.read(MAX_CONFIG_BYTES + 1)
        except (IOError, OSError, EOFError) as exc:
            raise ValueError('not a gzip file: %s' % exc)
    if len(data) > MAX_CONFIG_BYTES:
        raise ValueError('larger than %d bytes' % MAX_CONFIG_BYTES)
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        raise ValueError('not UTF-8 text')


def _rooted(root, path):
    return path if not root or root == '/' else os.path.join(root, path.lstrip('/'))


def read_config(proc_path='/proc', release=None, root='/'):
    """The running kernel's config -> ``{'source': the file read or None, 'options': parse_config's result or None,
    'tried': [what was tried, each with why it was not used]}``."""
    candidates = [(os.path.join(proc_path, 'config.gz'), True)]
    if release:
        candidates.append((_rooted(root, '/boot/config-%s' % release), False))
    tried = []
    for path, gzipped in candidates:
        try:
            with open(path, 'rb') as handle:
                data = handle.read(MAX_CONFIG_BYTES + 1)
            text = decode(data, gzipped)
        except (IOError, OSError) as exc:
            tried.append('%s (%s)' % (path, exc.strerror or exc))
            continue
        except ValueError as exc:
            tried.append('%s (%s)' % (path, exc))
            continue
        return {'source': path, 'options': parse_config(text), 'tried': tried}
    return {'source': None, 'options': None, 'tried': tried}


def read_modules(release, root='/'):
    """The qdisc modules installed for ``release`` -> ``{'dir': /lib/modules/<release>, 'present': whether that
    directory exists, 'modules': sorted module names (``sch_fq``...)}``."""
    top = _rooted(root, '/lib/modules/%s' % release)
    out = {'dir': top, 'present': os.path.isdir(top), 'modules': []}
    if not out['present']:
        return out
    found = set()
    for dummy_dir, dummy_subdirs, files in os.walk(top):
        for file_name in files:
            match = _MODULE_RE.match(file_name)
            if match:
                found.add(match.group(1))
    out['modules'] = sorted(found)
    return out


def qdisc_offer(name, config, modules=None):
    """Whether this kernel offers the qdisc ``name`` -> ``(status, detail)``.

    ``config``: read_config's result (or None: nothing read); ``modules``: read_modules' (or None: not looked).
    ``status``: ``built_in`` (pfifo_fast, or ``=y``), ``module`` (``=m`` and its module file is there),
    ``module_unchecked`` (``=m`` and no /lib/modules/<release> to look in), ``no_module`` (``=m`` but no module file
    in /lib/modules/<release>),
    ``not_built`` (``is not set``, or the option is missing from the config) or ``unknown`` (no config). ``detail``
    says where that came from, for messages.
    """
    option = config_option(name)
    if option is None:
        return 'built_in', '%s is part of the kernel\'s packet scheduler core' % name
    options = (config or {}).get('options')
    if options is None:
        tried = '; '.join((config or {}).get('tried') or []) or 'nothing'
        return 'unknown', 'no kernel config could be read (tried %s)' % tried
    source = config['source']
    value = options.get(option)
    if value == 'y':
        return 'built_in', '%s=y in %s' % (option, source)
    if value == 'm':
        if not modules or not modules.get('present'):
            where = modules['dir'] if modules else '/lib/modules/<release>'
            return 'module_unchecked', '%s=m in %s (a module; %s is not there to check it is installed)' % (
                option, source, where)
        if module_name(name) in modules['modules']:
            return 'module', '%s=m in %s, module %s in %s' % (option, source, module_name(name), modules['dir'])
        return 'no_module', '%s=m in %s, but no %s.ko* under %s' % (option, source, module_name(name), modules['dir'])
    if value is None:
        return 'not_built', '%s is not in %s' % (option, source)
    if value == 'n':
        return 'not_built', '# %s is not set in %s' % (option, source)
    return 'not_built', '%s=%s in %s' % (option, value, source)
