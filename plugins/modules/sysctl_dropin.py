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
    scans the sysctl load order for a later file that overrides one of the keys.
  - On the first rollout it saves the live values it is about to change (and any file that was at
    its path) in O(state_dir), so that O(state=absent) can restore them.
  - With O(state=absent) it removes the drop-in and restores the values saved at the first
    rollout; a second removal changes nothing.
  - Keys that are read-only or missing in this network namespace (host scope) or unknown to the
    kernel (absent) are never written, neither live nor into the file; they are reported as
    C(skipped), or fail the host with O(unsettable=fail). C(net.ipv4.tcp_adv_win_scale) is
    skipped on Linux 6.6 and later, where the kernel ignores it.
  - Validates O(settings) again (the role already did on the controller) and applies the rules
    that depend on the host, such as the memory guardrail.
  - Reads C(MemTotal) and the kernel release itself, so it needs no gathered facts.
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
  proc_path:
    description: Where procfs is mounted (tests point it at a fake tree).
    type: path
    default: /proc
  root:
    description: Prefix for the sysctl.d directories and C(/etc/sysctl.conf) (tests point it at a fake tree).
    type: path
    default: /
  kernel_release:
    description: Kernel release to decide kernel-dependent keys; defaults to the running kernel's (C(uname -r)).
    type: str
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: Two diffs, the drop-in's text and the live values.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
notes:
  - Linux only. Writes C(/proc/sys) directly (no C(sysctl) command, no shell).
  - Never edits any file but its own drop-in. A file of its own at another priority (recorded in
    O(state_dir)) is removed when the priority changes.
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
          V(failed) (the read-back differs).
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
      description: Why a key was skipped, kept higher, restored or overridden.
      type: str
    by:
      description: The file that overrides the key (status V(overridden)).
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
ansible_facts:
  description: Facts set by the module.
  returned: always
  type: dict
  contains:
    sysctl_profile_result:
      description: The same per key outcome, with C(path), C(state), C(profile), C(changed), C(keys) and C(counts).
      type: dict
'''

import json
import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.netfleet.tuning.plugins.module_utils.profiles import (
    MEMORY_FRACTION, ProfileError, check_priority, check_state_dir, dropin_basename, fit_to_cap, format_value,
    memory_cap, memory_violations, obsolete_reason, only_raise, parse_ints, validate_settings,
)
from ansible_collections.netfleet.tuning.plugins.module_utils.dropin import (
    DROPIN_DIR, FINGERPRINT, find_overrides, load_order, render, rooted,
)
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_scope import (
    SysctlKeyError, key_to_path, read_sysctls,
)

STATE_FILE = 'sysctl_profile.json'
STATE_VERSION = 1
KEEP_BACKUPS = 5
STATUSES = ('applied', 'unchanged', 'skipped', 'overridden', 'restored', 'failed')
SCOPE_REASON = {
    'host': 'read-only or missing in this network namespace (host scope): set it on the host itself',
    'absent': 'not known to this kernel: never written',
}


def read_text(path):
    try:
        with open(path, 'r') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if not os.path.exists(path):
            return None
        raise exc


def mem_total_bytes(proc_path):
    text = read_text(os.path.join(proc_path, 'meminfo')) or ''
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == 'MemTotal:' and parts[1].isdigit():
            return int(parts[1]) * 1024
    return None


def now():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


class Dropin(object):
    """One run of the module: plan, then (unless check mode) act, then read back."""

    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.check = module.check_mode
        self.proc = self.p['proc_path']
        self.root = self.p['root']
        self.state_dir = self.p['state_dir']
        self.state_path = os.path.join(self.state_dir, STATE_FILE)
        self.release = self.p['kernel_release'] or os.uname()[2]
        try:
            self.priority = check_priority(self.p['priority'], 'priority')
        except ProfileError as exc:
            module.fail_json(msg=to_native(exc), rules=exc.rules)
        self.path = rooted(self.root, os.path.join(DROPIN_DIR, dropin_basename(self.priority)))
        self.keys = {}
        self.writes = {}  # key -> value to write live
        self.diffs = []
        self.backup_file = None
        self.changed = False
        self.file_changed = False

    # ---- helpers ----------------------------------------------------------------------------
    def fail(self, msg, **kwargs):
        kwargs.setdefault('keys', self.keys)
        kwargs.setdefault('path', self.path)
        self.module.fail_json(msg=msg, **kwargs)

    def load_state(self):
        text = read_text(self.state_path)
        if text is None:
            return None
        try:
            state = json.loads(text)
        except ValueError as exc:
            self.fail('cannot parse %s: %s (move it away to start over)' % (self.state_path, exc))
        if not isinstance(state, dict) or state.get('version') != STATE_VERSION:
            version = state.get('version') if isinstance(state, dict) else None
            self.fail('%s has an unknown format (version %r)' % (self.state_path, version))
        state.setdefault('original', {})
        state.setdefault('applied', [])
        state.setdefault('previous_files', {})
        return state

    def write_atomic(self, path, content, mode):
        directory = os.path.dirname(path)
        fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
        try:
            with os.fdopen(fd, 'w') as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            self.module.atomic_move(tmp, path, keep_dest_attrs=False)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.set_owner_mode(path, mode)

    @staticmethod
    def set_owner_mode(path, mode):
        os.chmod(path, mode)
        if os.geteuid() == 0:
            st = os.stat(path)
            if st.st_uid != 0 or st.st_gid != 0:
                os.chown(path, 0, 0)

    @staticmethod
    def needs_owner_mode(path, mode):
        st = os.stat(path)
        wrong_owner = os.geteuid() == 0 and (st.st_uid != 0 or st.st_gid != 0)
        return (st.st_mode & 0o7777) != mode or wrong_owner

    def ensure_state_dir(self):
        if not os.path.isdir(self.state_dir):
            os.makedirs(self.state_dir, 0o700)

    def save_state(self, state):
        self.ensure_state_dir()
        self.write_atomic(self.state_path, json.dumps(state, indent=2, sort_keys=True) + '\n', 0o600)

    def backup(self, path, content):
        """Keep a copy of ``content`` (the file at ``path`` before we replace or remove it)."""
        backup_dir = os.path.join(self.state_dir, 'backup')
        if not os.path.isdir(backup_dir):
            os.makedirs(backup_dir, 0o700)
        name = '%s.%s' % (os.path.basename(path), time.strftime('%Y%m%dT%H%M%S', time.gmtime()))
        target = os.path.join(backup_dir, name)
        suffix = 0
        while os.path.exists(target):
            suffix += 1
            target = os.path.join(backup_dir, '%s.%d' % (name, suffix))
        self.write_atomic(target, content, 0o600)
        olds = sorted(n for n in os.listdir(backup_dir) if n.startswith(os.path.basename(path) + '.'))
        for old in olds[:-KEEP_BACKUPS]:
            os.unlink(os.path.join(backup_dir, old))
        return target

    def write_live(self, key, value):
        """Write one value to /proc/sys (no shell, no sysctl command). Returns an error string or None."""
        try:
            with open(key_to_path(key, self.proc), 'w') as handle:
                handle.write(value + '\n')
        except (IOError, OSError) as exc:
            return 'cannot write %s = %s: %s' % (key, value, exc.strerror or exc)
        return None

    def live_diff(self, before, after):
        if before == after:
            return
        self.diffs.append({
            'before_header': 'live values (/proc/sys)', 'after_header': 'live values (/proc/sys)',
            'before': ''.join('%s = %s\n' % (k, before[k]) for k in sorted(before)),
            'after': ''.join('%s = %s\n' % (k, after[k]) for k in sorted(after)),
        })

    def counts(self):
        out = dict((s, 0) for s in STATUSES)
        for entry in self.keys.values():
            out[entry['status']] = out.get(entry['status'], 0) + 1
        return out

    def result(self, **extra):
        counts = self.counts()
        fact = {
            'state': self.p['state'], 'profile': self.p['profile'], 'path': self.path,
            'changed': self.changed, 'check_mode': self.check, 'keys': self.keys, 'counts': counts,
        }
        summary = ', '.join('%d %s' % (counts[s], s) for s in STATUSES if counts.get(s))
        res = dict(changed=self.changed, path=self.path, keys=self.keys, counts=counts,
                   msg='%s %s (%s): %s' % (self.p['state'], self.path, self.p['profile'] or 'no profile',
                                           summary or 'no keys'),
                   file_changed=self.file_changed, state_file=self.state_path, kernel=self.release,
                   ansible_facts={'sysctl_profile_result': fact})
        if self.backup_file:
            res['backup_file'] = self.backup_file
        if self.module._diff and self.diffs:
            res['diff'] = self.diffs
        res.update(extra)
        return res

    # ---- state=present --------------------------------------------------------------------
    def present(self):
        p = self.p
        force = p['force'] or []
        if not p['settings']:
            self.fail('settings is empty: nothing to write (use state=absent to remove the drop-in)')
        try:
            settings = validate_settings(p['settings'], force, 'settings')
        except ProfileError as exc:
            self.fail('invalid settings: %s' % to_native(exc), rules=exc.rules)
        comments = dict((k, to_native(v)) for k, v in (p['comments'] or {}).items())
        notes = list(p['notes'] or [])
        ints = dict((k, parse_ints(v)) for k, v in settings.items())
        mem = mem_total_bytes(self.proc)
        cap = memory_cap(mem) if mem else None
        try:
            live = read_sysctls(sorted(settings), self.proc)
        except SysctlKeyError as exc:
            self.fail(to_native(exc))

        # 1. scope and kernel: which keys this host can and should set
        unsettable = []
        candidates = []
        skipped = {}
        for key in sorted(settings):
            entry = live[key]
            self.keys[key] = {'scope': entry['scope'], 'desired': settings[key], 'before': entry['value']}
            reason = obsolete_reason(key, self.release)
            if reason is None and entry['scope'] != 'netns':
                reason = SCOPE_REASON[entry['scope']]
                unsettable.append('%s (%s)' % (key, reason))
            elif reason is None and entry.get('error'):
                reason = entry['error']
                unsettable.append('%s (%s)' % (key, reason))
            if reason:
                self.keys[key].update(status='skipped', reason=reason)
                skipped[key] = reason
            else:
                candidates.append(key)
        if unsettable and p['unsettable'] == 'fail':
            self.fail('%d key(s) cannot be set on this host and sysctl_profile_unsettable is fail: %s. Nothing was '
                      'changed.' % (len(unsettable), '; '.join(unsettable)), rules=['unsettable'])
        if not candidates and not os.path.exists(self.path):
            # A drop-in without a single assignment would only mislead the next reader of /etc/sysctl.d.
            self.module.warn('none of the %d key(s) can be set on this host (all skipped): no drop-in written, '
                             'nothing changed' % len(settings))
            return self.result()

        # 2. the memory guardrail (only for keys we would write)
        if cap:
            for key in p['fit_to_memory'] or []:
                if key in candidates:
                    fitted = fit_to_cap(key, ints[key], cap)
                    if fitted != ints[key]:
                        ints[key] = fitted
                        comments[key] = '%s; lowered to %d by the memory guardrail' % (comments.get(key, ''), cap)
                        notes.append('  %s lowered to %d: the memory guardrail allows one socket at most MemTotal '
                                     '(%d bytes) / %d, rounded down to a power of two' % (key, cap, mem, MEMORY_FRACTION))
            if 'memory' not in force:
                bad = memory_violations(dict((k, ints[k]) for k in candidates), mem, os.sysconf('SC_PAGE_SIZE'))
                if bad:
                    self.fail('memory guardrail: %s. Nothing was changed.' % '; '.join(bad[k] for k in sorted(bad)),
                              rules=['memory'], mem_total_bytes=mem)
        elif candidates:
            self.module.warn('MemTotal not found in %s/meminfo: the memory guardrail was not applied' % self.proc)

        # 3. only_raise against the original values (saved at the first rollout) or the live ones
        state = self.load_state()
        original = state['original'] if state else {}
        to_write = {}
        for key in candidates:
            desired = ints[key]
            base = parse_ints(original[key]) if key in original else parse_ints(live[key]['value'])
            effective = only_raise(desired, base) if p['only_raise'] else desired
            if effective != desired:
                why = 'only_raise: kept the host\'s higher %s (profile: %s)' % (format_value(effective), format_value(desired))
                self.keys[key]['reason'] = why
                comments[key] = '%s; %s' % (comments.get(key, ''), why)
            to_write[key] = format_value(effective)
            self.keys[key]['value'] = to_write[key]

        content = render(to_write, comments, p['header'], notes, skipped, p['profile'])
        try:
            old_content = read_text(self.path)
        except (IOError, OSError) as exc:
            self.fail('cannot read %s: %s' % (self.path, exc))

        # 4. who else sets our keys later in the load order (our own stale file, if any, does not count)
        stale_path = state.get('path') if state else None
        stale = stale_path if stale_path and stale_path != self.path and os.path.exists(stale_path) else None
        order = [f for f in load_order(self.root, include=self.path) if f != stale]
        overrides = find_overrides(self.path, to_write, order)
        for key in sorted(to_write):
            entry = self.keys[key]
            value = to_write[key]
            if key in overrides and parse_ints(overrides[key][1]) != parse_ints(value):
                by, theirs = overrides[key]
                entry.update(status='overridden', by=by,
                             reason='%s sets %s = %s later in the load order: live value left as that file sets it'
                             % (by, key, theirs))
                self.module.warn('%s is overridden by %s (%s = %s comes after %s): not applied live' % (
                    key, by, key, theirs, self.path))
            elif parse_ints(live[key]['value']) == parse_ints(value):
                entry['status'] = 'unchanged'
            else:
                entry['status'] = 'applied'
                self.writes[key] = value
            if key in overrides and entry['status'] != 'overridden':
                entry['also_set_by'] = overrides[key][0]

        # 5. keys we applied in an earlier run and no longer manage: put their original value back
        restores = {}
        released = set()
        prev_applied = set(state['applied']) if state else set()
        gone = sorted(k for k in prev_applied if k not in to_write and k not in skipped)
        if gone:
            gone_live = read_sysctls(gone, self.proc)
            for key in gone:
                orig = original.get(key)
                cur = gone_live[key]
                if orig is None or cur['scope'] != 'netns':
                    continue
                released.add(key)
                status = 'unchanged' if parse_ints(cur['value']) == parse_ints(orig) else 'restored'
                self.keys[key] = {'status': status, 'scope': cur['scope'], 'before': cur['value'], 'value': None,
                                  'reason': 'no longer in the profile: original value from before the first rollout'}
                if status == 'restored':
                    restores[key] = orig

        # 5b. the state to keep: original values are recorded once, at the first rollout of each key
        previous_files = dict(state['previous_files']) if state else {}
        if old_content is not None and FINGERPRINT not in old_content and self.path not in previous_files:
            previous_files[self.path] = old_content
        new_state = {
            'version': STATE_VERSION,
            'created': state.get('created') if state else now(),
            'path': self.path,
            'original': dict(original),
            'applied': sorted((prev_applied - released) | set(self.writes)),
            'previous_files': previous_files,
        }
        for key in to_write:
            new_state['original'].setdefault(key, live[key]['value'])
        for key in released:
            new_state['original'].pop(key, None)

        if old_content is None:
            file_needs = True
        else:
            file_needs = old_content != content or self.needs_owner_mode(self.path, 0o644)
        state_needs = state is None or dict(state, created=None) != dict(new_state, created=None)
        self.file_changed = bool(file_needs or stale)
        self.changed = bool(self.file_changed or self.writes or restores or state_needs)
        if old_content != content:
            self.diffs.append({'before_header': self.path, 'after_header': self.path,
                               'before': old_content or '', 'after': content})
        before_live = dict((k, live[k]['value']) for k in self.writes)
        before_live.update(dict((k, self.keys[k]['before']) for k in restores))
        after_live = dict(self.writes)
        after_live.update(restores)
        self.live_diff(before_live, after_live)

        if self.check:
            for key in self.keys:
                self.keys[key]['live'] = self.keys[key].get('before')
            return self.result(mem_total_bytes=mem, memory_cap_bytes=cap)

        # 6. act: state first (so a failure later can still be undone), then the file, then live values
        try:
            if state_needs:
                self.save_state(new_state)
            if old_content is not None and old_content != content:
                self.backup_file = self.backup(self.path, old_content)
            if file_needs:
                if old_content == content:
                    self.set_owner_mode(self.path, 0o644)
                else:
                    self.write_atomic(self.path, content, 0o644)
            if stale:
                self.remove_stale(stale, previous_files.get(stale))
        except (IOError, OSError) as exc:
            self.fail('cannot write %s: %s' % (exc.filename or self.path, to_native(exc)))
        errors = []
        for key in sorted(self.writes):
            err = self.write_live(key, self.writes[key])
            if err:
                errors.append(err)
        for key in sorted(restores):
            err = self.write_live(key, restores[key])
            if err:
                errors.append(err)

        # 7. read every value back
        after = read_sysctls(sorted(self.keys), self.proc)
        for key, entry in self.keys.items():
            entry['live'] = after[key]['value']
            expect = self.writes.get(key, restores.get(key))
            if expect is not None and parse_ints(entry['live']) != parse_ints(expect):
                entry['status'] = 'failed'
                entry['reason'] = 'read back %r after writing %r' % (entry['live'], expect)
                errors.append('%s: %s' % (key, entry['reason']))
        if errors:
            self.fail('applying the drop-in failed for %d key(s): %s. The file is written and the original '
                      'values are saved in %s (state=absent restores them).'
                      % (len(errors), '; '.join(errors), self.state_path), changed=True)
        return self.result(mem_total_bytes=mem, memory_cap_bytes=cap)

    def remove_stale(self, path, previous):
        """Our own drop-in at an earlier priority (recorded in the state): back it up, then remove it
        (or put back what was there before our first rollout)."""
        content = read_text(path)
        if content is None:
            return
        self.backup(path, content)
        if previous is not None:
            self.write_atomic(path, previous, 0o644)
        else:
            os.unlink(path)

    # ---- state=absent -----------------------------------------------------------------------
    def absent(self):
        state = self.load_state()
        paths = [self.path]
        if state and state.get('path') and state['path'] not in paths:
            paths.append(state['path'])
        files = {}
        for path in paths:
            content = read_text(path)
            if content is not None:
                files[path] = content
        restores = {}
        if state and state['applied']:
            applied = list(state['applied'])
            live = read_sysctls(applied, self.proc)
            overrides = find_overrides(self.path, applied, load_order(self.root, include=self.path))
            for key in applied:
                orig = state['original'].get(key)
                cur = live[key]
                entry = {'scope': cur['scope'], 'before': cur['value'], 'desired': orig, 'value': None}
                self.keys[key] = entry
                if key in overrides:
                    entry.update(status='overridden', by=overrides[key][0],
                                 reason='%s sets it: live value left as is' % overrides[key][0])
                elif orig is None:
                    entry.update(status='skipped', reason='not readable before the first rollout: nothing to restore')
                elif cur['scope'] != 'netns':
                    entry.update(status='skipped', reason=SCOPE_REASON[cur['scope']])
                elif parse_ints(cur['value']) == parse_ints(orig):
                    entry.update(status='unchanged', reason='already the value from before the first rollout')
                else:
                    entry.update(status='restored', reason='value from before the first rollout')
                    restores[key] = orig
        elif files and not state:
            self.module.warn('no saved values in %s: the drop-in is removed but live values stay as they are'
                             % self.state_path)
        previous = state['previous_files'] if state else {}
        self.file_changed = bool(files)
        self.changed = bool(files or restores or state)
        for path, content in files.items():
            after = previous.get(path, '')
            self.diffs.append({'before_header': path, 'after_header': path if path in previous else '(removed)',
                               'before': content, 'after': after})
        self.live_diff(dict((k, self.keys[k]['before']) for k in restores), restores)
        if self.check:
            for key in self.keys:
                self.keys[key]['live'] = self.keys[key].get('before')
            return self.result()
        try:
            for path, content in files.items():
                self.backup_file = self.backup(path, content)
                if path in previous:
                    self.write_atomic(path, previous[path], 0o644)
                else:
                    os.unlink(path)
        except (IOError, OSError) as exc:
            self.fail('cannot remove %s: %s' % (exc.filename or self.path, to_native(exc)))
        errors = [e for e in (self.write_live(k, restores[k]) for k in sorted(restores)) if e]
        if self.keys:
            after = read_sysctls(sorted(self.keys), self.proc)
            for key, entry in self.keys.items():
                entry['live'] = after[key]['value']
                if key in restores and parse_ints(entry['live']) != parse_ints(restores[key]):
                    entry['status'] = 'failed'
                    errors.append('%s: read back %r after restoring %r' % (key, entry['live'], restores[key]))
        if errors:
            self.fail('restoring failed: %s. %s is kept so that a rerun can try again.' % (
                '; '.join(errors), self.state_path), changed=True)
        if state:
            os.unlink(self.state_path)
        return self.result()


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
            force=dict(type='list', elements='str', default=[], choices=['memory', 'tcp_feature_off']),
            fit_to_memory=dict(type='list', elements='str', default=[]),
            state_dir=dict(type='path', default='/var/lib/netfleet-tuning'),
            proc_path=dict(type='path', default='/proc'),
            root=dict(type='path', default='/'),
            kernel_release=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    try:
        check_state_dir(module.params['state_dir'], 'state_dir')
    except ProfileError as exc:
        module.fail_json(msg=to_native(exc), rules=exc.rules)
    run = Dropin(module)
    if module.params['state'] == 'present':
        module.exit_json(**run.present())
    module.exit_json(**run.absent())


if __name__ == '__main__':
    main()
