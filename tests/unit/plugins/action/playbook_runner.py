# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run an action as ansible-playbook runs it (the plugin loader, the action, its argument validation), in a
Python of its own: no ansible-core internals are touched, on every supported ansible-core."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

from ansible_collections.netfleet.tuning.plugins.action import netfleet_state

# The collection's root: the directory that holds ansible_collections/.
COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(netfleet_state.__file__), *(['..'] * 5)))

# ansible-playbook, run by the Python that runs the tests (so that it is the ansible-core under test)
PLAYBOOK_CLI = 'import sys; from ansible.cli.playbook import main; main(["ansible-playbook"] + sys.argv[1:])'


def run_tasks(tmp_path, action, cases):
    """Each case's args to ``action`` (a FQCN), one task each on localhost; -> {case: registered result}."""
    tasks = []
    for number, (name, args) in enumerate(sorted(cases.items())):
        tasks.append({'name': name, action: args, 'register': 'case_%d' % number, 'ignore_errors': True})
    results = ', '.join('%s: case_%d' % (json.dumps(name), number) for number, name in enumerate(sorted(cases)))
    tasks.append({'name': 'Keep the results', 'ansible.builtin.copy': {
        'dest': str(tmp_path / 'results.json'), 'content': '{{ {%s} | to_json }}' % results}})
    playbook = tmp_path / 'playbook.yml'
    playbook.write_text(json.dumps([{'hosts': 'localhost', 'gather_facts': False, 'connection': 'local',
                                     'tasks': tasks}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'),
               ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    proc = subprocess.run([sys.executable, '-c', PLAYBOOK_CLI, '-i', 'localhost,', str(playbook),
                           '-e', 'ansible_python_interpreter=%s' % sys.executable],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env,
                          cwd=str(tmp_path), timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    with open(str(tmp_path / 'results.json')) as handle:
        return json.load(handle)
