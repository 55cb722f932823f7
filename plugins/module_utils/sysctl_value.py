# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one model of a sysctl key and its value.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports, no I/O. Everything that names a key or
holds, checks, writes or compares a value goes through here:

``validate_key(key)``
    the one key rule (``net.`` and 2-4 more parts of a-z, 0-9 and _), else ``SysctlKeyError``.
``parse_value(key, raw)``
    input (a role variable, a module option, an entry of the host's state file) parsed once into a
    *value*, a tuple of elements, and checked against every rule of the key (``KEY_RULES``), else
    ``ProfileError`` naming the key and the rule. The one validator of values.
``parse_text(key, text)``
    the text the kernel shows in /proc/sys or a sysctl.d file sets, as a value, or None when it is
    not one of this key's kind; no range rule (the host may hold anything).
``format_value(value)``
    the one text form of a value (elements separated by one space): what the drop-in, /proc/sys,
    the state file and the results carry.
``same_value(key, a, b)``
    whether two values (values or texts) are the same sysctl value: the one equality.
``is_canonical(key, text)``
    whether a text is a value of the key written as format_value writes it (what the drop-in accepts).
``value_text(text)``
    a value's text as the kernel or a file shows it, whitespace runs collapsed: for results and
    messages, when it need not be a valid value at all.

Every key has one entry in ``KEY_RULES`` (any other key matching the key rule gets ``GENERIC``). Its
``kind`` says how its values are parsed: ``integers`` (1 to 3 integers, with arity, bounds, choices and
order) or ``words`` (one name of a closed vocabulary: ``net.ipv4.tcp_congestion_control`` and
``net.core.default_qdisc``, issue 16). Each kind is one parser in ``_PARSERS`` and one text reader in
``_TEXT_READERS``; a word is a 1-tuple of str, so ``format_value`` and ``same_value`` work as they are.
The numeric rules of profiles (only_raise, the memory guardrail, tcp_feature_off) are for ``integers``
only (``is_integers``); whether a host may set a word is decided on the host (dropin_plan).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

__all__ = [
    'ProfileError', 'SysctlKeyError', 'KEY_RULE', 'KEY_PATTERN', 'KEY_RULES', 'GENERIC', 'INTEGERS', 'WORDS',
    'MAX_SOCKET_BYTES', 'NAME_RULE', 'CONGESTION_CONTROL', 'DEFAULT_QDISC', 'DEFAULT_QDISCS',
    'validate_key', 'rules_for', 'is_integers', 'parse_value', 'parse_text', 'format_value', 'same_value',
    'is_canonical', 'value_text', 'type_name', 'name_tokens',
]

MIB = 1024 * 1024

# Keys we accept: "net." then 2 to 4 more dot-separated components of lower case letters, digits and
# underscores. This rejects empty components ("..", a leading or trailing dot), "/" (the other sysctl
# separator, and a path traversal), "=", whitespace and newlines (they would break a sysctl.d line),
# upper case, "-" (so interface names such as "eth-0" and VLAN "eth0.100" under net.ipv4.conf are
# rejected too: this collection tunes global/netns keys only) and every key outside "net.". \A and \Z
# (not ^ and $) so that a trailing newline never matches, whichever of match/search/fullmatch a caller uses.
KEY_RULE = r'net\.[a-z0-9_]+(\.[a-z0-9_]+){1,3}'
KEY_PATTERN = re.compile(r'\A' + KEY_RULE + r'\Z')

# One socket's buffer above 1 GiB is not a tuning value but a typo (the kernel's own limit is
# INT_MAX, about 2 GiB). Hard rule, no force.
MAX_SOCKET_BYTES = 2 ** 30

INTEGERS = 'integers'
WORDS = 'words'

# A word: what the kernel calls a congestion control algorithm or a qdisc. Both names live in char arrays of
# 16 bytes with the NUL (TCP_CA_NAME_MAX for tcp_congestion_ops.name, IFNAMSIZ for Qdisc_ops.id), so at most
# 15 characters; mainline names use only lower case letters, digits and _ ("bbr", "fq_codel", "pfifo_fast").
# Nothing else (space, newline, "=", "#", "/") can ever be part of a word, so a word cannot break a sysctl.d line.
NAME_RULE = r'[a-z0-9_]{1,15}'
_NAME_RE = re.compile(r'\A' + NAME_RULE + r'\Z')
NAME_MAX = 15

CONGESTION_CONTROL = 'net.ipv4.tcp_congestion_control'
DEFAULT_QDISC = 'net.core.default_qdisc'
# The qdiscs net.core.default_qdisc may name here. The kernel documents the key (admin-guide/sysctl/net.rst,
# default_qdisc; default pfifo_fast) as creating the default qdisc with no parameters at all, so it is meant for
# qdiscs that need no configuration (its examples: sfq, codel, fq_codel) and not for ones that need classes and
# rates set up (HTB, DRR). The kernel itself takes any registered qdisc (net/sched/sch_api.c qdisc_set_default,
# which loads sch_<name> on demand), so this list is the collection's choice: pfifo_fast (the kernel's default,
# always built in) and the classless flow-queueing qdiscs that are useful without parameters: fq (per-flow
# pacing), fq_codel (the default of many distributions), fq_pie, cake and sfq. Left out on purpose: codel and
# pie (one queue without flow isolation: their fq_ variants have it), pfifo/bfifo (plain FIFOs) and every
# classful or shaping qdisc (htb, hfsc, drr, prio, tbf, mq, mqprio, netem...).
DEFAULT_QDISCS = ('pfifo_fast', 'fq', 'fq_codel', 'fq_pie', 'cake', 'sfq')

# Per-key rules. kind: how values are parsed (INTEGERS or WORDS). arity: number of integers. min/max: bounds of
# each element. choices: allowed values (flags). ordered: elements must be non-decreasing.
# per_socket: indexes of elements that size one socket's buffer (memory guardrail, MAX_SOCKET_BYTES).
# feature_off: 0 disables a TCP feature the profiles rely on (rule tcp_feature_off, forceable).
# obsolete_since: (major, minor) from which the kernel ignores the key: it is never written there.
# kind WORDS: one name (NAME_RULE); vocabulary: the names allowed (else rule ``unknown_rule``, with
# ``vocabulary_what`` in the message); what and example: what a name of the key is, for messages.
# Whether a host offers the name is checked on the host (dropin_plan.check_offered).
_BUFFER = {'kind': INTEGERS, 'arity': 1, 'min': 4096, 'max': MAX_SOCKET_BYTES, 'per_socket': (0,)}
_TRIPLET = {'kind': INTEGERS, 'arity': 3, 'min': 1, 'max': MAX_SOCKET_BYTES, 'ordered': True, 'per_socket': (1, 2)}
_FLAG = {'kind': INTEGERS, 'arity': 1, 'choices': (0, 1), 'feature_off': True}
KEY_RULES = {
    'net.core.rmem_max': _BUFFER,
    'net.core.wmem_max': _BUFFER,
    'net.core.rmem_default': _BUFFER,
    'net.core.wmem_default': _BUFFER,
    'net.core.netdev_max_backlog': {'kind': INTEGERS, 'arity': 1, 'min': 1, 'max': 16 * MIB},
    'net.core.somaxconn': {'kind': INTEGERS, 'arity': 1, 'min': 1, 'max': MIB},
    'net.ipv4.tcp_rmem': _TRIPLET,
    'net.ipv4.tcp_wmem': _TRIPLET,
    # pages; the host's RAM bounds the max (memory guardrail)
    'net.ipv4.tcp_mem': {'kind': INTEGERS, 'arity': 3, 'min': 1, 'max': 2 ** 50, 'ordered': True},
    'net.ipv4.tcp_window_scaling': _FLAG,
    'net.ipv4.tcp_sack': _FLAG,
    'net.ipv4.tcp_moderate_rcvbuf': _FLAG,
    # 2: timestamps without a random per-connection offset
    'net.ipv4.tcp_timestamps': {'kind': INTEGERS, 'arity': 1, 'choices': (0, 1, 2), 'feature_off': True},
    # may be negative (the kernel accepts -31..31)
    'net.ipv4.tcp_adv_win_scale': {'kind': INTEGERS, 'arity': 1, 'min': -31, 'max': 31, 'obsolete_since': (6, 6)},
    # syntax only here: which algorithms a host may set is read on the host (tcp_available_congestion_control,
    # or tcp_allowed_congestion_control in a child network namespace)
    CONGESTION_CONTROL: {'kind': WORDS, 'what': 'a TCP congestion control algorithm name', 'example': 'bbr'},
    DEFAULT_QDISC: {'kind': WORDS, 'what': 'a qdisc name', 'example': 'fq', 'vocabulary': DEFAULT_QDISCS,
                    'unknown_rule': 'unknown_qdisc',
                    'vocabulary_what': 'the qdiscs that work as a default root qdisc without parameters'},
}
# Keys not listed above (a custom profile or an override may add any key matching the key rule):
# one to three signed 64-bit integers, non-decreasing when several.
GENERIC = {'kind': INTEGERS, 'arity': (1, 2, 3), 'min': -(2 ** 63), 'max': 2 ** 63 - 1, 'ordered': True}

_INT_RE = re.compile(r'\A[+-]?[0-9]{1,20}\Z')
# Characters an integer value may contain; anything else (newline, '=', ';', '$', '`', '#', quotes,
# letters...) is refused by the injection rule before any parsing.
_VALUE_CHARS_RE = re.compile(r'\A[0-9 \t+-]*\Z')
_BOOL_WORDS = ('true', 'false', 'yes', 'no', 'on', 'off', 'y', 'n')


class ProfileError(ValueError):
    """Input that breaks a rule. ``errors`` lists (subject, rule, message) tuples; each message starts
    with its subject (the key or the input's name)."""

    def __init__(self, errors):
        if isinstance(errors, tuple):
            errors = [errors]
        self.errors = list(errors)
        super(ProfileError, self).__init__(
            '; '.join('%s (rule: %s)' % (message, rule) for dummy_subject, rule, message in self.errors))

    @property
    def rules(self):
        return [rule for dummy_subject, rule, dummy_message in self.errors]

    @classmethod
    def of(cls, subject, rule, detail):
        """One error: ``'<subject>: <detail>'`` breaking ``rule``."""
        return cls([(subject, rule, '%s: %s' % (subject, detail))])


class SysctlKeyError(ProfileError):
    """A key that breaks the key rule (rule ``key_pattern``)."""


_err = ProfileError.of


def type_name(value):
    """The plain type name of a value (Ansible wraps str/dict/list in tagged subclasses)."""
    for kind in (bool, int, float, str, dict, list, tuple):
        if isinstance(value, kind):
            return kind.__name__
    return type(value).__name__


def validate_key(key):
    """Return ``key`` unchanged if it is a key this collection may name (KEY_PATTERN), else raise
    SysctlKeyError naming it (a newline shown as \\n)."""
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        subject = repr(key) if not isinstance(key, str) else key.replace('\n', '\\n')
        raise SysctlKeyError([(subject, 'key_pattern', '%s: key must match %s (net. then 2-4 dot-separated parts of '
                                                       'a-z, 0-9 and _)' % (subject, KEY_RULE))])
    return key


def rules_for(key):
    return KEY_RULES.get(key, GENERIC)


def is_integers(key):
    """True if the values of ``key`` are integers (the kind the numeric rules apply to), False for words."""
    return rules_for(key)['kind'] == INTEGERS


# ---- kind "integers" -------------------------------------------------------------------------------

def _parse_int(key, token, raw):
    if isinstance(token, bool):
        raise _err(key, 'boolean', 'YAML boolean %r is not a sysctl value: write 1 or 0 (quote it if you must)' % (raw,))
    if isinstance(token, int):
        return token
    if isinstance(token, float):
        raise _err(key, 'not_integer', 'value %r is not an integer' % (raw,))
    if isinstance(token, str) and _INT_RE.match(token):
        return int(token)
    raise _err(key, 'not_integer', 'value %r is not an integer or a list of integers' % (raw,))


def _parse_integers(key, raw, rule):
    """An int, a string of whitespace-separated integers (``"4096 87380 16777216"``) or a list of ints /
    integer strings, checked against the key's arity, range, choices and order rules."""
    if raw is None:
        raise _err(key, 'not_integer', 'value is empty (null)')
    if isinstance(raw, bool):
        raise _err(key, 'boolean', 'YAML boolean %r is not a sysctl value: write 1 or 0' % (raw,))
    if isinstance(raw, str):
        if raw.strip().lower() in _BOOL_WORDS:
            raise _err(key, 'boolean', 'value %r looks like a boolean: write 1 or 0' % (raw,))
        bad = [char for char in raw if not _VALUE_CHARS_RE.match(char)]
        if bad:
            raise _err(key, 'injection', 'value %r contains %r: only digits, "-" and spaces may reach the '
                       'drop-in (no newline, "=", ";", "$", backtick, "#" or letters)' % (raw, bad[0]))
        tokens = raw.split()
    elif isinstance(raw, (list, tuple)):
        tokens = list(raw)
    elif isinstance(raw, (int, float)):
        tokens = [raw]
    else:
        raise _err(key, 'not_integer', 'value %r (%s) is not an integer, a string of integers or a list '
                   'of integers' % (raw, type_name(raw)))
    ints = tuple(_parse_int(key, token, raw) for token in tokens)
    arity = rule['arity']
    allowed = arity if isinstance(arity, tuple) else (arity,)
    if len(ints) not in allowed:
        raise _err(key, 'arity', 'needs %s integer%s, got %d in %r' % (
            ' or '.join(str(count) for count in allowed), '' if allowed == (1,) else 's', len(ints), raw))
    if 'choices' in rule:
        if ints[0] not in rule['choices']:
            raise _err(key, 'choice', 'value %d is not one of %s' % (
                ints[0], ', '.join(str(choice) for choice in rule['choices'])))
    else:
        for pos, val in enumerate(ints):
            if val < rule['min'] or val > rule['max']:
                if val < 0 <= rule['min']:
                    raise _err(key, 'negative', 'value %d must not be negative (a size or count)' % val)
                what = ': a per-socket buffer above 1 GiB is not a sane size' \
                    if pos in rule.get('per_socket', ()) and val > MAX_SOCKET_BYTES else ' is out of range'
                raise _err(key, 'range', 'value %d%s (allowed %d..%d)' % (val, what, rule['min'], rule['max']))
    if rule.get('ordered') and len(ints) > 1 and any(low > high for low, high in zip(ints, ints[1:])):
        raise _err(key, 'triplet_order', 'values must be ordered min <= default <= max, got %r' % (format_value(ints),))
    return ints


def _integers_from_text(tokens):
    if not all(_INT_RE.match(token) for token in tokens):
        return None
    return tuple(int(token) for token in tokens)


# ---- kind "words" ----------------------------------------------------------------------------------

def _not_a_name(key, raw, rule, why):
    return _err(key, 'not_a_name', 'value %r is not a name: %s; write %s, one word of a-z, 0-9 and _ '
                '(1-%d characters), such as %s' % (raw, why, rule['what'], NAME_MAX, rule['example']))


def _parse_words(key, raw, rule):
    """One name (a str matching NAME_RULE, nothing around it), in the key's vocabulary if it has one. Anything
    else is refused with rule not_a_name (saying what is wrong with it) or the key's unknown_rule."""
    if raw is None:
        raise _not_a_name(key, raw, rule, 'it is empty (null)')
    if isinstance(raw, bool):
        raise _not_a_name(key, raw, rule, 'it is a YAML boolean')
    if not isinstance(raw, str):
        raise _not_a_name(key, raw, rule, 'it is of type %s, not one word' % type_name(raw))
    if not _NAME_RE.match(raw):
        bad = [char for char in raw if not re.match(r'[a-z0-9_]', char)]
        if not raw:
            why = 'it is empty'
        elif bad and bad[0].isspace():
            why = 'it contains whitespace (%r)' % bad[0]
        elif bad and bad[0].isupper():
            why = 'it contains upper case (%r): names are lower case' % bad[0]
        elif bad:
            why = 'it contains %r' % bad[0]
        else:
            why = 'it has %d characters, more than the kernel\'s %d' % (len(raw), NAME_MAX)
        raise _not_a_name(key, raw, rule, why)
    vocabulary = rule.get('vocabulary')
    if vocabulary and raw not in vocabulary:
        raise _err(key, rule['unknown_rule'], 'value %r is not one of %s: %s' % (
            raw, rule['vocabulary_what'], ', '.join(vocabulary)))
    return (raw,)


def _words_from_text(tokens):
    if len(tokens) != 1 or not _NAME_RE.match(tokens[0]):
        return None
    return (tokens[0],)


def name_tokens(text):
    """The names in a whitespace-separated list as the kernel shows it (``'reno bbr cubic'``), in order, without
    duplicates; any token that is not a name is dropped (what a host shows is checked like input). None -> ()."""
    out = []
    for token in (text or '').split():
        if _NAME_RE.match(token) and token not in out:
            out.append(token)
    return tuple(out)


# kind -> parser of input (key, raw, rule) -> value, raising ProfileError; and reader of shown text
# (its whitespace-separated tokens) -> value or None.
_PARSERS = {INTEGERS: _parse_integers, WORDS: _parse_words}
_TEXT_READERS = {INTEGERS: _integers_from_text, WORDS: _words_from_text}


# ---- the value -------------------------------------------------------------------------------------

def parse_value(key, raw):
    """Validate ``raw`` for ``key`` (the key itself is not checked here) and return its value (a tuple)."""
    rule = rules_for(key)
    return _PARSERS[rule['kind']](key, raw, rule)


def parse_text(key, text):
    """'4096\\t87380 16777216' -> (4096, 87380, 16777216) for an integers key, 'bbr\\n' -> ('bbr',) for a words key
    (any name: no vocabulary here); None, an empty text or a text that is not of the key's kind -> None."""
    if text is None:
        return None
    tokens = text.split()
    if not tokens:
        return None
    return _TEXT_READERS[rules_for(key)['kind']](tokens)


def format_value(value):
    """(4096, 87380, 16777216) -> '4096 87380 16777216'; ('bbr',) -> 'bbr'."""
    return ' '.join(str(element) for element in value)


def same_value(key, first, second):
    """True if ``first`` and ``second`` (values, or texts as the kernel or a file shows them) are the same
    value of ``key``. A text that is no value of the key (or None) is the same as nothing."""
    if not isinstance(first, tuple):
        first = parse_text(key, first)
    if not isinstance(second, tuple):
        second = parse_text(key, second)
    return first is not None and first == second


def is_canonical(key, text):
    """True if ``text`` is a value of ``key`` written exactly as format_value writes it."""
    if not isinstance(text, str):
        return False
    value = parse_text(key, text)
    return value is not None and format_value(value) == text


def value_text(text):
    """A value's text as shown (``'4096\\t87380  16777216\\n'``) with whitespace runs collapsed to one space."""
    return ' '.join(text.split())
