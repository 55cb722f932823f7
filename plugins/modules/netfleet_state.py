#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: netfleet_state
short_description: Write baselines and reports into a state directory on the controller
version_added: 0.1.0
description:
  - Writes text files into a directory on the Ansible controller, for the C(netfleet.tuning) playbooks'
    baselines and fleet reports.
  - Runs entirely in the controller's C(ansible-playbook) process (an action plugin), whatever the task's host.
    Nothing is sent to the managed host and no module is started, so one task per host costs no round trip.
  - Each file is written atomically (a temporary file in the same directory, C(fsync), then a rename), so a
    reader never sees half a file. A file whose content and mode are already right is left alone.
  - Missing directories are created with O(dir_mode).
author:
  - netfleet.tuning contributors (@netfleet)
extends_documentation_fragment:
  - netfleet.tuning.attributes
  - netfleet.tuning.attributes.platform
  - netfleet.tuning.attributes.controller_action
attributes:
  check_mode:
    support: full
    details: Reports what would be written and writes nothing.
  diff_mode:
    support: none
options:
  path:
    description:
      - The directory on the controller. A relative path is relative to the directory C(ansible-playbook)
        runs from; C(~) is expanded (environment variables are not).
    type: str
    required: true
  files:
    description:
      - File name (no C(/), not hidden) to text content. A dict or list is written as JSON (indented,
        sorted keys).
    type: dict
    default: {}
  mode:
    description:
      - Permissions of the files, as an octal string (V('0640')) or an integer (the mode itself, as YAML reads
        an unquoted V(0640)). World-writable modes are refused.
    type: raw
    default: '0640'
  dir_mode:
    description:
      - Permissions of the directories this task creates, as O(mode). Existing directories are left as they are.
    type: raw
    default: '0750'
notes:
  - Only the file names given are touched; other files in the directory stay.
seealso:
  - name: Rollout and verify
    description: The playbooks that use this module.
    link: https://github.com/netfleet/tuning/blob/main/docs/rollout.md
'''

EXAMPLES = r'''
- name: Store this host's baseline on the controller
  netfleet.tuning.netfleet_state:
    path: ./netfleet-state/baseline
    files:
      "{{ inventory_hostname | netfleet.tuning.host_file_name('.json') }}": "{{ baseline | to_nice_json }}"

- name: Write the fleet report once
  netfleet.tuning.netfleet_state:
    path: ./netfleet-state
    files:
      report.json: "{{ report | netfleet.tuning.report_render('json') }}"
      report.md: "{{ report | netfleet.tuning.report_render('markdown') }}"
  run_once: true
'''

RETURN = r'''
path:
  description: The directory, absolute.
  returned: always
  type: str
  sample: /home/sre/netfleet-state
written:
  description: Files written (in check mode, that would be written).
  returned: always
  type: list
  elements: str
  sample: [/home/sre/netfleet-state/report.json]
unchanged:
  description: Files that already had this content and mode.
  returned: always
  type: list
  elements: str
created_dirs:
  description: Directories this task created.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

# The action plugin validates its arguments with this spec. path is a str, not a path: ~ is expanded by the
# action, environment variables are not. The modes are raw: the action reads an integer as the mode itself and
# a string as octal (a str type would turn an unquoted 0640, the integer 416, into the octal text '416').
ARGUMENT_SPEC = dict(
    path=dict(type='str', required=True),
    files=dict(type='dict', default={}),
    mode=dict(type='raw', default='0640'),
    dir_mode=dict(type='raw', default='0750'),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg='netfleet.tuning.netfleet_state runs on the controller through its action plugin; '
                         'it was started as a module on %s instead' % module.params['path'])


if __name__ == '__main__':
    main()
