# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for netfleet.tuning.netfleet_state: write files on the controller, in process.

No module runs and nothing reaches the managed host: the files are written by the worker process
of ansible-playbook (each host's task in parallel), atomically (module_utils.hostfs.replace_file, the
collection's one atomic write: a temporary file in the same directory, fsync, rename), with a fixed
mode, in a directory created with a fixed mode.
The arguments are checked with validate_argument_spec() against the documentation stub's ARGUMENT_SPEC
(plugins/modules/netfleet_state.py), then by the rules below (modes, file names).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible.plugins.action import ActionBase

from ansible_collections.netfleet.tuning.plugins.modules.netfleet_state import ARGUMENT_SPEC
from ansible_collections.netfleet.tuning.plugins.module_utils.hostfs import replace_file
from ansible_collections.netfleet.tuning.plugins.plugin_utils.host_file import NAME_MAX


def _mode(value, name):
    if isinstance(value, int) and not isinstance(value, bool):
        mode = value
    elif isinstance(value, str) and value.isdigit():
        mode = int(value, 8)
    else:
        raise AnsibleActionFail('%s must be an octal string such as "0640", got %r' % (name, value))
    if mode & ~0o777:
        raise AnsibleActionFail('%s must be a permission mode (0000 to 0777), got %r' % (name, value))
    if mode & 0o002:
        raise AnsibleActionFail('%s must not make the files world-writable, got %r' % (name, value))
    return mode


def _check_name(name):
    if (not isinstance(name, str) or not name or name in ('.', '..') or '/' in name or '\0' in name
            or name.startswith('.')):
        raise AnsibleActionFail('files: %r is not a plain file name (no "/", not hidden)' % (name,))
    if len(to_bytes(name, errors='surrogate_then_replace')) > NAME_MAX:
        raise AnsibleActionFail('files: %r is longer than %d bytes' % (name, NAME_MAX))


def _make_dirs(path, dir_mode):
    """Create path and its missing parents with dir_mode; return the directories created."""
    created = []
    missing = []
    current = path
    while current and not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, dir_mode)
        except FileExistsError:
            continue
        os.chmod(directory, dir_mode)  # mkdir's mode is filtered by the umask
        created.append(directory)
    return created


def _same_content(path, data, mode):
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(info.st_mode) or stat.S_IMODE(info.st_mode) != mode:
        return False
    with open(path, 'rb') as handle:
        return handle.read() == data


def _content(value):
    """The bytes of one file. A dict or list is written as JSON: ansible-core before 2.19 turns a template
    whose whole result is JSON text (report_render('json')) back into a dict before the action sees it."""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, indent=2, sort_keys=True) + '\n'
    return to_bytes(to_text(value), errors='surrogate_or_strict')


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        # an unknown or missing option, or files not a dict: AnsibleActionFail naming the option
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        path = args['path']
        if not path:
            raise AnsibleActionFail('path is required: the directory on the controller')
        path = os.path.abspath(os.path.expanduser(path))
        files = args['files'] or {}
        mode = _mode(args['mode'], 'mode')
        dir_mode = _mode(args['dir_mode'], 'dir_mode')
        for name in files:
            _check_name(name)

        written, unchanged = [], []
        try:
            if self._task.check_mode:
                for name in sorted(files):
                    data = _content(files[name])
                    target = os.path.join(path, name)
                    (unchanged if os.path.isdir(path) and _same_content(target, data, mode) else written).append(target)
                result.update(changed=bool(written) or not os.path.isdir(path), path=path, written=written,
                              unchanged=unchanged, created_dirs=[])
                return result
            created = _make_dirs(path, dir_mode)
            for name in sorted(files):
                data = _content(files[name])
                target = os.path.join(path, name)
                if _same_content(target, data, mode):
                    unchanged.append(target)
                    continue
                replace_file(target, data, mode)
                written.append(target)
        except (IOError, OSError) as exc:
            raise AnsibleActionFail('cannot write in %s on the controller: %s' % (path, to_native(exc)))
        result.update(changed=bool(written or created), path=path, written=written, unchanged=unchanged,
                      created_dirs=created)
        return result
