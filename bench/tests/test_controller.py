# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the controller part (no lab, no root): .venv/bin/pytest -q bench/tests"""

import json
import os
import sys

import pytest

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, BENCH)

from benchlib import controller, controller_ansible, page  # noqa: E402

COLLECTIONS = os.path.join(controller.REPO, ".cache", "collections")


@pytest.fixture(scope="module")
def mods():
    return controller._load(COLLECTIONS)


def test_batches_as_ansible_serial_makes_them():
    assert controller.batches(10000) == [1, 2500, 7499]
    assert controller.batches(1000) == [1, 250, 749]
    assert controller.batches(3) == [1, 1, 1]
    assert controller.batches(1) == [1]
    assert controller.batches(10, serial=(2,)) == [2, 2, 2, 2, 2]


def test_plan_fleet_has_the_mix_and_is_deterministic():
    kinds = controller.plan_fleet(10000)
    assert kinds == controller.plan_fleet(10000)
    assert dict((kind, kinds.count(kind)) for kind, _pct in controller.MIX) == {
        "improved": 8500, "not_improved": 500, "insufficient_traffic": 400, "reset": 300, "failed": 200,
        "unreachable": 100}
    # every batch holds some failing hosts
    first = kinds[1:2501]
    assert first.count("improved") < len(first) and "failed" in first
    assert len(controller.plan_fleet(7)) == 7


def test_simulated_hosts_get_the_verdict_of_their_kind(mods):
    fleet = controller.simulate(200, mods)
    want = {"improved": "improved", "not_improved": "not_improved", "insufficient_traffic": "insufficient_traffic",
            "reset": "reset"}
    seen = set()
    for kind, sample in zip(fleet["kinds"], fleet["samples"]):
        if kind in ("failed", "unreachable"):
            assert sample is None
            continue
        baseline, verify = sample
        assert baseline["schema"] == verify["schema"] == mods["records"].BASELINE_SCHEMA
        args, kwargs = controller.judge_args(sample)
        assert mods["verdict"].judge(*args, **kwargs)["verdict"] == want[kind], kind
        seen.add(kind)
    assert seen == set(want)


def test_fleet_records_per_batch(mods):
    fleet = controller.simulate(40, mods)
    verdicts = {}
    for name, sample in zip(fleet["hosts"], fleet["samples"]):
        if sample:
            args, kwargs = controller.judge_args(sample)
            verdicts[name] = mods["verdict"].judge(*args, **kwargs)
    sizes = controller.batches(40)
    first, active = controller.fleet_records(fleet, verdicts, 1)
    assert sum(1 for record in first.values() if record == {"stage": "pending"}) == 39
    last, active = controller.fleet_records(fleet, verdicts, len(sizes))
    assert not any(record.get("stage") == "pending" for record in last.values())
    gone = [name for name, kind in zip(fleet["hosts"], fleet["kinds"]) if kind == "unreachable"]
    assert set(active) == set(fleet["hosts"]) - set(gone)
    assert all(last[name] == {"stage": "started", "batch": last[name]["batch"]} for name in gone)
    report = mods["report"].build(last, hosts=fleet["hosts"], active=active)
    assert report["summary"]["statuses"]["unreachable"] == len(gone)
    digest = controller.decisions_digest(verdicts)
    assert digest == controller.decisions_digest(dict(reversed(list(verdicts.items()))))
    verdicts[fleet["hosts"][0]] = dict(verdicts[fleet["hosts"][0]], passed=not verdicts[fleet["hosts"][0]]["passed"])
    assert controller.decisions_digest(verdicts) != digest
    data = controller_ansible.inventory_data(fleet, verdicts, 1)
    assert sorted(data) == ["gone", "hosts", "vars"] and len(data["hosts"]) == 40
    assert json.loads(json.dumps(data)) == data


def _results():
    """A part's results as run_controller returns them, small."""
    def side(judge, report_s, svg, json_bytes, with_all=True):
        reports = [{"batch": batch, "build_s": 0.1, "render_s": dict((fmt, 0.01) for fmt in controller.FORMATS),
                    "filter_report_s": report_s, "filter_calls": "x", "total_s": 0.2, "verified": 9,
                    "bytes": {"json": json_bytes, "markdown": 10, "html": 20, "text": 5}, "html_svg": svg}
                   for batch in ((1, 2, 3) if with_all else (3,))]
        return {"hosts": 10000, "verified": 9700, "verdict_counts": {"improved": 8500}, "judge_s": judge,
                "verdict_filter_s": None if not with_all else judge * 2, "decisions_sha256": "a",
                "reports": reports, "bytes": reports[-1]["bytes"], "html_svg": svg,
                "rollout_reporting_s": 3 * report_s if with_all else None}
    after = {"sizes": {"10000": side(0.9, 2.0, 100, 34 * 2 ** 20)}}
    before = {"sizes": {"10000": side(30.0, 65.0, 9700, 91 * 2 ** 20, with_all=False)}}
    tasks = [{"task": "Build and render the fleet report", "seconds": 6.0}, {"task": "Publish", "seconds": 1.0}]
    return json.loads(json.dumps({
        "config": {"sizes": [10000], "reps": 3, "ansible_hosts": 10000}, "before_ref": controller.BEFORE_REF,
        "mix": [list(mix) for mix in controller.MIX], "serial": list(controller.SERIAL), "target_s": 10.0,
        "python": controller.compare(before, after),
        "ansible": {"after": {"hosts": 10000, "reports": [{"batch": batch, "tasks": tasks, "report_s": 7.0}
                                                          for batch in (1, 2, 3)],
                              "per_report_max_s": 7.0, "rollout_reporting_s": 21.0,
                              "sizes": {"report.json": 34 * 2 ** 20}}}}))


def test_targets_and_section():
    part = _results()
    assert part["python"]["10000"]["same_decisions"] is True
    assert round(part["python"]["10000"]["speedup"]["judge"]) == 33
    targets = controller.targets(part)
    assert [target["met"] for target in targets] == [True, True]
    assert targets[0]["measured"].startswith("7.9 s: every verdict 0.90 s")
    part["ansible"]["after"]["per_report_max_s"] = 9.5
    missed = controller.targets(part)[0]
    assert missed["met"] is False and "Build and render the fleet report 6.0 s" in missed["reason"]
    part["python"]["10000"]["same_decisions"] = False
    assert controller.targets(part)[1]["met"] is False
    text = "\n".join(controller.section(part))
    assert "| judge(), every verified host | 30.00 s | 0.90 s (33x) |" in text
    assert "| report.json size | 91.0 MB | 34.0 MB |" in text
    assert "| 3 | 6.00 s | 1.00 s | **7.00 s** |" in text
    assert controller.targets(None) == [] and controller.section(None)[-2] == "Not run."
    no_ansible = dict(part, ansible={})
    assert controller.targets(no_ansible)[0]["met"] is None


def test_page_shows_the_part():
    results = {"controller": _results()}
    names = [target["name"] for target in page.evaluate_targets(results)]
    assert "Controller: the same verdicts as before the speed-up (every simulated host)" in names


def test_run_controller_small(tmp_path):
    """Both sides and the Ansible reporting on a small fleet: the same decisions, the reports written."""
    part = controller.run_controller({"sizes": [30], "reps": 1, "ansible_hosts": 30}, str(tmp_path))
    row = part["python"]["30"]
    assert row["same_decisions"] is True
    assert row["before"]["reports"][-1]["filter_calls"] == "fleet_report, report_render x4, report_stats"
    assert row["after"]["reports"][-1]["filter_calls"] == "report_outputs"
    assert [report["batch"] for report in row["after"]["reports"]] == [1, 2, 3]
    run = part["ansible"]["after"]
    assert [report["rc"] for report in run["reports"]] == [0, 0, 0]
    assert len(run["reports"][0]["tasks"]) == 4
    assert sorted(run["sizes"]) == ["report.html", "report.json", "report.md"]
    report = json.loads((tmp_path / "after" / "state" / "report.json").read_text())
    assert report["summary"]["hosts"] == 30
