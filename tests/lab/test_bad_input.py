# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input: every case fails with a message naming the input and the rule, and no host changes.

The role and module cases run in ONE ansible-playbook run (playbooks/bad_inputs.yml, a block/rescue
per case on every host); the snapshot of every host (/etc/sysctl.d and the state dir: sha256, mode,
owner; every readable value under /proc/sys/net) is taken before and after that run and must be
identical. A case cannot hide a change behind a later case: no case may succeed (each is checked
for its own failure message) and none removes files. The playbook-threshold cases are one
ansible-playbook run each (the settings are resolved once per run) and are snapshot-checked too.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import sys

import pytest

from labkit import HERE, LABELS, playbook_path, run

GIB = 2 ** 30
ARGSPEC = 'Validation of arguments failed'
# the role's controller-side validation (netfleet.tuning.sysctl_profile_plan): its task and the start of its message
VALIDATE_TASK = 'Merge the profile with the overrides, validate every key and value, render the header'
INVALID = 'invalid input, no host was changed: '
# what a failure message must never carry: it is a task failure with the message, not a crash
WRAPPING = ('Finalization of task args', 'filter plugin', 'Traceback', 'Error while resolving', 'Unexpected failure')

# id, kind, variables (role) or arguments (module), substrings the message must contain
# (the input's name, then the rule). A role case whose substrings name a rule ('rule: ...') but not the
# host ('Nothing was changed') is refused by the controller-side validation task.
ROLE_CASES = [
    ('unknown_profile', {'sysctl_profile_name': 'json_apii'},
     ['sysctl_profile_name', 'must be one of', 'json_apii']),
    ('non_integer_float', {'sysctl_profile_overrides': {'net.core.somaxconn': 4096.5}},
     ['sysctl_profile_overrides: net.core.somaxconn', 'rule: not_integer']),
    ('non_integer_list_item', {'sysctl_profile_overrides': {'net.ipv4.tcp_rmem': [4096, 'x', 6291456]}},
     ['sysctl_profile_overrides: net.ipv4.tcp_rmem', 'rule: not_integer']),
    ('value_is_a_dict', {'sysctl_profile_overrides': {'net.core.somaxconn': {'value': 1}}},
     ['sysctl_profile_overrides: net.core.somaxconn', 'rule: not_integer']),
    ('negative_buffer', {'sysctl_profile_overrides': {'net.core.rmem_max': -1}},
     ['sysctl_profile_overrides: net.core.rmem_max', 'rule: negative']),
    ('negative_in_triplet', {'sysctl_profile_overrides': {'net.ipv4.tcp_wmem': '-4096 65536 16777216'}},
     ['sysctl_profile_overrides: net.ipv4.tcp_wmem', 'rule: negative']),
    ('triplet_out_of_order', {'sysctl_profile_overrides': {'net.ipv4.tcp_rmem': '4096 87380 1024'}},
     ['sysctl_profile_overrides: net.ipv4.tcp_rmem', 'rule: triplet_order']),
    ('two_values_for_triplet', {'sysctl_profile_overrides': {'net.ipv4.tcp_wmem': '4096 65536'}},
     ['sysctl_profile_overrides: net.ipv4.tcp_wmem', 'rule: arity']),
    ('four_values_for_triplet', {'sysctl_profile_overrides': {'net.ipv4.tcp_rmem': [1, 2, 3, 4]}},
     ['sysctl_profile_overrides: net.ipv4.tcp_rmem', 'rule: arity']),
    ('yaml_boolean_true', {'sysctl_profile_overrides': {'net.ipv4.tcp_window_scaling': True}},
     ['sysctl_profile_overrides: net.ipv4.tcp_window_scaling', 'rule: boolean']),
    ('string_yes', {'sysctl_profile_overrides': {'net.ipv4.tcp_sack': 'yes'}},
     ['sysctl_profile_overrides: net.ipv4.tcp_sack', 'rule: boolean']),
    ('newline_in_value', {'sysctl_profile_overrides': {'net.core.somaxconn': '4096\nkernel.panic = 1'}},
     ['sysctl_profile_overrides: net.core.somaxconn', 'rule: injection']),
    ('equals_in_value', {'sysctl_profile_overrides': {'net.core.somaxconn': '4096 = 1'}},
     ['sysctl_profile_overrides: net.core.somaxconn', 'rule: injection']),
    ('shell_metachar_in_value', {'sysctl_profile_overrides': {'net.core.somaxconn': '4096; reboot $(id) `id`'}},
     ['sysctl_profile_overrides: net.core.somaxconn', 'rule: injection']),
    ('unicode_digits_in_value', {'sysctl_profile_overrides': {'net.core.somaxconn': u'\uff14\uff10\uff19\uff16'}},
     ['sysctl_profile_overrides: net.core.somaxconn', 'rule: injection']),
    ('newline_in_key', {'sysctl_profile_overrides': {'net.core.somaxconn\nkernel.panic': 1}},
     ['sysctl_profile_overrides: net.core.somaxconn\\nkernel.panic', 'rule: key_pattern']),
    ('equals_in_key', {'sysctl_profile_overrides': {'net.core.somaxconn=1': 1}},
     ['sysctl_profile_overrides: net.core.somaxconn=1', 'rule: key_pattern']),
    ('shell_metachar_in_key', {'sysctl_profile_overrides': {'net.core.$(reboot)': 1}},
     ['sysctl_profile_overrides: net.core.$(reboot)', 'rule: key_pattern']),
    ('key_outside_net', {'sysctl_profile_overrides': {'kernel.panic': 1}},
     ['sysctl_profile_overrides: kernel.panic', 'rule: key_pattern']),
    ('key_path_traversal', {'sysctl_profile_overrides': {'net.ipv4/../../kernel/panic': 1}},
     ['sysctl_profile_overrides: net.ipv4/../../kernel/panic', 'rule: key_pattern']),
    ('key_uppercase', {'sysctl_profile_overrides': {'net.core.SOMAXCONN': 1}},
     ['sysctl_profile_overrides: net.core.SOMAXCONN', 'rule: key_pattern']),
    ('absurd_buffer_1tib', {'sysctl_profile_overrides': {'net.core.rmem_max': 1024 * GIB}},
     ['sysctl_profile_overrides: net.core.rmem_max', 'rule: range']),
    ('absurd_triplet_max', {'sysctl_profile_overrides': {'net.ipv4.tcp_rmem': '4096 87380 %d' % (4 * GIB)}},
     ['sysctl_profile_overrides: net.ipv4.tcp_rmem', 'rule: range']),
    ('flag_out_of_choices', {'sysctl_profile_overrides': {'net.ipv4.tcp_window_scaling': 7}},
     ['sysctl_profile_overrides: net.ipv4.tcp_window_scaling', 'rule: choice']),
    ('feature_off_without_force', {'sysctl_profile_overrides': {'net.ipv4.tcp_sack': 0}},
     ['sysctl_profile_overrides: net.ipv4.tcp_sack', 'rule: tcp_feature_off']),
    ('overrides_is_a_kv_string', {'sysctl_profile_overrides': 'net.core.somaxconn=1 net.core.rmem_max=2'},
     ['sysctl_profile_overrides', 'rule: not_a_dict']),
    ('overrides_is_a_list', {'sysctl_profile_overrides': [['net.core.somaxconn', 1]]},
     ['sysctl_profile_overrides', 'dict']),
    ('custom_profile_empty', {'sysctl_profile_name': 'custom'},
     ['sysctl_profile_custom', 'rule: empty_profile']),
    ('bdp_without_link', {'sysctl_profile_name': 'bdp', 'sysctl_profile_rtt_ms': 20},
     ['sysctl_profile_link_mbit', 'rule: bdp_input']),
    ('bdp_zero_rtt', {'sysctl_profile_name': 'bdp', 'sysctl_profile_link_mbit': 10000, 'sysctl_profile_rtt_ms': 0},
     ['sysctl_profile_rtt_ms', 'rule: bdp_input']),
    ('bdp_absurd_size', {'sysctl_profile_name': 'bdp', 'sysctl_profile_link_mbit': 1600000, 'sysctl_profile_rtt_ms': 10000},
     ['sysctl_profile_link_mbit', 'rule: bdp_input']),
    ('priority_100', {'sysctl_profile_priority': 100},
     ['sysctl_profile_priority', 'rule: priority']),
    ('priority_path_escape', {'sysctl_profile_priority': '../../tmp/x'},
     ['sysctl_profile_priority', 'int']),
    ('unsettable_bad_choice', {'sysctl_profile_unsettable': 'ignore'},
     ['sysctl_profile_unsettable', 'must be one of']),
    ('over_budget_bad_choice', {'sysctl_profile_over_budget': 'error'},
     ['sysctl_profile_over_budget', 'must be one of']),
    ('state_bad_choice', {'sysctl_profile_state': 'purged'},
     ['sysctl_profile_state', 'must be one of']),
    ('force_unknown_rule', {'sysctl_profile_force': ['everything']},
     ['sysctl_profile_force', 'must be one or more of', 'everything']),
    ('only_raise_not_bool', {'sysctl_profile_only_raise': 'sometimes'},
     ['sysctl_profile_only_raise', 'bool']),
    ('link_mbit_not_a_number', {'sysctl_profile_name': 'bdp', 'sysctl_profile_link_mbit': 'fast', 'sysctl_profile_rtt_ms': 1},
     ['sysctl_profile_link_mbit', 'float']),
    # words (issue 16): never 'injection', the rule says what was wrong
    ('congestion_control_newline', {'sysctl_profile_congestion_control': 'bbr\nkernel.panic = 1'},
     ['sysctl_profile_congestion_control: net.ipv4.tcp_congestion_control', 'rule: not_a_name']),
    ('congestion_control_two_words', {'sysctl_profile_overrides': {'net.ipv4.tcp_congestion_control': 'bbr cubic'}},
     ['sysctl_profile_overrides: net.ipv4.tcp_congestion_control', 'rule: not_a_name']),
    ('congestion_control_a_list', {'sysctl_profile_overrides': {'net.ipv4.tcp_congestion_control': ['bbr']}},
     ['sysctl_profile_overrides: net.ipv4.tcp_congestion_control', 'rule: not_a_name']),
    ('default_qdisc_unknown', {'sysctl_profile_default_qdisc': 'fqx'},
     ['sysctl_profile_default_qdisc: net.core.default_qdisc', 'rule: unknown_qdisc', 'fq_codel']),
    ('default_qdisc_classful', {'sysctl_profile_overrides': {'net.core.default_qdisc': 'htb'}},
     ['sysctl_profile_overrides: net.core.default_qdisc', 'rule: unknown_qdisc']),
    # host-side rules: the module refuses before any change
    ('congestion_control_not_available', {'sysctl_profile_congestion_control': 'nosuchcc'},
     ['net.ipv4.tcp_congestion_control: nosuchcc is not', 'net.ipv4.tcp_', 'rule: not_available',
      'Nothing was changed']),
    ('memory_guardrail', {'sysctl_profile_overrides': {'net.ipv4.tcp_rmem': '4096 87380 %d' % GIB}},
     ['net.ipv4.tcp_rmem', 'memory guardrail', 'Nothing was changed']),
    ('unsettable_fail_host_scope', {'sysctl_profile_unsettable': 'fail'},
     ['net.core.rmem_max', 'sysctl_profile_unsettable is fail', 'Nothing was changed']),
    ('state_dir_relative', {'sysctl_profile_state_dir': 'var/lib/netfleet'},
     ['sysctl_profile_state_dir: must be an absolute path', 'rule: absolute_path']),
    ('state_dir_under_proc', {'sysctl_profile_state_dir': '/proc/sys/kernel/netfleet'},
     ['sysctl_profile_state_dir: must not be under /proc', 'rule: virtual_fs']),
]

MODULE_CASES = [
    ('module_newline_in_key', {'settings': {'net.core.somaxconn\nkernel.panic': 1}},
     ['net.core.somaxconn\\nkernel.panic', 'rule: key_pattern']),
    ('module_injection_in_value', {'settings': {'net.core.somaxconn': '1\nkernel.panic=1'}},
     ['net.core.somaxconn', 'rule: injection']),
    ('module_congestion_control_equals', {'settings': {'net.ipv4.tcp_congestion_control': 'bbr=1'}},
     ['net.ipv4.tcp_congestion_control', 'rule: not_a_name']),
    ('module_default_qdisc_unknown', {'settings': {'net.core.default_qdisc': 'noqueue'}},
     ['net.core.default_qdisc', 'rule: unknown_qdisc']),
    ('module_priority_path', {'settings': {'net.core.somaxconn': 4096}, 'priority': 100},
     ['priority: must be an integer 0..99', 'rule: priority']),
    ('module_empty_settings', {'settings': {}},
     ['settings is empty']),
    ('module_state_dir_relative', {'settings': {'net.core.somaxconn': 4096}, 'state_dir': 'relative/dir'},
     ['state_dir: must be an absolute path', 'rule: absolute_path']),
    ('module_force_unknown', {'settings': {'net.core.somaxconn': 4096}, 'force': ['all']},
     ['force', 'must be one or more of', 'all']),
    ('module_over_budget_unknown', {'settings': {'net.core.somaxconn': 4096}, 'over_budget': 'error'},
     ['over_budget', 'must be one of', 'error']),
]

THRESHOLD_CASES = [
    ('min_reduction_pct_zero', {'netfleet_min_reduction_pct': 0}, ['netfleet_min_reduction_pct', 'in (0, 100]']),
    ('min_reduction_pct_150', {'netfleet_min_reduction_pct': 150}, ['netfleet_min_reduction_pct', 'in (0, 100]']),
    ('min_reduction_pct_word', {'netfleet_min_reduction_pct': 'ninety'}, ['netfleet_min_reduction_pct', 'number']),
    ('min_segments_zero', {'netfleet_min_segments': 0}, ['netfleet_min_segments', 'integer >= 1']),
    ('min_segments_negative', {'netfleet_min_segments': -5}, ['netfleet_min_segments', 'integer >= 1']),
    ('gated_metrics_empty', {'netfleet_gated_metrics': []}, ['netfleet_gated_metrics', 'non-empty list']),
    ('gated_metrics_unknown', {'netfleet_gated_metrics': ['prune_called', 'bogus']}, ['netfleet_gated_metrics', "'bogus'"]),
    ('guard_metrics_unknown', {'netfleet_guard_metrics': ['retrans_segs', 'bogus']}, ['netfleet_guard_metrics', "'bogus'"]),
    ('guard_metrics_denominator', {'netfleet_guard_metrics': ['out_segs']}, ['netfleet_guard_metrics', "'out_segs' is not one"]),
    ('guard_increase_negative', {'netfleet_guard_max_increase_pct': -5},
     ['netfleet_guard_max_increase_pct', 'in [0, 10000]']),
    ('guard_increase_word', {'netfleet_guard_max_increase_pct': 'lots'}, ['netfleet_guard_max_increase_pct', 'number']),
    ('sample_seconds_zero', {'netfleet_sample_seconds': 0}, ['netfleet_sample_seconds', 'integer from 1 to 3600']),
    ('sample_seconds_shell', {'netfleet_sample_seconds': '5; reboot'}, ['netfleet_sample_seconds', 'integer from 1 to 3600']),
    ('sample_seconds_absurd', {'netfleet_sample_seconds': 86400 * 365}, ['netfleet_sample_seconds', 'integer from 1 to 3600']),
]

ALL_IDS = [c[0] for c in ROLE_CASES + MODULE_CASES]


def _same(before, after, allowed=()):
    """Assert two snapshot_all() results are identical (but for the paths in ``allowed``); name the
    first difference."""
    for label in LABELS:
        for part in ('files', 'state', 'live'):
            b, a = before[label][part], after[label][part]
            diff = sorted(k for k in set(b) | set(a) if b.get(k) != a.get(k) and k not in allowed)
            assert not diff, '%s %s changed: %s' % (label, part, ['%s: %r -> %r' % (k, b.get(k), a.get(k)) for k in diff[:5]])


@pytest.fixture(scope='module')
def batch(lab, tmp_path_factory):
    """Run every role and module case in one ansible-playbook run, with snapshots around it."""
    lab.clean_all()
    out = str(tmp_path_factory.mktemp('bad-input'))
    cases = [{'id': i, 'kind': 'role', 'vars': v} for i, v, dummy in ROLE_CASES]
    cases += [{'id': i, 'kind': 'module', 'args': a} for i, a, dummy in MODULE_CASES]
    before = lab.snapshot_all()
    proc = lab.playbook(playbook_path('bad_inputs.yml'), {'rel_cases': cases, 'rel_out_dir': out})
    after = lab.snapshot_all()
    results = {}
    for host in lab.hosts:
        path = os.path.join(out, '%s.json' % host)
        assert os.path.exists(path), 'no results for %s (rc %d):\n%s' % (host, proc.returncode, proc.stdout[-3000:])
        with open(path) as handle:
            results[host] = json.load(handle)
    return {'proc': proc, 'before': before, 'after': after, 'results': results}


def test_bad_input_count():
    assert len(ROLE_CASES) + len(MODULE_CASES) + len(THRESHOLD_CASES) >= 25
    assert len(set(ALL_IDS + [c[0] for c in THRESHOLD_CASES])) == len(ALL_IDS) + len(THRESHOLD_CASES)


def test_bad_input_batch_changes_no_host(batch):
    assert batch['proc'].returncode == 0, batch['proc'].stdout[-3000:]
    # every failure the run printed is a plain task failure
    output = batch['proc'].stdout + batch['proc'].stderr
    assert not [w for w in WRAPPING if w in output], [line for line in output.splitlines() if any(w in line for w in WRAPPING)][:3]
    _same(batch['before'], batch['after'])
    for label in LABELS:
        assert sorted(batch['after'][label]['files']) == ['/etc/sysctl.d/10-netlab-untuned.conf']


@pytest.mark.parametrize('case_id,variables,expect', ROLE_CASES + MODULE_CASES, ids=ALL_IDS)
def test_bad_input_case(batch, case_id, variables, expect):
    for host, results in sorted(batch['results'].items()):
        got = results[case_id]
        assert got['failed'], '%s: case %s did not fail' % (host, case_id)
        for text in expect:
            assert text in got['msg'], '%s: %s: %r not in message %r' % (host, case_id, text, got['msg'])
        assert not [w for w in WRAPPING if w in got['msg']], '%s: %s: %r' % (host, case_id, got['msg'])
        if any('rule: ' in text for text in expect) and not any('Nothing was changed' in text for text in expect) \
                and not case_id.startswith('module_'):
            # just the message: no prefix but the one that says nothing changed
            assert got['msg'].startswith(INVALID) and got['task'] == VALIDATE_TASK, (host, case_id, got)
        if case_id.startswith('module_'):
            # the module called directly names its own options, not the role's variables
            assert 'sysctl_profile_' not in got['msg'], '%s: %s: %r' % (host, case_id, got['msg'])


@pytest.mark.parametrize('case_id,variables,expect', THRESHOLD_CASES, ids=[c[0] for c in THRESHOLD_CASES])
def test_bad_threshold(lab, tmp_path, case_id, variables, expect):
    """netfleet.tuning.rollout with one bad threshold: fails every host in the settings step."""
    before = lab.snapshot_all()
    extravars = dict(variables, netfleet_state_dir=str(tmp_path / 'state'), netfleet_settle_seconds=0)
    proc = lab.playbook('netfleet.tuning.rollout', extravars)
    after = lab.snapshot_all()
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    for text in expect:
        assert text in output, '%r not in output:\n%s' % (text, output[-3000:])
    tasks = re.findall(r'^TASK \[([^\]]*)\]', proc.stdout, re.M)
    assert tasks and tasks[-1] in ('Resolve the state directory, the window and the thresholds',
                                   'Check the window lengths'), tasks
    for host in lab.hosts:
        assert re.search(r'%s +: ok=\d+ +changed=0 ' % host, proc.stdout), 'recap of %s' % host
    assert 'sampling window' not in proc.stdout, 'a host was sampled despite the bad threshold'
    assert not os.path.exists(str(tmp_path / 'state')), 'the state dir was created despite the bad threshold'
    _same(before, after)


def test_window_lengths_differ_between_hosts(lab, tmp_path):
    """The fleet shares one window, so every host must ask for the same one: a host whose
    netfleet_sample_seconds differs (from its host vars) stops the run before any host is sampled."""
    before = lab.snapshot_all()
    proc = lab.playbook('netfleet.tuning.verify', {'netfleet_state_dir': str(tmp_path / 'state')},
                        host_vars={lab.hosts[0]: {'netfleet_sample_seconds': 5},
                                   lab.hosts[1]: {'netfleet_sample_seconds': 7}})
    after = lab.snapshot_all()
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert 'the same for every host of the play' in output and '5, 7' in output, output[-3000:]
    assert re.findall(r'^TASK \[([^\]]*)\]', proc.stdout, re.M)[-1] == 'Check the window lengths'
    assert 'sampling window' not in proc.stdout and 'window: ' not in proc.stdout
    _same(before, after)


def test_state_dir_read_only(lab, tmp_path):
    """netfleet_state_dir on a read-only file system (a real EROFS bind mount, in a private mount
    namespace of this run only, so root cannot write it either): no host is tuned (each keeps the
    baseline window it took, in its own state directory)."""
    state = tmp_path / 'ro-state'
    state.mkdir()
    before = lab.snapshot_all()
    argv = lab.playbook_argv('netfleet.tuning.rollout', {'netfleet_state_dir': str(state), 'netfleet_sample_seconds': 1,
                                                         'netfleet_settle_seconds': 0, 'netfleet_min_segments': 1})
    wrapper = [sys.executable, os.path.join(HERE, 'bin', 'ro_exec.py'), str(state), '--']
    proc = run(['unshare', '--mount', '--propagation', 'private', '--'] + wrapper + argv, check=False,
               env=lab.env(), cwd=lab.workdir)
    after = lab.snapshot_all()
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert 'Read-only file system' in output, output[-3000:]
    assert str(state) in output
    assert 'Apply the sysctl profile' not in proc.stdout or 'Write, apply and read back' not in proc.stdout
    # the baseline window was taken: each host keeps it (its own state, the copy that counts); the
    # controller's copy failed, and no host was tuned
    _same(before, after, allowed=('/var/lib/netfleet-tuning/baseline.json',))
    assert os.listdir(str(state)) == []
