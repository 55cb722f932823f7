# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults in the middle of a rollout: each with its expected outcome, and a rerun that converges."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import os
import signal
import subprocess
import time

from labkit import (DROPIN, HERE, LAB, TUNED_RMEM, UNTUNED_RMEM, Traffic, host_addresses, playbook_path, read_json,
                    rollout_vars)


def apply(lab, out, limit=None, host_vars=None, **variables):
    """The role through playbooks/apply.yml; returns (process, {inventory name: outcome})."""
    out = str(out)
    if not os.path.isdir(out):
        os.makedirs(out)
    for old in glob.glob(os.path.join(out, '*.json')):
        os.unlink(old)
    variables['rel_out_dir'] = out
    proc = lab.playbook(playbook_path('apply.yml'), variables, limit=limit, host_vars=host_vars)
    outcomes = dict((os.path.basename(p)[:-5], read_json(p)) for p in glob.glob(os.path.join(out, '*.json')))
    return proc, outcomes


def rollout_until(lab, extravars, marker, occurrence, action, timeout=240):
    """Start netfleet.tuning.rollout, call action(proc) when `marker` starts the occurrence-th line
    that begins with it, then wait for the end. Returns (returncode, output)."""
    argv = lab.playbook_argv('netfleet.tuning.rollout', extravars)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            env=lab.env(), cwd=lab.workdir, start_new_session=True)
    lines = []
    seen = 0
    deadline = time.time() + timeout
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith(marker):
                seen += 1
                if seen == occurrence:
                    action(proc)
            if time.time() > deadline:
                break
        rc = proc.wait(timeout=max(1, deadline - time.time()))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    return rc, ''.join(lines)


def dropin_hosts(lab):
    return sorted(label for label in ('h01', 'h02', 'h03') if DROPIN in lab.snapshot(label)['files'])


def test_sshd_killed_mid_rollout(clean_lab, tmp_path):
    """h03's sshd dies when the second batch starts (after the canary h01 passed).
    Expected: h01 and h02 tuned and verified, h03 untouched and reported unreachable, rc != 0.
    Rerun after h03 is back (reset-host: namespace recreated): h03 tuned but verdict reset (its
    stored baseline is reused); rerun of h03 with netfleet_rebaseline: every host passes."""
    lab = clean_lab
    state = tmp_path / 'state'

    def kill_h03(dummy):
        lab.netlab('kill-sshd', '--name', lab.name, '--host', 'h03')

    with Traffic(host_addresses(lab)):
        rc, out = rollout_until(lab, rollout_vars(state), 'PLAY [Roll out in batches', 2, kill_h03)
    assert rc != 0, out[-3000:]
    assert 'UNREACHABLE' in out
    report = read_json(str(state / 'report.json'))
    assert report['hosts'][LAB + '-h01']['verdict'] == 'clean'
    assert report['hosts'][LAB + '-h02']['verdict'] == 'clean'
    assert report['hosts'][LAB + '-h03']['status'] == 'unreachable', report['hosts'][LAB + '-h03']
    assert report['summary']['statuses']['unreachable'] == 1
    lab.reset_host('h03')  # sshd back (h03 was never changed)
    assert dropin_hosts(lab) == ['h01', 'h02']
    assert lab.live('h03', 'net.ipv4.tcp_rmem') == UNTUNED_RMEM

    # Plain rerun: h03 is tuned; its stored baseline is reused although netlab's only way to restart
    # its sshd (reset-host) recreated the namespace. Verify sees the reset only when h03's counters
    # are still below the baseline's end (timing): then verdict reset, rc 2; else clean, rc 0.
    with Traffic(host_addresses(lab)):
        proc = lab.playbook('netfleet.tuning.rollout', rollout_vars(state))
    report = read_json(str(state / 'report.json'))
    h03 = report['hosts'][LAB + '-h03']
    if proc.returncode != 0:
        assert h03['verdict'] == 'reset' and 'take a new baseline' in h03['message'], h03
    else:
        assert h03['verdict'] == 'clean', h03
    print('plain rerun after reset-host: rc %d, h03 verdict %s' % (proc.returncode, h03['verdict']))
    assert [report['hosts'][h]['verdict'] for h in (LAB + '-h01', LAB + '-h02')] == ['clean', 'clean']
    assert dropin_hosts(lab) == ['h01', 'h02', 'h03']
    # What the message says: a new baseline for that host, then the rollout converges.
    with Traffic(host_addresses(lab)):
        proc = lab.playbook('netfleet.tuning.rollout', rollout_vars(state, netfleet_rebaseline=True), limit=LAB + '-h03')
    assert proc.returncode == 0, proc.stdout[-3000:]
    report = read_json(str(state / 'report.json'))
    assert report['hosts'][LAB + '-h03']['verdict'] == 'clean', report['hosts'][LAB + '-h03']
    for label in ('h01', 'h02', 'h03'):
        assert lab.live(label, 'net.ipv4.tcp_rmem') == TUNED_RMEM


def test_controller_killed_and_repeated(clean_lab, tmp_path):
    """SIGKILL to ansible-playbook (its whole process group) when the second batch starts.
    Expected: only the canary h01 is tuned; every file in the state dir is complete JSON; the
    rerun reuses the baselines, tunes h02/h03, leaves h01 unchanged and passes."""
    lab = clean_lab
    state = tmp_path / 'state'

    def kill_controller(proc):
        os.killpg(proc.pid, signal.SIGKILL)

    with Traffic(host_addresses(lab)):
        rc, out = rollout_until(lab, rollout_vars(state), 'PLAY [Roll out in batches', 2, kill_controller)
    assert rc == -signal.SIGKILL, (rc, out[-2000:])
    for path in glob.glob(str(state / '*.json')) + glob.glob(str(state / 'baseline' / '*.json')):
        read_json(path)  # never half-written
    assert not glob.glob(str(state / '**' / '.*'), recursive=True), 'temporary files left behind'
    assert dropin_hosts(lab) == ['h01']

    with Traffic(host_addresses(lab)):
        proc = lab.playbook('netfleet.tuning.rollout', rollout_vars(state))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert proc.stdout.count('reusing the') == 3, proc.stdout[-3000:]
    report = read_json(str(state / 'report.json'))
    assert report['summary']['passed'] == 3, report['summary']
    assert dropin_hosts(lab) == ['h01', 'h02', 'h03']


def test_sysctl_rejects_one_key(clean_lab, tmp_path):
    """The kernel refuses one value (net.ipv4.tcp_syn_retries = 200: EINVAL, max 127) that passes the
    generic rule, after tcp_rmem was written (keys go in sorted order). Expected: all or nothing - h01
    fails naming the key, the errno and rule kernel_refused; tcp_rmem is put back, no drop-in and no
    state file stay, the host is as before; a rerun without the bad key converges, and a second rerun
    changes nothing."""
    lab = clean_lab
    pristine = lab.snapshot('h01')
    before = lab.live('h01', 'net.ipv4.tcp_syn_retries')
    proc, got = apply(lab, tmp_path / 'o1', limit=LAB + '-h01',
                      sysctl_profile_overrides={'net.ipv4.tcp_syn_retries': 200})
    assert proc.returncode != 0
    msg = got[LAB + '-h01']['failed_msg']
    assert 'net.ipv4.tcp_syn_retries' in msg and 'Invalid argument' in msg, msg
    assert 'Rolled back' in msg and 'the drop-in and the state file are as before this run' in msg, msg
    after = lab.snapshot('h01')
    assert after['files'] == pristine['files']
    assert sorted(after['state']) in ([], ['/var/lib/netfleet-tuning/sysctl_profile.lock']), after['state']
    assert lab.live('h01', 'net.ipv4.tcp_rmem') == UNTUNED_RMEM
    assert lab.live('h01', 'net.ipv4.tcp_syn_retries') == before

    proc, got = apply(lab, tmp_path / 'o2', limit=LAB + '-h01')
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert lab.live('h01', 'net.ipv4.tcp_syn_retries') == before
    assert lab.live('h01', 'net.ipv4.tcp_rmem') == TUNED_RMEM
    assert 'tcp_syn_retries' not in lab.exec_('h01', ['cat', DROPIN]).stdout
    proc, got = apply(lab, tmp_path / 'o3', limit=LAB + '-h01')
    assert proc.returncode == 0
    assert got[LAB + '-h01']['result']['changed'] is False, got[LAB + '-h01']['result']


def test_read_only_proc_sys(clean_lab, tmp_path):
    """/proc/sys/net read-only for the module's process (ansible_python_interpreter = bin/ro_proc_python,
    which remounts it ro in a private mount namespace). Expected: with unsettable=fail the host fails
    before any change naming every key; with skip every key is reported skipped, no value changes and
    no drop-in is written (a warning says why)."""
    lab = clean_lab
    wrapper = {LAB + '-h02': {'ansible_python_interpreter': os.path.join(HERE, 'bin', 'ro_proc_python')}}
    before = lab.snapshot('h02')
    proc, got = apply(lab, tmp_path / 'o1', limit=LAB + '-h02', host_vars=wrapper, sysctl_profile_unsettable='fail')
    assert proc.returncode != 0
    msg = got[LAB + '-h02']['failed_msg']
    assert 'sysctl_profile_unsettable is fail' in msg and 'net.ipv4.tcp_rmem' in msg and 'Nothing was changed' in msg, msg
    assert lab.snapshot('h02') == before

    proc, got = apply(lab, tmp_path / 'o2', limit=LAB + '-h02', host_vars=wrapper)
    result = got[LAB + '-h02']['result']
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert result['counts']['skipped'] == len(result['keys']), result
    after = lab.snapshot('h02')
    assert after['live'] == before['live']
    # nothing settable: no drop-in is written (it would hold no assignment), and the run says so
    assert result['changed'] is False, result
    assert DROPIN not in after['files'], after['files']
    assert 'none of the %d key(s) can be set on this host' % len(result['keys']) in proc.stdout + proc.stderr


def test_later_file_overrides_our_key(clean_lab, tmp_path):
    """/etc/sysctl.d/99-site.conf sets tcp_rmem after our 60- file. Expected: tcp_rmem reported
    overridden by that file (with a warning), not written live, the other keys applied; the site
    file byte-identical; after a "boot" (reset-host) the site file's value is live; rerun unchanged."""
    lab = clean_lab
    site = '/etc/sysctl.d/99-site.conf'
    lab.write_file('h01', site, '# site policy\nnet.ipv4.tcp_rmem = 4096 131072 8388608\n')
    site_sha = lab.snapshot('h01')['files'][site]
    proc, got = apply(lab, tmp_path / 'o1', limit=LAB + '-h01')
    assert proc.returncode == 0, proc.stdout[-3000:]
    key = got[LAB + '-h01']['result']['keys']['net.ipv4.tcp_rmem']
    assert key['status'] == 'overridden' and key['by'] == site, key
    assert 'is overridden by %s' % site in proc.stdout + proc.stderr
    assert got[LAB + '-h01']['result']['keys']['net.ipv4.tcp_wmem']['status'] == 'applied'
    assert lab.live('h01', 'net.ipv4.tcp_rmem') == UNTUNED_RMEM
    lab.reset_host('h01')
    assert lab.live('h01', 'net.ipv4.tcp_rmem') == '4096 131072 8388608'
    assert lab.live('h01', 'net.ipv4.tcp_wmem') == '4096 65536 16777216'
    proc, got = apply(lab, tmp_path / 'o2', limit=LAB + '-h01')
    assert proc.returncode == 0
    assert got[LAB + '-h01']['result']['changed'] is False, got[LAB + '-h01']['result']
    assert lab.snapshot('h01')['files'][site] == site_sha


def test_counters_reset_between_baseline_and_verify(clean_lab, tmp_path):
    """h02's namespace is recreated (counters back to 0) between the baseline and verify playbooks.
    Expected: verify gives h02 the verdict reset (counters went backwards between the windows:
    never a pass) and says to take a new baseline, h01/h03 clean, rc != 0; the report is still
    written for every host. A new baseline of h02, then verify: every host passes."""
    lab = clean_lab
    state = tmp_path / 'state'
    with Traffic(host_addresses(lab)):
        proc = lab.playbook('netfleet.tuning.baseline', rollout_vars(state))
    assert proc.returncode == 0, proc.stdout[-3000:]
    lab.reset_host('h02')
    with Traffic(host_addresses(lab)):
        proc = lab.playbook('netfleet.tuning.verify', rollout_vars(state))
        assert proc.returncode != 0
        report = read_json(str(state / 'report.json'))
        assert report['hosts'][LAB + '-h02']['verdict'] == 'reset', report['hosts'][LAB + '-h02']
        assert 'counters were reset' in report['hosts'][LAB + '-h02']['message']
        assert 'take a new baseline' in report['hosts'][LAB + '-h02']['message']
        assert report['hosts'][LAB + '-h01']['verdict'] == 'clean'
        assert report['hosts'][LAB + '-h03']['verdict'] == 'clean'
        proc = lab.playbook('netfleet.tuning.baseline', rollout_vars(state), limit=LAB + '-h02')
        assert proc.returncode == 0, proc.stdout[-3000:]
        proc = lab.playbook('netfleet.tuning.verify', rollout_vars(state))
    assert proc.returncode == 0, proc.stdout[-3000:]
    report = read_json(str(state / 'report.json'))
    assert report['summary']['passed'] == 3, report['summary']
