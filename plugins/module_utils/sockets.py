# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse ``ss -tmin state established`` and find receive buffers pinned small.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure: text in, data out (the facts module runs ss).  Python 3.8+, stdlib only.

The rule (see docs/reference.md, "socket_buffers"): a socket is *pinned below
the default* when its receive buffer ``rb`` (``skmem:(...,rbN,...)``, the
kernel's ``sk_rcvbuf``) is smaller than the ``net.ipv4.tcp_rmem`` default (the
middle value).  A TCP socket starts at exactly that default and receive
autotuning only ever raises it (up to the tcp_rmem maximum), so a smaller value
means the application set SO_RCVBUF itself (the kernel then doubles the request
and turns autotuning off for that socket), or the socket predates a raise of
the default and has not grown since.  Sysctl tuning does not help the first
kind: only the application can.  Limits: a socket an application pinned at or
above the default is not counted; a socket created before the default was
raised is counted until it grows.  With two reads (``earlier``), sockets below
the default with the same ``rb`` in both are counted as ``pinned_stable``,
which separates "pinned" from "not grown yet".
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.netfleet.tuning.plugins.module_utils.procnet import ProcParseError

__all__ = ['parse_ss', 'split_endpoint', 'rmem_default', 'summarize', 'ProcParseError', 'RULE']

RULE = ('rb (sk_rcvbuf from ss -m) below the net.ipv4.tcp_rmem default: set by the application '
        '(SO_RCVBUF, autotuning off) or not grown since the default was raised')

_INT = re.compile(r'\A[0-9]+\Z')
_SKMEM = re.compile(r'\bskmem:\(([^)]*)\)')
_SKMEM_FIELD = re.compile(r'\A([a-z_]+)([0-9]+)\Z')
_RCV_SPACE = re.compile(r'\brcv_space:([0-9]+)\b')


def split_endpoint(endpoint):
    """``'198.18.0.2:8080'`` -> ``('198.18.0.2', '8080')``; ``'[::1]:22'`` -> ``('::1', '22')``.

    Older ss prints IPv6 without brackets (``'::1:22'``): the port is after the
    last colon.  A ``%iface`` scope suffix stays on the host part.
    """
    host, sep, port = endpoint.rpartition(':')
    if not sep:
        return endpoint, ''
    if host.startswith('[') and host.endswith(']'):
        host = host[1:-1]
    return host, port


def _layout(header_tokens):
    """Index of the Local column from the header tokens."""
    for index, token in enumerate(header_tokens):
        if token == 'Local':
            return index
    return None


def parse_ss(text, source='ss'):
    """Parse ``ss -tmin [state established]`` output (LC_ALL=C).

    -> list of ``{'local': 'ip:port', 'peer': 'ip:port', 'state': str or None,
    'recv_q': int, 'send_q': int, 'skmem': {'r': .., 'rb': .., 't': .., 'tb': ..,
    'f': .., 'w': .., 'o': .., 'bl': .., 'd': ..}, 'rcv_space': int or None}``.

    The header line says where the Local column is (``State`` comes first
    when no state filter is given).  Info lines (indented) belong to the socket
    above them.  Raises ProcParseError (source and line) on anything else.
    """
    if not isinstance(text, str):
        raise ProcParseError(source, 0, 'expected text, got %s' % type(text).__name__)
    sockets = []
    local_col = None
    for lineno, line in enumerate(text.split('\n'), 1):
        if not line.strip():
            continue
        tokens = line.split()
        if local_col is None and tokens[0] in ('Recv-Q', 'State', 'Netid'):
            local_col = _layout(tokens)
            if local_col is None or local_col < 2:
                raise ProcParseError(source, lineno, 'header without "Local Address:Port"')
            continue
        if line[0] in ' \t':
            if not sockets:
                raise ProcParseError(source, lineno, 'info line before any socket line')
            _info(sockets[-1], line, source, lineno)
            continue
        if local_col is None:
            local_col = 2       # "ss -H": Recv-Q Send-Q Local Peer
        if len(tokens) < local_col + 2:
            raise ProcParseError(source, lineno, 'expected %d columns, got %d' % (local_col + 2, len(tokens)))
        queues = tokens[local_col - 2:local_col]
        for token in queues:
            if not _INT.match(token):
                raise ProcParseError(source, lineno, 'queue size %r is not an integer' % token[:40])
        entry = {
            'local': tokens[local_col],
            'peer': tokens[local_col + 1],
            'state': tokens[local_col - 3] if local_col >= 3 else None,
            'recv_q': int(queues[0]),
            'send_q': int(queues[1]),
            'skmem': {},
            'rcv_space': None,
        }
        sockets.append(entry)
        rest = ' '.join(tokens[local_col + 2:])
        if rest:
            _info(entry, rest, source, lineno)
    return sockets


def _info(entry, line, source, lineno):
    match = _SKMEM.search(line)
    if match:
        for field in match.group(1).split(','):
            if not field:
                continue
            found = _SKMEM_FIELD.match(field)
            if not found:
                raise ProcParseError(source, lineno, 'bad skmem field %r' % field[:40])
            entry['skmem'][found.group(1)] = int(found.group(2))
    space = _RCV_SPACE.search(line)
    if space:
        entry['rcv_space'] = int(space.group(1))


def rmem_default(tcp_rmem):
    """The default (middle) value of a ``net.ipv4.tcp_rmem`` string, or None."""
    if not isinstance(tcp_rmem, str):
        return None
    parts = tcp_rmem.split()
    if len(parts) != 3 or not all(_INT.match(part) for part in parts):
        return None
    return int(parts[1])


def _group_key(entry):
    """(local, peer) with the likely ephemeral port (the higher one) as ``*``."""
    local_host, local_port = split_endpoint(entry['local'])
    peer_host, peer_port = split_endpoint(entry['peer'])
    if local_port.isdigit() and peer_port.isdigit():
        if int(local_port) < int(peer_port):
            peer_port = '*'
        else:
            local_port = '*'
    return ('%s:%s' % (local_host, local_port), '%s:%s' % (peer_host, peer_port))


def summarize(sockets, default, top=10, earlier=None):
    """Count sockets whose ``rb`` is below ``default`` (the tcp_rmem default).

    -> ``{'rule': RULE, 'tcp_rmem_default': default, 'established': n,
    'with_rb': n, 'pinned_below_default': n, 'pinned_drops': n,
    'offenders': [{'local': .., 'peer': .., 'sockets': n, 'rb_min': .., 'rb_max': ..,
    'drops': n}, ...]}`` plus ``'pinned_stable'`` when ``earlier`` (a previous
    parse_ss result) is given.  Offenders are grouped by local and peer
    address with the ephemeral side's port shown as ``*``, most sockets first,
    at most ``top``.  ``drops`` is the sum of skmem ``d`` (sk_drops).
    """
    pinned = [s for s in sockets if 'rb' in s['skmem'] and s['skmem']['rb'] < default]
    groups = {}
    for entry in pinned:
        key = _group_key(entry)
        group = groups.setdefault(key, {'local': key[0], 'peer': key[1], 'sockets': 0,
                                        'rb_min': None, 'rb_max': None, 'drops': 0})
        rb = entry['skmem']['rb']
        group['sockets'] += 1
        group['rb_min'] = rb if group['rb_min'] is None else min(group['rb_min'], rb)
        group['rb_max'] = rb if group['rb_max'] is None else max(group['rb_max'], rb)
        group['drops'] += entry['skmem'].get('d', 0)
    offenders = sorted(groups.values(), key=lambda g: (-g['sockets'], -g['drops'], g['local'], g['peer']))
    result = {
        'rule': RULE,
        'tcp_rmem_default': default,
        'established': len(sockets),
        'with_rb': sum(1 for s in sockets if 'rb' in s['skmem']),
        'pinned_below_default': len(pinned),
        'pinned_drops': sum(s['skmem'].get('d', 0) for s in pinned),
        'offenders': offenders[:max(0, top)],
    }
    if earlier is not None:
        before = {}
        for entry in earlier:
            if 'rb' in entry['skmem']:
                before[(entry['local'], entry['peer'])] = entry['skmem']['rb']
        result['pinned_stable'] = sum(
            1 for s in pinned if before.get((s['local'], s['peer'])) == s['skmem']['rb'])
    return result
