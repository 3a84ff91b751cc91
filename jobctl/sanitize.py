"""Provider and user text, made safe to show on a terminal (DESIGN.md §6)."""

from __future__ import annotations

import unicodedata

_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean(text: object) -> str:
    """Control, bidi and separator characters replaced by visible escapes (\\x1b, \\u202e).

    Rich markup is not touched here: human output builds `rich.text.Text` objects, which are
    never parsed as markup.
    """
    out = []
    for char in str(text):
        if unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs") or char in _BIDI:
            out.append(ascii(char)[1:-1])
        else:
            out.append(char)
    return "".join(out)
