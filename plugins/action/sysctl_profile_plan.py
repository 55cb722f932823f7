# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for netfleet.tuning.sysctl_profile_plan: validate the role's inputs on the controller.

No module runs and nothing reaches the managed host. Bad input is a task failure whose message is
only the bad inputs and their rules (a filter or lookup would wrap it in a templating error).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.netfleet.tuning.plugins.module_utils.profiles import ProfileError, build_plan
from ansible_collections.netfleet.tuning.plugins.modules.sysctl_profile_plan import ARGUMENT_SPEC, VALUE_OPTIONS


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        result['changed'] = False
        try:
            dummy_validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        except AnsibleActionFail as exc:
            # the message alone, as for the profile rules below
            result.update(failed=True, msg=to_text(exc.message))
            return result
        names = dict((option, args['variable_names'].get(option) or option) for option in VALUE_OPTIONS)
        try:
            plan = build_plan(name=args['profile'], overrides=args['overrides'], custom=args['custom'],
                              link_mbit=args['link_mbit'], rtt_ms=args['rtt_ms'], priority=args['priority'],
                              state=args['state'], unsettable=args['unsettable'], force=args['force'],
                              state_dir=args['state_dir'], names=names, over_budget=args['over_budget'],
                              congestion_control=args['congestion_control'], default_qdisc=args['default_qdisc'])
        except ProfileError as exc:
            result.update(failed=True, rules=exc.rules, msg='invalid input, no host was changed: %s' % exc)
            return result
        result.update(plan, header=args['header'])
        result['msg'] = ('%s: %d key(s) valid' % (plan['profile'], len(plan['settings'])) if plan['state'] == 'present'
                         else 'absent: nothing to validate but the options')
        return result
