# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 16, item 1: the congestion control algorithm and the default qdisc through the role, on a netlab host.

One lab of its own (1 host; NETFLEET_LAB_NAME, default ``nlcc``), brought up and deleted by name here; no
`netlab load`. A netlab host is a child network namespace: its net.ipv4.tcp_congestion_control is its own and
starts as the machine's; it may set only what the machine's net.ipv4.tcp_allowed_congestion_control lists
(writing anything else fails with EPERM); net.core.default_qdisc is not there at all (host scope). The host's live
algorithm is set to reno first, so that the role really changes something and the rollback has a value to restore.
The machine's own sysctls are only read (the allowed list), never written.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import time

import pytest

from labkit import DROPIN, own_lab, playbook_path, read_json

LAB_NAME = os.environ.get('NETFLEET_LAB_NAME', 'nlcc')
LABEL = 'h01'
CC = 'net.ipv4.tcp_congestion_control'
QDISC = 'net.core.default_qdisc'


@pytest.fixture(scope='module')
def cc_lab():
    yield from own_lab(LAB_NAME, 1)


def machine_list(key):
    """A list the host inherits from the machine (read only, in the initial network namespace)."""
    with open(os.path.join('/proc/sys', *key.split('.'))) as handle:
        return handle.read().split()


class Host(object):
    """The lab's one host: role runs through playbooks/apply.yml, snapshots, the drop-in's text."""

    def __init__(self, lab, tmp_path):
        self.lab = lab
        self.name = '%s-%s' % (lab.name, LABEL)
        self.tmp_path = tmp_path
        self.runs = 0
        self.seconds = []

    def role(self, **variables):
        """Run the role with these variables -> (returncode, the host's result file: 'result' and 'failed_msg')."""
        self.runs += 1
        out = self.tmp_path / ('run%d' % self.runs)
        out.mkdir()
        started = time.monotonic()
        proc = self.lab.playbook(playbook_path('apply.yml'), dict(variables, rel_out_dir=str(out)), limit=self.name,
                                 timeout=180)
        self.seconds.append(round(time.monotonic() - started, 1))
        path = out / ('%s.json' % self.name)
        assert path.exists(), proc.stdout[-3000:]
        return proc.returncode, read_json(str(path))

    def snapshot(self):
        return self.lab.snapshot(LABEL)

    def live(self, key):
        return self.snapshot()['live'].get(key)

    def dropin(self):
        proc = self.lab.exec_(LABEL, ['/usr/bin/python3', '-c', 'import sys; sys.stdout.write(open(sys.argv[1]).read())',
                                      DROPIN])
        return proc.stdout


def same(before, after):
    """Assert two snapshots are identical: files, state and every live value under /proc/sys/net."""
    for part in ('files', 'state', 'live'):
        diff = sorted(key for key in set(before[part]) | set(after[part])
                      if before[part].get(key) != after[part].get(key))
        assert not diff, '%s changed: %s' % (part, ['%s: %r -> %r' % (key, before[part].get(key),
                                                                      after[part].get(key)) for key in diff[:5]])


def test_congestion_control_and_default_qdisc_on_a_child_netns(cc_lab, tmp_path):
    lab = cc_lab
    host = Host(lab, tmp_path)
    started = time.monotonic()
    allowed = machine_list('net.ipv4.tcp_allowed_congestion_control')
    if 'bbr' not in allowed or 'cubic' in allowed:
        pytest.skip('needs a machine that allows bbr but not cubic in a network namespace (allowed: %s)'
                    % ' '.join(allowed))
    shown = ' '.join(allowed)

    # the host's own value before the first rollout: reno (a child netns starts with the machine's)
    assert host.live(QDISC) is None, 'default_qdisc is init-namespace only'
    if host.live(CC) != 'reno':
        lab.netlab('sysctl', '--name', lab.name, '--hosts', LABEL, '%s=reno' % CC)
    assert host.live(CC) == 'reno'

    # bbr: applied, live, in the drop-in
    code, out = host.role(sysctl_profile_congestion_control='bbr')
    assert code == 0 and out['failed_msg'] is None, out
    entry = out['result']['keys'][CC]
    assert (entry['status'], entry['scope'], entry['before'], entry['value'], entry['live']) == (
        'applied', 'netns', 'reno', 'bbr', 'bbr'), entry
    assert host.live(CC) == 'bbr'
    text = host.dropin()
    assert '\nnet.ipv4.tcp_congestion_control = bbr\n' in text
    assert '(from sysctl_profile_congestion_control)' in text

    # reno: applied
    code, out = host.role(sysctl_profile_congestion_control='reno')
    assert code == 0 and out['result']['keys'][CC]['status'] == 'applied', out
    assert host.live(CC) == 'reno' and '\nnet.ipv4.tcp_congestion_control = reno\n' in host.dropin()

    # cubic: the kernel offers it but a child netns may not set it (EPERM): refused on the host, nothing changed
    assert 'cubic' in machine_list('net.ipv4.tcp_available_congestion_control')
    before = host.snapshot()
    code, out = host.role(sysctl_profile_congestion_control='cubic')
    after = host.snapshot()
    assert code != 0 and out['result'] is None, out
    message = out['failed_msg']
    assert message.startswith('net.ipv4.tcp_congestion_control: cubic is not allowed in this network namespace: '
                              'it may set %s (net.ipv4.tcp_allowed_congestion_control' % shown), message
    assert '(rule: not_available)' in message and message.endswith('Nothing was changed.'), message
    same(before, after)
    assert after['live'][CC] == 'reno'

    # default_qdisc fq: host scope in a child netns, skipped with the reason (the congestion control unchanged)
    code, out = host.role(sysctl_profile_congestion_control='reno', sysctl_profile_default_qdisc='fq')
    assert code == 0, out
    keys = out['result']['keys']
    assert keys[QDISC]['status'] == 'skipped' and keys[QDISC]['scope'] == 'host', keys[QDISC]
    assert keys[QDISC]['reason'] == ('read-only or missing in this network namespace (host scope): set it on the '
                                     'host itself')
    assert keys[CC]['status'] == 'unchanged'
    assert '#   net.core.default_qdisc: read-only or missing' in host.dropin()

    # fqx: refused by the controller's validation, the host untouched
    before = host.snapshot()
    code, out = host.role(sysctl_profile_default_qdisc='fqx')
    assert code != 0 and out['result'] is None, out
    assert out['failed_msg'].startswith('invalid input, no host was changed: sysctl_profile_default_qdisc: '
                                        'net.core.default_qdisc: value \'fqx\' is not one of'), out
    assert out['failed_msg'].endswith('(rule: unknown_qdisc)')
    same(before, host.snapshot())

    # bbr again, then absent: back to reno, the value from before the first rollout; no drop-in, no state
    code, out = host.role(sysctl_profile_congestion_control='bbr')
    assert code == 0 and host.live(CC) == 'bbr', out
    code, out = host.role(sysctl_profile_state='absent')
    assert code == 0, out
    entry = out['result']['keys'][CC]
    assert (entry['status'], entry['desired'], entry['live']) == ('restored', 'reno', 'reno'), entry
    final = host.snapshot()
    assert final['live'][CC] == 'reno' and DROPIN not in final['files']
    assert not [path for path in final['state'] if path.endswith('sysctl_profile.json')], final['state']
    print('\ntest_congestion: allowed %r; %d role runs, seconds %s; %.1f s in all'
          % (shown, host.runs, host.seconds, time.monotonic() - started))
