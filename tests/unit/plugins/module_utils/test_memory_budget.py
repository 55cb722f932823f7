# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""memory_budget: the worst case of the planned maxima with today's connections, from plain values."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.netfleet.tuning.plugins.module_utils import memory_budget as mb
from ansible_collections.netfleet.tuning.plugins.module_utils.profiles import PROFILES, bdp_profile
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import parse_value

MIB = 1024 * 1024
RMEM = (4096, 87380, 16 * MIB)
WMEM = (4096, 65536, 16 * MIB)
# the kernel's default on this machine (24 GiB, Linux 6.18): limit = nr_free_buffer_pages() / 16
TCP_MEM = (287901, 383868, 575802)
PRESSURE = 383868 * 4096
HIGH = 575802 * 4096


def run(established, rmem=RMEM, wmem=WMEM, tcp_mem=TCP_MEM, page_size=4096, **kwargs):
    return mb.budget(established, rmem, wmem, tcp_mem, page_size, **kwargs)


def test_under_pressure():
    got = run(10)
    assert got == {
        'established': 10, 'tcp_rmem_max': 16 * MIB, 'tcp_wmem_max': 16 * MIB, 'per_socket_max_bytes': 32 * MIB,
        'worst_case_bytes': 320 * MIB,
        'tcp_mem_pages': {'low': 287901, 'pressure': 383868, 'high': 575802},
        'tcp_mem_bytes': {'low': 287901 * 4096, 'pressure': PRESSURE, 'high': HIGH},
        'tcp_mem_source': 'live', 'headroom_bytes': PRESSURE - 320 * MIB, 'sockets_under_pressure': 46,
        'exceeds_pressure': False, 'exceeds_high': False, 'note': got['note'],
    }
    assert got['note'] == ('10 established TCP socket(s) x 33554432 bytes (tcp_rmem max 16777216 + tcp_wmem max '
                           '16777216) = 335544320 bytes (320.0 MiB) at most: 1236779008 bytes (1179.5 MiB) below '
                           'tcp_mem pressure (1572323328 bytes); 46 socket(s) at that maximum fit under pressure.')


def test_over_pressure_only():
    got = run(50)  # 1600 MiB: above pressure (1499.5 MiB), below high (2249.2 MiB)
    assert got['exceeds_pressure'] is True and got['exceeds_high'] is False
    assert got['headroom_bytes'] == PRESSURE - 50 * 32 * MIB < 0
    assert 'more than tcp_mem pressure (1572323328 bytes, 1499.5 MiB); 46 socket(s)' in got['note']
    message = mb.exceeded_message(got)
    assert message.startswith('memory budget: 50 established TCP socket(s) x 33554432 bytes each (tcp_rmem max '
                              '16777216 + tcp_wmem max 16777216) = 1600.0 MiB at most, more than net.ipv4.tcp_mem '
                              'pressure 383868 pages (1499.5 MiB): ')
    assert 'even its high' not in message
    assert message.endswith('Lower the buffer maxima or raise net.ipv4.tcp_mem on the host (see the sysctl_profile '
                            'role README, "Sizing tcp_mem")')


def test_over_high():
    got = run(100)
    assert got['exceeds_pressure'] is True and got['exceeds_high'] is True
    assert 'and even high (2358484992 bytes, 2249.2 MiB)' in got['note']
    assert 'and even its high 575802 pages (2249.2 MiB), where TCP refuses more memory' in mb.exceeded_message(got)


def test_exactly_at_pressure_is_not_over():
    per_socket = 32 * MIB
    tcp_mem = (1, 3 * per_socket // 4096, 3 * per_socket // 4096)
    got = run(3, tcp_mem=tcp_mem)
    assert got['headroom_bytes'] == 0 and got['exceeds_pressure'] is False and got['exceeds_high'] is False
    assert got['sockets_under_pressure'] == 3


def test_no_connection_uses_nothing():
    got = run(0)
    assert got['worst_case_bytes'] == 0 and got['headroom_bytes'] == PRESSURE
    assert got['exceeds_pressure'] is False and got['exceeds_high'] is False
    assert got['note'].startswith('0 established TCP socket(s) x 33554432 bytes')


def test_tcp_mem_hidden_compares_nothing():
    got = run(1000, tcp_mem=None)
    assert got['worst_case_bytes'] == 1000 * 32 * MIB
    for key in ('tcp_mem_pages', 'tcp_mem_bytes', 'tcp_mem_source', 'headroom_bytes', 'sockets_under_pressure',
                'exceeds_pressure', 'exceeds_high'):
        assert got[key] is None, key
    assert got['note'].endswith('at most. ' + mb.TCP_MEM_HIDDEN + '.')
    assert 'not visible in this network namespace (host scope' in got['note']


@pytest.mark.parametrize('established, why, text', [
    (None, '/proc/net/snmp is missing', 'No worst case: the established TCP sockets are unknown '
                                        '(/proc/net/snmp is missing).'),
    (None, None, 'the established TCP sockets are unknown (not read)'),
    (-3, None, 'unknown (Tcp CurrEstab is negative (-3))'),
])
def test_unknown_established_compares_nothing(established, why, text):
    got = run(established, established_unknown=why)
    assert got['established'] is None and got['worst_case_bytes'] is None and got['headroom_bytes'] is None
    assert got['exceeds_pressure'] is None and got['exceeds_high'] is None
    # what can be known still is: the per-socket maximum and how many such sockets fit
    assert got['per_socket_max_bytes'] == 32 * MIB and got['sockets_under_pressure'] == 46
    assert text in got['note']


def test_unreadable_buffer_max_compares_nothing():
    got = run(5, wmem=None)
    assert got['per_socket_max_bytes'] is None and got['worst_case_bytes'] is None
    assert got['exceeds_pressure'] is None and got['sockets_under_pressure'] is None
    assert got['note'] == 'No worst case: net.ipv4.tcp_wmem has no readable max.'
    assert run(5, rmem=(1, 2), wmem=None, tcp_mem=None)['note'] == (
        'No worst case: net.ipv4.tcp_rmem has no readable max; net.ipv4.tcp_wmem has no readable max. '
        + mb.TCP_MEM_HIDDEN + '.')


def test_tcp_mem_of_the_dropin_and_the_page_size():
    got = run(3, tcp_mem=(1000, 2000, 3000), page_size=65536, tcp_mem_source='drop-in')
    assert got['tcp_mem_bytes'] == {'low': 1000 * 65536, 'pressure': 2000 * 65536, 'high': 3000 * 65536}
    assert got['tcp_mem_source'] == 'drop-in' and got['exceeds_pressure'] is False
    assert 'below tcp_mem pressure (131072000 bytes) as the drop-in sets it' in got['note']


def test_sizing_table_of_the_readme():
    """The role README's "Sizing tcp_mem" table: sockets at each profile's maxima under this machine's
    default tcp_mem pressure (24 GiB), computed from the profiles themselves."""
    def fits(settings):
        rmem = parse_value('net.ipv4.tcp_rmem', settings['net.ipv4.tcp_rmem'])
        wmem = parse_value('net.ipv4.tcp_wmem', settings['net.ipv4.tcp_wmem'])
        got = run(0, rmem, wmem)
        return got['per_socket_max_bytes'] // MIB, got['sockets_under_pressure'], HIGH // got['per_socket_max_bytes']

    assert fits(PROFILES['json_api']) == (32, 46, 70)
    assert fits(PROFILES['json_api_heavy']) == (64, 23, 35)
    assert fits(bdp_profile(1000, 20)[0]) == (32, 46, 70)  # the 16 MiB floor
    assert fits(bdp_profile(10000, 20)[0]) == (128, 11, 17)
    assert fits({'net.ipv4.tcp_rmem': '4096 131072 33554432', 'net.ipv4.tcp_wmem': '4096 16384 4194304'}) == (
        36, 41, 62)
