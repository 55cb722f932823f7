# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the baseline, verify, rollout and watch playbooks: thin wrappers over plugin_utils.

The maths is in plugins/plugin_utils/ (thresholds.py, verdict.py, significance.py, rollback_check.py, the
report in report.py, the watch's view in watch_view.py), the controller's file names in
plugins/plugin_utils/host_file.py (pure, unit-tested); these wrappers turn their errors into
AnsibleFilterError and plain the inputs (Ansible hands filters tagged or lazy containers).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import gc
import json
import re
import time

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.netfleet.tuning.plugins.module_utils import records as records_utils
from ansible_collections.netfleet.tuning.plugins.plugin_utils import host_file as host_file_utils
from ansible_collections.netfleet.tuning.plugins.plugin_utils import report as report_utils
from ansible_collections.netfleet.tuning.plugins.plugin_utils import report_templates
from ansible_collections.netfleet.tuning.plugins.plugin_utils import report_view
from ansible_collections.netfleet.tuning.plugins.plugin_utils import rollback_check as rollback_check_utils
from ansible_collections.netfleet.tuning.plugins.plugin_utils import stats as stats_utils
from ansible_collections.netfleet.tuning.plugins.plugin_utils import thresholds as thresholds_utils
from ansible_collections.netfleet.tuning.plugins.plugin_utils import verdict as verdict_utils
from ansible_collections.netfleet.tuning.plugins.plugin_utils import watch_view

BASELINE_SCHEMA = records_utils.BASELINE_SCHEMA


try:
    # ansible-core 2.19 and later: a str may carry the tag that makes Ansible template it
    from ansible.template import is_trusted_as_template as _is_trusted_as_template
except ImportError:  # ansible-core before 2.19: no lazy containers, no trust tags
    def _is_trusted_as_template(value):
        return False

_SCALARS = (str, int, float, bool)


class _TemplateInside(Exception):
    """A stored value Ansible would still template: the container must be read the templating way."""


def _key(key):
    """A dict key as a JSON round trip gives it back (str; int, float, bool and None as their JSON text)."""
    if type(key) is str:  # pylint: disable=unidiomatic-typecheck
        return key
    if isinstance(key, str):
        return str(key)
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)
    raise AnsibleFilterError('netfleet.tuning: value is not JSON data: keys must be str, int, float, bool or None, '
                             'not %s' % type(key).__name__)


def _stored(value):
    """What a lazy container (ansible-core 2.19+) holds without templating its values, or None."""
    copy = getattr(value, '_non_lazy_copy', None)
    return copy() if callable(copy) else None


def _convert(value, stored):
    """``value`` as plain dict/list/str/int/float/bool/None. ``stored``: ``value`` was read without
    templating (a lazy container's stored contents): a str Ansible trusts as a template raises
    _TemplateInside, so that its container is read the templating way instead."""
    kind = type(value)
    if value is None or kind in _SCALARS:
        return value
    if kind is dict or kind is list:
        pass
    elif isinstance(value, str):
        if stored and ('{' in value or value[:8] == '#jinja2:') and _is_trusted_as_template(value):
            raise _TemplateInside()
        return str(value)
    elif isinstance(value, bool):
        return bool(value)
    elif isinstance(value, int):
        return int(value)
    elif isinstance(value, float):
        return float(value)
    if isinstance(value, (Mapping, list, tuple)):
        raw = _stored(value) if kind is not dict and kind is not list else None
        if raw is not None:
            try:
                return _convert(raw, True)
            except _TemplateInside:
                if stored:
                    raise
            # read the templating way: every value as Ansible gives it (templated if it must be)
            stored = False
        if isinstance(value, Mapping):
            return dict((_key(key), _convert(item, stored)) for key, item in value.items())
        return [_convert(item, stored) for item in value]
    # what json.dumps(default=str) made of anything else (sets, dates, bytes)
    return str(value)


def _unlazy(value):
    """``value`` with every lazy container of ansible-core 2.19+ (and each one inside it) replaced by what it
    holds, without templating anything: the stored values of the records are final data (set_fact and
    module results). Other containers are left as they are (json.dumps reads them at C speed)."""
    raw = _stored(value)
    if raw is None:
        return value
    if isinstance(raw, dict):
        return dict((key, _unlazy(item)) for key, item in raw.items())
    return [_unlazy(item) for item in raw]


# Text that Ansible would template, if a str holding it were trusted (any of these starts a template).
_TEMPLATE_MARKS = re.compile(r'\{[{%#]|#jinja2:')


def _plain(value):
    """A copy made of plain dict/list/str/int/float/bool/None, as a JSON round trip of ``value`` (with
    ``default=str``) always gave it, at C speed: the lazy containers of ansible-core 2.19+ give up what
    they hold (_unlazy) instead of templating each value again on the way (10,000 hosts' records took
    seconds). When the text holds anything that could be a template, the value is read the templating
    way instead (_convert), so that a str Ansible trusts as a template is rendered as it always was."""
    if value is None:
        return None
    try:
        text = json.dumps(_unlazy(value), default=str)
    except (TypeError, ValueError, RecursionError) as exc:
        raise AnsibleFilterError('netfleet.tuning: value is not JSON data: %s' % exc)
    if _TEMPLATE_MARKS.search(text):
        try:
            return _convert(value, False)
        except RecursionError as exc:
            raise AnsibleFilterError('netfleet.tuning: value is not JSON data: %s' % exc)
    return json.loads(text)


def thresholds(value):
    """``{gated_metrics, min_reduction_pct, min_segments, guard_metrics, guard_max_increase_pct}`` -> the same,
    validated and normalised.

    None or a missing key means the default. Fails naming the variable and its rule.
    """
    value = _plain(value) or {}
    if not isinstance(value, dict):
        raise AnsibleFilterError('netfleet.tuning.thresholds expects a dict, got %s' % type(value).__name__)
    try:
        return thresholds_utils.validate_thresholds(*(value.get(key) for key in thresholds_utils.KEYS))
    except thresholds_utils.ThresholdError as exc:
        raise AnsibleFilterError(str(exc))


def _threshold_kwargs(name, thresholds, gated_metrics, min_reduction_pct, min_segments):
    """The judge's threshold arguments: the checked ``thresholds`` (the thresholds filter's result, passed on as
    it is), or the three values (checked by the judge); never both."""
    if thresholds is None:
        return {'gated_metrics': _plain(gated_metrics), 'min_reduction_pct': _plain(min_reduction_pct),
                'min_segments': _plain(min_segments)}
    if (gated_metrics, min_reduction_pct, min_segments) != (None, None, None):
        raise AnsibleFilterError('netfleet.tuning.%s: give thresholds (the result of netfleet.tuning.thresholds) or '
                                 'gated_metrics, min_reduction_pct and min_segments, not both' % name)
    return {'thresholds': _plain(thresholds)}


def verdict(before, after, gated_metrics=None, min_reduction_pct=None, min_segments=None, socket_buffers=None,
            thresholds=None):
    """``baseline | netfleet.tuning.verdict(verify, thresholds=..., ...)``: the host's verdict (see verdict.judge)."""
    kwargs = _threshold_kwargs('verdict', thresholds, gated_metrics, min_reduction_pct, min_segments)
    try:
        return verdict_utils.judge(_plain(before), _plain(after), socket_buffers=_plain(socket_buffers), **kwargs)
    except thresholds_utils.ThresholdError as exc:
        raise AnsibleFilterError(str(exc))


def baseline_check(window, gated_metrics=None, min_reduction_pct=None, min_segments=None, thresholds=None):
    """``baseline.window | netfleet.tuning.baseline_check(thresholds=...)``: why this baseline can never show an
    improvement."""
    kwargs = _threshold_kwargs('baseline_check', thresholds, gated_metrics, min_reduction_pct, min_segments)
    try:
        return verdict_utils.check_baseline(_plain(window), **kwargs)
    except thresholds_utils.ThresholdError as exc:
        raise AnsibleFilterError(str(exc))


def sample_record(facts, host=None, kind='baseline'):
    """``ansible_facts.netstat`` (sampled with sample_seconds) -> the record the playbooks store.

    ``{'schema', 'kind', 'host', 'recorded_at', 'recorded_epoch', 'boot_id', 'netns', 'window', 'metrics_end',
    'sysctl', 'socket_buffers'}``; the window keeps only the named metrics (not every counter), so a
    baseline file stays small.
    """
    facts = _plain(facts)
    if not isinstance(facts, dict):
        raise AnsibleFilterError('netfleet.tuning.sample_record expects ansible_facts.netstat, got %s'
                                 % type(facts).__name__)
    rates = facts.get('rates')
    window = None
    if isinstance(rates, dict):
        window = dict((key, rates.get(key)) for key in ('seconds', 'valid', 'invalid_reason', 'in_segs', 'metrics'))
    return {
        'schema': BASELINE_SCHEMA,
        'kind': kind,
        'host': host,
        'recorded_at': facts.get('collected_at'),
        'recorded_epoch': records_utils.parse_time(facts.get('collected_at')),
        'boot_id': facts.get('boot_id'),
        # a recreated network namespace keeps the boot_id: its identity tells verify the counters restarted
        'netns': facts.get('netns'),
        'window': window,
        # absolute values at the end of the window: verify checks that no counter went back between windows
        'metrics_end': facts.get('metrics') or {},
        'sysctl': facts.get('sysctl') or {},
        'socket_buffers': facts.get('socket_buffers'),
    }


def baseline_status(record, max_age_seconds=None, now=None):
    """Can a stored baseline record be reused? -> ``{'usable': bool, 'reason': str, 'age_seconds': float}``.

    Usable when it has this collection's schema, a valid window and is at most ``max_age_seconds`` old
    (None or 0: no limit). ``now`` (epoch seconds) is for tests.
    """
    record = _plain(record)
    now = time.time() if now is None else float(now)
    if not isinstance(record, dict) or record.get('schema') != BASELINE_SCHEMA:
        return {'usable': False, 'reason': 'no baseline of this collection', 'age_seconds': None}
    epoch = record.get('recorded_epoch')
    age = (now - float(epoch)) if isinstance(epoch, (int, float)) and not isinstance(epoch, bool) else None
    window = record.get('window')
    if not isinstance(window, dict) or window.get('valid') is not True:
        reason = (window or {}).get('invalid_reason') if isinstance(window, dict) else 'no window'
        return {'usable': False, 'reason': 'the stored baseline window is invalid (%s)' % reason, 'age_seconds': age}
    try:
        limit = float(max_age_seconds) if max_age_seconds not in (None, '') else 0.0
    except (TypeError, ValueError):
        raise AnsibleFilterError('netfleet_baseline_max_age must be a number of seconds, got %r' % (max_age_seconds,))
    if limit > 0:
        if age is None:
            return {'usable': False, 'reason': 'the stored baseline has no time', 'age_seconds': None}
        if age > limit or age < -300:
            return {'usable': False, 'reason': 'the stored baseline is %.0f s old (netfleet_baseline_max_age %.0f)'
                    % (age, limit), 'age_seconds': age}
    return {'usable': True, 'reason': 'baseline from %s' % record.get('recorded_at'), 'age_seconds': age}


def _plain_records(records):
    """``{host: record}`` as plain data, copying only what report.build reads of each record."""
    held = _unlazy(records)
    if isinstance(held, dict):
        slim = dict((name, report_utils.record_for_report(_unlazy(record))) for name, record in held.items())
        try:
            text = json.dumps(slim, default=str)
        except (TypeError, ValueError, RecursionError) as exc:
            raise AnsibleFilterError('netfleet.tuning: value is not JSON data: %s' % exc)
        if not _TEMPLATE_MARKS.search(text):
            return json.loads(text)
    # not a dict, or something in it could be a template: the careful way
    records = _plain(records)
    if isinstance(records, dict):
        return dict((name, report_utils.record_for_report(record)) for name, record in records.items())
    return records


def _report_kwargs(hosts, active, reached, thresholds, playbook, run_id, state_dir, generated_at):
    return {'hosts': _plain(hosts), 'active': _plain(active), 'reached': _plain(reached),
            'thresholds': _plain(thresholds), 'playbook': _plain(playbook), 'run_id': _plain(run_id),
            'state_dir': _plain(state_dir), 'generated_at': _plain(generated_at)}


def fleet_report(records, hosts=None, active=None, reached=None, thresholds=None, playbook=None, run_id=None,
                 state_dir=None, generated_at=None):
    """``{host: record}`` -> the report dict (see report.build)."""
    return report_utils.build(_plain_records(records), **_report_kwargs(hosts, active, reached, thresholds, playbook,
                                                                        run_id, state_dir, generated_at))


_RENDERERS = {
    'json': report_utils.render_json,
    'markdown': report_templates.render_markdown,
    'html': report_templates.render_html,
    'text': report_view.render_text,
}

# the files report_outputs renders, by name
REPORT_FILES = (('report.json', 'json'), ('report.md', 'markdown'), ('report.html', 'html'))


def report_render(report, fmt='json'):
    """``report | netfleet.tuning.report_render('json' | 'markdown' | 'html' | 'text')`` -> str."""
    if fmt not in _RENDERERS:
        raise AnsibleFilterError('netfleet.tuning.report_render: format must be one of %s, got %r'
                                 % (', '.join(sorted(_RENDERERS)), fmt))
    report = _plain(report)
    if not isinstance(report, dict) or 'hosts' not in report or 'summary' not in report:
        raise AnsibleFilterError('netfleet.tuning.report_render expects a report from netfleet.tuning.fleet_report')
    return _RENDERERS[fmt](report)


def _host_records(host_vars, hosts, record_var):
    """``{host: that host's record_var}`` read from ``hostvars`` (every host of ``hosts``; ``{}`` where the
    variable is not set), as ``map('extract', hostvars) | map(attribute=record_var, default={})`` does, without
    the three passes of Jinja's pipeline over the fleet."""
    records = {}
    for name in hosts or ():
        host = host_vars[name]
        records[name] = host[record_var] if isinstance(host, Mapping) and record_var in host else {}
    return records


def report_outputs(records, hosts=None, active=None, reached=None, thresholds=None, playbook=None, run_id=None,
                   state_dir=None, generated_at=None, record_var=None):
    """``{host: record} | netfleet.tuning.report_outputs(...)``: everything playbooks/tasks/report.yml writes
    and shows, from one report built once -> ``{'files': {'report.json', 'report.md', 'report.html': str},
    'text': [str] (the terminal table's lines), 'stats': the set_stats artifact (report_stats)}``.

    One call per report: the report itself never becomes a variable that later tasks template again.
    With ``record_var``, the input is ``hostvars`` and each host's record is its variable of that name
    (``{}`` where it has none).
    """
    if record_var is not None:
        records = _host_records(records, hosts, record_var)
    # The report's data is acyclic: the cyclic garbage collector has nothing to find in it, but every full
    # pass it makes while millions of objects are created walks the whole controller's heap (every host's
    # variables), and that made the report's time grow faster than the fleet.
    collecting = gc.isenabled()
    gc.disable()
    try:
        kwargs = _report_kwargs(hosts, active, reached, thresholds, playbook, run_id, state_dir, generated_at)
        report = report_utils.build(_plain_records(records), **kwargs)
        return {
            'files': dict((name, _RENDERERS[fmt](report)) for name, fmt in REPORT_FILES),
            'text': _RENDERERS['text'](report).splitlines(),
            'stats': stats_utils.report_stats(report),
        }
    finally:
        if collecting:
            gc.enable()


def rollback_check(role_result, live_sysctl, baseline_sysctl=None):
    """``sysctl_profile_result | netfleet.tuning.rollback_check(live, baseline)``: are the restored values live?"""
    return rollback_check_utils.check_restored(_plain(role_result), _plain(live_sysctl), _plain(baseline_sysctl))


def host_file_name(name, suffix=''):
    """``inventory_hostname | netfleet.tuning.host_file_name('.json')``: this host's file name on the controller
    (injective, never hidden, at most 255 bytes; see plugin_utils/host_file.py)."""
    try:
        # str() drops Ansible's tags (a tagged str is a str subclass)
        return host_file_utils.host_file_name(str(name) if isinstance(name, str) else name,
                                              str(suffix) if isinstance(suffix, str) else suffix)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError('netfleet.tuning.host_file_name: %s' % exc)


def _read_controller_copy(path):
    """The controller's copy of a baseline at ``path`` -> (text or None, error). A missing file is no copy;
    a file that exists but cannot be read is an error that names the path."""
    try:
        with open(path, encoding='utf-8') as handle:
            return handle.read(), ''
    except FileNotFoundError:
        return None, ''
    except (OSError, UnicodeDecodeError) as exc:
        return None, '%s cannot be read: %s' % (path, exc)


def baseline_pick(window_start, controller_text=None, controller_path=None, read_controller=False, max_age=None):
    """``__netfleet_window_start | netfleet.tuning.baseline_pick(controller_path=..., read_controller=true,
    max_age=...)``: the record, source and error of _pick_baseline, plus ``status`` (baseline_status with ``max_age``; its reason is the error when
    there is one), so one call per host gives everything the playbooks use."""
    picked = _pick_baseline(window_start, controller_text, controller_path, read_controller)
    status = baseline_status(picked['record'], max_age)
    if picked['error']:
        status = dict(status, reason=picked['error'])
    picked['status'] = status
    return picked


def verify_judgement(verify_record, thresholds=None, baseline=None, window_start=None, controller_path=None):
    """``__netfleet_window_end.record | netfleet.tuning.verify_judgement(thresholds, baseline=..., window_start=...,
    controller_path=...)``: the verify window judged against the host's baseline, as the fields the verify stage
    adds to the host's record -> ``{'stage': 'verified', 'baseline', 'baseline_source', 'verify', 'verdict'}``,
    plus ``'error'`` when the baseline could not be used.

    ``baseline``: the one already picked (baseline_pick's result: rollout picks it while preparing); without
    it, the baseline is picked here from ``window_start`` (the copy the host returned with the window's first
    read), else from the controller's copy at ``controller_path`` (read only then). One call per host picks
    and judges. ``thresholds``: netfleet.tuning.thresholds' result.
    """
    if baseline is None:
        picked = _pick_baseline(window_start, None, controller_path, True)
    else:
        picked = _plain(baseline)
        if not isinstance(picked, dict):
            raise AnsibleFilterError('netfleet.tuning.verify_judgement: baseline must be baseline_pick\'s result, '
                                     'got %s' % type(picked).__name__)
    after = _plain(verify_record)
    try:
        judged = verdict_utils.judge(picked.get('record'), after, thresholds=_plain(thresholds),
                                     socket_buffers=after.get('socket_buffers') if isinstance(after, dict) else None)
    except thresholds_utils.ThresholdError as exc:
        raise AnsibleFilterError(str(exc))
    fields = {'stage': 'verified', 'baseline': picked.get('record'), 'baseline_source': picked.get('source'),
              'verify': after, 'verdict': judged}
    if picked.get('error'):
        fields['error'] = picked['error']
    return fields


def _pick_baseline(window_start, controller_text, controller_path, read_controller):
    """This host's baseline -> ``{'record', 'source': 'host' | 'controller' | None, 'error': str}``.

    The copy the host keeps (returned by netfleet_window's first read with load_baseline) counts; the
    controller's copy only when the host keeps none: its text (``controller_text``) or, with
    ``read_controller``, the file at ``controller_path``, read here on the controller only when it is
    needed. A host copy that failed the host's checks is reported, never replaced by the controller's
    copy. Both are checked as data (records.decode_record) before use.
    """
    start = _plain(window_start) or {}
    if not isinstance(start, dict):
        start = {}
    if start.get('baseline_error'):
        return {'record': None, 'source': None, 'error': 'the host\'s baseline: %s' % start['baseline_error']}
    try:
        if start.get('baseline') is not None:
            return {'record': records_utils.decode_record(start['baseline'], 'the host\'s baseline'),
                    'source': 'host', 'error': ''}
        if controller_text is None and read_controller and controller_path:
            controller_text, error = _read_controller_copy(str(controller_path))
            if error:
                return {'record': None, 'source': None, 'error': error}
        if controller_text:
            source = controller_path or 'the controller\'s baseline copy'
            try:
                data = json.loads(str(controller_text))
            except ValueError as exc:
                return {'record': None, 'source': None, 'error': '%s: not valid JSON (%s)' % (source, exc)}
            return {'record': records_utils.decode_record(data, source), 'source': 'controller', 'error': ''}
    except records_utils.RecordError as exc:
        return {'record': None, 'source': None, 'error': str(exc)}
    return {'record': None, 'source': None, 'error': ''}


def report_stats(report):
    """``report | netfleet.tuning.report_stats``: the small ``netfleet_report`` artifact for set_stats."""
    return stats_utils.report_stats(_plain(report))


def baseline_lines(hosts, records, gated_metrics=None):
    """``hosts | netfleet.tuning.baseline_lines(records, gated_metrics)``: one line per sampled host for the
    terminal (``web1: 123456 InSegs in 60.0 s; prune_called 12; rcv_collapsed 340``); hosts without a
    record are left out."""
    metrics = list(_plain(gated_metrics) or [])
    lines = []
    for name, record in zip(_plain(hosts), _plain(records)):
        if not isinstance(record, dict) or not isinstance(record.get('window'), dict):
            continue
        window = record['window']
        seconds = window.get('seconds')
        parts = ['%s InSegs in %s s' % (_display(window.get('in_segs')),
                                        '%.1f' % seconds if isinstance(seconds, (int, float)) else 'n/a')]
        for metric in metrics:
            parts.append('%s %s' % (metric, _display(((window.get('metrics') or {}).get(metric) or {}).get('delta'))))
        if window.get('valid') is not True:
            parts.append('window not valid (%s)' % (window.get('invalid_reason') or 'no reason given'))
        lines.append('%s: %s' % (name, '; '.join(parts)))
    return lines


def _display(value):
    return 'n/a' if value is None else str(value)


def baseline_warnings(hosts, problems):
    """``hosts | netfleet.tuning.baseline_warnings(problems)``: one line per host whose baseline cannot show an
    improvement (``problems``: each host's baseline_check result, in the same order), for the terminal
    (``web1: only 3 prune_called events ...; ... Verify cannot pass this host against this baseline.``); hosts
    without a problem are left out."""
    return ['%s: %s. Verify cannot pass this host against this baseline.' % (name, '; '.join(host_problems))
            for name, host_problems in zip(_plain(hosts), _plain(problems)) if host_problems]


def baseline_stats(hosts, records, active=None, check_mode=False, run_id=None):
    """``hosts | netfleet.tuning.baseline_stats(records, active=..., check_mode=..., run_id=...)``: the
    baseline playbook's ``netfleet_report`` artifact."""
    return stats_utils.baseline_stats(list(_plain(hosts)), list(_plain(records)),
                                      active=None if active is None else list(_plain(active)),
                                      check_mode=bool(check_mode), run_id=run_id)


def rollback_stats(hosts, checks, active=None, check_mode=False, run_id=None):
    """``hosts | netfleet.tuning.rollback_stats(checks, active=..., check_mode=..., run_id=...)``: the
    rollback playbook's ``netfleet_report`` artifact."""
    return stats_utils.rollback_stats(list(_plain(hosts)), list(_plain(checks)),
                                      active=None if active is None else list(_plain(active)),
                                      check_mode=bool(check_mode), run_id=run_id)


def watch_settings(value):
    """``{rounds, seconds, top, hosts} | netfleet.tuning.watch_settings``: the watch playbook's settings, checked
    (see watch_view.validate_settings; None or a missing key means the default). Fails naming the variable."""
    value = _plain(value) or {}
    if not isinstance(value, dict):
        raise AnsibleFilterError('netfleet.tuning.watch_settings expects a dict, got %s' % type(value).__name__)
    try:
        return watch_view.validate_settings(*(value.get(key) for key in ('rounds', 'seconds', 'top', 'hosts')))
    except watch_view.WatchError as exc:
        raise AnsibleFilterError(str(exc))


def watch_round(host_vars, hosts=None, result_var=None, starts=None, round_number=1, rounds=1, top=20, now=None):
    """``hostvars | netfleet.tuning.watch_round(hosts=..., result_var=..., starts=..., round_number=..., rounds=...,
    top=...)``: one round of the watch -> ``{'lines': [str], 'starts': {host: start}}``, each host's result read
    from its variable ``result_var`` (see watch_view.watch_round)."""
    if not result_var:
        raise AnsibleFilterError('netfleet.tuning.watch_round: result_var (the registered variable) is required')
    results = dict((name, _plain(result)) for name, result in _host_records(host_vars, hosts, result_var).items())
    try:
        return watch_view.watch_round(results, _plain(starts) or {}, int(round_number), int(rounds), int(top),
                                      None if now is None else float(now))
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError('netfleet.tuning.watch_round: %s' % exc)


class FilterModule(object):
    """netfleet.tuning filters."""

    def filters(self):
        return {
            'thresholds': thresholds,
            'verdict': verdict,
            'sample_record': sample_record,
            'baseline_status': baseline_status,
            'baseline_check': baseline_check,
            'fleet_report': fleet_report,
            'report_render': report_render,
            'report_outputs': report_outputs,
            'rollback_check': rollback_check,
            'host_file_name': host_file_name,
            'baseline_pick': baseline_pick,
            'verify_judgement': verify_judgement,
            'report_stats': report_stats,
            'baseline_lines': baseline_lines,
            'baseline_warnings': baseline_warnings,
            'baseline_stats': baseline_stats,
            'rollback_stats': rollback_stats,
            'watch_settings': watch_settings,
            'watch_round': watch_round,
        }
