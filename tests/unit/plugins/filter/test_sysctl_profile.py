# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tuning.plugins.filter.sysctl_profile import FilterModule, sysctl_profile_plan


def test_registered():
    assert FilterModule().filters()['sysctl_profile_plan'] is sysctl_profile_plan


def test_plan():
    plan = sysctl_profile_plan('json_api', overrides={'net.core.somaxconn': '8192'}, priority='61')
    assert plan['settings']['net.core.somaxconn'] == '8192'
    assert plan['basename'] == '61-netfleet-tuning.conf'
    assert plan['priority'] == 61


def test_bad_input_raises_filter_error_naming_key_and_rule():
    with pytest.raises(AnsibleFilterError) as info:
        sysctl_profile_plan('json_api', overrides={'net.ipv4.tcp_rmem': '4096 87380 1024'})
    msg = str(info.value)
    assert 'no host was changed' in msg
    assert 'net.ipv4.tcp_rmem' in msg and '(rule: triplet_order)' in msg


def test_string_overrides_refused():
    with pytest.raises(AnsibleFilterError) as info:
        sysctl_profile_plan('json_api', overrides='a=1 b=2')
    assert 'got str' in str(info.value) and 'not_a_dict' in str(info.value)
