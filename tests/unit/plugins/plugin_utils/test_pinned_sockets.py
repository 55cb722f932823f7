# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pinned_sockets: the sentence that names the processes pinning SO_RCVBUF."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.plugin_utils import pinned_sockets as p


def group(process='python3', pid=4121, sockets=3, rb=131072, wscale=1, case='locked_at_connect',
          peer='198.18.0.2:8080'):
    return {'process': process, 'pid': pid, 'local': '198.18.0.11:*', 'peer': peer, 'case': case,
            'sockets': sockets, 'rb_min': rb, 'rb_max': rb, 'rcv_wscale': wscale, 'received_bytes': 10 ** 8,
            'drops': 0}


def buffers(*groups, **extra):
    out = {'tcp_rmem_default': 87380, 'unlocked_wscale': 9, 'pinned': sum(g['sockets'] for g in groups),
           'pinned_groups': list(groups)}
    out.update(extra)
    return out


def test_one_process():
    assert p.sentence(buffers(group())) == (
        '3 sockets of process python3 (pid 4121) pin SO_RCVBUF (rb 131072; receive window scale 1 where an '
        'unlocked socket gets 9; 198.18.0.11:* -> 198.18.0.2:8080): no sysctl helps them; raise or remove the '
        "application's setRecvBufferSize/SO_RCVBUF")
    assert p.sentence(buffers(group(sockets=1))).startswith('1 socket of process python3 (pid 4121) pins SO_RCVBUF')


def test_below_default_and_unknown_process():
    got = p.sentence(buffers(group(process=None, pid=None, rb=16384, wscale=9, case='below_default')))
    assert got.startswith('3 sockets of a process ss did not name (ss -p shows owners to root only) pin SO_RCVBUF '
                          '(rb 16384; below the tcp_rmem default 87380; ')


def test_several_processes_and_endpoints():
    groups = [group(sockets=3), group(sockets=2, peer='198.18.0.3:8080'), group(sockets=1, peer='198.18.0.4:1'),
              group(process='java', pid=7, sockets=5, rb=2097152, wscale=5), group(process='node', pid=8, sockets=1),
              group(process='ruby', pid=9, sockets=1)]
    got = p.sentence(buffers(*groups, pinned=20))
    assert got.startswith('20 established sockets pin SO_RCVBUF: 6 of process python3 (pid 4121) (rb 131072; '
                          'receive window scale 1 where an unlocked socket gets 9; 198.18.0.11:* -> 198.18.0.2:8080, '
                          '198.18.0.11:* -> 198.18.0.3:8080 and 1 more), 5 of process java (pid 7) (rb 2097152; ')
    # three processes named, the rest counted (groups beyond the host's top 10 included)
    assert ', 1 of process node (pid 8) (' in got and 'ruby' not in got
    assert got.endswith(", 8 more not listed here: no sysctl helps them; raise or remove the application's "
                        "setRecvBufferSize/SO_RCVBUF")


@pytest.mark.parametrize('value', [None, {}, {'pinned': None}, {'pinned': 0}, {'pinned': True}, {'pinned': '3'},
                                   'x', []])
def test_nothing_to_say(value):
    assert p.sentence(value) is None


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(['pinned', 'pinned_groups', 'unlocked_wscale', 'tcp_rmem_default']),
                       st.one_of(st.none(), st.integers(-5, 10 ** 6), st.text(max_size=5),
                                 st.lists(st.dictionaries(st.sampled_from(['process', 'pid', 'sockets', 'rb_min',
                                                                           'rcv_wscale', 'case', 'local', 'peer']),
                                                          st.one_of(st.none(), st.integers(-3, 99),
                                                                    st.text(max_size=4))),
                                          max_size=4))))
def test_any_input_gives_text_or_none(value):
    got = p.sentence(value)
    assert got is None or 'SO_RCVBUF' in got
