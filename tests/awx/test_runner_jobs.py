# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX example project (examples/awx) run the way AWX runs it: each playbook a separate
ansible-runner job in a fresh private data dir, nothing kept on the controller between jobs.

Needs root (a netlab fleet of 2 hosts, lab ``nla``, deleted by name at the end, also on failure) and
ansible-runner + ansible-builder in the Python that runs pytest (requirements-dev.txt):

    make awx        # .venv/bin/pytest -q -p no:cacheprovider tests/awx

The collection is built from this checkout (as `make build` does) into the test's own directory, or
taken from $NETFLEET_COLLECTION_TARBALL, and installed from that tarball into a per-test collections
directory; the jobs see only that directory (ANSIBLE_COLLECTIONS_PATH), never the checkout.

The jobs: baseline, gate (baseline), rollout, verify, gate (verify), a gate that must fail, rollback.
Each later job gets the earlier jobs' set_stats artifacts as extra vars, as a workflow passes them.
No load runs (never `netlab load` here), so verify judges both hosts `clean`. Every command and every
job is bounded by a timeout. Nothing touches the init namespace's sysctls.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import glob
import json
import os
import shutil
import sys
import tempfile
import time

import pytest

try:
    import ansible_runner
except ImportError:  # pragma: no cover - a clear message instead of a bare ImportError
    raise ImportError('tests/awx needs ansible-runner in the Python that runs pytest: '
                      'see examples/awx/README.md ("The test")')

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# the lab suite's helpers: netlab's path and run() (argv only, bounded, both streams in the failure)
sys.path.insert(0, os.path.join(REPO, 'tests', 'lab'))
from labkit import NETLAB, run  # noqa: E402 pylint: disable=wrong-import-position

PROJECT = os.path.join(REPO, 'examples', 'awx')
# the ansible-* commands of the Python that runs the test (its venv's bin)
BIN = os.path.dirname(os.path.abspath(sys.executable))
LAB = 'nla'
HOSTS = ['%s-h01' % LAB, '%s-h02' % LAB]
HOST_BASELINE = '/var/lib/netfleet-tuning/baseline.json'
DROPIN = '/etc/sysctl.d/60-netfleet-tuning.conf'
JOB_TIMEOUT = 120
FAST = {'netfleet_hosts': 'netlab_hosts', 'netfleet_sample_seconds': 2, 'netfleet_settle_seconds': 0,
        'netfleet_min_segments': 1, 'netfleet_serial': [1, '100%']}


def outside_environ(**extra):
    """This process's environment without Ansible settings or a Python path: with PYTHONPATH on the
    checkout's link (as `make units` sets it) ansible-galaxy and ansible-playbook find the checkout
    whatever ANSIBLE_COLLECTIONS_PATH says."""
    env = dict((key, value) for key, value in os.environ.items()
               if not key.startswith('ANSIBLE_') and key not in ('PYTHONPATH', 'VIRTUAL_ENV'))
    env.update(extra)
    return env


def tool(name):
    path = os.path.join(BIN, name)
    assert os.access(path, os.X_OK), '%s not found beside %s' % (name, sys.executable)
    return path


def host_file(label, path):
    """A file on a lab host (its own /var/lib/netfleet-tuning and /etc/sysctl.d), or None."""
    proc = run([NETLAB, 'exec', '--name', LAB, label, '--', '/usr/bin/python3', '-c',
                'import os, sys; p = sys.argv[1]; sys.stdout.write(open(p).read() if os.path.exists(p) else "\\0")',
                path], timeout=30)
    return None if proc.stdout == '\0' else proc.stdout


@pytest.fixture(scope='module')
def awx_lab():
    """A fresh 2-host netlab fleet named nla; deleted by name at the end, also when a test fails."""
    if os.geteuid() != 0:
        pytest.skip('the AWX jobs test needs root (netlab creates network namespaces)')
    run([NETLAB, 'down', '--name', LAB], check=False, timeout=120)
    try:
        netlab_up = run([NETLAB, 'up', '--name', LAB, '--hosts', str(len(HOSTS))], timeout=300)
        yield netlab_up.stdout.strip().splitlines()[-1]
    finally:
        run([NETLAB, 'down', '--name', LAB], check=False, timeout=120)


@pytest.fixture(scope='module')
def collections_dir(tmp_path_factory):
    """netfleet.tuning installed from a built tarball into a directory of this test's own."""
    work = tmp_path_factory.mktemp('collection')
    tarball = os.environ.get('NETFLEET_COLLECTION_TARBALL')
    env = outside_environ(ANSIBLE_COLLECTIONS_PATH=str(work / 'collections'), ANSIBLE_NOCOLOR='1')
    if not tarball:
        # the same command as `make build`, from this checkout, into the test's directory
        run([tool('ansible-galaxy'), 'collection', 'build', '--force', '--output-path', str(work / 'build'), REPO],
            timeout=120, env=env, cwd=str(work))
        tarball = glob.glob(str(work / 'build' / 'netfleet-tuning-*.tar.gz'))[0]
    run([tool('ansible-galaxy'), 'collection', 'install', tarball, '-p', str(work / 'collections')],
        timeout=120, env=env, cwd=str(work))
    installed = work / 'collections' / 'ansible_collections' / 'netfleet' / 'tuning'
    assert not os.path.islink(str(installed)) and (installed / 'MANIFEST.json').is_file(), \
        'not installed from a tarball: %s' % installed
    listed = json.loads(run([tool('ansible-galaxy'), 'collection', 'list', 'netfleet.tuning', '--format', 'json'],
                            timeout=60, env=env, cwd=str(work)).stdout)
    assert list(listed) == [str(work / 'collections' / 'ansible_collections')], listed
    return str(work / 'collections')


class Jobs(object):
    """Launches AWX-like jobs: a fresh private data dir per job (project/ copied from examples/awx,
    inventory/ = the lab's inventory plus the example's group_vars, env/extravars, a fresh HOME), run
    through ansible_runner.run with a job timeout. Later jobs get the earlier jobs' artifacts merged
    into their extra vars, as an AWX workflow passes them on."""

    def __init__(self, root, inventory, collections):
        self.root = root
        self.inventory = inventory
        self.collections = collections
        self.artifacts = {}
        self.count = 0
        self.timings = []

    def launch(self, playbook, extravars=None, inherit=True):
        self.count += 1
        ident = str(self.count)
        private = os.path.join(self.root, 'job%d-%s' % (self.count, playbook.split('.')[0]))
        shutil.copytree(PROJECT, os.path.join(private, 'project'))
        os.makedirs(os.path.join(private, 'inventory'))
        shutil.copy(self.inventory, os.path.join(private, 'inventory', 'hosts.yml'))
        shutil.copytree(os.path.join(PROJECT, 'inventory', 'group_vars'), os.path.join(private, 'inventory', 'group_vars'))
        os.makedirs(os.path.join(private, 'env'))
        os.makedirs(os.path.join(private, 'home'))
        variables = dict(copy.deepcopy(self.artifacts) if inherit else {}, **FAST)
        variables.update(extravars or {})
        with open(os.path.join(private, 'env', 'extravars'), 'w') as handle:
            json.dump(variables, handle)
        envvars = {
            'PATH': BIN + os.pathsep + os.environ.get('PATH', '/usr/bin:/bin'),
            'HOME': os.path.join(private, 'home'),
            'ANSIBLE_COLLECTIONS_PATH': self.collections,
            'ANSIBLE_HOST_KEY_CHECKING': 'false',
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_FORKS': '10',
            'LC_ALL': 'C.UTF-8',
        }
        with open(os.path.join(private, 'env', 'envvars'), 'w') as handle:
            json.dump(envvars, handle)
        started = time.time()
        result = ansible_runner.run(private_data_dir=private, playbook=playbook, ident=ident, quiet=True,
                                    timeout=JOB_TIMEOUT)
        seconds = time.time() - started
        self.timings.append((playbook, round(seconds, 1), result.status))
        job = Job(playbook, private, ident, result, seconds)
        if job.report is not None:
            # a workflow hands every later node the merged artifacts of the jobs before it
            self.artifacts.update(job.artifact_data)
        return job


class Job(object):
    def __init__(self, playbook, private, ident, result, seconds):
        self.playbook = playbook
        self.private = private
        self.status = result.status
        self.rc = result.rc
        self.seconds = seconds
        self.artifacts_dir = os.path.join(private, 'artifacts', ident)
        with open(os.path.join(self.artifacts_dir, 'stdout')) as handle:
            self.stdout = handle.read()
        self.runner_stats = result.stats
        self.events = list(result.events)
        # where ansible-runner (and so AWX) keeps set_stats data: the playbook_on_stats event's
        # event_data.artifact_data, also written as artifacts/<ident>/job_events/<n>-<uuid>.json
        stats_events = [event for event in self.events if event.get('event') == 'playbook_on_stats']
        self.artifact_data = stats_events[-1]['event_data'].get('artifact_data', {}) if stats_events else {}
        self.report = self.artifact_data.get('netfleet_report')

    def describe(self):
        return '%s: status %s, rc %s, %.1f s, private data dir %s\n--- stdout (tail) ---\n%s' % (
            self.playbook, self.status, self.rc, self.seconds, self.private, self.stdout[-6000:])

    def assert_successful(self):
        assert self.status == 'successful' and self.rc == 0, self.describe()

    def task_results(self, task):
        return dict((event['event_data']['host'], event['event_data'].get('res', {})) for event in self.events
                    if event.get('event') == 'runner_on_ok' and event['event_data'].get('task') == task)

    def stats_event_file(self):
        """The job_events file that holds the playbook_on_stats event (what AWX reads the artifacts from)."""
        for path in sorted(glob.glob(os.path.join(self.artifacts_dir, 'job_events', '*.json'))):
            with open(path) as handle:
                event = json.load(handle)
            if event.get('event') == 'playbook_on_stats':
                return path, event
        return None, None


def check_report(job, playbook, hosts):
    """netfleet_report is in the job's artifacts: summary and, per host, verdict / passed / status."""
    report = job.report
    assert isinstance(report, dict), 'no netfleet_report in the artifacts of %s: %r\n%s' % (
        playbook, job.artifact_data, job.describe())
    assert report['playbook'] == playbook, report
    for key in ('hosts', 'passed', 'failed', 'ok'):
        assert key in report['summary'], report['summary']
    assert sorted(report['hosts']) == sorted(hosts), report
    for name, entry in report['hosts'].items():
        assert sorted(entry) == ['passed', 'status', 'verdict'], (name, entry)
    # the same data on disk, in the playbook_on_stats event of artifacts/<ident>/job_events/
    path, event = job.stats_event_file()
    assert path, 'no playbook_on_stats event under %s' % job.artifacts_dir
    assert event['event_data']['artifact_data']['netfleet_report'] == report
    # and not in Runner.stats (ok/changed/failures/... per host only)
    assert 'netfleet_report' not in json.dumps(job.runner_stats)
    return report


def test_execution_environment_definition(tmp_path):
    """execution-environment.yml is a valid ansible-builder v3 definition: `create` writes the build
    context (no container is built) with the collection's requirements and the pinned packages."""
    context = tmp_path / 'context'
    proc = run([tool('ansible-builder'), 'create', '-f', os.path.join(PROJECT, 'execution-environment.yml'),
                '-c', str(context), '--output-filename', 'Containerfile', '-v', '3'], timeout=120, cwd=str(tmp_path),
               env=outside_environ())
    assert 'Complete!' in proc.stdout, proc.stdout
    containerfile = (context / 'Containerfile').read_text()
    assert 'ansible-core==' in containerfile and 'ansible-runner==' in containerfile, containerfile
    requirements = (context / '_build' / 'requirements.yml').read_text()
    with open(os.path.join(PROJECT, 'collections', 'requirements.yml')) as handle:
        assert requirements == handle.read()
    assert 'netfleet.tuning' in requirements
    assert 'openssh-clients' in (context / '_build' / 'bindep.txt').read_text()


def test_jobs_baseline_rollout_verify_rollback(awx_lab, collections_dir, monkeypatch):
    """baseline, rollout, verify and rollback as separate ansible-runner jobs, each in a fresh private
    data dir; the hosts are the only thing that persists between them."""
    started = time.time()
    # a job sees what an EE gives it, not this shell's Ansible settings or Python path (ansible-runner
    # starts each job from a copy of this process's environment)
    for key in set(os.environ) - set(outside_environ()):
        monkeypatch.delenv(key)
    # short: ssh's ControlPath under each job's HOME must stay below 108 bytes; kept when a check fails
    root = tempfile.mkdtemp(prefix='nfawx-', dir='/tmp')
    os.chmod(root, 0o755)
    jobs = Jobs(root, awx_lab, collections_dir)
    labels = [name.split('-', 1)[1] for name in HOSTS]

    # 1. baseline: every host keeps its record in its own state directory
    baseline = jobs.launch('baseline.yml')
    baseline.assert_successful()
    report = check_report(baseline, 'baseline', HOSTS)
    assert report['ok'] is True and report['summary']['statuses'] == {'stored': 2}, report
    for entry in report['hosts'].values():
        assert entry == {'verdict': None, 'passed': True, 'status': 'stored'}, report
    kept = {}
    for name, label in zip(HOSTS, labels):
        text = host_file(label, HOST_BASELINE)
        assert text, '%s keeps no baseline at %s after the baseline job' % (name, HOST_BASELINE)
        kept[name] = json.loads(text)
        assert kept[name]['host'] == name and kept[name]['window']['valid'] is True, kept[name]
    # nothing of the job is needed later: its private data dir goes, as AWX removes a finished job's
    shutil.rmtree(baseline.private)

    # 2. the gate a workflow puts after the baseline (artifacts arrive as extra vars)
    gate = jobs.launch('gate.yml', {'netfleet_gate_playbook': 'baseline'})
    gate.assert_successful()
    assert 'every host passed baseline' in gate.stdout, gate.describe()

    # 3. rollout: reuses the baseline each host keeps, takes no new one
    rollout = jobs.launch('rollout.yml')
    rollout.assert_successful()
    said = [result.get('msg') for result in rollout.task_results('Say which baselines are reused').values()]
    assert len(said) == 1, (said, rollout.describe())  # printed once for the fleet
    for name in HOSTS:
        expected = '%s: reusing the baseline from %s' % (name, kept[name]['recorded_at'])
        assert expected in said[0], (said, rollout.describe())
        assert expected in rollout.stdout, rollout.describe()
    assert 'sampling a new baseline' not in rollout.stdout, rollout.describe()
    for name, label in zip(HOSTS, labels):
        assert json.loads(host_file(label, HOST_BASELINE)) == kept[name], '%s: the rollout replaced the baseline' % name
        assert host_file(label, DROPIN), '%s: no drop-in after the rollout' % name
    report = check_report(rollout, 'rollout', HOSTS)
    assert report['ok'] is True, report
    # the rollout job's controller state dir holds no baseline copy: it took none
    assert not os.path.exists(os.path.join(rollout.private, 'project', 'netfleet-state', 'baseline')), \
        os.listdir(os.path.join(rollout.private, 'project', 'netfleet-state'))

    # 4. verify, in a job that has never seen the baseline job's directory
    verify = jobs.launch('verify.yml')
    verify.assert_successful()
    report = check_report(verify, 'verify', HOSTS)
    verdicts = dict((name, entry['verdict']) for name, entry in report['hosts'].items())
    assert verdicts == dict((name, 'clean') for name in HOSTS), (report, verify.describe())
    for entry in report['hosts'].values():
        assert entry['passed'] is True and entry['status'] == 'verified', report
    assert report['ok'] is True and report['summary']['passed'] == 2 and report['summary']['failed'] == 0, report
    assert os.path.isfile(os.path.join(verify.private, 'project', 'netfleet-state', 'report.json'))

    # 5. the gate after verify passes; fed a report with a failed host, it fails and names the host
    gate = jobs.launch('gate.yml', {'netfleet_gate_playbook': 'verify'})
    gate.assert_successful()
    bad = copy.deepcopy(report)
    bad['ok'] = bad['summary']['ok'] = False
    bad['hosts'][HOSTS[1]] = {'verdict': 'not_improved', 'passed': False, 'status': 'verified'}
    gate = jobs.launch('gate.yml', {'netfleet_gate_playbook': 'verify', 'netfleet_report': bad}, inherit=False)
    assert gate.status == 'failed' and gate.rc != 0, gate.describe()
    assert '1 host(s) did not pass verify: %s (verified, not_improved)' % HOSTS[1] in gate.stdout, gate.describe()
    # a gate whose upstream published nothing (or another playbook's report) fails too
    gate = jobs.launch('gate.yml', {'netfleet_gate_playbook': 'rollout'}, inherit=False)
    assert gate.status == 'failed', gate.describe()

    # 6. rollback: the drop-in goes, the values saved on the host come back
    rollback = jobs.launch('rollback.yml')
    rollback.assert_successful()
    for name, label in zip(HOSTS, labels):
        assert host_file(label, DROPIN) is None, '%s: drop-in still there after the rollback' % name

    # 7. the workflow's failure edge: a rollout whose canary cannot pass (no traffic can meet this
    # netfleet_min_segments) fails the job, stops before the second host, and still publishes its
    # netfleet_report; the rollback job after it restores the canary
    failed = jobs.launch('rollout.yml', {'netfleet_min_segments': 10 ** 9})
    assert failed.status == 'failed' and failed.rc != 0, failed.describe()
    report = check_report(failed, 'rollout', HOSTS)
    assert report['ok'] is False, report
    assert report['hosts'][HOSTS[0]] == {'verdict': 'insufficient_traffic', 'passed': False, 'status': 'verified'}, report
    assert report['hosts'][HOSTS[1]] == {'verdict': None, 'passed': False, 'status': 'not_reached'}, report
    assert host_file(labels[0], DROPIN) and host_file(labels[1], DROPIN) is None
    rollback_after_failure = jobs.launch('rollback.yml')
    rollback_after_failure.assert_successful()
    assert host_file(labels[0], DROPIN) is None, '%s: drop-in still there after the rollback' % HOSTS[0]

    elapsed = time.time() - started
    sys.stdout.write('\nawx jobs: %s; %.0f s in all\n' % (jobs.timings, elapsed))
    # every playbook publishes netfleet_report (docs/rollout.md); checked last so that a missing one
    # in rollback does not hide the checks above
    check_report(rollback, 'rollback', HOSTS)
    check_report(rollback_after_failure, 'rollback', HOSTS)
    shutil.rmtree(root)
