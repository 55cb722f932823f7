#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calibrate the pinned receive buffer rule (issue 17) on a netlab lab, and check it.

Root only (netlab). Bounded: one 1-host lab of its own (``--lab``, default ``nlcal``, removed at the
end unless ``--keep``), one JSON load at a time (netlab's machine-wide lock), each ``--seconds``
long (default 30), one per scenario:

  autotuned       tcp_rmem 4096 87380 16777216 before the load: fresh autotuned connections
  pre_tuning      the load starts untuned (the lab's 4096 16384 65536), tcp_rmem is raised to the
                  tuned value ``--raise-at`` seconds in: connections opened BEFORE the tuning, as in
                  the rollout playbooks (one load across baseline, rollout and verify)
  pin_<N>         tuned, the consumer sets SO_RCVBUF N before connect (--pins, default
                  8192,65536,262144,1048576)
  pin_<N>_pre     like pre_tuning, with the pin (--pre-pins, default 65536)

Beside the load, tools/netlab/sockhelper.py holds idle, light and SO_RCVBUF-after-connect sockets in
the same host. In each scenario, ``ss -tmipn state established`` (LC_ALL=C) is read twice in the host,
at ``--reads`` seconds (default 12,22), and saved as text; the load's summary (PruneCalled,
TCPRcvCollapsed) too. Then every socket goes through the collection's own rule
(plugins/module_utils/sockets.py, ``pinned_case`` with the earlier read and the seconds between the
reads) and the script prints one Markdown table, per scenario and kind of socket, of what it measured
and what the rule said (also written to <out>/table.md): the table in docs/reference.md
("socket_buffers") comes from it, and tests/unit/fixtures/ss/pinned-lab-6.18 holds one run's reads.
``--analyze DIR`` re-runs only the analysis on a saved run (no root, no lab).

  sudo .venv/bin/python bench/pinned_calibration.py                  # about 4 minutes
  sudo .venv/bin/python bench/pinned_calibration.py --analyze .cache/calibration/pinned-<stamp>
"""

from __future__ import (absolute_import, division, print_function)

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
NETLAB = os.path.join(REPO, 'tools', 'netlab', 'netlab')
sys.path.insert(0, os.path.join(REPO, '.cache', 'collections'))

TUNED = '4096 87380 16777216'
UNTUNED = '4096 16384 65536'
SS_ARGV = ['env', 'LC_ALL=C', 'ss', '-tmipn', 'state', 'established']
API_PORT = '8080'

# Beside the load, in the same host (tools/netlab/sockhelper.py): idle and light sockets that must never
# be named, and one with SO_RCVBUF 8 KB set after connect (busy) that must be, as below_default, when it was
# opened under the sysctls of the reads.
SOCKHELPER = os.path.join(REPO, 'tools', 'netlab', 'sockhelper.py')


def run(argv, timeout=120, check=True):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise SystemExit('%s exited %d: %s' % (' '.join(argv), proc.returncode, proc.stderr.strip()[-2000:]))
    return proc


def scenarios(pins, pre_pins):
    out = [{'name': 'autotuned', 'pin': 0, 'pre': False}, {'name': 'pre_tuning', 'pin': 0, 'pre': True}]
    out += [{'name': 'pin_%d' % pin, 'pin': pin, 'pre': False} for pin in pins]
    out += [{'name': 'pin_%d_pre' % pin, 'pin': pin, 'pre': True} for pin in pre_pins]
    return out


def measure(lab, scenario, seconds, reads, raise_at, outdir):
    """One load with two ss reads; writes <name>.ss1.txt, <name>.ss2.txt, <name>.load.json."""
    name = scenario['name']
    run([NETLAB, 'sysctl', '--name', lab, 'net.ipv4.tcp_rmem=%s' % (UNTUNED if scenario['pre'] else TUNED)])
    load_json = os.path.join(outdir, '%s.load.json' % name)
    argv = [NETLAB, 'load', '--name', lab, '--seconds', str(seconds), '--hosts', 'h01', '--json', load_json]
    if scenario['pin']:
        argv += ['--pin-rcvbuf', str(scenario['pin'])]
    api = json.loads(run([NETLAB, 'status', '--name', lab]).stdout)['api']['address']
    idle = subprocess.Popen([NETLAB, 'exec', '--name', lab, 'h01', '--', 'python3', SOCKHELPER, '--api', api,
                             '--seconds', str(seconds), 'idle', 'light', 'late'],
                            stdout=subprocess.PIPE, universal_newlines=True)
    ports = json.loads(idle.stdout.readline())
    load = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    start = time.monotonic()
    events = []
    if scenario['pre']:
        events.append((raise_at, 'raise'))
    events += [(at, 'ss%d' % (i + 1)) for i, at in enumerate(reads)]
    stamps = {}
    try:
        for at, what in sorted(events):
            time.sleep(max(0.0, start + at - time.monotonic()))
            stamps[what] = round(time.monotonic() - start, 2)
            if what == 'raise':
                run([NETLAB, 'sysctl', '--name', lab, 'net.ipv4.tcp_rmem=%s' % TUNED])
            else:
                text = run([NETLAB, 'exec', '--name', lab, 'h01', '--'] + SS_ARGV, timeout=30).stdout
                with open(os.path.join(outdir, '%s.%s.txt' % (name, what)), 'w') as handle:
                    handle.write(text)
        output = load.communicate(timeout=seconds + 120)[0]
    finally:
        for proc in (load, idle):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    sysctl = run([NETLAB, 'exec', '--name', lab, 'h01', '--', 'cat', '/proc/sys/net/ipv4/tcp_rmem',
                  '/proc/sys/net/core/rmem_max']).stdout.split('\n')
    meta = {'scenario': scenario, 'stamps': stamps, 'helper_ports': ports, 'load_output': output[-3000:],
            'tcp_rmem': ' '.join(sysctl[0].split()), 'rmem_max': sysctl[1].strip(), 'kernel': os.uname().release}
    with open(os.path.join(outdir, '%s.meta.json' % name), 'w') as handle:
        json.dump(meta, handle, indent=1, sort_keys=True)
    print('%-16s done at %s' % (name, stamps), file=sys.stderr)


def _spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return '-'
    low, high = min(values), max(values)
    return '{:,}'.format(low) if low == high else '{:,}-{:,}'.format(low, high)


def analyze(outdir):
    """-> (Markdown table, rows): per scenario and kind of socket, what ss showed and what the rule said.

    Kinds: ``load`` (the JSON consumers: pinned in pin_* scenarios, autotuned otherwise), ``late`` (SO_RCVBUF
    8 KB set after connect, busy), ``light`` (a body every 6 s), ``idle`` (one body, then nothing).
    """
    from ansible_collections.netfleet.tuning.plugins.module_utils import sockets
    rows = []
    names = sorted(n[:-len('.meta.json')] for n in os.listdir(outdir) if n.endswith('.meta.json'))
    for name in names:
        with open(os.path.join(outdir, '%s.meta.json' % name)) as handle:
            meta = json.load(handle)
        reads = []
        for which in ('ss1', 'ss2'):
            with open(os.path.join(outdir, '%s.%s.txt' % (name, which))) as handle:
                reads.append(sockets.parse_ss(handle.read()))
        first, second = reads
        counters = {}
        path = os.path.join(outdir, '%s.load.json' % name)
        if os.path.exists(path):
            with open(path) as handle:
                counters = json.load(handle).get('total', {}).get('counters', {})
        before = dict(((s['local'], s['peer']), s) for s in first)
        rmem = [int(x) for x in meta['tcp_rmem'].split()]
        rmem_max = int(meta['rmem_max'])
        seconds = meta['stamps']['ss2'] - meta['stamps']['ss1']
        rule = (rmem[1], rmem[2], rmem_max, seconds)
        ports = meta.get('helper_ports') or {}
        kinds = dict((str(port), kind) for kind in ('idle', 'light', 'late') for port in ports.get(kind, []))
        groups = {}
        for sock in second:
            if sockets.split_endpoint(sock['peer'])[1] != API_PORT:
                kind = 'other'
            else:
                kind = kinds.get(sockets.split_endpoint(sock['local'])[1], 'load')
            groups.setdefault(kind, []).append(sock)
        for kind in ('load', 'late', 'light', 'idle', 'other'):
            group = groups.get(kind, [])
            if not group:
                continue
            olds = [before.get((s['local'], s['peer'])) for s in group]
            rows.append({
                'scenario': name,
                'kind': kind,
                'sockets': len(group),
                'rb': _spread([s['skmem'].get('rb') for s in group]),
                'rb_same': sum(1 for s, o in zip(group, olds) if o and o['skmem'].get('rb') == s['skmem'].get('rb')),
                'rcv_wscale': _spread([s.get('rcv_wscale') for s in group]),
                'unlocked_wscale': sockets.unlocked_wscale(rmem[2], rmem_max),
                'locked_wscales': _spread(sorted(set(w for s in group for w in sockets.locked_wscales(
                    s['skmem'].get('rb') or 1)))),
                'rcv_space': _spread([s.get('rcv_space') for s in group]),
                'kb_per_s': _spread([None if sockets.received_between(s, o) is None
                                     else int(sockets.received_between(s, o) / seconds / 1000)
                                     for s, o in zip(group, olds)]),
                'named': sum(1 for s, o in zip(group, olds) if sockets.pinned_case(s, o, *rule)),
                'cases': ','.join(sorted(set(filter(None, (sockets.pinned_case(s, o, *rule)
                                                           for s, o in zip(group, olds)))))) or '-',
                'prune': counters.get('PruneCalled') if kind == 'load' else None,
                'collapsed': counters.get('TCPRcvCollapsed') if kind == 'load' else None,
            })
    head = ('scenario', 'kind', 'sockets', 'rb', 'rb_same', 'rcv_wscale', 'unlocked_wscale', 'locked_wscales',
            'rcv_space', 'kb_per_s', 'named', 'cases', 'prune', 'collapsed')
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for row in rows:
        lines.append('| ' + ' | '.join('-' if row[k] is None else (
            '{:,}'.format(row[k]) if isinstance(row[k], int) else str(row[k])) for k in head) + ' |')
    return '\n'.join(lines), rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--lab', default='nlcal', help='lab name of this run (made and removed here)')
    parser.add_argument('--seconds', type=int, default=30, help='each load, seconds (10-60)')
    parser.add_argument('--reads', default='12,22', help='seconds into the load of the two ss reads')
    parser.add_argument('--raise-at', type=float, default=6.0, help='pre-tuning scenarios: raise tcp_rmem then')
    parser.add_argument('--pins', default='8192,65536,262144,1048576')
    parser.add_argument('--pre-pins', default='65536')
    parser.add_argument('--only', default='', help='comma-separated scenario names')
    parser.add_argument('--out', default='', help='output directory (default .cache/calibration/pinned-<stamp>)')
    parser.add_argument('--keep', action='store_true', help='leave the lab up')
    parser.add_argument('--analyze', metavar='DIR', help='only analyze a saved run')
    args = parser.parse_args()
    if args.analyze:
        print(analyze(args.analyze)[0])
        return 0
    if os.geteuid() != 0:
        raise SystemExit('needs root (netlab)')
    if not 10 <= args.seconds <= 60:
        raise SystemExit('--seconds must be 10-60')
    reads = [float(x) for x in args.reads.split(',')]
    if len(reads) != 2 or not 0 < reads[0] < reads[1] < args.seconds:
        raise SystemExit('--reads: two increasing times within --seconds')
    pins = [int(x) for x in args.pins.split(',') if x]
    pre_pins = [int(x) for x in args.pre_pins.split(',') if x]
    todo = scenarios(pins, pre_pins)
    if args.only:
        wanted = set(args.only.split(','))
        todo = [s for s in todo if s['name'] in wanted]
    outdir = args.out or os.path.join(REPO, '.cache', 'calibration', 'pinned-%s' % time.strftime('%Y%m%d-%H%M%S'))
    os.makedirs(outdir, exist_ok=True)
    if run([NETLAB, 'status', '--name', args.lab], check=False).returncode == 0:
        raise SystemExit('a lab named %s is up: pick another --lab (this script removes its own lab only)' % args.lab)
    try:
        run([NETLAB, 'up', '--name', args.lab, '--hosts', '1'], timeout=300)
        for scenario in todo:
            measure(args.lab, scenario, args.seconds, reads, args.raise_at, outdir)
    finally:
        if not args.keep:
            run([NETLAB, 'down', '--name', args.lab], check=False)
    table = analyze(outdir)[0]
    with open(os.path.join(outdir, 'table.md'), 'w') as handle:
        handle.write(table + '\n')
    print(table)
    print('raw data: %s' % outdir, file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
