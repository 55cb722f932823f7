# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark 2, rollout speed: the role against the ping floor, per-key ansible.posix.sysctl and
template + sysctl -p, on the first N hosts of the lab, same forks and ssh settings (bench/ansible.cfg).

Before every run that changes something, the hosts go back to the lab's fresh state without a round
trip (files removed from the controller side, live values rewritten in each namespace), so every
contender writes a file and changes live values. After each run the live values are read back from
the controller (untimed) and a run whose values are wrong does not count.
"""

import os
import time

from benchlib.common import REPO, BenchError, check_live, limit_first, log, reset_hosts
from benchlib.stats import median, ratio, spread

SSH_CONTENDERS = ("ping", "role", "posix", "template")
TARGET_CONTENDERS = ("ping", "role", "posix")
PLAYBOOK = {"ping": "ping.yml", "role": "role.yml", "posix": "posix_sysctl.yml.in", "template": "template_sysctl.yml"}


def contender_vars(name, profile, settings):
    if name == "role":
        return {"sysctl_profile_name": profile}
    if name in ("posix", "template"):
        return {"bench_settings": settings}
    return None


def one_run(ansible, lab, hosts, initial, reset_files, name, mitogen, profile, settings, tag):
    if name != "ping":
        reset_hosts(lab, hosts, initial, reset_files)
    res = ansible.playbook(PLAYBOOK[name], lab.inventory, limit=limit_first(len(hosts)),
                           extra_vars=contender_vars(name, profile, settings), mitogen=mitogen, tag=tag)
    problems = []
    if res["rc"] != 0:
        problems.append("exit %d" % res["rc"])
    bad = sorted(h for h, r in res["recap"].items() if r["failed"] or r["unreachable"])
    if bad:
        problems.append("failed/unreachable: %s" % ", ".join(bad[:5]))
    if len(res["recap"]) != len(hosts):
        problems.append("recap has %d hosts, expected %d" % (len(res["recap"]), len(hosts)))
    if name != "ping" and not problems:
        wrong = check_live(hosts, settings)
        if wrong:
            problems.append("live values wrong on %s" % ", ".join(wrong[:5]))
    res["valid"] = not problems
    res["problems"] = problems
    return res


def mitogen_works(ansible, lab):
    """Try mitogen_linear once (ping on the first host). (True, None) or (False, reason)."""
    if not ansible.mitogen_strategy_dir:
        return False, "mitogen is not installed in the comparison virtualenv"
    res = ansible.playbook("ping.yml", lab.inventory, limit=limit_first(1), mitogen=True, tag="mitogen-probe",
                           timeout=120)
    if res["rc"] != 0:
        with open(os.path.join(REPO, res["log"]), encoding="utf-8", errors="replace") as handle:
            tail = " ".join(handle.read().strip().splitlines()[-3:])
        return False, "mitogen_linear failed on a ping: %s" % tail[-300:]
    return True, None


def reps_for(cfg, name, size):
    """Repetitions of one contender at one size (0: not run there). The targets compare the role with
    the ping floor and with ansible.posix.sysctl at cfg["target_sizes"]: those three get cfg["reps"]
    there. Every contender runs cfg["other_reps"] times at the other sizes (of cfg["sizes"], and of the
    optional extra and mitogen blocks); template + sysctl -p, in no target, runs only there. The slow contenders' runs are what decide whether the whole
    benchmark fits its time target."""
    base = name.split("+")[0]
    if size in cfg.get("target_sizes", ()) and base in TARGET_CONTENDERS:
        return cfg["reps"]
    if size in cfg["sizes"] or size in cfg.get("extra_sizes", ()) or size in cfg.get("mitogen_sizes", ()):
        return cfg.get("other_reps", cfg["reps"])
    return 0


def _predict(fits, variants, sizes, cfg, walls=None, per_run_overhead=1.0):
    """Seconds a block should take, from the linear fits of what ran before or, without a fit (one
    size so far), from the medians measured at the same size; None if neither is known."""
    total = 0.0
    for name, _ in variants:
        fit = fits.get(name)
        for size in sizes:
            if fit:
                one = max(0.0, fit["fixed_s"] + fit["per_host_s"] * size)
            else:
                measured = ((walls or {}).get(name) or {}).get(size)
                if not measured or measured.get("median") is None:
                    return None
                one = measured["median"]
            total += (one + per_run_overhead) * reps_for(cfg, name, size)
    return total


def run_block(ansible, lab, hosts_all, initial, reset_files, cfg, settings, block, sizes, variants, runs):
    for rep in range(max(cfg["reps"], cfg["other_reps"])):
        for size in sizes:
            hosts = hosts_all[:size]
            shift = (rep + sizes.index(size)) % len(variants)
            for name, mitogen in variants[shift:] + variants[:shift]:
                if rep >= reps_for(cfg, name, size):
                    continue
                label = name + ("+mitogen" if mitogen else "")
                tag = "roll-r%d-n%d-%s" % (rep + 1, size, label.replace("+", "-"))
                res = one_run(ansible, lab, hosts, initial, reset_files, name, mitogen, cfg["profile"], settings, tag)
                res.update(contender=label, hosts=size, rep=rep + 1, block=block)
                runs.append(res)
                log("rollout rep %d %2d hosts %-16s %6.2f s%s" % (rep + 1, size, label, res["wall_s"],
                                                                 "" if res["valid"] else "  INVALID: %s"
                                                                 % "; ".join(res["problems"])))


def run_rollout(lab, initial, ansible, cfg, reset_files, settings, posix_available, posix_reason, deadline):
    """cfg: sizes (every contender), target_sizes (ping, role, posix.sysctl), extra_sizes (run if the
    time left allows), reps and other_reps (see reps_for), profile, forks, mitogen (bool),
    mitogen_sizes (run if mitogen works and the time left allows).

    The blocks run in that order, each with its own interleaving; an optional block runs only when
    its duration, predicted from the linear fits of the runs so far, ends before `deadline`
    (time.monotonic()); a skipped block is recorded with its prediction."""
    main_sizes = sorted(set(cfg["sizes"]) | set(cfg.get("target_sizes", ())))
    all_sizes = sorted(set(main_sizes) | set(cfg["extra_sizes"]) | set(cfg["mitogen_sizes"]))
    hosts_all = lab.first(max(all_sizes))
    contenders = [c for c in SSH_CONTENDERS if c != "posix" or posix_available]
    mitogen_ok, mitogen_reason = (False, "not requested")
    if cfg.get("mitogen"):
        mitogen_ok, mitogen_reason = mitogen_works(ansible, lab)
        log("mitogen: %s" % ("works" if mitogen_ok else mitogen_reason))
    warm = ansible.playbook("ping.yml", lab.inventory, limit=limit_first(len(hosts_all)), tag="warmup")
    if warm["rc"] != 0:
        raise BenchError("warm-up ping failed, see %s" % warm["log"])
    blocks = [("main", main_sizes, [(c, False) for c in contenders], True)]
    extra = [s for s in cfg["extra_sizes"] if s not in main_sizes]
    if extra:
        blocks.append(("extra", extra, [(c, False) for c in contenders], False))
    if mitogen_ok and cfg["mitogen_sizes"]:
        blocks.append(("mitogen", list(cfg["mitogen_sizes"]), [(c, True) for c in contenders], False))
    runs, done, skipped = [], [], []
    for block, sizes, variants, required in blocks:
        if not required:
            so_far = summarize(runs, all_sizes)
            fits = dict((name, so_far["fit"].get(name.split("+")[0])) for name, _ in variants)
            walls = dict((name, so_far["wall"].get(name.split("+")[0])) for name, _ in variants)
            predicted = _predict(fits, variants, sizes, cfg, walls)
            left = deadline - time.monotonic()
            if predicted is None or predicted > left:
                why = ("predicted %.0f s, %.0f s left in the time budget" % (predicted, left)
                       if predicted is not None else "no timing to predict it from")
                log("rollout: skipping the %s block (%s hosts): %s" % (block, sizes, why))
                skipped.append({"block": block, "sizes": sizes, "reason": why})
                continue
            log("rollout: %s block (%s hosts) predicted %.0f s, %.0f s left" % (block, sizes, predicted, left))
        start = time.monotonic()
        run_block(ansible, lab, hosts_all, initial, reset_files, cfg, settings, block, sizes, variants, runs)
        done.append({"block": block, "sizes": sizes, "seconds": round(time.monotonic() - start, 1)})
    reset_hosts(lab, hosts_all, initial, reset_files)
    measured_sizes = sorted({r["hosts"] for r in runs})
    return {
        "config": cfg,
        "keys": settings,
        "contenders": contenders + ([c + "+mitogen" for c in contenders] if mitogen_ok else []),
        "posix_available": posix_available,
        "posix_reason": posix_reason,
        "mitogen_ok": mitogen_ok,
        "mitogen_reason": mitogen_reason,
        "warmup": {k: warm[k] for k in ("wall_s", "rc", "log")},
        "blocks": done,
        "skipped": skipped,
        "sizes": measured_sizes,
        "runs": runs,
        "summary": summarize(runs, measured_sizes),
    }


def summarize(runs, sizes):
    """{contender: {size: spread of wall_s, per_host_s, ...}}, the ratios per size, and a linear fit."""
    table = {}
    for run in runs:
        if not run["valid"]:
            continue
        table.setdefault(run["contender"], {}).setdefault(run["hosts"], []).append(run["wall_s"])
    out = {"wall": {}, "ratios": {}, "fit": {}, "invalid": sum(1 for r in runs if not r["valid"])}
    for name, per_size in table.items():
        out["wall"][name] = {}
        for size, walls in sorted(per_size.items()):
            s = spread(walls)
            s["per_host_s"] = s["median"] / size if s["median"] is not None else None
            out["wall"][name][size] = s
        out["fit"][name] = linear_fit([(size, median(w)) for size, w in per_size.items()])
    for size in sizes:
        med = {name: out["wall"][name][size]["median"] for name in out["wall"] if size in out["wall"][name]}
        out["ratios"][size] = {
            "role_over_ping": ratio(med.get("role"), med.get("ping")),
            "posix_over_role": ratio(med.get("posix"), med.get("role")),
            "template_over_role": ratio(med.get("template"), med.get("role")),
            "role_over_role_mitogen": ratio(med.get("role"), med.get("role+mitogen")),
            "role_mitogen_over_ping_mitogen": ratio(med.get("role+mitogen"), med.get("ping+mitogen")),
            "posix_mitogen_over_role_mitogen": ratio(med.get("posix+mitogen"), med.get("role+mitogen")),
            # the work above the floor: what each contender adds to mitogen's bootstrap of every host
            "posix_mitogen_over_role_mitogen_above_floor": ratio(
                _above(med.get("posix+mitogen"), med.get("ping+mitogen")),
                _above(med.get("role+mitogen"), med.get("ping+mitogen"))),
        }
    return out


def _above(wall, floor):
    """wall - floor, None when either is missing or the difference is not positive."""
    if wall is None or floor is None or wall <= floor:
        return None
    return wall - floor


def linear_fit(points):
    """Least squares wall = fixed + per_host * hosts over (hosts, wall) points; None with < 2 sizes."""
    pts = [(float(x), float(y)) for x, y in points if y is not None]
    if len({x for x, _ in pts}) < 2:
        return None
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    slope = sum((x - mx) * (y - my) for x, y in pts) / sxx
    return {"per_host_s": slope, "fixed_s": my - slope * mx}
