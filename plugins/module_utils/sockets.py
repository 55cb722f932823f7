# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse ``ss -tmipn state established`` and find receive buffers an application pinned (SO_RCVBUF).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure: text in, data out (procread runs ss).  Python 3.8+, stdlib only.

The rule (docs/reference.md, "socket_buffers", has the reasoning, the kernel code it rests on and the
lab calibration).  An application that sets SO_RCVBUF locks the socket's receive buffer
(``SOCK_RCVBUF_LOCK``): ``rb`` (``sk_rcvbuf``) is twice the request and receive autotuning never
changes it, so no sysctl helps that socket.  ``rb`` alone does not show the lock (an autotuned busy
socket also keeps one ``rb`` for many seconds), nor does ``rb`` against ``rcv_space``.  The receive
window scale does: the kernel picks it once, at connect (tcp_select_initial_window), as
``ilog2(space) - 15`` clamped to 0..14, where ``space`` is the largest buffer the socket may ever get:
``max(tcp_rmem[2], net.core.rmem_max)`` for an unlocked socket, but only the window of its own locked
buffer (``tcp_full_space``, ``rb`` times the initial scaling ratio, 1/2, or 65/256 on kernels 6.6 to
6.11) for a socket locked before connect (or accepted from a locked listener).

A socket is *pinned* when, between two reads of the same socket (local and peer address):

1. it was busy: it received at least ``max(BUSY_MIN_RATE, rb / BUSY_BUFFER_SECONDS)`` bytes per second
   between the reads (``bytes_received``; a rate, so that a longer window does not turn a light socket
   into a busy one): an idle or lightly used socket, which its buffer does not hold back, is never counted;
2. ``rb`` is the same at both reads and below the ``tcp_rmem`` maximum (what autotuning could give);
3. and either
   a. ``locked_at_connect``: its receive window scale is lower than an unlocked socket's
      (``unlocked_wscale``, from the live sysctls) and equal to what its own ``rb`` gives when
      locked (``locked_wscales``), with ``rb`` at most ``2 * net.core.rmem_max`` (the most SO_RCVBUF
      can set); a connection opened before the sysctls were raised has the old, larger window
      scale of an unlocked socket, not the small one of its buffer, so it is never counted; or
   b. ``below_default``: ``rb`` is below the ``tcp_rmem`` default and the window scale is not lower
      than an unlocked socket's (the socket was opened under today's sysctls, so it started at the
      default at least and autotuning only raises it: SO_RCVBUF set after connect).

``pinned_below_default`` (one read: sockets whose ``rb`` is below the default) is kept as a plain
observation; it also counts sockets opened before the default was raised.

The queues (``read_queues``, ``window_queues``): over the established TCP sockets of each read, the
largest and the 99th percentile (nearest rank: the value at rank ceil(0.99 n) of the n values sorted
ascending) of Recv-Q (bytes received that the application has not read) and Send-Q (bytes sent and not
yet acknowledged), and how many sockets were at their receive buffer limit: skmem ``r``
(``sk_rmem_alloc``, what the receive and out-of-order queues hold) at least AT_RCVBUF_LIMIT_PCT % of
``rb`` (``sk_rcvbuf``): the next burst that does not fit in what is left makes the kernel prune the
socket's queue (``tcp_prune_queue``: PruneCalled, then collapsing, then dropping). Over a window of two
reads the counts add up (a socket seen at both reads counts twice), the maxima are the larger one, and
the p99 is the larger of the two reads' p99: never below the p99 of both reads' values pooled, and the
same when one read holds it; so the first read travels as these few numbers.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.netfleet.tuning.plugins.module_utils.procnet import ProcParseError

__all__ = ['parse_ss', 'split_endpoint', 'rmem_default', 'rmem_triplet', 'unlocked_wscale', 'locked_wscales',
           'static_case', 'pinned_case', 'busy', 'received_between', 'summarize', 'ProcParseError', 'RULE',
           'BUSY_MIN_RATE', 'BUSY_BUFFER_SECONDS', 'CASES', 'MAX_SOCKETS', 'MAX_PROCESS_NAME',
           'nearest_rank', 'at_rcvbuf_limit', 'read_queues', 'window_queues', 'QUEUE_FIELDS', 'QUEUE_PEAKS',
           'AT_RCVBUF_LIMIT_PCT', 'QUEUE_PERCENTILE']

# A socket counts as busy when, between the two reads, it received at least BUSY_MIN_RATE bytes per second
# and at least its whole receive buffer every BUSY_BUFFER_SECONDS seconds (a socket that turns its buffer
# over more slowly than that is not held back by it).
BUSY_MIN_RATE = 256 * 1024
BUSY_BUFFER_SECONDS = 4
CASES = ('locked_at_connect', 'below_default')
# Bounds on what is parsed (the output is input): at most this many sockets, names this long.
MAX_SOCKETS = 200000
MAX_PROCESS_NAME = 64
MAX_INT = 2 ** 64
TCP_MAX_WSCALE = 14
# The kernel's initial len/truesize scaling ratio, in 1/256 (tcp_win_from_space at connect): 128 since the
# "50% default" (and before 6.6 with the default tcp_adv_win_scale 1), 65 on 6.6 to 6.11 without it.
INITIAL_SCALING_RATIOS = (128, 65)
# The queues: a socket is at its receive buffer limit when skmem r >= this percentage of rb.
AT_RCVBUF_LIMIT_PCT = 90
QUEUE_PERCENTILE = 99
# the queue statistics of one read or a window: the counts, then the peaks (None when no socket was counted)
QUEUE_COUNTS = ('reads', 'sockets', 'at_rcvbuf_limit')
QUEUE_PEAKS = ('recv_q_max', 'recv_q_p99', 'send_q_max', 'send_q_p99')
QUEUE_FIELDS = ('reads', 'sockets', 'recv_q_max', 'recv_q_p99', 'send_q_max', 'send_q_p99', 'at_rcvbuf_limit')

RULE = ('pinned = busy between two reads (bytes_received grew by at least max(%d, rb / %d) per second), the same rb '
        'at both '
        'reads, rb below the tcp_rmem maximum, and either locked_at_connect (receive window scale lower than an '
        'unlocked socket gets from max(tcp_rmem max, rmem_max), equal to ilog2(rb x initial scaling ratio) - 15 and '
        'rb at most 2 x rmem_max: SO_RCVBUF set before connect) or below_default (rb below the tcp_rmem default on a '
        'socket opened under the current sysctls: SO_RCVBUF set after connect); pinned_below_default is a one-read '
        'count of rb below the tcp_rmem default' % (BUSY_MIN_RATE, BUSY_BUFFER_SECONDS))

_INT = re.compile(r'\A[0-9]+\Z')
_SKMEM = re.compile(r'\bskmem:\(([^)]*)\)')
_SKMEM_FIELD = re.compile(r'\A([a-z_]+)([0-9]+)\Z')
_RCV_SPACE = re.compile(r'\brcv_space:([0-9]+)\b')
_WSCALE = re.compile(r'\bwscale:([0-9]+),([0-9]+)(?![0-9])')
_BYTES_RECEIVED = re.compile(r'\bbytes_received:([0-9]+)\b')
_USERS = re.compile(r'\busers:\(')
# one process of users:(("name",pid=N,fd=M),...): the name is anything up to the '",pid=' that ends it
_USER = re.compile(r'\("(.{1,%d}?)",pid=([0-9]{1,10}),fd=[0-9]{1,10}\)' % MAX_PROCESS_NAME)
_PRINTABLE = re.compile(r'\A[^\x00-\x1f\x7f]+\Z')


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


def _number(text, what, source, lineno):
    value = int(text)
    if value >= MAX_INT:
        raise ProcParseError(source, lineno, '%s %s is out of range' % (what, text[:40]))
    return value


def parse_ss(text, source='ss', max_sockets=MAX_SOCKETS):
    """Parse ``ss -tmi[p]n [state established]`` output (LC_ALL=C).

    -> list of ``{'local': 'ip:port', 'peer': 'ip:port', 'state': str or None,
    'recv_q': int, 'send_q': int, 'skmem': {'r': .., 'rb': .., 't': .., 'tb': ..,
    'f': .., 'w': .., 'o': .., 'bl': .., 'd': ..}, 'rcv_space': int or None,
    'snd_wscale': int or None, 'rcv_wscale': int or None, 'bytes_received': int or None,
    'processes': [{'name': str, 'pid': int}]}`` (``processes`` from ``-p``, empty when ss shows none).

    The header line says where the Local column is (``State`` comes first
    when no state filter is given).  Info lines (indented) belong to the socket
    above them.  Raises ProcParseError (source and line) on anything else, and
    when there are more than ``max_sockets`` sockets.  A process name that is
    not printable text (or longer than MAX_PROCESS_NAME) is left out.
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
        if len(sockets) >= max_sockets:
            raise ProcParseError(source, lineno, 'more than %d sockets' % max_sockets)
        entry = {
            'local': tokens[local_col],
            'peer': tokens[local_col + 1],
            'state': tokens[local_col - 3] if local_col >= 3 else None,
            'recv_q': _number(queues[0], 'Recv-Q', source, lineno),
            'send_q': _number(queues[1], 'Send-Q', source, lineno),
            'skmem': {},
            'rcv_space': None,
            'snd_wscale': None,
            'rcv_wscale': None,
            'bytes_received': None,
            'processes': [],
        }
        sockets.append(entry)
        rest = ' '.join(tokens[local_col + 2:])
        if rest:
            _info(entry, rest, source, lineno)
    return sockets


def _processes(line, pos):
    """The processes of ``users:((...),(...))`` from ``pos`` (just after ``users:(``), one after the other;
    a name that is not printable text is left out."""
    found = []
    while True:
        match = _USER.match(line, pos)
        if not match:
            return found
        name = match.group(1)
        if _PRINTABLE.match(name):
            found.append({'name': name, 'pid': int(match.group(2))})
        pos = match.end()
        if line[pos:pos + 1] != ',':
            return found
        pos += 1


def _info(entry, line, source, lineno):
    match = _SKMEM.search(line)
    if match:
        for field in match.group(1).split(','):
            if not field:
                continue
            found = _SKMEM_FIELD.match(field)
            if not found:
                raise ProcParseError(source, lineno, 'bad skmem field %r' % field[:40])
            entry['skmem'][found.group(1)] = _number(found.group(2), 'skmem ' + found.group(1), source, lineno)
    space = _RCV_SPACE.search(line)
    if space:
        entry['rcv_space'] = _number(space.group(1), 'rcv_space', source, lineno)
    scale = _WSCALE.search(line)
    if scale:
        snd, rcv = int(scale.group(1)), int(scale.group(2))
        if snd > TCP_MAX_WSCALE or rcv > TCP_MAX_WSCALE:
            raise ProcParseError(source, lineno, 'window scale %s,%s is above %d' % (snd, rcv, TCP_MAX_WSCALE))
        entry['snd_wscale'], entry['rcv_wscale'] = snd, rcv
    received = _BYTES_RECEIVED.search(line)
    if received:
        entry['bytes_received'] = _number(received.group(1), 'bytes_received', source, lineno)
    users = _USERS.search(line)
    if users:
        entry['processes'] = _processes(line, users.end())


def rmem_triplet(tcp_rmem):
    """``'4096 131072 6291456'`` (a ``net.ipv4.tcp_rmem`` value) -> ``(4096, 131072, 6291456)``, or None."""
    if not isinstance(tcp_rmem, str):
        return None
    parts = tcp_rmem.split()
    if len(parts) != 3 or not all(_INT.match(part) for part in parts):
        return None
    return tuple(int(part) for part in parts)


def rmem_default(tcp_rmem):
    """The default (middle) value of a ``net.ipv4.tcp_rmem`` string, or None."""
    triplet = rmem_triplet(tcp_rmem)
    return triplet[1] if triplet else None


def _ilog2(value):
    return value.bit_length() - 1


def unlocked_wscale(tcp_rmem_max, rmem_max):
    """The receive window scale a socket without SO_RCVBUF gets when it connects now:
    ``clamp(ilog2(max(tcp_rmem max, net.core.rmem_max)) - 15, 0, 14)``; None when neither is known."""
    known = [value for value in (tcp_rmem_max, rmem_max) if isinstance(value, int) and value > 0]
    if not known:
        return None
    return max(0, min(TCP_MAX_WSCALE, _ilog2(max(known)) - 15))


def locked_wscales(rb):
    """The receive window scales a socket whose buffer ``rb`` was locked before connect can have:
    ``clamp(ilog2(rb * ratio / 256) - 15, 0, 14)`` for each INITIAL_SCALING_RATIOS."""
    found = set()
    for ratio in INITIAL_SCALING_RATIOS:
        space = (rb * ratio) >> 8
        found.add(max(0, min(TCP_MAX_WSCALE, _ilog2(space) - 15)) if space > 0 else 0)
    return found


def static_case(entry, default, tcp_rmem_max, rmem_max=None):
    """What one read of a socket says: the case of the rule it would be pinned by (CASES) if it also
    proves busy and keeps its ``rb``, or None.  ``default`` and ``tcp_rmem_max``: the live tcp_rmem
    default and maximum; ``rmem_max``: net.core.rmem_max (None when unknown)."""
    rb = entry['skmem'].get('rb')
    if rb is None or not isinstance(tcp_rmem_max, int) or rb >= tcp_rmem_max:
        return None
    wscale = entry.get('rcv_wscale')
    unlocked = unlocked_wscale(tcp_rmem_max, rmem_max)
    older = wscale is not None and unlocked is not None and wscale < unlocked
    if older and wscale in locked_wscales(rb) and (rmem_max is None or rb <= 2 * rmem_max):
        return 'locked_at_connect'
    if isinstance(default, int) and rb < default and not older:
        return 'below_default'
    return None


def received_between(entry, before):
    """Bytes the socket received between two reads (None when the earlier read is not the same connection)."""
    if before is None:
        return None
    delta = (entry.get('bytes_received') or 0) - (before.get('bytes_received') or 0)
    return delta if delta >= 0 else None


def busy(received, rb, seconds):
    """Whether ``received`` bytes in ``seconds`` make a socket with buffer ``rb`` busy (see BUSY_MIN_RATE)."""
    if received is None or not seconds or seconds <= 0:
        return False
    return received >= seconds * max(BUSY_MIN_RATE, rb / float(BUSY_BUFFER_SECONDS))


def pinned_case(entry, before, default, tcp_rmem_max, rmem_max=None, seconds=None):
    """The case of the rule (CASES) by which the socket ``entry`` is pinned, given ``before``, the same
    socket (local and peer address) at the earlier read ``seconds`` before (None: not seen then), or None."""
    if before is None:
        return None
    rb = entry['skmem'].get('rb')
    if rb is None or (before.get('skmem') or {}).get('rb') != rb:
        return None
    if not busy(received_between(entry, before), rb, seconds):
        return None
    return static_case(entry, default, tcp_rmem_max, rmem_max)


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


def _offenders(below, top):
    groups = {}
    for entry in below:
        key = _group_key(entry)
        group = groups.setdefault(key, {'local': key[0], 'peer': key[1], 'sockets': 0,
                                        'rb_min': None, 'rb_max': None, 'drops': 0})
        rb = entry['skmem']['rb']
        group['sockets'] += 1
        group['rb_min'] = rb if group['rb_min'] is None else min(group['rb_min'], rb)
        group['rb_max'] = rb if group['rb_max'] is None else max(group['rb_max'], rb)
        group['drops'] += entry['skmem'].get('d', 0)
    offenders = sorted(groups.values(), key=lambda g: (-g['sockets'], -g['drops'], g['local'], g['peer']))
    return offenders[:max(0, top)]


def _pinned_groups(pinned, top):
    """Pinned sockets grouped by owning process (first one ss names), local and peer address and case."""
    groups = {}
    for entry, case, received in pinned:
        owner = entry['processes'][0] if entry['processes'] else {'name': None, 'pid': None}
        local, peer = _group_key(entry)
        key = (owner['name'] or '', owner['pid'] or 0, local, peer, case)
        group = groups.get(key)
        rb = entry['skmem']['rb']
        if group is None:
            group = groups[key] = {'process': owner['name'], 'pid': owner['pid'], 'local': local, 'peer': peer,
                                   'case': case, 'sockets': 0, 'rb_min': rb, 'rb_max': rb,
                                   'rcv_wscale': entry.get('rcv_wscale'), 'received_bytes': 0, 'drops': 0}
        group['sockets'] += 1
        group['rb_min'] = min(group['rb_min'], rb)
        group['rb_max'] = max(group['rb_max'], rb)
        if entry.get('rcv_wscale') is not None and (group['rcv_wscale'] is None
                                                    or entry['rcv_wscale'] < group['rcv_wscale']):
            group['rcv_wscale'] = entry['rcv_wscale']
        group['received_bytes'] += received
        group['drops'] += entry['skmem'].get('d', 0)

    def order(group):
        return (-group['sockets'], -group['received_bytes'], group['process'] or '', group['pid'] or 0,
                group['local'], group['peer'], group['case'])
    ordered = sorted(groups.values(), key=order)
    return ordered[:max(0, top)]


def nearest_rank(values, percentile=QUEUE_PERCENTILE):
    """The ``percentile`` of ``values`` by nearest rank: the value at rank ceil(percentile / 100 x n) of the n
    values sorted ascending (an observed value, never interpolated); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (percentile * len(ordered) + 99) // 100
    return ordered[max(rank, 1) - 1]


def at_rcvbuf_limit(entry):
    """Whether the socket's receive memory (skmem ``r``) is at least AT_RCVBUF_LIMIT_PCT % of its buffer (``rb``)."""
    skmem = entry.get('skmem') or {}
    held, rb = skmem.get('r'), skmem.get('rb')
    if not isinstance(held, int) or not isinstance(rb, int) or rb <= 0:
        return False
    return held * 100 >= AT_RCVBUF_LIMIT_PCT * rb


def _established(entry):
    # ``ss ... state established`` prints no State column (None); without the filter, ESTAB only
    return entry.get('state') in (None, 'ESTAB')


def read_queues(sockets):
    """The queues of one read (parse_ss): ``{'reads': 1, 'sockets': n, 'recv_q_max', 'recv_q_p99',
    'send_q_max', 'send_q_p99', 'at_rcvbuf_limit': n}`` over its established sockets; the four peaks are
    None when there is none."""
    counted = [entry for entry in sockets or () if _established(entry)]
    recv = [entry['recv_q'] for entry in counted]
    send = [entry['send_q'] for entry in counted]
    return {
        'reads': 1,
        'sockets': len(counted),
        'recv_q_max': max(recv) if recv else None,
        'recv_q_p99': nearest_rank(recv),
        'send_q_max': max(send) if send else None,
        'send_q_p99': nearest_rank(send),
        'at_rcvbuf_limit': sum(1 for entry in counted if at_rcvbuf_limit(entry)),
    }


def window_queues(later, earlier=None):
    """The queues of a window from its reads' (read_queues, or an earlier window_queues): the counts add up,
    each peak is the larger one (a p99 the larger of the reads' p99). ``earlier`` None: ``later`` alone."""
    if earlier is None:
        return dict(later)
    result = dict((key, later[key] + earlier[key]) for key in QUEUE_COUNTS)
    for key in QUEUE_PEAKS:
        known = [value for value in (earlier[key], later[key]) if value is not None]
        result[key] = max(known) if known else None
    return dict((key, result[key]) for key in QUEUE_FIELDS)


def summarize(sockets, default, top=10, earlier=None, tcp_rmem_max=None, rmem_max=None, seconds=None,
              earlier_queues=None):
    """Apply the rule to ``sockets`` (parse_ss of the later read) with ``earlier`` (the earlier read, taken
    ``seconds`` before: a parse_ss result or the compact list of records.start_sockets; None with one read)
    and ``earlier_queues``, read_queues of that earlier read (None: the queues of this read alone).

    ``default`` and ``tcp_rmem_max``: the live tcp_rmem default and maximum; ``rmem_max``: the live
    net.core.rmem_max (None when unknown).

    -> ``{'rule': RULE, 'tcp_rmem_default', 'tcp_rmem_max', 'rmem_max', 'unlocked_wscale',
    'established': n, 'with_rb': n, 'pinned_below_default': n, 'pinned_drops': n,
    'offenders': [{'local', 'peer', 'sockets', 'rb_min', 'rb_max', 'drops'}],
    'pinned': n, 'pinned_cases': {case: n}, 'pinned_groups': [{'process', 'pid', 'local',
    'peer', 'case', 'sockets', 'rb_min', 'rb_max', 'rcv_wscale', 'received_bytes', 'drops'}],
    'queues': window_queues(read_queues(sockets), earlier_queues)}``.

    ``pinned``, ``pinned_cases`` and ``pinned_groups`` are None without ``earlier`` and ``seconds``: the
    rule needs two reads.  ``pinned_below_default``, ``pinned_drops`` (their skmem ``d``, sk_drops) and
    ``offenders`` are the one-read count of sockets whose rb is below the default.  Groups show the
    probably-ephemeral port (the higher of the two) as ``*``; most sockets first, at most ``top``.
    """
    below = [s for s in sockets if 'rb' in s['skmem'] and isinstance(default, int) and s['skmem']['rb'] < default]
    result = {
        'rule': RULE,
        'tcp_rmem_default': default,
        'tcp_rmem_max': tcp_rmem_max,
        'rmem_max': rmem_max,
        'unlocked_wscale': unlocked_wscale(tcp_rmem_max, rmem_max),
        'established': len(sockets),
        'with_rb': sum(1 for s in sockets if 'rb' in s['skmem']),
        'pinned_below_default': len(below),
        'pinned_drops': sum(s['skmem'].get('d', 0) for s in below),
        'offenders': _offenders(below, top),
        'pinned': None,
        'pinned_cases': None,
        'pinned_groups': None,
        'queues': window_queues(read_queues(sockets), earlier_queues),
    }
    if earlier is None or not seconds or seconds <= 0:
        return result
    before = {}
    for entry in earlier:
        before[(entry['local'], entry['peer'])] = entry
    pinned = []
    for entry in sockets:
        old = before.get((entry['local'], entry['peer']))
        case = pinned_case(entry, old, default, tcp_rmem_max, rmem_max, seconds)
        if case:
            pinned.append((entry, case, received_between(entry, old)))
    result['pinned'] = len(pinned)
    result['pinned_cases'] = dict((case, sum(1 for item in pinned if item[1] == case)) for case in CASES)
    result['pinned_groups'] = _pinned_groups(pinned, top)
    return result
