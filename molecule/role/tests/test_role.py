# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify the sysctl_profile role on the netlab hosts (after converge and idempotence).

h01 runs json_api. h02 runs bdp (10000 Mbit/s, 20 ms: 2*BDP = 50 MB -> 64 MiB buffers) with
net.core.somaxconn 8192, and has /etc/sysctl.d/99-local-override.conf (planted by prepare.yml)
that sets net.ipv4.tcp_wmem later in the load order.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re

import pytest

testinfra_hosts = ['ansible://netlab_hosts']

DROPIN = '/etc/sysctl.d/60-netfleet-tuning.conf'
STATE = '/var/lib/netfleet-tuning/sysctl_profile.json'
HOST_SCOPE = ('net.core.rmem_max', 'net.core.wmem_max', 'net.core.netdev_max_backlog')
EXPECT = {
    'mrole-h01': {
        'profile': 'json_api',
        'written': {
            'net.ipv4.tcp_rmem': '4096 87380 16777216',
            'net.ipv4.tcp_wmem': '4096 65536 16777216',
            'net.ipv4.tcp_window_scaling': '1',
        },
        'live': {
            'net.ipv4.tcp_rmem': '4096 87380 16777216',
            'net.ipv4.tcp_wmem': '4096 65536 16777216',
            'net.ipv4.tcp_window_scaling': '1',
        },
        'first': {'net.ipv4.tcp_rmem': 'applied', 'net.ipv4.tcp_wmem': 'applied',
                  'net.ipv4.tcp_window_scaling': 'unchanged'},
    },
    'mrole-h02': {
        'profile': 'bdp',
        'written': {
            'net.ipv4.tcp_rmem': '4096 87380 67108864',
            'net.ipv4.tcp_wmem': '4096 65536 67108864',
            'net.ipv4.tcp_window_scaling': '1',
            'net.ipv4.tcp_moderate_rcvbuf': '1',
            'net.core.somaxconn': '8192',
        },
        'live': {
            'net.ipv4.tcp_rmem': '4096 87380 67108864',
            'net.ipv4.tcp_wmem': '4096 16384 8388608',  # the later file wins; the role does not fight it
            'net.core.somaxconn': '8192',
        },
        'first': {'net.ipv4.tcp_rmem': 'applied', 'net.ipv4.tcp_wmem': 'overridden', 'net.core.somaxconn': 'applied',
                  'net.ipv4.tcp_adv_win_scale': 'skipped'},
    },
}


def name_of(host):
    return host.backend.get_hostname()


def result(host, which):
    path = os.path.join(os.environ['MOLECULE_EPHEMERAL_DIRECTORY'], 'result-%s-%s.json' % (which, name_of(host)))
    with open(path) as handle:
        return json.load(handle)


def live(host, key):
    return ' '.join(host.check_output('sysctl -n %s', key).split())


def assignments(text):
    return dict(line.split(' = ', 1) for line in text.splitlines() if line and not line.startswith('#'))


def test_dropin_file(host):
    dropin = host.file(DROPIN)
    assert dropin.is_file
    assert dropin.mode == 0o644
    assert dropin.user == 'root' and dropin.group == 'root'
    text = dropin.content_string
    lines = text.splitlines()
    assert 'Ansible managed' in lines[1]
    assert '# netfleet.tuning:sysctl_profile profile=%s' % EXPECT[name_of(host)]['profile'] in lines
    assert assignments(text) == EXPECT[name_of(host)]['written']
    # a comment (why) right above every key, keys in sorted order
    for idx, line in enumerate(lines):
        if line and not line.startswith('#'):
            assert lines[idx - 1].startswith('# ') and len(lines[idx - 1]) > 10
    keys = list(assignments(text))
    assert keys == sorted(keys)
    # host-scope keys are not written (sysctl --system would fail on them) but listed as skipped
    for key in HOST_SCOPE:
        assert not re.search(r'^%s\s*=' % re.escape(key), text, re.M)
        assert '#   %s: read-only or missing in this network namespace' % key in text


def test_bdp_arithmetic_in_file(host):
    if name_of(host) != 'mrole-h02':
        pytest.skip('bdp host only')
    text = host.file(DROPIN).content_string
    assert '# bdp profile: link 10000 Mbit/s, RTT 20 ms' in text
    assert '10000 Mbit/s * 1e6 / 8 * 20 ms / 1000 = 25000000 bytes' in text
    assert '#   net.ipv4.tcp_adv_win_scale: obsolete since Linux 6.6' in text or \
        'net.ipv4.tcp_adv_win_scale = 1' in text


def test_live_values(host):
    for key, value in EXPECT[name_of(host)]['live'].items():
        assert live(host, key) == value, key


def test_first_run_result(host):
    res = result(host, 'first')
    assert res['changed'] and res['state'] == 'present' and res['path'] == DROPIN
    keys = res['keys']
    for key, status in EXPECT[name_of(host)]['first'].items():
        if key == 'net.ipv4.tcp_adv_win_scale' and keys[key]['status'] == 'applied':
            continue  # kernel < 6.6
        assert keys[key]['status'] == status, key
    for key in HOST_SCOPE:
        assert keys[key]['status'] == 'skipped' and keys[key]['scope'] == 'host', key
    if name_of(host) == 'mrole-h02':
        assert keys['net.ipv4.tcp_wmem']['by'] == '/etc/sysctl.d/99-local-override.conf'
        assert keys['net.ipv4.tcp_wmem']['live'] == '4096 16384 8388608'
    # read back: every applied key's live value is the value written
    for key, entry in keys.items():
        if entry['status'] in ('applied', 'unchanged'):
            assert entry['live'] == entry['value'], key


def test_second_run_result_changes_nothing(host):
    res = result(host, 'last')
    assert not res['changed']
    assert res['counts']['applied'] == 0 and res['counts']['failed'] == 0
    for key, entry in res['keys'].items():
        assert entry['status'] in ('unchanged', 'skipped', 'overridden'), key
        if entry['scope'] == 'netns':
            assert entry['live'] == live(host, key), key


def test_persistence_sysctl_system(host):
    """A reboot (sysctl --system in the host's namespace) gives the same values as the role left."""
    keys = sorted(result(host, 'last')['keys'])
    readable = [k for k in keys if host.run('sysctl -n %s', k).rc == 0]
    before = dict((k, live(host, k)) for k in readable)
    host.check_output('sysctl --system')
    after = dict((k, live(host, k)) for k in readable)
    assert after == before


def test_saved_original_values(host):
    state = host.file(STATE)
    assert state.is_file and state.mode == 0o600
    data = json.loads(state.content_string)
    assert data['original']['net.ipv4.tcp_rmem'] == '4096 16384 65536'
    assert data['priority'] == 60 and data['version'] == 2
    assert 'net.ipv4.tcp_rmem' in data['applied']
    assert not any(k in data['applied'] for k in HOST_SCOPE)


def test_other_files_untouched(host):
    untuned = host.file('/etc/sysctl.d/10-netlab-untuned.conf')
    assert 'net.ipv4.tcp_rmem = 4096 16384 65536' in untuned.content_string
    names = sorted(host.check_output('ls /etc/sysctl.d').split())
    expect = ['10-netlab-untuned.conf', '60-netfleet-tuning.conf']
    if name_of(host) == 'mrole-h02':
        expect.append('99-local-override.conf')
    assert names == expect
