# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers for /proc/net text: netstat, snmp, snmp6, sockstat, softnet_stat.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Text in, data out: no file access, no Ansible imports, Python 3.8+.  Every
parser is driven by what the file says (kernels differ in which counters exist
and in their order): unknown counters are kept, missing ones are absent, never
an invented 0.  Anything that does not have the expected shape raises
ProcParseError naming the source and the 1-based line number; no parser raises
any other exception for any ``str`` input.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fnmatch
import re

from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry

__all__ = [
    'ProcParseError', 'parse_pairs', 'parse_snmp6', 'parse_sockstat',
    'parse_softnet', 'metrics', 'SOFTNET_COLUMNS', 'COUNTER_PATTERN', 'counter_patterns', 'filter_counters',
]

# ASCII only: int() alone would accept "+1", "1_000", " 1" and non-ASCII digits.
_INT = re.compile(r'\A-?[0-9]+\Z')
_HEX = re.compile(r'\A[0-9a-fA-F]+\Z')
_NAME = re.compile(r'\A[A-Za-z0-9_]+\Z')
_SNMP6_NAME = re.compile(r'\A([A-Za-z]+6)([A-Za-z0-9_]+)\Z')

# softnet_stat columns (1-based) after processed/dropped/time_squeeze; columns
# 4-8 are always 0 (removed fields).  Linux 2.6.x prints 9 or 10 columns, 5.10+
# 13 (backlog_len and the CPU index), 6.x 15 (input_qlen, process_qlen).
# Newer kernels print 0 for the "was cpu_collision" column 9.
SOFTNET_COLUMNS = {
    1: 'processed',
    2: 'dropped',
    3: 'time_squeeze',
    9: 'cpu_collision',
    10: 'received_rps',
    11: 'flow_limit_count',
    12: 'backlog_len',
    13: 'cpu_index',
    14: 'input_qlen',
    15: 'process_qlen',
}


class ProcParseError(ValueError):
    """A /proc file that does not have the expected shape.

    ``str(exc)`` is ``"<source> line <n>: <reason>"``; the parts are also in
    ``exc.source``, ``exc.lineno`` (1-based, 0 for the file as a whole) and
    ``exc.reason``.
    """

    def __init__(self, source, lineno, reason):
        self.source = source
        self.lineno = lineno
        self.reason = reason
        if lineno:
            message = '%s line %d: %s' % (source, lineno, reason)
        else:
            message = '%s: %s' % (source, reason)
        super(ProcParseError, self).__init__(message)


def _check_text(text, source):
    if not isinstance(text, str):
        raise ProcParseError(source, 0, 'expected text, got %s' % type(text).__name__)
    if '\x00' in text:
        raise ProcParseError(source, text[:text.index('\x00')].count('\n') + 1, 'NUL byte in text')


def _lines(text, source):
    """(lineno, line) for every non-blank line; blank lines are skipped."""
    _check_text(text, source)
    return [(number, line) for number, line in enumerate(text.split('\n'), 1) if line.strip()]


def _short(token, limit=40):
    return repr(token if len(token) <= limit else token[:limit] + '...')


def _int(token, source, lineno, what):
    if not _INT.match(token):
        raise ProcParseError(source, lineno, '%s: %s is not an integer' % (what, _short(token)))
    return int(token)


def _split_prefix(line, source, lineno):
    """``'TcpExt: a b c'`` -> ``('TcpExt', ['a', 'b', 'c'])``."""
    prefix, sep, rest = line.partition(':')
    prefix = prefix.strip()
    if not sep or not _NAME.match(prefix):
        raise ProcParseError(source, lineno, 'expected "<Group>: ...", got %s' % _short(line))
    return prefix, rest.split()


def parse_pairs(text, source):
    """Parse /proc/net/netstat or /proc/net/snmp: header line / value line pairs.

    ``"Tcp: RtoMin MaxConn\\nTcp: 200 -1\\n"`` -> ``{'Tcp': {'RtoMin': 200, 'MaxConn': -1}}``.

    A group that appears in several pairs (the kernel splits IcmpMsg into
    pairs of at most 16) is merged.  Raises ProcParseError for an empty file,
    a header without its value line (truncated), a value line whose group is
    not the header's, a different number of names and values, a bad name, a
    name twice in one group, or a value that is not a decimal integer.
    """
    lines = _lines(text, source)
    if not lines:
        raise ProcParseError(source, 0, 'empty file')
    result = {}
    for index in range(0, len(lines), 2):
        head_no, head_line = lines[index]
        group, names = _split_prefix(head_line, source, head_no)
        if index + 1 >= len(lines):
            raise ProcParseError(source, head_no,
                                 'header for %s has no value line (truncated file?)' % group)
        value_no, value_line = lines[index + 1]
        value_group, values = _split_prefix(value_line, source, value_no)
        if value_group != group:
            raise ProcParseError(source, value_no,
                                 'value line is for %s but the header line %d is for %s'
                                 % (_short(value_group), head_no, group))
        if len(values) != len(names):
            raise ProcParseError(source, value_no,
                                 '%s has %d names on line %d but %d values'
                                 % (group, len(names), head_no, len(values)))
        bucket = result.setdefault(group, {})
        for name, token in zip(names, values):
            if not _NAME.match(name):
                raise ProcParseError(source, head_no, '%s: bad counter name %s' % (group, _short(name)))
            if name in bucket:
                raise ProcParseError(source, head_no, '%s.%s appears twice' % (group, name))
            bucket[name] = _int(token, source, value_no, '%s.%s' % (group, name))
    return result


def parse_snmp6(text, source):
    """Parse /proc/net/snmp6 (``Ip6InReceives  123`` per line).

    -> ``{'Ip6': {'InReceives': 123, ...}, 'Icmp6': {...}, 'Udp6': {...}, 'UdpLite6': {...}}``.
    The group is the name up to and including the first digit, which must be
    a 6 (``Icmp6InType1`` -> ``Icmp6`` / ``InType1``).
    """
    lines = _lines(text, source)
    if not lines:
        raise ProcParseError(source, 0, 'empty file')
    result = {}
    for lineno, line in lines:
        tokens = line.split()
        if len(tokens) != 2:
            raise ProcParseError(source, lineno, 'expected "<name> <value>", got %s' % _short(line))
        match = _SNMP6_NAME.match(tokens[0])
        if not match:
            raise ProcParseError(source, lineno,
                                 'counter name %s is not <Group>6<Name>' % _short(tokens[0]))
        group, name = match.group(1), match.group(2)
        bucket = result.setdefault(group, {})
        if name in bucket:
            raise ProcParseError(source, lineno, '%s%s appears twice' % (group, name))
        bucket[name] = _int(tokens[1], source, lineno, tokens[0])
    return result


def parse_sockstat(text, source, page_size):
    """Parse /proc/net/sockstat (or sockstat6).

    ``sockets: used N`` -> ``'sockets_used': N``; every other line
    ``PROTO: key value key value ...`` -> ``'PROTO': {key: value}``.  Where a
    protocol has ``mem`` (pages), ``mem_bytes = mem * page_size`` is added.
    FRAG ``memory`` is already in bytes and is left as it is.  Old files
    without UDP mem (RHEL 4) parse fine.
    """
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size <= 0:
        raise ValueError('page_size must be a positive integer, got %r' % (page_size,))
    lines = _lines(text, source)
    if not lines:
        raise ProcParseError(source, 0, 'empty file')
    result = {}
    for lineno, line in lines:
        proto, tokens = _split_prefix(line, source, lineno)
        if len(tokens) % 2:
            raise ProcParseError(source, lineno, '%s: odd number of fields (key value pairs expected)' % proto)
        fields = {}
        for pos in range(0, len(tokens), 2):
            key = tokens[pos]
            if not _NAME.match(key):
                raise ProcParseError(source, lineno, '%s: bad field name %s' % (proto, _short(key)))
            if key in fields:
                raise ProcParseError(source, lineno, '%s %s appears twice' % (proto, key))
            fields[key] = _int(tokens[pos + 1], source, lineno, '%s %s' % (proto, key))
        if proto == 'sockets':
            if set(fields) != {'used'}:
                raise ProcParseError(source, lineno, 'expected "sockets: used N", got %s' % _short(line))
            if 'sockets_used' in result:
                raise ProcParseError(source, lineno, 'sockets line appears twice')
            result['sockets_used'] = fields['used']
            continue
        if proto in result or proto == 'sockets_used':
            raise ProcParseError(source, lineno, '%s appears twice' % proto)
        if 'mem' in fields:
            fields['mem_bytes'] = fields['mem'] * page_size
        result[proto] = fields
    return result


def parse_softnet(text, source):
    """Parse /proc/net/softnet_stat (one line of hex columns per online CPU).

    -> ``{'cpus': [{'cpu': n, 'processed': .., 'dropped': .., 'time_squeeze': ..,
    <named extras present in this kernel's columns>}, ...],
    'total': {'processed': .., 'dropped': .., 'time_squeeze': ..}}``.

    ``cpu`` is the kernel's CPU index (column 13, not repeated as a column of
    its own) where the kernel prints it,
    else the line's position (offline CPUs are not listed, so on old kernels
    with CPUs offline the position is not the CPU number).  Columns 4-8 are
    always 0 and are not reported; columns past 15 are kept as ``colN``.  At
    least 3 columns per line are required; all lines must have the same count.
    """
    lines = _lines(text, source)
    if not lines:
        raise ProcParseError(source, 0, 'empty file')
    cpus = []
    total = {'processed': 0, 'dropped': 0, 'time_squeeze': 0}
    width = None
    for position, (lineno, line) in enumerate(lines):
        tokens = line.split()
        if len(tokens) < 3:
            raise ProcParseError(source, lineno, 'expected at least 3 hex columns, got %d' % len(tokens))
        if width is None:
            width = len(tokens)
        elif len(tokens) != width:
            raise ProcParseError(source, lineno, 'expected %d columns like line %d, got %d'
                                 % (width, lines[0][0], len(tokens)))
        entry = {}
        for column, token in enumerate(tokens, 1):
            if not _HEX.match(token):
                raise ProcParseError(source, lineno, 'column %d: %s is not hexadecimal' % (column, _short(token)))
            if 4 <= column <= 8:
                continue
            entry[SOFTNET_COLUMNS.get(column, 'col%d' % column)] = int(token, 16)
        entry['cpu'] = entry.pop('cpu_index') if 'cpu_index' in entry else position
        for key in total:
            total[key] += entry[key]
        cpus.append(entry)
    return {'cpus': cpus, 'total': total}


def metrics(counters, softnet):
    """The named metrics (metric_registry.METRICS) from parsed counters and softnet.

    ``counters`` is ``{group: {name: int}}`` (parse_pairs output, merged),
    ``softnet`` is parse_softnet output or None.  A metric whose source is
    absent is absent from the result.
    """
    counters = counters or {}
    others = {'net/softnet_stat': softnet or {}}
    result = {}
    for metric in metric_registry.METRICS:
        source = metric.source
        parsed = counters if source.is_counter else others.get(source.file, {})
        value = (parsed.get(source.section) or {}).get(source.field)
        if value is not None:
            result[metric.name] = value
    return result


# A counter selection: Group.Name as shell-style globs (TcpExt.PruneCalled, TcpExt.TCP*, Tcp).
COUNTER_PATTERN = re.compile(r'\A[A-Za-z0-9_*?\[\]!-]+(\.[A-Za-z0-9_*?\[\]!-]+)?\Z')


def counter_patterns(patterns):
    """``Group.Name`` globs checked and normalised (a pattern without a dot is the whole group: ``Tcp`` is
    ``Tcp.*``). ValueError names the first pattern that is not one."""
    result = []
    for pattern in patterns:
        if not isinstance(pattern, str) or not COUNTER_PATTERN.match(pattern):
            raise ValueError('%r is not a Group.Name pattern (letters, digits, _ and the globs * ? [ ])' % (pattern,))
        result.append(pattern if '.' in pattern else pattern + '.*')
    return result


def filter_counters(counters, patterns):
    """Keep only counters whose ``Group.Name`` matches one of the globs (counter_patterns' result; none keeps
    every counter) -> ``(kept, patterns that matched nothing)``."""
    if not patterns:
        return counters, []
    used = set()
    result = {}
    for group in counters:
        for name, value in counters[group].items():
            full = '%s.%s' % (group, name)
            for pattern in patterns:
                if fnmatch.fnmatchcase(full, pattern):
                    used.add(pattern)
                    result.setdefault(group, {})[name] = value
    return result, [p for p in patterns if p not in used]
