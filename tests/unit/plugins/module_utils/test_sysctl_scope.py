# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.module_utils import sysctl_scope as ss
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_scope import SysctlKeyError


def make_tree(root, keys, child=True):
    """A fake /proc with sys/net keys: {key: (text, mode)}."""
    for key, (text, mode) in keys.items():
        path = os.path.join(str(root), 'sys', *key.split('.'))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as handle:
            handle.write(text)
        os.chmod(path, mode)
    core = os.path.join(str(root), 'sys', 'net', 'core')
    os.makedirs(core, exist_ok=True)
    with open(os.path.join(core, 'somaxconn'), 'w') as handle:
        handle.write('4096\n')
    if not child:
        with open(os.path.join(core, 'netdev_max_backlog'), 'w') as handle:
            handle.write('1000\n')
    return str(root)


@pytest.mark.parametrize('key', [
    'net.core.rmem_max', 'net.ipv4.tcp_rmem', 'net.ipv4.conf.all.rp_filter', 'net.ipv6.conf.default.accept_ra',
    'net.ipv4.neigh.default.gc_thresh1', 'net.core.somaxconn', 'net.a.b', 'net.ipv4.tcp_collapse_max_bytes',
])
def test_valid_keys(key):
    assert ss.validate_key(key) == key
    assert ss.KEY_PATTERN.match(key)


@pytest.mark.parametrize('key', [
    '', 'net', 'net.core', 'kernel.pid_max', 'vm.swappiness', 'net..core.x', 'net.core..x', '.net.core.x',
    'net.core.x.', 'net/core/x', 'net.core/x', 'net.core.x=1', 'net.core.x 1', 'net.core.X', 'NET.core.x',
    'net.core.rmem_max\n', 'net.core.rmem_max\nkernel.x', ' net.core.x', 'net.ipv4.conf.eth0.100.rp_filter',
    'net.ipv4.conf.eth-0.rp_filter', 'net.a.b.c.d.e', 'net.core.../x', 'net.core.\u0661', 'net.core.x\t',
])
def test_invalid_keys(key):
    with pytest.raises(SysctlKeyError) as info:
        ss.validate_key(key)
    assert str(info.value).startswith(key.replace('\n', '\\n') + ': key must match ')
    assert info.value.rules == ['key_pattern']
    assert not ss.KEY_PATTERN.match(key)
    assert not ss.KEY_PATTERN.search(key)


def test_invalid_key_type():
    with pytest.raises(SysctlKeyError):
        ss.validate_key(None)
    with pytest.raises(SysctlKeyError):
        ss.validate_key(b'net.core.rmem_max')


def test_key_to_path():
    assert ss.key_to_path('net.ipv4.tcp_rmem') == '/proc/sys/net/ipv4/tcp_rmem'
    assert ss.key_to_path('net.core.somaxconn', '/host/proc') == '/host/proc/sys/net/core/somaxconn'
    with pytest.raises(SysctlKeyError):
        ss.key_to_path('net.core/../../etc/shadow')


def test_read_value_normalises_whitespace(tmp_path):
    proc = make_tree(tmp_path, {'net.ipv4.tcp_rmem': ('4096\t131072\t33554432\n', 0o644)})
    assert ss.read_value('net.ipv4.tcp_rmem', proc) == '4096 131072 33554432'
    assert ss.read_value('net.ipv4.tcp_wmem', proc) is None
    with pytest.raises(SysctlKeyError):
        ss.read_value('net.ipv4', proc)      # not a key: two parts
    assert ss.read_value('net.core.nope', proc) is None


def test_read_value_directory_is_none(tmp_path):
    proc = make_tree(tmp_path, {'net.ipv4.conf.all.rp_filter': ('1\n', 0o644)})
    assert ss.read_value('net.ipv4.conf', proc) is None
    assert ss.read_value('net.ipv4.conf.all', proc) is None


def test_scope_fake_tree(tmp_path):
    proc = make_tree(tmp_path, {
        'net.ipv4.tcp_rmem': ('4096 131072 6291456\n', 0o644),
        'net.core.rmem_max': ('212992\n', 0o444),
    }, child=True)
    assert ss.in_child_netns(proc) is True
    assert ss.scope_of('net.ipv4.tcp_rmem', proc) == 'netns'
    assert ss.scope_of('net.core.rmem_max', proc) == 'host'           # read-only here
    assert ss.scope_of('net.core.netdev_max_backlog', proc) == 'host'  # init netns only, we are a child
    assert ss.scope_of('net.ipv4.tcp_mem', proc) == 'host'
    assert ss.scope_of('net.ipv4.tcp_collapse_max_bytes', proc) == 'absent'
    assert ss.scope_of('net.core.somaxconn', proc) == 'netns'


def test_scope_init_netns_missing_is_absent(tmp_path):
    proc = make_tree(tmp_path, {}, child=False)
    assert ss.in_child_netns(proc) is False
    assert ss.scope_of('net.ipv4.tcp_mem', proc) == 'absent'
    assert ss.scope_of('net.core.netdev_max_backlog', proc) == 'netns'


def test_scope_unknown_netns(tmp_path):
    # no somaxconn, no ns links: cannot tell, so a missing init-only key is absent
    assert ss.in_child_netns(str(tmp_path)) is None
    assert ss.scope_of('net.ipv4.tcp_mem', str(tmp_path)) == 'absent'


def test_in_child_netns_inode_fallback(tmp_path):
    for pid in ('self', '1'):
        os.makedirs(str(tmp_path / pid / 'ns'))
    (tmp_path / 'self' / 'ns' / 'net').write_text('a')
    (tmp_path / '1' / 'ns' / 'net').write_text('b')
    assert ss.in_child_netns(str(tmp_path)) is True
    os.remove(str(tmp_path / 'self' / 'ns' / 'net'))
    os.symlink(str(tmp_path / '1' / 'ns' / 'net'), str(tmp_path / 'self' / 'ns' / 'net'))
    assert ss.in_child_netns(str(tmp_path)) is False


def test_scope_not_writable_by_access(tmp_path, monkeypatch):
    proc = make_tree(tmp_path, {'net.ipv4.tcp_rmem': ('1 2 3\n', 0o644)})
    monkeypatch.setattr(ss.os, 'access', lambda path, mode: False)   # e.g. read-only /proc/sys mount
    assert ss.scope_of('net.ipv4.tcp_rmem', proc) == 'host'


def test_read_sysctls(tmp_path):
    proc = make_tree(tmp_path, {
        'net.ipv4.tcp_rmem': ('4096  87380   6291456\n', 0o644),
        'net.core.wmem_max': ('212992\n', 0o444),
    })
    got = ss.read_sysctls(['net.ipv4.tcp_rmem', 'net.core.wmem_max', 'net.core.netdev_max_backlog',
                           'net.ipv4.tcp_collapse_max_bytes'], proc)
    assert got == {
        'net.ipv4.tcp_rmem': {'value': '4096 87380 6291456', 'scope': 'netns'},
        'net.core.wmem_max': {'value': '212992', 'scope': 'host'},
        'net.core.netdev_max_backlog': {'value': None, 'scope': 'host'},
        'net.ipv4.tcp_collapse_max_bytes': {'value': None, 'scope': 'absent'},
    }


def test_read_sysctls_validates_all_first(tmp_path):
    with pytest.raises(SysctlKeyError, match='kernel.pid_max'):
        ss.read_sysctls(['net.core.somaxconn', 'kernel.pid_max'], str(tmp_path))


def test_read_sysctls_unreadable(tmp_path, monkeypatch):
    proc = make_tree(tmp_path, {'net.ipv4.route.flush': ('', 0o200)})
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path.endswith('flush'):
            raise PermissionError(13, 'Permission denied', path)
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr('builtins.open', fake_open)
    got = ss.read_sysctls(['net.ipv4.route.flush'], proc)['net.ipv4.route.flush']
    assert got['value'] is None
    assert 'Permission denied' in got['error']


def test_managed_keys_valid_and_listed():
    assert len(ss.MANAGED_KEYS) == 14
    for key in ss.MANAGED_KEYS:
        ss.validate_key(key)
    for key in ('net.core.netdev_max_backlog', 'net.ipv4.tcp_mem', 'net.core.netdev_budget',
                'net.core.netdev_budget_usecs', 'net.ipv4.udp_mem'):
        assert key in ss.INIT_NET_ONLY_KEYS
    for key in ss.INIT_NET_ONLY_KEYS:
        ss.validate_key(key)
    # keys every netns owns are never "init only"
    for key in ('net.core.somaxconn', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem', 'net.ipv4.tcp_sack'):
        assert key not in ss.INIT_NET_ONLY_KEYS


def test_live_system_smoke():
    """On the machine running the tests: every managed key reads as a known scope."""
    got = ss.read_sysctls(ss.MANAGED_KEYS)
    assert set(got) == set(ss.MANAGED_KEYS)
    for entry in got.values():
        assert entry['scope'] in ss.SCOPES
    if os.path.exists('/proc/sys/net/ipv4/tcp_rmem'):
        assert len(got['net.ipv4.tcp_rmem']['value'].split(' ')) == 3


@settings(max_examples=500)
@given(st.text(max_size=60))
def test_key_property(key):
    try:
        ss.validate_key(key)
    except SysctlKeyError:
        return
    assert key.startswith('net.')
    assert 3 <= len(key.split('.')) <= 5
    assert all(part and set(part) <= set('abcdefghijklmnopqrstuvwxyz0123456789_') for part in key.split('.'))
    assert ss.key_to_path(key, '/p').startswith('/p/sys/net/')
