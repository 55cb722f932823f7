# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action runs as ansible-playbook runs it: a real Task, PlayContext, DataLoader, Templar and local
connection (never connected); nothing of ansible-core is patched."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import connection_loader
from ansible.template import Templar

from ansible_collections.netfleet.tuning.plugins.action.sysctl_profile_plan import ActionModule
from ansible_collections.netfleet.tuning.plugins.module_utils.profiles import INPUT_NAMES, build_plan
from ansible_collections.netfleet.tuning.tests.unit.plugins.action import playbook_runner

# what roles/sysctl_profile/tasks/validate.yml passes
ROLE_NAMES = dict((name, 'sysctl_profile_name' if name == 'profile' else 'sysctl_profile_' + name)
                  for name in INPUT_NAMES)
WRAPPING = ('Finalization of task args', 'filter plugin', 'Traceback', 'Error while resolving')


def run(check=False, **args):
    """Run the action with these task args; return (result, connection)."""
    task = Task()
    task.args = args
    task.check_mode = check
    play_context = PlayContext()
    connection = connection_loader.get('local', play_context)
    loader = DataLoader()
    action = ActionModule(task, connection, play_context, loader, Templar(loader=loader), None)
    return action.run(task_vars={}), connection


def role(check=False, **args):
    return run(check=check, variable_names=ROLE_NAMES, **args)[0]


def test_good_input_returns_the_plan_without_contacting_the_host():
    result, connection = run(profile='json_api', overrides={'net.core.somaxconn': 8192}, priority='61',
                             header='Ansible managed: x')
    assert not result.get('failed') and result['changed'] is False
    # no variable_names: every input is named as the option itself
    expected = build_plan('json_api', overrides={'net.core.somaxconn': 8192}, priority='61',
                          names=dict((name, name) for name in INPUT_NAMES))
    for key, value in expected.items():
        assert result[key] == value, key
    assert result['settings']['net.core.somaxconn'] == '8192'
    assert result['basename'] == '61-netfleet-tuning.conf'
    assert result['header'] == 'Ansible managed: x'
    assert result['msg'] == 'json_api: %d key(s) valid' % len(expected['settings'])
    assert not connection.connected


def test_defaults_are_the_roles():
    result = run()[0]
    assert result['profile'] == 'json_api' and result['priority'] == 60 and result['state'] == 'present'
    assert result['unsettable'] == 'skip' and result['force'] == [] and result['header'] == ''
    assert result['over_budget'] == 'warn'
    assert role(over_budget='fail')['over_budget'] == 'fail'


def test_optional_words_join_the_profile():
    result = role(congestion_control='bbr', default_qdisc='fq')
    assert result['settings']['net.ipv4.tcp_congestion_control'] == 'bbr'
    assert result['settings']['net.core.default_qdisc'] == 'fq'
    assert result['comments']['net.core.default_qdisc'].endswith('(from sysctl_profile_default_qdisc)')
    # null (the role's default) adds nothing; an override of the same key wins
    assert 'net.ipv4.tcp_congestion_control' not in role(congestion_control=None)['settings']
    won = role(congestion_control='bbr', overrides={'net.ipv4.tcp_congestion_control': 'reno'})
    assert won['settings']['net.ipv4.tcp_congestion_control'] == 'reno'


def test_comments_name_the_input_a_key_came_from():
    assert 'from sysctl_profile_overrides' in role(overrides={'net.core.somaxconn': 1024})['comments']['net.core.somaxconn']
    assert 'from overrides' in run(overrides={'net.core.somaxconn': 1024})[0]['comments']['net.core.somaxconn']


def test_absent_checks_only_the_options():
    result = role(profile='nope', overrides={'bad key': True}, state='absent')
    assert not result.get('failed') and result['profile'] is None and result['settings'] == {}
    assert result['msg'].startswith('absent')


def test_check_mode_is_the_same():
    args = dict(profile='bdp', link_mbit=10000, rtt_ms=20)
    normal, check = role(**args), role(check=True, **args)
    assert check == normal and check['changed'] is False and check['fit_to_memory']
    bad = role(check=True, overrides={'net.ipv4.tcp_rmem': '4096 87380'})
    assert bad['failed'] and '(rule: arity)' in bad['msg']


# Every rule of the role's inputs: the message names the role variable, the key where there is one,
# and the rule, says that no host was changed, and carries nothing else.
BAD = [
    ({'profile': 'json_apii'}, 'unknown_profile', 'sysctl_profile_name: unknown profile'),
    ({'overrides': 'net.core.somaxconn=1 b=2'}, 'not_a_dict', 'sysctl_profile_overrides: must be a dict'),
    ({'overrides': [['net.core.somaxconn', 1]]}, 'not_a_dict', 'sysctl_profile_overrides: must be a dict'),
    ({'profile': 'custom', 'custom': 'a=1'}, 'not_a_dict', 'sysctl_profile_custom: must be a dict'),
    ({'profile': 'custom'}, 'empty_profile', 'sysctl_profile_custom: profile custom needs'),
    ({'overrides': {'net.core.somaxconn\nkernel.panic': 1}}, 'key_pattern',
     'sysctl_profile_overrides: net.core.somaxconn\\nkernel.panic: key must match'),
    ({'overrides': {'net.core.somaxconn=1': 1}}, 'key_pattern', 'sysctl_profile_overrides: net.core.somaxconn=1:'),
    ({'profile': 'custom', 'custom': {'kernel.panic': 1}}, 'key_pattern', 'sysctl_profile_custom: kernel.panic:'),
    ({'overrides': {'net.ipv4.tcp_window_scaling': True}}, 'boolean',
     'sysctl_profile_overrides: net.ipv4.tcp_window_scaling:'),
    ({'overrides': {'net.ipv4.tcp_sack': 'yes'}}, 'boolean', 'sysctl_profile_overrides: net.ipv4.tcp_sack:'),
    ({'overrides': {'net.core.somaxconn': '4096\nkernel.panic = 1'}}, 'injection',
     'sysctl_profile_overrides: net.core.somaxconn:'),
    ({'overrides': {'net.core.somaxconn': '4096 = 1'}}, 'injection', 'sysctl_profile_overrides: net.core.somaxconn:'),
    ({'overrides': {'net.core.somaxconn': 4096.5}}, 'not_integer', 'sysctl_profile_overrides: net.core.somaxconn:'),
    ({'overrides': {'net.core.somaxconn': 'many'}}, 'injection', 'sysctl_profile_overrides: net.core.somaxconn:'),
    ({'overrides': {'net.ipv4.tcp_rmem': [4096, 'x', 6291456]}}, 'not_integer',
     'sysctl_profile_overrides: net.ipv4.tcp_rmem:'),
    ({'overrides': {'net.ipv4.tcp_wmem': '4096 65536'}}, 'arity',
     'sysctl_profile_overrides: net.ipv4.tcp_wmem: needs 3 integers, got 2'),
    ({'overrides': {'net.ipv4.tcp_rmem': '4096 87380 1024'}}, 'triplet_order',
     'sysctl_profile_overrides: net.ipv4.tcp_rmem:'),
    ({'overrides': {'net.core.rmem_max': -1}}, 'negative', 'sysctl_profile_overrides: net.core.rmem_max:'),
    ({'overrides': {'net.core.rmem_max': 2 ** 40}}, 'range', 'sysctl_profile_overrides: net.core.rmem_max:'),
    ({'overrides': {'net.ipv4.tcp_window_scaling': 7}}, 'choice', 'sysctl_profile_overrides: net.ipv4.tcp_window_scaling:'),
    ({'overrides': {'net.ipv4.tcp_sack': 0}}, 'tcp_feature_off', 'add tcp_feature_off to sysctl_profile_force'),
    ({'profile': 'bdp', 'rtt_ms': 20}, 'bdp_input', 'sysctl_profile_link_mbit: must be a number'),
    ({'profile': 'bdp', 'link_mbit': 10000, 'rtt_ms': 0}, 'bdp_input', 'sysctl_profile_rtt_ms: must be > 0'),
    ({'profile': 'bdp', 'link_mbit': 1600000, 'rtt_ms': 10000}, 'bdp_input',
     'check sysctl_profile_link_mbit and sysctl_profile_rtt_ms'),
    ({'priority': 100}, 'priority', 'sysctl_profile_priority: must be an integer 0..99'),
    ({'priority': '../../tmp/x'}, 'priority', 'sysctl_profile_priority: must be an integer 0..99'),
    ({'state': 'purged'}, 'choice', 'sysctl_profile_state: must be one of present, absent'),
    ({'unsettable': 'ignore'}, 'choice', 'sysctl_profile_unsettable: must be one of skip, fail'),
    ({'over_budget': 'error'}, 'choice', 'sysctl_profile_over_budget: must be one of warn, fail'),
    ({'force': ['everything']}, 'choice', 'sysctl_profile_force: must be one of memory, tcp_feature_off'),
    ({'state_dir': 'var/lib/netfleet'}, 'absolute_path', 'sysctl_profile_state_dir: must be an absolute path'),
    ({'state_dir': '/proc/sys/kernel/x'}, 'virtual_fs', 'sysctl_profile_state_dir: must not be under /proc'),
    ({'congestion_control': 'bbr\nkernel.panic = 1'}, 'not_a_name',
     'sysctl_profile_congestion_control: net.ipv4.tcp_congestion_control: value'),
    ({'congestion_control': ['bbr']}, 'not_a_name', 'sysctl_profile_congestion_control: net.ipv4.tcp_congestion_control'),
    ({'overrides': {'net.ipv4.tcp_congestion_control': 'bbr cubic'}}, 'not_a_name',
     'sysctl_profile_overrides: net.ipv4.tcp_congestion_control'),
    ({'default_qdisc': 'fqx'}, 'unknown_qdisc', 'sysctl_profile_default_qdisc: net.core.default_qdisc: value'),
    ({'default_qdisc': 'fq=1'}, 'not_a_name', 'sysctl_profile_default_qdisc: net.core.default_qdisc'),
]


@pytest.mark.parametrize('args, rule, text', BAD, ids=['%s-%d' % (b[1], i) for i, b in enumerate(BAD)])
def test_bad_input_fails_with_only_the_message(args, rule, text):
    result = role(**args)
    assert result['failed'] is True and result['changed'] is False
    assert result['rules'][0] == rule  # a custom that is not a dict is also an empty profile
    assert result['msg'].startswith('invalid input, no host was changed: ')
    assert text in result['msg'] and '(rule: %s)' % rule in result['msg'], result['msg']
    assert not any(wrap in result['msg'] for wrap in WRAPPING)
    assert 'settings' not in result and 'exception' not in result


def test_every_problem_is_listed_and_unmapped_options_name_themselves():
    result = run(overrides={'net.core.somaxconn': True}, priority=100, variable_names={'priority': 'prio'})[0]
    assert sorted(result['rules']) == ['boolean', 'priority']
    assert 'overrides: net.core.somaxconn:' in result['msg'] and 'prio: must be' in result['msg']
    assert 'sysctl_profile_' not in result['msg']


def test_argument_spec_violation_fails(tmp_path):
    # through ansible-playbook: the plugin loader names the action in ansible-core's own message
    results = playbook_runner.run_tasks(tmp_path, 'netfleet.tuning.sysctl_profile_plan', {
        'unknown_option': {'bogus': 1},
        'unknown_name': {'variable_names': {'bogus': 'x'}},
        'names_not_a_dict': {'variable_names': 'overrides'},
    })
    expected = {'unknown_option': 'Unsupported parameters', 'unknown_name': 'bogus',
                'names_not_a_dict': 'dictionary requested'}
    for case, text in expected.items():
        assert results[case]['failed'] is True and text in results[case]['msg'], results[case]
        assert 'settings' not in results[case]
