# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 14: verify calls a canary ``regressed`` when its pruning fell but a guard got worse, names the guard,
and leaves a tuned host with clean guards ``improved``.

One lab of its own (3 hosts; NETFLEET_LAB_NAME, default ``nlgrd``), brought up and deleted by name here.
One bounded `netlab load` for every host (the machine-wide load lock) runs across baseline, role and verify.
Between the role and the verify window, two harms that a network namespace can stage:

- h01, **retransmissions**: an nftables rule in the API host's *input* chain drops 1 in 5 of the packets
  h01 sends, so h01 retransmits its requests (a drop in h01's own output chain would be a local error that TCP
  retries without counting a retransmission).
- h02, **listen queue overflows**: a listener with a backlog of 1 that never accepts, on h02, and a bounded
  stream of connections to it from the API host (whose own counters are not judged), so h02 drops SYNs.

h03 is tuned and left alone. TCP memory pressure (tcp_mem is host scope: lowering it would change the machine's
own sysctls) and softnet drops (netdev_max_backlog and softnet_stat are host-wide) cannot be staged in a network
namespace: unit tests cover them with captured /proc files run through the parsers, the window record and the
verdict (tests/unit/plugins/plugin_utils/test_guards_from_proc.py).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import time

import pytest

from labkit import NETLAB, REPO, own_lab, playbook_path, read_json, rollout_vars

LAB_NAME = os.environ.get('NETFLEET_LAB_NAME', 'nlgrd')
# runs `netlab load`: after the other lab tests (conftest.py)
pytestmark = pytest.mark.load

LOAD_SECONDS = 170
SAMPLE_SECONDS = 15
LISTEN_PORT = 9099
LISTENQ = os.path.join(REPO, 'tools', 'netlab', 'listenq.py')
NFT_TABLE = 'nfguard'


@pytest.fixture(scope='module')
def guard_lab():
    yield from own_lab(LAB_NAME, 3)


def stop(proc, timeout=60):
    """Stop a background command (each ends by itself too) -> its output."""
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[0]


def nft(lab, script):
    """Run an nft script in the API host's namespace (its own ruleset, never the machine's)."""
    return subprocess.run([NETLAB, 'exec', '--name', lab.name, 'api', '--', 'nft', '-f', '-'], input=script,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=True,
                          timeout=30)


def test_a_harmful_canary_is_regressed_and_a_clean_one_improved(guard_lab, tmp_path):
    lab = guard_lab
    state = tmp_path / 'state'
    started = time.monotonic()
    status = json.loads(lab.netlab('status', '--name', lab.name).stdout)
    address = dict((host['label'], host['address'].split('/')[0]) for host in status['hosts'])
    load = subprocess.Popen([NETLAB, 'load', '--name', lab.name, '--seconds', str(LOAD_SECONDS),
                             '--json', str(tmp_path / 'load.json')],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    listener = connector = None
    try:
        time.sleep(8)       # the load's connections are open and busy before the baseline starts
        window = dict(netfleet_sample_seconds=SAMPLE_SECONDS, netfleet_min_segments=10000)
        baseline = lab.playbook('netfleet.tuning.baseline', rollout_vars(state, **window), timeout=120)
        assert baseline.returncode == 0, baseline.stdout[-4000:]
        applied = lab.playbook(playbook_path('apply.yml'), {'rel_out_dir': str(tmp_path)}, timeout=120)
        assert applied.returncode == 0, applied.stdout[-4000:]

        # the harms, from here to the end of the verify window
        nft(lab, 'table inet %s {\n chain input {\n  type filter hook input priority 0; policy accept;\n'
                 '  ip saddr %s numgen random mod 5 == 0 drop\n }\n}\n' % (NFT_TABLE, address['h01']))
        listener = subprocess.Popen([NETLAB, 'exec', '--name', lab.name, 'h02', '--', '/usr/bin/python3', LISTENQ,
                                     'listen', '--port', str(LISTEN_PORT), '--seconds', '90'],
                                    stdout=subprocess.PIPE, universal_newlines=True)
        assert json.loads(listener.stdout.readline()) == {'listening': LISTEN_PORT}
        connector = subprocess.Popen([NETLAB, 'exec', '--name', lab.name, 'api', '--', '/usr/bin/python3', LISTENQ,
                                      'connect', '--to', address['h02'], '--port', str(LISTEN_PORT),
                                      '--count', '600', '--seconds', '60', '--interval', '0.1'],
                                     stdout=subprocess.PIPE, universal_newlines=True)
        verify = lab.playbook('netfleet.tuning.verify', rollout_vars(state, netfleet_settle_seconds=3, **window),
                              timeout=120)
        assert time.monotonic() - started < LOAD_SECONDS - 5, 'the run outlasted the load'
    finally:
        for proc in (connector, listener):
            if proc is not None:
                stop(proc)
        subprocess.run([NETLAB, 'exec', '--name', lab.name, 'api', '--', 'nft', 'delete', 'table', 'inet', NFT_TABLE],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=False)
        load_output = stop(load)
    assert 'load: 3 hosts' in load_output, load_output[-2000:]
    report = read_json(str(state / 'report.json'))
    out = verify.stdout[-6000:]
    hosts = dict((label, report['hosts']['%s-%s' % (lab.name, label)]) for label in ('h01', 'h02', 'h03'))

    # the tuning worked on every host: pruning fell
    for label, entry in sorted(hosts.items()):
        prune = entry['metrics'].get('prune_called') or {}
        assert entry['status'] == 'verified', (label, entry['message'], out)
        assert prune.get('before_delta', 0) > 0 and prune.get('met') is True, (label, prune, entry['message'])

    # h01: retransmissions, named first, with the rate per million OutSegs
    h01 = hosts['h01']
    assert h01['verdict'] == 'regressed', (h01['message'], out)
    assert h01['guards']['regressed'] == ['retrans_segs'], h01['guards']
    assert h01['message'].startswith('regressed: guard retrans_segs rose'), h01['message']
    assert 'per million OutSegs' in h01['message']
    assert h01['metrics']['retrans_segs']['after_delta'] > h01['metrics']['retrans_segs']['before_delta']

    # h02: listen queue overflows
    h02 = hosts['h02']
    assert h02['verdict'] == 'regressed', (h02['message'], out)
    assert h02['guards']['regressed'] == ['listen_overflows'], h02['guards']
    assert h02['message'].startswith('regressed: guard listen_overflows rose from 0'), h02['message']

    # h03: tuned, guards clean: improved, nothing else changes its verdict
    h03 = hosts['h03']
    assert h03['verdict'] == 'improved' and h03['passed'], (h03['message'], out)
    assert h03['guards'] == {'regressed': [], 'unjudged': [], 'memory_pressure': {'before': None, 'after': None}}

    # the play fails the two regressed hosts, and the terminal's table shows the guard column
    assert verify.returncode != 0
    assert 'guards' in verify.stdout and 'retrans_segs' in verify.stdout
