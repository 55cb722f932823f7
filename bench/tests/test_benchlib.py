# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the benchmark's pure parts (no lab, no root): .venv/bin/pytest -q bench/tests"""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, BENCH)

from benchlib import common, efficacy, page, rollout, stats, svg  # noqa: E402


def test_median_and_spread():
    assert stats.median([3, 1, 2]) == 2
    assert stats.median([4, 1, 2, 3]) == 2.5
    assert stats.median([None, 5]) == 5
    assert stats.median([]) is None
    assert stats.spread([2.0, 1.0, 3.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}


def test_ratios_and_rates():
    assert stats.ratio(3, 2) == 1.5
    assert stats.ratio(3, 0) is None
    assert stats.per_million(5, 1000000) == 5.0
    assert stats.per_million(5, 0) is None
    assert stats.reduction_pct(200, 0) == 100.0
    assert stats.reduction_pct(0, 0) is None
    assert stats.fmt(None) == "-"
    assert stats.fmt(12345.6) == "12,346"
    assert stats.fmt(1.234, 2) == "1.23"


def test_nice_ticks_cover_the_range():
    ticks = svg.nice_ticks(0, 37)
    assert ticks[0] == 0 and ticks[-1] >= 37
    assert len(ticks) <= 8


def test_bar_chart_is_xml_and_escapes_labels():
    text = svg.bar_chart("a <title> & more", ["x<1", "y"], [
        {"name": "s&1", "values": [1.0, None], "low": [0.5, None], "high": [1.5, None]},
        {"name": "s2", "values": [0.0, 2.0]}], "unit")
    root = ET.fromstring(text)
    assert root.tag.endswith("svg")
    assert "x&lt;1" in text and "s&amp;1" in text and "n/a" in text


def test_line_chart_is_xml():
    text = svg.line_chart("t", [{"name": "ping", "points": [(10, 1.0), (50, 4.0)], "low": {10: 0.9}, "high": {10: 1.1}},
                                {"name": "role (mitogen)", "points": [(50, 2.0)], "dash": "6 4"}], "hosts", "s")
    ET.fromstring(text)
    assert "polyline" in text and "stroke-dasharray" in text


def _load_json(prune, collapsed, rcv_pruned, in_segs, p99, bytes_=45_000_000):
    host = {"requests": 1000, "errors": 0, "bytes": bytes_, "late": 0, "rcvbuf": 131072,
            "counters": {"PruneCalled": prune, "TCPRcvCollapsed": collapsed, "RcvPruned": rcv_pruned,
                         "OfoPruned": 0, "InSegs": in_segs},
            "counter_window_seconds": 15.0, "sysctl": {"net.ipv4.tcp_rmem": "4096 16384 65536"},
            "latency_ms": {"p50": 60.0, "p99": p99}}
    return {"seconds": 20.0, "hosts": {"h01": dict(host), "h02": dict(host, requests=900)},
            "total": {"requests": 1900, "errors": 0, "bytes": 2 * bytes_, "late": 0,
                      "latency_ms": {"p50": 60.0, "p99": p99}, "machine_cpu_busy_pct": 90.0},
            "sockstat": {"tcp_mem_bytes_median": 1048576, "tcp_mem_bytes_max": 2097152},
            "sock_mem": {"h01": {"samples": 10, "median": 524288, "max": 1048576}}}


def test_summarize_host_rates():
    row = efficacy.summarize_host(_load_json(100, 900, 1, 500000, 80.0), "h01")
    # one host: 100 + 900 over 500000 InSegs
    assert row["prune_collapsed_per_mseg"] == pytest.approx(2000.0)
    assert row["prune_called_per_s_per_host"] == pytest.approx(100 / 15.0)
    assert row["rcv_pruned"] == 1
    assert row["rps_per_host"] == pytest.approx(50.0)
    assert row["mb_per_s_per_host"] == pytest.approx(2.25)
    assert row["p99_ms"] == 80.0
    assert row["tcp_rmem"] == ["4096 16384 65536"]
    assert row["sock_mem_bytes_max"] == 1048576
    # the other host of the same run: its own requests, no socket memory sampled
    other = efficacy.summarize_host(_load_json(100, 900, 1, 500000, 80.0), "h02")
    assert other["rps_per_host"] == pytest.approx(45.0) and other["sock_mem_bytes_max"] is None


def test_metrics_are_named_by_the_collection_registry():
    names = common.METRIC_REGISTRY.NAMES
    assert set(efficacy.METRICS) <= set(names)
    assert set(metric for metric, _digits in page.EFFICACY_METRICS) <= set(names)
    assert common.counter_name("prune_called") == "PruneCalled"
    assert common.counter_name(common.METRIC_REGISTRY.DENOMINATOR) == "InSegs"


def test_summarize_host_missing_counter_is_not_zero():
    data = _load_json(1, 1, 0, 1000, 1.0)
    for host in data["hosts"].values():
        host["counters"] = {name: value for name, value in host["counters"].items() if name != "RcvPruned"}
    row = efficacy.summarize_host(data, "h01")
    assert row["rcv_pruned"] is None and row["rcv_pruned_per_mseg"] is None


def test_schedule_puts_conditions_side_by_side_and_moves_them():
    conds = ["untuned", "json_api", "json_api_heavy", "bdp"]
    runs = efficacy.schedule(conds, ["a", "b", "c", "d"], 3)
    assert [rep for rep, _ in runs] == [1, 2, 3]
    for _, assigned in runs:
        assert sorted(cond for _, cond in assigned) == sorted(conds)
    assert [dict((cond, host) for host, cond in pairs)["untuned"] for _, pairs in runs] == ["a", "d", "c"]
    two = efficacy.schedule(conds, ["a", "b"], 2)
    assert [(rep, [cond for _, cond in pairs]) for rep, pairs in two] == [
        (1, ["untuned", "json_api"]), (1, ["json_api_heavy", "bdp"]),
        (2, ["json_api", "json_api_heavy"]), (2, ["bdp", "untuned"])]


def test_parse_ss_skmem_sums_r_t_f_and_skips_sshd():
    text = ("ESTAB 0 0 198.18.1.11:22 198.18.1.1:52514\n\t skmem:(r0,rb65536,t4096,tb69120,f8192,w0,o0,bl0,d0)\n"
            "ESTAB 100 0 198.18.1.11:40000 198.18.1.2:8080\n\t skmem:(r1000,rb65536,t10,tb87040,f3096,w0,o0,bl0,d0)\n"
            "ESTAB 0 0 198.18.1.11:40002 198.18.1.2:8080\n\t skmem:(r0,rb65536,t0,tb87040,f4096,w0,o0,bl0,d2)\n")
    assert efficacy.parse_ss_skmem(text) == 1000 + 10 + 3096 + 4096
    assert efficacy.parse_ss_skmem("") == 0


def test_linear_fit():
    fit = rollout.linear_fit([(10, 3.0), (20, 5.0), (50, 11.0)])
    assert fit["per_host_s"] == pytest.approx(0.2)
    assert fit["fixed_s"] == pytest.approx(1.0)
    assert rollout.linear_fit([(10, 1.0)]) is None


def _results(role_factor=1.2, posix_factor=5.0, netstat=2.0, setup=5.0, tuned_collapsed=0):
    runs = []
    for cond, (prune, coll, pr, p99) in {"untuned": (1000, 90000, 3, 80.0),
                                          "json_api": (0, tuned_collapsed, 0, 70.0)}.items():
        for rep in (1, 2, 3):
            runs.append({"condition": cond, "rep": rep, "run": rep, "row": efficacy.summarize_host(
                _load_json(prune, coll, pr, 500000, p99 + rep), "h01"),
                "role_keys": {"net.ipv4.tcp_rmem": "applied (netns)"} if cond != "untuned" else {}})
    eff = {"config": {"conditions": ["untuned", "json_api"], "reps": 3, "seconds": 20.0, "warmup": 5.0, "rate": 50.0,
                      "connections": 8, "write_size": 512, "bdp_link_mbit": 10000.0, "bdp_rtt_ms": 1.0},
           "hosts": ["a-h01", "a-h02"], "runs": runs}
    eff["summary"] = efficacy.summarize(runs, eff["config"]["conditions"])
    rruns = []
    for size in (10, 20, 50):
        base = 1.0 + 0.1 * size
        for name, factor in (("ping", 1.0), ("role", role_factor), ("posix", posix_factor * role_factor),
                             ("template", 3.0)):
            for rep in (1, 2, 3):
                rruns.append({"contender": name, "hosts": size, "rep": rep, "valid": True,
                              "wall_s": base * factor + 0.01 * rep})
    roll = {"config": {"sizes": [10, 20, 50], "reps": 3, "profile": "json_api_heavy", "forks": 10,
                       "mitogen_sizes": []},
            "keys": {"net.ipv4.tcp_rmem": "4096 87380 33554432"}, "sizes": [10, 20, 50],
            "contenders": ["ping", "role", "posix", "template"],
            "posix_available": True, "mitogen_ok": False, "mitogen_reason": "not requested", "runs": rruns,
            "summary": rollout.summarize(rruns, [10, 20, 50])}
    spread = stats.spread
    read = {"config": {"hosts": 20, "reps": 3, "forks": 10},
            "ansible": {"hosts": 20, "wall": {"ping": spread([1.5]), "netstat_facts": spread([netstat]),
                                              "setup": spread([setup]), "setup_min": spread([3.0])},
                        "ratio_netstat_over_setup": netstat / setup, "ratio_netstat_over_setup_min": netstat / 3.0,
                        "above_floor_s": {"ping": 0.0, "netstat_facts": netstat - 1.5, "setup": setup - 1.5,
                                          "setup_min": 1.5},
                        "ratio_above_floor_netstat_over_setup": (netstat - 1.5) / (setup - 1.5)},
            "parse": {"iterations": 10, "process_iterations": 3, "counters_module": 400, "counters_module_child": 400,
                      "counters_nstat": 393, "module_parse_ms": spread([0.6]), "module_read_snapshot_ms": spread([1.0]),
                      "python_process_parse_ms": spread([40.0]), "python_process_empty_ms": spread([20.0]),
                      "nstat_process_ms": spread([3.0]), "ratio_module_parse_over_nstat": 0.2,
                      "ratio_python_process_over_nstat": 13.0}}
    results = {"machine": {"date": "2026-01-01T00:00:00+00:00", "nproc": 2, "kernel": "6.18", "python": "3.11",
                           "mem_total_gib": 24.0},
               "load_before": {"uptime": "up", "other_labs": []}, "load_after": {"uptime": "up", "other_labs": []},
               "wait": {"waited_s": 0, "idle": True}, "duration_s": 800.0, "part_seconds": {"efficacy": 300},
               "efficacy": eff, "rollout": roll, "readcost": read}
    results = json.loads(json.dumps(results))  # as the page sees it: int keys become strings
    results["targets"] = page.evaluate_targets(results)
    return results


def _verdicts(results):
    return {target["name"]: target["met"] for target in results["targets"]}


def test_targets_met():
    verdicts = _verdicts(_results())
    assert verdicts and all(met is True for met in verdicts.values()), verdicts


def test_targets_missed_say_why():
    results = _results(role_factor=2.0, posix_factor=2.0, netstat=4.0, setup=5.0, tuned_collapsed=2000)
    missed = [target for target in results["targets"] if target["met"] is False]
    names = " ".join(target["name"] for target in missed)
    assert "within 1.5x" in names and "3.5x" in names and "half" in names and "99%" in names
    assert all(target["reason"] for target in missed)


def test_page_renders_every_section_and_plot():
    files = page.render(_results())
    text = files[page.PAGE]
    for needle in ("## Targets", "## Machine and conditions", "## 1. Efficacy", "## 2. Rollout speed",
                   "## 3. Cost of reading counters", "img/bench-rollout.svg", "json_api"):
        assert needle in text
    for name, body in files.items():
        if name.endswith(".svg"):
            ET.fromstring(body)


def test_posix_playbook_is_yaml_clean():
    yamllint = os.path.join(os.path.dirname(sys.executable), "yamllint")
    if not os.path.exists(yamllint):
        pytest.skip("yamllint not installed")
    repo = os.path.dirname(BENCH)
    proc = subprocess.run([yamllint, "--strict", "-c", os.path.join(repo, ".yamllint"),
                           os.path.join(BENCH, "playbooks", "posix_sysctl.yml.in")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert proc.returncode == 0, proc.stdout


def test_reps_schedule_full_where_a_target_is_measured():
    cfg = {"reps": 3, "other_reps": 1, "sizes": [10, 25, 50], "target_sizes": [20, 50], "mitogen_sizes": [25]}
    assert [rollout.reps_for(cfg, "ping", size) for size in (10, 20, 25, 50)] == [1, 3, 1, 3]
    assert [rollout.reps_for(cfg, "role+mitogen", size) for size in (10, 50)] == [1, 3]
    assert [rollout.reps_for(cfg, "posix", size) for size in (10, 20, 25, 50)] == [1, 3, 1, 3]
    assert [rollout.reps_for(cfg, "template", size) for size in (10, 20, 25, 50)] == [1, 0, 1, 1]
    assert rollout.reps_for(cfg, "ping", 40) == 0


def test_predict_weights_each_size_by_its_repetitions():
    cfg = {"reps": 3, "other_reps": 1, "sizes": [10], "target_sizes": [20]}
    fits = {"ping": {"fixed_s": 1.0, "per_host_s": 0.5}, "posix": {"fixed_s": 0.0, "per_host_s": 2.0}}
    variants = [("ping", False), ("posix", False)]
    # ping: 1 x (1 + 5 + 1) + 3 x (1 + 10 + 1); posix: 1 x (20 + 1) + 3 x (40 + 1)
    assert rollout._predict(fits, variants, [10, 20], cfg) == pytest.approx(7 + 36 + 21 + 123)
    assert rollout._predict({"ping": None}, [("ping", False)], [10], cfg) is None


def test_rollout_cells_say_how_many_runs():
    assert page._runs_text({"n": 1, "median": 2.0, "min": 2.0, "max": 2.0}) == "(1 run)"
    assert page._runs_text({"n": 3, "median": 2.0, "min": 1.5, "max": 2.5}) == "(1.50-2.50, 3 runs)"
    assert "repetitions: 3 where a target" in page._reps_text({"reps": 3, "other_reps": 1, "sizes": [10], "target_sizes": [20, 50]})
    assert page._reps_text({"reps": 3}) == "repetitions: 3"


def test_fit_text_signs():
    assert page._fit_text({"per_host_s": 0.372, "fixed_s": 0.21}) == "0.372 s/host + 0.2 s"
    assert page._fit_text({"per_host_s": 1.674, "fixed_s": -1.9}) == "1.674 s/host - 1.9 s"
    assert page._fit_text({"per_host_s": 1.0, "fixed_s": 2.0}, "per host") == "1.000 s per host + 2.0 s"


def test_duration_target_only_for_a_run_of_every_part():
    names = lambda res: [target["name"] for target in page.evaluate_targets(res)]  # noqa: E731
    full = _results()
    assert "The whole benchmark runs in under 15 minutes" in names(full)
    part = _results()
    part["args"] = {"only": ["rollout"]}
    assert "The whole benchmark runs in under 15 minutes" not in names(part)


def test_predict_falls_back_to_the_measured_median_at_one_size():
    cfg = {"reps": 3, "other_reps": 3, "sizes": [25], "target_sizes": []}
    walls = {"ping+mitogen": {25: {"median": 7.0}}}
    assert rollout._predict({"ping+mitogen": None}, [("ping+mitogen", True)], [25], cfg, walls) == pytest.approx(24.0)
    assert rollout._predict({"ping+mitogen": None}, [("ping+mitogen", True)], [10], cfg, walls) is None


def test_proof_section_and_target():
    from benchlib import proof
    row = {'hosts': 40, 'forks': 5, 'window_s': 10, 'ping_s': 7.0, 'baseline_s': 25.0, 'verify_s': 33.0,
           'target_s': 31.0, 'baseline_met': True, 'verify_met': False, 'valid': True, 'problems': []}
    result = {'config': {'sizes': [40], 'forks': [5], 'window_s': 10}, 'rows': [row], 'all_met': False}
    text = '\n'.join(proof.section(result))
    assert '| 40 | 5 | 7.0 s | 25.0 s | 33.0 s | 31.0 s | no |' in text
    target = proof.targets(result)[0]
    assert target['met'] is False and '40 hosts, forks 5' in target['reason']
    assert proof.section(None)[-2] == 'Not run.' and proof.targets(None) == []
