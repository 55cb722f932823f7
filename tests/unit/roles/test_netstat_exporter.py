# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netstat_exporter role's install, without Ansible: the module_utils it copies are exactly what the program
imports, and the program runs from a tree laid out as the role lays it, with a Python that has no Ansible."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ast
import json
import os
import shutil
import subprocess
import sys

import jinja2
import yaml

from ansible.plugins.filter.core import comment

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLE = os.path.join(ROOT, 'roles', 'netstat_exporter')
MODULE_UTILS = os.path.join(ROOT, 'plugins', 'module_utils')
PREFIX = 'ansible_collections.netfleet.tuning.plugins.module_utils'
FIXTURES = os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'proc', 'linux-6.18')


def role_vars():
    with open(os.path.join(ROLE, 'vars', 'main.yml')) as handle:
        return yaml.safe_load(handle)


def imports_of(name):
    with open(os.path.join(MODULE_UTILS, name + '.py')) as handle:
        tree = ast.parse(handle.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == PREFIX:
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX + '.'):
            found.add(node.module[len(PREFIX) + 1:])
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or '']
            assert not [name for name in names if name.startswith('ansible')], (name, names)
    return found


def test_the_role_copies_exactly_what_the_program_imports():
    closure, todo = set(), ['textfile_export']
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo.extend(imports_of(name))
    assert sorted(role_vars()['__netstat_exporter_module_utils']) == sorted(closure)
    assert role_vars()['__netstat_exporter_packages'][-1] == PREFIX.replace('.', '/')


def render(template, **variables):
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters['comment'] = comment
    env.filters['to_json'] = json.dumps
    with open(os.path.join(ROLE, 'templates', template)) as handle:
        return env.from_string(handle.read()).render(ansible_managed='Ansible managed: do not edit', **variables)


def install(tmp_path, textfile_dir, state_dir, counters=()):
    """The role's present.yml, by hand: the package tree, the module_utils, the program."""
    python_dir = tmp_path / 'lib' / 'python'
    packages = role_vars()['__netstat_exporter_packages']
    for package in packages:
        (python_dir / package).mkdir(parents=True)
        (python_dir / package / '__init__.py').write_text(u'# private copy\n')
    for name in role_vars()['__netstat_exporter_module_utils']:
        shutil.copy(os.path.join(MODULE_UTILS, name + '.py'), str(python_dir / packages[-1] / (name + '.py')))
    python = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
    program = tmp_path / 'lib' / 'netfleet-textfile'
    program.write_text(render('netfleet-textfile.py.j2', netstat_exporter_python=python,
                              __netstat_exporter_python_dir=str(python_dir),
                              netstat_exporter_textfile_dir=textfile_dir, netstat_exporter_state_dir=state_dir,
                              netstat_exporter_dropin_priority=60, netstat_exporter_counters=counters))
    program.chmod(0o755)
    return str(program)


def fake_proc(tmp_path):
    proc = tmp_path / 'proc'
    (proc / 'net').mkdir(parents=True)
    for name in ('netstat', 'snmp', 'snmp6', 'sockstat', 'softnet_stat'):
        shutil.copy(os.path.join(FIXTURES, name), str(proc / 'net' / name))
    return str(proc)


def test_the_installed_program_runs_on_its_private_tree_alone(tmp_path):
    textfile_dir = tmp_path / 'textfile'
    textfile_dir.mkdir()
    program = install(tmp_path, str(textfile_dir), '/var/lib/netfleet-tuning-absent-for-this-test')
    with open(program) as handle:
        head = handle.read().splitlines()[:4]
    # the #! line first (with -I), then the ansible_managed header as comment lines
    assert head[0].endswith(' -I') and head[0].startswith('#!/')
    assert head[1:4] == ['#', '# Ansible managed: do not edit', '#']
    # no PYTHONPATH (-I ignores it anyway), the checkout's collection out of reach
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith('PYTHON'))
    proc = subprocess.run([program, '--proc-path', fake_proc(tmp_path)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, env=env, cwd=str(tmp_path), timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    with open(str(textfile_dir / 'netfleet_netstat.prom')) as handle:
        text = handle.read()
    assert 'netfleet_netstat_TcpExt_PruneCalled ' in text
    assert 'netfleet_netstat_Udp_InDatagrams ' in text
    assert 'netfleet_textfile_errors{input="proc"} 0' in text
    # the role's counters setting: only those, and the metrics' sources
    program = install(tmp_path / 'again', str(textfile_dir), '/var/lib/netfleet-tuning-absent', ['Icmp'])
    proc = subprocess.run([program, '--proc-path', fake_proc(tmp_path / 'again'), '--stdout'], stdout=subprocess.PIPE,
                          universal_newlines=True, env=env, timeout=60, check=False)
    assert 'netfleet_netstat_Icmp_InMsgs ' in proc.stdout and 'netfleet_netstat_Udp_InDatagrams' not in proc.stdout
    assert 'netfleet_netstat_TcpExt_TCPRcvCollapsed ' in proc.stdout
    probe = subprocess.run([program, '--help'], stdout=subprocess.PIPE, universal_newlines=True, env=env,
                           timeout=60, check=False)
    assert probe.returncode == 0 and 'usage: netfleet-textfile' in probe.stdout


def test_the_units_carry_the_header_and_the_settings():
    service = render('netfleet-netstat-exporter.service.j2', __netstat_exporter_program='/usr/local/lib/x/prog',
                     netstat_exporter_textfile_dir='/var/lib/node_exporter')
    assert service.startswith('#\n# Ansible managed: do not edit\n#\n# netfleet.tuning:netstat_exporter\n')
    assert 'ExecStart=/usr/local/lib/x/prog\n' in service
    assert 'ReadWritePaths=-/var/lib/node_exporter\n' in service
    timer = render('netfleet-netstat-exporter.timer.j2', netstat_exporter_interval_seconds=30)
    assert 'OnUnitActiveSec=30s\n' in timer and 'WantedBy=timers.target\n' in timer
