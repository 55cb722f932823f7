# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check that each role's defaults/main.yml and meta/argument_specs.yml agree.

For every role under roles/ (or the role directories given as arguments):
  * every variable in defaults/main.yml is an option of the `main` entry point, and back;
  * each option has a description and a type, list options have `elements`;
  * an option's `default` equals the value in defaults/main.yml (an option without a default
    must have a null default value);
  * every public variable starts with the role name (role-prefixed).
Exit status 0 when all agree, 1 with one line per problem otherwise.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import sys

import yaml

MISSING = object()


def load(path):
    with open(path) as handle:
        return yaml.safe_load(handle) or {}


def check_role(role_dir):
    name = os.path.basename(os.path.normpath(role_dir))
    problems = []
    defaults_path = os.path.join(role_dir, 'defaults', 'main.yml')
    specs_path = os.path.join(role_dir, 'meta', 'argument_specs.yml')
    if not os.path.exists(specs_path):
        return ['%s: no meta/argument_specs.yml' % name]
    defaults = load(defaults_path) if os.path.exists(defaults_path) else {}
    specs = load(specs_path).get('argument_specs', {})
    options = (specs.get('main') or {}).get('options') or {}
    if not options:
        problems.append('%s: argument_specs has no main entry point options' % name)
    for var in sorted(set(defaults) - set(options)):
        problems.append('%s: %s is in defaults/main.yml but not in meta/argument_specs.yml' % (name, var))
    for var in sorted(set(options) - set(defaults)):
        problems.append('%s: %s is in meta/argument_specs.yml but not in defaults/main.yml' % (name, var))
    for var in sorted(options):
        spec = options[var] or {}
        if not var.startswith(name + '_'):
            problems.append('%s: %s is not prefixed with the role name' % (name, var))
        if not spec.get('description'):
            problems.append('%s: %s has no description' % (name, var))
        if not spec.get('type'):
            problems.append('%s: %s has no type' % (name, var))
        if spec.get('type') == 'list' and not spec.get('elements'):
            problems.append('%s: %s is a list without elements' % (name, var))
        if var in defaults:
            default = spec.get('default', MISSING)
            value = defaults[var]
            if default is MISSING:
                if value is not None:
                    problems.append('%s: %s defaults to %r but argument_specs gives no default' % (name, var, value))
            elif default != value or type(default) is not type(value):
                problems.append('%s: %s defaults to %r in defaults/main.yml but %r in argument_specs' % (
                    name, var, value, default))
            choices = spec.get('choices')
            if choices and value is not None:
                values = value if isinstance(value, list) else [value]
                for item in values:
                    if item not in choices:
                        problems.append('%s: %s default %r is not in its choices %r' % (name, var, item, choices))
    return problems


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    roles_root = os.path.join(here, '..', '..', 'roles')
    role_dirs = argv or sorted(os.path.join(roles_root, d) for d in os.listdir(roles_root)
                               if os.path.isdir(os.path.join(roles_root, d)))
    problems = []
    for role_dir in role_dirs:
        problems.extend(check_role(role_dir))
    for line in problems:
        print(line)
    if not problems:
        print('argument_specs: %d role(s) agree with their defaults' % len(role_dirs))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
