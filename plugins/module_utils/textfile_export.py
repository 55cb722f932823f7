# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netstat_exporter role's program: the host's counters, its baseline, its verdict and its drop-in
as one Prometheus textfile for node_exporter's textfile collector.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Standard library, Python 3.8+, no Ansible imports: this file runs outside Ansible. The role installs one
program (``/usr/local/sbin/netfleet-textfile``, templates/netfleet-textfile.py.j2) that embeds this file and
every module_utils file it imports, imports them from there and calls ``main()``; a systemd timer runs it
every N seconds. It reads, each time:

- ``/proc`` through procread (the counters, softnet_stat, sockstat and ``net.ipv4.tcp_mem``), rendered by
  promtext as netstat_facts' textfile has them (``netfleet_netstat_<Group>_<Name>``, ``netfleet_softnet_*``,
  ``netfleet_tcp_memory_*``, ``netfleet_netstat_collected_timestamp_seconds``);
- the baseline record the host keeps (``<state dir>/baseline.json``, records.decode_record): the baseline
  window's rates, ``netfleet_baseline_per_million_segs{metric=...}``, ``netfleet_baseline_per_second``,
  ``netfleet_baseline_timestamp_seconds``;
- the verdict the host keeps (``<state dir>/verdict.json``, host_verdict.decode_verdict):
  ``netfleet_verdict{verdict=...}`` (1 for the last verdict, 0 for the others),
  ``netfleet_verdict_timestamp_seconds``;
- the drop-in ``/etc/sysctl.d/<priority>-netfleet-tuning.conf``: ``netfleet_dropin_present``,
  ``netfleet_dropin_keys`` (the keys it sets) and ``netfleet_dropin_keys_overridden`` (those whose live
  value differs from the drop-in's: another file, tuned or a later ``sysctl -w`` won).

The state directory is read as every reader of the collection reads it (state_store: root-owned, not
group or world writable, no link followed) and its files are data: one that fails a rule is reported as
absent, with ``netfleet_textfile_errors{input=...} 1`` and a comment line saying why, never a crash. The
same holds for /proc and the drop-in. The text is written once, atomically (hostfs.write_atomic: a
temporary file in the textfile directory, fsync, rename; mode 0644), so node_exporter never reads half a
file. Exit status: 0 written (even with inputs reported absent), 1 not written, 2 bad arguments.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import argparse
import os
import re
import sys
import time

from ansible_collections.netfleet.tuning.plugins.module_utils import dropin
from ansible_collections.netfleet.tuning.plugins.module_utils import host_verdict
from ansible_collections.netfleet.tuning.plugins.module_utils import hostfs
from ansible_collections.netfleet.tuning.plugins.module_utils import metric_registry
from ansible_collections.netfleet.tuning.plugins.module_utils import procnet
from ansible_collections.netfleet.tuning.plugins.module_utils import procread
from ansible_collections.netfleet.tuning.plugins.module_utils import profiles
from ansible_collections.netfleet.tuning.plugins.module_utils import promtext
from ansible_collections.netfleet.tuning.plugins.module_utils import records
from ansible_collections.netfleet.tuning.plugins.module_utils import sysctl_scope
from ansible_collections.netfleet.tuning.plugins.module_utils import sysctl_value
from ansible_collections.netfleet.tuning.plugins.module_utils.state_store import StateStore

__all__ = ['TEXTFILE_NAME', 'INPUTS', 'DEFAULTS', 'ExportError', 'read_inputs', 'read_dropin', 'render_textfile',
           'collect', 'write_textfile', 'main']

# node_exporter reads *.prom only; the name netstat_facts' textfile examples use, so that the two never
# export the same series from two files of one directory (a scrape error)
TEXTFILE_NAME = 'netfleet_netstat.prom'
# What the program reads, as the label of netfleet_textfile_errors.
INPUTS = ('proc', 'baseline', 'verdict', 'dropin')
DEFAULTS = {
    'textfile_dir': '/var/lib/node_exporter',
    'state_dir': '/var/lib/netfleet-tuning',
    'dropin_priority': 60,
    'dropin_dir': dropin.DROPIN_DIR,
    'proc_path': '/proc',
    # Group.Name globs of the counters to export (procnet.counter_patterns); none: every counter
    'counters': (),
}
MAX_DROPIN_BYTES = 256 * 1024
# A comment line's text at most (an error names a file, an entry and a rule: a few hundred characters).
MAX_NOTE = 600
# Paths the program takes: absolute, printable, no white space (they also go into a systemd unit).
PATH_RE = re.compile(r'\A/[A-Za-z0-9._/@+-]*\Z')


class ExportError(Exception):
    """The textfile cannot be written (or the arguments are wrong): the message says which and why."""


def _message(exc):
    """An exception as one line: procread's wording for an OSError, else its text."""
    if isinstance(exc, EnvironmentError) and not isinstance(exc, hostfs.FileOpError):
        return procread.os_error_message(exc)
    return str(exc)


def _read_state(store, name, what, limit, decode):
    """A file of the state directory, checked by ``decode(text, path)``; None when there is none."""
    text = store.read_file(name, what, limit)
    return None if text is None else decode(text, os.path.join(store.dir, name))


def read_dropin(dropin_dir, priority, proc_path):
    """Our drop-in and how much of it is live -> ``{'path', 'present', 'keys': {key: value},
    'overridden': {key: live value}, 'notes': [str]}``.

    ``present`` only for a file with our fingerprint (dropin.is_ours): another file at our path is
    someone else's, its keys are not counted. The last assignment of a key counts, keys that are not
    sysctl keys of the collection's form are left out. A key is overridden when its live value can be
    read and is not the drop-in's value (sysctl_value.same_value); a key the kernel does not have here is
    noted, not counted. Raises hostfs errors (a link at the path, not text, too large).
    """
    path = os.path.join(dropin_dir, profiles.dropin_basename(priority))
    out = {'path': path, 'present': False, 'keys': {}, 'overridden': {}, 'notes': []}
    text = hostfs.read_text(path, 'drop-in', limit=MAX_DROPIN_BYTES)
    if text is None:
        return out
    if not dropin.is_ours(text):
        out['notes'].append('%s is not a netfleet.tuning drop-in (no %s line): not counted' % (
            path, dropin.FINGERPRINT))
        return out
    out['present'] = True
    for key, value, dummy_line in dropin.parse_conf(text):
        try:
            sysctl_value.validate_key(key)
        except sysctl_value.SysctlKeyError:
            continue
        out['keys'][key] = value
    for key in sorted(out['keys']):
        try:
            live = sysctl_scope.read_value(key, proc_path)
        except (IOError, OSError) as exc:
            out['notes'].append('%s: cannot read the live value: %s' % (key, _message(exc)))
            continue
        if live is None:
            out['notes'].append('%s: set by the drop-in, unknown to the kernel here' % key)
        elif not sysctl_value.same_value(key, live, out['keys'][key]):
            out['overridden'][key] = live
            out['notes'].append('%s: overridden: live %s, drop-in %s' % (key, live, out['keys'][key]))
    return out


def read_inputs(state_dir, dropin_priority, proc_path='/proc', dropin_dir=dropin.DROPIN_DIR, page_size=None,
                anchor='/', counters=()):
    """Everything the textfile tells, read once -> ``{'snapshot', 'counters', 'tcp_memory', 'baseline',
    'verdict', 'dropin', 'errors': {input: message}, 'notes': [str]}``; an input that cannot be read or fails
    its checks is None with its message under ``errors`` (INPUTS). ``counters``: the counters to export, as
    ``Group.Name`` globs (procnet.counter_patterns: ValueError on a bad one); none exports every counter, and
    the named metrics' sources are always exported (promtext.textfile_counters). ``anchor``: where the state
    directory's trust checks start ('/'; unit tests pass their temporary directory)."""
    patterns = procnet.counter_patterns(counters or ())
    out = {'snapshot': None, 'counters': None, 'tcp_memory': None, 'baseline': None, 'verdict': None,
           'dropin': None, 'errors': {}, 'notes': []}
    page_size = page_size or os.sysconf('SC_PAGE_SIZE')
    try:
        out['snapshot'] = procread.read_snapshot(proc_path, page_size, out['notes'])
        out['tcp_memory'] = procread.read_tcp_memory(proc_path, out['snapshot']['sockstat'], page_size)
    except procread.READ_ERRORS + (IOError, OSError) as exc:
        out['errors']['proc'] = _message(exc)
    else:
        kept, unused = procnet.filter_counters(out['snapshot']['counters'], patterns)
        out['counters'] = promtext.textfile_counters(out['snapshot']['counters'], kept)
        out['notes'].extend('counters: pattern %s matched no counter' % pattern for pattern in unused)
    store = StateStore(state_dir, dropin_dir, anchor=anchor)
    state_errors = (hostfs.UnsafePathError, hostfs.FileOpError, records.RecordError)
    try:
        out['baseline'] = _read_state(store, records.BASELINE_FILE, 'baseline file', records.MAX_RECORD_BYTES,
                                      records.decode_record)
    except state_errors as exc:
        out['errors']['baseline'] = _message(exc)
    try:
        out['verdict'] = _read_state(store, host_verdict.VERDICT_FILE, 'verdict file', host_verdict.MAX_VERDICT_BYTES,
                                     host_verdict.decode_verdict)
    except state_errors as exc:
        out['errors']['verdict'] = _message(exc)
    try:
        out['dropin'] = read_dropin(dropin_dir, dropin_priority, proc_path)
        out['notes'].extend(out['dropin']['notes'])
    except (hostfs.UnsafePathError, hostfs.FileOpError) as exc:
        out['errors']['dropin'] = _message(exc)
    return out


_CONTROL_RE = re.compile(r'[\x00-\x1f\x7f]+')


def _comment(text):
    """One comment line of the textfile: never a HELP or TYPE line, no control characters, bounded."""
    text = _CONTROL_RE.sub(' ', text)
    if len(text) > MAX_NOTE:
        text = text[:MAX_NOTE - 3] + '...'
    return '# netfleet: %s' % text


def _baseline(record):
    """The baseline's families: its window's rates (only the known ones) and its time."""
    lines = []
    window = record.get('window')
    if not window or not window['valid']:
        lines.append(_comment('baseline: the window recorded %s is not valid (%s): no baseline rates' % (
            record['recorded_at'], (window or {}).get('invalid_reason') or 'no window')))
    else:
        metrics = window['metrics']
        for field, suffix, text in (
                ('per_million_segs', 'per_million_segs',
                 'the baseline window\'s rate of the metric per million of its segments (Tcp InSegs; OutSegs for '
                 'retransmissions), from the baseline record the host keeps'),
                ('per_second', 'per_second', 'the baseline window\'s rate of the metric per second, from the '
                 'baseline record the host keeps')):
            samples = [('metric', name, metrics[name][field]) for name in metric_registry.ordered(metrics)
                       if metrics[name][field] is not None]
            if samples:
                lines.extend(promtext.family(promtext.metric_name(promtext.PREFIX, 'baseline', suffix), 'gauge',
                                             text, None, samples))
    epoch = record['recorded_epoch']
    if epoch is None:
        epoch = records.parse_time(record['recorded_at'])
    lines.extend(promtext.family(promtext.metric_name(promtext.PREFIX, 'baseline', 'timestamp_seconds'), 'gauge',
                                 'Unix time the baseline window ended', epoch))
    return lines


def _verdict(record):
    lines = promtext.family(
        promtext.metric_name(promtext.PREFIX, 'verdict'), 'gauge',
        'the host\'s last verify verdict (1; the other verdicts 0): only improved and clean pass', None,
        [('verdict', name, 1 if name == record['verdict'] else 0) for name in host_verdict.VERDICTS])
    lines.extend(promtext.family(promtext.metric_name(promtext.PREFIX, 'verdict', 'timestamp_seconds'), 'gauge',
                                 'Unix time the verify window of the last verdict ended',
                                 records.parse_time(record['recorded_at'])))
    return lines


def _dropin(found):
    lines = []
    for suffix, text, value in (
            ('present', '1 when the netfleet.tuning drop-in /etc/sysctl.d/<priority>-netfleet-tuning.conf is there',
             found['present']),
            ('keys', 'sysctl keys the drop-in sets', len(found['keys'])),
            ('keys_overridden', 'keys whose live value is not the drop-in\'s (another file, tuned or a later '
             'sysctl -w won)', len(found['overridden']))):
        lines.extend(promtext.family(promtext.metric_name(promtext.PREFIX, 'dropin', suffix), 'gauge', text,
                                     1 if value is True else 0 if value is False else value))
    return lines


def render_textfile(inputs, timestamp):
    """The textfile's text from read_inputs' result (pure): comment lines (when, the errors and notes), then
    promtext's series of the counters, the baseline's, the verdict's and the drop-in's (each only when it
    was read), and netfleet_textfile_errors (always)."""
    lines = ['# netfleet.tuning netstat_exporter textfile, written at %s' % time.strftime(
        '%Y-%m-%dT%H:%M:%SZ', time.gmtime(timestamp))]
    errors = inputs['errors']
    for name in INPUTS:
        if name in errors:
            lines.append(_comment('%s: not exported: %s' % (name, errors[name])))
    lines.extend(_comment(note) for note in inputs['notes'])
    snapshot = inputs['snapshot']
    if snapshot is not None:
        counters = inputs.get('counters')
        text = promtext.render(snapshot['counters'] if counters is None else counters,
                               (snapshot['softnet'] or {}).get('total'),
                               timestamp=timestamp, tcp_memory=inputs['tcp_memory'])
        lines.extend(text.splitlines())
    if inputs['baseline'] is not None:
        lines.extend(_baseline(inputs['baseline']))
    if inputs['verdict'] is not None:
        lines.extend(_verdict(inputs['verdict']))
    if inputs['dropin'] is not None:
        lines.extend(_dropin(inputs['dropin']))
    lines.extend(promtext.family(
        promtext.metric_name(promtext.PREFIX, 'textfile', 'errors'), 'gauge',
        '1 when the netstat_exporter program could not read this input or it failed its checks (its series are '
        'then absent; a comment line of the textfile says why)', None,
        [('input', name, 1 if name in errors else 0) for name in INPUTS]))
    return '\n'.join(lines) + '\n'


def collect(state_dir, dropin_priority, proc_path='/proc', dropin_dir=dropin.DROPIN_DIR, anchor='/', now=None,
            counters=()):
    """read_inputs and render_textfile -> ``(text, errors)``."""
    inputs = read_inputs(state_dir, dropin_priority, proc_path, dropin_dir, anchor=anchor, counters=counters)
    return render_textfile(inputs, time.time() if now is None else now), inputs['errors']


def write_textfile(directory, text, name=TEXTFILE_NAME):
    """Replace ``<directory>/<name>`` with ``text`` atomically (mode 0644, never through a link) -> its path."""
    if not os.path.isdir(directory):
        raise ExportError('textfile directory %s does not exist (node_exporter\'s --collector.textfile.directory: '
                          'create it, or point the program at it)' % directory)
    path = os.path.join(directory, name)
    try:
        hostfs.write_atomic(path, text, 0o644, 'textfile')
    except (hostfs.UnsafePathError, hostfs.FileOpError) as exc:
        raise ExportError(str(exc))
    return path


def _path(option, keeps_files=True):
    """argparse's check of a path option; ``keeps_files``: a directory that keeps files (not under /proc,
    /sys or /dev)."""
    def check(value):
        if not PATH_RE.match(value):
            raise argparse.ArgumentTypeError('%s must be an absolute path of letters, digits and . _ / @ + -, got %r'
                                             % (option, value))
        value = os.path.normpath(value)
        if keeps_files:
            try:
                profiles.check_state_dir(value, option)
            except sysctl_value.ProfileError as exc:
                raise argparse.ArgumentTypeError(str(exc))
        return value
    return check


def _priority(value):
    try:
        return profiles.check_priority(value.strip() if isinstance(value, str) else value, '--dropin-priority')
    except sysctl_value.ProfileError:
        raise argparse.ArgumentTypeError('--dropin-priority must be an integer 0..99, got %r' % (value,))


def _counter(value):
    try:
        procnet.counter_patterns([value])
    except ValueError as exc:
        raise argparse.ArgumentTypeError('--counter: %s' % exc)
    return value


def build_parser(defaults):
    parser = argparse.ArgumentParser(
        prog='netfleet-textfile',
        description='Write the host\'s TCP counters, its netfleet.tuning baseline, verdict and drop-in state as '
                    'a Prometheus textfile (%s) for node_exporter\'s textfile collector.' % TEXTFILE_NAME)
    parser.add_argument('--textfile-dir', type=_path('--textfile-dir'), default=defaults['textfile_dir'],
                        help='node_exporter\'s --collector.textfile.directory (default: %(default)s)')
    parser.add_argument('--state-dir', type=_path('--state-dir'), default=defaults['state_dir'],
                        help='where the host keeps its baseline and verdict (default: %(default)s)')
    parser.add_argument('--dropin-priority', type=_priority, default=defaults['dropin_priority'],
                        help='the drop-in\'s number, /etc/sysctl.d/NN-netfleet-tuning.conf (default: %(default)s)')
    parser.add_argument('--proc-path', type=_path('--proc-path', keeps_files=False), default=defaults['proc_path'],
                        help='where procfs is mounted (default: %(default)s)')
    parser.add_argument('--dropin-dir', type=_path('--dropin-dir'), default=defaults['dropin_dir'],
                        help=argparse.SUPPRESS)
    parser.add_argument('--counter', dest='counters', action='append', type=_counter, metavar='GROUP.NAME',
                        help='export only the counters matching this glob (TcpExt.PruneCalled, TcpExt.TCP*, Tcp; '
                             'repeat it; the named metrics\' counters are always exported; default: %s)'
                             % (' '.join(defaults['counters']) or 'every counter'))
    parser.add_argument('--stdout', action='store_true', help='print the text instead of writing the textfile')
    return parser


def main(argv=None, defaults=None, stdout=None, stderr=None):
    """The program: -> its exit status (0 written, 1 not written; argparse exits 2 on bad arguments).
    ``defaults``: the role's settings (DEFAULTS' keys), which the options override."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    settings = dict(DEFAULTS, **(defaults or {}))
    parser = build_parser(settings)
    args = parser.parse_args(argv)
    # argparse checks string defaults with their type, not numbers or lists: the role's priority and
    # counters are checked here
    if args.counters is None:
        args.counters = settings['counters']
    try:
        _priority(args.dropin_priority)
        if isinstance(args.counters, str) or not isinstance(args.counters, (list, tuple)):
            raise argparse.ArgumentTypeError('counters must be a list of Group.Name patterns, got %r'
                                             % (args.counters,))
        for pattern in args.counters:
            _counter(pattern)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    text, errors = collect(args.state_dir, args.dropin_priority, args.proc_path, args.dropin_dir,
                           counters=args.counters)
    for name in INPUTS:
        if name in errors:
            stderr.write('netfleet-textfile: %s not exported: %s\n' % (name, errors[name]))
    if args.stdout:
        stdout.write(text)
        return 0
    try:
        write_textfile(args.textfile_dir, text)
    except ExportError as exc:
        stderr.write('netfleet-textfile: %s\n' % exc)
        return 1
    return 0
