# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files on a managed host, as root, never through a link and never in a directory others can write.

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, Python 3.8+, no Ansible imports. The one place where the collection opens,
writes, replaces, removes and locks files on a host:

- ``check_trusted_dir``: sshd's StrictModes for a directory: it and every parent must be owned by
  root (or the user we run as) and not writable by group or others; the directory itself must not
  be a symbolic link.
- ``read_text``: reads a regular file without following a link at its last component (O_NOFOLLOW);
  a link, a FIFO or a device there is refused, never opened.
- ``replace_file``: the one atomic write of the collection (hosts and the controller's netfleet_state
  action): a new file in the same directory (mkstemp: O_EXCL), mode (and owner) set on the
  descriptor, fsync, then rename over the target. rename() replaces a link itself, never its target.
- ``write_atomic``: replace_file for the host's own files: a link already at the target is refused
  before anything is written, the file is root's when we run as root.
- ``remove``: unlinks a regular file; a link there is refused (unlink would not follow it either).
- ``Lock``: an exclusive flock on a file in a trusted directory, waited for a bounded time.

Two kinds of error: ``UnsafePathError`` (a rule refused the path: nothing was done) and
``FileOpError`` (the system call failed: names the file, what it is and what was being done).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import fcntl
import os
import stat
import tempfile
import time

__all__ = [
    'UnsafePathError', 'FileOpError', 'trusted_uids', 'check_trusted_dir', 'make_trusted_dir',
    'read_text', 'replace_file', 'write_atomic', 'TMP_NAME_BYTES', 'fix_owner_mode', 'needs_owner_mode', 'remove', 'is_link', 'Lock',
]


class UnsafePathError(ValueError):
    """A path that a rule refuses (a link, a directory others can write...). Nothing was done."""

    def __init__(self, path, rule, what, message):
        self.path = path
        self.rule = rule
        self.what = what
        super(UnsafePathError, self).__init__('%s %s %s (rule: %s)' % (what, path, message, rule))


class FileOpError(EnvironmentError):
    """A system call on a named file failed: ``what`` the file is, ``action`` what was being done."""

    def __init__(self, path, what, action, exc):
        self.path = path
        self.what = what
        self.action = action
        self.errno_name = errno.errorcode.get(getattr(exc, 'errno', None) or 0, '')
        reason = getattr(exc, 'strerror', None) or str(exc)
        self.message = 'cannot %s %s %s: %s' % (action, what, path, reason)
        super(FileOpError, self).__init__(getattr(exc, 'errno', None), self.message)

    def __str__(self):
        return self.message


def trusted_uids():
    """Owners a trusted file or directory may have: root, and the user we run as."""
    return frozenset((0, os.geteuid()))


def _check_dir_stat(path, stat_result, what, leaf):
    if path != leaf:
        what = 'directory'
        leaf_note = ', a parent of %s' % leaf
    else:
        leaf_note = ''
    if not stat.S_ISDIR(stat_result.st_mode):
        raise UnsafePathError(path, 'not_a_directory', what, 'is not a directory%s' % leaf_note)
    if stat_result.st_uid not in trusted_uids():
        raise UnsafePathError(path, 'owner', what, 'is owned by uid %d%s: it and every parent must be owned by root'
                              % (stat_result.st_uid, leaf_note))
    mode = stat_result.st_mode
    if mode & 0o022:
        raise UnsafePathError(path, 'mode', what, 'is writable by %s (mode %04o%s): it and every parent must not be '
                              'writable by group or others' % (
                                  'group and others' if mode & 0o022 == 0o022 else
                                  'others' if mode & 0o002 else 'group', stat.S_IMODE(mode), leaf_note))


def _prefixes(path):
    """'/a/b/c' -> ['/', '/a', '/a/b', '/a/b/c']."""
    out = ['/']
    current = '/'
    for part in [name for name in path.split('/') if name]:
        current = os.path.join(current, part)
        out.append(current)
    return out


def _under(anchor, path):
    """The prefixes of ``path`` from ``anchor`` down (all of them if ``path`` is not below it)."""
    below = [prefix for prefix in _prefixes(path) if prefix == anchor or prefix.startswith(anchor.rstrip('/') + '/')]
    return below or _prefixes(path)


def check_trusted_dir(path, what='state directory', anchor='/'):
    """Refuse ``path`` unless it and every existing parent are trusted (see the module doc).

    Returns True if ``path`` exists, False if it (or a parent) does not exist yet; the existing
    part of the chain is checked either way. ``anchor``: a directory whose own parents are not
    checked (unit tests under /tmp); '/' in production.
    A link inside the chain is followed only if root owns it (its directory is trusted by then):
    the directories it leads to are checked too. The last component must not be a link.
    """
    path = os.path.abspath(path)
    anchor = os.path.abspath(anchor)
    for current in _under(anchor, path):
        try:
            stat_result = os.lstat(current)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return False
            raise FileOpError(current, 'directory', 'inspect', exc)
        if stat.S_ISLNK(stat_result.st_mode):
            if current == path:
                raise UnsafePathError(path, 'symlink', what, 'is a symbolic link: the collection never keeps state '
                                      'through a link (point the state directory at the real directory)')
            if stat_result.st_uid not in trusted_uids():
                raise UnsafePathError(current, 'owner', 'directory', 'is a symbolic link owned by uid %d, a parent of %s'
                                      % (stat_result.st_uid, path))
            for real in _under(anchor, os.path.realpath(current)):
                try:
                    _check_dir_stat(real, os.stat(real), what, path)
                except OSError as exc:
                    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                        return False
                    raise FileOpError(real, 'directory', 'inspect', exc)
            continue
        _check_dir_stat(current, stat_result, what, path)
    return True


def make_trusted_dir(path, mode=0o700, parent_mode=0o755, what='state directory', anchor='/'):
    """Create ``path`` (mode ``mode``) and its missing parents (``parent_mode``), owned by us, then
    check the whole chain. Modes are set with chmod after mkdir, so the umask cannot widen them."""
    path = os.path.abspath(path)
    if check_trusted_dir(path, what, anchor):
        return []
    created = []
    for current in _prefixes(path):
        if os.path.lexists(current):
            continue
        try:
            os.mkdir(current, 0o700)
            os.chmod(current, mode if current == path else parent_mode)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                continue
            raise FileOpError(current, what if current == path else 'directory', 'create', exc)
        created.append(current)
    check_trusted_dir(path, what, anchor)
    return created


def is_link(path):
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def _open_nofollow(path, flags, what, action, mode=0o600):
    try:
        return os.open(path, flags | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0), mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP or (exc.errno == errno.ENOTDIR and is_link(path)):
            raise UnsafePathError(path, 'symlink', what, 'is a symbolic link: never followed (remove the link)')
        raise FileOpError(path, what, action, exc)


def _check_file_stat(path, stat_result, what, strict):
    if not stat.S_ISREG(stat_result.st_mode):
        raise UnsafePathError(path, 'not_regular', what, 'is not a regular file (a directory, FIFO, socket or '
                              'device): never opened for content')
    if strict:
        if stat_result.st_uid not in trusted_uids():
            raise UnsafePathError(path, 'owner', what, 'is owned by uid %d, not root' % stat_result.st_uid)
        if stat_result.st_mode & 0o022:
            raise UnsafePathError(path, 'mode', what, 'is writable by group or others (mode %04o)'
                                  % stat.S_IMODE(stat_result.st_mode))


def _existing_regular(path, what, link_message):
    """The lstat of ``path`` (None if there is nothing there); a link or a non-regular file is refused."""
    try:
        stat_result = os.lstat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise FileOpError(path, what, 'inspect', exc)
    if stat.S_ISLNK(stat_result.st_mode):
        raise UnsafePathError(path, 'symlink', what, link_message)
    if not stat.S_ISREG(stat_result.st_mode):
        raise UnsafePathError(path, 'not_regular', what, 'is not a regular file (a directory, FIFO, socket or '
                              'device): left as it is, never opened')
    return stat_result


def read_text(path, what='file', strict=False, limit=None):
    """The text of a regular file, or None if there is none. Never follows a link at ``path``.

    ``strict``: the file must also be owned by root and not writable by group or others (state
    files). ``limit``: refuse files larger than this many bytes (rule ``too_large``). The content
    must be UTF-8 (rule ``not_text``).
    """
    stat_result = _existing_regular(path, what, 'is a symbolic link: never followed (remove the link)')
    if stat_result is None:
        return None
    _check_file_stat(path, stat_result, what, strict)
    fd = _open_nofollow(path, os.O_RDONLY | os.O_NONBLOCK, what, 'read')
    try:
        stat_result = os.fstat(fd)
        _check_file_stat(path, stat_result, what, strict)
        chunks = []
        size = 0
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if limit is not None and size > limit:
                raise UnsafePathError(path, 'too_large', what, 'is larger than %d bytes' % limit)
    except OSError as exc:
        raise FileOpError(path, what, 'read', exc)
    finally:
        os.close(fd)
    try:
        return b''.join(chunks).decode('utf-8')
    except UnicodeDecodeError:
        raise UnsafePathError(path, 'not_text', what, 'is not UTF-8 text')


# A temporary file's name repeats at most this many bytes of its target's name, so that a target name
# of NAME_MAX (255) bytes still leaves room for the dot, mkstemp's random part and the suffix.
TMP_NAME_BYTES = 64


def replace_file(path, data, mode, owner=None):
    """The one atomic file write: a new file in ``path``'s directory (mkstemp: O_EXCL, a name of at
    most TMP_NAME_BYTES of the target's), fchmod ``mode``, fchown ``owner`` (uid, gid) when given,
    write ``data`` (bytes or text), fsync, rename over ``path``, fsync the directory. Whatever sits at
    ``path`` is replaced, a link too (the link, never its target): callers that must refuse links
    check first (write_atomic). Raises OSError; the temporary file never stays behind."""
    directory = os.path.dirname(path) or '.'
    data = data.encode('utf-8') if not isinstance(data, bytes) else data
    name = os.path.basename(path).encode('utf-8', 'surrogateescape')[:TMP_NAME_BYTES].decode('utf-8', 'ignore')
    fd, tmp_path = tempfile.mkstemp(prefix='.%s.' % name, suffix='.tmp', dir=directory)
    try:
        try:
            os.fchmod(fd, mode)
            if owner is not None:
                os.fchown(fd, owner[0], owner[1])
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp_path, path)
    except BaseException:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def write_atomic(path, text, mode, what='file'):
    """Replace ``path`` with ``text`` atomically (replace_file), owned by root when run as root. A link
    or non-regular file at ``path`` is refused first; an OSError becomes a FileOpError naming ``what``."""
    _existing_regular(path, what, 'is a symbolic link: refused, the link and its target are left as they are '
                      '(remove the link, then run again)')
    try:
        replace_file(path, text, mode, owner=(0, 0) if os.geteuid() == 0 else None)
    except OSError as exc:
        raise FileOpError(path, what, 'write', exc)


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def needs_owner_mode(path, mode):
    """True if the regular file at ``path`` has another mode, or (as root) another owner than root."""
    stat_result = os.lstat(path)
    wrong_owner = os.geteuid() == 0 and (stat_result.st_uid != 0 or stat_result.st_gid != 0)
    return stat.S_IMODE(stat_result.st_mode) != mode or wrong_owner


def fix_owner_mode(path, mode, what='file'):
    """Set mode (and, as root, owner root:root) through a descriptor opened without following links."""
    fd = _open_nofollow(path, os.O_RDONLY | os.O_NONBLOCK, what, 'set the mode of')
    try:
        _check_file_stat(path, os.fstat(fd), what, False)
        os.fchmod(fd, mode)
        if os.geteuid() == 0:
            os.fchown(fd, 0, 0)
    except OSError as exc:
        raise FileOpError(path, what, 'set the mode of', exc)
    finally:
        os.close(fd)


def remove(path, what='file'):
    """Unlink a regular file (a link or a directory there is refused). True if something was removed."""
    if _existing_regular(path, what, 'is a symbolic link: refused, left as it is') is None:
        return False
    try:
        os.unlink(path)
    except OSError as exc:
        raise FileOpError(path, what, 'remove', exc)
    _fsync_dir(os.path.dirname(path) or '.')
    return True


class Lock(object):
    """An exclusive flock on ``path`` (a file in a trusted directory), held until ``release()`` or the
    process ends. ``acquire`` waits at most ``timeout`` seconds, then raises UnsafePathError (rule
    ``locked``) naming the holder's pid when the file records one."""

    def __init__(self, path, timeout, what='lock file'):
        self.path = path
        self.timeout = timeout
        self.what = what
        self.fd = None
        self.waited = 0.0

    def acquire(self):
        fd = _open_nofollow(self.path, os.O_RDWR | os.O_CREAT, self.what, 'open', 0o600)
        try:
            _check_file_stat(self.path, os.fstat(fd), self.what, True)
            start = time.monotonic()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise FileOpError(self.path, self.what, 'lock', exc)
                if time.monotonic() - start >= self.timeout:
                    holder = ''
                    try:
                        holder = os.pread(fd, 64, 0).decode('ascii', 'replace').split()[0]
                    except (OSError, IndexError):
                        pass
                    raise UnsafePathError(self.path, 'locked', self.what, 'another run of netfleet.tuning on this '
                                          'host%s still holds it after %d s: nothing was changed; run again when it '
                                          'is done' % (' (pid %s)' % holder if holder.isdigit() else '',
                                                       self.timeout))
                time.sleep(0.1)
            self.waited = time.monotonic() - start
            try:
                # who holds it, for the message of a run that waits in vain; the lock itself is the flock,
                # so a full file system (ENOSPC) must not stop a run that holds it
                os.ftruncate(fd, 0)
                os.pwrite(fd, ('%d\n' % os.getpid()).encode('ascii'), 0)
            except OSError:
                pass
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        return self

    def release(self):
        if self.fd is not None:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            finally:
                os.close(self.fd)
                self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
