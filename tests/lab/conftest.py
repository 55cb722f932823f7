# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the reliability suite (issue 6): one netlab lab (``nlr``) for the whole session.

The suite needs root (netlab makes network namespaces). The lab is brought up once per session
and deleted by name in the finalizer, also when a test fails. Helpers live in labkit.py.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest

from labkit import HOSTS, LAB, lab_up


def pytest_configure(config):
    config.addinivalue_line('markers', 'load: runs `netlab load` (the machine-wide load lock): run last')


def pytest_collection_modifyitems(session, config, items):
    """The tests that run a JSON load come last (a stable sort): `make test` runs the other checks beside
    this suite, and by the time the loads start they are done, so two cores are the load's alone."""
    items.sort(key=lambda item: item.get_closest_marker('load') is not None)


@pytest.fixture(scope='session')
def lab():
    if os.geteuid() != 0:
        pytest.skip('the lab suite needs root (netlab creates network namespaces)')
    with lab_up(LAB, HOSTS) as the_lab:
        the_lab.record_pristine()
        yield the_lab


@pytest.fixture
def clean_lab(lab):
    """A lab whose hosts are back to what `up` made: no drop-in, no saved state, the live values of `up`."""
    lab.clean_all()
    return lab
