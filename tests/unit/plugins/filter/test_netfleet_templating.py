# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report filters called the way a playbook calls them: through Ansible's own templating (its lazy
containers and trust tags, ansible-core 2.19+), in a Python of their own (the collection loader must
be set up before anything imports the collection)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.netfleet.tuning.plugins.filter import netfleet

pytest.importorskip('ansible.template', reason='ansible-core')
try:
    from ansible.template import trust_as_template  # noqa: F401 pylint: disable=unused-import
except ImportError:
    pytest.skip('no lazy containers or trust tags before ansible-core 2.19', allow_module_level=True)

# the directory that holds ansible_collections/
ROOT = os.path.abspath(os.path.join(os.path.dirname(netfleet.__file__), *(['..'] * 5)))

SCRIPT = r'''
import json, sys
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader()
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
records = json.loads(sys.argv[1])
records['h-trusted']['error'] = trust_as_template('{{ 40 + 2 }} units')
templar = Templar(loader=DataLoader(), variables={'records': records, 'hosts': sorted(records)})
report = templar.template(trust_as_template(
    "{{ records | netfleet.tuning.fleet_report(hosts=hosts, generated_at='2026-01-15T10:06:00Z') }}"))
outputs = templar.template(trust_as_template(
    "{{ records | netfleet.tuning.report_outputs(hosts=hosts, generated_at='2026-01-15T10:06:00Z') }}"))
host_vars = dict((name, {'__netfleet_record': record}) for name, record in records.items())
via_hostvars = Templar(loader=DataLoader(), variables={'host_vars': host_vars, 'hosts': sorted(records)}).template(
    trust_as_template("{{ host_vars | netfleet.tuning.report_outputs(hosts=hosts, record_var='__netfleet_record', "
                      "generated_at='2026-01-15T10:06:00Z') }}"))
assert via_hostvars == outputs, 'hostvars'
rendered = Templar(loader=DataLoader(), variables={'report': report}).template(
    trust_as_template("{{ report | netfleet.tuning.report_render('json') }}"))
print(json.dumps({'report': report, 'outputs': outputs, 'rendered': rendered}))
'''


def test_report_filters_through_ansible_templating():
    records = {
        'h-trusted': {'stage': 'failed'},
        'h-untrusted': {'stage': 'failed', 'error': 'a {{ b }} from a host'},
        'h-plain': {'stage': 'failed', 'error': 'plain', 'batch': 2},
    }
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=ROOT)
    proc = subprocess.run([sys.executable, '-c', SCRIPT, json.dumps(records)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout)
    messages = dict((name, entry['message']) for name, entry in got['report']['hosts'].items())
    # what Ansible trusts as a template is rendered, as it always was; a host's own text never is
    assert messages == {'h-plain': 'plain', 'h-trusted': '42 units', 'h-untrusted': 'a {{ b }} from a host'}
    assert got['report']['hosts']['h-plain']['batch'] == 2
    report = json.loads(got['outputs']['files']['report.json'])
    assert report == got['report']
    assert got['rendered'] == got['outputs']['files']['report.json']
    assert got['outputs']['stats']['summary']['statuses'] == {'verified': 0, 'failed': 3, 'unreachable': 0,
                                                              'not_reached': 0}
