# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tuned_profile: the fixture trees of real Debian tuned 2.20.0 profiles (tests/unit/fixtures/tuned/README.md),
then each rule of tuned the reader models, on small trees in memory."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os
import shutil

import pytest
from hypothesis import given, settings, HealthCheck, strategies as st

from ansible_collections.netfleet.tuning.plugins.module_utils import tuned_profile as tp

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        'fixtures', 'tuned')
MAIN = '/etc/tuned/tuned-main.conf'
ACTIVE = '/etc/tuned/active_profile'
TP = '/usr/lib/tuned/throughput-performance/tuned.conf'
NT = '/usr/lib/tuned/network-throughput/tuned.conf'
THUNDERX_NOTE = ("applies only where uname matches 'aarch64' and /proc/cpuinfo matches "
                 "'CPU part\\\\s+:\\\\s+(0x0?516)|(0x0?af)|(0x0?a[0-3])|(0x0?b8)\\\\b' (not evaluated)")
RAISE_NOTE = 'only raises: tuned writes it where the live value is lower'


def tree(name):
    return os.path.join(FIXTURES, name)


def entry(value, profile, path, modifier=None, raw=None, via=None, unit='sysctl', owner=None, conditional=False,
          note=None, earlier=(), reapplied_by=None):
    if owner is None:
        owner = 'tuned profile %s' % profile + (' (included by %s)' % via if via else '')
    return {'value': value, 'modifier': modifier, 'raw': raw if raw is not None else (modifier or '') + value,
            'profile': profile, 'via': via, 'file': path, 'unit': unit, 'owner': owner, 'conditional': conditional,
            'note': note, 'earlier': list(earlier), 'reapplied_by': reapplied_by}


def short(entries):
    """{key: (value, modifier, profile)}: the gist of an entry map."""
    return dict((key, (item['value'], item['modifier'], item['profile'])) for key, item in entries.items())


class Memory(object):
    """A host tree in memory: {path: text}; a value that is an exception is raised when read."""

    def __init__(self, files):
        self.files = dict(files)
        self.reads = []

    def reader(self, path, limit=tp.MAX_FILE_BYTES):
        self.reads.append(path)
        text = self.files.get(path)
        if isinstance(text, Exception):
            raise text
        if text is not None and len(text.encode('utf-8')) > limit:
            raise tp._TooLarge('larger than %d bytes' % limit)
        return text

    def lister(self, path):
        prefix = path.rstrip('/') + '/'
        names = set(name[len(prefix):].split('/', 1)[0] for name in self.files if name.startswith(prefix))
        return sorted(names) if names else None

    def read(self):
        return tp.read_tuned('/', reader=self.reader, lister=self.lister)


def host(profiles, active='p', main='', **files):
    """A Memory host: ``profiles`` {name: tuned.conf text} under /etc/tuned, active_profile ``active``,
    tuned-main.conf ``main`` (None: no such file)."""
    tree_files = dict(('/etc/tuned/%s/tuned.conf' % name, text) for name, text in profiles.items())
    tree_files[ACTIVE] = active
    if main is not None:
        tree_files[MAIN] = main
    for key, text in files.items():
        tree_files[key] = text
    return Memory(tree_files)


# ---- the fixture trees -------------------------------------------------------------------------------

def test_throughput_tree():
    result = tp.read_tuned(tree('throughput'))
    sysctl = result.pop('sysctl')
    assert result == {
        'profiles': ['network-throughput'], 'post_loaded': None, 'source': ACTIVE, 'mode': 'manual',
        'files': [TP, NT], 'status': 'ok', 'reapply_sysctl': True, 'reapply_source': MAIN,
        'reapply_files': ['/etc/sysctl.d/60-netfleet-tuning.conf', '/run/sysctl.d/99-local.conf', '/etc/sysctl.conf'],
        'owner': 'tuned profile network-throughput', 'notes': [],
    }
    assert list(sysctl) == ['vm.dirty_ratio', 'vm.dirty_background_ratio', 'vm.swappiness', 'net.core.somaxconn',
                            'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem', 'kernel.numa_balancing']
    assert sysctl['net.ipv4.tcp_rmem'] == entry('4096 87380 16777216', 'network-throughput', NT,
                                                raw='"4096 87380 16777216"')
    assert sysctl['net.ipv4.tcp_wmem'] == entry('4096 16384 16777216', 'network-throughput', NT,
                                                raw='"4096 16384 16777216"')
    # somaxconn: raise-only from the parent; /run/sysctl.d/99-local.conf (masking the /etc one) puts 8192 back
    assert sysctl['net.core.somaxconn'] == entry(
        '2048', 'throughput-performance', TP, modifier='>', via='network-throughput', note=RAISE_NOTE,
        reapplied_by={'file': '/run/sysctl.d/99-local.conf', 'value': '8192'})
    assert sysctl['kernel.numa_balancing'] == entry(
        '0', 'throughput-performance', TP, via='network-throughput', unit='sysctl.thunderx', conditional=True,
        note=THUNDERX_NOTE)
    assert sysctl['vm.dirty_ratio']['value'] == '40'


def test_reapply_off_tree():
    result = tp.read_tuned(tree('reapply_off'))
    assert (result['reapply_sysctl'], result['reapply_source'], result['reapply_files']) == (False, MAIN, [])
    assert result['status'] == 'ok' and result['notes'] == []
    # /etc/sysctl.d/99-local.conf sets somaxconn, but tuned does not put it back: tuned's value stays live
    somaxconn = result['sysctl']['net.core.somaxconn']
    assert somaxconn['reapplied_by'] is None
    assert tp.effective_value(somaxconn, '1024') == '2048'
    assert all(item['reapplied_by'] is None for item in result['sysctl'].values())


def test_the_real_tuned_main_conf_says_reapply_1():
    with open(os.path.join(tree('throughput'), 'etc/tuned/tuned-main.conf')) as handle:
        text = handle.read()
    assert 'reapply_sysctl = 1\n' in text
    with open(os.path.join(tree('reapply_off'), 'etc/tuned/tuned-main.conf')) as handle:
        assert handle.read() == text.replace('reapply_sysctl = 1\n', 'reapply_sysctl = 0\n')


def test_oracle_tree():
    result = tp.read_tuned(tree('oracle'))
    oracle = '/usr/lib/tuned/oracle/tuned.conf'
    assert result['files'] == [TP, oracle] and result['status'] == 'ok' and result['owner'] == 'tuned profile oracle'
    net = dict((key, value) for key, value in short(result['sysctl']).items() if key.startswith('net.'))
    assert net == {
        'net.core.somaxconn': ('2048', '>', 'throughput-performance'),
        'net.ipv4.ip_local_port_range': ('9000 65499', None, 'oracle'),
        'net.core.rmem_default': ('262144', None, 'oracle'),
        'net.core.rmem_max': ('4194304', None, 'oracle'),
        'net.core.wmem_default': ('262144', None, 'oracle'),
        'net.core.wmem_max': ('1048576', None, 'oracle'),
    }
    assert result['sysctl']['net.core.rmem_max'] == entry('4194304', 'oracle', oracle)
    assert result['sysctl']['kernel.sem']['value'] == '250 32000 100 128'
    # oracle's [sysctl] sets numa_balancing, then the parent's conditional [sysctl.thunderx] (later in unit order)
    numa = result['sysctl']['kernel.numa_balancing']
    assert (numa['unit'], numa['conditional'], numa['file']) == ('sysctl.thunderx', True, TP)
    assert [(step['value'], step['file'], step['unit']) for step in numa['earlier']] == [('0', oracle, 'sysctl')]


def test_multi_tree():
    result = tp.read_tuned(tree('multi'))
    lib = '/usr/lib/tuned/%s/tuned.conf'
    assert result['profiles'] == ['network-latency', 'network-throughput', 'mssql']
    assert result['post_loaded'] == 'mssql' and result['source'] == ACTIVE
    assert result['files'] == [lib % name for name in (
        'latency-performance', 'network-latency', 'throughput-performance', 'network-throughput', 'mssql')]
    assert result['owner'] == 'tuned profile network-latency + tuned profile network-throughput + tuned profile mssql'
    got = short(result['sysctl'])
    assert got['vm.dirty_ratio'] == ('80', None, 'mssql')                 # latency 10, throughput 40, mssql 80
    assert got['net.core.busy_read'] == ('50', None, 'network-latency')
    assert got['net.ipv4.tcp_fastopen'] == ('3', None, 'network-latency')
    assert got['net.ipv4.tcp_rmem'] == ('4096 87380 16777216', None, 'network-throughput')
    assert got['net.core.rmem_max'] == ('4194304', None, 'mssql')
    assert got['net.core.somaxconn'] == ('2048', '>', 'throughput-performance')
    assert result['sysctl']['net.core.somaxconn']['owner'] == \
        'tuned profile throughput-performance (included by network-throughput)'


def test_custom_child_tree():
    result = tp.read_tuned(tree('custom_child'))
    site_tp = '/etc/tuned/throughput-performance/tuned.conf'
    mine = '/etc/tuned/my-network/tuned.conf'
    assert result['files'] == [TP, site_tp, NT, mine]
    assert result['status'] == 'ok'
    assert result['notes'] == [
        'unit [sysctl.thunderx] is disabled (enabled is not true): tuned skips it',
        "unit [sysctl.extra] has type 'sysctl.extra', not sysctl: tuned does not apply it as sysctl",
    ]
    sysctl = result['sysctl']
    # replace=1 dropped the shipped [sysctl] (dirty_ratio...); drop= removed tcp_wmem; thunderx disabled
    assert list(sysctl) == ['vm.swappiness', 'net.core.somaxconn', 'net.ipv4.tcp_rmem', 'net.core.rmem_max',
                            'net.core.wmem_max', 'net.ipv4.tcp_fastopen', 'net.core.busy_poll', 'net.ipv4.tcp_mem',
                            'net.core.netdev_max_backlog']
    assert sysctl['vm.swappiness'] == entry('30', 'throughput-performance', site_tp, via='my-network')
    assert sysctl['net.core.somaxconn'] == entry('4096', 'throughput-performance', site_tp, modifier='>',
                                                 via='my-network', note=RAISE_NOTE)
    assert sysctl['net.core.rmem_max'] == entry('33554432', 'my-network', mine, raw='${big_buffer}')
    assert sysctl['net.core.wmem_max'] == entry('33554432', 'my-network', mine, raw='${big_buffer}')
    assert sysctl['net.ipv4.tcp_fastopen']['value'] is None
    assert sysctl['net.ipv4.tcp_fastopen']['note'] == (
        "value '${f:exec:/usr/local/bin/fastopen-mode}' needs a tuned function or variable this reader cannot "
        "expand: unknown")
    assert sysctl['net.core.busy_poll']['value'] is None
    assert sysctl['net.ipv4.tcp_mem'] == entry(
        '786432 1048576 1572864', 'my-network', mine, modifier='<', raw='"<786432 1048576 1572864"',
        note='only lowers: tuned writes it where the live value is higher')
    assert sysctl['net.core.netdev_max_backlog'] == entry(
        '8192', 'my-network', mine, modifier='>', raw='>${backlog}', unit='sysctl.arm', conditional=True,
        note="applies only where uname matches 'aarch64' (not evaluated); " + RAISE_NOTE)


def test_kernel_settings_tree():
    result = tp.read_tuned(tree('kernel_settings'))
    ks = '/etc/tuned/kernel_settings/tuned.conf'
    label = 'linux-system-roles kernel_settings (tuned profile kernel_settings)'
    assert result['profiles'] == ['throughput-performance', 'kernel_settings']
    assert result['files'] == [TP, ks]
    assert result['owner'] == 'tuned profile throughput-performance + ' + label
    assert result['sysctl']['net.core.somaxconn'] == entry('1024', 'kernel_settings', ks, owner=label)
    assert result['sysctl']['net.ipv4.tcp_rmem'] == entry('4096 131072 8388608', 'kernel_settings', ks, owner=label)
    assert result['sysctl']['vm.swappiness']['owner'] == 'tuned profile throughput-performance'


def test_kernel_settings_needs_its_fingerprint_and_is_found_in_the_profiles_layout(tmp_path):
    root = str(tmp_path / 'root')
    shutil.copytree(tree('kernel_settings'), root)
    # the role writes to /etc/tuned/profiles/kernel_settings when /etc/tuned/profiles exists
    os.makedirs(os.path.join(root, 'etc/tuned/profiles'))
    os.rename(os.path.join(root, 'etc/tuned/kernel_settings'), os.path.join(root, 'etc/tuned/profiles/kernel_settings'))
    result = tp.read_tuned(root)
    assert result['files'][-1] == '/etc/tuned/profiles/kernel_settings/tuned.conf'
    assert result['sysctl']['net.core.somaxconn']['owner'].startswith('linux-system-roles kernel_settings')
    path = os.path.join(root, 'etc/tuned/profiles/kernel_settings/tuned.conf')
    with open(path) as handle:
        text = handle.read()
    with open(path, 'w') as handle:
        handle.write(text.replace('# system_role:kernel_settings\n', ''))
    assert tp.read_tuned(root)['sysctl']['net.core.somaxconn']['owner'] == 'tuned profile kernel_settings'


def test_broken_tree():
    result = tp.read_tuned(tree('broken'))
    etc = '/etc/tuned/%s/tuned.conf'
    assert result['status'] == 'refused'
    assert result['profiles'] == ['self-include', 'loop-a', 'missing-parent', 'garbage']
    assert result['files'] == [etc % name for name in ('self-include', 'loop-b', 'loop-a', 'missing-parent')]
    assert result['mode'] is None
    notes = result['notes']
    # configparser's own words (notes[2]) vary between Python releases: only their frame is checked
    assert notes[2].startswith('/etc/tuned/garbage/tuned.conf cannot be parsed (') and "[line 5]" in notes[2]
    assert notes[2].endswith('): tuned refuses the profile set')
    assert notes[:2] + notes[3:] == [
        "/etc/tuned/active_profile: 'bad@name' is not a safe profile name: tuned ignores it",
        "tuned profile 'no-such-profile' is not found in /etc/tuned/profiles, /etc/tuned, /usr/lib/tuned/profiles, "
        "/usr/lib/tuned: tuned refuses the profile set",
        "/etc/tuned/missing-parent/tuned.conf [sysctl]: 'net.core rmem max' does not look like a sysctl key: "
        "not reported",
        "/etc/tuned/missing-parent/tuned.conf [sysctl]: 'net.core.*.x' does not look like a sysctl key: not reported",
    ]
    assert short(result['sysctl']) == {
        'net.core.somaxconn': ('1024', None, 'self-include'),
        'net.core.rmem_max': ('8388608', None, 'loop-a'),          # loop-a after the loop-b it includes
        'net.core.wmem_max': ('4194304', None, 'loop-b'),
        'net.ipv4.tcp_sack': ('1', None, 'missing-parent'),
    }


def test_broken_tree_unreadable_and_huge_files(tmp_path):
    root = str(tmp_path / 'root')
    shutil.copytree(tree('broken'), root)
    with open(os.path.join(root, 'etc/tuned/loop-b/tuned.conf'), 'a') as handle:
        handle.write('# filler\n' * (tp.MAX_FILE_BYTES // 9 + 1))

    def reader(path, limit=tp.MAX_FILE_BYTES):
        if path.endswith('/etc/tuned/self-include/tuned.conf'):
            raise OSError(errno.EACCES, 'Permission denied')
        return tp.read_text(path, limit)

    result = tp.read_tuned(root, reader=reader)
    assert 'tuned profile /etc/tuned/self-include/tuned.conf cannot be read: Permission denied' in result['notes']
    assert ('tuned profile /etc/tuned/loop-b/tuned.conf not read: larger than %d bytes' % tp.MAX_FILE_BYTES
            in result['notes'])
    assert 'net.core.wmem_max' not in result['sysctl'] and 'net.core.somaxconn' not in result['sysctl']
    assert result['status'] == 'refused'      # the missing include and the garbage file still refuse the set


# every Debian profile that sets net.* keys: (status, its net.* keys as {key: (value, modifier, profile)})
TP_NET = {'net.core.somaxconn': ('2048', '>', 'throughput-performance')}
OPENSHIFT = {
    'net.ipv4.ip_forward': ('1', None, 'openshift'),
    'net.netfilter.nf_conntrack_max': ('1048576', None, 'openshift'),
    'net.ipv4.conf.all.arp_announce': ('2', None, 'openshift'),
    'net.ipv4.neigh.default.gc_thresh1': ('8192', None, 'openshift'),
    'net.ipv4.neigh.default.gc_thresh2': ('32768', None, 'openshift'),
    'net.ipv4.neigh.default.gc_thresh3': ('65536', None, 'openshift'),
    'net.ipv6.neigh.default.gc_thresh1': ('8192', None, 'openshift'),
    'net.ipv6.neigh.default.gc_thresh2': ('32768', None, 'openshift'),
    'net.ipv6.neigh.default.gc_thresh3': ('65536', None, 'openshift'),
}
SHIPPED = {
    'atomic-guest': ('ok', dict(TP_NET, **{'net.netfilter.nf_conntrack_max': ('1048576', None, 'atomic-guest')})),
    'atomic-host': ('ok', dict(TP_NET, **{'net.netfilter.nf_conntrack_max': ('1048576', None, 'atomic-host')})),
    'hpc-compute': ('ok', {'net.core.busy_read': ('50', None, 'hpc-compute'),
                           'net.core.busy_poll': ('50', None, 'hpc-compute'),
                           'net.ipv4.tcp_fastopen': ('3', None, 'hpc-compute')}),
    'mssql': ('ok', dict(TP_NET, **{'net.core.rmem_default': ('262144', None, 'mssql'),
                                    'net.core.rmem_max': ('4194304', None, 'mssql'),
                                    'net.core.wmem_default': ('262144', None, 'mssql'),
                                    'net.core.wmem_max': ('1048576', None, 'mssql')})),
    'network-latency': ('ok', {'net.core.busy_read': ('50', None, 'network-latency'),
                               'net.core.busy_poll': ('50', None, 'network-latency'),
                               'net.ipv4.tcp_fastopen': ('3', None, 'network-latency')}),
    'network-throughput': ('ok', dict(TP_NET, **{
        'net.ipv4.tcp_rmem': ('4096 87380 16777216', None, 'network-throughput'),
        'net.ipv4.tcp_wmem': ('4096 16384 16777216', None, 'network-throughput')})),
    'oracle': ('ok', dict(TP_NET, **{'net.ipv4.ip_local_port_range': ('9000 65499', None, 'oracle'),
                                     'net.core.rmem_default': ('262144', None, 'oracle'),
                                     'net.core.rmem_max': ('4194304', None, 'oracle'),
                                     'net.core.wmem_default': ('262144', None, 'oracle'),
                                     'net.core.wmem_max': ('1048576', None, 'oracle')})),
    'spectrumscale-ece': ('ok', dict(TP_NET, **{'net.ipv4.tcp_window_scaling': ('1', None, 'spectrumscale-ece'),
                                                'net.ipv4.tcp_timestamps': ('1', None, 'spectrumscale-ece')})),
    'throughput-performance': ('ok', TP_NET),
    # include=${f:virt_check:virtual-guest:throughput-performance}: not followed, so no somaxconn from a parent
    'openshift': ('incomplete', OPENSHIFT),
    'openshift-node': ('incomplete', dict(OPENSHIFT, **{'net.ipv4.tcp_fastopen': ('3', None, 'openshift-node')})),
    # network-latency's keys; its own [sysctl] has none; the variables use ${f:...} (unknown, unused by sysctl)
    'cpu-partitioning': ('ok', {'net.core.busy_read': ('50', None, 'network-latency'),
                                'net.core.busy_poll': ('50', None, 'network-latency'),
                                'net.ipv4.tcp_fastopen': ('3', None, 'network-latency')}),
    'realtime': ('ok', {'net.core.busy_read': ('50', None, 'network-latency'),
                        'net.core.busy_poll': ('50', None, 'network-latency'),
                        'net.ipv4.tcp_fastopen': ('3', None, 'network-latency')}),
}


@pytest.mark.parametrize('name', sorted(SHIPPED))
def test_shipped_profiles(name):
    def reader(path, limit=tp.MAX_FILE_BYTES):
        if path == os.path.join(tree('shipped'), 'etc/tuned/active_profile'):
            return name + '\n'
        return tp.read_text(path, limit)

    result = tp.read_tuned(tree('shipped'), reader=reader)
    status, net = SHIPPED[name]
    assert result['status'] == status, result['notes']
    got = dict((key, value) for key, value in short(result['sysctl']).items() if key.startswith('net.'))
    assert got == net
    assert all(item['value'] is not None for item in result['sysctl'].values())


def test_openshift_include_needs_a_function():
    def reader(path, limit=tp.MAX_FILE_BYTES):
        if path.endswith('/etc/tuned/active_profile'):
            return 'openshift'
        return tp.read_text(path, limit)

    notes = tp.read_tuned(tree('shipped'), reader=reader)['notes']
    assert notes == ['/usr/lib/tuned/openshift/tuned.conf: include=${f:virt_check:virtual-guest:throughput-performance} '
                     'needs a tuned function or variable: not followed']


def test_no_tuned_configuration():
    assert tp.read_tuned(tree('shipped')) is None                       # no active_profile
    assert tp.read_tuned('/nonexistent/tuned/root') is None
    assert host({}, active='  \n').read() is None
    assert host({}, active='', **{tp.POST_LOADED_PROFILE: '\n'}).read() is None


# ---- which profiles ----------------------------------------------------------------------------------------

P = '[sysctl]\nnet.core.somaxconn = 1000\n'


def test_post_loaded_only():
    result = host({'post': P}, active='', **{tp.POST_LOADED_PROFILE: 'post\n'}).read()
    assert (result['profiles'], result['post_loaded'], result['source']) == (['post'], 'post', tp.POST_LOADED_PROFILE)
    assert result['sysctl']['net.core.somaxconn']['profile'] == 'post'


def test_post_loaded_with_whitespace_is_refused():
    result = host({'p': P}, **{tp.POST_LOADED_PROFILE: 'a b'}).read()
    assert result['status'] == 'refused' and result['post_loaded'] is None
    assert result['notes'] == ['/etc/tuned/post_loaded_profile names several profiles (a b): tuned 2.20.0 refuses it']


@pytest.mark.parametrize('mode, status, note', [
    ('manual\n', 'ok', None),
    ('auto', 'ok', 'profile_mode is auto: at start tuned applies the profile recommend.conf picks and writes it to '
                   '/etc/tuned/active_profile; this reader trusts that file'),
    ('sometimes', 'refused', "/etc/tuned/profile_mode holds 'sometimes': tuned 2.20.0 refuses to start (neither auto "
                             "nor manual)"),
])
def test_profile_mode(mode, status, note):
    result = host({'p': P}, **{tp.PROFILE_MODE: mode}).read()
    assert result['status'] == status
    assert result['notes'] == ([note] if note else [])
    assert result['mode'] == mode.strip()


@pytest.mark.parametrize('active, note', [
    ('-p', "/etc/tuned/active_profile: '-p': tuned 2.20.0 accepts a conditional \"-\" name only in include=, and "
           "refuses the profile set"),
    ('../p', "/etc/tuned/active_profile: '../p' is no profile name: tuned refuses the profile set"),
    ('..', "/etc/tuned/active_profile: '..' is no profile name: tuned refuses the profile set"),
    ('nope', "/etc/tuned/active_profile names 'nope', which is not found in /etc/tuned/profiles, /etc/tuned, "
             "/usr/lib/tuned/profiles, /usr/lib/tuned: tuned refuses the profile set"),
])
def test_active_names_tuned_refuses(active, note):
    result = host({'p': P}, active='p ' + active).read()
    assert result['status'] == 'refused'
    assert result['notes'] == [note]
    assert result['profiles'] == ['p']


def test_control_characters_in_active_profile():
    result = host({'p': P}, active='p\x01').read()
    assert result['profiles'] == [] and result['status'] == 'incomplete' and result['sysctl'] == {}
    assert result['notes'] == ['active profile file /etc/tuned/active_profile holds control characters: not used']


def test_unreadable_active_profile():
    result = host({'p': P}, active=OSError(errno.EACCES, 'Permission denied'), **{tp.POST_LOADED_PROFILE: 'p'}).read()
    assert result['profiles'] == ['p'] and result['status'] == 'incomplete'
    assert result['notes'] == ['active profile file /etc/tuned/active_profile cannot be read: Permission denied']


def test_locator_order_and_each_file_once():
    files = {
        '/etc/tuned/profiles/a/tuned.conf': '[main]\ninclude=a\n[sysctl]\nnet.core.somaxconn=1\n',
        '/etc/tuned/a/tuned.conf': '[main]\ninclude=a\n[sysctl]\nnet.core.somaxconn=2\n',
        '/usr/lib/tuned/profiles/a/tuned.conf': '[main]\ninclude=a\n[sysctl]\nnet.core.somaxconn=3\n',
        '/usr/lib/tuned/a/tuned.conf': '[main]\ninclude=a\n[sysctl]\nnet.core.somaxconn=4\n[sysctl.b]\ntype=sysctl\n'
                                       'net.core.rmem_max=5\n',
        ACTIVE: 'a', MAIN: '',
    }
    result = Memory(files).read()
    # each includes "a": the next directory's file, until all four are loaded; the first found loads last
    assert result['files'] == ['/usr/lib/tuned/a/tuned.conf', '/usr/lib/tuned/profiles/a/tuned.conf',
                               '/etc/tuned/a/tuned.conf', '/etc/tuned/profiles/a/tuned.conf']
    assert result['sysctl']['net.core.somaxconn']['value'] == '1'
    assert result['sysctl']['net.core.somaxconn']['via'] is None
    assert result['sysctl']['net.core.rmem_max']['via'] == 'a'


def test_include_rules():
    memory = host({
        'p': '[main]\ninclude = q ; -gone, r\n[sysctl]\nnet.core.somaxconn=1\n',
        'q': '[sysctl]\nnet.core.somaxconn=2\nnet.core.rmem_max=2\n',
        'r': '[main]\ninclude=..\n[sysctl]\nnet.core.rmem_max=3\nnet.core.wmem_max=3\n',
    })
    result = memory.read()
    assert result['files'] == ['/etc/tuned/q/tuned.conf', '/etc/tuned/r/tuned.conf', '/etc/tuned/p/tuned.conf']
    assert short(result['sysctl']) == {'net.core.somaxconn': ('1', None, 'p'), 'net.core.rmem_max': ('3', None, 'r'),
                                       'net.core.wmem_max': ('3', None, 'r')}
    assert result['status'] == 'refused'
    assert result['notes'] == ["include of '..' in a profile of p is not a profile name: not followed"]


@pytest.mark.parametrize('include, note', [
    ('${f:virt_check:a:b}', '/etc/tuned/p/tuned.conf: include=${f:virt_check:a:b} needs a tuned function or variable: '
                            'not followed'),
    ('${parent}', '/etc/tuned/p/tuned.conf: include=${parent} needs a tuned function or variable: not followed'),
])
def test_include_with_variables_is_not_followed(include, note):
    result = host({'p': '[main]\ninclude=%s\n[variables]\nparent=q\n%s' % (include, P), 'q': P}).read()
    assert result['status'] == 'incomplete' and result['notes'] == [note]
    assert result['files'] == ['/etc/tuned/p/tuned.conf']


def test_include_of_a_path_takes_its_basename():
    result = host({'p': '[main]\ninclude=/somewhere/else/q\n' + P, 'q': '[sysctl]\nnet.core.rmem_max=9\n'}).read()
    assert result['files'] == ['/etc/tuned/q/tuned.conf', '/etc/tuned/p/tuned.conf'] and result['status'] == 'ok'
    result = host({'p': '[main]\ninclude=-/x/q\n' + P, 'q': '[sysctl]\nnet.core.rmem_max=9\n'}).read()
    assert result['files'] == ['/etc/tuned/q/tuned.conf', '/etc/tuned/p/tuned.conf']


def test_too_many_profile_files(monkeypatch):
    monkeypatch.setattr(tp, 'MAX_PROFILE_FILES', 3)
    profiles = dict(('p%d' % index, '[main]\ninclude=p%d\n%s' % (index + 1, P)) for index in range(5))
    result = host(profiles, active='p0').read()
    assert result['status'] == 'incomplete'
    assert result['notes'] == ['more than 3 profile files: the rest not read']
    assert len(result['files']) == 3


def test_profile_file_without_section_is_refused():
    result = host({'p': 'net.core.somaxconn = 1\n'}).read()
    assert result['status'] == 'refused' and result['sysctl'] == {}
    assert result['notes'][0].startswith('/etc/tuned/p/tuned.conf cannot be parsed (File contains no section headers.')


# ---- merging units -----------------------------------------------------------------------------------------

def test_replace_drop_and_the_later_unit_wins():
    result = host({
        'p': '[main]\ninclude=q\n[sysctl]\ndrop=net.core.rmem_max;net.core.wmem_max\nnet.core.somaxconn=9\n'
             '[sysctl.x]\nreplace=true\ntype=sysctl\nnet.ipv4.tcp_sack=1\n',
        'q': '[sysctl]\nnet.core.rmem_max=1\nnet.core.wmem_max=1\nnet.core.somaxconn=1\nnet.core.optmem_max=1\n'
             '[sysctl.x]\ntype=sysctl\nnet.ipv4.tcp_timestamps=0\n',
    }).read()
    assert short(result['sysctl']) == {'net.core.somaxconn': ('9', None, 'p'), 'net.core.optmem_max': ('1', None, 'q'),
                                       'net.ipv4.tcp_sack': ('1', None, 'p')}


@pytest.mark.parametrize('enabled, applied', [
    ('true', True), ('True', True), ('1', True), ('yes', False), ('on', False), ('false', False), ('0', False),
])
def test_enabled_is_true_only_for_true_and_1(enabled, applied):
    result = host({'p': '[sysctl]\nenabled=%s\nnet.core.somaxconn=1\n' % enabled}).read()
    assert ('net.core.somaxconn' in result['sysctl']) is applied
    assert result['notes'] == ([] if applied else ['unit [sysctl] is disabled (enabled is not true): tuned skips it'])


def test_disabled_units_of_other_plugins_pass_silently_and_a_note_is_given_once():
    result = host({'p': '[main]\ninclude=q, gone\n[cpu]\nenabled=false\ngovernor=performance\n' + P,
                   'q': '[main]\ninclude=gone\n[sysctl]\nnet.core.rmem_max=1\n'}, active='p').read()
    assert result['notes'] == ["tuned profile 'gone' is not found in /etc/tuned/profiles, /etc/tuned, "
                               "/usr/lib/tuned/profiles, /usr/lib/tuned: tuned refuses the profile set"]
    assert sorted(result['sysctl']) == ['net.core.rmem_max', 'net.core.somaxconn']


def test_child_re_enables_a_unit_and_its_type_defaults_to_its_name():
    result = host({
        'p': '[main]\ninclude=q\n[sysctl]\nnet.core.rmem_max=2\n[sysctl.arm]\nnet.core.wmem_max=2\n',
        'q': '[sysctl]\nenabled=false\nnet.core.somaxconn=1\n[sysctl.arm]\ntype=sysctl\nnet.core.optmem_max=1\n',
    }).read()
    # [sysctl] of p: enabled defaults to true again; [sysctl.arm] of p: type becomes 'sysctl.arm', not sysctl
    assert short(result['sysctl']) == {'net.core.somaxconn': ('1', None, 'q'), 'net.core.rmem_max': ('2', None, 'p')}
    assert result['notes'] == ["unit [sysctl.arm] has type 'sysctl.arm', not sysctl: tuned does not apply it as sysctl"]


def test_devices_do_not_make_a_sysctl_unit_conditional():
    result = host({'p': '[sysctl]\ndevices=eth*\ndevices_udev_regex=x\nnet.core.somaxconn=1\n'}).read()
    assert result['sysctl']['net.core.somaxconn']['conditional'] is False


def test_uname_and_cpuinfo_conditions_merge_from_the_later_unit():
    result = host({
        'p': '[main]\ninclude=q\n[sysctl]\ncpuinfo_regex=Intel\nnet.core.rmem_max=2\n',
        'q': '[sysctl]\nuname_regex=${arch}\nnet.core.somaxconn=1\n[variables]\narch=x86_64\n',
    }).read()
    for key in ('net.core.somaxconn', 'net.core.rmem_max'):
        assert result['sysctl'][key]['conditional'] is True
        assert result['sysctl'][key]['note'] == \
            "applies only where uname matches 'x86_64' and /proc/cpuinfo matches 'Intel' (not evaluated)"


def test_priority_orders_the_units():
    result = host({'p': '[sysctl]\npriority=20\nnet.core.somaxconn=1\n'
                        '[late]\ntype=sysctl\npriority=10\nnet.core.somaxconn=2\nnet.core.rmem_max=2\n'
                        '[sysctl.z]\ntype=sysctl\nnet.core.somaxconn=3\n'}).read()
    somaxconn = result['sysctl']['net.core.somaxconn']
    # priorities 0 ([sysctl.z], default), 10 ([late]), 20 ([sysctl]): [sysctl] writes last
    assert (somaxconn['value'], somaxconn['unit']) == ('1', 'sysctl')
    assert [(step['value'], step['unit']) for step in somaxconn['earlier']] == [('3', 'sysctl.z'), ('2', 'late')]
    assert 'priority' not in result['sysctl']


def test_default_instance_priority_from_tuned_main_conf():
    profiles = {'p': '[sysctl]\nnet.core.somaxconn=1\n[b]\ntype=sysctl\npriority=5\nnet.core.somaxconn=2\n'}
    assert host(profiles).read()['sysctl']['net.core.somaxconn']['value'] == '2'
    assert host(profiles, main='default_instance_priority = 10\n').read()['sysctl']['net.core.somaxconn']['value'] == '1'


@pytest.mark.parametrize('unit, status', [('[sysctl]\n', 'refused'), ('[sysctl]\nuname_regex=aarch64\n', 'incomplete')])
def test_bad_priority(unit, status):
    result = host({'p': unit + 'priority=high\nnet.core.somaxconn=1\n'}).read()
    assert result['status'] == status
    assert result['notes'][0].startswith("unit [sysctl]: priority 'high' is no integer: tuned fails to create its units")


def test_default_section_reaches_every_unit():
    result = host({'p': '[DEFAULT]\nnet.core.optmem_max=1\n[sysctl]\nnet.core.somaxconn=1\n'}).read()
    assert sorted(result['sysctl']) == ['net.core.optmem_max', 'net.core.somaxconn']


# ---- keys and values ---------------------------------------------------------------------------------------

def test_slash_keys_are_the_same_key_and_the_later_write_wins():
    result = host({'p': '[sysctl]\nnet/core/somaxconn=1\nnet.core.somaxconn=2\n'}).read()
    entry_ = result['sysctl']['net.core.somaxconn']
    assert entry_['value'] == '2' and [step['value'] for step in entry_['earlier']] == ['1']
    assert tp.effective_value(entry_, '4096') == '2'


def test_deprecated_keys_are_refused_by_tuned():
    result = host({'p': '[sysctl]\nnet.ipv4.neigh.default.base_reachable_time=30\nnet.core.somaxconn=1\n'}).read()
    assert list(result['sysctl']) == ['net.core.somaxconn']
    assert result['notes'] == ['/etc/tuned/p/tuned.conf [sysctl]: tuned refuses to set the deprecated '
                               'net.ipv4.neigh.default.base_reachable_time']


@pytest.mark.parametrize('line, value, modifier', [
    ('"4096 87380 16777216"', '4096 87380 16777216', None),
    ('4096\t87380   16777216', '4096 87380 16777216', None),
    ('">2048"', '2048', '>'),
    ('<100', '100', '<'),
    ('>', '>', None),                      # one character: no modifier (base.py: len <= 1)
    ('', '', None),
    ('"a" "b"', 'a" "b', None),            # unquote takes the outer pair only
    ("'1'", "'1'", None),                  # single quotes stay
    ('1 # inline comment', '1', None),
    ('1#not a comment', '1#not a comment', None),
    ('${i:PROFILE_DIR}', '/etc/tuned/p', None),
])
def test_values(line, value, modifier):
    result = host({'p': '[sysctl]\nnet.core.somaxconn=%s\n' % line}).read()
    assert (result['sysctl']['net.core.somaxconn']['value'], result['sysctl']['net.core.somaxconn']['modifier']) == \
        (value, modifier)


@pytest.mark.parametrize('text, value', [
    ('[variables]\na=1\nb=${a}0\n[sysctl]\nnet.core.somaxconn=${b}\n', '10'),
    ('[variables]\na=>5\n[sysctl]\nnet.core.somaxconn=${a}\n', '5'),           # the modifier comes from the variable
    ('[variables]\na=1\n[sysctl]\nnet.core.somaxconn=\\${a}\n', None),          # escaped: a literal ${a}
    ('[variables]\na=${f:exec:x}\n[sysctl]\nnet.core.somaxconn=${a}\n', None),
    ('[variables]\na=${nothing}\n[sysctl]\nnet.core.somaxconn=${a}\n', None),
    ('[sysctl]\nnet.core.somaxconn=${a}\n', None),
    ('[sysctl]\nnet.core.somaxconn=${a\n', None),
])
def test_variables(text, value):
    assert host({'p': text}).read()['sysctl']['net.core.somaxconn']['value'] == value


def test_variables_of_the_child_win_and_reach_the_parents_values():
    result = host({'p': '[main]\ninclude=q\n[variables]\nsize=2\n',
                   'q': '[variables]\nsize=1\n[sysctl]\nnet.core.somaxconn=${size}\n'}).read()
    assert result['sysctl']['net.core.somaxconn']['value'] == '2'


def test_variables_include_file():
    result = host({'p': '[variables]\ninclude=/etc/tuned/p-variables.conf\nb=${a}1\n'
                        '[sysctl]\nnet.core.somaxconn=${b}\nnet.core.rmem_max=${c}\n'},
                  **{'/etc/tuned/p-variables.conf': 'a=4\n[more]\nc = 7 # seven\nflag\nbad-name=1\n'}).read()
    assert short(result['sysctl']) == {'net.core.somaxconn': ('41', None, 'p'), 'net.core.rmem_max': ('7', None, 'p')}
    assert result['notes'] == ["/etc/tuned/p-variables.conf: variable name 'bad-name' is not allowed: tuned ignores it"]


@pytest.mark.parametrize('include, files, status, note', [
    ('relative.conf', {}, 'incomplete',
     '/etc/tuned/p/tuned.conf: variables include=relative.conf is not an absolute path: not read'),
    ('/etc/tuned/v.conf', {}, 'ok', '/etc/tuned/p/tuned.conf: variables file /etc/tuned/v.conf is missing: tuned ignores it'),
    ('/etc/tuned/v.conf', {'/etc/tuned/v.conf': '=1\n'}, 'ok', None),
    ('/etc/tuned/v.conf', {'/etc/tuned/v.conf': OSError(errno.EIO, 'Input/output error')}, 'incomplete',
     'tuned variables file /etc/tuned/v.conf cannot be read: Input/output error'),
])
def test_variables_include_problems(include, files, status, note):
    result = host({'p': '[variables]\ninclude=%s\n[sysctl]\nnet.core.somaxconn=${a}\n' % include}, **files).read()
    assert result['status'] == status
    assert result['sysctl']['net.core.somaxconn']['value'] is None
    if note:
        assert result['notes'] == [note]
    else:
        assert result['notes'][0].startswith('/etc/tuned/v.conf cannot be parsed (')


def test_variable_name_not_allowed_in_the_profile():
    result = host({'p': '[variables]\nmy-var=1\n[sysctl]\nnet.core.somaxconn=${my-var}\n'}).read()
    assert result['notes'][0] == "/etc/tuned/p/tuned.conf: variable name 'my-var' is not allowed: tuned ignores it"
    assert result['sysctl']['net.core.somaxconn']['value'] is None


@pytest.mark.parametrize('line', ['net.core.somaxconn=1\n  2\n', 'net.core.somaxconn=1\x012\n',
                                  'net.core.somaxconn=%s\n' % ('1' * (tp.MAX_VALUE_CHARS + 1))])
def test_values_not_reported(line):
    result = host({'p': '[sysctl]\n' + line}).read()
    item = result['sysctl']['net.core.somaxconn']
    assert item['value'] is None and item['note'].startswith('value is longer than')
    assert result['status'] == 'incomplete'
    assert result['notes'] == ['/etc/tuned/p/tuned.conf [sysctl]: a value not reported (too long or control characters)']


# ---- tuned-main.conf ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('text, reapply', [
    ('reapply_sysctl = 1\n', True), ('reapply_sysctl = 0\n', False), ('reapply_sysctl=yes\n', True),
    ('reapply_sysctl = no\n', False), ('reapply_sysctl = true\n', True), ('reapply_sysctl = false\n', False),
    ('reapply_sysctl = on\n', True), ('reapply_sysctl = off\n', False), ('reapply_sysctl = YES\n', True),
    ('reapply_sysctl = Off\n', False), ('reapply_sysctl = 0 # comment\n', False),
    ('reapply_sysctl = 1\nreapply_sysctl = 0\n', False),               # strict=False: the last one
])
def test_reapply_sysctl_values(text, reapply):
    result = host({'p': P}, main=text).read()
    assert (result['reapply_sysctl'], result['reapply_source'], result['status']) == (reapply, MAIN, 'ok')


@pytest.mark.parametrize('text', ['', '# reapply_sysctl = 0\n', 'Reapply_Sysctl = 0\n', 'daemon = 1\n',
                                  '[section]\nreapply_sysctl = 0\n'])
def test_reapply_sysctl_default(text):
    result = host({'p': P}, main=text).read()
    assert (result['reapply_sysctl'], result['reapply_source'], result['status']) == (True, None, 'ok')


@pytest.mark.parametrize('text, note', [
    ('reapply_sysctl = maybe\n', "/etc/tuned/tuned-main.conf: reapply_sysctl = 'maybe' is refused by tuned "
                                 "(Not a boolean: maybe): it does not start"),
    ('reapply_sysctl =\n', "/etc/tuned/tuned-main.conf: reapply_sysctl = '' is refused by tuned (Not a boolean:): "
                           "it does not start"),
    ('reapply_sysctl = 1%\n', None),
    ('sleep_interval = soon\n', None),
])
def test_reapply_sysctl_refused(text, note):
    result = host({'p': P}, main=text).read()
    assert result['status'] == 'refused'
    if note:
        assert result['notes'] == [note]
    if 'reapply' in text:
        assert result['reapply_sysctl'] is None


def test_tuned_main_conf_that_does_not_parse():
    result = host({'p': P}, main='reapply_sysctl 0\n').read()
    assert (result['reapply_sysctl'], result['reapply_source'], result['status']) == (None, MAIN, 'refused')
    assert result['notes'][0].startswith('/etc/tuned/tuned-main.conf cannot be parsed (')
    assert result['reapply_files'] == []


def test_tuned_main_conf_missing_or_unreadable():
    result = host({'p': P}, main=None).read()
    assert (result['reapply_sysctl'], result['reapply_source'], result['status']) == (True, None, 'refused')
    assert result['notes'] == ['/etc/tuned/tuned-main.conf is missing: tuned 2.20.0 does not start without it '
                               '(GlobalConfig)']
    result = host({'p': P}, main=OSError(errno.EACCES, 'Permission denied')).read()
    assert (result['reapply_sysctl'], result['status']) == (True, 'incomplete')
    assert result['notes'] == ['tuned main configuration /etc/tuned/tuned-main.conf cannot be read: Permission denied']


def test_tuned_main_conf_notes():
    result = host({'p': P}, main='daemon = 0\nprofile_dirs = /usr/lib/tuned,/etc/tuned\n').read()
    assert result['status'] == 'ok'
    assert result['notes'] == [
        '/etc/tuned/tuned-main.conf: daemon = 0: tuned applies the profile and exits without rolling it back',
        '/etc/tuned/tuned-main.conf sets profile_dirs (a newer tuned): this reader searches /etc/tuned/profiles, '
        '/etc/tuned, /usr/lib/tuned/profiles, /usr/lib/tuned only',
    ]


# ---- what tuned re-applies ---------------------------------------------------------------------------------

def test_reapply_files_and_setters():
    result = host({'p': '[sysctl]\nnet.core.somaxconn=1\nnet.core.rmem_max=1\nnet.core.wmem_max=1\n'
                        'net.core.optmem_max=1\n'}, **{
        '/run/sysctl.d/10-a.conf': 'net.core.somaxconn = 2\n',
        '/etc/sysctl.d/10-a.conf': 'net.core.rmem_max = 9\n',           # masked by /run/sysctl.d/10-a.conf
        '/etc/sysctl.d/20-b.conf': '; comment\nnet/core/rmem_max = 3\nnet.core.somaxconn = 4\nno equals sign\n',
        '/etc/sysctl.d/30-c.txt': 'net.core.wmem_max = 5\n',             # not *.conf
        '/usr/lib/sysctl.d/99-z.conf': 'net.core.wmem_max = 6\n',         # tuned does not re-apply /usr/lib
        '/etc/sysctl.conf': '-net.core.optmem_max = 7\nnet.core.*.x = 1\nnet.core.rmem_max =\n',
    }).read()
    assert result['reapply_files'] == ['/run/sysctl.d/10-a.conf', '/etc/sysctl.d/20-b.conf', '/etc/sysctl.conf']
    by = dict((key, item['reapplied_by']) for key, item in result['sysctl'].items())
    assert by == {'net.core.somaxconn': {'file': '/etc/sysctl.d/20-b.conf', 'value': '4'},
                  'net.core.rmem_max': {'file': '/etc/sysctl.d/20-b.conf', 'value': '3'},
                  'net.core.wmem_max': None, 'net.core.optmem_max': None}
    assert tp.effective_value(result['sysctl']['net.core.somaxconn'], '128') == '4'
    assert tp.effective_value(result['sysctl']['net.core.wmem_max'], '128') == '1'


def test_reapply_problems(monkeypatch):
    monkeypatch.setattr(tp, 'MAX_SYSCTL_FILES', 1)
    memory = host({'p': P}, **{'/etc/sysctl.d/1.conf': 'net.core.somaxconn = 2\n',
                               '/etc/sysctl.d/2.conf': 'net.core.somaxconn = 3\n',
                               '/etc/sysctl.conf': OSError(errno.EIO, 'Input/output error')})

    def lister(path):
        if path == '/run/sysctl.d':
            raise OSError(errno.EACCES, 'Permission denied')
        return memory.lister(path)

    result = tp.read_tuned('/', reader=memory.reader, lister=lister)
    assert result['status'] == 'incomplete'
    assert result['notes'] == ['directory /run/sysctl.d cannot be listed: Permission denied',
                               'more than 1 sysctl.d files: the rest not read',
                               'sysctl file /etc/sysctl.conf cannot be read: Input/output error']
    assert result['sysctl']['net.core.somaxconn']['reapplied_by'] == {'file': '/etc/sysctl.d/1.conf', 'value': '2'}


def test_reader_returning_no_text():
    memory = host({'p': P})
    memory.files['/etc/tuned/p/tuned.conf'] = b'[sysctl]\n'
    result = tp.read_tuned('/', reader=lambda path, limit: memory.files.get(path), lister=memory.lister)
    assert result['status'] == 'incomplete'   # tuned finds the file; this reader could not use it
    assert result['files'] == []
    assert 'tuned profile /etc/tuned/p/tuned.conf: the reader returned no text' in result['notes']


def test_each_file_is_read_once():
    memory = host({'p': '[main]\ninclude=q\n' + P, 'q': P}, active='p q')
    memory.read()
    assert len(memory.reads) == len(set(memory.reads))


# ---- tuned_writes and effective_value ----------------------------------------------------------------------

def step(value, modifier=None):
    return {'value': value, 'modifier': modifier}


@pytest.mark.parametrize('item, current, writes, live', [
    (step('4096'), '128', '4096', '4096'),
    (step('2048', '>'), '128', '2048', '2048'),                   # raises
    (step('2048', '>'), '4096', None, '4096'),                    # never lowers
    (step('2048', '>'), '2048', None, '2048'),
    (step('2048', '<'), '4096', '2048', '2048'),
    (step('2048', '<'), '128', None, '128'),
    (step('2048', '>'), ' 128\n', '2048', '2048'),                # _read_sysctl strips
    (step('2048', '>'), '-5', '2048', '2048'),
    (step('+2048', '>'), '128', '+2048', '+2048'),                # int('+2048') compares; written as it stands
    # a triplet: int() fails, tuned writes the value WITH its sign, the kernel refuses it (EINVAL): nothing changes
    (step('4096 87380 16777216', '>'), '4096\t131072\t6291456', '>4096 87380 16777216', '4096 131072 6291456'),
    (step('2048', '>'), '4096\t131072\t6291456', '>2048', '4096 131072 6291456'),
    (step('abc', '<'), '128', '<abc', '128'),
    (step('4096 87380 16777216'), '4096\t131072\t6291456', '4096 87380 16777216', '4096 87380 16777216'),
    (step('5'), '128', '5', '5'),
    (step(''), '128', '', '128'),                                 # writing nothing changes nothing
    (step('2048'), None, None, None),                             # no such key: tuned skips it
    (step('2048'), '1\n2', None, None),                           # several lines: tuned skips it
    (step(None), '128', None, None),                              # unknown value
])
def test_tuned_writes_and_effective_value(item, current, writes, live):
    assert tp.tuned_writes(item, current) == writes
    assert tp.effective_value(item, current) == live


def test_effective_value_folds_earlier_writes():
    item = dict(step('4096', '>'), earlier=[step('1024'), step('8192', '<')])
    assert tp.effective_value(item, '65536') == '4096'            # 1024, then 8192 not below 1024, then raise to 4096
    item = dict(step('2048', '>'), earlier=[step('8192')])
    assert tp.effective_value(item, '128') == '8192'
    item = dict(step('2048'), earlier=[step(None)])
    assert tp.effective_value(item, '128') is None
    item = dict(step(None), reapplied_by={'file': '/etc/sysctl.conf', 'value': '7'})
    assert tp.effective_value(item, None) == '7'


# ---- the default reader and lister ------------------------------------------------------------------------

def test_read_text(tmp_path):
    path = tmp_path / 'f'
    path.write_text(u'caf\u00e9\n', encoding='utf-8')
    assert tp.read_text(str(path)) == u'caf\u00e9\n'
    assert tp.read_text(str(tmp_path / 'missing')) is None
    assert tp.read_text(str(path / 'below-a-file')) is None
    assert tp.read_text(str(tmp_path)) is None                    # a directory: no regular file
    fifo = tmp_path / 'fifo'
    os.mkfifo(str(fifo))
    assert tp.read_text(str(fifo)) is None                        # never blocks
    path.write_bytes(b'x' * 11)
    assert tp.read_text(str(path), limit=11) == 'x' * 11
    with pytest.raises(ValueError, match='larger than 10 bytes'):
        tp.read_text(str(path), limit=10)
    path.write_bytes(b'\xff\xfe')
    with pytest.raises(ValueError):
        tp.read_text(str(path))
    path.write_bytes(b'a\x00b')
    with pytest.raises(ValueError, match='NUL'):
        tp.read_text(str(path))
    os.symlink(str(tmp_path / 'loop'), str(tmp_path / 'loop'))
    with pytest.raises(OSError):
        tp.read_text(str(tmp_path / 'loop'))


def test_list_names(tmp_path):
    (tmp_path / 'a.conf').write_text(u'')
    assert tp.list_names(str(tmp_path)) == ['a.conf']
    assert tp.list_names(str(tmp_path / 'missing')) is None
    assert tp.list_names(str(tmp_path / 'a.conf')) is None
    os.symlink(str(tmp_path / 'loop'), str(tmp_path / 'loop'))
    with pytest.raises(OSError):
        tp.list_names(str(tmp_path / 'loop'))


def test_a_tree_with_unreadable_profile_through_the_default_reader(tmp_path):
    root = tmp_path / 'root'
    (root / 'etc/tuned/p').mkdir(parents=True)
    (root / 'etc/tuned/active_profile').write_text(u'p\n')
    (root / 'etc/tuned/tuned-main.conf').write_text(u'')
    (root / 'etc/tuned/p/tuned.conf').write_bytes(b'[sysctl]\nnet.core.somaxconn=\xff\n')
    result = tp.read_tuned(str(root))
    assert result['status'] == 'incomplete'
    assert result['notes'][0].startswith('tuned profile /etc/tuned/p/tuned.conf cannot be read: ')


# ---- never raises -------------------------------------------------------------------------------------------

_TEXT = st.text(alphabet=st.sampled_from(list('[]=#;${}<>"\\/ \t\n.-_:abcfinpqrstuvxyz0129')), max_size=200)
_LINES = st.lists(st.sampled_from([
    '[main]', '[sysctl]', '[sysctl.x]', '[variables]', '[DEFAULT]', 'include=q', 'include=-r, p', 'include=${f:x}',
    'type=sysctl', 'enabled=false', 'replace=1', 'drop=net.core.somaxconn', 'uname_regex=x', 'priority=5',
    'priority=x', 'net.core.somaxconn=>2048', 'net/core/rmem_max=${v}', 'v=1', 'net.core.somaxconn="1 2 3"',
    'include=/etc/tuned/v.conf', '  continued', 'bad line', '# comment',
]), max_size=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=st.one_of(_TEXT, _LINES.map('\n'.join)), q=st.one_of(_TEXT, _LINES.map('\n'.join)),
       active=st.sampled_from(['p', 'p q', 'q', '-p', 'p/..', 'r p', '']), main=_TEXT, variables=_TEXT)
def test_never_raises(p, q, active, main, variables):
    result = host({'p': p, 'q': q}, active=active, main=main, **{'/etc/tuned/v.conf': variables}).read()
    if result is not None:
        assert result['status'] in ('ok', 'incomplete', 'refused')
        for key, item in result['sysctl'].items():
            assert tp._KEY.match(key)
            assert item['value'] is None or not tp._CONTROL.search(item['value'])
            tp.effective_value(item, '4096')
