# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply planner of sysctl_dropin: every decision, no I/O.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports, and no I/O at all: no file, no /proc, no clock.
The module gathers what the host looks like (live values and scopes, the saved state as
``state_store`` decoded it, the texts of our drop-ins, who else sets our keys in the load order,
MemTotal, the kernel release, the TCP sockets established now...), hands it over as plain data, and
carries out the plan it gets back:

``check_settings(settings, force, names)``
    the wanted settings, validated (key -> value, as sysctl_value.parse_value returns it), or a ``Refusal``.
``check_offered(values, live, candidates, host)``
    whether this host may set the words it is asked to (a congestion control algorithm, a default qdisc):
    the notes for the keys' reasons and the problems (rule ``not_available``); plan_present refuses on a problem.
``plan_present(wanted, live, state, own_text, stale_text, overrides, host, options)``
    state=present: a ``Plan`` or a ``Refusal``.
``plan_absent(state, live, own_text, stale_text, overrides, options, host)``
    state=absent: a ``Plan`` or a ``Refusal``.

Other owners of our keys (a later sysctl file, tuned) are weighed by ``coexistence.contest``: a key whose
live value another owner decides is ``overridden``, with ``by``, the owning tool (``owner``) and the ``fix``.

A ``Plan`` holds the per-key outcome (``keys``: status, scope, desired, before, value, reason, by...),
the new drop-in text, the new state, the file steps in the order to take them, the live writes and
restores, the diffs and the warnings, and the memory budget (``memory_budget``: the worst case the
planned buffer maxima allow with today's connections, against tcp_mem); check mode and diff mode show
it as it is. Values follow the one value model (sysctl_value): wanted values are values; live values,
saved values and what other files set are texts, compared with ``same_value``; every value the plan
writes is ``format_value``'s text. A ``Refusal`` (nothing may change) carries the message, the rules
broken and the per-key outcome decided so far.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
from collections import namedtuple

from ansible_collections.netfleet.tuning.plugins.module_utils.coexistence import contest
from ansible_collections.netfleet.tuning.plugins.module_utils.dropin import (
    FINGERPRINT, is_ours, parse_conf, render,
)
from ansible_collections.netfleet.tuning.plugins.module_utils.kernel_config import OFFERED, qdisc_offer
from ansible_collections.netfleet.tuning.plugins.module_utils.memory_budget import (
    BUDGET_KEYS, budget, exceeded_message,
)
from ansible_collections.netfleet.tuning.plugins.module_utils.profiles import (
    MEMORY_FRACTION, OPTIONAL_KEYS, dropin_basename, fit_to_cap, memory_cap, memory_violations, obsolete_reason,
    only_raise, validate_settings,
)
from ansible_collections.netfleet.tuning.plugins.module_utils.state_store import (
    STATE_VERSION, StateError, check_managed,
)
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_scope import MANAGED_KEYS
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import (
    CONGESTION_CONTROL, DEFAULT_QDISC, DEFAULT_QDISCS, ProfileError, format_value, is_integers, parse_text,
    parse_value, same_value,
)

__all__ = [
    'STATUSES', 'SCOPE_REASON', 'Refusal', 'Plan', 'Step', 'check_settings', 'check_offered', 'stale_path',
    'plan_present', 'plan_absent',
]

# Every status a key can end with (the module's RETURN documents them).
STATUSES = ('applied', 'unchanged', 'skipped', 'overridden', 'restored', 'rolled_back', 'failed')
SCOPE_REASON = {
    'host': 'read-only or missing in this network namespace (host scope): set it on the host itself',
    'absent': 'not known to this kernel: never written',
}

# One file step, in the order the plan lists them; every step but 'fix_mode', 'backup' and
# 'keep_previous' can be undone (``before``):
#   save_state     path: the state file; after: the new state; before: the old state (None: no file)
#   backup         path: a drop-in; after: its text, copied to the backups; required: a failure stops the run
#   keep_previous  path: a drop-in; after: the text of a file that sat there before the first rollout
#   fix_mode       path: our drop-in, whose text is right but whose owner or mode is not
#   dropin         path: a drop-in; after: its new text (None: remove it); before: its text now (None: none)
Step = namedtuple('Step', ['action', 'path', 'after', 'before', 'required'])


def _step(action, path, after=None, before=None, required=True):
    return Step(action, path, after, before, required)


class Refusal(Exception):
    """The planner refuses the run: nothing may change.

    ``message``: what the user reads; ``rules``: the rules broken (None: the message names no rule);
    ``keys``: the per-key outcome decided so far; ``warnings``: those met so far; ``extra``: more
    result fields (e.g. ``mem_total_bytes``).
    """

    def __init__(self, message, rules=None, keys=None, warnings=(), **extra):
        super(Refusal, self).__init__(message)
        self.message = message
        self.rules = rules
        self.keys = keys if keys is not None else {}
        self.warnings = list(warnings)
        self.extra = extra


class Plan(object):
    """What a run would do. ``keys``: key -> outcome; ``changed`` / ``file_changed``; ``steps``: the
    file steps; ``live_changes``: ordered ``(key, new, old)`` to write live (``live_what`` says what they
    do, for messages); ``diffs``: the diff mode's before/after pairs; ``warnings``; ``mem_total`` and
    ``memory_cap`` (present); ``memory_budget`` (present: memory_budget.budget's result for the values
    that will be live); ``writes_nothing``: present found no key to write and no drop-in to keep
    (nothing happens at all); ``delete_state``: absent removes the state file at the end."""

    def __init__(self):
        self.keys = {}
        self.warnings = []
        self.diffs = []
        self.steps = []
        self.live_changes = []
        self.live_what = ''
        self.changed = False
        self.file_changed = False
        self.content = None
        self.new_state = None
        self.mem_total = None
        self.memory_cap = None
        self.memory_budget = None
        self.writes_nothing = False
        self.delete_state = False

    def warn(self, text):
        if text not in self.warnings:
            self.warnings.append(text)

    def refuse(self, message, rules=None, **extra):
        return Refusal(message, rules, self.keys, self.warnings, **extra)

    def live_diff(self, before, after):
        if before == after:
            return
        self.diffs.append({
            'before_header': 'live values (/proc/sys)', 'after_header': 'live values (/proc/sys)',
            'before': ''.join('%s = %s\n' % (key, before[key]) for key in sorted(before)),
            'after': ''.join('%s = %s\n' % (key, after[key]) for key in sorted(after)),
        })


def _name(names, option):
    """The name the caller's user knows an option by (``names``: option -> name; an option not listed is
    named as itself)."""
    return (names or {}).get(option) or option


def check_settings(settings, force, names=None):
    """The wanted settings validated (key -> value), else a Refusal. ``names``: as in plan_present's options."""
    if not settings:
        raise Refusal('%s is empty: nothing to write (use %s=absent to remove the drop-in)' % (
            _name(names, 'settings'), _name(names, 'state')))
    try:
        return validate_settings(settings, force or [], _name(names, 'settings'), force_name=_name(names, 'force'))
    except ProfileError as exc:
        raise Refusal('invalid %s: %s' % (_name(names, 'settings'), exc), exc.rules)


AVAILABLE_CC = 'net.ipv4.tcp_available_congestion_control'
ALLOWED_CC = 'net.ipv4.tcp_allowed_congestion_control'
DECIDED_AT_WRITE = 'the kernel decides when the value is written (a refused write rolls the whole run back)'


def _congestion_offered(key, name, info):
    """(note, problem) for congestion control ``name``. ``info``: ``child_netns`` (True, False, None: unknown),
    ``available`` and ``allowed`` (the names the host lists; None: unreadable)."""
    child = info.get('child_netns')
    source, names = (ALLOWED_CC, info.get('allowed')) if child else (AVAILABLE_CC, info.get('available'))
    if names is None:
        return '%s could not be read, so %s was not checked before the write: %s' % (source, name, DECIDED_AT_WRITE), \
            None
    note = None
    if child is None:
        note = ('whether this is a child network namespace is unknown: %s was checked against %s only; %s' % (
            name, source, DECIDED_AT_WRITE))
    if name in names:
        return note, None
    listed = ' '.join(names) or 'nothing'
    if child:
        return None, ('%s: %s is not allowed in this network namespace: it may set %s (%s; a child network '
                      'namespace may only set what the host allows, anything else fails with EPERM). To use %s here, '
                      'add it to %s on the host, in the initial network namespace (where it must be in %s)' % (
                          key, name, listed, source, name, ALLOWED_CC, AVAILABLE_CC))
    return note, ('%s: %s is not available on this host: it may set %s (%s). Load the algorithm\'s module first, '
                  'in the initial network namespace (modprobe tcp_%s), or choose one of those' % (
                      key, name, listed, source, name))


def _qdisc_offered(key, name, host):
    """(note, problem) for default qdisc ``name``, from the kernel config and modules the module read."""
    config, modules = host.get('kernel_config'), host.get('qdisc_modules')
    status, detail = qdisc_offer(name, config, modules)
    if status in ('built_in', 'module'):
        return None, None
    if status in ('module_unchecked', 'unknown'):
        return '%s: whether this kernel offers %s is not known before the write: %s' % (
            detail, name, DECIDED_AT_WRITE), None
    offered = [qdisc for qdisc in DEFAULT_QDISCS if qdisc_offer(qdisc, config, modules)[0] in OFFERED]
    return None, ('%s: %s is not available on this host (%s): it may set %s (from %s). Use a kernel built with '
                  'it (=y, or =m with its module installed), or choose one of those' % (
                      key, name, detail, ' '.join(offered), config['source']))


def check_offered(values, live, candidates, host):
    """Whether this host may set the words among ``candidates`` (keys it would write): the congestion control
    algorithm (in the initial network namespace one that tcp_available_congestion_control lists, in a child one
    only what tcp_allowed_congestion_control lists: anything else fails with EPERM), the default qdisc (one the
    kernel config offers). A value the key already has live is not checked (nothing is written).

    ``values``: key -> value; ``live``: as for plan_present; ``host``: ``congestion_control`` (``child_netns``,
    ``available``, ``allowed``), ``kernel_config`` (kernel_config.read_config's result) and ``qdisc_modules``
    (kernel_config.read_modules' result or None). Returns ``(notes, problems)``: key -> a note for its reason,
    and the messages of the values this host cannot take (rule not_available).
    """
    notes = {}
    problems = []
    for key in candidates:
        if key not in (CONGESTION_CONTROL, DEFAULT_QDISC) or same_value(key, live[key]['value'], values[key]):
            continue
        if key == CONGESTION_CONTROL:
            note, problem = _congestion_offered(key, values[key][0], host.get('congestion_control') or {})
        else:
            note, problem = _qdisc_offered(key, values[key][0], host)
        if note:
            notes[key] = note
        if problem:
            problems.append(problem)
    return notes, problems


def stale_path(dropin_dir, state, priority):
    """Our drop-in at the priority the state records, when it differs from this run's (else None)."""
    if state and state['priority'] is not None and state['priority'] != priority:
        return os.path.join(dropin_dir, dropin_basename(state['priority']))
    return None


def _check_state_keys(plan, state, wanted, own_texts, state_path):
    """The keys the state may restore: the collection's, this run's and those its own drop-ins set."""
    managed = set(MANAGED_KEYS) | set(key for dummy_option, key in OPTIONAL_KEYS) | set(wanted)
    for text in own_texts:
        if text is not None and is_ours(text):
            managed.update(key for key, dummy_value, dummy_line in parse_conf(text))
    try:
        check_managed(state, managed, state_path)
    except StateError as exc:
        # a StateError's message already says that nothing was changed
        raise plan.refuse(str(exc), [exc.rule])


def _check_budget(plan, live, planned, host, options):
    """The memory budget of the values live after the plan (``planned``: key -> the text the plan writes or
    keeps in the drop-in; any other key keeps its live value): in ``plan.memory_budget``; a warning when today's
    connections could exceed tcp_mem pressure, a Refusal (rule memory_budget) with ``over_budget`` fail."""
    values = {}
    for key in BUDGET_KEYS:
        text = planned[key] if key in planned else (live.get(key) or {}).get('value')
        values[key] = parse_text(key, text)
    plan.memory_budget = budget(host.get('established'), values['net.ipv4.tcp_rmem'], values['net.ipv4.tcp_wmem'],
                                values['net.ipv4.tcp_mem'], host['page_size'],
                                'drop-in' if 'net.ipv4.tcp_mem' in planned else 'live',
                                host.get('established_unknown'))
    if not plan.memory_budget['exceeds_pressure']:
        return
    message = exceeded_message(plan.memory_budget)
    if options.get('over_budget') == 'fail':
        raise plan.refuse('%s; %s is fail (rule: memory_budget). Nothing was changed.' % (
            message, _name(options.get('names'), 'over_budget')), ['memory_budget'], memory_budget=plan.memory_budget)
    plan.warn(message)


def _by_whom(outcome):
    """'<file or tuned profile> (<owning tool>)' for messages."""
    if outcome.get('owner') and outcome['owner'] not in outcome['by']:
        return '%s (%s)' % (outcome['by'], outcome['owner'])
    return outcome['by']


def _mark_overridden(entry, key, outcome):
    """A key another owner's value wins over: status, who, the owning tool and the fix."""
    if outcome.get('tuned'):
        why = ('%s sets %s = %s whenever tuned applies its profile, after the sysctl files (reapply_sysctl = 0): '
               'live value left as tuned sets it' % (outcome['by'], key, outcome['theirs']))
    else:
        why = '%s sets %s = %s later in the load order: live value left as that file sets it' % (
            _by_whom(outcome), key, outcome['theirs'])
    entry.update(status='overridden', by=outcome['by'], reason=why)
    if outcome.get('owner'):
        entry['owner'] = outcome['owner']
    if outcome.get('fix'):
        entry['fix'] = outcome['fix']


def _absent_owner(key, restore, overrides, host):
    """Who keeps ``key`` when the drop-in goes: a later file (any value), or tuned with reapply_sysctl = 0
    (its value differs from the one to restore); None: nobody, restore it."""
    host = host or {}
    if key in overrides:
        path = overrides[key][0]
        return {'by': path, 'owner': ((host.get('file_owners') or {}).get(key) or {}).get('owner')}
    if restore is None:
        return None
    outcome = contest(key, restore, None, None, host.get('tuned'))
    return outcome if outcome['overridden'] else None


def plan_present(wanted, live, state, own_text, stale_text, overrides, host, options):
    """Every decision of state=present.

    ``wanted``: check_settings' result. ``live``: key -> ``{'value', 'scope'[, 'error']}`` (as
    sysctl_scope.read_sysctls gives it) for every wanted key, every key ``state['applied']`` lists and the
    budget's keys (memory_budget.BUDGET_KEYS; one missing from ``live`` counts as unknown).
    ``state``: the decoded state or None. ``own_text`` / ``stale_text``: the text at our drop-in's path and
    at ``options['stale_path']`` (None: no file). ``overrides``: key -> ``(path, value text)``, the last
    later file in the load order (without the stale drop-in) that sets a wanted key (dropin.find_overrides).
    ``host``: ``kernel_release``, ``mem_total`` (bytes, None if unknown), ``page_size``, ``now`` (the
    timestamp a new state records), ``own_mode_ok`` (our drop-in has root:root 0644; True if no file),
    ``established`` (the TCP sockets established now, Tcp CurrEstab; None if unknown),
    ``established_unknown`` (why it is unknown), when those keys are wanted what check_offered needs
    (``congestion_control``, ``kernel_config`` and ``qdisc_modules``), ``file_owners`` (key -> sysctl_owners.owner_of's
    result for the file that overrides it; optional) and ``tuned`` (tuned_profile.read_tuned's result; None or
    missing: no tuned on this host).
    ``options``: ``path``, ``stale_path``, ``state_path``, ``proc_path`` (for messages), ``priority``,
    ``profile``, ``header``, ``comments``, ``notes``, ``only_raise``, ``unsettable``, ``force``,
    ``fit_to_memory``, ``over_budget`` (``warn`` or ``fail``: what the memory budget does when today's
    connections could exceed tcp_mem pressure), ``names`` (option -> the name the caller's user knows it by).
    """
    plan = Plan()
    keys = plan.keys
    path = options['path']
    stale = options.get('stale_path')
    force = options.get('force') or []
    names = options.get('names')
    comments = dict(options.get('comments') or {})
    notes = list(options.get('notes') or [])
    values = dict(wanted)
    mem = host.get('mem_total')
    plan.mem_total = mem
    plan.memory_cap = memory_cap(mem) if mem else None

    # our path holds a file we did not write: it is never overwritten (DESIGN: other files are never edited)
    if own_text is not None and not is_ours(own_text):
        raise plan.refuse('drop-in %s holds a file netfleet.tuning did not write (no "# %s" line): it is never '
                          'overwritten. Move it away or choose another priority (rule: foreign_file). Nothing was '
                          'changed' % (path, FINGERPRINT), ['foreign_file'])
    if state:
        _check_state_keys(plan, state, wanted, (own_text, stale_text), options['state_path'])

    # 1. scope and kernel: which keys this host can and should set
    unsettable = []
    candidates = []
    skipped = {}
    for key in sorted(wanted):
        entry = live[key]
        keys[key] = {'scope': entry['scope'], 'desired': format_value(wanted[key]), 'before': entry['value']}
        reason = obsolete_reason(key, host.get('kernel_release'))
        if reason is None and entry['scope'] != 'netns':
            reason = SCOPE_REASON[entry['scope']]
            unsettable.append('%s (%s)' % (key, reason))
        elif reason is None and entry.get('error'):
            reason = entry['error']
            unsettable.append('%s (%s)' % (key, reason))
        if reason:
            keys[key].update(status='skipped', reason=reason)
            skipped[key] = reason
        else:
            candidates.append(key)
    if unsettable and options.get('unsettable') == 'fail':
        raise plan.refuse('%d key(s) cannot be set on this host and %s is fail: %s. Nothing was changed.' % (
            len(unsettable), _name(names, 'unsettable'), '; '.join(unsettable)), ['unsettable'])

    # 1a. words: whether this host offers the congestion control algorithm / default qdisc (before any change)
    offered_notes, unavailable = check_offered(values, live, candidates, host)
    for key, note in offered_notes.items():
        keys[key]['reason'] = note
    if unavailable:
        raise plan.refuse('%s. Nothing was changed.' % '; '.join(
            '%s (rule: not_available)' % problem for problem in unavailable), ['not_available'] * len(unavailable))

    # 2. the memory guardrail (only for keys we would write)
    if mem:
        limit = memory_cap(mem)
        for key in options.get('fit_to_memory') or []:
            if key in candidates:
                fitted = fit_to_cap(key, values[key], limit)
                if fitted != values[key]:
                    values[key] = fitted
                    comments[key] = '%s; lowered to %d by the memory guardrail' % (comments.get(key, ''), limit)
                    notes.append('  %s lowered to %d: the memory guardrail allows one socket at most MemTotal '
                                 '(%d bytes) / %d, rounded down to a power of two' % (key, limit, mem,
                                                                                      MEMORY_FRACTION))
        if 'memory' not in force:
            bad = memory_violations(dict((key, values[key]) for key in candidates), mem, host['page_size'],
                                    _name(names, 'force'))
            if bad:
                raise plan.refuse('memory guardrail: %s. Nothing was changed.' % '; '.join(
                    bad[key] for key in sorted(bad)), ['memory'], mem_total_bytes=mem)
    elif candidates:
        plan.warn('MemTotal not found in %s/meminfo: the memory guardrail was not applied' % options['proc_path'])

    # 3. the values from before the first rollout: saved ones (checked), else the live ones, which
    # must pass the input rules too (they may be restored one day). only_raise compares with them.
    original = dict(state['original']) if state else {}
    unknown = set()
    if state is None and own_text is not None:
        # our drop-in without its state (the state file was removed): the live values are ours
        unknown = set(key for key, dummy_value, dummy_line in parse_conf(own_text)) & set(candidates)
        if unknown:
            plan.warn('%s exists but %s does not: the values from before the first rollout of %s are '
                      'unknown, so state=absent will leave them as they are' % (
                          path, options['state_path'], ', '.join(sorted(unknown))))
    to_write = {}
    originals_now = {}
    for key in candidates:
        if key in original:
            base = parse_text(key, original[key])
        else:
            try:
                base = parse_value(key, live[key]['value']) if live[key]['value'] is not None else None
            except ProfileError as exc:
                reason = ('its live value %r fails the input rules (%s): the collection could neither keep '
                          'it nor restore it later, so it leaves this key alone' % (live[key]['value'], exc))
                keys[key].update(status='skipped', reason=reason)
                skipped[key] = reason
                continue
            if key not in unknown:
                originals_now[key] = format_value(base) if base is not None else None
        desired = values[key]
        effective = only_raise(desired, base) if options.get('only_raise') and is_integers(key) else desired
        if effective != desired:
            why = 'only_raise: kept the host\'s higher %s (profile: %s)' % (format_value(effective), format_value(desired))
            keys[key]['reason'] = why
            comments[key] = '%s; %s' % (comments.get(key, ''), why)
        to_write[key] = format_value(effective)
        keys[key]['value'] = to_write[key]
    if not to_write and own_text is None:
        # A drop-in without a single assignment would only mislead the next reader of /etc/sysctl.d.
        plan.warn('none of the %d key(s) can be set on this host (all skipped): no drop-in written, '
                  'nothing changed' % len(wanted))
        plan.writes_nothing = True
        _check_budget(plan, live, {}, host, options)
        return plan

    content = render(to_write, comments, options.get('header'), notes, skipped, options.get('profile'))
    plan.content = content

    # 4. who else sets our keys: later files in the load order (our own stale file, if any, does not
    # count) and tuned (coexistence.contest decides whose value ends live)
    writes = {}
    owners = host.get('file_owners') or {}
    for key in sorted(to_write):
        entry = keys[key]
        value = to_write[key]
        other = overrides.get(key)
        outcome = contest(key, value, other, owners.get(key) if other else None, host.get('tuned'))
        for text in outcome['warnings']:
            plan.warn(text)
        if outcome['overridden']:
            _mark_overridden(entry, key, outcome)
            plan.warn('%s is overridden by %s (%s = %s comes after %s): not applied live' % (
                key, _by_whom(outcome), key, outcome['theirs'], path))
        elif same_value(key, live[key]['value'], value):
            entry['status'] = 'unchanged'
        else:
            entry['status'] = 'applied'
            writes[key] = value
        if outcome['also_set_by']:
            entry['also_set_by'] = '; '.join(outcome['also_set_by'])

    # 5. keys we applied in an earlier run and no longer manage: put their original value back
    restores = {}
    released = set()
    prev_applied = set(state['applied']) if state else set()
    for key in sorted(prev_applied - set(to_write) - set(skipped)):
        orig = original.get(key)
        cur = live[key]
        if orig is None or cur['scope'] != 'netns':
            continue
        released.add(key)
        status = 'unchanged' if same_value(key, cur['value'], orig) else 'restored'
        keys[key] = {'status': status, 'scope': cur['scope'], 'before': cur['value'], 'value': None,
                     'reason': 'no longer in the profile: original value from before the first rollout'}
        if status == 'restored':
            restores[key] = orig

    # 5a. the memory budget of the values that will be live after the run (a refusal changes nothing)
    planned = dict((key, to_write[key]) for key in to_write if keys[key]['status'] != 'overridden')
    planned.update(restores)
    _check_budget(plan, live, planned, host, options)

    # 5b. the state to keep: original values are recorded once, at the first rollout of each key
    # version 0.1 kept a foreign file that sat at our path; it is never written back into
    # /etc/sysctl.d (state is data, never instructions): a copy goes to the backups instead
    previous_files = dict(state['previous_files']) if state else {}
    stale_ours = stale_text is not None and is_ours(stale_text)
    stale_previous = previous_files.pop(os.path.basename(stale), None) if stale_ours else None
    if stale_text is not None and not stale_ours:
        plan.warn('%s is no longer a netfleet-tuning drop-in (no fingerprint line): left as it is' % stale)
    new_state = {
        'version': STATE_VERSION,
        'created': state['created'] if state else host['now'],
        'priority': options['priority'],
        'original': dict(original),
        'applied': sorted((prev_applied - released) | set(writes)),
        'previous_files': previous_files,
    }
    for key, value in originals_now.items():
        new_state['original'].setdefault(key, value)
    for key in released:
        new_state['original'].pop(key, None)
    plan.new_state = new_state

    if own_text is None:
        file_needs = True
    else:
        file_needs = own_text != content or not host.get('own_mode_ok', True)
    state_needs = state is None or dict(state, created=None) != dict(new_state, created=None)
    plan.file_changed = bool(file_needs or stale_ours)
    plan.changed = bool(plan.file_changed or writes or restores or state_needs)

    # 6. the steps, in order: the state first, then the files (each undoable), then the live values
    if state_needs:
        plan.steps.append(_step('save_state', options['state_path'], new_state, state))
    if own_text is not None and own_text != content:
        plan.steps.append(_step('backup', path, own_text))
    if file_needs and own_text == content:
        plan.steps.append(_step('fix_mode', path))
    elif file_needs:
        plan.steps.append(_step('dropin', path, content, own_text))
    if stale_ours:
        plan.steps.append(_step('backup', stale, stale_text))
        if stale_previous is not None:
            plan.steps.append(_step('keep_previous', stale, stale_previous))
        plan.steps.append(_step('dropin', stale, None, stale_text))
    plan.live_changes = [(key, writes[key], live[key]['value']) for key in sorted(writes)]
    plan.live_changes += [(key, restores[key], keys[key]['before']) for key in sorted(restores)]
    plan.live_what = 'applying the drop-in'

    if own_text != content:
        plan.diffs.append({'before_header': path, 'after_header': path, 'before': own_text or '', 'after': content})
    before_live = dict((key, live[key]['value']) for key in writes)
    before_live.update(dict((key, keys[key]['before']) for key in restores))
    after_live = dict(writes)
    after_live.update(restores)
    plan.live_diff(before_live, after_live)
    return plan


def plan_absent(state, live, own_text, stale_text, overrides, options, host=None):
    """Every decision of state=absent.

    ``state``: the decoded state or None. ``live``: key -> ``{'value', 'scope'}`` for every key
    ``state['applied']`` lists. ``own_text`` / ``stale_text``: as for plan_present. ``overrides``: key ->
    ``(path, value text)`` for the applied keys, over the whole load order. ``options``: ``path``,
    ``stale_path``, ``state_path``. ``host``: ``file_owners`` and ``tuned`` as for plan_present (a key that
    tuned keeps with reapply_sysctl = 0 is left as tuned sets it, as one a file sets).
    """
    plan = Plan()
    keys = plan.keys
    path = options['path']
    stale = options.get('stale_path')
    texts = {path: own_text}
    if stale:
        texts[stale] = stale_text
    if state:
        _check_state_keys(plan, state, (), texts.values(), options['state_path'])
    files = {}
    for file_path, content in texts.items():
        if content is None:
            continue
        if is_ours(content):
            files[file_path] = content
        else:
            plan.warn('%s is not a netfleet-tuning drop-in (no fingerprint line): left as it is' % file_path)
    restores = {}
    if state and state['applied']:
        for key in list(state['applied']):
            orig = state['original'].get(key)
            cur = live[key]
            entry = {'scope': cur['scope'], 'before': cur['value'], 'desired': orig, 'value': None}
            keys[key] = entry
            owner = _absent_owner(key, orig, overrides, host)
            if owner is not None:
                entry.update(status='overridden', by=owner['by'], reason='%s sets it: live value left as is' % (
                    _by_whom(owner)))
                if owner.get('owner'):
                    entry['owner'] = owner['owner']
            elif orig is None:
                entry.update(status='skipped', reason='not known from before the first rollout: nothing to restore')
            elif cur['scope'] != 'netns':
                entry.update(status='skipped', reason=SCOPE_REASON[cur['scope']])
            elif same_value(key, cur['value'], orig):
                entry.update(status='unchanged', reason='already the value from before the first rollout')
            else:
                entry.update(status='restored', reason='value from before the first rollout')
                restores[key] = orig
    elif files and not state:
        plan.warn('no saved values in %s: the drop-in is removed but live values stay as they are'
                  % options['state_path'])
    previous = state['previous_files'] if state else {}
    plan.file_changed = bool(files)
    plan.changed = bool(files or restores or state)
    plan.delete_state = bool(state)

    # the files first (a full state file system only costs the backup), then the live values
    for file_path, content in sorted(files.items()):
        plan.steps.append(_step('backup', file_path, content, required=False))
        kept = previous.get(os.path.basename(file_path))
        if kept is not None:
            plan.steps.append(_step('keep_previous', file_path, kept))
        plan.steps.append(_step('dropin', file_path, None, content))
    plan.live_changes = [(key, restores[key], keys[key]['before']) for key in sorted(restores)]
    plan.live_what = 'restoring the values from before the first rollout'

    for file_path, content in sorted(files.items()):
        plan.diffs.append({'before_header': file_path, 'after_header': '(removed)', 'before': content, 'after': ''})
    plan.live_diff(dict((key, keys[key]['before']) for key in restores), restores)
    return plan
