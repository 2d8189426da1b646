"""Text for a terminal: control characters are shown, never obeyed.

A segment's text, an actor's name, a file name or a work's title can hold
anything a file or a web form let through, including ESC and OSC sequences
that a terminal would obey (recolour, retitle, rewrite lines already printed,
plant a link) and direction overrides that reorder what is shown. Everything
the command line prints for people goes through :func:`clean`, which shows
each such character as an escape (``\\x1b``, ``\\u202e``) instead. Machine
output is left alone: JSON escapes control characters itself, and CSV keeps
the data as it is.
"""

from __future__ import annotations

import re

#: C0 controls (but tab and newline), DEL, C1 controls, and the invisible direction and line controls.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def clean(text: object, *, one_line: bool = False) -> str:
    """``text`` with every control character shown as an escape; ``one_line`` escapes tab and newline too."""
    return (_CONTROL_LINE if one_line else _CONTROL).sub(_escape, str(text))
