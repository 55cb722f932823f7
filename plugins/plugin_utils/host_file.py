# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-host file names on the controller (controller-only, never shipped to hosts).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

``host_file_name('web<1>', '.json')`` -> ``'web%3C1%3E.json'``: the file a host's data is kept in
under the controller's state directory. The mapping is:

* injective: every UTF-8 byte of the name outside ``[a-z0-9._-]`` is percent-encoded as ``%XX``
  (upper-case hex), ``%`` itself included, so percent-decoding gives the name back and two different
  names never share a file. Upper-case ASCII letters are encoded too (``Web1`` -> ``%57eb1``), so the
  names stay distinct on case-insensitive file systems (a macOS controller): a name's file name never
  differs from another's only in letter case. Lone surrogates (not valid UTF-8) are encoded with
  ``surrogatepass``, so every Python string has a file name;
* never hidden, ``.`` or ``..``: a leading ``.`` is encoded (``..`` -> ``%2E.``), and no name gives an
  empty file name (an empty name is refused);
* at most 255 bytes (NAME_MAX of Linux and macOS file systems), the suffix included: a longer
  encoding keeps its first bytes (never cut inside a ``%XX``) and ends in ``~`` and the SHA-256 hex
  digest of the name's UTF-8 bytes. ``~`` never occurs in an encoded name, so a shortened file name
  never equals a plain one, and two long names share a file only if their SHA-256 digests collide
  (injective in practice, not in theory);
* readable for ordinary names: ``web-01.example.com`` stays ``web-01.example.com``.

Pure standard library, no Ansible imports: the ``netfleet.tuning.host_file_name`` filter wraps it.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib

__all__ = ['NAME_MAX', 'host_file_name']

NAME_MAX = 255
_KEEP = frozenset(b'abcdefghijklmnopqrstuvwxyz0123456789._-')
_SUFFIX_KEEP = _KEEP | frozenset(b'ABCDEFGHIJKLMNOPQRSTUVWXYZ')
_DIGEST_SEP = '~'
_DIGEST_LEN = 64  # sha256 hex
# the longest suffix that leaves room for a readable prefix in a shortened name
_MAX_SUFFIX = 32


def _encode(data):
    out = []
    for index, byte in enumerate(bytearray(data)):
        if byte in _KEEP and not (index == 0 and byte == 0x2E):
            out.append(chr(byte))
        else:
            out.append('%%%02X' % byte)
    return ''.join(out)


def host_file_name(name, suffix=''):
    """The controller file name for inventory name ``name``, ending in ``suffix`` (e.g. ``'.json'``).

    ``suffix`` must be at most 32 characters of ``[A-Za-z0-9._-]``. Raises TypeError when ``name`` or
    ``suffix`` is not a string and ValueError when ``name`` is empty or ``suffix`` is not allowed.
    """
    if not isinstance(name, str):
        raise TypeError('a host name must be a string, got %s' % type(name).__name__)
    if not isinstance(suffix, str):
        raise TypeError('the suffix must be a string, got %s' % type(suffix).__name__)
    if not name:
        raise ValueError('an empty host name has no file name')
    if len(suffix) > _MAX_SUFFIX or not all(ord(char) < 128 and ord(char) in _SUFFIX_KEEP for char in suffix):
        raise ValueError('the suffix must be at most %d characters of [A-Za-z0-9._-], got %r' % (_MAX_SUFFIX, suffix))
    data = name.encode('utf-8', 'surrogatepass')
    encoded = _encode(data)
    if len(encoded) + len(suffix) <= NAME_MAX:
        return encoded + suffix
    keep = NAME_MAX - len(suffix) - len(_DIGEST_SEP) - _DIGEST_LEN
    prefix = encoded[:keep]
    # never end the prefix inside a %XX escape
    cut = prefix.rfind('%', max(0, len(prefix) - 2))
    if cut != -1:
        prefix = prefix[:cut]
    return prefix + _DIGEST_SEP + hashlib.sha256(data).hexdigest() + suffix
