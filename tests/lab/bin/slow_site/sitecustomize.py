# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loaded by ../slow_sysctl_python only: each read of /proc/sys/net/ipv4/tcp_rmem sleeps first, until
the process writes to /proc/sys for the first time (only the planning is slowed, not the acting)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import sys
import time

_DELAY = float(os.environ.get('NETFLEET_LAB_SLOW_SECONDS', '0.25'))
_WATCHED = '/proc/sys/net/ipv4/tcp_rmem'
_WROTE = []


def _slow_reads(event, args):
    if event != 'open' or len(args) < 3 or _WROTE or not isinstance(args[0], str):
        return
    mode, flags = args[1], args[2]
    if isinstance(mode, str):
        reading = 'r' in mode and '+' not in mode
    else:
        reading = isinstance(flags, int) and flags & 3 == os.O_RDONLY
    if not reading and args[0].startswith('/proc/sys/'):
        _WROTE.append(args[0])
    elif reading and args[0] == _WATCHED:
        time.sleep(_DELAY)


sys.addaudithook(_slow_reads)
