# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sysctl profiles as data, their validation, the bdp maths and only-raise.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports: the action plugin
sysctl_profile_plan runs it on the controller (so bad input fails before any
host is touched) and the ``sysctl_dropin`` module runs it again on each host
(defence in depth), where it also applies the host-dependent rules (memory
guardrail, kernel release).

Keys and values follow the one value model, ``sysctl_value``: a value is parsed
once into a tuple (``parse_value``, every rule of ``KEY_RULES``) and written as
``"a b c"`` (``format_value``): the only characters that can reach the drop-in
are digits, ``-`` and spaces, or for the two keys whose value is a word
(tcp_congestion_control, default_qdisc) one name of a-z, 0-9 and _, so no
newline, ``=``, ``;``, ``$``, backtick or comment can ever be injected into the
file. The numeric rules here (only_raise, tcp_feature_off, the memory guardrail)
apply to integer keys only.

Every error is a ``ProfileError`` whose message names the key (or option) and
the rule, e.g. ``net.ipv4.tcp_rmem: values must be ordered min <= default <=
max, got '4096 87380 1024' (rule: triplet_order)``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math
import re

from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import (
    CONGESTION_CONTROL, DEFAULT_QDISC, KEY_RULES, MAX_SOCKET_BYTES, ProfileError, format_value, is_integers,
    parse_value, rules_for, type_name, validate_key,
)

__all__ = [
    'ProfileError', 'PROFILES', 'PROFILE_NAMES', 'KEY_RULES', 'KEY_WHY', 'FORCE_RULES',
    'STATES', 'UNSETTABLE', 'OVER_BUDGET', 'MAX_SOCKET_BYTES', 'MEMORY_FRACTION', 'JSON_API_BUFFER',
    'validate_settings', 'bdp_profile', 'build_plan',
    'only_raise', 'memory_cap', 'memory_violations', 'fit_to_cap', 'kernel_version',
    'obsolete_reason', 'check_priority', 'dropin_basename', 'INPUT_NAMES', 'OPTIONAL_KEYS',
]

MIB = 1024 * 1024
# The memory guardrail (host side, rule "memory"): a per-socket maximum may use at most
# 1/MEMORY_FRACTION of the host's RAM (MemTotal). 16 MiB buffers need 512 MiB of RAM, 32 MiB
# buffers 1 GiB: a few dozen busy sockets at the ceiling could otherwise pin most of the memory.
MEMORY_FRACTION = 32
# json_api's buffer maximum: the floor of the bdp profile.
JSON_API_BUFFER = 16 * MIB

STATES = ('present', 'absent')
UNSETTABLE = ('skip', 'fail')
# What the memory budget (memory_budget.py) does when today's connections could exceed tcp_mem pressure.
OVER_BUDGET = ('warn', 'fail')
# Rules a user may override (the force input). Format and injection rules cannot be.
FORCE_RULES = ('memory', 'tcp_feature_off')

PROFILES = {
    # The value set the problem report gives for JSON API hosts.
    'json_api': {
        'net.core.rmem_max': 16777216,
        'net.core.wmem_max': 16777216,
        'net.ipv4.tcp_rmem': '4096 87380 16777216',
        'net.ipv4.tcp_wmem': '4096 65536 16777216',
        'net.core.netdev_max_backlog': 30000,
        'net.ipv4.tcp_window_scaling': 1,
    },
    # The heavier set for hosts that stream the largest responses.
    'json_api_heavy': {
        'net.core.rmem_default': 16777216,
        'net.core.wmem_default': 16777216,
        'net.core.rmem_max': 33554432,
        'net.core.wmem_max': 33554432,
        'net.ipv4.tcp_rmem': '4096 87380 33554432',
        'net.ipv4.tcp_wmem': '4096 65536 33554432',
        'net.ipv4.tcp_window_scaling': 1,
        'net.ipv4.tcp_timestamps': 1,
        'net.ipv4.tcp_sack': 1,
        'net.core.netdev_max_backlog': 50000,
        'net.core.somaxconn': 4096,
    },
}
# 'bdp' is computed by bdp_profile(); 'custom' is the custom input as a whole.
PROFILE_NAMES = ('json_api', 'json_api_heavy', 'bdp', 'custom')

# Why each key is set: one comment line per key in the drop-in.
KEY_WHY = {
    'net.core.rmem_max': 'ceiling for SO_RCVBUF: lets an application ask for a receive buffer this large',
    'net.core.wmem_max': 'ceiling for SO_SNDBUF: lets an application ask for a send buffer this large',
    'net.core.rmem_default': 'receive buffer every new socket starts with (non-TCP sockets keep it)',
    'net.core.wmem_default': 'send buffer every new socket starts with (non-TCP sockets keep it)',
    'net.core.netdev_max_backlog': 'packets queued per CPU before the stack drops them (softnet_stat dropped)',
    'net.core.somaxconn': 'ceiling for listen() backlogs: accept queue for connection bursts',
    'net.ipv4.tcp_rmem': 'TCP receive buffer min/default/max: autotuning may grow a busy connection up to max '
                         'instead of pruning and collapsing its receive queue',
    'net.ipv4.tcp_wmem': 'TCP send buffer min/default/max: a server can queue a whole large response',
    'net.ipv4.tcp_window_scaling': 'RFC 7323 window scaling: windows above 64 KiB (needed for any buffer above it)',
    'net.ipv4.tcp_timestamps': 'RFC 7323 timestamps: RTT measurement and PAWS on fast links',
    'net.ipv4.tcp_sack': 'selective acknowledgements: recover several losses per window without resending it all',
    'net.ipv4.tcp_adv_win_scale': 'share of the buffer advertised as window (1: half; kernels before 6.6 only)',
    'net.ipv4.tcp_moderate_rcvbuf': 'receive buffer autotuning (grows buffers towards tcp_rmem max)',
    'net.ipv4.tcp_mem': 'TCP memory pressure thresholds for the whole host, in pages',
    CONGESTION_CONTROL: 'TCP congestion control of new connections in this network namespace (bbr: keeps throughput '
                        'on long paths with some loss without filling buffers; a socket may still pick its own)',
    DEFAULT_QDISC: 'root qdisc of interfaces that get one after this is set (fq: per-flow pacing and fairness); '
                   'host scope, existing interfaces keep theirs',
}

# build_plan's optional additions to any profile: input -> the key it sets (an explicit override of the key wins).
OPTIONAL_KEYS = (('congestion_control', CONGESTION_CONTROL), ('default_qdisc', DEFAULT_QDISC))

_FEATURE_OFF_WHY = {
    'net.ipv4.tcp_window_scaling': 'window scaling, which caps every TCP window at 64 KiB whatever the buffers',
    'net.ipv4.tcp_sack': 'SACK, so one loss in a large window makes the sender resend all of it',
    'net.ipv4.tcp_timestamps': 'timestamps (RTT measurement, PAWS) that fast large windows rely on',
    'net.ipv4.tcp_moderate_rcvbuf': 'receive buffer autotuning, so connections never grow towards tcp_rmem max',
}

_err = ProfileError.of


def validate_settings(settings, force=(), subject='settings', origin=None, force_name='force'):
    """Validate a dict key -> raw value and return a dict key -> value (sysctl_value.parse_value).

    Collects every error first, then raises one ProfileError listing them all.
    ``force`` may contain 'tcp_feature_off' to allow turning off window scaling & co.
    ``origin`` (key -> the input it came from) prefixes a key's errors with that input's name;
    ``force_name`` is the name of the force input in the tcp_feature_off message.
    """
    origin = origin or {}
    if not isinstance(settings, dict):
        raise _err(subject, 'not_a_dict', 'must be a dict of sysctl key -> value, got %s %r' % (
            type_name(settings), settings))
    errors = []
    result = {}
    for key in sorted(settings, key=str):
        try:
            validate_key(key)
            value = parse_value(key, settings[key])
            if is_integers(key) and rules_for(key).get('feature_off') and value[0] == 0 \
                    and 'tcp_feature_off' not in force:
                raise _err(key, 'tcp_feature_off', '0 turns off %s: add tcp_feature_off to %s to set it anyway' % (
                    _FEATURE_OFF_WHY.get(key, 'a TCP feature large buffers rely on'), force_name))
            result[key] = value
        except ProfileError as exc:
            if key in origin:
                errors.extend((name, rule, '%s: %s' % (origin[key], msg)) for name, rule, msg in exc.errors)
            else:
                errors.extend(exc.errors)
    if errors:
        raise ProfileError(errors)
    return result


def _num(subject, raw, low, high):
    """A positive number option (int, float or numeric string) within low..high."""
    if isinstance(raw, bool) or raw is None:
        raise _err(subject, 'bdp_input', 'must be a number, got %r' % (raw,))
    if isinstance(raw, str):
        if not re.match(r'\A[0-9]{1,9}(\.[0-9]{1,6})?\Z', raw.strip()):
            raise _err(subject, 'bdp_input', 'must be a number, got %r' % (raw,))
        raw = float(raw)
    if not isinstance(raw, (int, float)) or math.isnan(raw):
        raise _err(subject, 'bdp_input', 'must be a number, got %r' % (raw,))
    if not low < raw <= high:
        raise _err(subject, 'bdp_input', 'must be > %g and <= %g, got %g' % (low, high, raw))
    return raw


def _pow2_at_least(size):
    power = 1
    while power < size:
        power *= 2
    return power


def bdp_profile(link_mbit, rtt_ms, link_name='link_mbit', rtt_name='rtt_ms'):
    """The bdp profile for a link: (settings, notes, fit_to_memory keys). link_name and rtt_name
    name the two inputs in errors.

    BDP bytes = link_mbit * 1e6 / 8 * rtt_ms / 1000 (= link_mbit * rtt_ms * 125).
    The kernel advertises only part of a buffer as window (tcp_adv_win_scale = 1: half of it;
    since 6.6 a measured ratio close to that), so a buffer must hold 2 * BDP to keep the pipe
    full. Buffer max = the next power of two >= 2 * BDP, at least json_api's 16 MiB. The
    module lowers it further on a host whose RAM cannot back it (memory guardrail).
    """
    errors = []
    try:
        link_mbit = _num(link_name, link_mbit, 0, 1600000)  # up to 1.6 Tbit/s
    except ProfileError as exc:
        errors.extend(exc.errors)
    try:
        rtt_ms = _num(rtt_name, rtt_ms, 0, 10000)  # up to 10 s
    except ProfileError as exc:
        errors.extend(exc.errors)
    if errors:
        raise ProfileError(errors)
    bdp = link_mbit * rtt_ms * 125.0
    target = 2 * bdp
    buf = max(_pow2_at_least(int(target + 0.999999)), JSON_API_BUFFER)
    if buf > MAX_SOCKET_BYTES:
        raise _err(link_name, 'bdp_input',
                   '%g Mbit/s at %g ms needs 2 * BDP = %d bytes per socket, more than the 1 GiB '
                   'ceiling: check %s and %s' % (link_mbit, rtt_ms, target, link_name, rtt_name))
    settings = {
        'net.core.rmem_max': buf,
        'net.core.wmem_max': buf,
        'net.ipv4.tcp_rmem': '4096 87380 %d' % buf,
        'net.ipv4.tcp_wmem': '4096 65536 %d' % buf,
        'net.core.netdev_max_backlog': 30000,
        'net.ipv4.tcp_window_scaling': 1,
        'net.ipv4.tcp_moderate_rcvbuf': 1,
        'net.ipv4.tcp_adv_win_scale': 1,
    }
    notes = [
        'bdp profile: link %g Mbit/s, RTT %g ms' % (link_mbit, rtt_ms),
        '  BDP = %g Mbit/s * 1e6 / 8 * %g ms / 1000 = %d bytes' % (link_mbit, rtt_ms, bdp),
        '  2 * BDP = %d bytes (about half of a buffer is advertised as window: tcp_adv_win_scale = 1)' % target,
        '  buffer max = next power of two >= 2 * BDP = %d, at least %d (json_api): %d (%d MiB)' % (
            _pow2_at_least(int(target + 0.999999)), JSON_API_BUFFER, buf, buf // MIB),
    ]
    fit = ['net.core.rmem_max', 'net.core.wmem_max', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']
    return settings, notes, fit


def check_priority(priority, subject='priority'):
    """An int 0..99 (or a string of 1-2 digits): the drop-in must stay in the sysctl.d directory.
    subject names the input in the error (the caller passes the name its user knows)."""
    if isinstance(priority, bool):
        raise _err(subject, 'priority', 'must be an integer 0..99, got %r' % (priority,))
    if isinstance(priority, str) and re.match(r'\A[0-9]{1,2}\Z', priority):
        priority = int(priority)
    if not isinstance(priority, int) or not 0 <= priority <= 99:
        raise _err(subject, 'priority', 'must be an integer 0..99, got %r' % (priority,))
    return priority


# Virtual file systems: a state directory there cannot keep files (and /proc/sys is the kernel's).
VIRTUAL_FS = ('/proc', '/sys', '/dev')


def check_state_dir(path, subject='state_dir'):
    """An absolute path outside /proc, /sys and /dev, where the host keeps its saved values."""
    if not isinstance(path, str) or not path.startswith('/') or '\x00' in path:
        raise _err(subject, 'absolute_path', 'must be an absolute path, got %r' % (path,))
    norm = '/' + '/'.join(part for part in path.split('/') if part and part != '.')
    for root in VIRTUAL_FS:
        if norm == root or norm.startswith(root + '/'):
            raise _err(subject, 'virtual_fs', 'must not be under %s (a virtual file system that cannot keep '
                       'files), got %r' % (root, path))
    return path


def dropin_basename(priority):
    """60 -> '60-netfleet-tuning.conf'; 5 -> '05-...' (two digits keep the load order numeric)."""
    return '%02d-netfleet-tuning.conf' % check_priority(priority)


def _choice(subject, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise _err(subject, 'choice', 'must be one of %s, got %r' % (', '.join(choices), value))
    return value


def check_force(force, subject='force'):
    if force is None:
        return []
    if isinstance(force, str) or not isinstance(force, (list, tuple)):
        raise _err(subject, 'choice', 'must be a list of rule names (%s), got %r' % (
            ', '.join(FORCE_RULES), force))
    for item in force:
        _choice(subject, item, FORCE_RULES)
    return sorted(set(force))


# build_plan's inputs. Errors and comments name each as itself unless the caller maps it to the name its
# user knows (build_plan(names=...): the sysctl_profile role passes its variables' names).
INPUT_NAMES = ('profile', 'overrides', 'custom', 'link_mbit', 'rtt_ms', 'priority', 'state', 'unsettable',
               'over_budget', 'force', 'state_dir', 'congestion_control', 'default_qdisc')


def build_plan(name='json_api', overrides=None, custom=None, link_mbit=None, rtt_ms=None,
               priority=60, state='present', unsettable='skip', force=None, state_dir=None, names=None,
               over_budget='warn', congestion_control=None, default_qdisc=None):
    """Merge profile + overrides (+ custom), validate everything the controller can, return the plan.

    Returns ``{'profile', 'state', 'priority', 'basename', 'unsettable', 'over_budget', 'force', 'settings'
    (key -> normalised string, sorted), 'comments' (key -> why), 'notes' (header lines),
    'fit_to_memory' (keys the host may lower to its memory guardrail)}``.
    An override of ``None`` (YAML ``~``) removes that key from the profile. ``congestion_control`` and
    ``default_qdisc``, when not None, add net.ipv4.tcp_congestion_control / net.core.default_qdisc to whichever
    profile is used (OPTIONAL_KEYS); an override of the same key (a value or null) wins. ``state_dir``, when
    given, is checked (absolute, not on a virtual file system). With state absent no profile is
    read: ``profile`` is None. ``names`` maps an input (a key of INPUT_NAMES; ``profile`` is ``name``)
    to the name errors and comments give it: what the user typed.
    Raises ProfileError listing every problem found.
    """
    names = dict(dict((name, name) for name in INPUT_NAMES), **(names or {}))
    errors = []

    def attempt(func, *args):
        try:
            return func(*args)
        except ProfileError as exc:
            errors.extend(exc.errors)
            return None

    plan = {
        'profile': None if state == 'absent' else name, 'notes': [], 'fit_to_memory': [], 'settings': {},
        'comments': {},
        'state': attempt(_choice, names['state'], state, STATES),
        'unsettable': attempt(_choice, names['unsettable'], unsettable, UNSETTABLE),
        'over_budget': attempt(_choice, names['over_budget'], over_budget, OVER_BUDGET),
        'priority': attempt(check_priority, priority, names['priority']),
        'force': attempt(check_force, force, names['force']) or [],
    }
    if state_dir is not None:
        attempt(check_state_dir, state_dir, names['state_dir'])
    if plan['priority'] is not None:
        plan['basename'] = dropin_basename(plan['priority'])
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        errors.append((names['overrides'], 'not_a_dict', '%s: must be a dict of sysctl key -> value, got %s %r' % (
            names['overrides'], type_name(overrides), overrides)))
        overrides = {}
    if custom is None:
        custom = {}
    if not isinstance(custom, dict):
        errors.append((names['custom'], 'not_a_dict', '%s: must be a dict of sysctl key -> value, got %s %r' % (
            names['custom'], type_name(custom), custom)))
        custom = {}

    base = None
    origin = {}
    if plan['state'] != 'absent':
        if name in PROFILES:
            base = dict(PROFILES[name])
        elif name == 'bdp':
            got = attempt(bdp_profile, link_mbit, rtt_ms, names['link_mbit'], names['rtt_ms'])
            if got:
                base, plan['notes'], fit = got
                plan['fit_to_memory'] = fit
        elif name == 'custom':
            base = dict(custom)
            origin = dict((key, names['custom']) for key in custom)
            if not custom:
                errors.append((names['custom'], 'empty_profile', '%s: profile custom needs a non-empty dict of '
                               'sysctl key -> value' % names['custom']))
        else:
            errors.append((names['profile'], 'unknown_profile', '%s: unknown profile %r: choose one of %s' % (
                names['profile'], name, ', '.join(PROFILE_NAMES))))
        if base is not None:
            optional = {'congestion_control': congestion_control, 'default_qdisc': default_qdisc}
            for option, key in OPTIONAL_KEYS:
                if optional[option] is not None:
                    base[key] = optional[option]
                    origin[key] = names[option]
            for key, value in overrides.items():
                origin[key] = names['overrides']
                if value is None:
                    base.pop(key, None)
                else:
                    base[key] = value
            plan['fit_to_memory'] = [key for key in plan['fit_to_memory'] if origin.get(key) is None]
            settings = attempt(validate_settings, base, plan['force'], 'profile %s' % name, origin, names['force'])
            if settings is not None:
                plan['settings'] = dict((key, format_value(value)) for key, value in settings.items())
                for key in settings:
                    why = KEY_WHY.get(key, 'set by the user')
                    if key in origin:
                        why = '%s (from %s)' % (why, origin[key])
                    plan['comments'][key] = why
    if errors:
        raise ProfileError(errors)
    return plan


def only_raise(desired, base):
    """tuned's '>' semantics: never lower a value the host already has higher, per element.

    ``desired`` and ``base`` are tuples of ints (or None for base: then desired). Elements are
    compared pairwise; the element-wise max of two ordered triplets is ordered too. A word (a value
    of a words key, such as ('bbr',)) has no order: it is returned as desired.
    """
    if base is None or len(base) != len(desired) or not all(
            isinstance(element, int) for element in tuple(desired) + tuple(base)):
        return tuple(desired)
    return tuple(max(wanted, have) for wanted, have in zip(desired, base))


def memory_cap(mem_total_bytes):
    """The largest power of two <= MemTotal / MEMORY_FRACTION: the per-socket guardrail."""
    limit = mem_total_bytes // MEMORY_FRACTION
    cap = 1
    while cap * 2 <= limit:
        cap *= 2
    return cap


def memory_violations(settings, mem_total_bytes, page_size=4096, force_name='force'):
    """Keys whose per-socket maxima (or tcp_mem) the host's RAM cannot sensibly back.

    ``settings``: key -> value (words keys are skipped: they size nothing). Returns {key: message} (rule
    'memory'); ``force_name`` names the force input in the messages.
    """
    out = {}
    limit = mem_total_bytes // MEMORY_FRACTION
    for key in sorted(settings):
        if not is_integers(key):
            continue
        ints = settings[key]
        rule = KEY_RULES.get(key, {})
        over = [ints[index] for index in rule.get('per_socket', ()) if index < len(ints) and ints[index] > limit]
        if over:
            out[key] = ('%s: %d bytes per socket is more than 1/%d of this host\'s RAM (MemTotal %d MiB -> at most '
                        '%d bytes): a few dozen busy sockets could pin most of the memory. Lower the value or '
                        'add memory to %s to apply it anyway' % (
                            key, max(over), MEMORY_FRACTION, mem_total_bytes // MIB, limit, force_name))
        if key == 'net.ipv4.tcp_mem' and ints[-1] * page_size > mem_total_bytes:
            out[key] = ('%s: max %d pages (%d MiB) is more than this host\'s RAM (MemTotal %d MiB). Lower it or '
                        'add memory to %s to apply it anyway' % (
                            key, ints[-1], ints[-1] * page_size // MIB, mem_total_bytes // MIB, force_name))
    return out


def fit_to_cap(key, ints, cap):
    """Lower the per-socket elements of ``ints`` to ``cap`` (order is kept: min(x, cap) is monotonic); a word is
    returned as it is."""
    if not is_integers(key):
        return tuple(ints)
    per_socket = KEY_RULES.get(key, {}).get('per_socket', ())
    return tuple(min(element, cap) if index in per_socket else element for index, element in enumerate(ints))


def kernel_version(release):
    """'6.18.44-fc-v657' -> (6, 18); unparsable -> None."""
    match = re.match(r'\A(\d+)\.(\d+)', release or '')
    if not match:
        return None
    return (int(match.group(1)), int(match.group(2)))


def obsolete_reason(key, release):
    """A reason string if ``key`` is obsolete on this kernel release (so never written), else None."""
    since = KEY_RULES.get(key, {}).get('obsolete_since')
    version = kernel_version(release)
    if since and version and version >= since:
        return 'obsolete since Linux %d.%d (kernel %s ignores it): not written' % (since + (release,))
    return None
