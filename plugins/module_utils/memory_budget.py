# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The memory budget of a plan: the worst case its buffer maxima allow today, against net.ipv4.tcp_mem.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports, no I/O. The memory guardrail (profiles.memory_cap)
looks at one socket against the host's RAM; the budget looks at every connection of today at once:

- per socket: ``tcp_rmem`` max + ``tcp_wmem`` max, the ceilings autotuning may grow every TCP socket's
  receive and send buffers to (a socket that sets SO_RCVBUF / SO_SNDBUF itself gets twice the value it
  asks for, up to 2 x ``rmem_max`` / ``wmem_max``, and leaves autotuning: not counted here);
- the worst case: that per-socket maximum times the TCP sockets established now (``Tcp CurrEstab``);
- compared with ``tcp_mem`` (pages; low, pressure, high) times the page size: above pressure the kernel
  starts to shrink buffers and stops growing them, above high it refuses TCP memory.

``tcp_mem`` is one value for the whole kernel: a child network namespace does not show it (host scope).
Then the budget says so and compares nothing; it never guesses a value.

``budget(established, tcp_rmem, tcp_wmem, tcp_mem, page_size, ...)`` returns the ``memory_budget``
result (see ``budget``); ``exceeded_message(budget)`` the sentence a warning or a refusal carries.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

__all__ = ['BUDGET_KEYS', 'TCP_MEM_HIDDEN', 'budget', 'exceeded_message']

MIB = 1024 * 1024
# The live keys the budget reads besides the planned ones (sysctl_dropin reads them with the wanted keys).
BUDGET_KEYS = ('net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem', 'net.ipv4.tcp_mem')
TCP_MEM_HIDDEN = ('net.ipv4.tcp_mem is not visible in this network namespace (host scope: one value for the '
                  'whole kernel): the worst case is not compared with it. Check it on the host itself')
README = 'the sysctl_profile role README, "Sizing tcp_mem"'


def _mib(size):
    return '%.1f MiB' % (size / float(MIB))


def _triplet(value):
    """A tuple of three non-negative ints, else None (an unreadable or odd live value)."""
    if value is None or len(value) != 3 or any(element < 0 for element in value):
        return None
    return tuple(value)


def budget(established, tcp_rmem, tcp_wmem, tcp_mem, page_size, tcp_mem_source='live', established_unknown=None):
    """The worst case the buffer maxima allow on this host today.

    ``established``: the TCP sockets established now (int, None if unknown; ``established_unknown`` says
    why). ``tcp_rmem`` / ``tcp_wmem`` / ``tcp_mem``: the values that will be live after the plan, tuples of
    ints (None: unknown, or for ``tcp_mem`` not visible here). ``tcp_mem_source``: ``live`` or ``drop-in``
    (the drop-in sets it). ``page_size``: bytes.

    Returns ``{established, tcp_rmem_max, tcp_wmem_max, per_socket_max_bytes, worst_case_bytes,
    tcp_mem_pages: {low, pressure, high} or None, tcp_mem_bytes: {low, pressure, high} or None,
    tcp_mem_source, headroom_bytes (pressure - worst case, negative when over), sockets_under_pressure
    (sockets at the per-socket maximum that fit under pressure), exceeds_pressure, exceeds_high, note}``;
    each number is None when an input it needs is unknown, each flag None when nothing was compared.
    """
    rmem, wmem, mem = _triplet(tcp_rmem), _triplet(tcp_wmem), _triplet(tcp_mem)
    if established is not None and established < 0:
        established, established_unknown = None, 'Tcp CurrEstab is negative (%d)' % established
    out = {
        'established': established,
        'tcp_rmem_max': rmem[2] if rmem else None,
        'tcp_wmem_max': wmem[2] if wmem else None,
        'per_socket_max_bytes': rmem[2] + wmem[2] if rmem and wmem else None,
        'worst_case_bytes': None,
        'tcp_mem_pages': None,
        'tcp_mem_bytes': None,
        'tcp_mem_source': tcp_mem_source if mem else None,
        'headroom_bytes': None,
        'sockets_under_pressure': None,
        'exceeds_pressure': None,
        'exceeds_high': None,
    }
    per_socket = out['per_socket_max_bytes']
    if established is not None and per_socket is not None:
        out['worst_case_bytes'] = established * per_socket
    if mem:
        out['tcp_mem_pages'] = dict(zip(('low', 'pressure', 'high'), mem))
        out['tcp_mem_bytes'] = dict((name, pages * page_size) for name, pages in out['tcp_mem_pages'].items())
        if per_socket:
            out['sockets_under_pressure'] = out['tcp_mem_bytes']['pressure'] // per_socket
    worst = out['worst_case_bytes']
    if mem and worst is not None:
        pressure, high = out['tcp_mem_bytes']['pressure'], out['tcp_mem_bytes']['high']
        out['headroom_bytes'] = pressure - worst
        out['exceeds_pressure'] = worst > pressure
        out['exceeds_high'] = worst > high
    out['note'] = _note(out, established_unknown)
    return out


def _note(out, established_unknown):
    unknown = []
    if out['established'] is None:
        unknown.append('the established TCP sockets are unknown (%s)' % (established_unknown or 'not read'))
    for key in ('tcp_rmem', 'tcp_wmem'):
        if out[key + '_max'] is None:
            unknown.append('net.ipv4.%s has no readable max' % key)
    hidden = '' if out['tcp_mem_pages'] else TCP_MEM_HIDDEN + '.'
    if unknown:
        return 'No worst case: %s.%s' % ('; '.join(unknown), ' ' + hidden if hidden else '')
    head = ('%d established TCP socket(s) x %d bytes (tcp_rmem max %d + tcp_wmem max %d) = %d bytes (%s) at most' % (
        out['established'], out['per_socket_max_bytes'], out['tcp_rmem_max'], out['tcp_wmem_max'],
        out['worst_case_bytes'], _mib(out['worst_case_bytes'])))
    if hidden:
        return '%s. %s' % (head, hidden)
    pressure = out['tcp_mem_bytes']['pressure']
    fits = ('%d socket(s) at that maximum fit under pressure' % out['sockets_under_pressure'])
    if out['exceeds_high']:
        where = 'more than tcp_mem pressure (%d bytes, %s) and even high (%d bytes, %s)' % (
            pressure, _mib(pressure), out['tcp_mem_bytes']['high'], _mib(out['tcp_mem_bytes']['high']))
    elif out['exceeds_pressure']:
        where = 'more than tcp_mem pressure (%d bytes, %s)' % (pressure, _mib(pressure))
    else:
        where = '%d bytes (%s) below tcp_mem pressure (%d bytes)' % (
            out['headroom_bytes'], _mib(out['headroom_bytes']), pressure)
    source = ' as the drop-in sets it' if out['tcp_mem_source'] == 'drop-in' else ''
    return '%s: %s%s; %s.' % (head, where, source, fits)


def exceeded_message(out):
    """The warning (or, with the fail option, the refusal) when the worst case exceeds tcp_mem pressure."""
    pages, size = out['tcp_mem_pages'], out['tcp_mem_bytes']
    high = (' and even its high %d pages (%s), where TCP refuses more memory' % (pages['high'], _mib(size['high']))
            if out['exceeds_high'] else '')
    return ('memory budget: %d established TCP socket(s) x %d bytes each (tcp_rmem max %d + tcp_wmem max %d) = %s at '
            'most, more than net.ipv4.tcp_mem pressure %d pages (%s)%s: today\'s connections alone could push the '
            'kernel into TCP memory pressure (%d socket(s) at these maxima fit under it). Lower the buffer maxima or '
            'raise net.ipv4.tcp_mem on the host (see %s)' % (
                out['established'], out['per_socket_max_bytes'], out['tcp_rmem_max'], out['tcp_wmem_max'],
                _mib(out['worst_case_bytes']), pages['pressure'], _mib(size['pressure']), high,
                out['sockets_under_pressure'], README))
