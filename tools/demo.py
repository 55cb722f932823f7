#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The main job, end to end, on this machine (run as root; `make demo` runs it):

  1. start a netlab fleet of untuned hosts (network namespaces with their own sshd),
  2. start the JSON load in the background (bounded; one load on the machine at a time),
  3. run `ansible-playbook netfleet.tuning.rollout` under that load: baseline window, canary,
     the rest, each batch verified against the baseline,
  4. print the fleet report (pruning and collapsing per million InSegs, before -> after, per host),
  5. stop the load and tear the fleet down, also on failure and on Ctrl-C / SIGTERM.

Exit status: 0 when every host passed verify, 1 when one did not, 2 on a setup error, 130 when
interrupted. The report stays in --state-dir (report.json, report.md, report.html).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
NETLAB = os.path.join(REPO, "tools", "netlab", "netlab")
COLLECTIONS = os.path.join(REPO, ".cache", "collections")
COLLECTION_LINK = os.path.join(COLLECTIONS, "ansible_collections", "netfleet", "tuning")

START = time.monotonic()


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived."""

    def __init__(self, signum):
        Exception.__init__(self, signal.Signals(signum).name)
        self.signum = signum


def say(message):
    print("demo [%5.1fs] %s" % (time.monotonic() - START, message), flush=True)


def _on_signal(signum, _frame):
    raise Interrupted(signum)


def ansible_playbook():
    here = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    if os.access(here, os.X_OK):
        return here
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(directory, "ansible-playbook")
        if os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("demo: ansible-playbook not found: run `make demo` (it builds .venv), or "
                     ".venv/bin/python tools/demo.py")


def ensure_collection_link():
    """The checkout must be importable as netfleet.tuning (what `make link` does)."""
    if os.path.realpath(COLLECTION_LINK) == REPO:
        return
    os.makedirs(os.path.dirname(COLLECTION_LINK), exist_ok=True)
    if os.path.islink(COLLECTION_LINK):
        os.unlink(COLLECTION_LINK)
    os.symlink(REPO, COLLECTION_LINK)


def netlab(*args, capture=True, check=True):
    argv = [sys.executable, NETLAB] + list(args)
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.STDOUT if capture else None, universal_newlines=True)
    if check and proc.returncode != 0:
        raise RuntimeError("netlab %s failed (exit %d):\n%s" % (" ".join(args), proc.returncode,
                                                                (proc.stdout or "").strip()))
    return proc


def start_load(lab, seconds, log_path, lock_timeout):
    """netlab load in the background (its own session); returns the Popen."""
    log = open(log_path, "w")
    try:
        return subprocess.Popen([sys.executable, NETLAB, "load", "--name", lab, "--seconds", str(seconds),
                                 "--lock-timeout", str(lock_timeout)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    finally:
        log.close()


def wait_for_load_window(proc, log_path, timeout, settle):
    """Wait until the load holds the machine's load lock and its clients have run `settle` seconds."""
    deadline = time.monotonic() + timeout
    told = False
    while time.monotonic() < deadline:
        with open(log_path) as handle:
            text = handle.read()
        if "] load: " in text:
            say("load running: %s" % text.split("] load: ", 1)[1].splitlines()[0])
            time.sleep(settle)
            if proc.poll() is not None:
                raise RuntimeError("the load stopped early:\n%s" % open(log_path).read()[-2000:])
            return
        if "another load is running" in text and not told:
            say("another load holds the machine's load lock; waiting for it (netlab runs one load at a time)")
            told = True
        if proc.poll() is not None:
            raise RuntimeError("netlab load exited (%s) before it started:\n%s" % (proc.returncode, text[-2000:]))
        time.sleep(0.5)
    raise RuntimeError("the load did not start within %d s" % timeout)


def stop(proc, name, grace=20.0):
    """SIGTERM the process we started (its own process group), then SIGKILL after grace seconds."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        say("%s did not stop in %.0f s: killing it" % (name, grace))
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def run_rollout(inventory, state_dir, args, log_path):
    """ansible-playbook netfleet.tuning.rollout (by FQCN); task names on the terminal, all of it in the log."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "PYTHONUNBUFFERED": "1",
    })
    extra = {
        "netfleet_hosts": "netlab_hosts",
        "netfleet_state_dir": state_dir,
        "netfleet_sample_seconds": args.sample_seconds,
        "netfleet_settle_seconds": args.settle_seconds,
        "netfleet_serial": [1, "100%"],
        "netfleet_rebaseline": True,
        "netfleet_rollback_on_failure": False,
    }
    argv = [ansible_playbook(), "-i", inventory, "netfleet.tuning.rollout", "-e", json.dumps(extra)]
    say("running: %s" % " ".join(argv[:4] + ["-e", "'%s'" % json.dumps(extra)]))
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=env, cwd=os.path.dirname(state_dir) or None, universal_newlines=True,
                                start_new_session=True)
        try:
            for line in proc.stdout:
                log.write(line)
                log.flush()
                stripped = line.strip()
                if stripped.startswith(("PLAY [", "TASK [")) and stripped.endswith("*"):
                    title = stripped.rstrip("* ").strip()
                    if args.verbose or stripped.startswith("PLAY [") or _interesting(title):
                        say("  " + title)
                elif stripped.startswith(("fatal:", "[ERROR]")) or args.verbose:
                    say("  " + stripped[:400])
            return proc.wait()
        finally:
            stop(proc, "ansible-playbook", grace=5.0)


def _interesting(task_title):
    return any(word in task_title for word in ("sampling window", "Wait the window", "Write, apply", "Judge",
                                               "Write report", "Roll back", "Fail the hosts"))


def print_report(state_dir):
    path = os.path.join(state_dir, "report.json")
    try:
        with open(path) as handle:
            report = json.load(handle)
    except (OSError, ValueError) as exc:
        say("no report at %s (%s)" % (path, exc))
        return None
    sys.path.insert(0, COLLECTIONS)
    from ansible_collections.netfleet.tuning.plugins.plugin_utils import report_view
    print()
    print("Fleet report (%s, run %s): pruning and collapsing per million received segments, baseline -> verify"
          % (report.get("playbook"), report.get("run_id")))
    print()
    print(report_view.render_text(report))
    for name, entry in report["hosts"].items():
        metrics = entry.get("metrics") or {}
        parts = []
        for metric in report_view.gated_metrics(report):
            values = metrics.get(metric) or {}
            parts.append("%s %s -> %s in %s s windows" % (
                metric, values.get("before_delta", "n/a"), values.get("after_delta", "n/a"),
                _seconds(entry)))
        print("  %s: %s" % (name, "; ".join(parts)))
        live = (entry.get("changes") or {}).get("live") or {}
        for key, change in sorted(live.items()):
            print("      %s: %s -> %s" % (key, change.get("before"), change.get("after")))
    print()
    print("Full report: %s/report.md and report.html (self-contained page with the charts)" % state_dir)
    return report


def _seconds(entry):
    before = (entry.get("before") or {}).get("seconds")
    after = (entry.get("after") or {}).get("seconds")
    if before is None or after is None:
        return "n/a"
    return "%.0f/%.0f" % (before, after)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="demo", help="netlab lab name (default demo; 1-7 chars a-z0-9)")
    parser.add_argument("--hosts", type=int, default=3, help="hosts in the fleet (default 3)")
    parser.add_argument("--sample-seconds", type=int, default=20, help="baseline and verify windows (default 20)")
    parser.add_argument("--settle-seconds", type=int, default=10,
                        help="wait after tuning before the verify window (default 10)")
    parser.add_argument("--load-seconds", type=int, default=300,
                        help="upper bound of the background load; it is stopped when the rollout ends (default 300)")
    parser.add_argument("--lock-timeout", type=int, default=600,
                        help="seconds to wait for another netlab load on this machine (default 600)")
    parser.add_argument("--state-dir", default=os.path.join(os.getcwd(), "netfleet-state", "demo"),
                        help="where the baselines and the report go (default ./netfleet-state/demo)")
    parser.add_argument("--keep", action="store_true", help="leave the fleet up at the end (for a look around)")
    parser.add_argument("--verbose", action="store_true", help="print all of ansible-playbook's output")
    args = parser.parse_args(argv)

    if os.geteuid() != 0:
        print("demo: run as root (netlab creates network namespaces): sudo make demo", file=sys.stderr)
        return 2
    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, mode=0o750, exist_ok=True)
    logs = os.path.join(state_dir, "logs")
    os.makedirs(logs, mode=0o750, exist_ok=True)
    load_log = os.path.join(logs, "load.log")
    playbook_log = os.path.join(logs, "rollout.log")

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    load = None
    lab_started = False
    status = 2
    try:
        ensure_collection_link()
        say("starting a fleet of %d untuned hosts (netlab lab %s)" % (args.hosts, args.name))
        netlab("down", "--name", args.name, check=False)  # leftovers of an interrupted run
        lab_started = True
        up = netlab("up", "--name", args.name, "--hosts", str(args.hosts))
        inventory = up.stdout.strip().splitlines()[-1]
        say("fleet up, inventory %s" % inventory)

        say("starting the JSON load in the background (at most %d s)" % args.load_seconds)
        load = start_load(args.name, args.load_seconds, load_log, args.lock_timeout)
        wait_for_load_window(load, load_log, timeout=args.lock_timeout + 30, settle=8)

        say("rolling out under load (log: %s)" % playbook_log)
        rc = run_rollout(inventory, state_dir, args, playbook_log)
        say("ansible-playbook exited %d" % rc)
        stop(load, "netlab load")
        load = None

        report = print_report(state_dir)
        ok = rc == 0 and report is not None and report["summary"]["ok"]
        status = 0 if ok else 1
        say("every host passed verify" if ok else "NOT every host passed verify (see above and %s)" % playbook_log)
    except Interrupted as exc:
        say("interrupted (%s): cleaning up" % exc)
        status = 130
    except (RuntimeError, OSError) as exc:
        say("error: %s" % exc)
        status = 2
    finally:
        # No more interruptions while cleaning up: a second Ctrl-C must not leave the fleet behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop(load, "netlab load")
        if lab_started and not args.keep:
            down = netlab("down", "--name", args.name, check=False)
            say("fleet torn down: %s" % ((down.stdout or "").strip().splitlines() or ["done"])[-1])
            left = netlab("list", check=False).stdout or ""
            if any(line.split()[:1] == [args.name] for line in left.splitlines()):
                say("WARNING: lab %s is still listed by `netlab list`" % args.name)
                status = status or 2
        elif args.keep:
            say("fleet %s left up (--keep): tools/netlab/netlab down --name %s" % (args.name, args.name))
        say("done in %.0f s" % (time.monotonic() - START))
    return status


if __name__ == "__main__":
    sys.exit(main())
