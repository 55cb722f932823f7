# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verdict a host keeps: its last verify's verdict, in its state directory (``verdict.json``).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports. verify (and rollout's verify step) judges on the
controller; the module netfleet_verdict then writes the outcome on the host, so that what runs on the host
(the netstat_exporter role's textfile program) can export it without asking the controller::

    {'schema': VERDICT_SCHEMA, 'verdict': one of VERDICTS, 'passed': bool,
     'recorded_at': 'YYYY-MM-DDTHH:MM:SS.mmmZ' (the end of the verify window), 'host': str or None,
     'message': str (at most MAX_MESSAGE characters, one line)}

Like every file of the state directory, a verdict read back is data: ``decode_verdict`` checks every entry
(records' rules: type, size, text without control characters, the time format) and raises
records.RecordError naming the source, the entry and the rule. ``passed`` must agree with the verdict.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import re

from ansible_collections.netfleet.tuning.plugins.module_utils import records

__all__ = ['VERDICT_SCHEMA', 'VERDICT_FILE', 'VERDICTS', 'PASSING', 'MAX_MESSAGE', 'MAX_VERDICT_BYTES',
           'one_line', 'build_verdict', 'decode_verdict', 'encode_verdict']

VERDICT_SCHEMA = 'netfleet.tuning/verdict/1'
VERDICT_FILE = 'verdict.json'
# The verdicts and those that pass: plugin_utils.verdict's (controller code this file cannot import; a unit
# test keeps the two equal).
VERDICTS = ('reset', 'insufficient_traffic', 'regressed', 'clean', 'improved', 'not_improved')
PASSING = ('improved', 'clean')
MAX_MESSAGE = 1024
MAX_VERDICT_BYTES = 16 * 1024
FIELDS = ('schema', 'verdict', 'passed', 'recorded_at', 'host', 'message')

_CONTROL_RE = re.compile(r'[\x00-\x1f\x7f]+')


def one_line(text, limit=MAX_MESSAGE):
    """``text`` as one line of at most ``limit`` characters: control characters (newlines too) become one
    space, and a longer text is cut, ending in an ellipsis."""
    text = _CONTROL_RE.sub(' ', str(text or '')).strip()
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + '\u2026'
    return text


def build_verdict(verdict, passed, recorded_at, message='', host=None):
    """The verdict record to keep; the message made one line and cut to MAX_MESSAGE characters. Checked as
    decode_verdict checks it (RecordError naming the entry and the rule)."""
    record = {
        'schema': VERDICT_SCHEMA,
        'verdict': verdict,
        'passed': passed,
        'recorded_at': recorded_at,
        'host': host,
        'message': one_line(message),
    }
    return decode_verdict(record, 'the verdict to keep')


def decode_verdict(data, source):
    """Check a verdict record (JSON text, bytes, or the parsed object) and return a plain copy.

    ``source`` names where it came from (a file path) in the error. Raises records.RecordError naming
    the source, the entry and the rule.
    """
    check = records.Checker(source)
    data = check.loads(data, MAX_VERDICT_BYTES)
    check.dict_(None, data, required=FIELDS)
    if data['schema'] != VERDICT_SCHEMA:
        check.fail('schema', 'schema', 'is %s, this collection reads %s'
                   % (repr(data['schema'])[:80], VERDICT_SCHEMA))
    if data['verdict'] not in VERDICTS:
        check.fail('verdict', 'choice', 'must be one of %s, got %s'
                   % (', '.join(VERDICTS), repr(data['verdict'])[:80]))
    out = {
        'schema': VERDICT_SCHEMA,
        'verdict': data['verdict'],
        'passed': check.bool_('passed', data['passed']),
        'recorded_at': check.time('recorded_at', data['recorded_at']),
        'host': check.text('host', data['host'], records.MAX_NAME, allow_none=True),
        'message': check.text('message', data['message'], MAX_MESSAGE),
    }
    if out['passed'] != (out['verdict'] in PASSING):
        check.fail('passed', 'consistency', 'is %s, but %s %s' % (
            'true' if out['passed'] else 'false', out['verdict'],
            'passes' if out['verdict'] in PASSING else 'does not pass (only %s do)' % ' and '.join(PASSING)))
    return out


def encode_verdict(record):
    """The text a verdict is stored as (one JSON object, keys sorted, a final newline)."""
    return json.dumps(record, sort_keys=True, separators=(',', ':'), allow_nan=False) + '\n'
