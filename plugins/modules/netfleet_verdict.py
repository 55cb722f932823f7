#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: netfleet_verdict
short_description: Keep a host's last verify verdict in its own state directory
version_added: 0.1.0
description:
  - The C(netfleet.tuning) verify playbook (and rollout's verify step) judges each host on the controller.
    This module writes the outcome on the host, in C(<state_dir>/verdict.json), beside the baseline
    record the host keeps, so that what runs on the host finds it without the controller (the
    C(netfleet.tuning.netstat_exporter) role's program exports it as C(netfleet_verdict{verdict="..."})).
  - The file holds the verdict's name, whether it passed, when the verify window ended, the host's
    inventory name and the verdict's message (one line, at most 1024 characters). It is written
    atomically, mode 0600, never through a link; the state directory (mode 0700 when created here) and
    its parents must be owned by root and not writable by group or others.
  - Every reader checks the file entry by entry, as any state file of the collection (a file that
    fails a rule is reported as absent, never used).
  - O(state=absent) removes the file (for a host whose tuning was rolled back, so that its last verdict no
    longer speaks for it).
author:
  - netfleet.tuning contributors (@netfleet)
extends_documentation_fragment:
  - netfleet.tuning.attributes
  - netfleet.tuning.attributes.platform
attributes:
  check_mode:
    support: full
    details: Reports whether the file would change; writes nothing.
  diff_mode:
    support: none
options:
  state:
    description:
      - V(present) keeps the verdict; V(absent) removes the kept verdict (the other options but O(state_dir)
        are then not used).
    type: str
    choices: [present, absent]
    default: present
  verdict:
    description:
      - The verdict's name, as the C(netfleet.tuning.verify_judgement) filter gives it.
      - Required with O(state=present).
    type: str
    choices: [reset, insufficient_traffic, regressed, clean, improved, not_improved]
  passed:
    description:
      - Whether the verdict passes. Must agree with O(verdict) (only V(improved) and V(clean) pass).
      - Required with O(state=present).
    type: bool
  recorded_at:
    description:
      - When the verify window ended, as ISO-8601 UTC such as C(2026-01-15T10:01:00.456Z) (the verify
        record's C(recorded_at)). Defaults to now on the host.
    type: str
  verdict_message:
    description:
      - The verdict's message (kept as C(message)). Kept as one line (control characters become spaces) of at most 1024
        characters, cut with an ellipsis.
    type: str
    default: ''
  host:
    description:
      - The host's inventory name, recorded in the file.
    type: str
  state_dir:
    description:
      - The host's own state directory (shared with the C(netfleet.tuning.sysctl_profile) role and the
        baseline record).
      - An absolute path outside C(/proc), C(/sys) and C(/dev).
    type: path
    default: /var/lib/netfleet-tuning
notes:
  - Run as root (C(become)), the state directory is root's.
seealso:
  - module: netfleet.tuning.netfleet_window
  - name: netfleet.tuning reference
    description: The state directory, the verdicts and the textfile series.
    link: https://github.com/netfleet/tuning/blob/main/docs/reference.md
'''

EXAMPLES = r'''
- name: Keep the verdict on the host
  netfleet.tuning.netfleet_verdict:
    verdict: "{{ judged.verdict }}"
    passed: "{{ judged.passed }}"
    verdict_message: "{{ judged.message }}"
    recorded_at: "{{ window_end.record.recorded_at }}"
    host: "{{ inventory_hostname }}"

- name: Forget the verdict of a host that was rolled back
  netfleet.tuning.netfleet_verdict:
    state: absent
'''

RETURN = r'''
verdict:
  description:
    - The verdict as kept (or as it would be kept, in check mode).
  returned: O(state=present)
  type: dict
  sample: {"schema": "netfleet.tuning/verdict/1", "verdict": "improved", "passed": true,
           "recorded_at": "2026-01-15T10:01:00.456Z", "host": "web1",
           "message": "prune_called fell 98.2% per million InSegs (333.3 -> 6.0)"}
stored:
  description: The file written, C(null) when nothing was written (check mode, or the same verdict was there).
  returned: O(state=present)
  type: str
  sample: /var/lib/netfleet-tuning/verdict.json
removed:
  description: The file removed (or that would be, in check mode), C(null) when there was none.
  returned: O(state=absent)
  type: str
  sample: /var/lib/netfleet-tuning/verdict.json
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.netfleet.tuning.plugins.module_utils import hostfs
from ansible_collections.netfleet.tuning.plugins.module_utils import host_verdict
from ansible_collections.netfleet.tuning.plugins.module_utils import records
from ansible_collections.netfleet.tuning.plugins.module_utils.procread import iso_now
from ansible_collections.netfleet.tuning.plugins.module_utils.profiles import ProfileError, check_state_dir
from ansible_collections.netfleet.tuning.plugins.module_utils.state_store import StateStore

# StateStore needs the drop-in directory only to read the role's own state file, never read here.
DROPIN_DIR = '/etc/sysctl.d'
# Where the state trust checks start (unit tests move it to their temporary directory).
TRUST_ANCHOR = '/'
# What the read of an existing verdict file may refuse while the write still replaces it.
REPLACEABLE = ('too_large', 'not_text', 'owner', 'mode')


def forget(module, store):
    """state=absent: remove the kept verdict (a link or a directory there is refused, left as it is)."""
    path = os.path.join(store.dir, host_verdict.VERDICT_FILE)
    if not store.check() or not os.path.lexists(path):
        return {'changed': False, 'removed': None}
    if module.check_mode:
        return {'changed': True, 'removed': path}
    return {'changed': hostfs.remove(path, 'verdict file'), 'removed': path}


def keep(module):
    params = module.params
    check_state_dir(params['state_dir'], 'state_dir')
    store = StateStore(params['state_dir'], DROPIN_DIR, anchor=TRUST_ANCHOR)
    if params['state'] == 'absent':
        return forget(module, store)
    record = host_verdict.build_verdict(params['verdict'], params['passed'], params['recorded_at'] or iso_now(),
                                        params['verdict_message'], params['host'])
    text = host_verdict.encode_verdict(record)
    try:
        # the same text already there: nothing to write (a file that breaks a rule is simply replaced)
        same = store.read_file(host_verdict.VERDICT_FILE, 'verdict file', host_verdict.MAX_VERDICT_BYTES) == text
    except hostfs.UnsafePathError as exc:
        # a file that is not what we write (too large, not text, not root's 0600 alone) is replaced; a link or
        # a directory there is refused (write_file would refuse it too)
        if exc.rule not in REPLACEABLE:
            raise
        same = False
    result = {'changed': not same, 'verdict': record, 'stored': None}
    if not same and not module.check_mode:
        result['stored'] = store.write_file(host_verdict.VERDICT_FILE, text, 'verdict file')
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', default='present', choices=['present', 'absent']),
            verdict=dict(type='str', choices=list(host_verdict.VERDICTS)),
            passed=dict(type='bool'),
            recorded_at=dict(type='str'),
            verdict_message=dict(type='str', default=''),
            host=dict(type='str'),
            state_dir=dict(type='path', default='/var/lib/netfleet-tuning'),
        ),
        required_if=[('state', 'present', ('verdict', 'passed'))],
        supports_check_mode=True,
    )
    try:
        result = keep(module)
    except ProfileError as exc:
        module.fail_json(msg=to_native(exc), rule=exc.rules[0])
    except records.RecordError as exc:
        module.fail_json(msg=to_native(exc), rule=exc.rule, entry=exc.entry)
    except hostfs.UnsafePathError as exc:
        module.fail_json(msg=to_native(exc), rule=exc.rule)
    except hostfs.FileOpError as exc:
        module.fail_json(msg=to_native(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
