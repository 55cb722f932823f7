# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/netlab is a directory of scripts, not a package: put it on sys.path for its unit tests."""

import os
import sys

NETLAB_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

if NETLAB_DIR not in sys.path:
    sys.path.insert(0, NETLAB_DIR)
