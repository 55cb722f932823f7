# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.netfleet.tuning.plugins.action import netfleet_state
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
    netfleet_state._write_atomic(target, b'{}\n', 0o640)
    assert os.listdir(str(tmp_path)) == [name]  # no temporary file left behind
    with open(target, 'rb') as handle:
        assert handle.read() == b'{}\n'


def test_a_name_of_name_max_bytes_is_written(tmp_path):
    # the temporary file next to it must not be longer than the file system allows
    name = 'a' * NAME_MAX
    netfleet_state._check_name(name)
    netfleet_state._write_atomic(os.path.join(str(tmp_path), name), b'x', 0o640)
    assert os.listdir(str(tmp_path)) == [name]


def test_dict_content_is_written_as_json(tmp_path):
    # ansible-core < 2.19 hands the action a dict for a template whose whole result is JSON text
    from ansible_collections.netfleet.tuning.plugins.action import netfleet_state as action
    assert action._content({'b': None, 'a': [1]}) == b'{\n  "a": [\n    1\n  ],\n  "b": null\n}\n'
    assert action._content('text') == b'text'
