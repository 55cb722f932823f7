# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import shutil
import time

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.netfleet.tuning.plugins.module_utils import dropin as dr
from ansible_collections.netfleet.tuning.plugins.module_utils import profiles
from ansible_collections.netfleet.tuning.plugins.module_utils import sysctl_owners as so
from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import same_value

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'sysctl_owners', 'host')
UNSHOWN = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]')
KEY = 'net.ipv4.tcp_timestamps'


def fixture(rel):
    with open(os.path.join(FIXTURES, rel)) as handle:
        return handle.read()


def assert_safe(result):
    assert sorted(result) == ['about', 'evidence', 'fix', 'owner']
    for field in ('about', 'fix'):
        assert isinstance(result[field], str) and result[field]
    for value in result.values():
        assert value is None or (isinstance(value, str) and not UNSHOWN.search(value))


# ---- each owner, from the fixture in its shape --------------------------------------------------

@pytest.mark.parametrize('rel, owner, evidence', [
    ('etc/sysctl.d/90-dev-sec.conf', 'dev-sec hardening (devsec.hardening.os_hardening)', 'file name 90-dev-sec.conf'),
    ('etc/sysctl.d/99-chef-net.core.netdev_max_backlog.conf', 'Chef (the sysctl resource or the sysctl cookbook)',
     'file name 99-chef-net.core.netdev_max_backlog.conf'),
    ('etc/sysctl.d/99-salt.conf', 'Salt (sysctl.present)', 'file name 99-salt.conf'),
    ('etc/sysctl.d/60-gce-network-security.conf',
     'Google Compute Engine guest configs (google-compute-engine package)', 'file name 60-gce-network-security.conf'),
    ('etc/sysctl.d/k8s.conf', 'Kubernetes node setup (the kubernetes.io container runtime prerequisites)',
     'file name k8s.conf'),
    ('etc/sysctl.d/net.core.rmem_default.conf', 'Puppet',
     'header line 1: "# This file is being maintained by Puppet."'),
    ('etc/sysctl.d/80-site.conf', 'Ansible (a template with the ansible_managed header)',
     'header line 2: "# Ansible managed"'),
    ('usr/lib/sysctl.d/50-default.conf', 'systemd (a package default)',
     'header line 1: "#  This file is part of systemd."'),
    ('usr/lib/sysctl.d/95-vendor-net.conf', 'a package (vendor file)', 'directory /usr/lib/sysctl.d'),
    ('etc/sysctl.d/70-foo.conf', None, None),
    ('etc/sysctl.d/50-early.conf', None, None),
    ('etc/sysctl.d/95-vendor-net.conf', None, None),
])
def test_owner_of_fixtures(rel, owner, evidence):
    result = so.owner_of('/' + rel, fixture(rel), key=KEY)
    assert (result['owner'], result['evidence']) == (owner, evidence)
    assert result['fix'].startswith('Pick one owner for %s: ' % KEY)
    assert 'sysctl_profile_overrides: {%s: null}' % KEY in result['fix']
    assert_safe(result)


@pytest.mark.parametrize('directory', ['/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'])
def test_vendor_directories_also_under_a_test_root(directory):
    result = so.owner_of(directory + '/99-x.conf', '')
    assert (result['owner'], result['evidence']) == ('a package (vendor file)', 'directory ' + directory)
    assert so.owner_of('/tmp/root' + directory + '/99-x.conf', '') == result
    assert so.owner_of('/run/sysctl.d/99-x.conf', '')['owner'] is None


def test_dev_sec_fix_says_a_priority_would_only_flip():
    fix = so.owner_of('/etc/sysctl.d/90-dev-sec.conf', fixture('etc/sysctl.d/90-dev-sec.conf'), key=KEY)['fix']
    assert fix == ('Pick one owner for net.ipv4.tcp_timestamps: give dev-sec our value through its sysctl_overwrite, '
                   'or leave it to that file with sysctl_profile_overrides: {net.ipv4.tcp_timestamps: null}; a higher '
                   'sysctl_profile_priority would only make the two set net.ipv4.tcp_timestamps back and forth, as '
                   'dev-sec sets the live value again on every run')


@pytest.mark.parametrize('rel, tail', [
    ('etc/sysctl.d/70-foo.conf', ', or set sysctl_profile_priority: 70 (or higher) so the drop-in loads after it'),
    ('etc/sysctl.d/80-site.conf', ', or set sysctl_profile_priority: 81 (or higher) so the drop-in loads after it'),
    ('etc/sysctl.d/k8s.conf', '; no sysctl_profile_priority sorts after k8s.conf'),
    ('etc/sysctl.d/net.core.rmem_default.conf', '; no sysctl_profile_priority sorts after net.core.rmem_default.conf'),
    ('etc/sysctl.d/99-salt.conf',
     '; no sysctl_profile_priority sorts after 99-salt.conf, and Salt sets the live value again on every run'),
])
def test_fix_offers_a_priority_only_where_one_sorts_after(rel, tail):
    assert so.owner_of('/' + rel, fixture(rel), key=KEY)['fix'].endswith(tail)


def test_vendor_fix_offers_masking():
    fix = so.owner_of('/usr/lib/sysctl.d/50-default.conf', fixture('usr/lib/sysctl.d/50-default.conf'))['fix']
    assert 'mask the file with an empty /etc/sysctl.d/50-default.conf (that drops all its settings)' in fix
    assert fix.startswith('Pick one owner for the key: ')


# ---- /etc/sysctl.conf ---------------------------------------------------------------------------

def test_sysctl_conf_has_its_own_description_and_fix():
    result = so.owner_of('/etc/sysctl.conf', fixture('etc/sysctl.conf'), key='net.ipv4.tcp_rmem',
                         via='/etc/sysctl.d/99-sysctl.conf')
    assert (result['owner'], result['evidence']) == (None, None)
    assert result['about'].startswith('/etc/sysctl.conf: `sysctl --system` (procps) reads it after every sysctl.d file')
    assert 'systemd-sysctl reads it at boot only through a sysctl.d link to it (here /etc/sysctl.d/99-sysctl.conf)' \
        in result['about']
    assert 'ansible.posix.sysctl writes there unless given another sysctl_file' in result['about']
    assert result['fix'] == (
        'Pick one owner for net.ipv4.tcp_rmem: remove or change its line in /etc/sysctl.conf (and the task or person '
        'that writes it), or leave it to that file with sysctl_profile_overrides: {net.ipv4.tcp_rmem: null}; no '
        'sysctl_profile_priority helps, as `sysctl --system` reads /etc/sysctl.conf last')
    without_link = so.owner_of('/etc/sysctl.conf', fixture('etc/sysctl.conf'))
    assert 'link to it (none here)' in without_link['about']


def test_sysctl_conf_with_a_header_names_the_writer_and_keeps_its_fix():
    result = so.owner_of('/etc/sysctl.conf', '#\n# Ansible managed\n#\nnet.core.somaxconn = 1\n')
    assert result['owner'] == 'Ansible (a template with the ansible_managed header)'
    assert 'nothing in it says who wrote' not in result['about']
    assert result['fix'].endswith('reads /etc/sysctl.conf last')


# ---- marks: order, placement, our own -------------------------------------------------------------

def test_our_own_older_drop_in():
    text = dr.render({'net.core.somaxconn': '4096'}, header='#\n# Ansible managed\n#', profile='json_api')
    result = so.owner_of('/etc/sysctl.d/95-netfleet-tuning.conf', text, key='net.core.somaxconn')
    assert result['owner'] == 'netfleet.tuning.sysctl_profile (another drop-in of this role)'
    assert result['evidence'] == 'header line 4: "# netfleet.tuning:sysctl_profile profile=json_api"'
    assert result['fix'] == ('Pick one owner for net.core.somaxconn: remove 95-netfleet-tuning.conf, an older drop-in '
                             'of this role that it no longer manages')


def test_system_role_fingerprint_wins_over_ansible_managed():
    text = '#\n# Ansible managed\n#\n# system_role:Kernel_Settings\nnet.core.somaxconn = 1\n'
    result = so.owner_of('/etc/sysctl.d/70-lsr.conf', text)
    assert result['owner'] == 'linux-system-roles kernel_settings'
    assert result['evidence'] == 'header line 4: "# system_role:Kernel_Settings"'


def test_file_name_wins_over_a_header():
    result = so.owner_of('/etc/sysctl.d/90-dev-sec.conf', '# Ansible managed\nnet.ipv4.tcp_timestamps=0\n')
    assert result['owner'] == 'dev-sec hardening (devsec.hardening.os_hardening)'


@pytest.mark.parametrize('text', [
    'net.core.somaxconn = 1\n# Ansible managed\n',                   # after the first assignment
    '#\n' * so.HEAD_LINES + '# Ansible managed\n',                   # beyond HEAD_LINES
    '#' + ' ' * so.HEAD_CHARS + '\n# Ansible managed\n',             # beyond HEAD_CHARS
    'net.core.somaxconn = 1 # maintained by Puppet\n',               # not a comment line
])
def test_only_leading_comment_lines_count(text):
    assert so.owner_of('/etc/sysctl.d/70-x.conf', text)['owner'] is None


def test_unknown_sysctl_d_file():
    result = so.owner_of('/etc/sysctl.d/70-foo.conf', fixture('etc/sysctl.d/70-foo.conf'))
    assert result == {
        'owner': None, 'evidence': None, 'about': 'a sysctl.d file with no mark of the tool that wrote it',
        'fix': ('Pick one owner for the key: change or remove its line in 70-foo.conf, or leave it to that file with '
                'sysctl_profile_overrides: {the key: null}, or set sysctl_profile_priority: 70 (or higher) so the '
                'drop-in loads after it'),
    }


# ---- host text is input ---------------------------------------------------------------------------

def test_control_characters_and_braces_never_reach_a_message():
    name = '80-{0}{key}\x1b[31m\u202e.conf'
    text = '# Ansible managed \x07\x1b]0;title\x07' + 'x' * 500 + '\nnet.core.somaxconn = 1\n'
    result = so.owner_of('/etc/sysctl.d/' + name, text, key='net.core.somaxconn\x1b', via='/etc/\x00x')
    assert_safe(result)
    assert '80-{0}{key}?[31m?.conf' in result['fix']
    assert result['evidence'].startswith('header line 1: "# Ansible managed ??]0;title?xxx')
    assert len(result['evidence']) == len('header line 1: ""') + so.SHOWN_CHARS
    assert result['evidence'].endswith('..."')


def test_huge_text_is_cheap():
    started = time.time()
    result = so.owner_of('/etc/sysctl.d/70-big.conf', '#' * (50 * 1024 * 1024))
    assert result['owner'] is None and time.time() - started < 2


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.text(max_size=400), st.one_of(st.none(), st.text(max_size=40)),
       st.one_of(st.none(), st.text(max_size=40)))
def test_owner_of_any_input(path, text, key, via):
    assert_safe(so.owner_of(path, text, key=key, via=via))


# ---- priority_after and the names this module copies ----------------------------------------------

@pytest.mark.parametrize('name, priority', [
    ('00-a.conf', 0), ('50-default.conf', 50), ('60-gce-network-security.conf', 60), ('60-zz.conf', 61),
    ('90-dev-sec.conf', 90), ('99-chef-vm.swappiness.conf', 99), ('99-protect-links.conf', None),
    ('99-sysctl.conf', None), ('99-salt.conf', None), ('k8s.conf', None), ('net.core.rmem_max.conf', None),
])
def test_priority_after(name, priority):
    assert so.priority_after(name) == priority
    if priority is not None:
        assert profiles.dropin_basename(priority) > name
        assert priority == 0 or profiles.dropin_basename(priority - 1) < name


def test_copied_names_match_the_collection():
    assert so._FINGERPRINT == dr.FINGERPRINT
    assert all(so._DROPIN_NAME % priority == profiles.dropin_basename(priority) for priority in (0, 5, 60, 99))
    assert so.SYSCTL_CONF == dr.SYSCTL_CONF
    assert set(so.VENDOR_DIRS) == set(dr.SYSCTL_DIRS) - {'/etc/sysctl.d', '/run/sysctl.d'}


# ---- a whole host: load order, overrides and their owners -----------------------------------------

JSON_API_HEAVY = dict((key, str(value)) for key, value in profiles.PROFILES['json_api_heavy'].items())


def test_whole_host_tree(tmp_path):
    root = str(tmp_path / 'host')
    shutil.copytree(FIXTURES, root)
    os.symlink('../sysctl.conf', os.path.join(root, 'etc/sysctl.d/99-sysctl.conf'))
    ours = os.path.join(root, 'etc/sysctl.d/60-netfleet-tuning.conf')
    files = dr.load_order(root, include=ours)
    found = dr.find_overrides(ours, sorted(JSON_API_HEAVY), files)
    via = dr.sysctl_conf_links(files, root)
    assert [os.path.relpath(path, root) for path in via] == ['etc/sysctl.d/99-sysctl.conf']

    def rel(path):
        return '/' + os.path.relpath(path, root)

    overridden = dict((key, (rel(path), value)) for key, (path, value) in found.items()
                      if not same_value(key, value, JSON_API_HEAVY[key]))
    agreeing = dict((key, rel(path)) for key, (path, value) in found.items() if key not in overridden)
    assert overridden == {
        'net.ipv4.tcp_timestamps': ('/etc/sysctl.d/90-dev-sec.conf', '0'),
        'net.ipv4.tcp_rmem': ('/etc/sysctl.conf', '4096 131072 6291456'),
        'net.core.somaxconn': ('/etc/sysctl.d/70-foo.conf', '1024'),
        'net.core.netdev_max_backlog': ('/etc/sysctl.d/99-chef-net.core.netdev_max_backlog.conf', '5000'),
        'net.core.wmem_max': ('/etc/sysctl.d/99-salt.conf', '8388608'),
        'net.core.rmem_default': ('/etc/sysctl.d/net.core.rmem_default.conf', '262144'),
    }
    assert agreeing == {'net.ipv4.tcp_window_scaling': '/etc/sysctl.d/80-site.conf',
                        'net.ipv4.tcp_wmem': '/etc/sysctl.d/99-salt.conf'}

    owners = {}
    for key, (path, dummy_value) in sorted(found.items()):
        with open(path) as handle:
            result = so.owner_of(rel(path), handle.read(), key=key, via=rel(via[0]))
        assert_safe(result)
        owners[key] = result['owner']
    assert owners == {
        'net.ipv4.tcp_timestamps': 'dev-sec hardening (devsec.hardening.os_hardening)',
        'net.ipv4.tcp_rmem': None,
        'net.core.somaxconn': None,
        'net.core.netdev_max_backlog': 'Chef (the sysctl resource or the sysctl cookbook)',
        'net.core.wmem_max': 'Salt (sysctl.present)',
        'net.core.rmem_default': 'Puppet',
        'net.ipv4.tcp_window_scaling': 'Ansible (a template with the ansible_managed header)',
        'net.ipv4.tcp_wmem': 'Salt (sysctl.present)',
    }
