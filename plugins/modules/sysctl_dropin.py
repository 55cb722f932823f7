#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: sysctl_dropin
short_description: Write, apply and verify the netfleet.tuning sysctl.d drop-in in one call
version_added: 0.1.0
description:
  - The apply step of the C(netfleet.tuning.sysctl_profile) role, in one round trip per host.
  - With O(state=present) it reads the live value and the scope of every key (in this network
    namespace), renders C(/etc/sysctl.d/<priority>-netfleet-tuning.conf), writes it atomically
    (root, mode 0644), writes only the changed keys to C(/proc/sys), reads every value back and
    scans the sysctl load order for a later file that overrides one of the keys, and reads the active
    tuned profile (parents included) for keys tuned sets after the files.
  - On the first rollout it saves the live values it is about to change in O(state_dir), so that
    O(state=absent) can restore them. A file it did not write at the drop-in's path is never
    overwritten (rule C(foreign_file)).
  - With O(state=absent) it removes the drop-in and restores the values saved at the first
    rollout; a second removal changes nothing.
  - Keys that are read-only or missing in this network namespace (host scope) or unknown to the
    kernel (absent) are never written, neither live nor into the file; they are reported as
    C(skipped), or fail the host with O(unsettable=fail). C(net.ipv4.tcp_adv_win_scale) is
    skipped on Linux 6.6 and later, where the kernel ignores it.
  - Validates O(settings) again (the role already did on the controller) and applies the rules
    that depend on the host, such as the memory guardrail.
  - Before any change, in check mode too, it checks that this host may set the words it is asked to
    (rule C(not_available), naming what the host may set and where that list came from).
    C(net.ipv4.tcp_congestion_control) - in the initial network namespace an algorithm that
    C(net.ipv4.tcp_available_congestion_control) lists, in a child network namespace only one that
    C(net.ipv4.tcp_allowed_congestion_control) lists (the kernel refuses anything else there with EPERM).
    C(net.core.default_qdisc) (host scope, so only in the initial network namespace) - a qdisc the kernel's
    config offers (C(<proc_path>/config.gz), else C(/boot/config-<release>) - C(CONFIG_NET_SCH_<NAME>=y), or
    C(=m) with its module under C(/lib/modules/<release>)); without a readable config the kernel decides when
    the value is written (a refused write rolls the run back) and the key's reason says so.
  - Before any change it works out the memory budget (RV(memory_budget)) - the worst case the buffer
    maxima that will be live allow with the TCP connections established now (C(tcp_rmem) max plus
    C(tcp_wmem) max per socket, times C(Tcp CurrEstab) of this network namespace), against
    C(net.ipv4.tcp_mem). When it exceeds tcp_mem pressure the module warns, or with
    O(over_budget=fail) fails the host before any change. C(tcp_mem) is host scope - a child network
    namespace does not show it; then the budget says so and compares nothing.
  - Reads C(MemTotal), C(Tcp CurrEstab) and the kernel release itself, so it needs no gathered facts.
  - The state in O(state_dir) is data, never instructions. The directory and every parent must be
    owned by root and not writable by group or others (as sshd's StrictModes); the state file must
    be a root-owned regular file. Every entry is checked against the input rules (keys the collection
    manages, values as for O(settings), drop-in names derived from O(priority), never paths) before
    anything changes; a state that fails a rule stops the host with its file, entry and rule named.
  - Never follows a symbolic link. A link (or anything but a regular file) at the drop-in's path, at
    the state file or in the state directory is refused before any change; its target is never read,
    copied, chmod-ed or written. Only a file carrying the collection's fingerprint line is replaced or
    removed as its own.
  - One run at a time per host - an exclusive lock on C(sysctl_profile.lock) in O(state_dir), held from
    reading the state to the end of the run; another run waits at most O(lock_timeout) seconds.
  - All or nothing, as far as the kernel allows. Each value is read back right after it is written;
    if the kernel refuses one (EINVAL, EPERM) or reads back another value, every key written in this
    run (the failing one too, as a refused triplet can be left half written) is put back and read back,
    the drop-in and the state file are put back, and the host fails naming each key's state.
author:
  - netfleet.tuning contributors (@netfleet)
options:
  state:
    description: Whether the drop-in should be there (and applied) or removed (and the saved values restored).
    type: str
    choices: [present, absent]
    default: present
  settings:
    description:
      - Sysctl key to value. A value is an integer, a string of whitespace-separated integers
        (C("4096 87380 16777216")) or a list of integers.
      - Two keys take a word instead, one name of C(a-z), C(0-9) and C(_) (1-15 characters; anything else is
        refused with rule C(not_a_name)) - C(net.ipv4.tcp_congestion_control) (an algorithm such as V(bbr),
        checked against what this host may set, rule C(not_available)) and C(net.core.default_qdisc) (one of
        V(pfifo_fast), V(fq), V(fq_codel), V(fq_pie), V(cake), V(sfq), else rule C(unknown_qdisc); checked
        against the kernel's config, rule C(not_available)).
      - Keys must match C(net.) plus 2-4 dot-separated parts of C(a-z), C(0-9) and C(_).
      - Required with O(state=present).
    type: dict
    default: {}
  comments:
    description: Key to a one-line reason, written as a comment above the key.
    type: dict
    default: {}
  notes:
    description: Lines written as comments at the top of the file (for example the bdp arithmetic).
    type: list
    elements: str
    default: []
  header:
    description:
      - Header text written at the top of the file, each line as a comment (the role passes the
        rendered C(ansible_managed) string). Whatever it contains, it can only become comment lines.
    type: str
    default: Ansible managed
  profile:
    description: Profile name recorded in the file's fingerprint line.
    type: str
  priority:
    description: The drop-in's number, 0 to 99, written with two digits (C(60-netfleet-tuning.conf)).
    type: int
    default: 60
  only_raise:
    description:
      - Never lower a value the host already has higher, element by element for triplets
        (tuned's C(>) semantics). The comparison uses the values saved at the first rollout when
        there are any, else the live values.
    type: bool
    default: true
  unsettable:
    description: What to do with keys this host cannot set (host scope or absent) - V(skip) and report them, or V(fail) the host before any change.
    type: str
    choices: [skip, fail]
    default: skip
  over_budget:
    description:
      - What to do when the memory budget is exceeded - the buffer maxima that will be live, times the TCP
        sockets established now, are more than C(net.ipv4.tcp_mem) pressure (see RV(memory_budget)).
      - V(warn) applies the plan and warns; V(fail) fails the host before any change (rule C(memory_budget)).
      - Nothing is compared, so nothing warns or fails, where C(tcp_mem) is not visible (a child network
        namespace) or the established sockets are unknown.
    type: str
    choices: [warn, fail]
    default: warn
  variable_names:
    # the options its messages name (description, type and default: the netfleet.tuning.variable_names fragment)
    suboptions:
      state: {description: Name of O(state)., type: str}
      settings: {description: Name of O(settings)., type: str}
      priority: {description: Name of O(priority)., type: str}
      unsettable: {description: Name of O(unsettable)., type: str}
      over_budget: {description: Name of O(over_budget)., type: str}
      force: {description: Name of O(force)., type: str}
      state_dir: {description: Name of O(state_dir)., type: str}
      lock_timeout: {description: Name of O(lock_timeout)., type: str}
  force:
    description:
      - Rules to override. V(memory) applies per-socket maxima above 1/32 of the host's RAM (and a
        C(tcp_mem) max above its RAM). V(tcp_feature_off) allows 0 for window scaling, timestamps,
        SACK and receive buffer autotuning.
    type: list
    elements: str
    choices: [memory, tcp_feature_off]
    default: []
  fit_to_memory:
    description:
      - Keys whose per-socket maxima are lowered to the memory guardrail (the largest power of two
        not above MemTotal/32) instead of failing. The role passes the keys the bdp profile sized.
    type: list
    elements: str
    default: []
  state_dir:
    description:
      - Directory for the saved original values and backups (created with mode 0700).
      - An absolute path outside C(/proc), C(/sys) and C(/dev).
    type: path
    default: /var/lib/netfleet-tuning
  lock_timeout:
    description:
      - Seconds to wait for another run on this host to release the lock in O(state_dir), then fail
        (nothing changed). 0 to 3600.
    type: int
    default: 60
  proc_path:
    description: Where procfs is mounted (tests point it at a fake tree).
    type: path
    default: /proc
  root:
    description:
      - Prefix for the sysctl.d directories, C(/etc/sysctl.conf), C(/boot) and C(/lib/modules) (tests point it at a
        fake tree).
    type: path
    default: /
  kernel_release:
    description: Kernel release to decide kernel-dependent keys; defaults to the running kernel's (C(uname -r)).
    type: str
extends_documentation_fragment:
  - netfleet.tuning.attributes
  - netfleet.tuning.attributes.platform
  - netfleet.tuning.variable_names
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Two diffs, the drop-in's text and the live values.
notes:
  - Linux only. Writes C(/proc/sys) directly (no C(sysctl) command, no shell).
  - Never edits any file but its own drop-in. A file of its own at another priority (recorded in
    O(state_dir) as a priority, never as a path) is removed when the priority changes.
  - With O(state=absent) a full state file system costs only the backup copy of the drop-in (a
    warning); the drop-in is still removed and the values restored.
seealso:
  - module: ansible.posix.sysctl
'''

EXAMPLES = r'''
- name: Apply the json_api values (normally done by the netfleet.tuning.sysctl_profile role)
  netfleet.tuning.sysctl_dropin:
    profile: json_api
    settings:
      net.core.rmem_max: 16777216
      net.ipv4.tcp_rmem: "4096 87380 16777216"
    comments:
      net.ipv4.tcp_rmem: lets autotuning grow busy connections
  register: tuned

- name: Fail instead of skipping keys this network namespace cannot set
  netfleet.tuning.sysctl_dropin:
    settings:
      net.core.netdev_max_backlog: 30000
    unsettable: fail

- name: Remove the drop-in and restore the values from before the first rollout
  netfleet.tuning.sysctl_dropin:
    state: absent
'''

RETURN = r'''
msg:
  description: One line summary, the state, the drop-in's path, the profile and the count of keys per status.
  returned: always
  type: str
  sample: 'present /etc/sysctl.d/60-netfleet-tuning.conf (json_api): 2 applied, 1 unchanged, 3 skipped'
path:
  description: The drop-in's path.
  returned: always
  type: str
  sample: /etc/sysctl.d/60-netfleet-tuning.conf
keys:
  description: Per key outcome.
  returned: always
  type: dict
  sample:
    net.ipv4.tcp_rmem:
      status: applied
      scope: netns
      desired: 4096 87380 16777216
      value: 4096 87380 16777216
      before: 4096 16384 65536
      live: 4096 87380 16777216
    net.core.rmem_max:
      status: skipped
      scope: host
      desired: "16777216"
      reason: read-only in this network namespace (host scope)
  contains:
    status:
      description:
        - V(applied) (written live; in check mode - would be), V(unchanged) (live already right),
          V(skipped) (not written, see RV(keys.reason)), V(overridden) (a later file in the load order
          sets it, see RV(keys.by)), V(restored) (set back to the value saved at the first rollout),
          V(rolled_back) (written, then put back because another key failed in this run),
          V(failed) (the kernel refused it, or it could not be put back; see RV(keys.live)).
      type: str
    scope:
      description: C(netns), C(host) or C(absent) (see the collection's design).
      type: str
    desired:
      description: The value asked for.
      type: str
    value:
      description: The value written in the drop-in (after only_raise and the memory fit), if any.
      type: str
    before:
      description: The live value before this run.
      type: str
    live:
      description: The live value read back after this run.
      type: str
    reason:
      description:
        - Why a key was skipped, kept higher, restored or overridden.
        - For C(net.ipv4.tcp_congestion_control) and C(net.core.default_qdisc), also why the value could not be
          checked against what the host offers before the write (an unreadable list, no kernel config).
      type: str
    by:
      description:
        - Who overrides the key (status V(overridden)) - a later file in the load order, or with tuned's
          C(reapply_sysctl = 0) the active tuned profile and its file (C(tuned profile network-throughput
          (/usr/lib/tuned/network-throughput/tuned.conf))).
      type: str
    owner:
      description:
        - The tool that owns RV(keys.by), where it can be recognised (the dev-sec hardening role's file, an
          C(ansible_managed) header, tuned, linux-system-roles kernel_settings...).
      type: str
    fix:
      description: How to give the key one owner (status V(overridden)), where known.
      type: str
    also_set_by:
      description:
        - Others that set the key without overriding it - a later file with the same value, or a tuned profile
          (with C(reapply_sysctl = 1) tuned re-applies C(/etc/sysctl.d) after its own values; a warning says
          when its value differs).
      type: str
counts:
  description: How many keys got each status.
  returned: always
  type: dict
  sample: {applied: 3, unchanged: 1, skipped: 4, overridden: 0}
file_changed:
  description: Whether the drop-in was (or in check mode would be) written or removed.
  returned: always
  type: bool
backup_file:
  description: Copy of the previous drop-in content, in O(state_dir)/backup.
  returned: when the drop-in changed and was there before
  type: str
state_file:
  description: The saved original values.
  returned: always
  type: str
  sample: /var/lib/netfleet-tuning/sysctl_profile.json
kernel:
  description: The kernel release the decisions used.
  returned: always
  type: str
mem_total_bytes:
  description: MemTotal of the host, in bytes (null if unknown).
  returned: always
  type: int
memory_cap_bytes:
  description: The per-socket memory guardrail (largest power of two <= MemTotal/32).
  returned: always
  type: int
memory_budget:
  description:
    - The worst case the buffer maxima that will be live after the run (the drop-in's values where it sets
      them, else the live ones) allow with the TCP sockets established now, against C(net.ipv4.tcp_mem).
      Worked out before any change, in check mode too. Also in the fact C(sysctl_profile_result).
    - A number is null when an input it needs is unknown; the flags are null when nothing was compared (no
      C(tcp_mem) in this network namespace, or no count of established sockets).
  returned: with O(state=present), unless the run failed before it was worked out
  type: dict
  sample:
    established: 120
    tcp_rmem_max: 16777216
    tcp_wmem_max: 16777216
    per_socket_max_bytes: 33554432
    worst_case_bytes: 4026531840
    tcp_mem_pages: {low: 287901, pressure: 383868, high: 575802}
    tcp_mem_bytes: {low: 1179242496, pressure: 1572323328, high: 2358484992}
    tcp_mem_source: live
    headroom_bytes: -2454208512
    sockets_under_pressure: 46
    exceeds_pressure: true
    exceeds_high: true
    note: '120 established TCP socket(s) x 33554432 bytes (tcp_rmem max 16777216 + tcp_wmem max 16777216) = ...'
  contains:
    established:
      description: TCP sockets established now in this network namespace (C(Tcp CurrEstab) of C(<proc_path>/net/snmp)).
      type: int
    tcp_rmem_max:
      description: The C(net.ipv4.tcp_rmem) max that will be live - the receive buffer autotuning may grow a socket to.
      type: int
    tcp_wmem_max:
      description: The C(net.ipv4.tcp_wmem) max that will be live - the send buffer autotuning may grow a socket to.
      type: int
    per_socket_max_bytes:
      description:
        - RV(memory_budget.tcp_rmem_max) + RV(memory_budget.tcp_wmem_max), in bytes.
        - A socket that sets C(SO_RCVBUF) or C(SO_SNDBUF) itself gets twice the value it asks for, up to 2 x
          C(net.core.rmem_max) or C(wmem_max), and is not counted here.
      type: int
    worst_case_bytes:
      description: RV(memory_budget.per_socket_max_bytes) x RV(memory_budget.established).
      type: int
    tcp_mem_pages:
      description: C(net.ipv4.tcp_mem) in pages, as C(low), C(pressure) and C(high); null where this network namespace does not show it.
      type: dict
    tcp_mem_bytes:
      description: The same in bytes (pages x the page size).
      type: dict
    tcp_mem_source:
      description: V(drop-in) when the drop-in sets C(net.ipv4.tcp_mem), V(live) otherwise; null without C(tcp_mem).
      type: str
    headroom_bytes:
      description: tcp_mem pressure in bytes minus RV(memory_budget.worst_case_bytes); negative when over.
      type: int
    sockets_under_pressure:
      description: How many sockets grown to RV(memory_budget.per_socket_max_bytes) fit under tcp_mem pressure.
      type: int
    exceeds_pressure:
      description: Whether the worst case is more than tcp_mem pressure (then a warning, or with O(over_budget=fail) a failure).
      type: bool
    exceeds_high:
      description: Whether the worst case is more than tcp_mem high, where TCP refuses more memory.
      type: bool
    note:
      description: The budget in one sentence, or why there is no worst case or no comparison.
      type: str
tuned:
  description:
    - The host's active tuned configuration, when C(/etc/tuned/active_profile) names a profile - C(owner),
      C(profiles), C(source), C(reapply_sysctl) (from C(/etc/tuned/tuned-main.conf), tuned's default true),
      C(keys) (the sysctl keys the merged profile sets, parents included) and C(notes). Also in the fact
      C(sysctl_profile_result). tuned's daemon is never asked or started; only its files are read.
  returned: when tuned has an active profile
  type: dict
  sample:
    owner: tuned profile network-throughput
    profiles: [network-throughput]
    source: /etc/tuned/active_profile
    reapply_sysctl: true
    keys: [net.core.somaxconn, net.ipv4.tcp_rmem, net.ipv4.tcp_wmem, vm.dirty_background_ratio]
    notes: []
ansible_facts:
  description: Facts set by the module.
  returned: always
  type: dict
  contains:
    sysctl_profile_result:
      description:
        - The same per key outcome, with C(path), C(state), C(profile), C(changed), C(check_mode), C(keys) and
          C(counts), with O(state=present) C(memory_budget) (RV(memory_budget)), and C(tuned) (RV(tuned)) where
          tuned has an active profile.
      type: dict
'''

import errno
import functools
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.netfleet.tuning.plugins.module_utils import hostfs
from ansible_collections.netfleet.tuning.plugins.module_utils.coexistence import tuned_summary
from ansible_collections.netfleet.tuning.plugins.module_utils.dropin import (
    DROPIN_DIR, find_overrides, load_order, read_conf, rooted, sysctl_conf_links,
)
from ansible_collections.netfleet.tuning.plugins.module_utils.dropin_plan import (
    ALLOWED_CC, AVAILABLE_CC, STATUSES, Refusal, check_settings, plan_absent, plan_present, stale_path,
)
from ansible_collections.netfleet.tuning.plugins.module_utils.kernel_config import (
    config_option, read_config, read_modules,
)
from ansible_collections.netfleet.tuning.plugins.module_utils.live_apply import apply_changes
from ansible_collections.netfleet.tuning.plugins.module_utils.memory_budget import BUDGET_KEYS
from ansible_collections.netfleet.tuning.plugins.module_utils.procnet import ProcParseError, parse_pairs
from ansible_collections.netfleet.tuning.plugins.module_utils.profiles import (
    ProfileError, check_priority, check_state_dir, dropin_basename,
)
from ansible_collections.netfleet.tuning.plugins.module_utils.state_store import StateError, StateStore, now
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_owners import owner_of
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_scope import (
    SysctlKeyError, in_child_netns, read_sysctls, read_value,
)
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import (
    CONGESTION_CONTROL, DEFAULT_QDISC, DEFAULT_QDISCS, name_tokens,
)
from ansible_collections.netfleet.tuning.plugins.module_utils.tuned_profile import read_tuned

# Where the state trust checks start (unit tests move it to their temporary directory).
TRUST_ANCHOR = '/'
# The options messages name: variable_names maps each to the name the caller's user knows.
NAMED_OPTIONS = ('state', 'settings', 'priority', 'unsettable', 'over_budget', 'force', 'state_dir', 'lock_timeout')
# Errors that refuse a run before any change: each names the file or entry and the rule.
REFUSALS = (StateError, hostfs.UnsafePathError)


def other_files(our_path, keys, order, root):
    """Who sets ``keys`` later in the load ``order``: ``(overrides, owners)``: dropin.find_overrides' result, and for
    each of those keys the tool that owns the file (sysctl_owners.owner_of on the text find_overrides read: each file
    is read once; /etc/sysctl.conf named with the sysctl.d link systemd-sysctl reads it through)."""
    texts = {}

    def reader(path):
        texts[path] = read_conf(path)
        return texts[path]

    overrides = find_overrides(our_path, keys, order, reader)
    links = sysctl_conf_links(order, root)
    owners = dict((key, owner_of(path, texts.get(path) or '', key, links[0] if links else None))
                  for key, (path, dummy_value) in overrides.items())
    return overrides, owners


def option_names(params):
    """Option -> the name messages give it (variable_names, else the option itself)."""
    names = params['variable_names'] or {}
    return dict((option, names.get(option) or option) for option in NAMED_OPTIONS)


def mem_total_bytes(proc_path):
    try:
        with open(os.path.join(proc_path, 'meminfo'), 'r') as handle:
            text = handle.read()
    except (IOError, OSError):
        return None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == 'MemTotal:' and parts[1].isdigit():
            return int(parts[1]) * 1024
    return None


def established_sockets(proc_path):
    """The TCP sockets established now in this network namespace (Tcp CurrEstab of <proc_path>/net/snmp), as
    ``(count, why, problem)``: ``why`` says why the count is None; ``problem`` is set too when the file exists but
    cannot be read or parsed (worth a warning), not when it is missing or has no such counter."""
    path = os.path.join(proc_path, 'net', 'snmp')
    try:
        with open(path, 'r') as handle:
            text = handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None, '%s is missing' % path, None
        why = 'cannot read %s: %s' % (path, exc.strerror or exc)
        return None, why, why
    try:
        count = parse_pairs(text, path).get('Tcp', {}).get('CurrEstab')
    except ProcParseError as exc:
        return None, to_native(exc), to_native(exc)
    if count is None:
        return None, '%s has no Tcp CurrEstab' % path, None
    return count, None, None


class Run(object):
    """One run of the module: gather what the host looks like, let the planner (module_utils.dropin_plan)
    decide, then (unless check mode) carry out the plan with every step undoable, then read back."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check = module.check_mode
        self.proc = self.params['proc_path']
        self.root = self.params['root']
        self.release = self.params['kernel_release'] or os.uname()[2]
        self.names = option_names(self.params)
        try:
            self.priority = check_priority(self.params['priority'], self.names['priority'])
        except ProfileError as exc:
            module.fail_json(msg=to_native(exc), rules=exc.rules)
        self.dropin_dir = rooted(self.root, DROPIN_DIR)
        self.path = os.path.join(self.dropin_dir, dropin_basename(self.priority))
        self.store = StateStore(self.params['state_dir'], self.dropin_dir, self.params['lock_timeout'], TRUST_ANCHOR)
        self.backup_file = None
        self.tuned = None
        self.undo = []  # (what, callable) to put back, newest last
        self.reset()

    # ---- helpers ----------------------------------------------------------------------------
    def reset(self):
        """Forget a plan's outcome before planning again (under the lock)."""
        self.keys = {}
        self.diffs = []
        self.warnings = []
        self.changed = False
        self.file_changed = False
        self.budget = None

    def warn(self, text):
        if text not in self.warnings:
            self.warnings.append(text)

    def flush_warnings(self):
        for text in self.warnings:
            self.module.warn(text)
        self.warnings = []

    def fail(self, msg, **kwargs):
        kwargs.setdefault('keys', self.keys)
        kwargs.setdefault('path', self.path)
        self.flush_warnings()
        self.module.fail_json(msg=msg, **kwargs)

    def refuse(self, exc):
        """A rule refused the state, a path or the lock: nothing was changed."""
        msg = to_native(exc)
        if 'nothing was changed' not in msg.lower():
            msg += '. Nothing was changed'
        self.fail(msg, rules=[exc.rule])

    def guarded(self, func, *args):
        """Run a read or lock step of the state store; a refusal or an I/O error fails the host,
        naming the file and the rule, before any change."""
        try:
            return func(*args)
        except REFUSALS as exc:
            self.refuse(exc)
        except hostfs.FileOpError as exc:
            self.fail('%s. Nothing was changed' % to_native(exc), rules=['io'])

    def take_lock(self):
        """One run at a time on this host: held until the module exits."""
        self.guarded(self.store.lock)

    def read_own_file(self, path):
        """The text at one of our drop-in paths (None if none); a link or non-regular file is refused."""
        if path is None:
            return None
        return self.guarded(hostfs.read_text, path, 'drop-in')

    def read_live(self, keys):
        try:
            return read_sysctls(sorted(set(keys)), self.proc)
        except SysctlKeyError as exc:
            self.fail(to_native(exc))

    def read_names(self, key):
        """The names a list key shows (tcp_available_congestion_control...), checked like input: a token that is not
        a name is dropped. None when the key cannot be read."""
        try:
            text = read_value(key, self.proc)
        except (IOError, OSError):
            return None
        return None if text is None else name_tokens(text)

    def offer_inputs(self, wanted):
        """What the planner's check_offered needs, read only for the words keys that are wanted."""
        out = {}
        if CONGESTION_CONTROL in wanted:
            out['congestion_control'] = {'child_netns': in_child_netns(self.proc),
                                         'available': self.read_names(AVAILABLE_CC),
                                         'allowed': self.read_names(ALLOWED_CC)}
        if DEFAULT_QDISC in wanted:
            config = read_config(self.proc, self.release, self.root)
            out['kernel_config'] = config
            options = config['options'] or {}
            modular = any(options.get(config_option(name)) == 'm' for name in DEFAULT_QDISCS if config_option(name))
            out['qdisc_modules'] = read_modules(self.release, self.root) if modular else None
        return out

    def adopt(self, plan_func, *args):
        """Call the planner; take its outcome (keys, diffs, warnings) as this run's, or fail on a refusal."""
        try:
            plan = plan_func(*args)
        except Refusal as exc:
            self.keys = exc.keys
            self.warnings.extend(text for text in exc.warnings if text not in self.warnings)
            extra = dict(exc.extra)
            if exc.rules is not None:
                extra['rules'] = exc.rules
            self.fail(exc.message, **extra)
        self.keys = plan.keys
        self.diffs = plan.diffs
        self.warnings.extend(text for text in plan.warnings if text not in self.warnings)
        self.budget = plan.memory_budget
        self.changed = plan.changed
        self.file_changed = plan.file_changed
        return plan

    def do(self, what, action, inverse):
        """Carry out one file step; remember how to put it back if a later step fails."""
        action()
        self.undo.append((what, inverse))

    def roll_back_files(self):
        """Put back the files this run changed, newest first. Returns the problems met."""
        problems = []
        while self.undo:
            what, inverse = self.undo.pop()
            try:
                inverse()
            except (hostfs.FileOpError, hostfs.UnsafePathError) as exc:
                problems.append('%s not put back: %s' % (what, to_native(exc)))
        return problems

    def write_file(self, path, content, what):
        hostfs.write_atomic(path, content, 0o644 if what == 'drop-in' else 0o600, what)
        if what == 'drop-in' and self.module.selinux_enabled():
            self.module.set_default_selinux_context(path, False)

    def file_step(self, path, content):
        """A step that leaves ``content`` at the drop-in path ``path``, or no file when it is None
        (also the inverse of replacing or removing a file: its old content back)."""
        if content is None:
            return functools.partial(hostfs.remove, path, 'drop-in')
        return functools.partial(self.write_file, path, content, 'drop-in')

    def save_state(self, new_state, old_state):
        inverse = functools.partial(self.store.save, old_state) if old_state else self.store.delete
        self.do('state file %s' % self.store.state_path, functools.partial(self.store.save, new_state), inverse)

    def backup(self, path, content, required=True):
        """Copy a drop-in into the state's backup directory. ``required=False``: a failure (a full
        state file system) is a warning, not a stop: the drop-in is ours and its text is reproducible."""
        try:
            self.backup_file = self.store.backup(os.path.basename(path), content)
        except (hostfs.FileOpError, hostfs.UnsafePathError) as exc:
            if required:
                raise
            self.warn('no backup of %s was kept: %s' % (path, to_native(exc)))

    def keep_previous(self, path, text):
        """A file that sat at ``path`` before the first rollout, kept in the state by version 0.1: copy it
        to the backups and say where. It is never written back into the sysctl directory itself: the
        state is data, and its text would be applied as root at the next boot."""
        try:
            copy = self.store.backup(os.path.basename(path) + '.before-first-rollout', text)
        except (hostfs.FileOpError, hostfs.UnsafePathError) as exc:
            self.warn('the file that was at %s before the first rollout (kept in %s) could not be copied to the '
                      'backups: %s' % (path, self.store.state_path, to_native(exc)))
            return
        self.warn('the file that was at %s before the first rollout is not put back (a state file is data, never '
                  'instructions): its text is in %s; restore it by hand if it is still wanted' % (path, copy))

    def carry_out(self, steps):
        """The plan's file steps in order; on a refusal or an I/O error put back what was done and fail."""
        try:
            for step in steps:
                if step.action == 'save_state':
                    self.save_state(step.after, step.before)
                elif step.action == 'backup':
                    self.backup(step.path, step.after, step.required)
                elif step.action == 'keep_previous':
                    self.keep_previous(step.path, step.after)
                elif step.action == 'fix_mode':
                    hostfs.fix_owner_mode(step.path, 0o644, 'drop-in')
                else:
                    self.do('drop-in %s' % step.path, self.file_step(step.path, step.after),
                            self.file_step(step.path, step.before))
        except REFUSALS + (hostfs.FileOpError,) as exc:
            problems = self.roll_back_files()
            self.fail('%s. %s' % (to_native(exc), 'Nothing was changed' if not problems else '; '.join(problems)),
                      changed=bool(problems), rules=[getattr(exc, 'rule', 'io')])

    def apply_live(self, changes, done_msg):
        """Write ``changes`` all or nothing. On failure put the files back too and fail the host,
        saying which key is in which state."""
        ok, outcome, errors = apply_changes(changes, self.proc)
        for key, got in outcome.items():
            self.keys[key]['live'] = got['live']
            if got['result'] != 'written':
                self.keys[key]['status'] = 'rolled_back' if got['result'] == 'rolled_back' else 'failed'
        if ok:
            return
        live_back = all(got['result'] != 'rollback_failed' for got in outcome.values())
        if live_back:
            problems = self.roll_back_files()
            files = ('the drop-in and the state file are as before this run' if not problems
                     else '; '.join(problems))
            self.fail('%s failed: %s. Rolled back: every key written in this run is at its value from before the '
                      'run again (read back: %s); %s.' % (
                          done_msg, errors[0],
                          ', '.join('%s = %s' % (key, outcome[key]['live']) for key in sorted(outcome)),
                          files), changed=bool(problems), rules=['kernel_refused'])
        self.undo = []
        self.fail('%s failed and could not be fully rolled back: %s. The drop-in and the state file are kept, so '
                  'that %s=absent can restore the values from before the first rollout (%s).'
                  % (done_msg, '; '.join(errors), self.names['state'], self.store.state_path), changed=True,
                  rules=['kernel_refused'])

    def read_back(self):
        """Every key's live value after the run."""
        after = read_sysctls(sorted(self.keys), self.proc)
        for key, entry in self.keys.items():
            entry['live'] = after[key]['value']

    def counts(self):
        out = dict((status, 0) for status in STATUSES)
        for entry in self.keys.values():
            out[entry['status']] = out.get(entry['status'], 0) + 1
        return out

    def result(self, **extra):
        self.flush_warnings()
        counts = self.counts()
        fact = {
            'state': self.params['state'], 'profile': self.params['profile'], 'path': self.path,
            'changed': self.changed, 'check_mode': self.check, 'keys': self.keys, 'counts': counts,
        }
        if self.budget is not None:
            fact['memory_budget'] = self.budget
        if self.tuned is not None:
            fact['tuned'] = tuned_summary(self.tuned)
        summary = ', '.join('%d %s' % (counts[status], status) for status in STATUSES if counts.get(status))
        res = dict(changed=self.changed, path=self.path, keys=self.keys, counts=counts,
                   msg='%s %s (%s): %s' % (self.params['state'], self.path, self.params['profile'] or 'no profile',
                                           summary or 'no keys'),
                   file_changed=self.file_changed, state_file=self.store.state_path, kernel=self.release,
                   ansible_facts={'sysctl_profile_result': fact})
        if self.budget is not None:
            res['memory_budget'] = self.budget
        if self.tuned is not None:
            res['tuned'] = fact['tuned']
        if self.backup_file:
            res['backup_file'] = self.backup_file
        if self.module._diff and self.diffs:
            res['diff'] = self.diffs
        res.update(extra)
        return res

    def check_only_result(self, **extra):
        for key in self.keys:
            self.keys[key]['live'] = self.keys[key].get('before')
        return self.result(**extra)

    # ---- state=present --------------------------------------------------------------------
    def present(self):
        """Plan without the lock (bad input or a refused state changes nothing, not even the state
        directory); if the plan changes something, take the lock, plan again under it and act."""
        params = self.params
        try:
            wanted = check_settings(params['settings'], params['force'], self.names)
        except Refusal as exc:
            self.fail(exc.message, **({'rules': exc.rules} if exc.rules is not None else {}))
        plan = self.plan_present(wanted)
        if not plan.writes_nothing and plan.changed and not self.check:
            self.take_lock()
            self.reset()
            plan = self.plan_present(wanted)
            if not plan.writes_nothing and plan.changed:
                self.act_present(plan)
                return self.result(mem_total_bytes=plan.mem_total, memory_cap_bytes=plan.memory_cap)
        if plan.writes_nothing:
            return self.result()
        return self.check_only_result(mem_total_bytes=plan.mem_total, memory_cap_bytes=plan.memory_cap)

    def plan_present(self, wanted):
        """Gather what state=present decides on (nothing written), and plan. The host's state is checked
        before anything else: strict modes, every entry against the input rules, our own files never
        through a link. (present() holds the lock when acting.)"""
        params = self.params
        mem = mem_total_bytes(self.proc)
        state = self.guarded(self.store.load)
        stale = stale_path(self.dropin_dir, state, self.priority)
        own_text = self.read_own_file(self.path)
        stale_text = self.read_own_file(stale)
        live = self.read_live(list(wanted) + (list(state['applied']) if state else []) + list(BUDGET_KEYS))
        established, established_unknown, problem = established_sockets(self.proc)
        if problem:
            self.warn('memory budget: %s: the established TCP sockets are unknown' % problem)
        order = [path for path in load_order(self.root, include=self.path) if path != stale]
        overrides, owners = other_files(self.path, sorted(wanted), order, self.root)
        self.tuned = read_tuned(self.root)
        host = {
            'kernel_release': self.release, 'mem_total': mem, 'page_size': os.sysconf('SC_PAGE_SIZE'), 'now': now(),
            'own_mode_ok': own_text is None or not hostfs.needs_owner_mode(self.path, 0o644),
            'established': established, 'established_unknown': established_unknown,
            'file_owners': owners, 'tuned': self.tuned,
        }
        host.update(self.offer_inputs(wanted))
        options = {
            'path': self.path, 'stale_path': stale, 'state_path': self.store.state_path, 'proc_path': self.proc,
            'priority': self.priority, 'profile': params['profile'], 'header': params['header'],
            'comments': dict((key, to_native(why)) for key, why in (params['comments'] or {}).items()),
            'notes': list(params['notes'] or []), 'only_raise': params['only_raise'],
            'unsettable': params['unsettable'], 'over_budget': params['over_budget'], 'force': params['force'] or [],
            'fit_to_memory': params['fit_to_memory'] or [], 'names': self.names,
        }
        return self.adopt(plan_present, wanted, live, state, own_text, stale_text, overrides, host, options)

    def act_present(self, plan):
        """Carry out a plan, every step undoable: the state first, then the files, then the live values."""
        self.carry_out(plan.steps)
        self.apply_live(plan.live_changes, plan.live_what)
        self.read_back()

    # ---- state=absent -----------------------------------------------------------------------
    def absent(self):
        """As present(): plan, then lock, plan again and act only when something changes."""
        plan = self.plan_absent()
        if plan.changed and not self.check:
            self.take_lock()
            self.reset()
            plan = self.plan_absent()
            if plan.changed:
                self.act_absent(plan)
                return self.result()
        return self.check_only_result()

    def plan_absent(self):
        state = self.guarded(self.store.load)
        stale = stale_path(self.dropin_dir, state, self.priority)
        own_text = self.read_own_file(self.path)
        stale_text = self.read_own_file(stale)
        applied = list(state['applied']) if state else []
        live = self.read_live(applied) if applied else {}
        order = load_order(self.root, include=self.path)
        overrides, owners = other_files(self.path, applied, order, self.root) if applied else ({}, {})
        self.tuned = read_tuned(self.root) if applied else None
        options = {'path': self.path, 'stale_path': stale, 'state_path': self.store.state_path}
        host = {'file_owners': owners, 'tuned': self.tuned}
        return self.adopt(plan_absent, state, live, own_text, stale_text, overrides, options, host)

    def act_absent(self, plan):
        """The files first (a full state file system only costs the backup), then the live values."""
        self.carry_out(plan.steps)
        self.apply_live(plan.live_changes, plan.live_what)
        if self.keys:
            self.read_back()
        if plan.delete_state:
            try:
                self.store.delete()
            except REFUSALS + (hostfs.FileOpError,) as exc:
                self.fail('the drop-in is removed and the values are restored, but %s: a rerun finishes the job'
                          % to_native(exc), changed=True, rules=[getattr(exc, 'rule', 'io')])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', default='present', choices=['present', 'absent']),
            settings=dict(type='dict', default={}),
            comments=dict(type='dict', default={}),
            notes=dict(type='list', elements='str', default=[]),
            header=dict(type='str', default='Ansible managed'),
            profile=dict(type='str'),
            priority=dict(type='int', default=60),
            only_raise=dict(type='bool', default=True),
            unsettable=dict(type='str', default='skip', choices=['skip', 'fail']),
            over_budget=dict(type='str', default='warn', choices=['warn', 'fail']),
            variable_names=dict(type='dict', default={},
                                options=dict((option, dict(type='str')) for option in NAMED_OPTIONS)),
            force=dict(type='list', elements='str', default=[], choices=['memory', 'tcp_feature_off']),
            fit_to_memory=dict(type='list', elements='str', default=[]),
            state_dir=dict(type='path', default='/var/lib/netfleet-tuning'),
            lock_timeout=dict(type='int', default=60),
            proc_path=dict(type='path', default='/proc'),
            root=dict(type='path', default='/'),
            kernel_release=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    try:
        check_state_dir(module.params['state_dir'], option_names(module.params)['state_dir'])
    except ProfileError as exc:
        module.fail_json(msg=to_native(exc), rules=exc.rules)
    if not 0 <= module.params['lock_timeout'] <= 3600:
        module.fail_json(msg='%s: must be 0..3600 seconds, got %d (rule: range)' % (
            option_names(module.params)['lock_timeout'], module.params['lock_timeout']), rules=['range'])
    run = Run(module)
    try:
        result = run.present() if module.params['state'] == 'present' else run.absent()
    finally:
        run.store.release()
    module.exit_json(**result)


if __name__ == '__main__':
    main()
