# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run `netlab load` in the background for a molecule step, and stop it again.

  bgload.py start --netlab PATH --lab LAB --seconds S --dir DIR [--pin-rcvbuf BYTES] [--settle 8]
      starts the load in its own session (output in DIR/load.log, pid in DIR/load.pid), waits until
      it holds the machine's load lock (netlab runs one load at a time) and its clients have run
      --settle seconds, then exits 0 and leaves the load running (bounded by --seconds).
  bgload.py stop --dir DIR
      SIGTERMs that load (only if the pid still is a `netlab load`), waits, SIGKILLs after 20 s.
      Idempotent.
"""

import argparse
import os
import signal
import subprocess
import sys
import time


def _is_our_load(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            argv = handle.read().split(b'\0')
    except OSError:
        return False
    return any(arg.endswith(b'netlab') for arg in argv) and b'load' in argv


def start(args):
    os.makedirs(args.dir, mode=0o750, exist_ok=True)
    log_path = os.path.join(args.dir, 'load.log')
    pid_path = os.path.join(args.dir, 'load.pid')
    stop(args)  # a leftover of an earlier step
    argv = [sys.executable, args.netlab, 'load', '--name', args.lab, '--seconds', str(args.seconds),
            '--lock-timeout', str(args.timeout)]
    if args.pin_rcvbuf:
        argv += ['--pin-rcvbuf', str(args.pin_rcvbuf)]
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    with open(pid_path, 'w') as handle:
        handle.write('%d\n' % proc.pid)
    deadline = time.monotonic() + args.timeout + 30
    while time.monotonic() < deadline:
        with open(log_path) as handle:
            text = handle.read()
        if '] load: ' in text:
            time.sleep(args.settle)
            if proc.poll() is not None:
                sys.exit('netlab load stopped early:\n' + open(log_path).read()[-2000:])
            print(text.split('] load: ', 1)[1].splitlines()[0])
            return 0
        if proc.poll() is not None:
            sys.exit('netlab load exited %s before it started:\n%s' % (proc.returncode, text[-2000:]))
        time.sleep(0.5)
    stop(args)
    sys.exit('netlab load did not start within %d s' % (args.timeout + 30))


def stop(args):
    pid_path = os.path.join(args.dir, 'load.pid')
    try:
        with open(pid_path) as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return 0
    if _is_our_load(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _is_our_load(pid):
            time.sleep(0.2)
        if _is_our_load(pid):
            os.kill(pid, signal.SIGKILL)
    os.unlink(pid_path)
    print('stopped')
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('start')
    p.add_argument('--netlab', required=True)
    p.add_argument('--lab', required=True)
    p.add_argument('--seconds', type=int, required=True)
    p.add_argument('--dir', required=True)
    p.add_argument('--pin-rcvbuf', type=int, default=0)
    p.add_argument('--settle', type=float, default=8.0)
    p.add_argument('--timeout', type=int, default=900)
    p.set_defaults(func=start)
    p = sub.add_parser('stop')
    p.add_argument('--dir', required=True)
    p.set_defaults(func=stop)
    args = parser.parse_args()
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
