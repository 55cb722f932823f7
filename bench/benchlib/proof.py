# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark part "proof": what the proof costs against fleet size (issue 12).

For each size and forks: the ping floor, then netfleet.tuning.baseline and netfleet.tuning.verify with
a window of W seconds, side by side in the same minutes. The target: each playbook's wall time at most
W + 3 x the ping floor of the same size and forks (one shared window, not one window per fork).
"""

import os
import tempfile

from benchlib.common import BenchError, limit_first, log

PLAYBOOKS = {"ping": "ping.yml", "baseline": "proof_baseline.yml", "verify": "proof_verify.yml"}
# how many ping floors a proof playbook may cost on top of its window
FLOORS = 3.0


def proof_vars(window, state_dir):
    return {"netfleet_hosts": "netlab_hosts", "netfleet_sample_seconds": int(window),
            "netfleet_settle_seconds": 0, "netfleet_min_segments": 1, "netfleet_state_dir": state_dir}


def one_size(ansible, lab, size, forks, window, work_dir):
    """ping, baseline, verify on the first ``size`` hosts with ``forks``; one row."""
    state_dir = tempfile.mkdtemp(prefix="proof-%d-%d-" % (size, forks), dir=work_dir)
    row = {"hosts": size, "forks": forks, "window_s": window}
    problems = []
    for name in ("ping", "baseline", "verify"):
        res = ansible.playbook(PLAYBOOKS[name], lab.inventory, limit=limit_first(size), forks=forks,
                               extra_vars=None if name == "ping" else proof_vars(window, state_dir),
                               tag="proof-%s-%d-f%d" % (name, size, forks), timeout=600)
        row["%s_s" % name] = res["wall_s"]
        row["%s_log" % name] = res["log"]
        if res["rc"] != 0:
            problems.append("%s exited %d (%s)" % (name, res["rc"], res["log"]))
        if len(res["recap"]) != size:
            problems.append("%s: recap has %d hosts, expected %d" % (name, len(res["recap"]), size))
    row["target_s"] = round(window + FLOORS * row["ping_s"], 2)
    row["baseline_met"] = row["baseline_s"] <= row["target_s"]
    row["verify_met"] = row["verify_s"] <= row["target_s"]
    row["valid"] = not problems
    row["problems"] = problems
    log("proof %d hosts, forks %d: ping %.1f s, baseline %.1f s, verify %.1f s (target %.1f s)" % (
        size, forks, row["ping_s"], row["baseline_s"], row["verify_s"], row["target_s"]))
    return row


def run_proof(lab, ansible, cfg, work_dir):
    """Every size x forks of ``cfg`` ({"sizes", "forks", "window_s"}); the rows and whether every target held."""
    os.makedirs(work_dir, exist_ok=True)
    if max(cfg["sizes"]) > len(lab.hosts):
        raise BenchError("proof needs %d hosts, the lab has %d" % (max(cfg["sizes"]), len(lab.hosts)))
    rows = [one_size(ansible, lab, size, forks, cfg["window_s"], work_dir)
            for size in cfg["sizes"] for forks in cfg["forks"]]
    valid = [r for r in rows if r["valid"]]
    return {"config": cfg, "rows": rows,
            "all_met": bool(valid) and len(valid) == len(rows) and all(r["baseline_met"] and r["verify_met"]
                                                                       for r in valid)}


def section(proof):
    """The page's section (Markdown lines)."""
    if not proof:
        return ["## 4. Proof cost against fleet size", "", "Not run.", ""]
    cfg = proof["config"]
    lines = [
        "## 4. Proof cost against fleet size",
        "",
        "`netfleet.tuning.baseline` and `netfleet.tuning.verify` with a %d s window (one shared window for the "
        "fleet: every host read once, one wait on the controller, every host read again), next to the "
        "`ansible.builtin.ping` floor of the same hosts and forks, in the same minutes. Target: each at most "
        "window + %g x the ping floor." % (cfg["window_s"], FLOORS),
        "",
        "| hosts | forks | ping floor | baseline | verify | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in proof["rows"]:
        met = "yes" if row["valid"] and row["baseline_met"] and row["verify_met"] else (
            "no" if row["valid"] else "invalid: %s" % "; ".join(row["problems"]))
        lines.append("| %d | %d | %.1f s | %.1f s | %.1f s | %.1f s | %s |" % (
            row["hosts"], row["forks"], row["ping_s"], row["baseline_s"], row["verify_s"], row["target_s"], met))
    lines += ["", "Before the shared window (0.1, measured for the issue): 40 hosts, forks 5, a 10 s window: "
              "baseline 91.7 s against a 7.2 s ping floor (ceil(hosts / forks) windows in a row).", ""]
    return lines


def targets(proof):
    """The page's target row: baseline and verify within window + 3 x ping at every size and forks."""
    if not proof:
        return []
    rows = [r for r in proof["rows"] if r["valid"]]
    worst = max(rows, key=lambda r: max(r["baseline_s"], r["verify_s"]) - r["target_s"]) if rows else None
    measured = "; ".join("%d hosts f%d: %.1f / %.1f s vs %.1f s" % (
        r["hosts"], r["forks"], r["baseline_s"], r["verify_s"], r["target_s"]) for r in rows) or "no valid run"
    missed = [r for r in rows if not (r["baseline_met"] and r["verify_met"])]
    return [{
        "name": "Proof cost: baseline and verify <= window + %g x ping floor at every size and forks" % FLOORS,
        "measured": measured,
        "met": proof["all_met"] if rows else None,
        "reason": None if proof["all_met"] else (
            "%d of %d size/forks runs over the target (worst: %d hosts, forks %d)" % (
                len(missed), len(proof["rows"]), worst["hosts"], worst["forks"]) if worst and missed
            else "some runs were invalid"),
    }]
