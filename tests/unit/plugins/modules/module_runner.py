# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in the unit tests with the arguments Ansible would hand it, through public ways only.

- ansible-core 2.19 and later: ansible-core's documented test helper
  ``ansible.module_utils.testing.patch_module_args``, in this process.
- Before 2.19 there is no such helper. The module runs in a forked child that reads its arguments from a file
  named on its command line, as a module run by hand does (``python -m <module> args.json``). This process never
  reads module arguments itself, so each child reads its own.

Either way ``exit_json``/``fail_json`` raise ExitJson/FailJson (``patch_module``) and run_main raises them here,
with the warnings recorded. In the child, whatever else the test reads after the run (a fake clock, a list of
calls) is handed back through ``keep``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import pickle
import sys
import tempfile
import traceback

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19: main() runs in a forked child (see _run_forked)
    patch_module_args = None


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


# the list patch_module's warnings go to in the running test (handed back from a forked child)
_recorded = {'warnings': []}


def patch_module(monkeypatch):
    """exit_json/fail_json raise ExitJson/FailJson; warnings are recorded in the returned list. Public
    AnsibleModule methods only, so it works on every ansible-core the collection supports."""
    warnings = []
    _recorded['warnings'] = warnings

    def exit_json(self, **kwargs):
        kwargs.setdefault('changed', False)
        raise ExitJson(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs['failed'] = True
        kwargs['msg'] = msg
        raise FailJson(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, text: warnings.append(text))
    return warnings


def run_main(main, args, keep=()):
    """Run ``main`` (a module's main()) with the module arguments ``args``; raises what it raises (ExitJson or
    FailJson with the result, under patch_module). ``keep``: lists, dicts or objects the test reads after the run,
    whose state a forked child hands back (the recorded warnings always come back)."""
    if patch_module_args is not None:
        with patch_module_args(args):
            main()
        return
    _run_forked(main, args, [_recorded['warnings']] + list(keep))


def _state(thing):
    """What can be handed back of ``thing``: a list's items, a dict's items, an object's picklable attributes."""
    if isinstance(thing, (list, dict)):
        return thing
    state = {}
    for name, value in vars(thing).items():
        try:
            pickle.dumps(value)
        except Exception:  # pylint: disable=broad-except
            continue  # a callback: it stays what the parent has
        state[name] = value
    return state


def _restore(thing, state):
    if isinstance(thing, list):
        thing[:] = state
    elif isinstance(thing, dict):
        thing.clear()
        thing.update(state)
    else:
        vars(thing).update(state)


def _run_forked(main, args, keep):
    with tempfile.NamedTemporaryFile('w', suffix='.json', prefix='module-args-', delete=False) as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run main(), send back what happened, never return into pytest
        os.close(read_end)
        try:
            sys.argv = [sys.argv[0], handle.name]
            try:
                main()
                outcome = ('error', 'main() returned without exit_json or fail_json')
            except (ExitJson, FailJson) as exc:
                outcome = (type(exc).__name__, exc.args[0])
            except BaseException:  # pylint: disable=broad-except
                outcome = ('error', traceback.format_exc())
            message = pickle.dumps((outcome, [_state(thing) for thing in keep]))
        except BaseException:  # pylint: disable=broad-except
            message = pickle.dumps((('error', traceback.format_exc()), None))
        with os.fdopen(write_end, 'wb') as pipe:
            pipe.write(message)
        os._exit(0)
    os.close(write_end)
    try:
        with os.fdopen(read_end, 'rb') as pipe:
            message = pipe.read()
        os.waitpid(pid, 0)
    finally:
        os.unlink(handle.name)
    (kind, value), states = pickle.loads(message)
    for thing, state in zip(keep, states or ()):
        _restore(thing, state)
    if kind == 'ExitJson':
        raise ExitJson(value)
    if kind == 'FailJson':
        raise FailJson(value)
    raise AssertionError('the module failed in its child process:\n%s' % value)
