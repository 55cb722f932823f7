# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live sysctl values and their scope (netns / host / absent).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports. Everything that touches
the machine takes ``proc_path`` so tests (and a host's /proc mounted elsewhere)
can point it at another tree.

Scope of a key (DESIGN.md "Sysctl scope"), read from the live system:

``netns``
    the file exists here and is writable by us: the key belongs to this
    network namespace (or we are in the initial one) and can be set here.
``host``
    the file exists but is read-only here (kernel mode 0444 in a child netns,
    a read-only /proc/sys mount, or no root), or it is missing here, we are in
    a child network namespace, and the kernel registers that key only in the
    initial namespace (``INIT_NET_ONLY_KEYS``).
``absent``
    anything else: this kernel does not know the key.

Note that ``/proc/sys/net`` shows the network namespace of the process that
reads it, whatever procfs mount it is read through.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os

# The key rule lives in the value model; it is named here too for the callers that read live values.
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import (
    KEY_PATTERN, KEY_RULE, SysctlKeyError, validate_key, value_text,
)

__all__ = [
    'SysctlKeyError', 'KEY_PATTERN', 'KEY_RULE', 'validate_key', 'key_to_path',
    'read_value', 'INIT_NET_ONLY_KEYS', 'in_child_netns', 'scope_of',
    'read_sysctls', 'MANAGED_KEYS', 'SCOPES',
]

SCOPES = ('netns', 'host', 'absent')

# Keys the role manages by default.
MANAGED_KEYS = (
    'net.core.rmem_max',
    'net.core.wmem_max',
    'net.core.rmem_default',
    'net.core.wmem_default',
    'net.core.netdev_max_backlog',
    'net.core.somaxconn',
    'net.ipv4.tcp_rmem',
    'net.ipv4.tcp_wmem',
    'net.ipv4.tcp_window_scaling',
    'net.ipv4.tcp_timestamps',
    'net.ipv4.tcp_sack',
    'net.ipv4.tcp_adv_win_scale',
    'net.ipv4.tcp_moderate_rcvbuf',
    'net.ipv4.tcp_mem',
)

# Keys that a kernel registers only in the initial network namespace (in at
# least some kernel versions).  Used ONLY for a key that is missing from this
# namespace while we know we are in a child namespace: then the key is the
# host's ("host"), not unknown ("absent").  A key that exists here is always
# scoped by its live file, so listing a key that newer kernels also register
# per namespace (optmem_max since 6.8, [rw]mem_{max,default} read-only since
# 6.x) is harmless and right for older kernels.
# Sources: net/core/sysctl_net_core.c net_core_table (init_net only) and
# net/ipv4/sysctl_net_ipv4.c ipv4_table (init_net only), versus the per-netns
# netns_core_table / ipv4_net_table.
INIT_NET_ONLY_KEYS = frozenset((
    # net/core: net_core_table
    'net.core.netdev_max_backlog',
    'net.core.netdev_budget',
    'net.core.netdev_budget_usecs',
    'net.core.dev_weight',
    'net.core.dev_weight_rx_bias',
    'net.core.dev_weight_tx_bias',
    'net.core.netdev_rss_key',
    'net.core.netdev_tstamp_prequeue',
    'net.core.netdev_unregister_timeout_secs',
    'net.core.message_cost',
    'net.core.message_burst',
    'net.core.rps_sock_flow_entries',
    'net.core.flow_limit_cpu_bitmap',
    'net.core.flow_limit_table_len',
    'net.core.busy_poll',
    'net.core.busy_read',
    'net.core.default_qdisc',
    'net.core.warnings',
    'net.core.max_skb_frags',
    'net.core.fb_tunnels_only_for_init_net',
    'net.core.devconf_inherit_init_net',
    'net.core.high_order_alloc_disable',
    'net.core.gro_normal_batch',
    'net.core.skb_defer_max',
    'net.core.mem_pcpu_rsv',
    'net.core.bpf_jit_enable',
    'net.core.bpf_jit_harden',
    'net.core.bpf_jit_kallsyms',
    'net.core.bpf_jit_limit',
    # net/core keys that older kernels register only in init_net; newer ones
    # show them in every netns (read-only for [rw]mem_*, see above).
    'net.core.rmem_max',
    'net.core.wmem_max',
    'net.core.rmem_default',
    'net.core.wmem_default',
    'net.core.optmem_max',
    # net/ipv4: ipv4_table
    'net.ipv4.tcp_mem',
    'net.ipv4.udp_mem',
    'net.ipv4.tcp_max_orphans',
    'net.ipv4.inet_peer_threshold',
    'net.ipv4.inet_peer_minttl',
    'net.ipv4.inet_peer_maxttl',
    'net.ipv4.tcp_available_ulp',
    'net.ipv4.fib_sync_mem',
    'net.ipv4.cipso_cache_enable',
    'net.ipv4.cipso_cache_bucket_size',
    'net.ipv4.cipso_rbm_optfmt',
    'net.ipv4.cipso_rbm_strictvalid',
))


def key_to_path(key, proc_path='/proc'):
    """``net.ipv4.tcp_rmem`` -> ``<proc_path>/sys/net/ipv4/tcp_rmem`` (key validated first)."""
    validate_key(key)
    return os.path.join(proc_path, 'sys', *key.split('.'))


_MISSING_ERRNOS = (errno.ENOENT, errno.ENOTDIR, errno.EISDIR)


def read_value(key, proc_path='/proc'):
    """The live value of ``key`` with whitespace runs collapsed to one space.

    ``"4096\\t131072\\t33554432\\n"`` -> ``"4096 131072 33554432"``.  Returns
    None when the key does not exist (no file, or a directory such as
    ``net.ipv4.conf``).  Other OSErrors (EACCES on a write-only key, EIO...)
    propagate.
    """
    path = key_to_path(key, proc_path)
    try:
        with open(path, 'r') as handle:
            text = handle.read()
    except (IOError, OSError) as exc:
        if exc.errno in _MISSING_ERRNOS:
            return None
        raise
    return value_text(text)


def _ns_inode(path):
    try:
        st = os.stat(path)
    except (IOError, OSError):
        return None
    return (st.st_dev, st.st_ino)


def in_child_netns(proc_path='/proc'):
    """True if we run in a network namespace other than the initial one.

    First signal (the most direct): ``net.core.somaxconn`` is registered in
    every namespace, ``net.core.netdev_max_backlog`` only in the initial one,
    and /proc/sys/net shows the reader's namespace.  So somaxconn present
    without netdev_max_backlog means a child namespace, both present means
    the initial one.  This also holds in containers with their own PID
    namespace, where /proc/1 is the container's init and an inode comparison
    would say "same namespace".

    Fallback: compare ``<proc>/self/ns/net`` with ``<proc>/1/ns/net``.

    None when neither signal is available.
    """
    core = os.path.join(proc_path, 'sys', 'net', 'core')
    if os.path.exists(os.path.join(core, 'somaxconn')):
        return not os.path.exists(os.path.join(core, 'netdev_max_backlog'))
    mine = _ns_inode(os.path.join(proc_path, 'self', 'ns', 'net'))
    init = _ns_inode(os.path.join(proc_path, '1', 'ns', 'net'))
    if mine is None or init is None:
        return None
    return mine != init


def _writable(path):
    """Writable by us: os.access (honours procfs sysctl modes for root and
    read-only mounts) and at least one write bit in the mode (so a fake tree
    of 0444 files reads as read-only even for root)."""
    try:
        st = os.stat(path)
    except (IOError, OSError):
        return False
    if not st.st_mode & 0o222:
        return False
    return os.access(path, os.W_OK)


def scope_of(key, proc_path='/proc', child=None):
    """``'netns'``, ``'host'`` or ``'absent'`` for ``key`` (see the module doc).

    ``child`` may carry a precomputed in_child_netns() result (None: compute).
    """
    path = key_to_path(key, proc_path)
    if os.path.isfile(path):
        return 'netns' if _writable(path) else 'host'
    if key in INIT_NET_ONLY_KEYS:
        if child is None:
            child = in_child_netns(proc_path)
        if child:
            return 'host'
    return 'absent'


def read_sysctls(keys, proc_path='/proc'):
    """``{key: {'value': str or None, 'scope': 'netns'|'host'|'absent'}}`` for each key.

    Every key is validated first (SysctlKeyError names the first bad one).  A
    key that exists but cannot be read (e.g. a write-only key) gets value None
    and an extra ``'error'`` string.
    """
    keys = list(keys)
    for key in keys:
        validate_key(key)
    child = in_child_netns(proc_path)
    result = {}
    for key in keys:
        entry = {'value': None, 'scope': scope_of(key, proc_path, child=child)}
        try:
            entry['value'] = read_value(key, proc_path)
        except (IOError, OSError) as exc:
            entry['error'] = 'cannot read %s: %s' % (key_to_path(key, proc_path), exc.strerror or exc)
        result[key] = entry
    return result
