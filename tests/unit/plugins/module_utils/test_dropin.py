# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.module_utils import dropin as dr


def write(root, rel, text):
    path = os.path.join(str(root), rel.lstrip('/'))
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    with open(path, 'w') as handle:
        handle.write(text)
    return path


# ---- render ----------------------------------------------------------------------------------

def test_render_layout():
    text = dr.render({'net.ipv4.tcp_wmem': '4096 65536 16777216', 'net.core.somaxconn': '4096'},
                     comments={'net.core.somaxconn': 'accept queue'}, header='#\n# Ansible managed\n#',
                     notes=['bdp profile: x'], skipped={'net.core.rmem_max': 'host scope'}, profile='json_api')
    assert text == (
        '#\n# Ansible managed\n#\n'
        '# netfleet.tuning:sysctl_profile profile=json_api\n'
        '# Written by the netfleet.tuning.sysctl_profile role: edit its variables, not this file.\n'
        '# bdp profile: x\n'
        '\n# accept queue\nnet.core.somaxconn = 4096\n'
        '\nnet.ipv4.tcp_wmem = 4096 65536 16777216\n'
        '\n# Not written on this host (the role reports them as skipped):\n'
        '#   net.core.rmem_max: host scope\n'
    )


def test_render_is_stable():
    one_order = dr.render({'net.b.c': '1', 'net.a.b': '2'})
    other_order = dr.render(dict([('net.a.b', '2'), ('net.b.c', '1')]))
    assert one_order == other_order


@pytest.mark.parametrize('key, value', [('net.a.b', '1\nkernel.x = 1'), ('net.a.b', '1 = 2'), ('net.a.b\n', '1'),
                                        ('kernel x', '1'), ('net.a.b', ''), ('net.a.b', '1  2')])
def test_render_refuses_unvalidated(key, value):
    with pytest.raises(ValueError):
        dr.render({key: value})


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_comment_lines_never_assign(text):
    for line in dr.comment_lines(text):
        assert line.startswith('#')
        assert '\n' not in line and '\r' not in line


def test_comment_lines_strips_control_characters():
    assert dr.comment_lines('a\x1b[31mb\x00') == ['# a?[31mb?']
    assert dr.comment_lines('# already\n\nplain') == ['# already', '#', '# plain']


# ---- parse -----------------------------------------------------------------------------------

def test_parse_conf():
    text = ('# comment\n; also comment\n\n net.ipv4.tcp_rmem =\t4096  87380 16777216 \n'
            '-net.core.rmem_max=1\nnet/ipv4/tcp_sack = 1\nno equals sign\nnet.ipv4.conf.*.rp_filter = 2\n')
    assert dr.parse_conf(text) == [
        ('net.ipv4.tcp_rmem', '4096 87380 16777216', 4),
        ('net.core.rmem_max', '1', 5),
        ('net.ipv4.tcp_sack', '1', 6),
        ('net.ipv4.conf.*.rp_filter', '2', 8),
    ]


# ---- load order --------------------------------------------------------------------------------

def test_load_order_sorting_masking_and_sysctl_conf(tmp_path):
    ours = os.path.join(str(tmp_path), 'etc/sysctl.d/60-netfleet-tuning.conf')
    write(tmp_path, '/usr/lib/sysctl.d/50-default.conf', 'x')
    write(tmp_path, '/usr/lib/sysctl.d/70-vendor.conf', 'x')
    masked = write(tmp_path, '/etc/sysctl.d/50-default.conf', 'x')  # /etc masks /usr/lib
    write(tmp_path, '/run/sysctl.d/99-run.conf', 'x')
    write(tmp_path, '/lib/sysctl.d/10-lib.conf', 'x')
    write(tmp_path, '/usr/local/lib/sysctl.d/65-local.conf', 'x')
    write(tmp_path, '/etc/sysctl.d/README', 'x')
    write(tmp_path, '/etc/sysctl.conf', 'x')
    os.symlink('/dev/null', os.path.join(str(tmp_path), 'etc/sysctl.d/70-vendor.conf'))
    files = dr.load_order(str(tmp_path), include=ours)
    rel = [os.path.relpath(path, str(tmp_path)) for path in files]
    assert rel == ['lib/sysctl.d/10-lib.conf', 'etc/sysctl.d/50-default.conf', 'etc/sysctl.d/60-netfleet-tuning.conf',
                   'usr/local/lib/sysctl.d/65-local.conf', 'run/sysctl.d/99-run.conf', 'etc/sysctl.conf']
    assert masked in files


def test_load_order_missing_dirs(tmp_path):
    assert dr.load_order(str(tmp_path)) == []


# ---- overrides ---------------------------------------------------------------------------------

def test_find_overrides(tmp_path):
    ours = write(tmp_path, '/etc/sysctl.d/60-netfleet-tuning.conf', 'net.ipv4.tcp_rmem = 1 2 3\n')
    write(tmp_path, '/etc/sysctl.d/10-early.conf', 'net.ipv4.tcp_rmem = 9 9 9\nnet.core.somaxconn = 1\n')
    late = write(tmp_path, '/usr/lib/sysctl.d/80-late.conf', 'net.ipv4.tcp_wmem = 4 5 6\n')
    later = write(tmp_path, '/run/sysctl.d/90-later.conf', 'net.ipv4.tcp_wmem = 7 8 9\nnet.ipv4.tcp_*mem = 1 1 1\n')
    conf = write(tmp_path, '/etc/sysctl.conf', 'net.core.somaxconn = 5\n')
    files = dr.load_order(str(tmp_path), include=ours)
    found = dr.find_overrides(ours, ['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem', 'net.core.somaxconn',
                                     'net.ipv4.tcp_sack'], files)
    assert found == {
        'net.ipv4.tcp_rmem': (later, '1 1 1'),   # glob
        'net.ipv4.tcp_wmem': (later, '1 1 1'),   # the last assignment wins
        'net.core.somaxconn': (conf, '5'),       # sysctl.conf comes last; 10-early.conf does not count
    }
    assert late in files


def test_find_overrides_before_first_write(tmp_path):
    ours = os.path.join(str(tmp_path), 'etc/sysctl.d/60-netfleet-tuning.conf')
    write(tmp_path, '/etc/sysctl.d/10-netlab-untuned.conf', 'net.ipv4.tcp_rmem = 4096 16384 65536\n')
    late = write(tmp_path, '/etc/sysctl.d/61-after.conf', 'net.ipv4.tcp_rmem = 1 2 3\n')
    files = dr.load_order(str(tmp_path), include=ours)
    assert dr.find_overrides(ours, ['net.ipv4.tcp_rmem'], files) == {'net.ipv4.tcp_rmem': (late, '1 2 3')}


def test_debian_sysctl_conf_symlink_is_not_ours(tmp_path):
    ours = os.path.join(str(tmp_path), 'etc/sysctl.d/60-netfleet-tuning.conf')
    conf = write(tmp_path, '/etc/sysctl.conf', 'net.core.somaxconn = 5\n')
    os.makedirs(os.path.join(str(tmp_path), 'etc/sysctl.d'))
    os.symlink('../sysctl.conf', os.path.join(str(tmp_path), 'etc/sysctl.d/99-sysctl.conf'))
    files = dr.load_order(str(tmp_path), include=ours)
    found = dr.find_overrides(ours, ['net.core.somaxconn'], files)
    assert found['net.core.somaxconn'][1] == '5'
    assert found['net.core.somaxconn'][0] == conf


def recording_reader(calls):
    def read(path):
        calls.append(path)
        with open(path) as handle:
            return handle.read()
    return read


def debian_link(root):
    """/etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf, as Debian 12's systemd package ships it."""
    link = os.path.join(str(root), 'etc/sysctl.d/99-sysctl.conf')
    if not os.path.isdir(os.path.dirname(link)):
        os.makedirs(os.path.dirname(link))
    os.symlink('../sysctl.conf', link)
    return link


@pytest.mark.parametrize('priority', [0, 60, 99])
def test_sysctl_conf_overrides_whatever_the_priority(tmp_path, priority):
    ours = write(tmp_path, '/etc/sysctl.d/%02d-netfleet-tuning.conf' % priority,
                 'net.ipv4.tcp_rmem = 4096 87380 33554432\n')
    conf = write(tmp_path, '/etc/sysctl.conf', '# comment\nnet.ipv4.tcp_rmem=4096 131072 6291456\n')
    write(tmp_path, '/etc/sysctl.d/99-zz-last.conf', 'net.ipv4.tcp_rmem = 1 2 3\n')
    files = dr.load_order(str(tmp_path), include=ours)
    assert files[-1] == conf
    found = dr.find_overrides(ours, ['net.ipv4.tcp_rmem'], files)
    assert found == {'net.ipv4.tcp_rmem': (conf, '4096 131072 6291456')}


@pytest.mark.parametrize('priority', [60, 99])
def test_sysctl_conf_link_is_read_once_and_named_sysctl_conf(tmp_path, priority):
    ours = os.path.join(str(tmp_path), 'etc/sysctl.d/%02d-netfleet-tuning.conf' % priority)
    conf = write(tmp_path, '/etc/sysctl.conf', 'net.ipv4.tcp_rmem = 4096 131072 6291456\n')
    link = debian_link(tmp_path)
    later = write(tmp_path, '/etc/sysctl.d/k8s.conf', 'net.ipv4.ip_forward = 1\n')
    files = dr.load_order(str(tmp_path), include=ours)
    # sysctl --system applies both, the link in name order and the file last; ours sorts before the link
    assert files == [ours, link, later, conf]
    calls = []
    found = dr.find_overrides(ours, ['net.ipv4.tcp_rmem', 'net.ipv4.ip_forward'], files,
                              reader=recording_reader(calls))
    assert found == {'net.ipv4.tcp_rmem': (conf, '4096 131072 6291456'), 'net.ipv4.ip_forward': (later, '1')}
    assert calls == [later, conf]  # the link is not read: the same file comes again, last
    assert dr.sysctl_conf_links(files, str(tmp_path)) == [link]


def test_sysctl_conf_linked_the_other_way_is_named_sysctl_conf(tmp_path):
    """/etc/sysctl.conf -> sysctl.d/99-sysctl.conf (the file moved into sysctl.d, the old name kept)."""
    ours = os.path.join(str(tmp_path), 'etc/sysctl.d/60-netfleet-tuning.conf')
    moved = write(tmp_path, '/etc/sysctl.d/99-sysctl.conf', 'net.core.somaxconn = 5\n')
    conf = os.path.join(str(tmp_path), 'etc/sysctl.conf')
    os.symlink('sysctl.d/99-sysctl.conf', conf)
    files = dr.load_order(str(tmp_path), include=ours)
    assert files == [ours, moved, conf]
    calls = []
    assert dr.find_overrides(ours, ['net.core.somaxconn'], files, reader=recording_reader(calls)) == {
        'net.core.somaxconn': (conf, '5')}
    assert calls == [conf]
    assert dr.sysctl_conf_links(files, str(tmp_path)) == [moved]


def test_sysctl_conf_links_without_a_link(tmp_path):
    ours = os.path.join(str(tmp_path), 'etc/sysctl.d/60-netfleet-tuning.conf')
    write(tmp_path, '/etc/sysctl.conf', 'net.core.somaxconn = 5\n')
    write(tmp_path, '/etc/sysctl.d/99-sysctl.conf', 'net.core.somaxconn = 7\n')  # a file, not a link
    assert dr.sysctl_conf_links(dr.load_order(str(tmp_path), include=ours), str(tmp_path)) == []


def test_dangling_link_without_sysctl_conf(tmp_path):
    link = debian_link(tmp_path)  # /etc/sysctl.conf missing: the link leads nowhere
    files = dr.load_order(str(tmp_path))
    assert files == [] and os.path.islink(link)
    assert dr.sysctl_conf_links(files, str(tmp_path)) == []


def test_dev_sec_file_overrides_json_api_heavy_timestamps(tmp_path):
    ours = write(tmp_path, '/etc/sysctl.d/60-netfleet-tuning.conf',
                 'net.ipv4.tcp_timestamps = 1\nnet.ipv4.tcp_sack = 1\n')
    dev_sec = write(tmp_path, '/etc/sysctl.d/90-dev-sec.conf',
                    'net.ipv4.tcp_timestamps=0\nnet.ipv4.tcp_syncookies=1\n')
    files = dr.load_order(str(tmp_path), include=ours)
    found = dr.find_overrides(ours, ['net.ipv4.tcp_timestamps', 'net.ipv4.tcp_sack'], files)
    assert found == {'net.ipv4.tcp_timestamps': (dev_sec, '0')}


def test_unknown_later_file_overrides_and_earlier_file_does_not(tmp_path):
    ours = os.path.join(str(tmp_path), 'etc/sysctl.d/60-netfleet-tuning.conf')
    write(tmp_path, '/etc/sysctl.d/50-early.conf', 'net.core.rmem_max = 212992\nnet.core.somaxconn = 4096\n')
    later = write(tmp_path, '/etc/sysctl.d/70-foo.conf', 'net.core.somaxconn = 1024\n')
    files = dr.load_order(str(tmp_path), include=ours)
    found = dr.find_overrides(ours, ['net.core.rmem_max', 'net.core.somaxconn'], files)
    assert found == {'net.core.somaxconn': (later, '1024')}


def test_vendor_file_masked_by_etc_file_of_the_same_name(tmp_path):
    ours = os.path.join(str(tmp_path), 'etc/sysctl.d/60-netfleet-tuning.conf')
    vendor = write(tmp_path, '/usr/lib/sysctl.d/95-vendor-net.conf', 'net.ipv4.tcp_sack = 0\n')
    admin = write(tmp_path, '/etc/sysctl.d/95-vendor-net.conf', 'net.ipv4.tcp_ecn = 2\n')
    files = dr.load_order(str(tmp_path), include=ours)
    assert admin in files and vendor not in files
    assert dr.find_overrides(ours, ['net.ipv4.tcp_sack'], files) == {}
    os.remove(admin)  # unmasked: the vendor file now overrides
    files = dr.load_order(str(tmp_path), include=ours)
    assert dr.find_overrides(ours, ['net.ipv4.tcp_sack'], files) == {'net.ipv4.tcp_sack': (vendor, '0')}


def test_unreadable_file_is_ignored(tmp_path):
    ours = os.path.join(str(tmp_path), 'etc/sysctl.d/60-netfleet-tuning.conf')
    write(tmp_path, '/etc/sysctl.d/70-x.conf', 'net.core.somaxconn = 5\n')
    files = dr.load_order(str(tmp_path), include=ours)
    assert dr.find_overrides(ours, ['net.core.somaxconn'], files, reader=lambda path: None) == {}


def test_rooted():
    assert dr.rooted('/', '/etc/sysctl.d') == '/etc/sysctl.d'
    assert dr.rooted('/tmp/r', '/etc/sysctl.d') == '/tmp/r/etc/sysctl.d'
