# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: the wall time of every task, from its start to the next task's start (or the
end of the run), as the controller's main process sees it. Writes a JSON list to $BENCH_TASKS_OUT:
``[{"play": str, "task": str, "seconds": float}]``. Enabled by bench/benchlib/controller_ansible.py only."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
    name: bench_tasks
    type: aggregate
    short_description: wall time per task, for the benchmark
    description: Writes the wall time of every task to the file named by BENCH_TASKS_OUT.
    requirements: [enabled in callbacks_enabled]
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_tasks'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._play = None
        self._current = None
        self._tasks = []

    def _close(self):
        if self._current is not None:
            play, name, start = self._current
            self._tasks.append({'play': play, 'task': name, 'seconds': round(time.monotonic() - start, 4)})
            self._current = None

    def v2_playbook_on_play_start(self, play):
        self._close()
        self._play = play.get_name()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self._current = (self._play, task.get_name(), time.monotonic())

    def v2_playbook_on_stats(self, stats):
        self._close()
        path = os.environ.get('BENCH_TASKS_OUT')
        if path:
            with open(path, 'w') as handle:
                json.dump(self._tasks, handle, indent=1)
