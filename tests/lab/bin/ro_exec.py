#!/usr/bin/python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ro_exec.py DIR -- ARGV...: bind DIR read-only over itself, then exec ARGV.

Run it inside `unshare --mount --propagation private` (the test does): the read-only mount exists
only in that private mount namespace and disappears with the process. argv lists only, no shell.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import subprocess
import sys


def main(argv):
    if len(argv) < 3 or argv[1] != '--':
        sys.stderr.write('usage: ro_exec.py DIR -- ARGV...\n')
        return 2
    target = argv[0]
    subprocess.check_call(['mount', '--bind', target, target])
    subprocess.check_call(['mount', '-o', 'remount,bind,ro', target, target])
    os.execvp(argv[2], argv[2:])
    return 127


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
