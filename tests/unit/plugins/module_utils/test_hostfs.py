# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hostfs: strict modes, no link ever followed, atomic writes, the bounded lock."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os
import stat
import subprocess
import sys

import pytest

from ansible_collections.netfleet.tuning.plugins.module_utils import hostfs

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason='chown to another uid needs root')


@pytest.fixture
def anchor(tmp_path):
    base = tmp_path / 'trusted'
    base.mkdir(mode=0o755)
    os.chmod(str(base), 0o755)
    return base


def rule_of(func, *args, **kwargs):
    with pytest.raises(hostfs.UnsafePathError) as info:
        func(*args, **kwargs)
    return info.value.rule, str(info.value)


def test_missing_dir_is_fine_and_created_0700(anchor):
    target = str(anchor / 'a' / 'state')
    assert hostfs.check_trusted_dir(target, anchor=str(anchor)) is False
    created = hostfs.make_trusted_dir(target, anchor=str(anchor))
    assert created == [str(anchor / 'a'), target]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(str(anchor / 'a')).st_mode) == 0o755
    assert hostfs.check_trusted_dir(target, anchor=str(anchor)) is True


def test_modes_widened_by_umask_are_not_kept(anchor):
    old = os.umask(0)
    try:
        hostfs.make_trusted_dir(str(anchor / 'x' / 'state'), anchor=str(anchor))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(str(anchor / 'x')).st_mode) == 0o755


@pytest.mark.parametrize('mode, who', [(0o777, 'group and others'), (0o757, 'others'), (0o775, 'group')])
def test_writable_state_dir_refused(anchor, mode, who):
    target = anchor / 'state'
    target.mkdir()
    os.chmod(str(target), mode)
    rule, msg = rule_of(hostfs.check_trusted_dir, str(target), anchor=str(anchor))
    assert rule == 'mode' and who in msg and str(target) in msg


def test_writable_parent_refused_and_named(anchor):
    parent = anchor / 'p'
    (parent / 'state').mkdir(parents=True)
    os.chmod(str(parent), 0o1777)
    rule, msg = rule_of(hostfs.check_trusted_dir, str(parent / 'state'), anchor=str(anchor))
    assert rule == 'mode' and msg.startswith('directory %s ' % parent) and 'a parent of %s' % (parent / 'state') in msg


@ROOT_ONLY
def test_foreign_owner_refused(anchor):
    target = anchor / 'state'
    target.mkdir(mode=0o700)
    os.chown(str(target), 65534, 65534)
    rule, msg = rule_of(hostfs.check_trusted_dir, str(target), anchor=str(anchor))
    assert rule == 'owner' and 'uid 65534' in msg


def test_state_dir_link_refused(anchor):
    real = anchor / 'real'
    real.mkdir(mode=0o700)
    os.symlink(str(real), str(anchor / 'state'))
    rule, dummy_message = rule_of(hostfs.check_trusted_dir, str(anchor / 'state'), anchor=str(anchor))
    assert rule == 'symlink'


def test_root_owned_link_in_parents_is_followed_and_its_target_checked(anchor):
    real = anchor / 'real'
    (real / 'state').mkdir(parents=True)
    os.chmod(str(real), 0o755)
    os.symlink(str(real), str(anchor / 'via'))
    assert hostfs.check_trusted_dir(str(anchor / 'via' / 'state'), anchor=str(anchor)) is True
    os.chmod(str(real), 0o777)
    rule, dummy_message = rule_of(hostfs.check_trusted_dir, str(anchor / 'via' / 'state'), anchor=str(anchor))
    assert rule == 'mode'


def test_not_a_directory(anchor):
    (anchor / 'state').write_text('x')
    rule, dummy_message = rule_of(hostfs.check_trusted_dir, str(anchor / 'state'), anchor=str(anchor))
    assert rule == 'not_a_directory'


def test_read_text_never_follows(anchor):
    secret = anchor / 'secret'
    secret.write_text('private')
    os.chmod(str(secret), 0o600)
    os.symlink(str(secret), str(anchor / 'link'))
    rule, dummy_message = rule_of(hostfs.read_text, str(anchor / 'link'), 'drop-in')
    assert rule == 'symlink'
    assert hostfs.read_text(str(anchor / 'missing')) is None
    assert hostfs.read_text(str(secret)) == 'private'


def test_read_text_refuses_fifo_without_blocking(anchor):
    os.mkfifo(str(anchor / 'fifo'))
    rule, dummy_message = rule_of(hostfs.read_text, str(anchor / 'fifo'))
    assert rule == 'not_regular'


def test_read_text_strict_and_limits(anchor):
    path = anchor / 'state.json'
    path.write_text('{}')
    os.chmod(str(path), 0o666)
    assert rule_of(hostfs.read_text, str(path), strict=True)[0] == 'mode'
    os.chmod(str(path), 0o600)
    assert hostfs.read_text(str(path), strict=True) == '{}'
    path.write_bytes(b'x' * 100)
    assert rule_of(hostfs.read_text, str(path), limit=10)[0] == 'too_large'
    path.write_bytes(b'\xff\xfe')
    assert rule_of(hostfs.read_text, str(path))[0] == 'not_text'


def test_write_atomic_refuses_link_and_leaves_target(anchor):
    target = anchor / 'target'
    target.write_text('theirs')
    os.chmod(str(target), 0o600)
    link = anchor / 'dropin.conf'
    os.symlink(str(target), str(link))
    rule, msg = rule_of(hostfs.write_atomic, str(link), 'ours', 0o644, 'drop-in')
    assert rule == 'symlink' and 'drop-in %s' % link in msg
    assert target.read_text() == 'theirs' and stat.S_IMODE(os.stat(str(target)).st_mode) == 0o600
    assert os.path.islink(str(link))
    assert sorted(os.listdir(str(anchor))) == ['dropin.conf', 'target']  # no temporary file left


def test_write_atomic_mode_and_content(anchor):
    path = str(anchor / 'f')
    old = os.umask(0o077)
    try:
        hostfs.write_atomic(path, 'a\n', 0o644, 'drop-in')
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    hostfs.write_atomic(path, 'b\n', 0o600)
    with open(path) as handle:
        assert handle.read() == 'b\n'
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_write_atomic_error_names_the_file(anchor):
    missing_dir = str(anchor / 'nope' / 'f')
    with pytest.raises(hostfs.FileOpError) as info:
        hostfs.write_atomic(missing_dir, 'x', 0o600, 'state file')
    assert str(info.value).startswith('cannot write state file %s:' % missing_dir)


def test_replace_file_replaces_a_link_never_its_target(anchor):
    # the controller's writer (netfleet_state): the link itself is replaced, its target untouched
    target = anchor / 'target'
    target.write_text('theirs')
    link = anchor / 'report.json'
    os.symlink(str(target), str(link))
    hostfs.replace_file(str(link), b'ours', 0o640)
    assert not os.path.islink(str(link)) and link.read_text() == 'ours'
    assert target.read_text() == 'theirs'
    assert stat.S_IMODE(os.stat(str(link)).st_mode) == 0o640


def test_replace_file_leaves_no_temporary_file_when_it_fails(anchor, monkeypatch):
    def refuse(*args):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(hostfs.os, 'fsync', refuse)
    with pytest.raises(OSError):
        hostfs.replace_file(str(anchor / 'f'), 'x', 0o600)
    assert os.listdir(str(anchor)) == []


def test_remove_and_fix_mode_refuse_links(anchor):
    target = anchor / 'target'
    target.write_text('theirs')
    os.chmod(str(target), 0o600)
    os.symlink(str(target), str(anchor / 'l'))
    assert rule_of(hostfs.remove, str(anchor / 'l'))[0] == 'symlink'
    assert rule_of(hostfs.fix_owner_mode, str(anchor / 'l'), 0o644)[0] == 'symlink'
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o600 and target.read_text() == 'theirs'
    assert hostfs.remove(str(target)) is True and hostfs.remove(str(target)) is False


def test_lock_is_exclusive_and_bounded(anchor):
    path = str(anchor / 'x.lock')
    holder = subprocess.Popen([sys.executable, '-c', (
        'import fcntl, os, sys, time\n'
        'fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n'
        'fcntl.flock(fd, fcntl.LOCK_EX)\n'
        'os.write(fd, b"%d\\n" % os.getpid())\n'
        'print("held", flush=True)\n'
        'time.sleep(20)\n'), path], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b'held'
        rule, msg = rule_of(hostfs.Lock(path, 0.3).acquire)
        assert rule == 'locked' and '(pid %d)' % holder.pid in msg and 'nothing was changed' in msg
    finally:
        holder.kill()
        holder.wait()
    with hostfs.Lock(path, 5) as lock:
        assert lock.waited < 5
        with open(path) as handle:
            assert handle.read().strip() == str(os.getpid())


def test_lock_file_link_refused(anchor):
    os.symlink(str(anchor / 'elsewhere'), str(anchor / 'x.lock'))
    assert rule_of(hostfs.Lock(str(anchor / 'x.lock'), 1).acquire)[0] == 'symlink'
    assert not os.path.exists(str(anchor / 'elsewhere'))


def test_file_op_error_carries_errno_name():
    exc = hostfs.FileOpError('/x', 'state file', 'write', OSError(errno.ENOSPC, 'No space left on device'))
    assert exc.errno_name == 'ENOSPC' and str(exc) == 'cannot write state file /x: No space left on device'
