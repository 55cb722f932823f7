#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: netfleet_window
short_description: Take one sampling window of TCP counters in two calls, so the whole fleet waits once
version_added: 0.1.0
description:
  - A window is two reads of a host's counters some seconds apart. This module takes each read in
    its own short call, so that a playbook reads every host, waits the window once on the controller
    (M(ansible.builtin.pause)), and reads every host again; the wall time is about the window plus two
    fast reads, whatever the number of hosts and forks. No fork is held while the window runs.
  - O(phase=start) reads C(<proc_path>/net/netstat), C(net/snmp), C(net/snmp6), C(net/softnet_stat),
    the boot_id and the network namespace identity and returns a compact C(start) (the named metrics,
    not every counter), to be passed back unchanged to O(phase=end).
  - O(phase=end) checks that C(start) (it came back through the controller), reads again and returns
    the C(record) of the window, with the exact seconds from the host's monotonic clock. The window is
    valid only when both reads have the same boot_id and network namespace and no metric went
    backwards.
  - The host keeps its baseline record itself, in O(state_dir) (O(store_baseline), O(load_baseline)),
    so any later run from any controller finds it. That directory and its parents must be owned by
    root and not writable by group or others, and the file must be a regular root-owned file that is
    not group or world writable; no link is followed. A stored record is data, checked entry by entry
    before it is returned.
author:
  - netfleet.tuning contributors (@netfleet)
extends_documentation_fragment:
  - netfleet.tuning.attributes
  - netfleet.tuning.attributes.platform
attributes:
  check_mode:
    support: full
    details: Both phases only read. With O(store_baseline) nothing is written in check mode; C(changed)
      then says that the record would be written.
  diff_mode:
    support: none
options:
  phase:
    description:
      - V(start) takes the first read and returns C(start); V(end) takes the second read and returns
        the C(record).
    type: str
    required: true
    choices: [start, end]
  start:
    description:
      - The C(start) value that the O(phase=start) call on this host returned, passed back unchanged.
      - Required with O(phase=end), refused with O(phase=start).
      - Every entry is checked (types, names, sizes); a bad one fails the task naming the entry and the rule.
    type: dict
  kind:
    description:
      - What the window is for, recorded in the record.
    type: str
    choices: [baseline, verify]
    default: verify
  host:
    description:
      - The host's inventory name, recorded in the record.
    type: str
  socket_buffers:
    description:
      - Also run C(ss -tmipn state established) (argv list, C(LC_ALL=C)) at both reads, and add to the
        record the established TCP sockets whose receive buffer an application pinned (SO_RCVBUF) and
        that were busy in the window, with their process, as M(netfleet.tuning.netstat_facts) does with
        O(netfleet.tuning.netstat_facts#module:sample_seconds); docs/reference.md (socket_buffers) has the rule.
      - C(start) then carries the sockets the rule may name (local, peer, buffer size and bytes received only)
        and the first read's queue statistics (seven numbers), and the record's C(socket_buffers.queues) covers
        both reads (see M(netfleet.tuning.netstat_facts)).
      - Skipped with a warning when C(ss) is not installed.
    type: bool
    default: false
  load_baseline:
    description:
      - With O(phase=start), also return the baseline record stored in O(state_dir) (C(baseline)), or
        why it cannot be used (C(baseline_error)).
    type: bool
    default: false
  store_baseline:
    description:
      - With O(phase=end), write the record to C(<state_dir>/baseline.json) (mode 0600, atomically,
        never through a link), creating O(state_dir) (mode 0700) when needed.
    type: bool
    default: false
  state_dir:
    description:
      - The host's own state directory (shared with the C(netfleet.tuning.sysctl_profile) role).
      - An absolute path outside C(/proc), C(/sys) and C(/dev).
    type: path
    default: /var/lib/netfleet-tuning
  proc_path:
    description:
      - Where procfs is mounted (tests point it at a fake tree).
    type: path
    default: /proc
  sysctls:
    description:
      - Sysctl keys whose live value and scope go into the record (O(phase=end)).
      - Each key must match C(net.<part>.<part>[.<part>[.<part>]]) with parts of lower case letters,
        digits and underscores.
      - Defaults to the keys the C(netfleet.tuning.sysctl_profile) role manages.
    type: list
    elements: str
notes:
  - Run as root (C(become)) so that the sysctl scope is right and the state directory can be written.
  - A missing optional file (for example C(net/snmp6)) gives a warning; its metrics are then absent.
seealso:
  - module: netfleet.tuning.netstat_facts
  - name: netfleet.tuning reference
    description: The metrics, the window rules and the record format.
    link: https://github.com/netfleet/tuning/blob/main/docs/reference.md
'''

EXAMPLES = r'''
- name: First read on every host (and the baseline the host keeps)
  netfleet.tuning.netfleet_window:
    phase: start
    load_baseline: true
  register: window_start

- name: Wait the window once for the whole fleet
  ansible.builtin.pause:
    seconds: 60
  run_once: true

- name: Second read on every host; keep the record on the host
  netfleet.tuning.netfleet_window:
    phase: end
    start: "{{ window_start.start }}"
    kind: baseline
    host: "{{ inventory_hostname }}"
    store_baseline: true
  register: window_end

- name: Pruning per million received segments in that window
  ansible.builtin.debug:
    msg: "{{ window_end.record.window.metrics.prune_called.per_million_segs }}"
  when: window_end.record.window.valid
'''

RETURN = r'''
start:
  description:
    - The first read, to pass back unchanged as O(start) of the O(phase=end) call. Small (a few hundred
      bytes without O(socket_buffers)).
    - C(boot_id), C(netns) (the network namespace identity), C(monotonic) (the host's C(CLOCK_MONOTONIC)
      seconds), C(collected_at) (ISO-8601 UTC), C(metrics) (the named metrics, integers) and, with
      O(socket_buffers), C(sockets) (the established sockets the pinned receive buffer rule may name
      at the end, as C(local), C(peer), C(skmem.rb) and C(bytes_received); at most 4096) and C(queues)
      (the queue statistics of this read, C(reads) 1, as the C(socket_buffers.queues) of RV(record)).
  returned: O(phase=start)
  type: dict
  sample: {"boot_id": "909edf35-58eb-4858-ad76-ccff11ccf7a7", "netns": "net:[4026531840]",
           "monotonic": 12345.678, "collected_at": "2026-01-15T10:00:00.123Z",
           "metrics": {"prune_called": 0, "rcv_collapsed": 0, "in_segs": 1568}}
baseline:
  description:
    - The baseline record stored on the host (same shape as RV(record)), checked entry by entry;
      C(null) when there is none or when it cannot be used (then RV(baseline_error) says why).
  returned: O(phase=start) with O(load_baseline)
  type: dict
baseline_error:
  description:
    - C(null), or why the stored baseline was not used, naming the file, the entry and the rule (a file
      that fails the record's rules, a link, a file or directory others can write).
  returned: O(phase=start) with O(load_baseline)
  type: str
  sample: "/var/lib/netfleet-tuning/baseline.json: window.metrics.prune_called.delta: must be an integer,
           got str '0' (rule: type)"
record:
  description:
    - The window's record, as the playbooks keep it.
    - C(schema) (C(netfleet.tuning/baseline/1)), C(kind), C(host), C(recorded_at) (the second read's time,
      ISO-8601 UTC) and C(recorded_epoch) (the same as epoch seconds), C(boot_id) and C(netns) (at the
      second read).
    - C(window) with C(seconds), C(valid), C(invalid_reason), C(in_segs) (the Tcp InSegs delta) and per
      named metric C(delta), C(per_second) and C(per_million_segs). An invalid window must be read as a
      reset, never as a pass.
    - C(metrics_end) (the metrics at the second read), C(sysctl) (per key of O(sysctls), C(value) and
      C(scope)) and C(socket_buffers) (C(null) without O(socket_buffers); its C(queues) over both reads).
    - C(tcp_memory) at the second read, the shape of M(netfleet.tuning.netstat_facts)' C(tcp_memory) fact,
      with C(state) (C(below_low), C(between), C(pressure), C(above_high)) telling whether the host was in
      TCP memory pressure at the end of the window; C(null) state and a C(note) in a child network
      namespace, where C(net.ipv4.tcp_mem) is not visible. Records written before this entry existed have
      none and still read back.
  returned: O(phase=end)
  type: dict
  sample: {"schema": "netfleet.tuning/baseline/1", "kind": "baseline", "host": "web1",
           "recorded_at": "2026-01-15T10:01:00.456Z", "recorded_epoch": 1768471260.456,
           "boot_id": "909edf35-58eb-4858-ad76-ccff11ccf7a7", "netns": "net:[4026531840]",
           "window": {"seconds": 60.01, "valid": true, "invalid_reason": null, "in_segs": 120000,
                      "metrics": {"prune_called": {"delta": 40, "per_second": 0.67, "per_million_segs": 333.3}}},
           "metrics_end": {"prune_called": 40, "in_segs": 121568},
           "sysctl": {"net.ipv4.tcp_rmem": {"value": "4096 131072 6291456", "scope": "netns"}},
           "socket_buffers": null,
           "tcp_memory": {"pages": 400000, "bytes": 1638400000, "page_size": 4096,
                          "tcp_mem": {"low": 287901, "pressure": 383868, "high": 575802},
                          "tcp_mem_bytes": {"low": 1179242496, "pressure": 1572323328, "high": 2358484992},
                          "state": "pressure", "scope": "host", "note": null}}
window_seconds:
  description: The window's length in seconds (the host's monotonic clock).
  returned: O(phase=end)
  type: float
  sample: 60.01
stored:
  description: The file the record was written to, C(null) when it was not written.
  returned: O(phase=end)
  type: str
  sample: /var/lib/netfleet-tuning/baseline.json
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.netfleet.tuning.plugins.module_utils import hostfs
from ansible_collections.netfleet.tuning.plugins.module_utils import procread
from ansible_collections.netfleet.tuning.plugins.module_utils import records
from ansible_collections.netfleet.tuning.plugins.module_utils import sockets
from ansible_collections.netfleet.tuning.plugins.module_utils import sysctl_scope
from ansible_collections.netfleet.tuning.plugins.module_utils.profiles import ProfileError, check_state_dir
from ansible_collections.netfleet.tuning.plugins.module_utils.state_store import StateStore

BASELINE_FILE = records.BASELINE_FILE
# StateStore needs the drop-in directory only to read the role's own state file, never read here.
DROPIN_DIR = '/etc/sysctl.d'
# Where the state trust checks start (unit tests move it to their temporary directory).
TRUST_ANCHOR = '/'


class WindowError(Exception):
    """An error to report with fail_json: ``rule`` (and ``entry``) when a rule refused something."""

    def __init__(self, message, rule=None, entry=None):
        super(WindowError, self).__init__(message)
        self.rule = rule
        self.entry = entry


def _store(state_dir):
    return StateStore(state_dir, DROPIN_DIR, anchor=TRUST_ANCHOR)


def load_baseline(state_dir):
    """-> (record or None, error message or None). Nothing stored is not an error."""
    path = os.path.join(state_dir, BASELINE_FILE)
    try:
        text = _store(state_dir).read_file(BASELINE_FILE, 'baseline file', records.MAX_RECORD_BYTES)
        if text is None:
            return None, None
        return records.decode_record(text, path), None
    except hostfs.UnsafePathError as exc:
        message = to_native(exc)
        return None, message if exc.path == path else 'baseline file %s not read: %s' % (path, message)
    except (hostfs.FileOpError, records.RecordError) as exc:
        return None, to_native(exc)


def store_baseline(state_dir, record):
    """Write the record to <state_dir>/baseline.json (the directory made and checked first)."""
    return _store(state_dir).write_file(BASELINE_FILE, records.encode_record(record), 'baseline file')


def phase_start(module, proc_path, warnings):
    params = module.params
    snap = procread.read_snapshot(proc_path, os.sysconf('SC_PAGE_SIZE'), warnings)
    kept = queues = None
    if params['socket_buffers']:
        found = procread.run_ss(module, warnings)
        if found is not None:
            queues = sockets.read_queues(found)
            kept, left_out = records.start_sockets(found, *procread.rmem_limits(proc_path))
            if left_out:
                warnings.append('socket_buffers: %d sockets the pinned rule may name left out of start (at most %d '
                                'kept): only the kept ones can be named' % (left_out, records.MAX_START_SOCKETS))
    result = {'changed': False, 'start': records.build_start(snap, kept, queues)}
    if params['load_baseline']:
        result['baseline'], result['baseline_error'] = load_baseline(params['state_dir'])
    return result


def phase_end(module, proc_path, keys, warnings):
    params = module.params
    try:
        start = records.validate_start(params['start'])
    except records.RecordError as exc:
        raise WindowError('start is not what phase=start returned: %s' % exc, exc.rule, exc.entry)
    page_size = os.sysconf('SC_PAGE_SIZE')
    snap = procread.read_snapshot(proc_path, page_size, warnings)
    sysctl = sysctl_scope.read_sysctls(keys, proc_path)
    socket_buffers = None
    if params['socket_buffers']:
        socket_buffers = procread.socket_buffers(module, proc_path, warnings, sysctl, earlier=start.get('sockets'),
                                                 seconds=snap['monotonic'] - start['monotonic'],
                                                 earlier_queues=start.get('queues'))
    tcp_memory = procread.read_tcp_memory(proc_path, snap['sockstat'], page_size, sysctl)
    record = records.build_record(start, snap, sysctl, socket_buffers, params['kind'], params['host'],
                                  tcp_memory=tcp_memory)
    try:
        # never return (or store) a record the controller would refuse to read back
        records.decode_record(record, 'the record of this window')
    except records.RecordError as exc:
        raise WindowError(to_native(exc), exc.rule, exc.entry)
    result = {'changed': False, 'record': record, 'window_seconds': record['window']['seconds'], 'stored': None}
    if params['store_baseline']:
        result['changed'] = True
        if not module.check_mode:
            result['stored'] = store_baseline(params['state_dir'], record)
    return result


def run(module):
    params = module.params
    phase = params['phase']
    proc_path = params['proc_path']
    warnings = []
    try:
        check_state_dir(params['state_dir'], 'state_dir')
    except ProfileError as exc:
        raise WindowError(to_native(exc), exc.rules[0])
    for option, wanted in (('start', phase == 'end'), ('load_baseline', phase == 'start'),
                           ('store_baseline', phase == 'end')):
        if params[option] and not wanted:
            raise WindowError('%s is not used with phase=%s' % (option, phase), 'phase')
    keys = params['sysctls']
    if keys is None:
        keys = list(sysctl_scope.MANAGED_KEYS)
    for key in keys:
        sysctl_scope.validate_key(key)
    if not os.path.isdir(proc_path):
        raise WindowError('proc_path %s is not a directory' % proc_path)
    if phase == 'start':
        result = phase_start(module, proc_path, warnings)
    else:
        result = phase_end(module, proc_path, keys, warnings)
    for warning in warnings:
        module.warn(warning)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            phase=dict(type='str', required=True, choices=['start', 'end']),
            start=dict(type='dict'),
            kind=dict(type='str', default='verify', choices=['baseline', 'verify']),
            host=dict(type='str'),
            socket_buffers=dict(type='bool', default=False),
            load_baseline=dict(type='bool', default=False),
            store_baseline=dict(type='bool', default=False),
            state_dir=dict(type='path', default='/var/lib/netfleet-tuning'),
            proc_path=dict(type='path', default='/proc'),
            sysctls=dict(type='list', elements='str'),
        ),
        required_if=[('phase', 'end', ('start',))],
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except WindowError as exc:
        extra = dict((name, value) for name, value in (('rule', exc.rule), ('entry', exc.entry)) if value is not None)
        module.fail_json(msg=to_native(exc), **extra)
    except hostfs.UnsafePathError as exc:
        module.fail_json(msg=to_native(exc), rule=exc.rule)
    except procread.READ_ERRORS + (hostfs.FileOpError,) as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg=to_native(procread.os_error_message(exc)))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
