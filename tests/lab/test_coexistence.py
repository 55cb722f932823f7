# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 16: the role beside the other owners of sysctl keys, on netlab hosts.

One lab of its own (5 hosts; NETFLEET_LAB_NAME, default ``nlcoex``), brought up and deleted by name here. No load.
Every host gets json_api_heavy (tcp_rmem/tcp_wmem max 32 MiB, timestamps 1, somaxconn 4096) and one other owner:

- h01: tuned, the real network-throughput profile (Debian's tuned 2.20 files, parent throughput-performance) active,
  ``reapply_sysctl = 0``: tuned writes its values last, so tcp_rmem and tcp_wmem (16 MiB max) are overridden by
  ``tuned profile network-throughput`` with the fix; somaxconn ``>2048`` leaves our 4096 alone (also_set_by).
  Then ``reapply_sysctl = 1`` (tuned's default): tuned re-applies /etc/sysctl.d after its values, our values go
  live, tuned is named in also_set_by and a warning;
- h02: dev-sec's hardening file ``/etc/sysctl.d/90-dev-sec.conf`` with tcp_timestamps 0: overridden, owner dev-sec;
- h03: an /etc/sysctl.conf line for tcp_rmem: overridden by /etc/sysctl.conf (it loads last);
- h04: linux-system-roles kernel_settings (a tuned profile ``kernel_settings``) with tuned's default reapply: our
  values live, kernel_settings named;
- h05: nothing else: no owner, fix, also_set_by or tuned entry anywhere in its result.

tuned's daemon never runs: only its files are there. netlab gives each host private /etc/tuned and /usr/lib/tuned
(tools/netlab/hostns.py) when the machine has those directories: this test creates the empty mount points before
`netlab up` when they are missing and removes them afterwards (only those it created, only when empty), also when
it fails, so the machine ends as it began.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import shutil

import pytest

from labkit import DROPIN, HERE, lab_up, playbook_path, read_json

LAB_NAME = os.environ.get('NETFLEET_LAB_NAME', 'nlcoex')
LABELS = ('h01', 'h02', 'h03', 'h04', 'h05')
MOUNT_POINTS = ('/etc/tuned', '/usr/lib/tuned')
FIXTURES = os.path.join(os.path.dirname(HERE), 'unit', 'fixtures')
TUNED_TREE = os.path.join(FIXTURES, 'tuned', 'throughput')
KERNEL_SETTINGS_TREE = os.path.join(FIXTURES, 'tuned', 'kernel_settings')
DEV_SEC_FILE = os.path.join(FIXTURES, 'sysctl_owners', 'host', 'etc', 'sysctl.d', '90-dev-sec.conf')
SYSCTL_CONF_LINE = 'net.ipv4.tcp_rmem = 4096 131072 6291456\n'
UNTUNED_RMEM = '4096 16384 65536'
HEAVY = {'net.ipv4.tcp_rmem': '4096 87380 33554432', 'net.ipv4.tcp_wmem': '4096 65536 33554432'}
OWNER_FIELDS = ('by', 'owner', 'fix', 'also_set_by')


@pytest.fixture(scope='module')
def coex_lab():
    if os.geteuid() != 0:
        pytest.skip('the lab suite needs root (netlab creates network namespaces)')
    created = [path for path in MOUNT_POINTS if not os.path.lexists(path)]
    try:
        for path in created:
            os.mkdir(path, 0o755)
        with lab_up(LAB_NAME, len(LABELS)) as the_lab:
            yield the_lab
    finally:
        for path in reversed(created):
            if os.path.isdir(path) and not os.listdir(path):
                os.rmdir(path)
        left = [path for path in created if os.path.lexists(path)]
        assert not left, 'mount points this test made are not empty, left for a look: %s' % left


def private(lab, label, slug):
    """A host's private copy of a shared directory (netlab: /run/netlab/LAB/hosts/<label>/tuned/<slug>)."""
    return os.path.join('/run/netlab', lab.name, 'hosts', label, 'tuned', slug)


def give_tuned(lab, label, tree, reapply):
    """The host's own /etc/tuned and /usr/lib/tuned from a fixture tree, with reapply_sysctl set."""
    for slug, part in (('etc-tuned', 'etc/tuned'), ('usr-lib-tuned', 'usr/lib/tuned')):
        target = private(lab, label, slug)
        for name in os.listdir(target):
            path = os.path.join(target, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
        source = os.path.join(tree, part)
        if os.path.isdir(source):
            for name in os.listdir(source):
                path = os.path.join(source, name)
                copy = shutil.copytree if os.path.isdir(path) else shutil.copy
                copy(path, os.path.join(target, name))
    set_reapply(lab, label, reapply)


def set_reapply(lab, label, reapply):
    with open(os.path.join(private(lab, label, 'etc-tuned'), 'tuned-main.conf'), 'w') as handle:
        handle.write('# netfleet lab: tuned-main.conf\ndaemon = 1\nreapply_sysctl = %d\n' % reapply)


def apply(lab, tmp_path, name, **role_vars):
    out = tmp_path / name
    out.mkdir()
    variables = dict({'rel_out_dir': str(out), 'sysctl_profile_name': 'json_api_heavy'}, **role_vars)
    proc = lab.playbook(playbook_path('apply.yml'), variables, timeout=180)
    results = dict((label, read_json(str(out / ('%s-%s.json' % (lab.name, label))))) for label in LABELS)
    return proc, results


def keys_of(results, label):
    outcome = results[label]
    assert outcome['failed_msg'] is None, (label, outcome['failed_msg'])
    return outcome['result']['keys']


def test_the_role_beside_other_owners(coex_lab, tmp_path):
    lab = coex_lab
    give_tuned(lab, 'h01', TUNED_TREE, reapply=0)
    with open(DEV_SEC_FILE) as handle:
        lab.write_file('h02', '/etc/sysctl.d/90-dev-sec.conf', handle.read())
    lab.write_file('h03', '/etc/sysctl.conf', SYSCTL_CONF_LINE)
    # live as a boot would have left them: the other owners' files applied
    lab.netlab('sysctl', '--name', lab.name, '--hosts', 'h02', 'net.ipv4.tcp_timestamps=0')
    lab.netlab('sysctl', '--name', lab.name, '--hosts', 'h03', 'net.ipv4.tcp_rmem=%s' % SYSCTL_CONF_LINE.split('=')[1].strip())
    give_tuned(lab, 'h04', KERNEL_SETTINGS_TREE, reapply=1)
    before = dict((label, lab.snapshot(label)['live']) for label in LABELS)

    proc, results = apply(lab, tmp_path, 'first')
    assert proc.returncode == 0, proc.stdout[-4000:]

    # h01: tuned with reapply_sysctl = 0 keeps its 16 MiB buffers; the live values stay as they were
    h01 = keys_of(results, 'h01')
    for key in HEAVY:
        assert h01[key]['status'] == 'overridden', h01[key]
        assert h01[key]['by'].startswith('tuned profile network-throughput (') and 'network-throughput/tuned.conf' in \
            h01[key]['by'], h01[key]
        assert h01[key]['owner'] == 'tuned profile network-throughput', h01[key]
        assert 'reapply_sysctl = 1' in h01[key]['fix'] and 'drop=%s' % key in h01[key]['fix'], h01[key]
        assert h01[key]['live'] == before['h01'][key], h01[key]
    assert h01['net.core.somaxconn']['status'] in ('applied', 'unchanged'), h01['net.core.somaxconn']
    # somaxconn=>2048 of the parent throughput-performance only raises: our 4096 stays
    assert 'tuned profile throughput-performance' in h01['net.core.somaxconn']['also_set_by'], h01['net.core.somaxconn']
    tuned = results['h01']['result']['tuned']
    assert tuned['profiles'] == ['network-throughput'] and tuned['reapply_sysctl'] is False, tuned
    assert 'is overridden by tuned profile network-throughput' in proc.stdout + proc.stderr, proc.stderr[-3000:]

    # h02: dev-sec's 90- file sorts after our 60- drop-in
    stamps = keys_of(results, 'h02')['net.ipv4.tcp_timestamps']
    assert stamps['status'] == 'overridden' and stamps['by'] == '/etc/sysctl.d/90-dev-sec.conf', stamps
    assert 'dev-sec' in stamps['owner'] and stamps['fix'], stamps
    assert stamps['live'] == '0', stamps

    # h03: /etc/sysctl.conf loads last
    rmem = keys_of(results, 'h03')['net.ipv4.tcp_rmem']
    assert rmem['status'] == 'overridden' and rmem['by'] == '/etc/sysctl.conf', rmem
    assert rmem['live'] == before['h03']['net.ipv4.tcp_rmem'], rmem

    # h04: kernel_settings drives tuned with the default reapply_sysctl = 1: the drop-in's values go live
    h04 = keys_of(results, 'h04')
    set_by_kernel_settings = [key for key in h04 if 'kernel_settings' in (h04[key].get('also_set_by') or '')]
    assert set_by_kernel_settings, h04
    for key in set_by_kernel_settings:
        assert h04[key]['status'] in ('applied', 'unchanged') and h04[key]['live'] == h04[key]['value'], h04[key]
    assert 'linux-system-roles kernel_settings' in results['h04']['result']['tuned']['owner'], results['h04']

    # h05: no other owner, nothing about one
    h05 = keys_of(results, 'h05')
    assert 'tuned' not in results['h05']['result'], results['h05']['result']
    for key, entry in h05.items():
        assert entry['status'] in ('applied', 'unchanged', 'skipped'), (key, entry)
        assert not [field for field in OWNER_FIELDS if field in entry], (key, entry)
    for key, value in HEAVY.items():
        assert h05[key]['live'] == value, h05[key]

    # h01 again with tuned's default reapply_sysctl = 1: tuned re-applies /etc/sysctl.d after its own values
    set_reapply(lab, 'h01', 1)
    proc, results = apply(lab, tmp_path, 'reapply')
    assert proc.returncode == 0, proc.stdout[-4000:]
    h01 = keys_of(results, 'h01')
    for key, value in HEAVY.items():
        assert h01[key]['status'] == 'applied' and h01[key]['live'] == value, h01[key]
        assert 'tuned profile network-throughput' in h01[key]['also_set_by'], h01[key]
        assert not [field for field in ('by', 'owner', 'fix') if field in h01[key]], h01[key]
    assert 'with reapply_sysctl = 1 tuned re-applies /etc/sysctl.d' in proc.stdout + proc.stderr, proc.stderr[-3000:]

    # rollback: every host back to its values from before the first rollout; the other owners' files untouched
    proc, results = apply(lab, tmp_path, 'absent', sysctl_profile_state='absent')
    assert proc.returncode == 0, proc.stdout[-4000:]
    for label in LABELS:
        live = lab.snapshot(label)['live']
        for key in HEAVY:
            assert live[key] == before[label][key], (label, key, live[key], before[label][key])
        assert lab.exec_(label, ['/usr/bin/test', '!', '-e', DROPIN], check=False).returncode == 0, label
    assert lab.exec_('h02', ['/usr/bin/test', '-f', '/etc/sysctl.d/90-dev-sec.conf'], check=False).returncode == 0
    assert lab.exec_('h03', ['/usr/bin/cat', '/etc/sysctl.conf']).stdout == SYSCTL_CONF_LINE
