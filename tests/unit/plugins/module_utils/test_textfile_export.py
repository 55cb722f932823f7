# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""textfile_export: the netstat_exporter role's program, from a fake host (the captured Linux 6.18 /proc files,
a state directory with a baseline record built by records.build_record and a verdict, a drop-in) to the text,
every line of it valid exposition format; inputs that fail their checks are reported absent, never a crash."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import io
import json
import os
import re
import stat

import pytest

from ansible_collections.netfleet.tuning.plugins.module_utils import (
    dropin, host_verdict, metric_registry, procread, records, textfile_export,
)
# the fake /proc tree of the netstat_facts tests (the fixtures under tests/unit/fixtures/proc)
from ansible_collections.netfleet.tuning.tests.unit.plugins.modules.test_netstat_facts import build_proc, bump

NOW = 1768471300.25
LIVE_RMEM = '4096 131072 6291456'


# ---------------------------------------------------------------- an exposition format parser

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
HELP_RE = re.compile(r'\A# HELP (%s) (.*)\Z' % NAME)
TYPE_RE = re.compile(r'\A# TYPE (%s) (counter|gauge|untyped|summary|histogram)\Z' % NAME)
SAMPLE_RE = re.compile(r'\A(%s)(\{(.*)\})? (\S+)\Z' % NAME)
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|\Z)')
FLOAT_RE = re.compile(r'\A[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\Z|\A[-+]?Inf\Z|\ANaN\Z')


def parse(text):
    """The text format 0.0.4 as node_exporter's textfile collector reads it, strictly: -> {family: {'type',
    'help', 'samples': {labels tuple: float}}}. A line it does not accept fails the test."""
    assert text.endswith('\n') and '\r' not in text
    families, seen, current = {}, set(), None
    for number, line in enumerate(text.split('\n')[:-1], 1):
        where = 'line %d: %r' % (number, line)
        assert line, where
        if line.startswith('#'):
            help_match, type_match = HELP_RE.match(line), TYPE_RE.match(line)
            if line.startswith('# HELP '):
                assert help_match, where
                name = help_match.group(1)
                assert name not in seen or name == current, 'family %s split: %s' % (name, where)
                families.setdefault(name, {'samples': {}})['help'] = help_match.group(2)
            elif line.startswith('# TYPE '):
                assert type_match, where
                name = type_match.group(1)
                assert name not in seen or name == current, 'family %s split: %s' % (name, where)
                assert 'type' not in families.get(name, {}), 'second TYPE: ' + where
                assert not families.get(name, {}).get('samples'), 'TYPE after samples: ' + where
                families.setdefault(name, {'samples': {}})['type'] = type_match.group(2)
            else:
                continue  # a comment
            seen.add(name)
            current = name
            continue
        match = SAMPLE_RE.match(line)
        assert match, where
        name, labels_text, value = match.group(1), match.group(3), match.group(4)
        assert name == current and name in families, 'sample outside its family: ' + where
        labels = ()
        if labels_text:
            pairs = LABEL_RE.findall(labels_text)
            assert ''.join('%s="%s"%s' % pair for pair in pairs) == labels_text, where
            labels = tuple((key, val) for key, val, dummy in pairs)
            assert len(set(key for key, dummy in labels)) == len(labels), where
        assert FLOAT_RE.match(value), where
        samples = families[name]['samples']
        assert labels not in samples, 'duplicate sample: ' + where
        samples[labels] = float(value)
    for name, family in families.items():
        assert 'type' in family and 'help' in family and family['samples'], name
    return families


def value(families, name, **labels):
    return families[name]['samples'][tuple(sorted(labels.items()))]


def test_the_parser_refuses_what_the_collector_refuses():
    good = '# HELP a x\n# TYPE a gauge\na{b="c"} 1\n'
    assert parse(good)['a']['samples'] == {(('b', 'c'),): 1.0}
    for bad in ('a 1\n', '# HELP a x\n# TYPE a gauge\na{b=c} 1\n', '# HELP a x\n# TYPE a gauge\na 1\na 2\n',
                '# HELP a x\n# TYPE a gauge\na one\n', '# HELP a x\n# TYPE a gauge\na 1 2 3\n',
                '# HELP a x\n# TYPE a gauge\na 1\n# HELP b y\n# TYPE b gauge\nb 1\na 2\n'):
        with pytest.raises(AssertionError):
            parse(bad)


# ---------------------------------------------------------------- a fake host

class Host(object):
    """A /proc tree (Linux 6.18), a root-owned 0700 state directory and an /etc/sysctl.d under tmp_path."""

    def __init__(self, tmp_path):
        self.root = str(tmp_path)
        self.proc = build_proc(tmp_path, sysctls={
            'net.core.somaxconn': ('4096\n', 0o644),
            'net.ipv4.tcp_rmem': (LIVE_RMEM.replace(' ', '\t') + '\n', 0o644),
        })
        self.state_dir = os.path.join(self.root, 'var', 'lib', 'netfleet-tuning')
        self.dropin_dir = os.path.join(self.root, 'etc', 'sysctl.d')
        os.makedirs(self.dropin_dir)
        self.textfile_dir = os.path.join(self.root, 'textfile')
        os.makedirs(self.textfile_dir)

    def state_file(self, name, text, mode=0o600):
        if not os.path.isdir(self.state_dir):
            os.makedirs(self.state_dir)
            os.chmod(self.state_dir, 0o700)
        path = os.path.join(self.state_dir, name)
        with open(path, 'w') as handle:
            handle.write(text)
        os.chmod(path, mode)
        return path

    def baseline_record(self):
        """A baseline window of this fake host: two reads of its /proc, with pruning in between."""
        first = procread.read_snapshot(self.proc, 4096, [], monotonic=lambda: 1000.0)
        start = json.loads(json.dumps(records.build_start(first)))
        bump(self.proc, 'TcpExt.PruneCalled', 40)
        bump(self.proc, 'TcpExt.TCPRcvCollapsed', 2000)
        bump(self.proc, 'Tcp.InSegs', 200000)
        bump(self.proc, 'Tcp.OutSegs', 100000)
        bump(self.proc, 'Tcp.RetransSegs', 10)
        end = procread.read_snapshot(self.proc, 4096, [], monotonic=lambda: 1020.0)
        return records.build_record(start, end, {}, None, 'baseline', 'web1')

    def dropin(self, settings, priority=60):
        path = os.path.join(self.dropin_dir, '%02d-netfleet-tuning.conf' % priority)
        with open(path, 'w') as handle:
            handle.write(dropin.render(settings, header='Ansible managed', profile='json_api'))
        return path

    def collect(self, **kwargs):
        args = dict(state_dir=self.state_dir, dropin_priority=60, proc_path=self.proc, dropin_dir=self.dropin_dir,
                    anchor=self.root, now=NOW)
        args.update(kwargs)
        text, errors = textfile_export.collect(**args)
        return text, errors, parse(text)


@pytest.fixture
def host(tmp_path):
    return Host(tmp_path)


def verdict_text(verdict='improved', passed=True, at='2026-01-15T10:01:00.456Z', message='pruning fell'):
    return host_verdict.encode_verdict(host_verdict.build_verdict(verdict, passed, at, message, 'web1'))


def comments(text):
    return [line for line in text.splitlines() if line.startswith('# netfleet: ')]


# ---------------------------------------------------------------- the series

def test_every_series_of_the_contract_from_a_kept_host(host):
    record = host.baseline_record()
    host.state_file(records.BASELINE_FILE, records.encode_record(record))
    host.state_file(host_verdict.VERDICT_FILE, verdict_text())
    host.dropin({'net.core.somaxconn': '8192', 'net.ipv4.tcp_rmem': LIVE_RMEM})
    text, errors, families = host.collect()
    assert errors == {}

    # promtext's series of the counters, as netstat_facts' textfile has them
    assert value(families, 'netfleet_netstat_TcpExt_PruneCalled') == 40
    assert value(families, 'netfleet_netstat_TcpExt_TCPRcvCollapsed') == 2000
    assert families['netfleet_netstat_Tcp_InSegs']['type'] == 'untyped'
    for name in ('netfleet_netstat_Tcp_OutSegs', 'netfleet_netstat_Tcp_RetransSegs',
                 'netfleet_netstat_TcpExt_TCPMemoryPressures', 'netfleet_netstat_TcpExt_ListenOverflows',
                 'netfleet_softnet_dropped_total', 'netfleet_softnet_processed_total',
                 'netfleet_softnet_times_squeezed_total', 'netfleet_tcp_memory_pages'):
        assert name in families, name
    assert value(families, 'netfleet_netstat_collected_timestamp_seconds') == NOW

    # the baseline window's rates: 40 prunes in 200000 InSegs = 200 per million, over 20 s = 2 per second
    assert families['netfleet_baseline_per_million_segs']['type'] == 'gauge'
    assert value(families, 'netfleet_baseline_per_million_segs', metric='prune_called') == pytest.approx(200.0)
    assert value(families, 'netfleet_baseline_per_million_segs', metric='rcv_collapsed') == pytest.approx(10000.0)
    # the retransmissions per million OutSegs (metric_registry's per)
    assert value(families, 'netfleet_baseline_per_million_segs', metric='retrans_segs') == pytest.approx(100.0)
    assert value(families, 'netfleet_baseline_per_second', metric='prune_called') == pytest.approx(2.0)
    assert value(families, 'netfleet_baseline_per_second', metric='in_segs') == pytest.approx(10000.0)
    # the denominators have no rate per million of themselves
    assert (('metric', 'in_segs'),) not in families['netfleet_baseline_per_million_segs']['samples']
    assert value(families, 'netfleet_baseline_timestamp_seconds') == pytest.approx(record['recorded_epoch'])

    # the verdict: 1 for the last one, 0 for the other five
    samples = families['netfleet_verdict']['samples']
    assert samples == dict(((('verdict', name),), 1.0 if name == 'improved' else 0.0)
                           for name in host_verdict.VERDICTS)
    assert value(families, 'netfleet_verdict_timestamp_seconds') == records.parse_time('2026-01-15T10:01:00.456Z')

    # the drop-in: two keys, somaxconn's live value (4096) is not the drop-in's (8192)
    assert value(families, 'netfleet_dropin_present') == 1
    assert value(families, 'netfleet_dropin_keys') == 2
    assert value(families, 'netfleet_dropin_keys_overridden') == 1
    assert comments(text) == ['# netfleet: net.core.somaxconn: overridden: live 4096, drop-in 8192']

    assert families['netfleet_textfile_errors']['samples'] == dict(
        ((('input', name),), 0.0) for name in textfile_export.INPUTS)
    assert text.splitlines()[0] == '# netfleet.tuning netstat_exporter textfile, written at 2026-01-15T10:01:40Z'


def test_a_host_never_verified_exports_the_counters_and_says_nothing_is_wrong(host):
    text, errors, families = host.collect()
    assert errors == {}
    assert not [name for name in families if name.startswith(('netfleet_baseline', 'netfleet_verdict'))]
    assert value(families, 'netfleet_dropin_present') == 0
    assert value(families, 'netfleet_dropin_keys') == 0
    assert value(families, 'netfleet_dropin_keys_overridden') == 0
    assert 'netfleet_netstat_TcpExt_PruneCalled' in families
    assert comments(text) == []


def test_a_baseline_whose_window_is_invalid_has_no_rates(host):
    record = host.baseline_record()
    record['window'].update(valid=False, invalid_reason='boot_id changed')
    host.state_file(records.BASELINE_FILE, records.encode_record(record))
    text, errors, families = host.collect()
    assert errors == {}
    assert 'netfleet_baseline_per_million_segs' not in families
    assert 'netfleet_baseline_timestamp_seconds' in families
    assert any('is not valid (boot_id changed): no baseline rates' in line for line in comments(text))


def test_a_foreign_file_at_the_dropin_path_is_not_ours(host):
    with open(os.path.join(host.dropin_dir, '60-netfleet-tuning.conf'), 'w') as handle:
        handle.write('net.core.somaxconn = 1\n')
    text, errors, families = host.collect()
    assert errors == {}
    assert value(families, 'netfleet_dropin_present') == 0
    assert value(families, 'netfleet_dropin_keys') == 0
    assert 'is not a netfleet.tuning drop-in' in comments(text)[0]


def test_the_dropin_of_another_priority_and_a_key_the_kernel_lacks(host):
    host.dropin({'net.ipv4.tcp_rmem': LIVE_RMEM, 'net.ipv4.tcp_collapse_max_bytes': '0'}, priority=70)
    dummy_text, dummy_errors, families = host.collect()
    assert value(families, 'netfleet_dropin_present') == 0
    text, errors, families = host.collect(dropin_priority=70)
    assert errors == {}
    assert value(families, 'netfleet_dropin_present') == 1
    assert value(families, 'netfleet_dropin_keys') == 2
    assert value(families, 'netfleet_dropin_keys_overridden') == 0
    assert comments(text) == ['# netfleet: net.ipv4.tcp_collapse_max_bytes: set by the drop-in, unknown to the '
                              'kernel here']


def test_a_later_sysctl_w_shows_as_overridden(host):
    host.dropin({'net.ipv4.tcp_rmem': LIVE_RMEM})
    assert value(host.collect()[2], 'netfleet_dropin_keys_overridden') == 0
    with open(os.path.join(host.proc, 'sys', 'net', 'ipv4', 'tcp_rmem'), 'w') as handle:
        handle.write('4096\t16384\t65536\n')
    assert value(host.collect()[2], 'netfleet_dropin_keys_overridden') == 1


# ---------------------------------------------------------------- inputs that fail their checks: absent, said why

def errors_gauge(families):
    return dict((labels[0][1], sample) for labels, sample in families['netfleet_textfile_errors']['samples'].items())


@pytest.mark.parametrize('change, entry, rule', [
    (lambda r: r['window']['metrics']['prune_called'].update(delta='40'), 'window.metrics.prune_called.delta', 'type'),
    (lambda r: r.update(schema='netfleet.tuning/baseline/0'), 'schema', 'schema'),
    (lambda r: r.update(evil=1), 'evil', 'unknown_field'),
    (lambda r: r['window']['metrics'].update({'prune_called\n# TYPE x gauge': r['window']['metrics']['in_segs']}),
     None, 'name_pattern'),
])
def test_a_baseline_that_fails_its_checks_is_reported_absent(host, change, entry, rule):
    record = host.baseline_record()
    change(record)
    path = host.state_file(records.BASELINE_FILE, json.dumps(record))
    host.state_file(host_verdict.VERDICT_FILE, verdict_text())
    text, errors, families = host.collect()
    assert sorted(errors) == ['baseline']
    assert errors['baseline'].startswith(path + ': ')
    if entry:
        assert '%s: ' % entry in errors['baseline']
    assert errors['baseline'].endswith('(rule: %s)' % rule)
    assert not [name for name in families if name.startswith('netfleet_baseline')]
    assert errors_gauge(families) == {'proc': 0, 'baseline': 1, 'verdict': 0, 'dropin': 0}
    # the rest is there, and the comment line is one line whatever the file held
    assert value(families, 'netfleet_verdict', verdict='improved') == 1
    assert 'netfleet_netstat_TcpExt_PruneCalled' in families
    lines = comments(text)
    assert len(lines) == 1 and lines[0].startswith('# netfleet: baseline: not exported: %s: ' % path)


@pytest.mark.parametrize('text, rule', [
    ('not json', 'format'),
    ('[]', 'type'),
    (json.dumps({'schema': host_verdict.VERDICT_SCHEMA, 'verdict': 'not_improved', 'passed': True,
                 'recorded_at': '2026-01-15T10:01:00.456Z', 'host': None, 'message': ''}), 'consistency'),
    (json.dumps({'schema': host_verdict.VERDICT_SCHEMA, 'verdict': 'great', 'passed': True,
                 'recorded_at': '2026-01-15T10:01:00.456Z', 'host': None, 'message': ''}), 'choice'),
    (json.dumps({'schema': host_verdict.VERDICT_SCHEMA, 'verdict': 'clean', 'passed': True,
                 'recorded_at': 'yesterday', 'host': None, 'message': ''}), 'format'),
])
def test_a_verdict_that_fails_its_checks_is_reported_absent(host, text, rule):
    host.state_file(host_verdict.VERDICT_FILE, text)
    dummy_text, errors, families = host.collect()
    assert sorted(errors) == ['verdict']
    assert errors['verdict'].endswith('(rule: %s)' % rule)
    assert 'netfleet_verdict' not in families
    assert errors_gauge(families)['verdict'] == 1


def test_a_state_directory_others_can_write_is_not_read(host):
    host.state_file(records.BASELINE_FILE, records.encode_record(host.baseline_record()))
    host.state_file(host_verdict.VERDICT_FILE, verdict_text())
    os.chmod(host.state_dir, 0o770)
    dummy_text, errors, families = host.collect()
    assert sorted(errors) == ['baseline', 'verdict']
    assert errors['verdict'].endswith('(rule: mode)')
    assert errors_gauge(families) == {'proc': 0, 'baseline': 1, 'verdict': 1, 'dropin': 0}


def test_links_are_never_followed(host):
    target = host.state_file('elsewhere.json', records.encode_record(host.baseline_record()))
    os.symlink(target, os.path.join(host.state_dir, records.BASELINE_FILE))
    os.symlink('/etc/passwd', os.path.join(host.dropin_dir, '60-netfleet-tuning.conf'))
    dummy_text, errors, families = host.collect()
    assert errors['baseline'].endswith('(rule: symlink)')
    assert errors['dropin'].endswith('(rule: symlink)')
    assert 'netfleet_dropin_present' not in families
    assert errors_gauge(families) == {'proc': 0, 'baseline': 1, 'verdict': 0, 'dropin': 1}


def test_a_verdict_file_others_can_write_is_not_read(host):
    host.state_file(host_verdict.VERDICT_FILE, verdict_text(), mode=0o666)
    errors = host.collect()[1]
    assert errors['verdict'].endswith('(rule: mode)')


def test_a_broken_proc_file_leaves_the_rest(host):
    with open(os.path.join(host.proc, 'net', 'netstat'), 'w') as handle:
        handle.write('TcpExt: SyncookiesSent\nTcpExt: x y\n')
    host.state_file(host_verdict.VERDICT_FILE, verdict_text())
    text, errors, families = host.collect()
    assert sorted(errors) == ['proc']
    assert not [name for name in families if name.startswith(('netfleet_netstat', 'netfleet_softnet'))]
    assert value(families, 'netfleet_verdict', verdict='improved') == 1
    assert errors_gauge(families)['proc'] == 1
    assert comments(text)[0].startswith('# netfleet: proc: not exported: %s' % os.path.join(host.proc, 'net/netstat'))


def test_a_missing_proc_file_is_a_note(host):
    os.remove(os.path.join(host.proc, 'net', 'snmp6'))
    text, errors, families = host.collect()
    assert errors == {}
    assert comments(text) == ['# netfleet: %s is missing: its counters are not reported'
                              % os.path.join(host.proc, 'net/snmp6')]
    assert 'netfleet_netstat_Tcp_InSegs' in families


def test_comment_lines_stay_one_bounded_line():
    inputs = {'snapshot': None, 'tcp_memory': None, 'baseline': None, 'verdict': None, 'dropin': None,
              'errors': {'verdict': 'x\n# TYPE netfleet_verdict counter\nnetfleet_verdict 7\r' + 'y' * 2000},
              'notes': ['a\x00b']}
    text = textfile_export.render_textfile(inputs, NOW)
    families = parse(text)
    assert sorted(families) == ['netfleet_textfile_errors']
    lines = comments(text)
    assert len(lines) == 2 and all(len(line) <= textfile_export.MAX_NOTE + len('# netfleet: ') for line in lines)
    assert lines[1] == '# netfleet: a b'


# ---------------------------------------------------------------- the write and the program

def test_write_is_atomic_0644_and_refuses_a_link(host):
    path = textfile_export.write_textfile(host.textfile_dir, 'a 1\n')
    assert path == os.path.join(host.textfile_dir, 'netfleet_netstat.prom')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    textfile_export.write_textfile(host.textfile_dir, 'a 2\n')
    with open(path) as handle:
        assert handle.read() == 'a 2\n'
    assert os.listdir(host.textfile_dir) == ['netfleet_netstat.prom']  # no temporary file left
    os.remove(path)
    os.symlink(os.path.join(host.root, 'target'), path)
    with pytest.raises(textfile_export.ExportError, match=r'rule: symlink'):
        textfile_export.write_textfile(host.textfile_dir, 'a 3\n')
    assert not os.path.exists(os.path.join(host.root, 'target'))
    with pytest.raises(textfile_export.ExportError, match=r'textfile directory .*/nowhere does not exist'):
        textfile_export.write_textfile(os.path.join(host.root, 'nowhere'), 'a 1\n')


def run_program(host, *argv, **settings):
    out, err = io.StringIO(), io.StringIO()
    defaults = dict(textfile_dir=host.textfile_dir, state_dir=host.state_dir, dropin_priority=60)
    defaults.update(settings)
    code = textfile_export.main(['--proc-path', host.proc, '--dropin-dir', host.dropin_dir] + list(argv), defaults,
                                stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_the_program_writes_the_textfile(host):
    # the state directory's parents (/tmp is 1777) are checked from / here: the baseline is refused, and said
    host.state_file(records.BASELINE_FILE, records.encode_record(host.baseline_record()))
    code, out, err = run_program(host)
    assert code == 0 and out == ''
    assert err.startswith('netfleet-textfile: baseline not exported: directory ')
    with open(os.path.join(host.textfile_dir, 'netfleet_netstat.prom')) as handle:
        families = parse(handle.read())
    assert errors_gauge(families)['baseline'] == 1
    assert 'netfleet_netstat_TcpExt_PruneCalled' in families


def test_the_program_prints_with_stdout_and_takes_its_options(host):
    code, out, dummy_err = run_program(host, '--stdout', '--textfile-dir', '/nonexistent')
    assert code == 0 and 'netfleet_netstat_TcpExt_PruneCalled' in parse(out)
    assert os.listdir(host.textfile_dir) == []


def test_the_program_fails_when_it_cannot_write(host):
    code, out, err = run_program(host, '--textfile-dir', os.path.join(host.root, 'missing'))
    assert code == 1 and out == ''
    assert err.splitlines()[-1].startswith('netfleet-textfile: textfile directory ')


@pytest.mark.parametrize('argv', [
    ['--textfile-dir', 'relative/dir'],
    ['--textfile-dir', '/proc/net'],
    ['--state-dir', '/var/lib/with space'],
    ['--dropin-priority', '100'],
    ['--dropin-priority', 'x'],
    ['--unknown'],
])
def test_the_program_refuses_bad_arguments(host, argv, capsys):
    with pytest.raises(SystemExit) as info:
        run_program(host, *argv)
    assert info.value.code == 2
    assert 'netfleet-textfile: error: ' in capsys.readouterr().err


def test_the_program_checks_the_settings_it_was_installed_with(host, capsys):
    with pytest.raises(SystemExit):
        run_program(host, dropin_priority=True)
    assert '--dropin-priority must be an integer 0..99, got True' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run_program(host, state_dir='/dev/shm/state')
    assert 'must not be under /dev' in capsys.readouterr().err


# ---------------------------------------------------------------- fewer counters

def netstat_names(families):
    return sorted(name for name in families if name.startswith('netfleet_netstat_') and 'timestamp' not in name)


def test_counters_keeps_the_chosen_ones_and_always_the_metrics_sources(host):
    text, errors, families = host.collect(counters=['Udp', 'TcpExt.TCPHP*', 'Nope.Nothing'])
    assert errors == {}
    sources = ['netfleet_netstat_%s_%s' % pair for pair in metric_registry.COUNTER_SOURCES]
    names = netstat_names(families)
    assert set(sources) <= set(names)
    extra = sorted(set(names) - set(sources))
    assert extra == sorted(['netfleet_netstat_TcpExt_TCPHPAcks', 'netfleet_netstat_TcpExt_TCPHPHits']
                           + [name for name in netstat_names(host.collect()[2])
                              if name.startswith('netfleet_netstat_Udp_')])
    assert comments(text) == ['# netfleet: counters: pattern Nope.Nothing matched no counter']
    # every counter by default: several hundred series from Linux 6.18's files
    assert len(netstat_names(host.collect()[2])) > 300


def test_the_program_takes_counters_from_its_settings_and_its_options(host):
    code, out, dummy = run_program(host, '--stdout', counters=['Udp'])
    assert code == 0 and 'netfleet_netstat_Udp_InDatagrams' in parse(out)
    assert 'netfleet_netstat_Icmp_InMsgs' not in parse(out)
    code, out, dummy = run_program(host, '--stdout', '--counter', 'Icmp.InMsgs', counters=['Udp'])
    assert 'netfleet_netstat_Icmp_InMsgs' in parse(out) and 'netfleet_netstat_Udp_InDatagrams' not in parse(out)


@pytest.mark.parametrize('argv, settings, message', [
    (['--counter', 'Tcp.In Segs'], {}, "--counter: 'Tcp.In Segs' is not a Group.Name pattern"),
    ([], {'counters': ['a.b.c']}, "--counter: 'a.b.c' is not a Group.Name pattern"),
    ([], {'counters': 'Tcp'}, "counters must be a list of Group.Name patterns, got 'Tcp'"),
])
def test_bad_counter_patterns_are_refused(host, capsys, argv, settings, message):
    with pytest.raises(SystemExit) as info:
        run_program(host, *argv, **settings)
    assert info.value.code == 2 and message in capsys.readouterr().err
