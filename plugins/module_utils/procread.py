# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a host's counters once: the /proc files and ``ss``, shared by netstat_facts and netfleet_window.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Standard library, Python 3.8+, no Ansible imports. The parsing is in procnet and sockets; this
module opens the files (relative to ``proc_path``) and turns them into one snapshot::

    {'counters': {group: {name: int}}, 'sockstat': dict or None, 'softnet': dict or None,
     'metrics': {metric name: int}, 'boot_id': str or None, 'netns': str or None,
     'monotonic': float, 'collected_at': 'YYYY-MM-DDTHH:MM:SS.mmmZ'}

``run_ss`` takes the module (anything with ``get_bin_path`` and ``run_command``) so that the
command runs through Ansible's own runner, as a list argv with the locale pinned. Its output is input:
more than MAX_SS_BYTES, or text sockets.parse_ss refuses (a process name can hold any character), is
not reported (a warning), never a failure of the whole read.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import errno
import os
import time

from ansible_collections.netfleet.tuning.plugins.module_utils import procnet
from ansible_collections.netfleet.tuning.plugins.module_utils import sockets
from ansible_collections.netfleet.tuning.plugins.module_utils import sysctl_scope
from ansible_collections.netfleet.tuning.plugins.module_utils import tcp_memory

__all__ = ['ProcReadError', 'READ_ERRORS', 'COUNTER_FILES', 'SS_ARGS', 'SS_ENV', 'read_file', 'read_snapshot',
           'run_ss', 'rmem_limits', 'socket_buffers', 'read_tcp_memory', 'iso_now', 'os_error_message',
           'MAX_SS_BYTES']

# The counter files, relative to proc_path; a missing one only warns.
COUNTER_FILES = ('net/netstat', 'net/snmp', 'net/snmp6')
# -p: the owning process (name, pid) of each socket, shown to root only; -i: wscale, bytes_received
SS_ARGS = ('-tmipn', 'state', 'established')
# ss prints about 1 KB per socket: the output of more than ~50,000 established sockets is not parsed
MAX_SS_BYTES = 64 * 1024 * 1024
SS_ENV = {'LC_ALL': 'C', 'LANG': 'C', 'LANGUAGE': 'C'}


class ProcReadError(Exception):
    """A file that exists but cannot be read, or a counter read twice: report with fail_json."""


# What a read can raise with a message fit for fail_json as it is (no traceback).
READ_ERRORS = (procnet.ProcParseError, ProcReadError, sysctl_scope.SysctlKeyError)


def os_error_message(exc):
    """An OSError that escaped the readers, as ``<file>: <reason>``."""
    return '%s: %s' % (getattr(exc, 'filename', None) or 'I/O error', exc.strerror or exc)


def read_file(proc_path, relative):
    """The file's text, or None when it does not exist."""
    path = os.path.join(proc_path, relative)
    try:
        with open(path, 'r') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise ProcReadError('cannot read %s: %s' % (path, exc.strerror or exc))


def _merge(target, groups, source):
    for group, names in groups.items():
        bucket = target.setdefault(group, {})
        for name, value in names.items():
            if name in bucket:
                raise ProcReadError('%s: counter %s.%s already read from another file' % (source, group, name))
            bucket[name] = value


def iso_now():
    """Now as ISO-8601 UTC with milliseconds: ``2026-01-15T10:00:00.123Z``."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (now.microsecond // 1000)


def read_snapshot(proc_path, page_size, warnings, monotonic=None):
    """Read every /proc file once and parse it. Missing files add a warning to ``warnings``.

    ``monotonic``: the clock to stamp the read with (default ``time.monotonic``; tests pass their own).
    """
    def path(relative):
        return os.path.join(proc_path, relative)

    stamp = (monotonic or time.monotonic)()
    counters = {}
    for relative in COUNTER_FILES:
        text = read_file(proc_path, relative)
        if text is None:
            warnings.append('%s is missing: its counters are not reported' % path(relative))
            continue
        if relative == 'net/snmp6':
            parsed = procnet.parse_snmp6(text, path(relative))
        else:
            parsed = procnet.parse_pairs(text, path(relative))
        _merge(counters, parsed, path(relative))

    sockstat = None
    text = read_file(proc_path, 'net/sockstat')
    if text is None:
        warnings.append('%s is missing' % path('net/sockstat'))
    else:
        sockstat = procnet.parse_sockstat(text, path('net/sockstat'), page_size)

    softnet = None
    text = read_file(proc_path, 'net/softnet_stat')
    if text is None:
        warnings.append('%s is missing' % path('net/softnet_stat'))
    else:
        softnet = procnet.parse_softnet(text, path('net/softnet_stat'))

    boot_id = read_file(proc_path, 'sys/kernel/random/boot_id')
    if boot_id is None:
        warnings.append('%s is missing: rates cannot be validated' % path('sys/kernel/random/boot_id'))
    else:
        boot_id = boot_id.strip() or None

    try:
        # "net:[4026531840]": the network namespace these counters belong to (a recreated namespace,
        # e.g. a restarted pod, keeps the boot_id but gets a new identity and counters from 0)
        netns = os.readlink(os.path.join(proc_path, 'self', 'ns', 'net'))
    except OSError:
        netns = None

    return {
        'counters': counters,
        'sockstat': sockstat,
        'softnet': softnet,
        'metrics': procnet.metrics(counters, softnet),
        'boot_id': boot_id,
        'netns': netns,
        'monotonic': stamp,
        'collected_at': iso_now(),
    }


def run_ss(module, warnings):
    """Parsed ``ss -tmipn state established`` (sockets.parse_ss), or None (with a warning)."""
    ss = module.get_bin_path('ss')
    if not ss:
        warnings.append('socket_buffers: ss (iproute2) is not installed, socket buffers not reported')
        return None
    argv = [ss] + list(SS_ARGS)
    rc, out, err = module.run_command(argv, environ_update=dict(SS_ENV))
    if rc != 0:
        warnings.append('socket_buffers: %s exited %d: %s' % (' '.join(argv), rc, (err or out).strip()[:500]))
        return None
    if len(out) > MAX_SS_BYTES:
        warnings.append('socket_buffers: %s printed more than %d bytes, socket buffers not reported'
                        % (' '.join(argv), MAX_SS_BYTES))
        return None
    try:
        return sockets.parse_ss(out, source=' '.join(argv))
    except sockets.ProcParseError as exc:
        warnings.append('socket_buffers: %s, socket buffers not reported' % exc)
        return None


def _live(key, proc_path, sysctl):
    known = (sysctl or {}).get(key)
    return known['value'] if known else sysctl_scope.read_value(key, proc_path)


def rmem_limits(proc_path, sysctl=None):
    """``(tcp_rmem default, tcp_rmem max, net.core.rmem_max)`` from ``sysctl`` (read_sysctls) when it has
    the keys, else read live; each None when it cannot be read."""
    triplet = sockets.rmem_triplet(_live('net.ipv4.tcp_rmem', proc_path, sysctl))
    try:
        rmem_max = _live('net.core.rmem_max', proc_path, sysctl)
    except (IOError, OSError):
        rmem_max = None
    rmem_max = int(rmem_max) if isinstance(rmem_max, str) and rmem_max.isdigit() else None
    return (triplet[1], triplet[2], rmem_max) if triplet else (None, None, rmem_max)


def socket_buffers(module, proc_path, warnings, sysctl=None, earlier=None, seconds=None, earlier_queues=None):
    """Run ss and apply the pinned receive buffer rule (sockets.summarize, with ``earlier`` the sockets of
    a read ``seconds`` before: the rule needs two, and ``earlier_queues`` that read's sockets.read_queues):
    the summary, or None with a warning."""
    found = run_ss(module, warnings)
    if found is None:
        return None
    default, maximum, rmem_max = rmem_limits(proc_path, sysctl)
    if default is None:
        warnings.append('socket_buffers: net.ipv4.tcp_rmem cannot be read, socket buffers not reported')
        return None
    return sockets.summarize(found, default, earlier=earlier, tcp_rmem_max=maximum, rmem_max=rmem_max,
                             seconds=seconds, earlier_queues=earlier_queues)


def read_tcp_memory(proc_path, sockstat, page_size, sysctl=None):
    """The ``tcp_memory`` fact (tcp_memory.summarize) from a snapshot's ``sockstat`` and net.ipv4.tcp_mem,
    taken from ``sysctl`` (read_sysctls) when it has the key, else read live with its scope."""
    entry = (sysctl or {}).get(tcp_memory.KEY)
    if entry is None:
        entry = sysctl_scope.read_sysctls([tcp_memory.KEY], proc_path)[tcp_memory.KEY]
    return tcp_memory.summarize(sockstat, entry, page_size)
