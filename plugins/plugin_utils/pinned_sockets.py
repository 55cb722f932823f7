# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sentence that names the sockets whose receive buffer an application pinned (controller-only).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, no Ansible imports. ``sentence()`` reads a window's ``socket_buffers`` (the pinned
receive buffer rule of module_utils/sockets.py, applied on the host) and says, per owning process, how
many sockets pin SO_RCVBUF, with which buffer and between which endpoints, and what to do: no sysctl
helps them. verdict.judge puts it first among a not_improved host's reasons, and as a note on a host
that passes. The values come from a host: they are data, checked here for type before use.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

__all__ = ['sentence', 'pinned_count', 'ADVICE', 'MAX_PROCESSES', 'MAX_ENDPOINTS']

ADVICE = "no sysctl helps them; raise or remove the application's setRecvBufferSize/SO_RCVBUF"
# At most this many processes, and endpoints per process, are named in the sentence (report.json has all
# the host reported).
MAX_PROCESSES = 3
MAX_ENDPOINTS = 2


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _text(value):
    return value if isinstance(value, str) and value else None


def pinned_count(socket_buffers):
    """How many sockets the rule named (``socket_buffers['pinned']``), None when the rule did not run
    (one read, or a record from before the rule)."""
    if not isinstance(socket_buffers, dict):
        return None
    return _int(socket_buffers.get('pinned'))


def _processes(groups):
    """The groups merged per owning process, most sockets first: ``[{'name', 'pid', 'sockets', 'rb',
    'wscales', 'cases', 'endpoints'}]``."""
    merged = {}
    order = []
    for group in groups:
        if not isinstance(group, dict) or not _int(group.get('sockets')):
            continue
        key = (_text(group.get('process')), _int(group.get('pid')))
        entry = merged.get(key)
        if entry is None:
            entry = merged[key] = {'name': key[0], 'pid': key[1], 'sockets': 0, 'rb': set(), 'wscales': set(),
                                   'cases': set(), 'endpoints': []}
            order.append(key)
        entry['sockets'] += group['sockets']
        for name in ('rb_min', 'rb_max'):
            if _int(group.get(name)) is not None:
                entry['rb'].add(group[name])
        if _int(group.get('rcv_wscale')) is not None:
            entry['wscales'].add(group['rcv_wscale'])
        if group.get('case') in ('locked_at_connect', 'below_default'):
            entry['cases'].add(group['case'])
        local, peer = _text(group.get('local')), _text(group.get('peer'))
        if local and peer:
            entry['endpoints'].append('%s -> %s' % (local, peer))
    return sorted((merged[key] for key in order), key=lambda e: -e['sockets'])


def _span(values):
    values = sorted(values)
    if not values:
        return '?'
    return str(values[0]) if values[0] == values[-1] else '%s-%s' % (values[0], values[-1])


def _owner(entry):
    if entry['name'] is None:
        return 'of a process ss did not name (ss -p shows owners to root only)'
    if entry['pid'] is None:
        return 'of process %s' % entry['name']
    return 'of process %s (pid %d)' % (entry['name'], entry['pid'])


def _why(entry, socket_buffers):
    parts = ['rb %s' % _span(entry['rb'])]
    unlocked = _int(socket_buffers.get('unlocked_wscale'))
    if 'locked_at_connect' in entry['cases'] and entry['wscales']:
        text = 'receive window scale %s' % _span(entry['wscales'])
        if unlocked is not None:
            text += ' where an unlocked socket gets %d' % unlocked
        parts.append(text)
    if 'below_default' in entry['cases'] and _int(socket_buffers.get('tcp_rmem_default')) is not None:
        parts.append('below the tcp_rmem default %d' % socket_buffers['tcp_rmem_default'])
    endpoints = entry['endpoints'][:MAX_ENDPOINTS]
    if endpoints:
        more = len(entry['endpoints']) - len(endpoints)
        parts.append(', '.join(endpoints) + (' and %d more' % more if more > 0 else ''))
    return '; '.join(parts)


def sentence(socket_buffers):
    """The sentence naming the pinned sockets of a window's ``socket_buffers``, or None when the rule
    named none (or did not run).

    ``'8 sockets of process python3 (pid 4121) pin SO_RCVBUF (rb 131072; receive window scale 1 where an
    unlocked socket gets 9; 198.18.57.11:* -> 198.18.57.2:8080): no sysctl helps them; raise or remove the
    application's setRecvBufferSize/SO_RCVBUF'``
    """
    total = pinned_count(socket_buffers)
    if not total:
        return None
    groups = socket_buffers.get('pinned_groups')
    processes = _processes(groups if isinstance(groups, list) else [])
    shown = processes[:MAX_PROCESSES]
    if len(shown) == 1 and shown[0]['sockets'] == total:
        entry = shown[0]
        return '%d socket%s %s pin%s SO_RCVBUF (%s): %s' % (
            total, 's' if total != 1 else '', _owner(entry), '' if total != 1 else 's',
            _why(entry, socket_buffers), ADVICE)
    named = ', '.join('%d %s (%s)' % (entry['sockets'], _owner(entry), _why(entry, socket_buffers))
                      for entry in shown)
    rest = total - sum(entry['sockets'] for entry in shown)
    if rest > 0:
        named += (', ' if named else '') + '%d more not listed here' % rest
    return '%d established socket%s pin SO_RCVBUF: %s: %s' % (total, 's' if total != 1 else '', named, ADVICE)
