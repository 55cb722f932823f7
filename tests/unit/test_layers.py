# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layers of docs/architecture.md, checked: who may import what.

module_utils is shipped to every host with each module, so it may import only itself and Ansible's
own module_utils; plugin_utils runs only on the controller and may add module_utils; the plugins
(modules, action, filter) sit on top; nothing in the collection imports tools/ or bench/, and the
imports between module_utils files form no cycle.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PREFIX = 'ansible_collections.netfleet.tuning.plugins.'

# layer -> the collection layers it may import (besides itself)
ALLOWED = {
    'module_utils': set(),
    'plugin_utils': {'module_utils'},
    'doc_fragments': set(),
    'modules': {'module_utils'},
    'action': {'module_utils', 'plugin_utils', 'modules'},  # modules: the ARGUMENT_SPEC of its doc stub
    'filter': {'module_utils', 'plugin_utils'},
}


def _python_files(layer):
    directory = os.path.join(ROOT, 'plugins', layer)
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else ():
        if name.endswith('.py') and name != '__init__.py':
            yield os.path.join(directory, name)


def _imports(path):
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _collection_layer(name):
    """'module_utils' for ansible_collections.netfleet.tuning.plugins.module_utils.x, else None."""
    if not name.startswith(PREFIX):
        return None
    return name[len(PREFIX):].split('.', 1)[0]


@pytest.mark.parametrize('layer', sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer):
    wrong = []
    for path in _python_files(layer):
        for name in _imports(path):
            other = _collection_layer(name)
            if other is not None and other != layer and other not in ALLOWED[layer]:
                wrong.append('%s imports %s' % (os.path.relpath(path, ROOT), name))
            if name.split('.', 1)[0] in ('tools', 'bench', 'benchlib', 'netlab'):
                wrong.append('%s imports %s (development code, not shipped)' % (os.path.relpath(path, ROOT), name))
    assert not wrong, wrong


def test_module_utils_imports_no_controller_code_and_nothing_outside_the_stdlib_and_ansible():
    """What ships to hosts: the standard library, ansible.module_utils and our own module_utils."""
    wrong = []
    for path in _python_files('module_utils'):
        for name in _imports(path):
            top = name.split('.', 1)[0]
            if top == 'ansible' and not name.startswith('ansible.module_utils'):
                wrong.append('%s imports %s (controller-side Ansible)' % (os.path.relpath(path, ROOT), name))
            if top == 'ansible_collections' and _collection_layer(name) != 'module_utils':
                wrong.append('%s imports %s' % (os.path.relpath(path, ROOT), name))
    assert not wrong, wrong


def test_module_utils_imports_form_no_cycle():
    graph = {}
    for path in _python_files('module_utils'):
        name = os.path.basename(path)[:-3]
        graph[name] = set()
        for imported in _imports(path):
            if _collection_layer(imported) == 'module_utils':
                graph[name].add(imported.rsplit('.', 1)[-1])
    done, stack = set(), []

    def visit(node):
        if node in stack:
            raise AssertionError('import cycle: %s' % ' -> '.join(stack[stack.index(node):] + [node]))
        if node in done:
            return
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            visit(other)
        stack.pop()
        done.add(node)

    for node in sorted(graph):
        visit(node)


def test_the_check_would_see_a_wrong_import(tmp_path):
    """The parser finds both import forms (a check that finds nothing proves nothing)."""
    path = tmp_path / 'x.py'
    path.write_text('import ansible_collections.netfleet.tuning.plugins.plugin_utils.verdict\n'
                    'from ansible_collections.netfleet.tuning.plugins.filter.netfleet import FilterModule\n')
    layers = [_collection_layer(name) for name in _imports(str(path))]
    assert layers == ['plugin_utils', 'filter']
