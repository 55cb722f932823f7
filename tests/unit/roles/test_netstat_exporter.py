# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netstat_exporter role's program, without Ansible: the module_utils it embeds are exactly what textfile_export
imports, and the program runs alone, with a Python that has no Ansible and a decoy netfleet.tuning on its path."""

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


def render(template, **variables):
    """The role's template as Ansible renders it (trim_blocks, the comment and to_json filters, the file
    lookup)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True)
    env.filters['comment'] = comment
    env.filters['to_json'] = json.dumps

    def lookup(kind, path, rstrip=True):
        assert kind == 'ansible.builtin.file' and rstrip is False
        with open(path) as handle:
            return handle.read()
    env.globals['lookup'] = lookup
    with open(os.path.join(ROLE, 'templates', template)) as handle:
        return env.from_string(handle.read()).render(ansible_managed='Ansible managed: do not edit', **variables)


def install(tmp_path, textfile_dir, state_dir, counters=()):
    """The role's present.yml, by hand: the program, with the module_utils embedded."""
    python = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
    program = tmp_path / 'sbin' / 'netfleet-textfile'
    program.parent.mkdir(parents=True)
    program.write_text(render('netfleet-textfile.py.j2', netstat_exporter_python=python,
                              __netstat_exporter_module_utils=role_vars()['__netstat_exporter_module_utils'],
                              __netstat_exporter_collection_dir=ROOT,
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


def test_the_installed_program_runs_alone_with_its_embedded_module_utils(tmp_path):
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


def test_another_netfleet_tuning_on_the_path_is_never_used(tmp_path):
    # a decoy collection first on sys.path, whose every import fails: the embedded module_utils win
    decoy = tmp_path / 'decoy' / 'ansible_collections'
    (decoy / 'netfleet' / 'tuning' / 'plugins' / 'module_utils').mkdir(parents=True)
    for package in ('', 'netfleet', 'netfleet/tuning', 'netfleet/tuning/plugins', 'netfleet/tuning/plugins/module_utils'):
        (decoy / package / '__init__.py').write_text(u'raise ImportError("the decoy was imported")\n')
    textfile_dir = tmp_path / 'textfile'
    textfile_dir.mkdir()
    program = install(tmp_path, str(textfile_dir), '/var/lib/netfleet-tuning-absent-for-this-test')
    run_it = ('import runpy, sys; sys.path.insert(0, sys.argv[1]); sys.argv = sys.argv[2:]; '
              'runpy.run_path(sys.argv[0], run_name="__main__")')
    python = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
    proc = subprocess.run([python, '-I', '-c', run_it, str(tmp_path / 'decoy'), program, '--stdout', '--proc-path',
                           fake_proc(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert 'netfleet_netstat_TcpExt_PruneCalled ' in proc.stdout


def test_a_traceback_shows_the_embedded_lines(tmp_path):
    program = install(tmp_path, str(tmp_path), '/var/lib/netfleet-tuning-absent-for-this-test')
    # the interpreter's own traceback names the embedded file and line; the traceback module shows the lines
    script = ('import runpy, sys, traceback; sys.argv = [sys.argv[1]]; g = runpy.run_path(sys.argv[0])\n'
              'try:\n    g["textfile_export"].render_textfile(None, 0)\n'
              'except TypeError:\n    sys.stderr.write(traceback.format_exc()); sys.exit(1)\n')
    python = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
    proc = subprocess.run([python, '-I', '-c', script, program], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60, check=False)
    assert proc.returncode == 1
    assert '%s:module_utils/textfile_export.py", line ' % program in proc.stderr
    assert "errors = inputs['errors']" in proc.stderr


def test_the_units_carry_the_header_and_the_settings():
    service = render('netfleet-netstat-exporter.service.j2', __netstat_exporter_program='/usr/local/lib/x/prog',
                     netstat_exporter_textfile_dir='/var/lib/node_exporter')
    assert service.startswith('#\n# Ansible managed: do not edit\n#\n# netfleet.tuning:netstat_exporter\n')
    assert 'ExecStart=/usr/local/lib/x/prog\n' in service
    assert 'ReadWritePaths=-/var/lib/node_exporter\n' in service
    timer = render('netfleet-netstat-exporter.timer.j2', netstat_exporter_interval_seconds=30)
    assert 'OnUnitActiveSec=30s\n' in timer and 'WantedBy=timers.target\n' in timer
