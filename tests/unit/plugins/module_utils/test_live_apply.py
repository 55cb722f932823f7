# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""live_apply: all or nothing, with a kernel that stores a vector element by element."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.netfleet.tuning.plugins.module_utils.live_apply import apply_changes


class FakeKernel(object):
    """Stores vectors element by element and stops at the first element above ``limits[key]``
    (EINVAL), as proc_dointvec does; ``refuse_old`` makes putting back fail too."""

    def __init__(self, values, limits=None, refuse_old=()):
        self.values = dict((k, v.split()) for k, v in values.items())
        self.limits = limits or {}
        self.refuse_old = set(refuse_old)
        self.writes = []

    def write(self, key, value, proc_path):
        self.writes.append((key, value))
        earlier = [written for written, dummy_value in self.writes[:-1]]
        if key in self.refuse_old and key in earlier:
            return 'the kernel refused %s = %s: Invalid argument' % (key, value)
        for index, element in enumerate(value.split()):
            if int(element) > self.limits.get(key, 2 ** 31):
                return 'the kernel refused %s = %s: Invalid argument' % (key, value)
            self.values[key][index] = element
        return None

    def read(self, key, proc_path):
        return ' '.join(self.values[key])


def test_all_written():
    kernel = FakeKernel({'a.b.c': '1 2 3', 'a.b.d': '5'})
    ok, outcome, errors = apply_changes([('a.b.c', '1 2 4', '1 2 3'), ('a.b.d', '6', '5')], '/proc',
                                        kernel.write, kernel.read)
    assert ok and errors == []
    assert outcome == {'a.b.c': {'live': '1 2 4', 'result': 'written'}, 'a.b.d': {'live': '6', 'result': 'written'}}


def test_refused_triplet_half_written_is_put_back_with_earlier_keys():
    kernel = FakeKernel({'net.core.somaxconn': '4096', 'net.ipv4.tcp_wmem': '4096 16384 4194304'},
                        limits={'net.ipv4.tcp_wmem': 5000000})
    changes = [('net.core.somaxconn', '8192', '4096'),
               ('net.ipv4.tcp_wmem', '4096 65536 16777216', '4096 16384 4194304'),
               ('net.ipv4.tcp_rmem', '1 2 3', '1 1 1')]
    ok, outcome, errors = apply_changes(changes, '/proc', kernel.write, kernel.read)
    assert not ok
    assert errors == ['the kernel refused net.ipv4.tcp_wmem = 4096 65536 16777216: Invalid argument']
    # the kernel had stored "4096 65536" before refusing the third element: put back as a whole
    assert kernel.read('net.ipv4.tcp_wmem', None) == '4096 16384 4194304'
    assert kernel.read('net.core.somaxconn', None) == '4096'
    assert outcome == {'net.core.somaxconn': {'live': '4096', 'result': 'rolled_back'},
                       'net.ipv4.tcp_wmem': {'live': '4096 16384 4194304', 'result': 'rolled_back'}}
    assert 'net.ipv4.tcp_rmem' not in [key for key, dummy_value in kernel.writes]


def test_read_back_mismatch_counts_as_failure():
    kernel = FakeKernel({'k.a.b': '1', 'k.a.c': '10'})
    real_write = kernel.write

    def clamping(key, value, proc_path):
        return real_write(key, '15' if value == '20' else value, proc_path)

    ok, outcome, errors = apply_changes([('k.a.b', '2', '1'), ('k.a.c', '20', '10')], '/proc', clamping, kernel.read)
    assert not ok and errors[0] == "k.a.c: read back '15' after writing '20'"
    assert kernel.read('k.a.b', None) == '1' and kernel.read('k.a.c', None) == '10'
    assert set(r['result'] for r in outcome.values()) == {'rolled_back'}


def test_rollback_that_fails_is_reported_per_key():
    kernel = FakeKernel({'k.a.b': '1', 'k.a.c': '10'}, limits={'k.a.c': 15}, refuse_old={'k.a.b'})
    ok, outcome, errors = apply_changes([('k.a.b', '2', '1'), ('k.a.c', '20', '10')], '/proc',
                                        kernel.write, kernel.read)
    assert not ok
    assert outcome['k.a.b'] == {'live': '2', 'result': 'rollback_failed'}
    assert outcome['k.a.c'] == {'live': '10', 'result': 'rolled_back'}
    assert any(e.startswith("k.a.b: left at '2', wanted '1' back") for e in errors)


def test_unknown_old_value_cannot_be_put_back():
    kernel = FakeKernel({'k.a.b': '1', 'k.a.c': '10'}, limits={'k.a.c': 15})
    ok, outcome, errors = apply_changes([('k.a.b', '2', None), ('k.a.c', '20', '10')], '/proc',
                                        kernel.write, kernel.read)
    assert not ok and outcome['k.a.b']['result'] == 'rollback_failed'
    assert "k.a.b: its value from before this run is unknown: left at '2'" in errors
