# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17: the rollout's verify names the process that pins SO_RCVBUF, at any size, and never an
autotuned host.

One lab of its own (4 hosts; NETFLEET_LAB_NAME, default ``nlpin``), brought up and deleted by name here.
One bounded `netlab load` for every host at once (the machine-wide load lock): the consumers of h01, h02
and h03 pin SO_RCVBUF to 8 KB, 64 KB and 1 MB before connect, h04's are autotuned. Beside the load, h04
also holds idle and nearly idle sockets, two of them pinned (tools/netlab/sockhelper.py). The load starts
untuned and runs across the whole rollout (baseline, role, verify), as the demo and the molecule scenario
do: verify sees connections opened before the tuning, which is where an autotuned socket could be
mistaken for a pinned one.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import time

import pytest

from ansible_collections.netfleet.tuning.plugins.plugin_utils import pinned_sockets
from labkit import NETLAB, REPO, own_lab, read_json, rollout_vars

LAB_NAME = os.environ.get('NETFLEET_LAB_NAME', 'nlpin')
PINS = {'h01': 8192, 'h02': 65536, 'h03': 1048576}
AUTOTUNED = 'h04'
# runs `netlab load`: after the other lab tests (conftest.py)
pytestmark = pytest.mark.load

LOAD_SECONDS = 200
SAMPLE_SECONDS = 15
SOCKHELPER = os.path.join(REPO, 'tools', 'netlab', 'sockhelper.py')


@pytest.fixture(scope='module')
def pin_lab():
    yield from own_lab(LAB_NAME, len(PINS) + 1)


def stop(proc, timeout=60, output=True):
    """Stop a background command; -> its output (``output``), else None without waiting for the pipe's
    end (``netlab exec`` does not pass SIGTERM on: its command ends with its own --seconds, or when the
    lab goes down)."""
    if proc.poll() is None:
        proc.terminate()
    try:
        if output:
            return proc.communicate(timeout=timeout)[0]
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    finally:
        if not output and proc.stdout:
            proc.stdout.close()
    return None


def test_rollout_names_the_pinning_process_and_never_an_autotuned_host(pin_lab, tmp_path):
    lab = pin_lab
    state = tmp_path / 'state'
    started = time.monotonic()
    api = json.loads(lab.netlab('status', '--name', lab.name).stdout)['api']['address']
    pins = ','.join('%s=%d' % item for item in sorted(PINS.items()))
    load = subprocess.Popen([NETLAB, 'load', '--name', lab.name, '--seconds', str(LOAD_SECONDS), '--pin-rcvbuf', pins,
                             '--json', str(tmp_path / 'load.json')],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    helper = subprocess.Popen([NETLAB, 'exec', '--name', lab.name, AUTOTUNED, '--', '/usr/bin/python3', SOCKHELPER,
                               '--api', api, '--seconds', str(LOAD_SECONDS), 'idle', 'light'],
                              stdout=subprocess.PIPE, universal_newlines=True)
    try:
        ports = json.loads(helper.stdout.readline())
        time.sleep(8)       # the load's connections are open and busy before the baseline starts
        proc = lab.playbook('netfleet.tuning.rollout', rollout_vars(
            state, netfleet_sample_seconds=SAMPLE_SECONDS, netfleet_settle_seconds=5, netfleet_serial=['100%'],
            netfleet_min_segments=10000), timeout=LOAD_SECONDS)
        assert time.monotonic() - started < LOAD_SECONDS - 5, 'the rollout outlasted the load'
    finally:
        load_output = stop(load)
        stop(helper, output=False)
    assert 'load: 4 hosts' in load_output, load_output[-2000:]
    report = read_json(str(state / 'report.json'))
    out = proc.stdout[-6000:]

    for label, pin in sorted(PINS.items()):
        entry = report['hosts']['%s-%s' % (lab.name, label)]
        buffers = entry['socket_buffers']
        assert entry['status'] == 'verified', (label, entry['message'], out)
        # the load's 8 connections; each is named while it receives max(256 KiB, rb/4) per second
        assert buffers['pinned'] >= 1, (label, buffers)
        group = buffers['pinned_groups'][0]
        assert group['process'] == 'python3' and group['pid'] > 1, (label, group)
        assert (group['case'], group['rb_min'], group['rb_max']) == ('locked_at_connect', 2 * pin, 2 * pin), group
        assert group['peer'] == '%s:8080' % api and group['local'].endswith(':*'), group
        named = pinned_sockets.sentence(buffers)
        assert ' of process python3 (pid %d) pin' % group['pid'] in named and 'SO_RCVBUF (rb %d;' % (2 * pin) in named
        if entry['verdict'] == 'not_improved':
            # said first: the message starts with the process
            assert entry['message'].startswith('not_improved: ' + named), entry
        else:
            # a passing (or unproven) host: a note
            assert named in entry['hints'], (label, entry['verdict'], entry['message'])

    entry = report['hosts']['%s-%s' % (lab.name, AUTOTUNED)]
    buffers = entry['socket_buffers']
    # autotuned connections opened before the tuning, two idle pinned sockets and two light ones: none named
    assert buffers['pinned'] == 0 and buffers['pinned_groups'] == [], buffers
    assert 'SO_RCVBUF' not in entry['message'] and not any('SO_RCVBUF' in hint for hint in entry['hints'])
    assert entry['verdict'] in ('improved', 'clean'), entry['message']
    assert sorted(ports) == ['idle', 'light']
