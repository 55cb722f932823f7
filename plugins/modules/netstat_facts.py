#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: netstat_facts
short_description: Gather TCP/IP counters, softnet drops and network sysctls from /proc as facts
version_added: 0.1.0
description:
  - Reads C(<proc_path>/net/netstat), C(net/snmp), C(net/snmp6) (when present), C(net/sockstat),
    C(net/softnet_stat), C(sys/kernel/random/boot_id) and the live values of network sysctl keys,
    and returns them under one fact, C(ansible_facts.netstat).
  - Parsing is driven by the kernel's own header lines, so counters are reported by name whatever the
    kernel version and order; counters this kernel does not have are absent, never invented as 0.
  - With O(sample_seconds) it reads everything twice, that many seconds apart, and adds C(rates)
    (deltas, per second and per million Tcp InSegs, or per million Tcp OutSegs for the retransmission
    metrics), valid only when the boot did not change and no counter went backwards.
  - Each sysctl key gets a scope read from the live system, C(netns) (writable here), C(host) (read-only
    here, or a key the kernel registers only in the initial network namespace while this runs in a
    child one) or C(absent) (unknown to this kernel).
  - C(tcp_memory) says where the host's TCP memory (C(net/sockstat) C(TCP ... mem)) stands against
    C(net.ipv4.tcp_mem) (C(<proc_path>/sys/net/ipv4/tcp_mem)), as below low, between, in pressure or above high.
    Both are host scope; in a child network namespace C(tcp_mem) does not exist, and the state is then
    C(null) with a note saying so, never a guess.
  - Optionally names the established TCP sockets whose receive buffer an application pinned with
    C(SO_RCVBUF), which no sysctl helps, with their owning process (O(socket_buffers)), and writes the
    counters in Prometheus text format for node_exporter's
    textfile collector (O(textfile)).
  - Files under C(/proc/sys/net) and the sockets seen by C(ss) always belong to the network namespace the
    module runs in, also when O(proc_path) points at another procfs mount.
author:
  - netfleet.tuning contributors (@netfleet)
extends_documentation_fragment:
  - netfleet.tuning.attributes
  - netfleet.tuning.attributes.platform
attributes:
  check_mode:
    support: full
    details: Facts are gathered in check mode too; the O(textfile) write is skipped.
  diff_mode:
    support: none
  facts:
    description: Action returns an C(ansible_facts) dictionary that will update existing host facts.
    support: full
options:
  proc_path:
    description:
      - Where procfs is mounted, like node_exporter's C(--path.procfs).
    type: path
    default: /proc
  sample_seconds:
    description:
      - When above 0, read the counters, wait this many seconds, read them again and add C(rates).
      - At most 3600.
    type: int
    default: 0
  counters:
    description:
      - Limit C(counters) (and the counters in C(rates) and O(textfile)) to these C(Group.Name) patterns,
        shell-style globs matched case-sensitively, for example C(TcpExt.PruneCalled) or C(TcpExt.TCP*).
      - A pattern without a dot means the whole group (C(Tcp) is C(Tcp.*)).
      - C(metrics) are always computed from all counters.
      - Empty (the default) keeps every counter.
    type: list
    elements: str
    default: []
  sysctls:
    description:
      - Sysctl keys to report under C(sysctl) with their live value and scope.
      - Each key must match C(net.<part>.<part>[.<part>[.<part>]]) with parts of lower case letters,
        digits and underscores.
      - Defaults to the keys the C(netfleet.tuning.sysctl_profile) role manages.
    type: list
    elements: str
  socket_buffers:
    description:
      - Run C(ss -tmipn state established) (argv list, C(LC_ALL=C), found with C(get_bin_path)) and report
        the established TCP sockets whose receive buffer an application pinned (C(SO_RCVBUF), which the kernel
        doubles and which turns receive autotuning off for that socket, so no sysctl helps it).
      - The rule needs two reads, so it runs only with O(sample_seconds) (ss then runs at both reads). A
        socket is pinned when it received at least max(256 KiB, a quarter of its buffer) per second between the reads
        (idle and lightly used sockets never count), kept the same buffer (C(rb)) below the C(net.ipv4.tcp_rmem) maximum, and either its
        receive window scale is lower than an unlocked socket's and equal to what its own buffer gives
        (C(SO_RCVBUF) set before connect; a connection opened before the sysctls were raised does not match),
        or its buffer is below the C(tcp_rmem) default on a socket opened under the current sysctls
        (C(SO_RCVBUF) set after connect). Reasoning, limits and the lab calibration are in docs/reference.md.
      - The owning process (name, pid) comes from C(ss -p), which shows it to root only.
      - Skipped with a warning when C(ss) is not installed, fails, prints more than 64 MiB or prints text the
        parser refuses.
    type: bool
    default: false
  textfile:
    description:
      - Also write the counters (those O(counters) keeps, plus always the sources of C(metrics) such as
        C(TcpExt.PruneCalled)) and the softnet totals to this file in Prometheus
        text exposition format, for node_exporter's textfile collector (use a C(.prom) name in its directory).
      - Metric names are C(netfleet_netstat_<Group>_<Name>), so the receive-queue counters node_exporter drops
        by default (C(TcpExt PruneCalled), C(TCPRcvCollapsed), C(RcvPruned), C(OfoPruned)) are exported
        without clashing with node_exporter's own C(node_netstat_*) series.
      - The TCP memory as gauges, each only when known, C(netfleet_tcp_memory_pages) (sockstat TCP mem),
        C(netfleet_tcp_memory_limit_pages) with a C(limit) label (C(low), C(pressure), C(high), from C(net.ipv4.tcp_mem);
        absent in a child network namespace) and C(netfleet_tcp_memory_state) with a C(state) label, 1 for the
        state of C(tcp_memory.state) and 0 for the other three (absent when the state is not told).
      - Written atomically (a temporary file in the same directory, mode C(0644), then renamed). The directory must
        exist. A symbolic link at this path is refused, never followed.
      - Not written in check mode. Writing it does not make the task C(changed).
    type: path
notes:
  - A missing optional file (for example C(net/snmp6) with IPv6 disabled) gives a warning and the rest of the facts.
    A file that does not have the expected shape fails the task with the file name and line.
  - Run as root (C(become)) so that the sysctl scope is right; for a non-root user most keys look read-only.
seealso:
  - name: netfleet.tuning reference
    description: The metrics, the scope rules and the socket buffer rule in detail.
    link: https://github.com/netfleet/tuning/blob/main/docs/reference.md
'''

EXAMPLES = r'''
- name: Gather counters, softnet and sysctl scope
  netfleet.tuning.netstat_facts:

- name: Show pruning and collapsing since boot
  ansible.builtin.debug:
    msg: "{{ ansible_facts.netstat.metrics.prune_called }} pruned, {{ ansible_facts.netstat.metrics.rcv_collapsed }} collapsed"

- name: Measure a 30 second window
  netfleet.tuning.netstat_facts:
    sample_seconds: 30
    counters:
      - TcpExt.PruneCalled
      - TcpExt.TCPRcvCollapsed
      - Tcp.InSegs

- name: Pruning per million received segments in that window
  ansible.builtin.debug:
    msg: "{{ ansible_facts.netstat.rates.metrics.prune_called.per_million_segs }}"
  when: ansible_facts.netstat.rates.valid

- name: Find applications that pin their receive buffers (SO_RCVBUF), under load (two reads, 10 s apart)
  netfleet.tuning.netstat_facts:
    socket_buffers: true
    sample_seconds: 10
  become: true

- name: Name them (process, pid, buffer, endpoints)
  ansible.builtin.debug:
    msg: "{{ ansible_facts.netstat.socket_buffers.pinned_groups }}"
  when: ansible_facts.netstat.socket_buffers.pinned | default(0, true) > 0

- name: Retransmission rate of that window, in percent of the segments sent
  ansible.builtin.debug:
    msg: "{{ (ansible_facts.netstat.rates.metrics.retrans_segs.per_million_segs | default(0, true)) / 10000 }} %"
  when: ansible_facts.netstat.rates.valid and 'retrans_segs' in ansible_facts.netstat.rates.metrics

- name: Warn when TCP is in memory pressure (gather in the host's initial network namespace to know)
  ansible.builtin.debug:
    msg: "TCP memory {{ ansible_facts.netstat.tcp_memory.pages }} pages: {{ ansible_facts.netstat.tcp_memory.state }}"
  when: ansible_facts.netstat.tcp_memory.state in ['pressure', 'above_high']

- name: Export the counters node_exporter drops by default
  netfleet.tuning.netstat_facts:
    textfile: /var/lib/node_exporter/textfile_collector/netfleet_netstat.prom
'''

RETURN = r'''
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: dict
  contains:
    netstat:
      description: Everything this module read, under one key.
      returned: always
      type: dict
      contains:
        counters:
          description:
            - C(/proc/net/netstat), C(snmp) and C(snmp6) values by group and name, as integers (any size, may be
              negative, for example Tcp MaxConn -1). Filtered by O(counters).
          returned: always
          type: dict
          sample: {"TcpExt": {"PruneCalled": 0, "TCPRcvCollapsed": 0}, "Tcp": {"InSegs": 1568, "MaxConn": -1},
                   "Ip6": {"InReceives": 1}}
        sockstat:
          description:
            - C(/proc/net/sockstat) by protocol. C(mem) is in pages; C(mem_bytes) is C(mem) times the page size.
            - C(null) when the file is missing.
          returned: always
          type: dict
          sample: {"sockets_used": 10, "TCP": {"inuse": 1, "orphan": 0, "tw": 0, "alloc": 1, "mem": 17,
                   "mem_bytes": 69632}, "UDP": {"inuse": 0, "mem": 0, "mem_bytes": 0}}
        softnet:
          description:
            - C(/proc/net/softnet_stat) per CPU (C(cpu), C(processed), C(dropped), C(time_squeeze) and the extra
              columns this kernel prints, such as C(received_rps), C(flow_limit_count), C(backlog_len)) and the
              C(total) of processed, dropped and time_squeeze. C(null) when the file is missing.
          returned: always
          type: dict
          sample: {"cpus": [{"cpu": 0, "processed": 18, "dropped": 0, "time_squeeze": 0}],
                   "total": {"processed": 18, "dropped": 0, "time_squeeze": 0}}
        sysctl:
          description:
            - Per key, C(value) (whitespace collapsed to single spaces, C(null) when the key does not exist) and
              C(scope) (C(netns), C(host) or C(absent)); C(error) when the key exists but cannot be read.
          returned: always
          type: dict
          sample: {"net.ipv4.tcp_rmem": {"value": "4096 131072 33554432", "scope": "netns"},
                   "net.core.netdev_max_backlog": {"value": null, "scope": "host"}}
        tcp_memory:
          description:
            - Where the TCP memory of the whole host stands against C(net.ipv4.tcp_mem), at the (last) read.
            - C(pages) (sockstat C(TCP ... mem), the pages all TCP sockets hold, one figure for the host, the same in
              every network namespace), C(bytes) (C(pages) times C(page_size)), C(page_size).
            - C(tcp_mem) (C(low), C(pressure), C(high), in pages) and C(tcp_mem_bytes) (the same in bytes), C(null)
              when C(net.ipv4.tcp_mem) cannot be read; it exists only in the host's initial network namespace.
            - C(state), in the kernel's terms, C(below_low) (pages at or below low, no pressure), C(between) (above
              low, at or below pressure; TCP enters pressure above pressure and leaves it only at or below low,
              so it may still be in pressure, never read it as no pressure), C(pressure) (above pressure, in memory
              pressure, buffers stop growing and receive windows shrink) or C(above_high) (above high, new
              allocations refused, receivers prune and drop). C(null) when either side is unknown, also in every child
              network namespace (a container, C(ip netns exec)), where C(tcp_mem) is not visible.
            - C(scope) is always C(host). C(note) says why the state is C(null), or for C(between) that TCP may
              still be in pressure; C(null) otherwise.
          returned: always
          type: dict
          sample: {"pages": 2660, "bytes": 10895360, "page_size": 4096, "tcp_mem": null, "tcp_mem_bytes": null,
                   "state": null, "scope": "host",
                   "note": "net.ipv4.tcp_mem is host scope and not visible in this network namespace (a child one):
                            the state against it is not told here; ..."}
        metrics:
          description:
            - The named metrics, integers since boot. What tuning should lower, C(prune_called) (TcpExt PruneCalled),
              C(rcv_collapsed) (TcpExt TCPRcvCollapsed), C(rcv_pruned) (TcpExt RcvPruned), C(ofo_pruned) (TcpExt
              OfoPruned), C(backlog_drop) (TcpExt TCPBacklogDrop), C(rcvq_drop) (TcpExt TCPRcvQDrop) and
              C(softnet_dropped) (softnet total dropped).
            - What bigger buffers must not make worse, C(memory_pressures) (TcpExt TCPMemoryPressures, times TCP
              entered memory pressure), C(memory_pressure_ms) (TcpExt TCPMemoryPressuresChrono, milliseconds in
              pressure, added when TCP leaves it), C(retrans_segs) (Tcp RetransSegs), C(lost_retransmit) (TcpExt
              TCPLostRetransmit), C(timeouts) (TcpExt TCPTimeouts), C(listen_overflows) (TcpExt ListenOverflows) and
              C(listen_drops) (TcpExt ListenDrops).
            - The denominators of the rates, C(in_segs) (Tcp InSegs) and C(out_segs) (Tcp OutSegs).
            - A metric is absent when this kernel does not have its source (TCPRcvQDrop and TCPMemoryPressuresChrono
              are missing on older kernels), never 0.
          returned: always
          type: dict
          sample: {"prune_called": 0, "rcv_collapsed": 0, "memory_pressures": 0, "retrans_segs": 12, "timeouts": 2,
                   "listen_overflows": 0, "in_segs": 1568, "out_segs": 1402, "softnet_dropped": 0}
        boot_id:
          description: C(/proc/sys/kernel/random/boot_id), C(null) when missing.
          returned: always
          type: str
          sample: 909edf35-58eb-4858-ad76-ccff11ccf7a7
        netns:
          description:
            - The identity of the network namespace the counters were read in (the link
              C(<proc_path>/self/ns/net)), C(null) when it cannot be read. A recreated namespace (a restarted
              container or pod) keeps the boot_id but gets a new identity, and its counters start from 0.
          returned: always
          type: str
          sample: "net:[4026531840]"
        collected_at:
          description: When the (last) read happened, ISO-8601 UTC.
          returned: always
          type: str
          sample: "2026-01-15T10:00:00.123Z"
        monotonic:
          description:
            - C(CLOCK_MONOTONIC) seconds at the (last) read. Together with C(boot_id), C(counters) and C(metrics)
              this makes the facts a snapshot that two module runs can be compared with.
          returned: always
          type: float
          sample: 12345.678
        rates:
          description:
            - The window between the two reads. C(valid) is false (and C(invalid_reason) says why) when boot_id
              changed or a counter went backwards. C(in_segs) is the Tcp InSegs delta. For each metric and
              counter, C(delta), C(per_second) and C(per_million_segs). Gauges such as Tcp CurrEstab are left out.
            - C(per_million_segs) is per million Tcp InSegs of the window, except for C(retrans_segs),
              C(lost_retransmit) and C(timeouts) (and their counters), which are per million Tcp OutSegs. So the
              retransmission rate is C(rates.metrics.retrans_segs.per_million_segs) (Tcp RetransSegs per million
              segments sent; divide by 10000 for percent) and C(rates.metrics.retrans_segs.per_second).
              C(per_million_segs) is C(null) when its denominator's delta is 0 or unknown, and for C(in_segs) and
              C(out_segs) themselves.
            - A metric this kernel lacks is absent here too, never a rate of 0.
          returned: when O(sample_seconds) > 0
          type: dict
          sample: {"seconds": 2.0, "valid": true, "invalid_reason": null, "in_segs": 1000,
                   "metrics": {"prune_called": {"delta": 4, "per_second": 2.0, "per_million_segs": 4000.0},
                               "retrans_segs": {"delta": 3, "per_second": 1.5, "per_million_segs": 2500.0},
                               "out_segs": {"delta": 1200, "per_second": 600.0, "per_million_segs": null}},
                   "counters": {"TcpExt": {"PruneCalled": {"delta": 4, "per_second": 2.0, "per_million_segs": 4000.0}}}}
        socket_buffers:
          description:
            - C(rule) (the rule in words), the live C(tcp_rmem_default), C(tcp_rmem_max) and C(rmem_max)
              (C(net.core.rmem_max), C(null) when unreadable), C(unlocked_wscale) (the receive window scale a
              socket without C(SO_RCVBUF) gets when it connects now), C(established) and C(with_rb) (sockets
              with an rb value).
            - C(pinned) (how many sockets the rule names), C(pinned_cases) (how many by each case,
              C(locked_at_connect) and C(below_default)) and C(pinned_groups), up to 10 groups by owning
              process, local and peer address (the ephemeral side's port shown as C(*)) and case, most
              sockets first, each with C(process) and C(pid) (C(null) when ss did not show them), C(local),
              C(peer), C(case), C(sockets), C(rb_min), C(rb_max), C(rcv_wscale), C(received_bytes) (between the
              reads) and C(drops) (skmem C(d), sk_drops, at the second read). These four are C(null) without
              O(sample_seconds).
            - One read's plain observation, kept from earlier versions, C(pinned_below_default) (sockets whose
              rb is below the tcp_rmem default, pinned ones and ones opened before the default was raised),
              C(pinned_drops) (their skmem drop counts) and C(offenders) (their groups by local and peer address).
            - C(queues), over the established TCP sockets of every read (both with O(sample_seconds)), C(reads) (1
              or 2), C(sockets) (socket samples counted, a socket seen at both reads counting twice),
              C(recv_q_max) and C(recv_q_p99) (Recv-Q, bytes received the application has not read),
              C(send_q_max) and C(send_q_p99) (Send-Q, bytes sent and not yet acknowledged), and
              C(at_rcvbuf_limit), the socket samples whose receive memory (skmem C(r)) was at least 90 % of their
              receive buffer (skmem C(rb)) at a read, where the next burst that does not fit makes the kernel
              prune the queue (PruneCalled, then collapsing, then dropping). The p99 is by nearest rank (the value
              at rank ceil(0.99 n) of a read's n values sorted ascending), and over two reads the larger of the
              two reads' p99, never below the p99 of all values pooled. The four peaks are C(null) when no
              socket was counted.
          returned: when O(socket_buffers) is true and ss ran
          type: dict
          sample: {"tcp_rmem_default": 87380, "tcp_rmem_max": 16777216, "rmem_max": 4194304, "unlocked_wscale": 9,
                   "established": 8, "with_rb": 8, "pinned": 8,
                   "pinned_cases": {"locked_at_connect": 8, "below_default": 0},
                   "pinned_groups": [{"process": "python3", "pid": 4121, "local": "198.18.57.11:*",
                                      "peer": "198.18.57.2:8080", "case": "locked_at_connect", "sockets": 8,
                                      "rb_min": 131072, "rb_max": 131072, "rcv_wscale": 1,
                                      "received_bytes": 216000000, "drops": 96}],
                   "pinned_below_default": 0, "pinned_drops": 0, "offenders": [],
                   "queues": {"reads": 2, "sockets": 16, "recv_q_max": 128512, "recv_q_p99": 128512,
                              "send_q_max": 68, "send_q_p99": 68, "at_rcvbuf_limit": 3}}
textfile:
  description: What happened to O(textfile).
  returned: when O(textfile) is set
  type: dict
  contains:
    path:
      description: The file.
      type: str
      returned: always
    written:
      description: Whether it was written (false in check mode).
      type: bool
      returned: always
    lines:
      description: Number of lines rendered.
      type: int
      returned: always
  sample: {"path": "/var/lib/node_exporter/textfile_collector/netfleet_netstat.prom", "written": true, "lines": 453}
'''

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.netfleet.tuning.plugins.module_utils import hostfs
from ansible_collections.netfleet.tuning.plugins.module_utils import procnet
from ansible_collections.netfleet.tuning.plugins.module_utils import procread
from ansible_collections.netfleet.tuning.plugins.module_utils import promtext
from ansible_collections.netfleet.tuning.plugins.module_utils import rates
from ansible_collections.netfleet.tuning.plugins.module_utils import sockets
from ansible_collections.netfleet.tuning.plugins.module_utils import sysctl_scope

MAX_SAMPLE_SECONDS = 3600


class FactsError(Exception):
    """An error to report with fail_json (message only, no traceback)."""


def _normalise_patterns(patterns):
    try:
        return procnet.counter_patterns(patterns)
    except ValueError as exc:
        raise FactsError('counters: %s' % exc)


# the counter selection lives in module_utils (shared with the netstat_exporter role's program)
filter_counters = procnet.filter_counters
textfile_counters = promtext.textfile_counters


def _filter_rate_counters(window, patterns):
    if patterns:
        window['counters'], _unused = filter_counters(window['counters'], patterns)
    return window


def write_textfile(path, content):
    """Replace the textfile atomically (hostfs.write_atomic: mode 0644, never through a link)."""
    directory = os.path.dirname(os.path.abspath(path)) or '.'
    if not os.path.isdir(directory):
        raise FactsError('textfile: directory %s does not exist' % directory)
    try:
        hostfs.write_atomic(path, content, 0o644, 'textfile')
    except (hostfs.UnsafePathError, hostfs.FileOpError) as exc:
        raise FactsError(to_native(exc))


def gather(module):
    """Everything the module returns, as a dict for exit_json."""
    params = module.params
    proc_path = params['proc_path']
    sample_seconds = params['sample_seconds']
    warnings = []

    if sample_seconds < 0 or sample_seconds > MAX_SAMPLE_SECONDS:
        raise FactsError('sample_seconds must be between 0 and %d, got %d' % (MAX_SAMPLE_SECONDS, sample_seconds))
    patterns = _normalise_patterns(params['counters'] or [])
    keys = params['sysctls']
    if keys is None:
        keys = list(sysctl_scope.MANAGED_KEYS)
    for key in keys:
        sysctl_scope.validate_key(key)
    if not os.path.isdir(proc_path):
        raise FactsError('proc_path %s is not a directory' % proc_path)

    page_size = os.sysconf('SC_PAGE_SIZE')
    want_ss = params['socket_buffers']
    first_sockets = first_queues = None

    if sample_seconds > 0:
        first = procread.read_snapshot(proc_path, page_size, warnings, monotonic=time.monotonic)
        if want_ss:
            first_sockets = procread.run_ss(module, warnings)
            if first_sockets is not None:
                first_queues = sockets.read_queues(first_sockets)
        time.sleep(sample_seconds)
        # the second read repeats the first one's warnings: keep each once
        second_warnings = []
        snap = procread.read_snapshot(proc_path, page_size, second_warnings, monotonic=time.monotonic)
        warnings.extend(w for w in second_warnings if w not in warnings)
    else:
        first = None
        snap = procread.read_snapshot(proc_path, page_size, warnings, monotonic=time.monotonic)

    counters, unused = filter_counters(snap['counters'], patterns)
    for pattern in unused:
        warnings.append('counters: pattern %s matched no counter' % pattern)

    sysctl = sysctl_scope.read_sysctls(keys, proc_path)
    facts = {
        'counters': counters,
        'sockstat': snap['sockstat'],
        'softnet': snap['softnet'],
        'sysctl': sysctl,
        'tcp_memory': procread.read_tcp_memory(proc_path, snap['sockstat'], page_size, sysctl),
        'metrics': snap['metrics'],
        'boot_id': snap['boot_id'],
        'netns': snap['netns'],
        'collected_at': snap['collected_at'],
        'monotonic': snap['monotonic'],
    }
    if first is not None:
        facts['rates'] = _filter_rate_counters(rates.window(first, snap), patterns)

    if want_ss:
        summary = procread.socket_buffers(module, proc_path, warnings, facts['sysctl'], earlier=first_sockets,
                                          seconds=snap['monotonic'] - first['monotonic'] if first else None,
                                          earlier_queues=first_queues)
        if summary is not None:
            facts['socket_buffers'] = summary

    result = {'changed': False, 'ansible_facts': {'netstat': facts}}
    if params['textfile']:
        timestamp = time.time()
        content = promtext.render(textfile_counters(snap['counters'], counters),
                                  (snap['softnet'] or {}).get('total'), timestamp=timestamp,
                                  tcp_memory=facts['tcp_memory'])
        info = {'path': params['textfile'], 'written': False, 'lines': content.count('\n')}
        if not params['textfile'].endswith('.prom'):
            warnings.append('textfile: node_exporter reads only files ending in .prom')
        if not module.check_mode:
            write_textfile(params['textfile'], content)
            info['written'] = True
        result['textfile'] = info
    for warning in warnings:
        module.warn(warning)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            proc_path=dict(type='path', default='/proc'),
            sample_seconds=dict(type='int', default=0),
            counters=dict(type='list', elements='str', default=[]),
            sysctls=dict(type='list', elements='str'),
            socket_buffers=dict(type='bool', default=False),
            textfile=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    try:
        result = gather(module)
    except procread.READ_ERRORS + (FactsError,) as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg=to_native(procread.os_error_message(exc)))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
