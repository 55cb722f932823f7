# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/scripts/check_argument_specs.py: the real roles agree, and each kind of drift is caught."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, '..', '..', 'scripts', 'check_argument_specs.py')
spec = importlib.util.spec_from_file_location('check_argument_specs', SCRIPT)
cas = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cas)


def make_role(tmp_path, defaults, options):
    role = tmp_path / 'myrole'
    (role / 'defaults').mkdir(parents=True)
    (role / 'meta').mkdir()
    (role / 'defaults' / 'main.yml').write_text(defaults)
    (role / 'meta' / 'argument_specs.yml').write_text('argument_specs:\n  main:\n    options:\n' + options)
    return str(role)


def test_real_roles_agree(capsys):
    assert cas.main([]) == 0
    assert 'agree' in capsys.readouterr().out


def test_agreeing_role(tmp_path):
    role = make_role(tmp_path, 'myrole_a: 1\nmyrole_b: ~\nmyrole_c: []\n',
                     '      myrole_a: {type: int, default: 1, description: x}\n'
                     '      myrole_b: {type: float, description: x}\n'
                     '      myrole_c: {type: list, elements: str, default: [], description: x}\n')
    assert cas.check_role(role) == []


def test_drift_is_caught(tmp_path):
    role = make_role(tmp_path, 'myrole_a: 2\nmyrole_only_default: 1\nmyrole_b: true\nmyrole_l: []\nmyrole_s: x\n',
                     '      myrole_a: {type: int, default: 1, description: x}\n'
                     '      myrole_b: {type: bool, description: x}\n'
                     '      myrole_only_spec: {type: int, default: 1}\n'
                     '      myrole_l: {type: list, default: [], description: x}\n'
                     '      myrole_s: {type: str, default: x, choices: [y], description: x}\n')
    problems = '\n'.join(cas.check_role(role))
    assert 'myrole_a defaults to 2 in defaults/main.yml but 1' in problems
    assert 'myrole_only_default is in defaults/main.yml but not in meta/argument_specs.yml' in problems
    assert 'myrole_only_spec is in meta/argument_specs.yml but not in defaults/main.yml' in problems
    assert 'myrole_only_spec has no description' in problems
    assert 'myrole_b defaults to True but argument_specs gives no default' in problems
    assert 'myrole_l is a list without elements' in problems
    assert "myrole_s default 'x' is not in its choices" in problems


def test_int_vs_bool_default_is_drift(tmp_path):
    role = make_role(tmp_path, 'myrole_a: 1\n', '      myrole_a: {type: bool, default: true, description: x}\n')
    assert cas.check_role(role)
