# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import stat

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.netfleet.tuning.plugins.action import netfleet_state
from ansible_collections.netfleet.tuning.plugins.module_utils.hostfs import replace_file
from ansible_collections.netfleet.tuning.tests.unit.plugins.action import playbook_runner
from ansible_collections.netfleet.tuning.plugins.plugin_utils.host_file import NAME_MAX, host_file_name


@pytest.mark.parametrize('name', ['', '.', '..', '.hidden', 'a/b', 'a\0b', 'x' * (NAME_MAX + 1), '\u00e9' * 128])
def test_check_name_refuses(name):
    with pytest.raises(AnsibleActionFail):
        netfleet_state._check_name(name)


@pytest.mark.parametrize('host', ['web<1>', 'web_1_', '..', '.hidden', 'a/b', 'web\r1', 'x' * 1000, '\u00e9' * 300])
def test_host_file_names_are_accepted_and_written(tmp_path, host):
    name = host_file_name(host, '.json')
    netfleet_state._check_name(name)
    target = os.path.join(str(tmp_path), name)
    replace_file(target, b'{}\n', 0o640)
    assert os.listdir(str(tmp_path)) == [name]  # no temporary file left behind
    with open(target, 'rb') as handle:
        assert handle.read() == b'{}\n'


def test_a_name_of_name_max_bytes_is_written(tmp_path):
    # the temporary file next to it must not be longer than the file system allows
    name = 'a' * NAME_MAX
    netfleet_state._check_name(name)
    replace_file(os.path.join(str(tmp_path), name), b'x', 0o640)
    assert os.listdir(str(tmp_path)) == [name]


def test_dict_content_is_written_as_json(tmp_path):
    # ansible-core < 2.19 hands the action a dict for a template whose whole result is JSON text
    from ansible_collections.netfleet.tuning.plugins.action import netfleet_state as action
    assert action._content({'b': None, 'a': [1]}) == b'{\n  "a": [\n    1\n  ],\n  "b": null\n}\n'
    assert action._content('text') == b'text'


def run_tasks(tmp_path, cases):
    """Each case's args to netfleet.tuning.netfleet_state, run as ansible-playbook runs them."""
    return playbook_runner.run_tasks(tmp_path, 'netfleet.tuning.netfleet_state', cases)


def test_arguments_are_validated_before_anything_is_written(tmp_path):
    target = str(tmp_path / 'state')
    cases = {
        'unknown_option': {'path': target, 'files': {'a.json': 'x'}, 'bogus': 1},
        'no_path': {'files': {'a.json': 'x'}},
        'empty_path': {'path': '', 'files': {'a.json': 'x'}},
        'files_not_a_dict': {'path': target, 'files': ['a.json']},
        'world_writable': {'path': target, 'files': {'a.json': 'x'}, 'mode': '0666'},
        'mode_not_octal': {'path': target, 'files': {'a.json': 'x'}, 'dir_mode': 'rwx'},
        'not_a_file_name': {'path': target, 'files': {'a/b.json': 'x'}},
    }
    results = run_tasks(tmp_path, cases)
    messages = dict((name, result.get('msg', '')) for name, result in results.items())
    assert all(result.get('failed') for result in results.values()), results
    # ansible-core names the action by what the plugin loader set (the FQCN or the Python module's path)
    assert re.match(r'Unsupported parameters for \(.*netfleet_state\) module: bogus\. '
                    r'Supported parameters include: dir_mode, files, mode, path', messages['unknown_option'])
    assert 'missing required arguments: path' in messages['no_path']
    assert messages['empty_path'] == 'path is required: the directory on the controller'
    assert "argument 'files' is of type" in messages['files_not_a_dict']
    assert messages['world_writable'] == "mode must not make the files world-writable, got '0666'"
    assert messages['mode_not_octal'] == "dir_mode must be an octal string such as \"0640\", got 'rwx'"
    assert messages['not_a_file_name'] == "files: 'a/b.json' is not a plain file name (no \"/\", not hidden)"
    assert not os.path.exists(target)


def test_defaults_and_an_integer_mode(tmp_path):
    target = tmp_path / 'state'
    results = run_tasks(tmp_path, {
        'defaults': {'path': str(target / 'a'), 'files': {'r.json': {'b': 1}}},
        # an unquoted YAML 0640 is the integer 416: the mode itself, never the octal text '416'
        'integer_mode': {'path': str(target / 'b'), 'files': {'r.txt': 'text'}, 'mode': 0o640, 'dir_mode': 0o700},
    })
    assert results['defaults']['changed'] is True and results['defaults']['written'] == [str(target / 'a' / 'r.json')]
    assert stat.S_IMODE(os.stat(str(target / 'a' / 'r.json')).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(str(target / 'a')).st_mode) == 0o750
    with open(str(target / 'a' / 'r.json')) as handle:
        assert json.load(handle) == {'b': 1}
    assert stat.S_IMODE(os.stat(str(target / 'b' / 'r.txt')).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(str(target / 'b')).st_mode) == 0o700
