# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection on the oldest and the newest ansible-core it supports (needs root for the lab part).

For one ansible-core version: a venv of its own (.cache/venv-core-<version>, made once, with the given
Python), the unit tests, then one short lab run on a netlab fleet of 2 hosts: baseline, rollout (2 s
windows), verify and rollback. Fails when a test fails, a playbook fails, or ansible-core prints a
deprecation warning caused by the collection's own content.

    python3 tests/compat/run_compat.py --core 2.16.19 --python python3.11 --lab nlc16
    python3 tests/compat/run_compat.py --core 2.21.5 --python python3.12 --lab nlc21

Every lab run is bounded (timeouts on each command); the lab is deleted by its name at the end, also
when a step fails. Nothing touches the init namespace's sysctls.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
NETLAB = os.path.join(REPO, 'tools', 'netlab', 'netlab')
COLLECTIONS = os.path.join(REPO, '.cache', 'collections')
# what the unit tests need besides ansible-core (pinned like requirements-dev.txt)
TEST_PACKAGES = ('pytest==8.4.2', 'hypothesis==6.155.2')
PLAYBOOKS = ('baseline', 'rollout', 'verify', 'rollback')
FAST = {'netfleet_hosts': 'netlab_hosts', 'netfleet_sample_seconds': 2, 'netfleet_settle_seconds': 0,
        'netfleet_min_segments': 1, 'netfleet_serial': [1, '100%']}


def log(text):
    sys.stdout.write('compat %s\n' % text)
    sys.stdout.flush()


def run(argv, timeout, **kwargs):
    log('$ %s' % ' '.join(argv))
    # check=False: the callers decide, with the output in the message
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=timeout, check=False, **kwargs)


def find_python(name):
    """pythonX.Y: an installed pyenv version first (pyenv's shims answer only for the active
    versions), else the one on PATH."""
    pyenv = os.path.expanduser('~/.pyenv/versions')
    short = name.replace('python', '')
    if os.path.isdir(pyenv):
        for version in sorted(os.listdir(pyenv), reverse=True):
            candidate = os.path.join(pyenv, version, 'bin', 'python' + short)
            if version.startswith(short + '.') and os.access(candidate, os.X_OK):
                return candidate
    found = shutil.which(name)
    if found and '/shims/' not in found:
        return found
    raise SystemExit('compat: %s not found (under ~/.pyenv/versions or on PATH)' % name)


def make_venv(core, python):
    venv = os.path.join(REPO, '.cache', 'venv-core-%s' % core)
    stamp = os.path.join(venv, '.netfleet-ready')
    if not os.path.exists(stamp):
        shutil.rmtree(venv, ignore_errors=True)
        proc = run([python, '-m', 'venv', venv], 300)
        if proc.returncode != 0:
            raise SystemExit('compat: cannot make a venv with %s:\n%s' % (python, proc.stdout))
        proc = run([os.path.join(venv, 'bin', 'pip'), 'install', '--quiet', 'ansible-core==%s' % core]
                   + list(TEST_PACKAGES), 900)
        if proc.returncode != 0:
            raise SystemExit('compat: pip install failed:\n%s' % proc.stdout[-4000:])
        with open(stamp, 'w') as handle:
            handle.write(core + '\n')
    return venv


def env(venv, workdir):
    out = dict(os.environ)
    out.update({
        'PATH': os.path.join(venv, 'bin') + os.pathsep + out.get('PATH', ''),
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS, 'ANSIBLE_HOST_KEY_CHECKING': 'false', 'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false', 'ANSIBLE_LOCAL_TEMP': os.path.join(workdir, '.ansible-tmp'),
        'ANSIBLE_FORKS': '10', 'LC_ALL': 'C.UTF-8', 'PYTHONPATH': COLLECTIONS,
    })
    # deprecation warnings must be shown to be caught
    out.pop('ANSIBLE_DEPRECATION_WARNINGS', None)
    return out


def unit_tests(venv, workdir):
    proc = run([os.path.join(venv, 'bin', 'python'), '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
                os.path.join(REPO, 'tests', 'unit')], 900, env=env(venv, workdir), cwd=REPO)
    tail = proc.stdout.strip().splitlines()[-1:] or ['(no output)']
    log('unit tests: %s' % tail[0])
    return proc.returncode == 0, proc.stdout


def lab_run(venv, lab, workdir):
    """baseline, rollout, verify, rollback on a fresh 2-host lab; returns (ok, problems, seconds)."""
    problems = []
    timings = {}
    netlab_up = run([NETLAB, 'up', '--name', lab, '--hosts', '2'], 300)
    if netlab_up.returncode != 0:
        return False, ['netlab up failed:\n' + netlab_up.stdout[-3000:]], timings
    inventory = netlab_up.stdout.strip().splitlines()[-1]
    extravars = os.path.join(workdir, 'vars.json')
    with open(extravars, 'w') as handle:
        json.dump(FAST, handle)
    for name in PLAYBOOKS:
        started = time.time()
        proc = run([os.path.join(venv, 'bin', 'ansible-playbook'), '-i', inventory, 'netfleet.tuning.%s' % name,
                    '-e', '@' + extravars], 600, env=env(venv, workdir), cwd=workdir)
        timings[name] = round(time.time() - started, 1)
        with open(os.path.join(workdir, '%s.log' % name), 'w') as handle:
            handle.write(proc.stdout)
        if proc.returncode != 0:
            problems.append('%s exited %d:\n%s' % (name, proc.returncode, proc.stdout[-3000:]))
        deprecations = [line for line in proc.stdout.splitlines() if 'DEPRECATION' in line]
        if deprecations:
            problems.append('%s printed deprecation warnings:\n%s' % (name, '\n'.join(deprecations[:10])))
    report = os.path.join(workdir, 'netfleet-state', 'report.json')
    if os.path.exists(report):
        try:
            with open(report) as handle:
                verdicts = dict((host, entry.get('verdict')) for host, entry in json.load(handle)['hosts'].items())
        except (ValueError, KeyError, AttributeError) as exc:
            problems.append('%s is not the report JSON: %s' % (report, exc))
            return False, problems, timings
        log('verify verdicts: %s' % verdicts)
        if sorted(set(verdicts.values())) != ['clean']:
            problems.append('verify verdicts are not all clean (no load in this run): %s' % verdicts)
    else:
        problems.append('no report.json in %s' % workdir)
    return not problems, problems, timings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--core', required=True, help='ansible-core version, e.g. 2.16.19')
    parser.add_argument('--python', required=True, help='controller Python, e.g. python3.11 or a path')
    parser.add_argument('--lab', required=True, help='netlab lab name for the lab part (deleted at the end)')
    parser.add_argument('--no-lab', action='store_true', help='unit tests only')
    args = parser.parse_args(argv)
    started = time.time()
    python = args.python if os.path.sep in args.python else find_python(args.python)
    venv = make_venv(args.core, python)
    workdir = tempfile.mkdtemp(prefix='netfleet-compat-%s-' % args.core)
    os.chmod(workdir, 0o755)
    ok, output = unit_tests(venv, workdir)
    problems = [] if ok else ['unit tests failed:\n' + output[-6000:]]
    timings = {}
    if not args.no_lab:
        try:
            lab_ok, lab_problems, timings = lab_run(venv, args.lab, workdir)
            problems.extend(lab_problems)
        finally:
            run([NETLAB, 'down', '--name', args.lab], 300)
    log('ansible-core %s on %s: %s in %.0f s (playbooks: %s; logs in %s)' % (
        args.core, python, 'ok' if not problems else 'FAILED', time.time() - started, timings, workdir))
    for problem in problems:
        sys.stdout.write(problem + '\n')
    return 0 if not problems else 1


if __name__ == '__main__':
    sys.exit(main())
