# -*- coding: utf-8 -*-
# Copyright: (c) 2026, netfleet.tuning contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Text from hosts and users, made safe for Markdown: the ``md`` and ``md_code`` filters of the report's
Markdown template (controller-only).

PRIVATE to the netfleet.tuning collection: no stability promise outside it.

Pure standard library, no Ansible imports. ``visible`` shows every control, format or line-breaking
character as a backslash escape, so that a host name or a message is one line and two different texts never
look the same; ``md`` and ``md_code`` add the Markdown escaping on top.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re
import unicodedata

__all__ = ['visible', 'md', 'md_code']

# Characters shown as escapes: C0 and C1 controls, format characters (bidi overrides, zero-width
# spaces), surrogates, and the line and paragraph separators (U+2028, U+2029).
_INVISIBLE = frozenset(('Cc', 'Cf', 'Cs', 'Zl', 'Zp'))
_SHORT_ESCAPES = {'\t': '\\t', '\n': '\\n', '\r': '\\r'}
# Backslash-escaped wherever they are: they open or close emphasis, code, links, HTML, tables,
# headings, strike-through or (on GitHub) maths in the middle of a line.
_MD_ALWAYS = frozenset('\\`*[]{}|#!$~')
# "<" opens HTML and autolinks, "&" entities; a ">" without a "<" is harmless inside a line ("->")
_MD_ENTITIES = {'&': '&amp;', '<': '&lt;'}
# Meaningful only at the start of a line (list items, block quotes, setext underlines)
_MD_LEADING = frozenset('-+=>')
# Text that md would return unchanged: ASCII letters, digits and punctuation that means nothing inside a line,
# "_" only inside a word, no leading "- + = >" or space, no leading "1. " or "1) ", no trailing space.
_MD_PLAIN = re.compile(r"(?![-+=> ]|[0-9]{1,9}[.)](?: |\Z))(?:[A-Za-z0-9 ,.:;%()/=+>'\"?@-]"
                       r"|(?<=[A-Za-z0-9])_(?=[A-Za-z0-9]))+(?<! )\Z")


def visible(text):
    """``text`` with every invisible or line-breaking character as a backslash escape (``\\r``, ``\\x1b``,
    ``\\u2028``) and every backslash doubled, so that two different texts never look the same: one line,
    as Python's repr shows a string."""
    text = '' if text is None else str(text)
    out = []
    for char in text:
        if char == '\\':
            out.append('\\\\')
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif unicodedata.category(char) in _INVISIBLE:
            code = ord(char)
            out.append('\\x%02x' % code if code < 0x100 else '\\u%04x' % code if code < 0x10000 else '\\U%08x' % code)
        else:
            out.append(char)
    return ''.join(out)


def md(text):
    """Host- or user-derived text as Markdown that renders as ``visible(text)``: one line, no raw control
    character, and no Markdown of its own, in a table cell, a list item, a heading or a paragraph.

    ASCII punctuation that means something anywhere is backslash-escaped (``|`` included, so a table cell
    never ends early), ``&`` and ``<`` become entities, ``_`` is escaped unless it is inside a word (where
    it cannot start emphasis), a leading ``- + = >`` and the ``.`` or ``)`` of a leading ``1. `` (list
    markers, block quotes) are escaped, and leading or trailing spaces (stripped, or an indented code block)
    become ``&#32;``. ``( ) . + - >`` elsewhere are left as they are: they mean something only at the start
    of a line, after a ``]`` or ``<`` (both always escaped), and the report stays readable as plain text.
    Text made only of what needs no escape anywhere (_MD_PLAIN: most host names, numbers and sentences)
    is returned as it is, without the walk.
    """
    text = '' if text is None else str(text)
    if _MD_PLAIN.match(text):
        return text
    return _md_walk(text)


def _md_walk(text):
    """md, character by character."""
    text = visible(text)
    out = []
    last = len(text) - 1
    digits = 0
    for index, char in enumerate(text):
        if '0' <= char <= '9' and digits == index:
            digits += 1
        if char in _MD_ALWAYS:
            out.append('\\' + char)
        elif char in _MD_ENTITIES:
            out.append(_MD_ENTITIES[char])
        elif char == '_':
            inside = 0 < index < last and text[index - 1].isalnum() and text[index + 1].isalnum()
            out.append(char if inside else '\\_')
        elif (index == 0 and char in _MD_LEADING) or (
                index == digits and 0 < index < 10 and char in '.)' and text[index + 1:index + 2] in ('', ' ')):
            out.append('\\' + char)
        else:
            out.append(char)
    body = ''.join(out)
    stripped = body.strip(' ')
    if not stripped:
        return '&#32;' * len(body)
    lead = len(body) - len(body.lstrip(' '))
    trail = len(body) - len(body.rstrip(' '))
    return '&#32;' * lead + stripped + '&#32;' * trail


def md_code(text, cell=True):
    """A code span that shows ``visible(text)``; ``-`` for no text. In a table ``cell`` a ``|`` is written
    ``\\|`` (GitHub's tables take it out before the span is read), so the cell never ends early."""
    text = visible(text)
    if not text:
        return '-'
    if cell:
        text = text.replace('|', '\\|')
    fence = '`' * (max([len(run) for run in re.findall('`+', text)] or [0]) + 1)
    if text[0] in '` ' or text[-1] in '` ':
        text = ' %s ' % text
    return '%s%s%s' % (fence, text, fence)
