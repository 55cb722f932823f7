# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 15: the watch playbook (netfleet.tuning.watch), the live fleet view for an incident.

One lab of its own (2 hosts; NETFLEET_WATCH_LAB, default ``nlwat``), brought up and deleted by name here. No
`netlab load` (it takes the machine-wide load lock): a little traffic towards each host's sshd (labkit.Traffic)
gives the windows some InSegs. ansible-playbook runs with stdin from /dev/null, as an AWX job does (no terminal:
the pause must not wait for a key).

- 3 rounds of 2 s: 3 tables, each with the header and both hosts, numbers (no reset), nothing stored on the hosts,
  and the run bounded (a generous upper bound only: this machine's load is not ours to measure);
- a host that cannot be reached and one whose module cannot start are listed under each round's table with why,
  and the watch goes on with the others;
- a bad variable fails every host, naming the variable and its rule, before any host is read;
- --check reads nothing and says what the watch would do.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import subprocess
import time

import pytest

from labkit import Traffic, host_addresses, own_lab

LAB_NAME = os.environ.get('NETFLEET_WATCH_LAB', 'nlwat')
HOSTS = ['%s-h01' % LAB_NAME, '%s-h02' % LAB_NAME]
ROUNDS = 3
SECONDS = 2
# rounds x seconds of waiting, plus the start of ansible-playbook, the settings and one read of every host per
# round (about 2 s a round for 3 hosts on this 2-core machine under another job's load): generous, never tight
UPPER_BOUND = ROUNDS * SECONDS + 120
READ_TASK = 'TASK [Read every host]'
HEADER = re.compile(r'^\s*"round (\d+)/(\d+) at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, window [0-9.\-]+ s: (\d+) host\(s\), '
                    r'(\d+) read, (\d+) reset, (\d+) not read \| fleet: prune ', re.M)


@pytest.fixture(scope='module')
def watch_lab():
    yield from own_lab(LAB_NAME, 2)


def run_watch(lab, extravars=None, extra_args=(), host_vars=None, timeout=600):
    """ansible-playbook netfleet.tuning.watch on the lab's hosts, stdin from /dev/null -> (CompletedProcess, s)."""
    argv = lab.playbook_argv('netfleet.tuning.watch', extravars, extra_args=extra_args, host_vars=host_vars)
    started = time.monotonic()
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, env=lab.env(), cwd=lab.workdir, timeout=timeout, check=False)
    return proc, time.monotonic() - started


def rounds_of(output):
    """{round number: [the round's lines]} from the debug output of the table task."""
    found = {}
    for block in re.findall(r'TASK \[Show the fleet, worst hosts first, round \d+\][^\n]*\n.*?\n}\n', output, re.S):
        lines = re.findall(r'^\s+"(.*)",?$', block, re.M)
        number = int(re.match(r'round (\d+)/', lines[0]).group(1))
        found[number] = lines
    return found


def table_hosts(lines):
    """The host of each table row (the lines after the header and the column titles, before the notes)."""
    return [line.split()[0] for line in lines[2:] if not line.startswith(('... ', 'reset: ', 'not read: '))]


def test_three_rounds_show_both_hosts_and_store_nothing(watch_lab):
    lab = watch_lab
    with Traffic(host_addresses(lab), interval=0.1, max_seconds=UPPER_BOUND):
        proc, elapsed = run_watch(lab, {'netfleet_watch_rounds': ROUNDS, 'netfleet_watch_seconds': SECONDS,
                                        'netfleet_hosts': 'netlab_hosts'})
    output = proc.stdout
    assert proc.returncode == 0, output[-4000:]
    assert 'watching 2 host(s): 3 round(s) of 2 s, worst 20 hosts per round' in output
    rounds = rounds_of(output)
    assert sorted(rounds) == [1, 2, 3], output[-4000:]
    for number, lines in rounds.items():
        header = HEADER.match('"' + lines[0])
        assert header, lines[0]
        assert header.groups() == (str(number), '3', '2', '2', '0', '0'), lines
        assert lines[1].split() == ['host', 'prune/s', 'prune/M', 'collapse/s', 'collapse/M', 'InSegs/s', 'mempress',
                                    'tcp_mem', 'retrans/M']
        assert sorted(table_hosts(lines)) == HOSTS, lines
        for row in lines[2:4]:
            cells = row.split()
            # a window with numbers (no reset); InSegs from the traffic; tcp_mem is not told in a child namespace
            assert 'reset' not in cells and cells[7] == 'n/a', row
            assert float(cells[5].replace(',', '')) > 0, row
    # one pause per round for the whole fleet, and two reads of each host per round at most (one + the first read)
    assert output.count('Pausing for 2 seconds') == ROUNDS
    assert output.count(READ_TASK) == ROUNDS + 1
    print('watch: %d rounds of %d s, 2 hosts, in %.1f s' % (ROUNDS, SECONDS, elapsed))
    assert SECONDS * ROUNDS <= elapsed <= UPPER_BOUND, elapsed
    # read-only: nothing stored on the hosts
    for label in ('h01', 'h02'):
        assert lab.snapshot(label)['state'] == {}, label


def test_hosts_that_cannot_be_read_are_listed_and_the_watch_goes_on(watch_lab):
    lab = watch_lab
    prefix = host_addresses(lab)[0].rsplit('.', 1)[0]
    ghost = '%s-ghost' % LAB_NAME
    # an address of the lab's subnet that nobody answers (with a short connection timeout), and a host whose
    # module cannot start
    host_vars = {ghost: {'ansible_host': prefix + '.250', 'ansible_timeout': 2},
                 HOSTS[1]: {'ansible_python_interpreter': '/nonexistent/python3'}}
    with Traffic(host_addresses(lab), interval=0.1, max_seconds=UPPER_BOUND):
        proc, _elapsed = run_watch(lab, {'netfleet_watch_rounds': 2, 'netfleet_watch_seconds': 1}, host_vars=host_vars)
    output = proc.stdout
    assert proc.returncode == 0, output[-4000:]
    rounds = rounds_of(output)
    assert sorted(rounds) == [1, 2], output[-4000:]
    for lines in rounds.values():
        assert table_hosts(lines) == [HOSTS[0]], lines
        assert re.search(r': 3 host\(s\), 1 read, 0 reset, 2 not read \|', lines[0]), lines[0]
        assert [line for line in lines if line.startswith('not read: %s: unreachable: ' % ghost)], lines
        assert [line for line in lines if line.startswith('not read: %s: failed: ' % HOSTS[1])
                and 'nonexistent' in line], lines


@pytest.mark.parametrize('extravars, message', [
    ({'netfleet_watch_rounds': 0}, 'netfleet_watch_rounds must be an integer from 1 to 720 (rounds of the watch), '
                                   'got 0'),
    ({'netfleet_watch_seconds': 'five'}, 'netfleet_watch_seconds must be an integer from 1 to 300'),
    ({'netfleet_watch_rounds': 720, 'netfleet_watch_seconds': 6},
     'netfleet_watch_rounds x netfleet_watch_seconds must be at most 3600 s (the watch is bounded in time; run it '
     'again for longer), got 720 x 6 = 4320 s'),
])
def test_a_bad_variable_fails_every_host_before_any_host_is_read(watch_lab, extravars, message):
    proc, _elapsed = run_watch(watch_lab, dict(extravars, netfleet_hosts='netlab_hosts'), timeout=300)
    output = proc.stdout
    assert proc.returncode != 0, output[-3000:]
    assert message in output, output[-3000:]
    assert READ_TASK not in output and 'Pausing' not in output
    for host in HOSTS:
        assert re.search(r'^%s\s+: ok=0 .* failed=1 ' % re.escape(host), output, re.M), output[-2000:]


def test_check_mode_reads_nothing(watch_lab):
    proc, _elapsed = run_watch(watch_lab, {'netfleet_hosts': 'netlab_hosts'}, extra_args=['--check'], timeout=300)
    output = proc.stdout
    assert proc.returncode == 0, output[-3000:]
    assert ('check mode, nothing is read; the watch would read 2 host(s): 12 round(s) of 5 s, worst 20 hosts per '
            'round (60 s of waiting, plus one read of every host per round)') in output
    assert READ_TASK not in output and 'Pausing' not in output
