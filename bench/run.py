#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netfleet.tuning benchmarks: one command, three benchmarks, one results page (run as root).

  .venv/bin/python bench/run.py            # the full benchmark (make bench); 14 min on a 2-CPU machine
  .venv/bin/python bench/run.py --quick    # small scale for working on the harness (~3 minutes)
  .venv/bin/python bench/run.py --page-only bench/results/latest.json

1. efficacy: untuned vs json_api vs json_api_heavy vs bdp under the JSON workload on netlab hosts;
2. rollout speed: the sysctl_profile role vs the ping floor, per-key ansible.posix.sysctl and
   template + sysctl -p on 10, 25 and 50 hosts, and the targets' contenders at 20 hosts (3
   repetitions where a target is measured, 1 elsewhere), then with mitogen when the budget allows;
3. the cost of reading counters: netstat_facts vs ansible.builtin.setup, the parsers vs nstat;
4. proof cost: netfleet.tuning.baseline and verify (one shared window) against the ping floor at
   10, 20 and 40 hosts, forks 5 and 10;
5. the controller at fleet scale (no lab, no root): verdicts and the fleet report for 1,000 and 10,000
   simulated hosts, the collection before its controller work and now, and the rollout's three reports
   through ansible-playbook at 10,000 hosts (benchlib/controller.py). `--only controller` runs it alone.
It waits for an idle machine (no other netlab lab up), makes its own lab, removes it at the end,
and rewrites docs/benchmarks.md and docs/img/bench-*.svg from the results of this one run
(kept in bench/results/latest.json; logs under .cache/bench/<run>/).
"""

import argparse
import datetime
import glob
import json
import os
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import controller, efficacy, page, proof, readcost, rollout  # noqa: E402
from benchlib.common import (COLLECTIONS_PATH, REPO, Ansible, BenchError, Lab, elapsed, foreign_labs,  # noqa: E402
                             log, read_live, run)
from benchlib.machine import LabWatcher, load_snapshot, machine_info, wait_idle  # noqa: E402

BENCH = os.path.dirname(os.path.abspath(__file__))
DEV_VENV = os.path.join(REPO, ".venv")
CMP_VENV = os.path.join(REPO, ".cache", "bench-venv")
REQUIREMENTS = os.path.join(BENCH, "requirements-bench.txt")
RESULTS = os.path.join(BENCH, "results", "latest.json")
# Files the contenders write in a host's /etc/sysctl.d; the reset removes them.
RESET_FILES = ("60-netfleet-tuning.conf", "60-bench-posix.conf", "60-bench-template.conf")
EXTRA_KEYS = ("net.ipv4.tcp_mem", "net.ipv4.tcp_moderate_rcvbuf", "net.ipv4.tcp_adv_win_scale")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small scale, 1 repetition, short windows; page to --out")
    parser.add_argument("--only", default="efficacy,rollout,readcost,proof,controller",
                        help="comma list of parts to run")
    parser.add_argument("--lab", default="nlb", help="netlab lab name (default nlb)")
    parser.add_argument("--out", help="run directory for logs and results (default .cache/bench/<time>)")
    parser.add_argument("--wait-idle", type=float, default=60.0, metavar="MIN",
                        help="wait up to MIN minutes for no other netlab lab (default 60; 0 = do not wait)")
    parser.add_argument("--eff-hosts", type=int, default=4,
                        help="hosts under load at once in the efficacy benchmark, each with its own condition "
                             "(default 4: the four conditions side by side in one load run)")
    parser.add_argument("--eff-reps", type=int, default=3)
    parser.add_argument("--eff-seconds", type=float, default=20.0, help="load run per repetition (default 20)")
    parser.add_argument("--eff-warmup", type=float, default=5.0, help="seconds before the counter window (default 5)")
    parser.add_argument("--rate", type=float, default=50.0, help="requests/s per host (default 50 = 3000/min)")
    parser.add_argument("--bdp-link-mbit", type=float, default=10000.0)
    parser.add_argument("--bdp-rtt-ms", type=float, default=1.0)
    parser.add_argument("--sizes", default="10,25,50",
                        help="rollout host counts for every contender, --other-reps times (default 10,25,50)")
    parser.add_argument("--target-sizes", default="20,50",
                        help="rollout host counts of the targets: ping, the role and posix.sysctl run --reps times "
                             "there (default 20,50)")
    parser.add_argument("--extra-sizes", default="",
                        help="rollout host counts measured only when the time budget allows (default none)")
    parser.add_argument("--reps", type=int, default=3,
                        help="rollout repetitions where a target is measured (default 3)")
    parser.add_argument("--other-reps", type=int, default=1,
                        help="rollout repetitions everywhere else (default 1)")
    parser.add_argument("--profile", default="json_api_heavy", help="profile of the rollout benchmark")
    parser.add_argument("--forks", type=int, default=10, help="must match bench/ansible.cfg (default 10)")
    parser.add_argument("--no-mitogen", action="store_true")
    parser.add_argument("--mitogen-sizes", default="25",
                        help="rollout sizes also measured with mitogen when the time budget allows (default 25)")
    parser.add_argument("--budget", type=float, default=840.0, metavar="SECONDS",
                        help="optional rollout blocks run only if predicted to end within this (default 840)")
    parser.add_argument("--proof-sizes", default="10,20,40", help="proof cost: host counts (default 10,20,40)")
    parser.add_argument("--proof-forks", default="5,10", help="proof cost: forks (default 5,10)")
    parser.add_argument("--proof-window", type=int, default=10, help="proof cost: window seconds (default 10)")
    parser.add_argument("--controller-sizes", default="1000,10000",
                        help="controller: simulated hosts, before and after (default 1000,10000)")
    parser.add_argument("--controller-reps", type=int, default=3,
                        help="controller: repetitions of the after side (default 3)")
    parser.add_argument("--controller-ansible-hosts", type=int, default=10000,
                        help="controller: the rollout's 3 reports through ansible-playbook at this size "
                             "(default 10000; 0: not run)")
    parser.add_argument("--controller-ansible-before", action="store_true",
                        help="controller: also run the before side's reports through ansible-playbook "
                             "(minutes at 10,000 hosts)")
    parser.add_argument("--read-hosts", type=int, default=20)
    parser.add_argument("--read-reps", type=int, default=3)
    parser.add_argument("--lock-timeout", type=int, default=900, help="seconds to wait for another lab's load")
    parser.add_argument("--page-only", metavar="RESULTS_JSON", help="only render the page from saved results")
    parser.add_argument("--page-dir", help="write the page and plots under this directory instead of the repository")
    args = parser.parse_args(argv)
    if args.quick:
        args.eff_hosts, args.eff_reps, args.eff_seconds, args.eff_warmup = 4, 1, 8.0, 3.0
        args.sizes, args.target_sizes, args.extra_sizes, args.mitogen_sizes = "3,5", "5", "4", "5"
        args.reps, args.other_reps = 1, 1
        args.read_hosts, args.read_reps = 3, 1
        args.proof_sizes, args.proof_forks, args.proof_window = "3,5", "5", 3
        args.controller_sizes, args.controller_reps, args.controller_ansible_hosts = "200,1000", 1, 1000
    args.sizes = sorted({int(item) for item in args.sizes.split(",") if item.strip()})
    args.extra_sizes = sorted({int(item) for item in args.extra_sizes.split(",") if item.strip()})
    args.target_sizes = sorted({int(item) for item in args.target_sizes.split(",") if item.strip()})
    args.mitogen_sizes = [int(item) for item in args.mitogen_sizes.split(",") if item.strip()]
    args.only = [item.strip() for item in args.only.split(",") if item.strip()]
    args.proof_sizes = sorted({int(item) for item in str(args.proof_sizes).split(",") if item.strip()})
    args.proof_forks = sorted({int(item) for item in str(args.proof_forks).split(",") if item.strip()})
    args.controller_sizes = sorted({int(item) for item in str(args.controller_sizes).split(",") if item.strip()})
    return args


# ----------------------------------------------------------------------------------- comparison venv

def _dist_version(site, name):
    found = glob.glob(os.path.join(site, "%s-*.dist-info" % name))
    return os.path.basename(found[0])[len(name) + 1:-len(".dist-info")] if found else None


def comparison_venv():
    """The separate virtualenv with the `ansible` package (for ansible.posix) and mitogen, made on
    first use from bench/requirements-bench.txt. Returns (bin_dir, info) or (None, reason)."""
    python = os.path.join(CMP_VENV, "bin", "python")
    stamp = os.path.join(CMP_VENV, ".requirements")
    with open(REQUIREMENTS, encoding="utf-8") as handle:
        wanted = handle.read()
    current = None
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as handle:
            current = handle.read()
    if current != wanted:
        log("making the comparison virtualenv %s (ansible from PyPI for ansible.posix, mitogen)" % CMP_VENV)
        run([sys.executable, "-m", "venv", "--clear", CMP_VENV], timeout=300)
        try:
            run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS],
                timeout=900)
        except BenchError as exc:
            return None, "could not install %s: %s" % (os.path.relpath(REQUIREMENTS, REPO), str(exc)[-300:])
        with open(stamp, "w", encoding="utf-8") as handle:
            handle.write(wanted)
    site = glob.glob(os.path.join(CMP_VENV, "lib", "python3*", "site-packages"))
    if not site:
        return None, "no site-packages in %s" % CMP_VENV
    site = site[0]
    info = {"ansible_package": _dist_version(site, "ansible"), "mitogen": _dist_version(site, "mitogen")}
    manifest = os.path.join(site, "ansible_collections", "ansible", "posix", "MANIFEST.json")
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as handle:
            info["ansible_posix"] = json.load(handle)["collection_info"]["version"]
    strategy = os.path.join(site, "ansible_mitogen", "plugins", "strategy")
    info["mitogen_strategy_dir"] = strategy if os.path.isdir(strategy) else None
    return os.path.join(CMP_VENV, "bin"), info


# -------------------------------------------------------------------------------------------- main

def profile_settings(profile, scope):
    """The profile's keys this namespace can set (writable here), with the profile's values."""
    if COLLECTIONS_PATH not in sys.path:
        sys.path.insert(0, COLLECTIONS_PATH)
    from ansible_collections.netfleet.tuning.plugins.module_utils.profiles import PROFILES  # noqa: E402
    from ansible_collections.netfleet.tuning.plugins.module_utils.sysctl_value import format_value, \
        parse_value  # noqa: E402
    settings = {}
    for key, value in sorted(PROFILES[profile].items()):
        if scope.get(key, (None, False))[1]:
            settings[key] = format_value(parse_value(key, value))
    return settings


def all_profile_keys(args):
    sys.path.insert(0, COLLECTIONS_PATH)
    from ansible_collections.netfleet.tuning.plugins.module_utils.profiles import PROFILES, bdp_profile  # noqa: E402
    keys = set(EXTRA_KEYS)
    for values in PROFILES.values():
        keys.update(values)
    keys.update(bdp_profile(args.bdp_link_mbit, args.bdp_rtt_ms)[0])
    return sorted(keys)


def write_outputs(results, page_dir):
    results = json.loads(json.dumps(results))  # the page sees what a re-render from the JSON sees
    separate = {}
    for _part, results_dir, _wanted in page.separate_parts_missing(results):
        path = os.path.join(REPO, results_dir, "results.json")
        if os.path.abspath(page_dir) != REPO or not os.path.isfile(path):
            continue  # only the repository's page points to the runs kept in the repository
        with open(path, encoding="utf-8") as handle:
            separate[results_dir] = json.load(handle)
    if os.path.abspath(page_dir) != REPO:
        # a part measured on its own keeps its results beside its page (the repository's page reads them there)
        os.makedirs(page_dir, exist_ok=True)
        with open(os.path.join(page_dir, "results.json"), "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=1, sort_keys=True)
            handle.write("\n")
    for rel, text in page.render(results, separate).items():
        path = os.path.join(page_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        log("wrote %s" % path)


def save_partial(results, out_dir):
    """results.json after each part, so an interrupted run keeps what it measured."""
    with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)


def run_part(results, out_dir, name, measure):
    """One benchmark part: its result (or its error, so the other parts still run and the page says
    what failed), its duration, and results.json saved after it."""
    started = time.monotonic()
    try:
        results[name] = measure()
    except (BenchError, OSError, KeyError, ValueError) as exc:
        results["errors"][name] = str(exc)
        log("%s failed: %s" % (name, exc))
        traceback.print_exc()
    results["part_seconds"][name] = round(time.monotonic() - started, 1)
    save_partial(results, out_dir)


def _on_signal(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


# Parts that need no lab and no root: a run of only these makes no lab.
LAB_FREE = ("controller",)


def run_controller_part(args, results, out_dir):
    cfg = {"sizes": args.controller_sizes, "reps": args.controller_reps,
           "ansible_hosts": args.controller_ansible_hosts, "ansible_before": args.controller_ansible_before,
           "ansible_bin": os.path.join(DEV_VENV, "bin")}
    run_part(results, out_dir, "controller", lambda: controller.run_controller(
        cfg, os.path.join(out_dir, "controller"), log))


def run_lab_free(args, out_dir, page_dir):
    """A run of lab-free parts only (no lab, no root, no comparison virtualenv): the same results file and page."""
    t_start = time.monotonic()
    dev = Ansible(os.path.join(DEV_VENV, "bin"), os.path.join(out_dir, "ansible"),
                  os.path.join(REPO, ".cache", "bench", "cp"))
    results = {
        "version": 1, "quick": args.quick, "out_dir": os.path.relpath(out_dir, REPO),
        "wait": {"waited_s": 0, "idle": not foreign_labs([args.lab]), "skipped": True},
        "machine": machine_info(dev, {}), "load_before": load_snapshot([args.lab]),
        "args": {option: value for option, value in vars(args).items() if option not in ("page_only",)},
        "part_seconds": {}, "errors": {},
    }
    if "controller" in args.only:
        run_controller_part(args, results, out_dir)
    results["load_after"] = load_snapshot([args.lab])
    return finish(args, results, out_dir, page_dir, t_start)


def finish(args, results, out_dir, page_dir, t_start):
    """Duration and targets, results.json (and bench/results/latest.json for a full-scale run), the page."""
    results["duration_s"] = round(time.monotonic() - t_start, 1)
    results["targets"] = page.evaluate_targets(results)
    with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
    if not args.quick and not args.page_dir:
        os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
        with open(RESULTS, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=1, sort_keys=True)
            handle.write("\n")
    write_outputs(results, page_dir)
    log("done in %.1f min (%.1f min since start, waiting included); results %s" % (
        results["duration_s"] / 60.0, elapsed() / 60.0, os.path.join(out_dir, "results.json")))
    for target in results["targets"]:
        log("target %-8s %s: %s" % ({True: "MET", False: "MISSED", None: "n/a"}[target["met"]], target["name"],
                                    target["measured"]))
    return 1 if results["errors"] else 0


def main(argv=None):
    args = parse_args(argv)
    # SIGTERM, and SIGINT also when started in the background (where SIGINT starts ignored), clean up:
    # the finally below removes the lab.
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    if args.page_only:
        with open(args.page_only, encoding="utf-8") as handle:
            results = json.load(handle)
        results["targets"] = page.evaluate_targets(results)
        write_outputs(results, args.page_dir or REPO)
        return 0
    if all(part in LAB_FREE for part in args.only):
        out_dir = os.path.abspath(args.out or os.path.join(REPO, ".cache", "bench", datetime.datetime.now().strftime(
            "%Y%m%d-%H%M%S") + ("-quick" if args.quick else "")))
        os.makedirs(out_dir, exist_ok=True)
        return run_lab_free(args, out_dir, args.page_dir or (out_dir if args.quick else REPO))
    if os.geteuid() != 0:
        print("bench: run as root (netlab makes network namespaces)", file=sys.stderr)
        return 2
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = os.path.abspath(args.out or os.path.join(REPO, ".cache", "bench", stamp + ("-quick" if args.quick else "")))
    os.makedirs(out_dir, exist_ok=True)
    page_dir = args.page_dir or (out_dir if args.quick else REPO)

    bin_dir, cmp_info = comparison_venv()
    posix_reason = None
    if bin_dir is None:
        posix_reason, cmp_info = cmp_info, {}
        bin_dir = os.path.join(DEV_VENV, "bin")
        log("comparison virtualenv unavailable (%s): ansible.posix and mitogen are not measured" % posix_reason)
    ansible = Ansible(bin_dir, os.path.join(out_dir, "ansible"), os.path.join(REPO, ".cache", "bench", "cp"))
    ansible.mitogen_strategy_dir = cmp_info.pop("mitogen_strategy_dir", None)
    dev_core = Ansible(os.path.join(DEV_VENV, "bin"), os.path.join(out_dir, "ansible"), ansible.cp_dir).version()
    if ansible.version() != dev_core:
        raise BenchError("the comparison virtualenv has ansible-core %s, .venv has %s: pin them alike in %s"
                         % (ansible.version(), dev_core, REQUIREMENTS))
    posix_available = bool(cmp_info.get("ansible_posix"))
    if not posix_available and not posix_reason:
        posix_reason = "ansible.posix not found in the comparison virtualenv"

    wait = {"waited_s": 0, "idle": not foreign_labs([args.lab]), "skipped": True}
    if args.wait_idle > 0:
        wait = wait_idle([args.lab], args.wait_idle)
    t_start = time.monotonic()
    results = {
        "version": 1, "quick": args.quick, "wait": wait, "out_dir": os.path.relpath(out_dir, REPO),
        "machine": machine_info(ansible, cmp_info),
        "load_before": load_snapshot([args.lab]),
        "args": {key: value for key, value in vars(args).items() if key not in ("page_only",)},
        "part_seconds": {},
        "errors": {},
    }
    log("machine: %(nproc)s CPUs, %(mem_total_gib)s GiB, kernel %(kernel)s, ansible-core %(ansible_core)s"
        % results["machine"])
    watcher = LabWatcher([args.lab])
    watcher.start()
    count = max([args.eff_hosts if "efficacy" in args.only else 0, args.read_hosts if "readcost" in args.only else 0]
                + (args.sizes + args.extra_sizes + args.mitogen_sizes if "rollout" in args.only else [])
                + (args.proof_sizes if "proof" in args.only else []))
    if "controller" in args.only:  # no lab needed: before the lab is made, while the machine is quiet
        run_controller_part(args, results, out_dir)
    lab = Lab(args.lab, count)
    try:
        started = time.monotonic()
        lab.up()
        results["part_seconds"]["lab up"] = round(time.monotonic() - started, 1)
        keys = all_profile_keys(args)
        scoped = read_live(lab.hosts, keys, with_scope=True)
        # The fresh state every reset goes back to: the writable keys' values right after `netlab up`.
        initial = {host: {key: value for key, (value, writable) in vals.items() if writable}
                   for host, vals in scoped.items()}
        results["initial_live"] = {key: {"value": value, "writable": writable}
                                   for key, (value, writable) in scoped[lab.hosts[0]["name"]].items()}
        if "efficacy" in args.only:
            cfg = {"conditions": list(efficacy.CONDITIONS), "reps": args.eff_reps, "seconds": args.eff_seconds,
                   "warmup": args.eff_warmup, "rate": args.rate, "connections": 8, "write_size": 512,
                   "bdp_link_mbit": args.bdp_link_mbit, "bdp_rtt_ms": args.bdp_rtt_ms,
                   "lock_timeout": args.lock_timeout}
            run_part(results, out_dir, "efficacy", lambda: efficacy.run_efficacy(
                lab, lab.first(args.eff_hosts), initial, ansible, cfg, os.path.join(out_dir, "efficacy"),
                RESET_FILES))
        if "readcost" in args.only:
            cfg = {"hosts": args.read_hosts, "reps": args.read_reps, "forks": args.forks,
                   "iterations": 50 if args.quick else 300, "process_iterations": 10 if args.quick else 30}
            run_part(results, out_dir, "readcost", lambda: readcost.run_readcost(
                lab, ansible, cfg, os.path.join(out_dir, "readcost")))
        if "rollout" in args.only:
            settings = profile_settings(args.profile, scoped[lab.hosts[0]["name"]])
            cfg = {"sizes": args.sizes, "target_sizes": args.target_sizes, "extra_sizes": args.extra_sizes,
                   "reps": args.reps, "other_reps": args.other_reps, "profile": args.profile,
                   "forks": args.forks, "mitogen": not args.no_mitogen, "mitogen_sizes": args.mitogen_sizes,
                   "mitogen_version": results["machine"].get("mitogen"), "budget_s": args.budget}
            run_part(results, out_dir, "rollout", lambda: rollout.run_rollout(
                lab, initial, ansible, cfg, RESET_FILES, settings, posix_available, posix_reason,
                t_start + args.budget))
        if "proof" in args.only:
            cfg = {"sizes": args.proof_sizes, "forks": args.proof_forks, "window_s": args.proof_window}
            run_part(results, out_dir, "proof", lambda: proof.run_proof(
                lab, Ansible(os.path.join(DEV_VENV, "bin"), ansible.log_dir, ansible.cp_dir), cfg,
                os.path.join(out_dir, "proof")))
    finally:
        started = time.monotonic()
        ansible.close_masters()
        lab.down()
        results["part_seconds"]["lab down"] = round(time.monotonic() - started, 1)
    results["other_labs_during"] = watcher.result()
    results["load_after"] = load_snapshot([args.lab])
    return finish(args, results, out_dir, page_dir, t_start)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print("bench: error: %s" % exc, file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        sys.exit(130)
