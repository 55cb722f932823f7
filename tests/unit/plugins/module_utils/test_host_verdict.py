# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_verdict: the verdict a host keeps, built from the judgement and checked wherever it is read back."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

import pytest

from ansible_collections.netfleet.tuning.plugins.module_utils import host_verdict
from ansible_collections.netfleet.tuning.plugins.module_utils.records import RecordError
from ansible_collections.netfleet.tuning.plugins.plugin_utils import verdict as verdict_utils

AT = '2026-01-15T10:01:00.456Z'


def test_the_verdicts_are_the_controllers():
    # module_utils cannot import the controller's verdict module: the names must not drift apart
    assert host_verdict.VERDICTS == verdict_utils.VERDICTS
    assert host_verdict.PASSING == verdict_utils.PASSING


def test_build_round_trips_through_its_text():
    built = host_verdict.build_verdict('improved', True, AT, 'prune_called fell 98%', 'web1')
    assert built == {'schema': host_verdict.VERDICT_SCHEMA, 'verdict': 'improved', 'passed': True,
                     'recorded_at': AT, 'host': 'web1', 'message': 'prune_called fell 98%'}
    text = host_verdict.encode_verdict(built)
    assert text.endswith('}\n') and '\n' not in text[:-1]
    assert host_verdict.decode_verdict(text, 'f') == built
    assert host_verdict.decode_verdict(text.encode('utf-8'), 'f') == built


def test_the_message_is_kept_as_one_bounded_line():
    built = host_verdict.build_verdict('not_improved', False, AT, 'first\nsecond\t\x00third ' + 'x' * 3000)
    assert built['message'].startswith('first second third xxx')
    assert len(built['message']) == host_verdict.MAX_MESSAGE and built['message'].endswith('\u2026')
    assert host_verdict.build_verdict('clean', True, AT, None)['message'] == ''


def good(**change):
    data = {'schema': host_verdict.VERDICT_SCHEMA, 'verdict': 'clean', 'passed': True, 'recorded_at': AT,
            'host': None, 'message': ''}
    data.update(change)
    return data


@pytest.mark.parametrize('data, entry, rule', [
    (good(passed=False), 'passed', 'consistency'),
    (good(verdict='regressed'), 'passed', 'consistency'),
    (good(verdict='fine'), 'verdict', 'choice'),
    (good(passed='true'), 'passed', 'type'),
    (good(schema='netfleet.tuning/verdict/2'), 'schema', 'schema'),
    (good(recorded_at='2026-01-15 10:01'), 'recorded_at', 'format'),
    (good(message='a\nb'), 'message', 'text'),
    (good(message='x' * 1025), 'message', 'size'),
    (good(host=7), 'host', 'type'),
    (dict(good(), extra=1), 'extra', 'unknown_field'),
    (dict((k, v) for k, v in good().items() if k != 'message'), 'message', 'missing_field'),
    ('{', None, 'format'),
    ('x' * (host_verdict.MAX_VERDICT_BYTES + 1), None, 'size'),
    (b'\xff', None, 'format'),
    ([], None, 'type'),
])
def test_a_bad_verdict_names_source_entry_and_rule(data, entry, rule):
    if isinstance(data, dict):
        data = json.dumps(data)
    with pytest.raises(RecordError) as info:
        host_verdict.decode_verdict(data, '/var/lib/netfleet-tuning/verdict.json')
    assert info.value.rule == rule and info.value.entry == entry
    assert str(info.value).startswith('/var/lib/netfleet-tuning/verdict.json: ')


def test_build_refuses_what_decode_refuses():
    with pytest.raises(RecordError, match=r'the verdict to keep: passed: .*\(rule: consistency\)'):
        host_verdict.build_verdict('improved', False, AT)
