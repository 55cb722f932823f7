# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Window records: the one place their format lives (the sampling window's start, and the record).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports: the netfleet_window module builds and
stores records on the host, the controller's filters read them back.

A window is two reads of one host (``phase: start`` and ``phase: end`` of netfleet_window, with one
wait on the controller between them). The first read travels through the controller as the *start*,
kept small (it is held for every host of the fleet)::

    {'boot_id': str or None, 'netns': str or None, 'monotonic': float (the host's time.monotonic()),
     'collected_at': 'YYYY-MM-DDTHH:MM:SS.mmmZ', 'metrics': {name: int},
     'sockets': [{'local': str, 'peer': str, 'skmem': {'rb': int},    # only with socket_buffers
                  'bytes_received': int or None}],
     'queues': sockets.read_queues() of the first read}                 # only with socket_buffers

The *record* is what the playbooks keep (on the host in its state directory, and on the
controller for the report)::

    {'schema': BASELINE_SCHEMA, 'kind': 'baseline' | 'verify', 'host': str or None,
     'recorded_at': str, 'recorded_epoch': float or None, 'boot_id': str or None,
     'netns': str or None,
     'window': {'seconds': float, 'valid': bool, 'invalid_reason': str or None,
                'in_segs': int or None,
                'metrics': {name: {'delta': int, 'per_second': float or None,
                                   'per_million_segs': float or None}}} or None,
     'metrics_end': {name: int},
     'sysctl': {key: {'value': str or None, 'scope': 'netns' | 'host' | 'absent'[, 'error': str]}},
     'socket_buffers': sockets.summarize() result or None,
     'tcp_memory': tcp_memory.summarize() result at the end of the window}

``tcp_memory`` (and ``socket_buffers.queues``) came with issue 14: a record written before has neither,
and still reads back (the decoded copy then has no such entry).

A record read back (from a host or a controller file) is data, never trusted: ``decode_record``
checks every entry and raises ``RecordError`` naming the source, the entry and the rule.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json
import math
import re

from ansible_collections.netfleet.tuning.plugins.module_utils import rates
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import type_name as _type_name
from ansible_collections.netfleet.tuning.plugins.module_utils import sockets as sockets_rule
from ansible_collections.netfleet.tuning.plugins.module_utils import tcp_memory as tcp_memory_rule
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_scope import KEY_PATTERN, SCOPES

__all__ = [
    'BASELINE_SCHEMA', 'KINDS', 'RecordError', 'build_start', 'validate_start', 'build_record',
    'decode_record', 'encode_record', 'parse_time', 'MAX_RECORD_BYTES', 'MAX_START_SOCKETS', 'is_record',
    'record_window', 'record_end_values', 'Checker', 'BASELINE_FILE',
]

BASELINE_SCHEMA = 'netfleet.tuning/baseline/1'
# The file in the host's state directory that keeps its baseline record (netfleet_window writes it, the
# netstat_exporter role's program reads it).
BASELINE_FILE = 'baseline.json'
KINDS = ('baseline', 'verify')

# Bounds: a record is a few KB; anything far beyond is not one of ours.
MAX_RECORD_BYTES = 256 * 1024
MAX_START_SOCKETS = 4096
MAX_METRICS = 64
MAX_SYSCTLS = 256
MAX_OFFENDERS = 100
MAX_NAME = 1024          # host (inventory name)
MAX_ID = 128             # boot_id, netns
MAX_ENDPOINT = 128       # ip:port
MAX_TEXT = 4096          # invalid_reason, rule, sysctl values and errors
MAX_INT = 2 ** 64        # counters are at most 64 bits (some are negative)

RECORD_FIELDS = ('schema', 'kind', 'host', 'recorded_at', 'recorded_epoch', 'boot_id', 'netns', 'window',
                 'metrics_end', 'sysctl', 'socket_buffers')
# issue 14: optional, so that records written before it still read back
RECORD_OPTIONAL = ('tcp_memory',)
WINDOW_FIELDS = ('seconds', 'valid', 'invalid_reason', 'in_segs', 'metrics')
RATE_FIELDS = ('delta', 'per_second', 'per_million_segs')
START_FIELDS = ('boot_id', 'netns', 'monotonic', 'collected_at', 'metrics')
START_OPTIONAL = ('sockets', 'queues')
SOCKET_BUFFER_INTS = ('tcp_rmem_default', 'established', 'with_rb', 'pinned_below_default', 'pinned_drops')
# the pinned-socket rule's fields (issue 17): optional, so that records written before it still read back
SOCKET_BUFFER_OPTIONAL_INTS = ('tcp_rmem_max', 'rmem_max', 'unlocked_wscale', 'pinned')
SOCKET_BUFFER_OPTIONAL = SOCKET_BUFFER_OPTIONAL_INTS + ('pinned_cases', 'pinned_groups', 'pinned_stable', 'queues')
OFFENDER_FIELDS = ('local', 'peer', 'sockets', 'rb_min', 'rb_max', 'drops')
PINNED_GROUP_FIELDS = ('process', 'pid', 'local', 'peer', 'case', 'sockets', 'rb_min', 'rb_max', 'rcv_wscale',
                       'received_bytes', 'drops')
MAX_PROCESS_NAME = sockets_rule.MAX_PROCESS_NAME

METRIC_NAME_RE = re.compile(r'\A[a-z_]{1,64}\Z')
TIME_RE = re.compile(r'\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z\Z')
# printable ASCII and beyond, no control characters (a value never spans lines)
_TEXT_RE = re.compile(r'\A[^\x00-\x1f\x7f]*\Z')


class RecordError(ValueError):
    """A start or record that breaks a rule: ``source`` (a file, or ``start``), ``entry`` (where in it,
    such as ``window.metrics.prune_called.delta``) and ``rule``."""

    def __init__(self, source, entry, rule, message):
        self.source = source
        self.entry = entry
        self.rule = rule
        super(RecordError, self).__init__('%s: %s%s (rule: %s)' % (
            source, '%s: ' % entry if entry else '', message, rule))

    @property
    def rules(self):
        return [self.rule]


def _show(value):
    return repr(value)[:80]


class _Checker(object):
    """The rules, bound to one source."""

    def __init__(self, source):
        self.source = source

    def fail(self, entry, rule, message):
        raise RecordError(self.source, entry, rule, message)

    def loads(self, data, limit):
        """JSON text or bytes (at most ``limit`` characters) parsed; anything else is returned as it is."""
        if isinstance(data, bytes):
            try:
                data = data.decode('utf-8')
            except UnicodeDecodeError:
                self.fail(None, 'format', 'not UTF-8 text')
        if isinstance(data, str):
            if len(data) > limit:
                self.fail(None, 'size', 'larger than %d bytes' % limit)
            try:
                data = json.loads(data)
            except ValueError as exc:
                self.fail(None, 'format', 'not valid JSON (%s)' % exc)
        return data

    def dict_(self, entry, value, required=(), optional=()):
        if not isinstance(value, dict):
            self.fail(entry, 'type', 'must be an object, got %s' % _type_name(value))
        if required or optional:
            unknown = sorted(str(k) for k in value if k not in required and k not in optional)
            if unknown:
                self.fail(_join(entry, unknown[0]), 'unknown_field', 'unknown field (allowed: %s)'
                          % ', '.join(tuple(required) + tuple(optional)))
            for key in required:
                if key not in value:
                    self.fail(_join(entry, key), 'missing_field', 'is missing')
        return value

    def int_(self, entry, value, allow_none=False, minimum=-MAX_INT):
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(entry, 'type', 'must be an integer%s, got %s %s' % (
                ' or null' if allow_none else '', _type_name(value), _show(value)))
        if not minimum <= value <= MAX_INT:
            self.fail(entry, 'range', 'integer %s out of range (%s to 2**64)' % (
                _show(value), '0' if minimum == 0 else '-2**64'))
        return int(value)

    def number(self, entry, value, allow_none=False):
        """An int or a float (JSON does not tell 5 from 5.0), finite; returned as float."""
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(entry, 'type', 'must be a number%s, got %s %s' % (
                ' or null' if allow_none else '', _type_name(value), _show(value)))
        if isinstance(value, int) and abs(value) > MAX_INT:
            self.fail(entry, 'range', 'number %s out of range' % _show(value))
        value = float(value)
        if not math.isfinite(value):
            self.fail(entry, 'finite', 'must be a finite number, got %s' % _show(value))
        return value

    def bool_(self, entry, value):
        if not isinstance(value, bool):
            self.fail(entry, 'type', 'must be true or false, got %s %s' % (_type_name(value), _show(value)))
        return value

    def text(self, entry, value, limit, allow_none=False, pattern=None, what='a string'):
        if value is None and allow_none:
            return None
        if not isinstance(value, str):
            self.fail(entry, 'type', 'must be %s%s, got %s %s' % (
                what, ' or null' if allow_none else '', _type_name(value), _show(value)))
        if len(value) > limit:
            self.fail(entry, 'size', 'longer than %d characters' % limit)
        if not _TEXT_RE.match(value):
            self.fail(entry, 'text', 'contains control characters: %s' % _show(value))
        if pattern is not None and not pattern.match(value):
            self.fail(entry, 'format', '%s is not %s' % (_show(value), what))
        return str(value)

    def time(self, entry, value):
        what = 'an ISO-8601 UTC time (YYYY-MM-DDTHH:MM:SS.mmmZ)'
        value = self.text(entry, value, 40, pattern=TIME_RE, what=what)
        if parse_time(value) is None:
            self.fail(entry, 'format', '%s is not %s' % (_show(value), what))
        return value

    def name(self, entry, name):
        if not isinstance(name, str) or not METRIC_NAME_RE.match(name):
            self.fail(entry, 'name_pattern', 'metric name %s does not match [a-z_]{1,64}' % _show(name))
        return name

    def metric_values(self, entry, value):
        self.dict_(entry, value)
        if len(value) > MAX_METRICS:
            self.fail(entry, 'size', 'more than %d metrics' % MAX_METRICS)
        out = {}
        for name in sorted(value, key=str):
            self.name(_join(entry, name), name)
            out[name] = self.int_(_join(entry, name), value[name])
        return out


# The rules, for the other small files of the state directory (host_verdict): one checker, one error.
Checker = _Checker


def _join(entry, key):
    return '%s.%s' % (entry, key) if entry else str(key)


def _check_sockets(check, entry, value):
    if not isinstance(value, list):
        check.fail(entry, 'type', 'must be a list of sockets, got %s' % _type_name(value))
    if len(value) > MAX_START_SOCKETS:
        check.fail(entry, 'size', 'more than %d sockets' % MAX_START_SOCKETS)
    out = []
    for index, item in enumerate(value):
        where = '%s[%d]' % (entry, index)
        check.dict_(where, item, required=('local', 'peer', 'skmem'), optional=('bytes_received',))
        skmem = check.dict_(where + '.skmem', item['skmem'], required=('rb',))
        entry = {
            'local': check.text(where + '.local', item['local'], MAX_ENDPOINT),
            'peer': check.text(where + '.peer', item['peer'], MAX_ENDPOINT),
            'skmem': {'rb': check.int_(where + '.skmem.rb', skmem['rb'], minimum=0)},
        }
        if 'bytes_received' in item:
            entry['bytes_received'] = check.int_(where + '.bytes_received', item['bytes_received'],
                                                 allow_none=True, minimum=0)
        out.append(entry)
    return out


def start_sockets(found, default, tcp_rmem_max=None, rmem_max=None):
    """The sockets a start keeps for ``sockets.summarize(..., earlier=...)``: those that one read says
    the pinned rule may name (``sockets.static_case``: the rule then asks for the same ``rb`` and enough
    bytes received at the end), reduced to local, peer, rb and bytes_received.
    -> (list, number left out beyond MAX_START_SOCKETS).

    ``default``, ``tcp_rmem_max``, ``rmem_max``: the live tcp_rmem default and maximum and
    net.core.rmem_max at the start (None when unknown). A socket not kept is never named at the end,
    which is right as long as the sysctls do not change inside the window.
    """
    kept = []
    for entry in found or ():
        if not sockets_rule.static_case(entry, default, tcp_rmem_max, rmem_max):
            continue
        kept.append({'local': entry['local'], 'peer': entry['peer'], 'skmem': {'rb': entry['skmem']['rb']},
                     'bytes_received': entry.get('bytes_received')})
    return kept[:MAX_START_SOCKETS], max(0, len(kept) - MAX_START_SOCKETS)


def build_start(snapshot, sockets=None, queues=None):
    """The compact start of a window from a procread snapshot (and start_sockets' list, and
    sockets.read_queues of the same read, or None)."""
    start = {
        'boot_id': snapshot.get('boot_id'),
        'netns': snapshot.get('netns'),
        'monotonic': snapshot.get('monotonic'),
        'collected_at': snapshot.get('collected_at'),
        'metrics': dict(snapshot.get('metrics') or {}),
    }
    if sockets is not None:
        start['sockets'] = sockets
    if queues is not None:
        start['queues'] = queues
    return start


def validate_start(start, source='start'):
    """The ``start`` a phase=start call returned, back from the controller: check every entry and
    return a plain copy. RecordError names the entry and the rule."""
    check = _Checker(source)
    check.dict_(None, start, required=START_FIELDS, optional=START_OPTIONAL)
    out = {
        'boot_id': check.text('boot_id', start['boot_id'], MAX_ID, allow_none=True),
        'netns': check.text('netns', start['netns'], MAX_ID, allow_none=True),
        'monotonic': check.number('monotonic', start['monotonic']),
        'collected_at': check.time('collected_at', start['collected_at']),
        'metrics': check.metric_values('metrics', start['metrics']),
    }
    if out['monotonic'] < 0:
        check.fail('monotonic', 'range', 'must not be negative, got %s' % _show(start['monotonic']))
    if 'sockets' in start:
        out['sockets'] = _check_sockets(check, 'sockets', start['sockets'])
    if 'queues' in start:
        out['queues'] = _check_queues(check, 'queues', start['queues'], reads=(1,))
    return out


def parse_time(text):
    """``2026-01-15T10:00:00.123Z`` (or without the fraction) -> epoch seconds, None if not such a time."""
    if not isinstance(text, str) or not TIME_RE.match(text):
        return None
    fmt = '%Y-%m-%dT%H:%M:%S.%fZ' if '.' in text else '%Y-%m-%dT%H:%M:%SZ'
    try:
        parsed = datetime.datetime.strptime(text, fmt)
    except ValueError:
        return None
    return (parsed - datetime.datetime(1970, 1, 1)).total_seconds()


def _metrics_only(snapshot):
    return {'boot_id': snapshot.get('boot_id'), 'monotonic': snapshot.get('monotonic'),
            'metrics': snapshot.get('metrics') or {}, 'counters': {}}


def build_record(start, end_snapshot, sysctl, socket_buffers, kind, host, tcp_memory=None):
    """The record of one window: ``start`` (validated here again) and the end's procread snapshot,
    the live ``sysctl`` (sysctl_scope.read_sysctls), ``socket_buffers`` (sockets.summarize or None) and
    ``tcp_memory`` (tcp_memory.summarize at the end; None leaves the entry out).

    The window is rates.window over the named metrics only. A window is also invalid when the network
    namespace's identity changed between the reads (a recreated pod keeps the boot_id, and its
    counters restart from 0).
    """
    start = validate_start(start)
    full = rates.window(_metrics_only(start), _metrics_only(end_snapshot))
    window = dict((key, full[key]) for key in WINDOW_FIELDS)
    netns_a, netns_b = start.get('netns'), end_snapshot.get('netns')
    if netns_a and netns_b and netns_a != netns_b:
        reason = 'network namespace changed (%s -> %s): the counters were reset' % (netns_a, netns_b)
        window['valid'] = False
        window['invalid_reason'] = '; '.join(r for r in (window['invalid_reason'], reason) if r)
    recorded_at = end_snapshot.get('collected_at')
    record = {
        'schema': BASELINE_SCHEMA,
        'kind': kind,
        'host': host,
        'recorded_at': recorded_at,
        'recorded_epoch': parse_time(recorded_at),
        'boot_id': end_snapshot.get('boot_id'),
        'netns': netns_b,
        'window': window,
        # absolute values at the end of the window: verify checks that no counter went back between windows
        'metrics_end': dict(end_snapshot.get('metrics') or {}),
        'sysctl': sysctl or {},
        'socket_buffers': socket_buffers,
    }
    if tcp_memory is not None:
        record['tcp_memory'] = tcp_memory
    return record


def _check_window(check, value):
    if value is None:
        return None
    check.dict_('window', value, required=WINDOW_FIELDS)
    out = {
        'seconds': check.number('window.seconds', value['seconds']),
        'valid': check.bool_('window.valid', value['valid']),
        'invalid_reason': check.text('window.invalid_reason', value['invalid_reason'], MAX_TEXT, allow_none=True),
        'in_segs': check.int_('window.in_segs', value['in_segs'], allow_none=True),
        'metrics': {},
    }
    if out['valid'] and out['invalid_reason'] is not None:
        check.fail('window.invalid_reason', 'consistency', 'a valid window has no invalid_reason')
    if not out['valid'] and out['invalid_reason'] is None:
        check.fail('window.invalid_reason', 'consistency', 'an invalid window says why')
    metrics = check.dict_('window.metrics', value['metrics'])
    if len(metrics) > MAX_METRICS:
        check.fail('window.metrics', 'size', 'more than %d metrics' % MAX_METRICS)
    for name in sorted(metrics, key=str):
        where = 'window.metrics.%s' % name
        check.name(where, name)
        entry = check.dict_(where, metrics[name], required=RATE_FIELDS)
        out['metrics'][name] = {
            'delta': check.int_(where + '.delta', entry['delta']),
            'per_second': check.number(where + '.per_second', entry['per_second'], allow_none=True),
            'per_million_segs': check.number(where + '.per_million_segs', entry['per_million_segs'],
                                             allow_none=True),
        }
    return out


def _check_sysctl(check, value):
    check.dict_('sysctl', value)
    if len(value) > MAX_SYSCTLS:
        check.fail('sysctl', 'size', 'more than %d keys' % MAX_SYSCTLS)
    out = {}
    for key in sorted(value, key=str):
        where = 'sysctl.%s' % key
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            check.fail(where, 'key_pattern', 'key %s is not a sysctl key of the form net.x.y' % _show(key))
        entry = check.dict_(where, value[key], required=('value', 'scope'), optional=('error',))
        if entry['scope'] not in SCOPES:
            check.fail(where + '.scope', 'choice', 'must be one of %s, got %s' % (', '.join(SCOPES),
                                                                                  _show(entry['scope'])))
        item = {'value': check.text(where + '.value', entry['value'], MAX_TEXT, allow_none=True),
                'scope': entry['scope']}
        if 'error' in entry:
            item['error'] = check.text(where + '.error', entry['error'], MAX_TEXT)
        out[key] = item
    return out


def _check_socket_buffers(check, value):
    if value is None:
        return None
    check.dict_('socket_buffers', value, required=('rule',) + SOCKET_BUFFER_INTS + ('offenders',),
                optional=SOCKET_BUFFER_OPTIONAL)
    out = {'rule': check.text('socket_buffers.rule', value['rule'], MAX_TEXT)}
    for key in SOCKET_BUFFER_INTS:
        out[key] = check.int_('socket_buffers.%s' % key, value[key], minimum=0)
    for key in SOCKET_BUFFER_OPTIONAL_INTS + ('pinned_stable',):
        if key in value:
            out[key] = check.int_('socket_buffers.%s' % key, value[key], allow_none=True, minimum=0)
    if 'pinned_cases' in value:
        out['pinned_cases'] = _check_pinned_cases(check, value['pinned_cases'])
    if 'pinned_groups' in value:
        out['pinned_groups'] = _check_pinned_groups(check, value['pinned_groups'])
    if 'queues' in value:
        out['queues'] = _check_queues(check, 'socket_buffers.queues', value['queues'], reads=(1, 2))
    offenders = value['offenders']
    if not isinstance(offenders, list):
        check.fail('socket_buffers.offenders', 'type', 'must be a list, got %s' % _type_name(offenders))
    if len(offenders) > MAX_OFFENDERS:
        check.fail('socket_buffers.offenders', 'size', 'more than %d groups' % MAX_OFFENDERS)
    out['offenders'] = []
    for index, item in enumerate(offenders):
        where = 'socket_buffers.offenders[%d]' % index
        check.dict_(where, item, required=OFFENDER_FIELDS)
        out['offenders'].append({
            'local': check.text(where + '.local', item['local'], MAX_ENDPOINT),
            'peer': check.text(where + '.peer', item['peer'], MAX_ENDPOINT),
            'sockets': check.int_(where + '.sockets', item['sockets'], minimum=0),
            'rb_min': check.int_(where + '.rb_min', item['rb_min'], allow_none=True, minimum=0),
            'rb_max': check.int_(where + '.rb_max', item['rb_max'], allow_none=True, minimum=0),
            'drops': check.int_(where + '.drops', item['drops'], minimum=0),
        })
    return out


def _check_pinned_cases(check, value):
    if value is None:
        return None
    check.dict_('socket_buffers.pinned_cases', value, optional=sockets_rule.CASES)
    return dict((case, check.int_('socket_buffers.pinned_cases.%s' % case, value[case], minimum=0))
                for case in sockets_rule.CASES if case in value)


def _check_pinned_groups(check, value):
    if value is None:
        return None
    if not isinstance(value, list):
        check.fail('socket_buffers.pinned_groups', 'type', 'must be a list, got %s' % _type_name(value))
    if len(value) > MAX_OFFENDERS:
        check.fail('socket_buffers.pinned_groups', 'size', 'more than %d groups' % MAX_OFFENDERS)
    out = []
    for index, item in enumerate(value):
        where = 'socket_buffers.pinned_groups[%d]' % index
        check.dict_(where, item, required=PINNED_GROUP_FIELDS)
        if item['case'] not in sockets_rule.CASES:
            check.fail(where + '.case', 'choice', 'must be one of %s, got %s' % (
                ', '.join(sockets_rule.CASES), _show(item['case'])))
        group = {
            'process': check.text(where + '.process', item['process'], MAX_PROCESS_NAME, allow_none=True),
            'pid': check.int_(where + '.pid', item['pid'], allow_none=True, minimum=0),
            'local': check.text(where + '.local', item['local'], MAX_ENDPOINT),
            'peer': check.text(where + '.peer', item['peer'], MAX_ENDPOINT),
            'case': item['case'],
        }
        for key in ('sockets', 'rb_min', 'rb_max', 'received_bytes', 'drops'):
            group[key] = check.int_('%s.%s' % (where, key), item[key], minimum=0)
        group['rcv_wscale'] = check.int_(where + '.rcv_wscale', item['rcv_wscale'], allow_none=True, minimum=0)
        out.append(group)
    return out


def _check_queues(check, entry, value, reads):
    """sockets.read_queues / window_queues: counts, and peaks that are null exactly when no socket was counted."""
    check.dict_(entry, value, required=sockets_rule.QUEUE_FIELDS)
    out = {}
    for key in sockets_rule.QUEUE_FIELDS:
        allow_none = key in sockets_rule.QUEUE_PEAKS
        out[key] = check.int_(_join(entry, key), value[key], allow_none=allow_none, minimum=0)
    if out['reads'] not in reads:
        check.fail(_join(entry, 'reads'), 'range', 'must be %s, got %s' % (
            ' or '.join(str(n) for n in reads), _show(out['reads'])))
    if out['at_rcvbuf_limit'] > out['sockets']:
        check.fail(_join(entry, 'at_rcvbuf_limit'), 'consistency', 'more than the %d sockets counted'
                   % out['sockets'])
    for key in sockets_rule.QUEUE_PEAKS:
        if (out[key] is None) != (out['sockets'] == 0):
            check.fail(_join(entry, key), 'consistency', 'must be null exactly when no socket was counted')
    for queue in ('recv_q', 'send_q'):
        if out['sockets'] and out[queue + '_p99'] > out[queue + '_max']:
            check.fail(_join(entry, queue + '_p99'), 'consistency', 'above %s_max' % queue)
    return out


def _check_limits(check, entry, value):
    if value is None:
        return None
    check.dict_(entry, value, required=tcp_memory_rule.LIMITS)
    return dict((name, check.int_(_join(entry, name), value[name], minimum=0)) for name in tcp_memory_rule.LIMITS)


def _check_tcp_memory(check, value):
    """tcp_memory.summarize: every number checked, and the state and bytes recomputed from them."""
    entry = 'tcp_memory'
    if value is None:
        return None
    check.dict_(entry, value, required=tcp_memory_rule.FIELDS)
    out = {
        'pages': check.int_(entry + '.pages', value['pages'], allow_none=True, minimum=0),
        'bytes': check.int_(entry + '.bytes', value['bytes'], allow_none=True, minimum=0),
        'page_size': check.int_(entry + '.page_size', value['page_size'], minimum=1),
        'tcp_mem': _check_limits(check, entry + '.tcp_mem', value['tcp_mem']),
        'tcp_mem_bytes': _check_limits(check, entry + '.tcp_mem_bytes', value['tcp_mem_bytes']),
        'state': value['state'],
        'scope': value['scope'],
        'note': check.text(entry + '.note', value['note'], MAX_TEXT, allow_none=True),
    }
    if out['scope'] != tcp_memory_rule.SCOPE:
        check.fail(entry + '.scope', 'choice', 'must be %s, got %s' % (tcp_memory_rule.SCOPE, _show(out['scope'])))
    if out['state'] is not None and out['state'] not in tcp_memory_rule.STATES:
        check.fail(entry + '.state', 'choice', 'must be one of %s or null, got %s' % (
            ', '.join(tcp_memory_rule.STATES), _show(out['state'])))
    size = out['page_size']
    if (out['bytes'] is None) != (out['pages'] is None) or (
            out['pages'] is not None and out['bytes'] != out['pages'] * size):
        check.fail(entry + '.bytes', 'consistency', 'is not pages x page_size')
    limits, in_bytes = out['tcp_mem'], out['tcp_mem_bytes']
    if (limits is None) != (in_bytes is None) or (
            limits is not None and any(in_bytes[name] != limits[name] * size for name in tcp_memory_rule.LIMITS)):
        check.fail(entry + '.tcp_mem_bytes', 'consistency', 'is not tcp_mem x page_size')
    told = tcp_memory_rule.state_of(out['pages'], limits) if out['pages'] is not None and limits else None
    if out['state'] != told:
        check.fail(entry + '.state', 'consistency', '%s is not the state of %s pages against tcp_mem %s' % (
            _show(out['state']), _show(out['pages']), _show(limits)))
    if out['state'] is None and out['note'] is None:
        check.fail(entry + '.note', 'consistency', 'says why the state is not told')
    return out


def decode_record(data, source):
    """Check a record read back (JSON text, or the parsed object) and return a plain copy.

    ``source`` names where it came from (a file path) in the error. Raises RecordError naming the
    source, the entry and the rule; the record is data, never instructions.
    """
    check = _Checker(source)
    data = check.loads(data, MAX_RECORD_BYTES)
    check.dict_(None, data, required=RECORD_FIELDS, optional=RECORD_OPTIONAL)
    if data['schema'] != BASELINE_SCHEMA:
        check.fail('schema', 'schema', 'is %s, this collection reads %s' % (_show(data['schema']), BASELINE_SCHEMA))
    if data['kind'] not in KINDS:
        check.fail('kind', 'choice', 'must be one of %s, got %s' % (', '.join(KINDS), _show(data['kind'])))
    out = {
        'schema': BASELINE_SCHEMA,
        'kind': data['kind'],
        'host': check.text('host', data['host'], MAX_NAME, allow_none=True),
        'recorded_at': check.time('recorded_at', data['recorded_at']),
        'recorded_epoch': check.number('recorded_epoch', data['recorded_epoch'], allow_none=True),
        'boot_id': check.text('boot_id', data['boot_id'], MAX_ID, allow_none=True),
        'netns': check.text('netns', data['netns'], MAX_ID, allow_none=True),
        'window': _check_window(check, data['window']),
        'metrics_end': check.metric_values('metrics_end', data['metrics_end']),
        'sysctl': _check_sysctl(check, data['sysctl']),
        'socket_buffers': _check_socket_buffers(check, data['socket_buffers']),
    }
    if 'tcp_memory' in data:
        out['tcp_memory'] = _check_tcp_memory(check, data['tcp_memory'])
    if out['recorded_epoch'] is not None and abs(out['recorded_epoch'] - parse_time(out['recorded_at'])) > 1:
        check.fail('recorded_epoch', 'consistency', '%s is not the time of recorded_at %s' % (
            _show(data['recorded_epoch']), out['recorded_at']))
    return out


def is_record(value):
    """Whether ``value`` has a record's window entry (a dict under ``window``): what the verdicts read a
    record by, whether it was just built (build_record) or read back (decode_record)."""
    return isinstance(value, dict) and isinstance(value.get('window'), dict)


def record_window(record):
    """``(window, boot_id)`` of a record: the boot_id only when it is a non-empty string, else None."""
    boot_id = record.get('boot_id')
    return record['window'], boot_id if isinstance(boot_id, str) and boot_id else None


def record_end_values(record):
    """The absolute metric values at the end of a record's window (``metrics_end``): ``{name: int}``, or None
    when the record has none."""
    values = record.get('metrics_end')
    if not isinstance(values, dict):
        return None
    return dict((name, value) for name, value in values.items()
                if isinstance(value, int) and not isinstance(value, bool))


def encode_record(record):
    """The text a record is stored as (one JSON object, keys sorted, a final newline)."""
    return json.dumps(record, sort_keys=True, separators=(',', ':'), allow_nan=False) + '\n'
