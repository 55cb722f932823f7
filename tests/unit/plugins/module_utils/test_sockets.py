# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.module_utils import sockets
from ansible_collections.netfleet.tuning.plugins.module_utils.procnet import ProcParseError

FIXTURE = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'ss', 'ss-tmin-linux-6.18.txt')


def ss_text():
    with open(FIXTURE) as handle:
        return handle.read()


def test_parse_real_output():
    got = sockets.parse_ss(ss_text())
    assert len(got) == 6
    assert [s['local'] for s in got] == ['127.0.0.1:37931', '127.0.0.1:56644', '127.0.0.1:56646',
                                         '127.0.0.1:37931', '[::1]:51021', '[::1]:49940']
    assert got[1]['peer'] == '127.0.0.1:37931'
    assert got[1]['recv_q'] == 3000
    assert got[1]['skmem'] == {'r': 4664, 'rb': 8192, 't': 0, 'tb': 3939840, 'f': 3528, 'w': 0, 'o': 0, 'bl': 0, 'd': 0}
    assert got[1]['rcv_space'] == 4096
    assert got[3]['send_q'] == 952
    assert got[3]['skmem']['w'] == 1784
    assert got[0]['skmem']['rb'] == 131072
    assert got[0]['state'] is None


def test_summarize_real_output():
    got = sockets.summarize(sockets.parse_ss(ss_text()), 131072)
    assert got['established'] == 6
    assert got['with_rb'] == 6
    assert got['pinned_below_default'] == 1
    assert got['pinned_drops'] == 0
    assert got['offenders'] == [{'local': '127.0.0.1:*', 'peer': '127.0.0.1:37931', 'sockets': 1,
                                 'rb_min': 8192, 'rb_max': 8192, 'drops': 0}]
    assert 'pinned_stable' not in got
    assert sockets.summarize(sockets.parse_ss(ss_text()), 8192)['pinned_below_default'] == 0


def test_summarize_groups_and_stable():
    text = ('State Recv-Q Send-Q Local Address:Port Peer Address:Port\n'
            'ESTAB 0 0 198.18.0.5:40001 198.18.0.1:8080\n\t skmem:(r0,rb8192,t0,tb4096,f0,w0,o0,bl0,d5)\n'
            'ESTAB 0 0 198.18.0.5:40002 198.18.0.1:8080\n\t skmem:(r0,rb4608,t0,tb4096,f0,w0,o0,bl0,d1)\n'
            'ESTAB 0 0 198.18.0.5:22 198.18.0.9:50000\n\t skmem:(r0,rb2304,t0,tb4096,f0,w0,o0,bl0,d0)\n'
            'ESTAB 0 0 198.18.0.5:40003 198.18.0.1:8080\n\t skmem:(r0,rb262144,t0,tb4096,f0,w0,o0,bl0,d0)\n'
            'ESTAB 0 0 198.18.0.5:40004 198.18.0.1:8080\n')
    now = sockets.parse_ss(text)
    assert now[0]['state'] == 'ESTAB'
    earlier = sockets.parse_ss(text.replace('rb4608', 'rb4096'))
    got = sockets.summarize(now, 131072, top=10, earlier=earlier)
    assert got['established'] == 5
    assert got['with_rb'] == 4
    assert got['pinned_below_default'] == 3
    assert got['pinned_drops'] == 6
    assert got['pinned_stable'] == 2
    assert got['offenders'][0] == {'local': '198.18.0.5:*', 'peer': '198.18.0.1:8080', 'sockets': 2,
                                   'rb_min': 4608, 'rb_max': 8192, 'drops': 6}
    assert got['offenders'][1]['local'] == '198.18.0.5:22'
    assert got['offenders'][1]['peer'] == '198.18.0.9:*'
    assert len(sockets.summarize(now, 131072, top=1)['offenders']) == 1


def test_header_only_and_empty():
    assert sockets.parse_ss('Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n') == []
    assert sockets.parse_ss('') == []


@pytest.mark.parametrize('text', [
    '\t skmem:(r0)\n',
    'Recv-Q Send-Q Local Address:Port Peer Address:Port\nx 0 a:1 b:2\n',
    'Recv-Q Send-Q Local Address:Port Peer Address:Port\n0 0 a:1\n',
    'Recv-Q Send-Q Local Address:Port Peer Address:Port\n0 0 a:1 b:2\n\t skmem:(r0,rbX)\n',
    'Recv-Q Send-Q Peer\n',
])
def test_errors(text):
    with pytest.raises(ProcParseError):
        sockets.parse_ss(text, 'ss')


@pytest.mark.parametrize('endpoint, expected', [
    ('198.18.0.2:8080', ('198.18.0.2', '8080')),
    ('[::1]:22', ('::1', '22')),
    ('::1:22', ('::1', '22')),
    ('[::ffff:127.0.0.1]:80', ('::ffff:127.0.0.1', '80')),
    ('127.0.0.53%lo:53', ('127.0.0.53%lo', '53')),
    ('*', ('*', '')),
])
def test_split_endpoint(endpoint, expected):
    assert sockets.split_endpoint(endpoint) == expected


@pytest.mark.parametrize('value, expected', [
    ('4096 131072 33554432', 131072), ('4096 16384 65536', 16384), (None, None), ('1 2', None), ('a b c', None),
])
def test_rmem_default(value, expected):
    assert sockets.rmem_default(value) == expected


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=300),
                 st.lists(st.sampled_from(['Recv-Q Send-Q Local Address:Port Peer Address:Port\n', '0 ', '12 ', 'a:1 ',
                                           '[::1]:2 ', '\n', '\t skmem:(r0,rb8192,d3)', ' rcv_space:5', 'x']),
                          max_size=30).map(''.join)))
def test_parse_ss_property(text):
    try:
        got = sockets.parse_ss(text, 'fuzz')
    except ProcParseError:
        return
    summary = sockets.summarize(got, 131072)
    assert summary['pinned_below_default'] <= summary['with_rb'] <= summary['established'] == len(got)
