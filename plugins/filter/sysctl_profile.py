# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the sysctl_profile role: thin wrappers over module_utils/profiles.py."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tuning.plugins.module_utils.profiles import ProfileError, build_plan


def sysctl_profile_plan(name, overrides=None, custom=None, link_mbit=None, rtt_ms=None, priority=60,
                        state='present', unsettable='skip', force=None, state_dir=None):
    """Merge and validate the role's inputs; see profiles.build_plan. Raises AnsibleFilterError
    naming every bad key or option and its rule."""
    try:
        return build_plan(name=name, overrides=overrides, custom=custom, link_mbit=link_mbit, rtt_ms=rtt_ms,
                          priority=priority, state=state, unsettable=unsettable, force=force,
                          state_dir=state_dir)
    except ProfileError as exc:
        raise AnsibleFilterError('sysctl_profile: invalid input, no host was changed: %s' % exc)


class FilterModule(object):
    """netfleet.tuning sysctl_profile filters."""

    def filters(self):
        return {'sysctl_profile_plan': sysctl_profile_plan}
