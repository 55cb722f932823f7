# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kernel_config: the kernel's config (gzipped /proc/config.gz or /boot/config-<release>) and qdisc modules."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import gzip
import os

import pytest

from ansible_collections.netfleet.tuning.plugins.module_utils import kernel_config as kc

FIXTURE = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'kernel', 'config-6.18.44.gz')
RELEASE = '6.18.44'


def fixture_bytes():
    with open(FIXTURE, 'rb') as handle:
        return handle.read()


def test_parse_config_of_a_real_kernel():
    options = kc.parse_config(kc.decode(fixture_bytes(), True))
    assert options['CONFIG_TCP_CONG_BBR'] == 'y' and options['CONFIG_TCP_CONG_CUBIC'] == 'y'
    assert options['CONFIG_DEFAULT_TCP_CONG'] == '"bbr"'
    assert options['CONFIG_NET_SCH_FQ'] == 'n' and options['CONFIG_NET_SCH_FQ_CODEL'] == 'n'
    assert options['CONFIG_NET_SCH_HTB'] == 'y' and 'CONFIG_NET_SCH_FQ_PIE' not in options
    assert not any(key.startswith('#') for key in options)


def test_parse_config_lines():
    text = ('# comment\nCONFIG_A=y\n  CONFIG_B=m\n# CONFIG_C is not set\nCONFIG_D="x y"\nCONFIG_E=0x10\n'
            'not a line\n#CONFIG_F is not set\n')
    assert kc.parse_config(text) == {'CONFIG_A': 'y', 'CONFIG_B': 'm', 'CONFIG_C': 'n', 'CONFIG_D': '"x y"',
                                     'CONFIG_E': '0x10'}


@pytest.mark.parametrize('data, gzipped, why', [
    (b'CONFIG_A=y', True, 'not a gzip file'),
    (b'\xff\xfe', False, 'not UTF-8 text'),
    (b'x' * (kc.MAX_CONFIG_BYTES + 1), False, 'larger than'),
    (gzip.compress(b'\x00' * (kc.MAX_CONFIG_BYTES + 1)), True, 'larger than'),
])
def test_decode_refuses_what_is_not_a_config(data, gzipped, why):
    with pytest.raises(ValueError) as info:
        kc.decode(data, gzipped)
    assert why in str(info.value)


def test_read_config_prefers_proc_then_boot(tmp_path):
    proc, root = tmp_path / 'proc', tmp_path / 'root'
    proc.mkdir()
    (root / 'boot').mkdir(parents=True)
    # nothing there: options None, both places named
    got = kc.read_config(str(proc), RELEASE, str(root))
    assert got['source'] is None and got['options'] is None
    assert [entry.split(' ')[0] for entry in got['tried']] == [str(proc / 'config.gz'),
                                                               str(root / 'boot' / 'config-6.18.44')]
    # /boot/config-<release> (plain text)
    (root / 'boot' / 'config-6.18.44').write_text('CONFIG_NET_SCH_FQ=m\n')
    got = kc.read_config(str(proc), RELEASE, str(root))
    assert got['source'] == str(root / 'boot' / 'config-6.18.44') and got['options'] == {'CONFIG_NET_SCH_FQ': 'm'}
    assert got['tried'][0].startswith(str(proc / 'config.gz') + ' (')
    # <proc>/config.gz wins
    (proc / 'config.gz').write_bytes(fixture_bytes())
    got = kc.read_config(str(proc), RELEASE, str(root))
    assert got['source'] == str(proc / 'config.gz') and got['options']['CONFIG_NET_SCH_FQ'] == 'n'
    # a broken config.gz is passed over, with why
    (proc / 'config.gz').write_bytes(b'not gzip')
    got = kc.read_config(str(proc), RELEASE, str(root))
    assert got['source'].endswith('config-6.18.44') and 'not a gzip file' in got['tried'][0]


def test_read_modules(tmp_path):
    assert kc.read_modules(RELEASE, str(tmp_path)) == {'dir': str(tmp_path / 'lib/modules/6.18.44'), 'present': False,
                                                       'modules': []}
    sched = tmp_path / 'lib' / 'modules' / RELEASE / 'kernel' / 'net' / 'sched'
    sched.mkdir(parents=True)
    for name in ('sch_fq.ko.zst', 'sch_cake.ko.xz', 'sch_sfq.ko', 'sch_fq_codel.ko.gz', 'cls_u32.ko', 'sch_x.txt'):
        (sched / name).write_text('')
    got = kc.read_modules(RELEASE, str(tmp_path))
    assert got['present'] and got['modules'] == ['sch_cake', 'sch_fq', 'sch_fq_codel', 'sch_sfq']


def config(**options):
    return {'source': '/proc/config.gz', 'options': options, 'tried': []}


MODULES = {'dir': '/lib/modules/6.18.44', 'present': True, 'modules': ['sch_fq']}


@pytest.mark.parametrize('name, cfg, modules, status, detail', [
    ('pfifo_fast', None, None, 'built_in', 'part of the kernel'),
    ('fq', config(CONFIG_NET_SCH_FQ='y'), None, 'built_in', 'CONFIG_NET_SCH_FQ=y in /proc/config.gz'),
    ('fq', config(CONFIG_NET_SCH_FQ='m'), MODULES, 'module', 'module sch_fq in /lib/modules/6.18.44'),
    ('cake', config(CONFIG_NET_SCH_CAKE='m'), MODULES, 'no_module',
     'CONFIG_NET_SCH_CAKE=m in /proc/config.gz, but no sch_cake.ko* under /lib/modules/6.18.44'),
    ('cake', config(CONFIG_NET_SCH_CAKE='m'), dict(MODULES, present=False), 'module_unchecked',
     '/lib/modules/6.18.44 is not there'),
    ('cake', config(CONFIG_NET_SCH_CAKE='m'), None, 'module_unchecked', 'is not there'),
    ('fq', config(CONFIG_NET_SCH_FQ='n'), None, 'not_built', '# CONFIG_NET_SCH_FQ is not set in /proc/config.gz'),
    ('fq_pie', config(), None, 'not_built', 'CONFIG_NET_SCH_FQ_PIE is not in /proc/config.gz'),
    ('sfq', config(CONFIG_NET_SCH_SFQ='"odd"'), None, 'not_built', 'CONFIG_NET_SCH_SFQ="odd"'),
    ('fq', {'source': None, 'options': None, 'tried': ['/proc/config.gz (No such file or directory)']}, None,
     'unknown', 'no kernel config could be read (tried /proc/config.gz (No such file or directory))'),
    ('fq', None, None, 'unknown', 'tried nothing'),
])
def test_qdisc_offer(name, cfg, modules, status, detail):
    got = kc.qdisc_offer(name, cfg, modules)
    assert got[0] == status and detail in got[1], got


def test_the_fixture_kernel_offers_only_pfifo_fast():
    cfg = {'source': 'fixture', 'options': kc.parse_config(kc.decode(fixture_bytes(), True)), 'tried': []}
    offered = [name for name in ('pfifo_fast', 'fq', 'fq_codel', 'fq_pie', 'cake', 'sfq')
               if kc.qdisc_offer(name, cfg)[0] in kc.OFFERED]
    assert offered == ['pfifo_fast']


def test_names():
    assert kc.config_option('fq_codel') == 'CONFIG_NET_SCH_FQ_CODEL' and kc.config_option('pfifo_fast') is None
    assert kc.module_name('cake') == 'sch_cake'
