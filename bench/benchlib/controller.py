# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller at fleet scale: verdicts and the fleet report for simulated hosts (no lab, no root).

N simulated hosts' records are built through the collection's own code (``records.build_record``
over ``rates.window``: the record the playbooks keep), 85% improved and the rest failing in the
usual ways (not_improved, insufficient_traffic, reset, failed, unreachable). Then, timed:

- ``judge()`` for every verified host, directly and through the ``verdict`` filter (as
  playbooks/tasks/verify_host.yml calls it);
- the report after each of the rollout's default batches ``[1, 25%, 100%]`` (3 reports on the whole
  fleet): ``report.build()`` and each renderer (json, markdown, html, text), directly and through the
  filters, the way playbooks/tasks/report.yml calls them; the output sizes.

The same inputs go through two copies of the collection, each in a Python process of its own: the
collection as it was before the controller work (``git archive`` of ``BEFORE_REF``, unpacked under
the run directory: no worktree, no stash) and the working tree, so both are measured in one run, side by
side. The verdict of every host is compared between the two: the work must not change a single decision.

Then (``ansible_hosts``, bench/run.py ``--controller-ansible-hosts``, default 10,000) the rollout's
reporting through ``ansible-playbook``: the report tasks (playbooks/tasks/report.yml) once per batch
state on that many inventory hosts holding their records, timed per task (controller_ansible.py).

``python bench/benchlib/controller.py worker ROOT SIZES REPS [options]`` is the per-side process (JSON on
stdout; see main()).
"""

import hashlib
import json
import os
import random
import subprocess
import sys
import tarfile
import time
import types

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BENCH)

# The last commit before the controller work (issue 12, item 7): the "before" side of every number.
BEFORE_REF = "b2a74c87554d2e428aca2c14927725717404b18e"
# What a `git archive` of a side needs: the collection's code and its report tasks.
ARCHIVE_PATHS = ("galaxy.yml", "meta", "plugins", "playbooks")

# The simulated fleet (percent of hosts): 85% improved, the rest failing in the usual ways.
MIX = (("improved", 85), ("not_improved", 5), ("insufficient_traffic", 4), ("reset", 3), ("failed", 2),
       ("unreachable", 1))
SERIAL = (1, "25%", "100%")
THRESHOLDS = {"gated_metrics": ["prune_called", "rcv_collapsed"], "min_reduction_pct": 90, "min_segments": 10000}
FORMATS = ("json", "markdown", "html", "text")
FILES = {"json": "report.json", "markdown": "report.md", "html": "report.html"}
TARGET_S = 10.0

# The values a simulated host's sysctls have before and after the role (json_api_heavy on a netns host).
UNTUNED = {"net.ipv4.tcp_rmem": "4096 16384 65536", "net.ipv4.tcp_wmem": "4096 16384 4194304",
           "net.core.somaxconn": "4096", "net.ipv4.tcp_window_scaling": "1", "net.ipv4.tcp_timestamps": "1",
           "net.ipv4.tcp_sack": "1", "net.ipv4.tcp_adv_win_scale": "1", "net.ipv4.tcp_moderate_rcvbuf": "1",
           "net.ipv4.tcp_mem": "22000 29000 44000"}
TUNED = {"net.ipv4.tcp_rmem": "4096 87380 33554432", "net.ipv4.tcp_wmem": "4096 65536 33554432"}
HOST_SCOPE = ("net.core.rmem_max", "net.core.wmem_max", "net.core.rmem_default", "net.core.wmem_default",
              "net.core.netdev_max_backlog", "net.ipv4.tcp_mem")
PROFILE = {"net.core.rmem_default": "16777216", "net.core.wmem_default": "16777216", "net.core.rmem_max": "33554432",
           "net.core.wmem_max": "33554432", "net.ipv4.tcp_rmem": "4096 87380 33554432",
           "net.ipv4.tcp_wmem": "4096 65536 33554432", "net.ipv4.tcp_window_scaling": "1",
           "net.ipv4.tcp_timestamps": "1", "net.ipv4.tcp_sack": "1", "net.core.netdev_max_backlog": "50000",
           "net.core.somaxconn": "4096"}
SOCKET_RULE = ("rb (sk_rcvbuf from ss -m) below the net.ipv4.tcp_rmem default: set by the application "
               "(SO_RCVBUF), so autotuning is off for the socket")


# ------------------------------------------------------------------------------------------ the fleet

def host_name(index):
    return "sim-%05d" % (index + 1)


def plan_fleet(count, seed=12, mix=MIX):
    """[kind] per host in inventory order: the mix's exact shares (rounded, the rest improved), shuffled
    with a fixed seed so that every batch holds some of each."""
    kinds = []
    for kind, pct in mix[1:]:
        kinds += [kind] * int(round(count * pct / 100.0))
    kinds = kinds[:count]
    kinds += [mix[0][0]] * (count - len(kinds))
    random.Random(seed).shuffle(kinds)
    return kinds


def batches(count, serial=SERIAL):
    """Batch sizes as Ansible's ``serial`` makes them (a percentage of the whole play, at least 1; the
    last value repeats until every host had its batch)."""
    sizes, left, index = [], count, 0
    while left > 0:
        item = serial[min(index, len(serial) - 1)]
        if isinstance(item, str) and item.endswith("%"):
            size = max(1, int(float(item[:-1]) / 100.0 * count))
        else:
            size = int(item)
        size = min(size, left)
        sizes.append(size)
        left -= size
        index += 1
    return sizes


def _time_text(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + ".%03dZ" % int(round((epoch % 1) * 1000) % 1000)


def _snapshot(boot, netns, mono, epoch, values):
    return {"boot_id": boot, "netns": netns, "monotonic": mono, "collected_at": _time_text(epoch),
            "metrics": dict(values)}


def _sysctl(tuned, scope_keys):
    out = {}
    for key in scope_keys:
        if key in HOST_SCOPE:
            out[key] = {"value": None, "scope": "host"}
        else:
            value = (TUNED.get(key) if tuned else None) or UNTUNED.get(key, "1")
            out[key] = {"value": value, "scope": "netns"}
    return out


def _role_result():
    keys = {}
    for key, wanted in sorted(PROFILE.items()):
        if key in HOST_SCOPE:
            keys[key] = {"status": "skipped", "scope": "host", "desired": wanted,
                         "reason": "read-only in this network namespace (host scope)"}
        elif key in TUNED:
            keys[key] = {"status": "applied", "scope": "netns", "desired": wanted, "value": wanted,
                         "before": UNTUNED[key], "live": wanted}
        else:
            keys[key] = {"status": "unchanged", "scope": "netns", "desired": wanted, "value": wanted,
                         "before": UNTUNED.get(key, wanted), "live": UNTUNED.get(key, wanted)}
    applied = sum(1 for entry in keys.values() if entry["status"] == "applied")
    return {"changed": True, "state": "present", "path": "/etc/sysctl.d/60-netfleet-tuning.conf",
            "msg": "present /etc/sysctl.d/60-netfleet-tuning.conf (json_api_heavy): %d applied, %d unchanged, "
                   "%d skipped" % (applied, len(keys) - applied - len(HOST_SCOPE) + 1, len(HOST_SCOPE) - 1),
            "keys": keys}


def _socket_buffers(pinned):
    offenders = []
    if pinned:
        offenders = [{"local": "198.18.0.10:*", "peer": "198.18.0.1:8080", "sockets": pinned, "rb_min": 8192,
                      "rb_max": 8192, "drops": 12 * pinned}]
    return {"rule": SOCKET_RULE, "tcp_rmem_default": 87380, "established": 8 + pinned, "with_rb": 8 + pinned,
            "pinned_below_default": pinned, "pinned_drops": 12 * pinned, "offenders": offenders,
            "pinned_stable": pinned}


def simulate_host(index, kind, mods, rng):
    """(baseline record, verify record) of one verified host, built with the side's records module, or
    None for a host that never reaches a verdict (failed, unreachable). ``kind`` decides the traffic:
    improved (gated rates -96% or more), not_improved (-20% to +20%), insufficient_traffic (a quiet
    verify window, or a handful of events that cannot prove a drop), reset (the namespace recreated,
    a reboot inside the window, or counters below the baseline's end)."""
    if kind in ("failed", "unreachable"):
        return None
    records = mods["records"]
    name = host_name(index)
    boot = "%08x-0000-4000-8000-%012x" % (index, index)
    netns = "net:[40265%05d]" % index
    keys = mods["managed_keys"]
    t0 = 1767225600.0 + index * 0.001
    segs_b = rng.randint(300000, 2000000)
    segs_v = int(segs_b * rng.uniform(1.0, 3.0))
    prune_b = rng.randint(2000, 6600)
    coll_b = rng.randint(100000, 290000)
    scale = float(segs_v) / segs_b
    if kind == "improved":
        prune_v = int(prune_b * scale * rng.uniform(0.0, 0.01))
        coll_v = int(coll_b * scale * rng.uniform(0.005, 0.04))
    elif kind == "not_improved":
        prune_v = int(prune_b * scale * rng.uniform(0.8, 1.2))
        coll_v = int(coll_b * scale * rng.uniform(0.8, 1.2))
    else:
        prune_v = int(prune_b * scale * rng.uniform(0.0, 0.01))
        coll_v = int(coll_b * scale * rng.uniform(0.005, 0.04))
    variant = index % 3
    if kind == "insufficient_traffic":
        if variant == 0:
            segs_v = rng.randint(1000, 9000)
        else:
            prune_b, prune_v = rng.randint(1, 3), 0
    base_start = {"prune_called": 10 ** 6 + index, "rcv_collapsed": 5 * 10 ** 7 + index, "rcv_pruned": 0,
                  "ofo_pruned": 3, "backlog_drop": 0, "rcvq_drop": 0, "softnet_dropped": 17,
                  "in_segs": 10 ** 9 + index}
    base_delta = {"prune_called": prune_b, "rcv_collapsed": coll_b, "rcv_pruned": 0, "ofo_pruned": 0,
                  "backlog_drop": 0, "rcvq_drop": 0, "softnet_dropped": 0, "in_segs": segs_b}
    base_end = dict((key, base_start[key] + base_delta[key]) for key in base_start)
    gap = 1800.0
    ver_start = dict((key, base_end[key] + base_delta[key] * 30) for key in base_end)
    ver_delta = {"prune_called": prune_v, "rcv_collapsed": coll_v, "rcv_pruned": 0, "ofo_pruned": 0,
                 "backlog_drop": 0, "rcvq_drop": 0, "softnet_dropped": 0, "in_segs": segs_v}
    ver_boot_end, ver_netns = boot, netns
    if kind == "reset":
        if variant == 0:
            ver_netns = "net:[40266%05d]" % index            # a recreated pod: the namespace changed
        elif variant == 1:
            ver_boot_end = "ffffffff" + boot[8:]               # a reboot inside the verify window
        else:
            ver_start = dict((key, value // 2) for key, value in base_end.items())  # counters cleared
    ver_end = dict((key, ver_start[key] + ver_delta[key]) for key in ver_start)
    start = records.build_start(_snapshot(boot, netns, 1000.0, t0, base_start))
    baseline = records.build_record(start, _snapshot(boot, netns, 1060.0, t0 + 60, base_end),
                                    _sysctl(False, keys), _socket_buffers(0), "baseline", name)
    start = records.build_start(_snapshot(boot, ver_netns, 1000.0 + gap, t0 + gap, ver_start))
    pinned = 8 if kind == "not_improved" and variant == 0 else 0
    verify = records.build_record(start, _snapshot(ver_boot_end, ver_netns, 1060.0 + gap, t0 + gap + 60, ver_end),
                                  _sysctl(True, keys), _socket_buffers(pinned), "verify", name)
    return baseline, verify


def simulate(count, mods, seed=12):
    """The fleet's inputs: ``{'hosts': [name], 'kinds': [kind], 'batch': [int], 'samples': [(baseline,
    verify) or None]}`` (deterministic for a seed)."""
    kinds = plan_fleet(count, seed)
    batch_of = []
    for number, size in enumerate(batches(count), 1):
        batch_of += [number] * size
    rng = random.Random(seed)
    samples = [simulate_host(index, kind, mods, rng) for index, kind in enumerate(kinds)]
    return {"hosts": [host_name(i) for i in range(count)], "kinds": kinds, "batch": batch_of, "samples": samples}


def judge_args(sample):
    """How verify_host.yml calls the verdict filter: (args, kwargs)."""
    baseline, verify = sample
    return (baseline, verify), {"gated_metrics": THRESHOLDS["gated_metrics"],
                                "min_reduction_pct": THRESHOLDS["min_reduction_pct"],
                                "min_segments": THRESHOLDS["min_segments"],
                                "socket_buffers": verify.get("socket_buffers")}


def fleet_records(fleet, verdicts, upto_batch):
    """``{host: __netfleet_record}`` after the batches up to ``upto_batch``, and the active hosts
    (those still in the play: every host but the unreachable ones of the batches done)."""
    records, active = {}, []
    role = _role_result()
    for index, name in enumerate(fleet["hosts"]):
        kind, batch = fleet["kinds"][index], fleet["batch"][index]
        if batch > upto_batch:
            records[name] = {"stage": "pending"}
            active.append(name)
            continue
        if kind == "unreachable":
            records[name] = {"stage": "started", "batch": batch}
            continue
        active.append(name)
        if kind == "failed":
            records[name] = {"stage": "failed", "batch": batch,
                             "error": "sysctl_dropin: cannot write /etc/sysctl.d/60-netfleet-tuning.conf: "
                                      "[Errno 30] Read-only file system"}
            continue
        baseline, verify = fleet["samples"][index]
        records[name] = {"stage": "verified", "batch": batch, "role_result": role, "role_changed": True,
                         "baseline": baseline, "baseline_source": "host", "verify": verify,
                         "verdict": verdicts[name]}
    return records, active


def decisions_digest(verdicts):
    """sha256 over every host's (name, verdict, passed), in name order: equal digests, equal decisions."""
    text = json.dumps([[name, verdicts[name]["verdict"], verdicts[name]["passed"]] for name in sorted(verdicts)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------------- the per-side worker

def _load(root):
    """The side's modules, imported from ``root`` (a directory holding ansible_collections/)."""
    sys.path.insert(0, root)
    from ansible_collections.netfleet.tuning.plugins.module_utils import records
    from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_scope import MANAGED_KEYS
    from ansible_collections.netfleet.tuning.plugins.filter import netfleet as filters
    # the controller's code is in plugin_utils since issue 13; a side from before has it in module_utils (asked of
    # the side's own files: the namespace packages would also find the working tree's on the path)
    if os.path.exists(os.path.join(root, "ansible_collections", "netfleet", "tuning", "plugins", "plugin_utils",
                                   "verdict.py")):
        from ansible_collections.netfleet.tuning.plugins.plugin_utils import report as model, thresholds, verdict
        from ansible_collections.netfleet.tuning.plugins.plugin_utils import report_templates, report_view
        report = types.SimpleNamespace(build=model.build, render_json=model.render_json,
                                       render_markdown=report_templates.render_markdown,
                                       render_html=report_templates.render_html, render_text=report_view.render_text)
    else:
        from ansible_collections.netfleet.tuning.plugins.module_utils import report, verdict
        thresholds = verdict
    return {"records": records, "report": report, "verdict": verdict, "thresholds": thresholds, "filters": filters,
            "managed_keys": MANAGED_KEYS, "file": verdict.__file__}


def _timed(func, *args, **kwargs):
    start = time.perf_counter()
    value = func(*args, **kwargs)
    return time.perf_counter() - start, value


def _report_path(filters, records, kwargs):
    """What playbooks/tasks/report.yml calls for one report -> (seconds, name of the calls): one
    report_outputs, or, before it existed, fleet_report, report_render per format and report_stats (each
    with its own copy of its input)."""
    if hasattr(filters, "report_outputs"):
        seconds, _out = _timed(filters.report_outputs, records, **kwargs)
        return seconds, "report_outputs"
    seconds, report = _timed(filters.fleet_report, records, **kwargs)
    for fmt in FORMATS:
        seconds += _timed(filters.report_render, report, fmt)[0]
    seconds += _timed(filters.report_stats, report)[0]
    return seconds, "fleet_report, report_render x4, report_stats"


def measure_reports(mods, fleet, verdicts, thresholds, reps, batch_states):
    """The report after each batch in batch_states: report.build and each renderer directly (best of reps),
    and the filter calls of report.yml; output sizes."""
    report, filters = mods["report"], mods["filters"]
    out = []
    for upto in batch_states:
        records, active = fleet_records(fleet, verdicts, upto)
        kwargs = {"hosts": fleet["hosts"], "active": active, "thresholds": thresholds, "playbook": "rollout",
                  "run_id": "bench", "state_dir": "/tmp/netfleet-bench", "generated_at": "2026-01-01T00:00:00Z"}
        best = None
        for _rep in range(reps):
            one = {"render_s": {}}
            one["build_s"], built = _timed(report.build, records, **kwargs)
            texts = {}
            for fmt in FORMATS:
                one["render_s"][fmt], texts[fmt] = _timed(getattr(report, "render_%s" % fmt), built)
            one["filter_report_s"], one["filter_calls"] = _report_path(filters, records, kwargs)
            one["total_s"] = one["build_s"] + sum(one["render_s"].values())
            if best is None or one["filter_report_s"] < best["filter_report_s"]:
                best = one
        best["batch"] = upto
        best["verified"] = sum(1 for record in records.values() if record.get("stage") == "verified")
        best["bytes"] = dict((fmt, len(texts[fmt].encode("utf-8"))) for fmt in FORMATS)
        best["html_svg"] = texts["html"].count("<svg")
        out.append(best)
    return out


def measure_side(root, sizes, reps=1, seed=12, last_only=False, filter_verdicts=True, inventory_dir=None,
                 inventory_hosts=None):
    """Everything timed for one side (see the module docstring); runs in the side's own process.
    ``last_only``: only the report after the last batch (the largest; the before side, whose reports take a
    minute at 10,000 hosts). ``filter_verdicts``: also time the verdict filter. ``inventory_dir``: also write
    the Ansible part's inventories for ``inventory_hosts`` (one of the sizes)."""
    mods = _load(root)
    verdict = mods["verdict"]
    out = {"module": mods["file"], "sizes": {}}
    for count in sizes:
        fleet = simulate(count, mods, seed)
        verified = [(name, sample) for name, sample in zip(fleet["hosts"], fleet["samples"]) if sample]
        judge_s, filter_s = [], []
        verdicts = {}
        for _rep in range(reps):
            start = time.perf_counter()
            for name, sample in verified:
                args, kwargs = judge_args(sample)
                verdicts[name] = verdict.judge(*args, **kwargs)
            judge_s.append(time.perf_counter() - start)
            if filter_verdicts:
                start = time.perf_counter()
                for name, sample in verified:
                    args, kwargs = judge_args(sample)
                    mods["filters"].verdict(*args, **kwargs)
                filter_s.append(time.perf_counter() - start)
        counts = {}
        for entry in verdicts.values():
            counts[entry["verdict"]] = counts.get(entry["verdict"], 0) + 1
        states = list(range(1, len(batches(count)) + 1))
        entry = {"hosts": count, "verified": len(verified), "verdict_counts": counts,
                 "kinds": dict((kind, fleet["kinds"].count(kind)) for kind, _pct in MIX),
                 "decisions_sha256": decisions_digest(verdicts),
                 "judge_s": min(judge_s), "verdict_filter_s": min(filter_s) if filter_s else None,
                 "reports": measure_reports(mods, fleet, verdicts, mods["thresholds"].validate_thresholds(**THRESHOLDS), reps,
                                            states[-1:] if last_only else states)}
        last = entry["reports"][-1]
        entry["bytes"] = last["bytes"]
        entry["html_svg"] = last["html_svg"]
        entry["rollout_reporting_s"] = (None if last_only
                                        else sum(r["filter_report_s"] for r in entry["reports"]))
        out["sizes"][str(count)] = entry
        if inventory_dir and count == inventory_hosts:
            write_inventories(fleet, verdicts, inventory_dir)
        del fleet, verdicts
    return out


# ------------------------------------------------------------------------------- sides and the part

def make_before(out_dir, ref=BEFORE_REF, repo=REPO):
    """Unpack the collection at ``ref`` under ``out_dir``/before (git archive: no worktree, no stash)
    -> the root that holds ansible_collections/."""
    root = os.path.join(out_dir, "before")
    target = os.path.join(root, "ansible_collections", "netfleet", "tuning")
    if not os.path.isdir(os.path.join(target, "plugins")):
        os.makedirs(target, exist_ok=True)
        archive = os.path.join(out_dir, "before.tar")
        with open(archive, "wb") as handle:
            subprocess.run(["git", "-C", repo, "archive", "--format=tar", ref] + list(ARCHIVE_PATHS), stdout=handle,
                           check=True, timeout=120)
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):  # Python 3.12 and the 3.8-3.11 security releases
                tar.extractall(target, filter="data")
            else:
                tar.extractall(target)
        os.remove(archive)
    return root


def run_worker(root, sizes, reps, log_path, options=(), timeout=3600):
    """One side in a process of its own -> its measure_side result."""
    argv = [sys.executable, os.path.abspath(__file__), "worker", root, ",".join(str(s) for s in sizes), str(reps)]
    argv += [str(option) for option in options]
    with open(log_path, "w", encoding="utf-8") as err:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True,
                              timeout=timeout, cwd=BENCH)
    if proc.returncode != 0:
        with open(log_path, encoding="utf-8") as handle:
            raise ValueError("controller worker for %s exited %d: %s" % (root, proc.returncode, handle.read()[-800:]))
    return json.loads(proc.stdout)


def compare(before, after):
    """Per size: before and after side by side, their ratios, and whether the decisions are the same."""
    out = {}
    for size, new in after["sizes"].items():
        old = (before or {}).get("sizes", {}).get(size)
        row = {"hosts": new["hosts"], "after": new, "before": old}
        if old:
            row["same_decisions"] = old["decisions_sha256"] == new["decisions_sha256"]
            row["speedup"] = {
                "judge": _div(old["judge_s"], new["judge_s"]),
                "build": _div(old["reports"][-1]["build_s"], new["reports"][-1]["build_s"]),
                "report": _div(old["reports"][-1]["filter_report_s"], new["reports"][-1]["filter_report_s"]),
            }
        out[size] = row
    return out


def _div(a, b):
    return None if a is None or not b else a / b


def run_controller(cfg, out_dir, log=None):
    """The part. cfg: ``sizes`` (simulated hosts, both sides), ``reps`` (repetitions of the working tree's
    timings; the before side runs once, and only its last report), ``ansible_hosts`` (the rollout's
    reporting through ansible-playbook at this size, 0: not run), ``ansible_before`` (also for the before
    side: minutes at 10,000 hosts), ``before_ref``, ``no_before``."""
    log = log or (lambda msg: None)
    os.makedirs(out_dir, exist_ok=True)
    current = os.path.join(REPO, ".cache", "collections")
    ansible_hosts = int(cfg.get("ansible_hosts") or 0)
    sizes = sorted(set(cfg["sizes"]) | ({ansible_hosts} if ansible_hosts else set()))
    result = {"config": dict(cfg), "before_ref": cfg.get("before_ref") or BEFORE_REF, "mix": [list(m) for m in MIX],
              "serial": list(SERIAL), "thresholds": THRESHOLDS, "target_s": TARGET_S}
    before = None
    if not cfg.get("no_before"):
        root = make_before(out_dir, result["before_ref"])
        log("controller: before (%s) at %s simulated hosts" % (result["before_ref"][:10], sizes))
        before = run_worker(root, sizes, 1, os.path.join(out_dir, "before.log"),
                            ["--last-only", "--no-filter-verdicts"])
    log("controller: after (the working tree) at %s simulated hosts" % sizes)
    inventories = os.path.join(out_dir, "inventories")
    after = run_worker(current, sizes, cfg.get("reps", 3), os.path.join(out_dir, "after.log"),
                       ["--inventories", inventories, ansible_hosts] if ansible_hosts else [])
    result["python"] = compare(before, after)
    if ansible_hosts:
        from benchlib import controller_ansible
        paths = [os.path.join(inventories, "inventory-%d.bench.json" % batch)
                 for batch in range(1, len(batches(ansible_hosts)) + 1)]
        sides = [("after", current)]
        if cfg.get("ansible_before") and before is not None:
            sides.insert(0, ("before", make_before(out_dir, result["before_ref"])))
        result["ansible"] = {}
        for side, root in sides:
            log("controller: the rollout's reporting through ansible-playbook (%s, %d hosts, 3 reports)"
                % (side, ansible_hosts))
            result["ansible"][side] = controller_ansible.measure(root, ansible_hosts, os.path.join(out_dir, side),
                                                                 cfg.get("ansible_bin"), paths)
    return result


# ------------------------------------------------------------------------------------- the page

def _s(value, digits=2):
    return "-" if value is None else ("%.*f s" % (digits, value))


def _size(value):
    if value is None:
        return "-"
    if value >= 1048576:
        return "%.1f MB" % (value / 1048576.0)
    return "%.0f KB" % (value / 1024.0)


def _x(old, new):
    return "" if old is None or not new else " (%.0fx)" % (old / new)


def _largest(part):
    """(size key, its python row) of the largest simulated fleet."""
    rows = (part or {}).get("python") or {}
    if not rows:
        return None, None
    key = max(rows, key=int)
    return key, rows[key]


def _per_report(part):
    """The largest report's controller time through ansible-playbook (the after side), or None."""
    after = ((part or {}).get("ansible") or {}).get("after")
    return after["per_report_max_s"] if after and after.get("reports") else None


def _slowest(part):
    return max(part["ansible"]["after"]["reports"], key=lambda report: report["report_s"])


def targets(part):
    """The controller's targets (issue 12): verdicts and report for 10,000 hosts within 10 s per report; not a
    verdict changed."""
    if not part:
        return []
    out = []
    key, row = _largest(part)
    report_s = _per_report(part)
    judge_s = row["after"]["judge_s"] if row else None
    hosts = ((part.get("ansible") or {}).get("after") or {}).get("hosts")
    if report_s is not None and judge_s is not None:
        total = judge_s + report_s
        out.append({
            "name": "Controller at %s simulated hosts: verdicts and report within %d s per report"
                    % ("{:,}".format(hosts), TARGET_S),
            "measured": "%.1f s: every verdict %.2f s (judge, %s hosts) + the largest of the rollout's 3 reports "
                        "%.1f s (ansible-playbook, report tasks)" % (total, judge_s, "{:,}".format(int(key)), report_s),
            "met": total < TARGET_S,
            "reason": None if total < TARGET_S else "the report tasks took %s: %s" % (
                _s(report_s, 1), ", ".join("%s %.1f s" % (t["task"], t["seconds"]) for t in _slowest(part)["tasks"])),
        })
    else:
        out.append({"name": "Controller at 10,000 simulated hosts: verdicts and report within %d s per report"
                            % TARGET_S, "measured": "-", "met": None,
                    "reason": "the reports through ansible-playbook were not run (--controller-ansible-hosts 0)"})
    compared = [(size, row.get("same_decisions")) for size, row in sorted((part.get("python") or {}).items(),
                                                                         key=lambda item: int(item[0]))]
    compared = [(size, same) for size, same in compared if same is not None]
    if compared:
        met = all(same for _size_key, same in compared)
        out.append({"name": "Controller: the same verdicts as before the speed-up (every simulated host)",
                    "measured": ", ".join("%s hosts: %s" % ("{:,}".format(int(size)),
                                                            "identical" if same else "DIFFERENT")
                                          for size, same in compared),
                    "met": met,
                    "reason": None if met else "a host's verdict or pass changed: see the decisions digests"})
    return out


def section(part):
    """The page's section for the controller part (markdown lines)."""
    title = "## 5. The controller at fleet scale"
    if not part:
        return [title, "", "Not run.", ""]
    rows = part.get("python") or {}
    sizes = sorted(rows, key=int)
    mix = ", ".join("%s %d%%" % (kind, pct) for kind, pct in part["mix"])
    out = [
        title, "",
        "Simulated hosts, no lab: each host's baseline and verify records are built through the collection's own "
        "`records.build_record` (over `rates.window`), as the playbooks keep them (%s), judged with "
        "`verdict.judge` as `tasks/verify_host.yml` calls it, and reported after each of the rollout's default "
        "batches `%s` (each report covers the whole fleet). **before** is the collection at `%s` (unpacked with "
        "`git archive`), **after** the working tree, each in a Python process of its own, on the same inputs; "
        "before ran once and only its last report, after is the best of %d. The report through the filters is "
        "what `tasks/report.yml` calls (before: `fleet_report`, `report_render` x4 and `report_stats`, each copying "
        "its input through JSON; after: one `report_outputs`)."
        % (mix, part["serial"], part["before_ref"][:10], part["config"].get("reps", 3)),
        "",
    ]
    header = ["what"]
    for size in sizes:
        header += ["%s hosts before" % "{:,}".format(int(size)), "after"]
    table = []

    def row(label, pick, fmt=_s, ratio=True):
        cells = [label]
        for size in sizes:
            old, new = pick(rows[size].get("before")), pick(rows[size]["after"])
            cells += [fmt(old), fmt(new) + (_x(old, new) if ratio and fmt is _s else "")]
        table.append(cells)

    def last(side):
        return side["reports"][-1] if side else None

    row("judge(), every verified host", lambda side: side and side["judge_s"])
    row("the verdict filter, every verified host", lambda side: side and side.get("verdict_filter_s"))
    row("report.build(), the last report", lambda side: side and last(side)["build_s"])
    for fmt in FORMATS:
        row("render %s" % fmt, lambda side, fmt=fmt: side and last(side)["render_s"][fmt])
    row("the last report through the filters", lambda side: side and last(side)["filter_report_s"])
    row("the rollout's 3 reports through the filters", lambda side: side and side.get("rollout_reporting_s"))
    for fmt in ("json", "markdown", "html"):
        row("%s size" % FILES[fmt], lambda side, fmt=fmt: side and side["bytes"][fmt], fmt=_size, ratio=False)
    row("charts in report.html", lambda side: side and side["html_svg"],
        fmt=lambda v: "-" if v is None else "{:,}".format(v), ratio=False)
    row("verdicts", lambda side: side and side["verdict_counts"],
        fmt=lambda v: "-" if not v else ", ".join("%s %d" % item for item in sorted(v.items())), ratio=False)
    out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(cell) for cell in cells) + " |" for cells in table]
    out.append("")
    same = ["%s hosts: %s" % ("{:,}".format(int(size)), {True: "identical", False: "DIFFERENT", None: "-"}[
        rows[size].get("same_decisions")]) for size in sizes]
    out += ["Verdicts before and after, host by host (sha256 of every host's verdict and pass): %s. The fast "
            "p-value's property tests (tests/unit/plugins/plugin_utils/test_significance.py) compare it with the old sum "
            "over random counts and at the threshold itself." % "; ".join(same), ""]
    ansible = part.get("ansible") or {}
    for side in ("before", "after"):
        run = ansible.get(side)
        if not run:
            continue
        out += ["The rollout's reporting through `ansible-playbook` (%s, %s simulated hosts in the inventory, "
                "the report tasks of `playbooks/tasks/report.yml` once per batch, each task's wall time on the "
                "controller):" % (side, "{:,}".format(run["hosts"])), ""]
        names = []
        for report in run["reports"]:
            for task in report["tasks"]:
                if task["task"] not in names:
                    names.append(task["task"])
        out += ["| batch | " + " | ".join(names) + " | report |", "|" + "---|" * (len(names) + 2)]
        for report in run["reports"]:
            times = dict((task["task"], task["seconds"]) for task in report["tasks"])
            out.append("| %d | %s | **%s** |" % (report["batch"], " | ".join(_s(times.get(name)) for name in names),
                                                  _s(report["report_s"])))
        out += ["", "Three reports: %s; files of the last: %s." % (
            _s(run["rollout_reporting_s"], 1), ", ".join("%s %s" % (name, _size(size))
                                                           for name, size in sorted(run["sizes"].items()))), ""]
    if not ansible.get("before"):
        out += ["Before this work, the same three reports through `ansible-playbook` took about 219 s of controller "
                "time at 10,000 hosts (issue 12; `--controller-ansible-before` measures it again, minutes).", ""]
    return out


def write_inventories(fleet, verdicts, out_dir):
    """The Ansible part's inventories, one per batch state (see controller_ansible.inventory_data)."""
    sys.path.insert(0, BENCH)
    from benchlib import controller_ansible
    os.makedirs(out_dir, exist_ok=True)
    for upto in range(1, len(batches(len(fleet["hosts"]))) + 1):
        with open(os.path.join(out_dir, "inventory-%d.bench.json" % upto), "w", encoding="utf-8") as handle:
            json.dump(controller_ansible.inventory_data(fleet, verdicts, upto), handle, separators=(",", ":"))


def main(argv):
    """``worker ROOT SIZES REPS [--last-only] [--no-filter-verdicts] [--inventories DIR HOSTS]``"""
    if len(argv) >= 4 and argv[0] == "worker":
        sizes = [int(size) for size in argv[2].split(",") if size]
        options = argv[4:]
        inventory_dir = inventory_hosts = None
        if "--inventories" in options:
            at = options.index("--inventories")
            inventory_dir, inventory_hosts = options[at + 1], int(options[at + 2])
        json.dump(measure_side(argv[1], sizes, int(argv[3]), last_only="--last-only" in options,
                               filter_verdicts="--no-filter-verdicts" not in options, inventory_dir=inventory_dir,
                               inventory_hosts=inventory_hosts), sys.stdout)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
