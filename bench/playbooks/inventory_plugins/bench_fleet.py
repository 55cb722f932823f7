# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only inventory: a simulated fleet whose hosts already hold their ``__netfleet_record``.

A ``*.bench.json`` file (written by bench/benchlib/controller.py) is
``{"hosts": {name: record}, "gone": [name], "vars": {...}}``: group ``sim`` gets every host with its
record as a plain variable (as a set_fact result holds it: plain data, not trusted as a template),
group ``gone`` the hosts that dropped out of the play. Read with the standard library's json, so that
10,000 records load in seconds (Ansible's own JSON inventory tags every value it reads with its origin,
minutes at this size). Enabled by bench/benchlib/controller_ansible.py only."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

from ansible.plugins.inventory import BaseInventoryPlugin

DOCUMENTATION = '''
    name: bench_fleet
    short_description: the benchmark's simulated fleet
    description: Hosts and their __netfleet_record from a *.bench.json file.
    options: {}
'''


class InventoryModule(BaseInventoryPlugin):
    NAME = 'bench_fleet'

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith('.bench.json')

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        with open(path) as handle:
            data = json.load(handle)
        inventory.add_group('sim')
        inventory.add_group('gone')
        for key, value in (data.get('vars') or {}).items():
            inventory.set_variable('sim', key, value)
        for name, record in data['hosts'].items():
            inventory.add_host(name, group='sim')
            inventory.set_variable(name, '__netfleet_record', record)
        for name in data.get('gone') or []:
            inventory.add_host(name, group='gone')
