#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: sysctl_profile_plan
short_description: Merge and validate the sysctl_profile role's inputs on the controller
version_added: 0.1.0
description:
  - The validation step of the C(netfleet.tuning.sysctl_profile) role. Merges a profile with key by key
    overrides (or takes a whole custom profile), validates every key, value and option, and returns the
    plan that M(netfleet.tuning.sysctl_dropin) applies.
  - Runs entirely in the controller's C(ansible-playbook) process (an action plugin). Nothing is sent to
    the managed host and no module is started.
  - Bad input fails the task with one message listing every bad input and the rule it breaks (key_pattern,
    boolean, injection, not_integer, arity, triplet_order, range, negative, choice, tcp_feature_off,
    not_a_name, unknown_qdisc, unknown_profile, not_a_dict, empty_profile, priority, bdp_input, absolute_path,
    virtual_fs). Each input is named as O(variable_names) says, so the role's users read the variable they set.
  - Every value option is taken as given (type C(raw)) and checked by the collection's profile rules,
    so that, for example, a string C("a=1 b=2") is refused as O(overrides) instead of being read as a dict.
author:
  - netfleet.tuning contributors (@netfleet)
extends_documentation_fragment:
  - netfleet.tuning.attributes
  - netfleet.tuning.attributes.platform
  - netfleet.tuning.attributes.controller_action
  - netfleet.tuning.variable_names
attributes:
  check_mode:
    support: full
    details: Validates and returns the plan as in a normal run; it never changes anything.
  diff_mode:
    support: none
options:
  profile:
    description: The profile, V(json_api), V(json_api_heavy), V(bdp) (sized from O(link_mbit) and O(rtt_ms)) or V(custom) (O(custom) as a whole).
    type: raw
    default: json_api
  overrides:
    description:
      - Sysctl key to value, applied over the profile key by key; a null value removes the key.
      - A value is an integer, a string of whitespace-separated integers or a list of integers;
        C(net.ipv4.tcp_congestion_control) and C(net.core.default_qdisc) take one name instead (see O(congestion_control)
        and O(default_qdisc)).
    type: raw
    default: {}
  custom:
    description: The whole profile (sysctl key to value) when O(profile=custom).
    type: raw
    default: {}
  link_mbit:
    description: Link speed in Mbit/s for the V(bdp) profile (greater than 0, at most 1600000).
    type: raw
  rtt_ms:
    description: Round trip time in milliseconds for the V(bdp) profile (greater than 0, at most 10000).
    type: raw
  priority:
    description: The drop-in's number, 0 to 99.
    type: raw
    default: 60
  state:
    description: V(present), or V(absent) (then no profile is read or checked).
    type: raw
    default: present
  unsettable:
    description: V(skip) or V(fail), passed on to M(netfleet.tuning.sysctl_dropin).
    type: raw
    default: skip
  over_budget:
    description: V(warn) or V(fail), passed on to M(netfleet.tuning.sysctl_dropin) (its memory budget).
    type: raw
    default: warn
  force:
    description: Rules to override, a list of V(memory) and V(tcp_feature_off).
    type: raw
    default: []
  state_dir:
    description: The hosts' state directory; checked when given (absolute, outside C(/proc), C(/sys) and C(/dev)).
    type: raw
  congestion_control:
    description:
      - Adds C(net.ipv4.tcp_congestion_control) with this algorithm (for example V(bbr)) to whichever profile is used;
        null adds nothing. An O(overrides) entry for the same key wins.
      - One name of C(a-z), C(0-9) and C(_), 1-15 characters (rule C(not_a_name)); whether a host may set it is
        checked on the host by M(netfleet.tuning.sysctl_dropin) (rule C(not_available)).
    type: raw
  default_qdisc:
    description:
      - Adds C(net.core.default_qdisc) with this qdisc to whichever profile is used; null adds nothing. An
        O(overrides) entry for the same key wins.
      - One of V(pfifo_fast), V(fq), V(fq_codel), V(fq_pie), V(cake), V(sfq) (rule C(unknown_qdisc); not a name at all
        - rule C(not_a_name)). Host scope - skipped in a child network namespace.
    type: raw
  header:
    description: The drop-in's header text (the role passes its rendered C(ansible_managed) header), returned as RV(header).
    type: str
    default: ''
  variable_names:
    # one per name in VALUE_OPTIONS (description, type and default: the netfleet.tuning.variable_names fragment)
    suboptions:
      profile: {description: Name of O(profile)., type: str}
      overrides: {description: Name of O(overrides)., type: str}
      custom: {description: Name of O(custom)., type: str}
      link_mbit: {description: Name of O(link_mbit)., type: str}
      rtt_ms: {description: Name of O(rtt_ms)., type: str}
      priority: {description: Name of O(priority)., type: str}
      state: {description: Name of O(state)., type: str}
      unsettable: {description: Name of O(unsettable)., type: str}
      over_budget: {description: Name of O(over_budget)., type: str}
      force: {description: Name of O(force)., type: str}
      state_dir: {description: Name of O(state_dir)., type: str}
      congestion_control: {description: Name of O(congestion_control)., type: str}
      default_qdisc: {description: Name of O(default_qdisc)., type: str}
notes:
  - The same rules run again on each host in M(netfleet.tuning.sysctl_dropin), with those that depend on
    the host (the memory guardrail, the kernel release, the key's scope).
seealso:
  - module: netfleet.tuning.sysctl_dropin
'''

EXAMPLES = r'''
- name: Validate on the controller; every host must pass before any host changes
  netfleet.tuning.sysctl_profile_plan:
    profile: json_api
    overrides:
      net.core.somaxconn: 8192
    variable_names:
      overrides: sysctl_profile_overrides
  register: plan
  any_errors_fatal: true

- name: Apply the plan
  netfleet.tuning.sysctl_dropin:
    profile: "{{ plan.profile }}"
    settings: "{{ plan.settings }}"
    comments: "{{ plan.comments }}"
    priority: "{{ plan.priority }}"
'''

RETURN = r'''
msg:
  description: What was validated, or every bad input with its rule (then the task failed).
  returned: always
  type: str
  sample: "invalid input, no host was changed: sysctl_profile_overrides: net.ipv4.tcp_rmem: needs 3 integers,
    got 2 in '4096 87380' (rule: arity)"
rules:
  description: The rules the input broke, one per problem.
  returned: failure
  type: list
  elements: str
  sample: [arity]
profile:
  description: The profile name (null with O(state=absent)).
  returned: success
  type: str
  sample: json_api
state:
  description: V(present) or V(absent).
  returned: success
  type: str
priority:
  description: The drop-in's number.
  returned: success
  type: int
  sample: 60
basename:
  description: The drop-in's file name.
  returned: success
  type: str
  sample: 60-netfleet-tuning.conf
unsettable:
  description: V(skip) or V(fail).
  returned: success
  type: str
over_budget:
  description: V(warn) or V(fail).
  returned: success
  type: str
force:
  description: The rules to override, sorted.
  returned: success
  type: list
  elements: str
settings:
  description: Sysctl key to its normalised value (integers separated by one space, or one name), sorted by key.
  returned: success
  type: dict
  sample: {net.core.somaxconn: "8192", net.ipv4.tcp_rmem: "4096 87380 16777216"}
comments:
  description: Sysctl key to the reason it is set (with the input it came from, if not the profile).
  returned: success
  type: dict
notes:
  description: Header comment lines (the bdp arithmetic).
  returned: success
  type: list
  elements: str
fit_to_memory:
  description: Keys a host may lower to its memory guardrail (the ones the bdp profile sized).
  returned: success
  type: list
  elements: str
header:
  description: O(header), as given.
  returned: success
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

# The inputs that profiles.build_plan checks (and O(variable_names) can rename).
VALUE_OPTIONS = ('profile', 'overrides', 'custom', 'link_mbit', 'rtt_ms', 'priority', 'state', 'unsettable',
                 'over_budget', 'force', 'state_dir', 'congestion_control', 'default_qdisc')

# The action plugin validates its arguments with this spec. Value options are raw: the profile rules check
# them, so that a message names what the user typed and "a=1 b=2" is not turned into a dict.
ARGUMENT_SPEC = dict(
    profile=dict(type='raw', default='json_api'),
    overrides=dict(type='raw', default={}),
    custom=dict(type='raw', default={}),
    link_mbit=dict(type='raw'),
    rtt_ms=dict(type='raw'),
    priority=dict(type='raw', default=60),
    state=dict(type='raw', default='present'),
    unsettable=dict(type='raw', default='skip'),
    over_budget=dict(type='raw', default='warn'),
    force=dict(type='raw', default=[]),
    state_dir=dict(type='raw'),
    congestion_control=dict(type='raw'),
    default_qdisc=dict(type='raw'),
    header=dict(type='str', default=''),
    variable_names=dict(type='dict', default={}, options=dict((name, dict(type='str')) for name in VALUE_OPTIONS)),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg='netfleet.tuning.sysctl_profile_plan runs on the controller through its action plugin; '
                         'it was started as a module instead')


if __name__ == '__main__':
    main()
