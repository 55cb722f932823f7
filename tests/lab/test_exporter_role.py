# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 15: the netstat_exporter role on lab hosts without systemd, and the real node_exporter reading its textfile.

One lab of its own (2 hosts; NETFLEET_LAB_NAME, default ``nlexp``), brought up and deleted by name here. No
`netlab load` (the machine-wide load lock): a bounded stream of TCP connects gives the windows their InSegs.

1. rollout (baseline, the sysctl_profile role, verify): each host keeps its baseline and, since issue 15, its
   verdict in its own state directory;
2. the role with ``netstat_exporter_scheduler: none`` (the lab has no systemd) and the textfile directory under
   each host's private state directory: check mode installs nothing, the first run installs, the second
   changes nothing;
3. the installed program, run once per host through `netlab exec`: every line of its textfile is valid
   exposition format (our strict parser, and `promtool check metrics` when the prometheus package is there),
   with the verdict of report.json, the baseline's rates of the host's baseline record and the drop-in's
   state (h01's tcp_rmem is then changed by hand: overridden there, not on h02);
4. Debian's node_exporter (when prometheus-node-exporter is installed) in h01's namespace, bounded by
   `timeout`, serves the netfleet series to a fetch from h02's namespace, then is stopped;
5. ``netstat_exporter_state: absent`` (check mode first) removes everything: the machine's shared /usr/local
   and /etc/systemd/system are exactly as before (the lab's hosts share them: the role installs its program
   there), and a second run changes nothing;
6. ``netstat_exporter_scheduler: systemd`` on these hosts, whose service manager is not systemd: the units are
   installed with their header (into the machine's /etc/systemd/system, which no systemd reads here), the timer
   is left alone; absent removes them and the machine is exactly as before again.
Whatever happens, the test removes what the role installed in the shared directories.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import shutil
import stat
import subprocess
import time

import pytest

from labkit import NETLAB, Traffic, host_addresses, lab_up, playbook_path, read_json, rollout_vars, run, stop_group
from ansible_collections.netfleet.tuning.tests.unit.plugins.module_utils.test_textfile_export import parse, value

LAB_NAME = os.environ.get('NETFLEET_LAB_NAME', 'nlexp')
LABELS = ('h01', 'h02')
PROGRAM = '/usr/local/sbin/netfleet-textfile'
UNITS = ('/etc/systemd/system/netfleet-netstat-exporter.service', '/etc/systemd/system/netfleet-netstat-exporter.timer')
# under each host's private state directory (netlab bind-mounts its own over /var/lib/netfleet-tuning)
TEXTFILE_DIR = '/var/lib/netfleet-tuning/textfile'
TEXTFILE = TEXTFILE_DIR + '/netfleet_netstat.prom'
SHARED = ('/usr/local', '/etc/systemd/system')
NODE_EXPORTER = '/usr/bin/prometheus-node-exporter'
ROLE_VARS = {'netstat_exporter_scheduler': 'none', 'netstat_exporter_textfile_dir': TEXTFILE_DIR}
RECAP_RE = re.compile(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)
UNTUNED_RMEM = '4096 16384 65536'


@pytest.fixture(scope='module')
def exporter_lab():
    if os.geteuid() != 0:
        pytest.skip('the lab suite needs root (netlab creates network namespaces)')
    with lab_up(LAB_NAME, len(LABELS)) as the_lab:
        yield the_lab


def snapshot_shared():
    """Every entry under the machine's shared directories: type, mode, owner, and for files their size and
    mtime, for links their target (a directory's mtime changes when an entry comes and goes: not compared)."""
    out = {}
    for top in SHARED:
        for root, dirs, files in os.walk(top):
            for name in dirs + files:
                path = os.path.join(root, name)
                info = os.lstat(path)
                entry = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
                if stat.S_ISREG(info.st_mode):
                    entry += (info.st_size, info.st_mtime_ns)
                elif stat.S_ISLNK(info.st_mode):
                    entry += (os.readlink(path),)
                out[path] = entry
    return out


def playbook(lab, name, extravars, extra_args=(), timeout=240):
    """ansible-playbook with ssh pipelining (one ssh exchange per module call)."""
    return run(lab.playbook_argv(name, extravars, extra_args=extra_args), check=False, timeout=timeout,
               env=lab.env(ANSIBLE_PIPELINING='1'), cwd=lab.workdir)


def role(lab, state='present', check=False, **overrides):
    """Run the role on both hosts -> ({host: changed}, output); the run must succeed."""
    extra = dict(ROLE_VARS, netstat_exporter_state=state, **overrides)
    proc = playbook(lab, playbook_path('netstat_exporter.yml'), extra, extra_args=['--check'] if check else ())
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    recap = dict((host, int(changed)) for host, changed, unreachable, failed in RECAP_RE.findall(proc.stdout))
    assert sorted(recap) == sorted('%s-%s' % (lab.name, label) for label in LABELS), proc.stdout[-2000:]
    return recap, proc.stdout


def host_text(lab, label, path):
    return lab.exec_(label, ['/usr/bin/cat', path]).stdout


def promtool_problems(text):
    """`promtool check metrics` on the text: its findings other than the naming lint every /proc/net counter name
    gets (TcpExt_PruneCalled is node_exporter's own camelCase naming too); None without promtool."""
    promtool = shutil.which('promtool')
    if promtool is None:
        return None
    proc = subprocess.run([promtool, 'check', 'metrics'], input=text, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=60, check=False)
    # 0: clean, 3: lint findings only (a parse error is 1)
    assert proc.returncode in (0, 3), proc.stdout[-2000:]
    return [line for line in proc.stdout.splitlines()
            if line.strip() and not line.endswith("metric names should be written in 'snake_case' not 'camelCase'")]


def fetch(lab, label, url):
    script = 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())'
    return lab.exec_(label, ['/usr/bin/python3', '-c', script, url], check=False)


def node_exporter_serves(lab, address, want):
    """Debian's node_exporter in h01's namespace (textfile collector only, on h01's address), bounded by timeout,
    scraped from h02's namespace -> the metrics text; stopped before returning."""
    argv = [NETLAB, 'exec', '--name', lab.name, 'h01', '--', 'timeout', '--foreground', '--kill-after=5', '90',
            NODE_EXPORTER, '--collector.textfile.directory=%s' % TEXTFILE_DIR,
            '--web.listen-address=%s:9100' % address, '--collector.disable-defaults', '--collector.textfile']
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            got = fetch(lab, 'h02', 'http://%s:9100/metrics' % address)
            if got.returncode == 0 and want in got.stdout:
                return got.stdout
            assert proc.poll() is None, 'node_exporter stopped: %s' % proc.communicate()[0][-2000:]
            assert time.monotonic() < deadline, 'no %r from node_exporter: %s' % (want, got.stdout[-2000:])
            time.sleep(0.5)
    finally:
        stop_group(proc)


def remove_leftovers():
    """What the role installs in the machine's shared directories, removed if it is still there."""
    for path in (PROGRAM,) + UNITS:
        if os.path.lexists(path):
            os.unlink(path)


def test_the_exporter_role_on_hosts_without_systemd(exporter_lab, tmp_path):
    lab = exporter_lab
    if any(os.path.lexists(path) for path in (PROGRAM,) + UNITS):
        pytest.fail('%s (or the units) already exists on this machine: another install of the role is there, '
                    'which this test would remove' % PROGRAM)
    before = snapshot_shared()
    try:
        check_the_role(lab, tmp_path, before)
    finally:
        if os.path.lexists(PROGRAM):
            playbook(lab, playbook_path('netstat_exporter.yml'), dict(ROLE_VARS, netstat_exporter_state='absent'))
        remove_leftovers()


def check_the_role(lab, tmp_path, before):
    state = tmp_path / 'state'
    hosts = dict((label, '%s-%s' % (lab.name, label)) for label in LABELS)
    status = json.loads(lab.netlab('status', '--name', lab.name).stdout)
    address = dict((host['label'], host['address'].split('/')[0]) for host in status['hosts'])

    # 1. a rollout: each host keeps its baseline and its verdict
    with Traffic(host_addresses(lab), max_seconds=180):
        rollout = playbook(lab, 'netfleet.tuning.rollout', rollout_vars(state))
    assert rollout.returncode == 0, rollout.stdout[-4000:]
    report = read_json(str(state / 'report.json'))
    for label, host in hosts.items():
        kept = json.loads(host_text(lab, label, '/var/lib/netfleet-tuning/verdict.json'))
        assert kept['verdict'] == report['hosts'][host]['verdict'], (kept, report['hosts'][host])
        assert kept['host'] == host and kept['passed'] is report['hosts'][host]['passed']

    # 2. the role: check mode installs nothing, then one run installs, a second changes nothing
    changed, out = role(lab, check=True)
    assert all(changed.values()), out[-3000:]
    assert not os.path.lexists(PROGRAM)
    assert snapshot_shared() == before
    role(lab)
    info = os.lstat(PROGRAM)
    assert stat.S_ISREG(info.st_mode) and info.st_uid == 0 and stat.S_IMODE(info.st_mode) == 0o755
    # the one file installed in the shared directories
    assert sorted(set(snapshot_shared()) - set(before)) == [PROGRAM]
    assert not any(os.path.lexists(unit) for unit in UNITS)  # scheduler none: no units
    changed, out = role(lab)
    assert changed == dict((host, 0) for host in hosts.values()), out[-3000:]

    # 3. the program, once per host; h01's tcp_rmem changed by hand after the rollout: overridden there
    lab.netlab('sysctl', '--name', lab.name, '--hosts', 'h01', 'net.ipv4.tcp_rmem=%s' % UNTUNED_RMEM)
    assert not os.path.exists(TEXTFILE), 'the textfile landed in the machine\'s own state directory'
    texts = {}
    for label, host in hosts.items():
        ran = lab.exec_(label, [PROGRAM], check=False)
        assert ran.returncode == 0 and ran.stderr == '', ran.stdout + ran.stderr
        text = texts[label] = host_text(lab, label, TEXTFILE)
        families = parse(text)
        assert promtool_problems(text) in (None, []), promtool_problems(text)
        entry = report['hosts'][host]
        assert value(families, 'netfleet_verdict', verdict=entry['verdict']) == 1
        assert sum(families['netfleet_verdict']['samples'].values()) == 1
        assert value(families, 'netfleet_verdict_timestamp_seconds') > 0
        baseline = read_json(str(state / 'baseline' / ('%s.json' % host)))
        for name, rates in baseline['window']['metrics'].items():
            if rates['per_million_segs'] is not None:
                assert value(families, 'netfleet_baseline_per_million_segs', metric=name) == pytest.approx(
                    rates['per_million_segs'], rel=1e-9), name
        assert value(families, 'netfleet_baseline_timestamp_seconds') == pytest.approx(baseline['recorded_epoch'])
        dropin = host_text(lab, label, '/etc/sysctl.d/60-netfleet-tuning.conf')
        keys = set(line.split('=')[0].strip() for line in dropin.splitlines() if line and line[0] not in '#;')
        assert value(families, 'netfleet_dropin_present') == 1
        assert value(families, 'netfleet_dropin_keys') == len(keys) > 0
        assert value(families, 'netfleet_dropin_keys_overridden') == (1 if label == 'h01' else 0)
        assert value(families, 'netfleet_netstat_Tcp_InSegs') > 0
        assert 'netfleet_netstat_TcpExt_PruneCalled' in families
        assert set(families['netfleet_textfile_errors']['samples'].values()) == {0.0}
    assert '# netfleet: net.ipv4.tcp_rmem: overridden: live %s' % UNTUNED_RMEM in texts['h01']
    assert 'overridden: live' not in texts['h02']

    # 4. the real node_exporter reads that textfile
    if os.path.exists(NODE_EXPORTER):
        metrics = node_exporter_serves(lab, address['h01'], 'netfleet_verdict{')
        assert 'node_textfile_scrape_error 0' in metrics, metrics[-3000:]
        assert 'netfleet_verdict{verdict="%s"} 1' % report['hosts'][hosts['h01']]['verdict'] in metrics
        assert 'netfleet_dropin_keys_overridden 1' in metrics
        assert re.search(r'^netfleet_baseline_per_million_segs\{metric="prune_called"\} ', metrics, re.M)
        assert re.search(r'^netfleet_netstat_TcpExt_PruneCalled ', metrics, re.M)

    # 5. absent: check mode removes nothing; then everything goes, the shared directories as before
    changed, out = role(lab, 'absent', check=True)
    assert os.path.isfile(PROGRAM), out[-3000:]
    changed, out = role(lab, 'absent')
    assert not os.path.lexists(PROGRAM), out[-3000:]
    for label in LABELS:
        assert lab.exec_(label, ['/usr/bin/test', '-e', TEXTFILE], check=False).returncode == 1
        # the playbooks' files stay
        assert lab.exec_(label, ['/usr/bin/test', '-f', '/var/lib/netfleet-tuning/verdict.json'],
                         check=False).returncode == 0
    changed, out = role(lab, 'absent')
    assert changed == dict((host, 0) for host in hosts.values()), out[-3000:]
    after = snapshot_shared()
    assert after == before, sorted(set(after.items()) ^ set(before.items()))[:20]

    # 6. scheduler systemd where systemd is not the service manager (this machine): the units are installed
    # with their header, the timer is neither enabled nor started; absent removes them, the machine as before
    changed, out = role(lab, netstat_exporter_scheduler='systemd', netstat_exporter_interval_seconds=30)
    assert len(re.findall(r'Enable and start the timer\] \*+\nskipping: ', out)) == len(LABELS), out[-3000:]
    with open(UNITS[0]) as handle:
        service = handle.read()
    with open(UNITS[1]) as handle:
        timer = handle.read()
    for text in (service, timer):
        assert '# Ansible managed' in text.split('[Unit]')[0] and '# netfleet.tuning:netstat_exporter' in text
    assert 'ExecStart=%s\n' % PROGRAM in service and 'ReadWritePaths=-%s\n' % TEXTFILE_DIR in service
    assert 'OnUnitActiveSec=30s\n' in timer
    changed, out = role(lab, 'absent', netstat_exporter_scheduler='systemd')
    assert not any(os.path.lexists(path) for path in (PROGRAM,) + UNITS), out[-3000:]
    after = snapshot_shared()
    assert after == before, sorted(set(after.items()) ^ set(before.items()))[:20]
