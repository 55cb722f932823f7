# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where TCP's memory stands against ``net.ipv4.tcp_mem``: sockstat's ``TCP ... mem`` and the three limits.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure: parsed data in, data out (procread reads the files).  Python 3.8+, stdlib only.

The kernel (``__sk_mem_raise_allocated`` and ``__sk_mem_reduce_allocated`` in net/core/sock.c) compares
the pages all TCP sockets of the host hold (``tcp_memory_allocated``, what sockstat prints as ``TCP ...
mem``) with ``net.ipv4.tcp_mem`` = low, pressure, high (pages):

- above *pressure* TCP enters memory pressure (``TCPMemoryPressures``): sockets get no more than their
  minimum buffers and their receive windows are clamped;
- it leaves pressure only when the pages fall to *low* or below (``TCPMemoryPressuresChrono`` then adds
  the milliseconds it lasted): between low and pressure TCP may still be in pressure (hysteresis), so
  that state is never "no pressure";
- above *high* the allocation itself is refused (a receiving socket prunes and drops, a sender waits).

Both figures are the host's, never a network namespace's: ``tcp_memory_allocated`` is one counter for the
whole kernel (sockstat's ``mem`` shows it in every namespace, while its ``inuse`` is per namespace), and
``net.ipv4.tcp_mem`` is registered in the initial network namespace only: in a child one (a container,
``ip netns exec``, every netlab host) the file does not exist. Then the state is not told (``None``) and
``note`` says why, rather than a guess.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

__all__ = ['KEY', 'LIMITS', 'STATES', 'SCOPE', 'parse_tcp_mem', 'state_of', 'summarize', 'FIELDS']

KEY = 'net.ipv4.tcp_mem'
LIMITS = ('low', 'pressure', 'high')
# In the kernel's order of comparison: at or below low, between low and pressure, above pressure, above high.
STATES = ('below_low', 'between', 'pressure', 'above_high')
SCOPE = 'host'
FIELDS = ('pages', 'bytes', 'page_size', 'tcp_mem', 'tcp_mem_bytes', 'state', 'scope', 'note')

_INT = re.compile(r'\A[0-9]{1,20}\Z')

NOTE_HIDDEN = ('net.ipv4.tcp_mem is host scope and not visible in this network namespace (a child one): the '
               'state against it is not told here; pages is the whole host\'s TCP memory (sockstat counts every '
               'namespace). Gather the facts in the host\'s initial network namespace for the state')
NOTE_BETWEEN = ('between tcp_mem low and pressure: TCP may still be in memory pressure (it enters above pressure '
                'and leaves it only at or below low)')


def parse_tcp_mem(value):
    """``'287901 383868 575802'`` (the sysctl's value, any whitespace) -> ``{'low', 'pressure', 'high'}``
    (pages), or None when it is not three non-negative integers. The order is not checked: the kernel
    compares with each limit as it is."""
    if not isinstance(value, str):
        return None
    parts = value.split()
    if len(parts) != 3 or not all(_INT.match(part) for part in parts):
        return None
    return dict(zip(LIMITS, (int(part) for part in parts)))


def state_of(pages, tcp_mem):
    """One of STATES for ``pages`` against ``tcp_mem`` (parse_tcp_mem), in the kernel's terms:

    - ``below_low``: pages <= low (the kernel leaves pressure at its next allocation);
    - ``above_high``: pages > high (allocations refused, and in pressure);
    - ``pressure``: pages > pressure (in memory pressure);
    - ``between``: anything else, low < pages <= pressure (in pressure or not, as it was: hysteresis).
    """
    if pages <= tcp_mem['low']:
        return 'below_low'
    if pages > tcp_mem['high']:
        return 'above_high'
    if pages > tcp_mem['pressure']:
        return 'pressure'
    return 'between'


def _tcp_pages(sockstat):
    tcp = (sockstat or {}).get('TCP')
    pages = tcp.get('mem') if isinstance(tcp, dict) else None
    return pages if isinstance(pages, int) and not isinstance(pages, bool) and pages >= 0 else None


def summarize(sockstat, tcp_mem_entry, page_size):
    """The ``tcp_memory`` fact::

        {'pages': int or None, 'bytes': int or None, 'page_size': int,
         'tcp_mem': {'low', 'pressure', 'high'} (pages) or None, 'tcp_mem_bytes': the same in bytes or None,
         'state': one of STATES or None, 'scope': 'host', 'note': str or None}

    ``sockstat``: procnet.parse_sockstat's result (or None when the file is missing); ``tcp_mem_entry``:
    the ``net.ipv4.tcp_mem`` entry of sysctl_scope.read_sysctls (``{'value', 'scope'[, 'error']}``), or
    None; ``page_size``: the host's page size in bytes. ``state`` is None whenever either side is
    unknown, and ``note`` then says why; with a state, ``note`` is None except for ``between``.
    """
    pages = _tcp_pages(sockstat)
    entry = tcp_mem_entry or {}
    value = entry.get('value')
    limits = parse_tcp_mem(value)
    result = {
        'pages': pages,
        'bytes': pages * page_size if pages is not None else None,
        'page_size': page_size,
        'tcp_mem': limits,
        'tcp_mem_bytes': dict((name, limits[name] * page_size) for name in LIMITS) if limits else None,
        'state': None,
        'scope': SCOPE,
        'note': None,
    }
    notes = []
    if pages is None:
        notes.append('sockstat has no TCP mem (the file is missing or this kernel does not print it)')
    if limits is None:
        if entry.get('error'):
            notes.append('%s: %s' % (KEY, entry['error']))
        elif value is not None:
            notes.append('%s is not three integers: %r' % (KEY, str(value)[:80]))
        elif entry.get('scope') == 'host':
            notes.append(NOTE_HIDDEN)
        else:
            notes.append('%s does not exist here (not known to be a child network namespace): the state against '
                         'it is not told' % KEY)
    if not notes:
        result['state'] = state_of(pages, limits)
        if result['state'] == 'between':
            notes.append(NOTE_BETWEEN)
    result['note'] = '; '.join(notes) if notes else None
    return result
