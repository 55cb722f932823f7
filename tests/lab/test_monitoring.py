# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 15: the counters in the real Prometheus, through the real node_exporter, with the collection's rules.

One lab of its own (1 host; NETFLEET_MONITORING_LAB, default ``nlmon``), brought up and deleted by name here. On
the host: the ``netfleet.tuning.netstat_exporter`` role (scheduler ``none``: this machine has no systemd, so
the test runs the installed exporter every 2 s itself, as the timer would) writing into a textfile directory
private to the host, and Debian's ``prometheus-node-exporter`` in the host's namespace reading it. On the
controller's side of the lab bridge: Debian's ``prometheus`` scraping it every 2 s with the collection's rule
file, its windows and ``for`` durations shortened (``[5m]`` -> ``[20s]``, ``for: 15m`` -> ``for: 10s``) so
that the test stays bounded; promtool's unit tests (``make promtool``) test the rules as shipped.

The story, under the JSON load: untuned, the recording rule shows the pruning; the rollout (baseline, role,
verify: ``improved``, kept on the host) brings it down; a later change puts the untuned tcp_rmem back live (a
config management run that wins over the drop-in) and new connections prune again: ``NetfleetPruningBack``
and ``NetfleetDropinOverridden`` fire; the role runs again: the value falls and both alerts resolve.
Every process is bounded (``timeout``) and stopped at the end; nothing stays running.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import shutil
import subprocess
import time

import pytest

from labkit import NETLAB, REPO, BoundedLoop, own_lab, playbook_path, rollout_vars, stop_group

# runs `netlab load`: after the other lab tests (conftest.py)
pytestmark = pytest.mark.load

LAB_NAME = os.environ.get('NETFLEET_MONITORING_LAB', 'nlmon')
PROM_PORT = 19090
RULES = os.path.join(REPO, 'extras', 'prometheus', 'rules', 'netfleet.rules.yml')
UNTUNED_RMEM = '4096 16384 65536'
# where the host's textfile goes: under its private state directory (netlab hosts share the machine's /var/lib)
TEXTFILE_DIR = '/var/lib/netfleet-tuning/textfile'
ROLE_VARS = {'netstat_exporter_scheduler': 'none', 'netstat_exporter_textfile_dir': TEXTFILE_DIR}
# where the role installs its program (roles/netstat_exporter/vars/main.yml)
PROGRAM = '/usr/local/sbin/netfleet-textfile'
MAX_SECONDS = 360


def _require(*programs):
    for program in programs:
        if not shutil.which(program):
            pytest.skip('%s is not installed (Debian packages prometheus, prometheus-node-exporter: make deps)'
                        % program)


@pytest.fixture(scope='module')
def mon_lab():
    _require('prometheus', 'prometheus-node-exporter')
    yield from own_lab(LAB_NAME, 1)


def short_rules(text):
    """The shipped rules with windows and ``for`` durations a bounded test can wait for."""
    text = re.sub(r'\[5m\]', '[20s]', text)
    return re.sub(r'for: \d+m', 'for: 10s', text)


class Exporter(BoundedLoop):
    """Run the installed exporter on the host every ``interval`` seconds, as its systemd timer would."""

    def __init__(self, lab, argv, interval=2.0, max_seconds=MAX_SECONDS):
        super(Exporter, self).__init__(interval, max_seconds, max_seconds / interval + 1)
        self.lab = lab
        self.argv = argv
        self.failures = []

    def step(self):
        proc = subprocess.run([NETLAB, 'exec', '--name', self.lab.name, 'h01', '--'] + self.argv,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              timeout=30, check=False)
        if proc.returncode != 0:
            self.failures.append(proc.stdout[-500:])
        self.count += 1


def query(expr):
    import urllib.parse
    import urllib.request
    url = 'http://127.0.0.1:%d/api/v1/query?%s' % (PROM_PORT, urllib.parse.urlencode({'query': expr}))
    with urllib.request.urlopen(url, timeout=5) as response:
        data = json.loads(response.read().decode('utf-8'))
    return [(item['metric'], float(item['value'][1])) for item in data['data']['result']]


def firing(alert):
    return [labels for labels, value in query('ALERTS{alertname="%s", alertstate="firing"}' % alert) if value == 1]


def wait_for(what, predicate, timeout, interval=2.0):
    """Poll ``predicate`` (-> a value, falsy while not yet) for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except (OSError, ValueError, KeyError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError('timed out after %d s waiting for %s (last: %r)' % (timeout, what, last))


def prune_per_million():
    values = query('netfleet:prune_called_per_million_insegs:rate5m')
    return values[0][1] if values else None


def start_load(lab, seconds, tmp_path, name):
    return subprocess.Popen([NETLAB, 'load', '--name', lab.name, '--seconds', str(seconds), '--warmup', '2',
                             '--json', str(tmp_path / name)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def test_prometheus_sees_the_pruning_fall_and_the_alerts_resolve(mon_lab, tmp_path):
    lab = mon_lab
    state = tmp_path / 'state'
    status = json.loads(lab.netlab('status', '--name', lab.name).stdout)
    address = status['hosts'][0]['address'].split('/')[0]

    # the role on the host, scheduler none: the program and its module_utils, no unit (removed in the end: the
    # lab's hosts share the machine's /usr/local)
    applied = lab.playbook(playbook_path('netstat_exporter.yml'), ROLE_VARS)
    assert applied.returncode == 0, applied.stdout[-3000:]

    rules = tmp_path / 'netfleet.rules.yml'
    with open(RULES) as handle:
        rules.write_text(short_rules(handle.read()))
    config = tmp_path / 'prometheus.yml'
    config.write_text('global:\n  scrape_interval: 2s\n  evaluation_interval: 2s\nrule_files:\n  - %s\n'
                      'scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ["%s:9100"]\n'
                      % (rules, address))
    node = prom = load = None
    try:
        node = subprocess.Popen([NETLAB, 'exec', '--name', lab.name, 'h01', '--', 'timeout', '--foreground',
                                 '--kill-after=5', str(MAX_SECONDS),
                                 'prometheus-node-exporter', '--web.listen-address=%s:9100' % address,
                                 '--collector.disable-defaults', '--collector.textfile',
                                 '--collector.textfile.directory=%s' % TEXTFILE_DIR],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        prom = subprocess.Popen(['timeout', str(MAX_SECONDS), 'prometheus', '--config.file=%s' % config,
                                 '--storage.tsdb.path=%s' % (tmp_path / 'tsdb'),
                                 '--web.listen-address=127.0.0.1:%d' % PROM_PORT, '--log.level=warn'],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        with Exporter(lab, [PROGRAM]) as exporter:
            # 1. untuned, under load: the recording rule shows the pruning
            load = start_load(lab, 150, tmp_path, 'load-1.json')
            untuned = wait_for('the untuned pruning in Prometheus', lambda: (prune_per_million() or 0) > 1000
                               and prune_per_million(), 90)

            # 2. the rollout (its verify keeps the verdict on the host): the value falls, no alert
            proc = lab.playbook('netfleet.tuning.rollout', rollout_vars(
                state, netfleet_sample_seconds=10, netfleet_settle_seconds=5, netfleet_serial=['100%'],
                netfleet_min_segments=10000), timeout=200)
            assert proc.returncode == 0, proc.stdout[-4000:]
            wait_for('the verdict in Prometheus', lambda: query('netfleet_verdict{verdict="improved"} == 1'), 30)
            tuned = wait_for('the pruning to fall', lambda: (prune_per_million() or untuned) < untuned / 10
                             and prune_per_million() + 1e-9, 60)
            assert not firing('NetfleetPruningBack') and not firing('NetfleetDropinOverridden')
            stop_group(load)

            # 3. the untuned tcp_rmem wins over the drop-in, new connections prune again: both alerts fire
            lab.netlab('sysctl', '--name', lab.name, 'net.ipv4.tcp_rmem=%s' % UNTUNED_RMEM)
            load = start_load(lab, 120, tmp_path, 'load-2.json')
            back = wait_for('NetfleetPruningBack to fire', lambda: firing('NetfleetPruningBack'), 90)
            overridden = wait_for('NetfleetDropinOverridden to fire', lambda: firing('NetfleetDropinOverridden'), 60)
            assert back[0]['instance'] == '%s:9100' % address and overridden

            # 4. the role again: the value falls and both alerts resolve
            again = lab.playbook(playbook_path('apply.yml'), {'rel_out_dir': str(tmp_path)}, timeout=120)
            assert again.returncode == 0, again.stdout[-3000:]
            wait_for('both alerts to resolve', lambda: not firing('NetfleetPruningBack')
                     and not firing('NetfleetDropinOverridden'), 90)
            # the [20s] window still holds some of the pruning from before the role ran: poll until it is gone
            after = wait_for('the pruning to fall again', lambda: (prune_per_million() or untuned) < untuned / 10
                             and prune_per_million() + 1e-9, 60)
            # the figures of this run, for the docs (pytest keeps tmp_path of the last runs)
            (tmp_path / 'figures.json').write_text(json.dumps({
                'untuned_per_million': untuned, 'tuned_per_million': tuned, 'after_reapply_per_million': after,
                'pruning_back': back, 'dropin_overridden': overridden}))
            assert after is not None and after < untuned / 10, (untuned, tuned, after)
            assert not exporter.failures, exporter.failures[:2]
    finally:
        for proc in (load, prom, node):
            if proc is not None:
                stop_group(proc)
        removed = lab.playbook(playbook_path('netstat_exporter.yml'), dict(ROLE_VARS, netstat_exporter_state='absent'))
        assert removed.returncode == 0, removed.stdout[-3000:]
    assert not os.path.exists(PROGRAM), 'the exporter left %s on the machine' % PROGRAM
