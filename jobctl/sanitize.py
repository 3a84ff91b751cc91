"""Provider and user text, made safe to show on a terminal (DESIGN.md §6)."""

from __future__ import annotations

import unicodedata
from typing import IO

# Characters that reorder text on a terminal (bidi embeddings, overrides, isolates, marks).
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean(text: object) -> str:
    """Control, bidi and separator characters replaced by visible escapes (\\x1b, \\u202e).

    Rich markup is not touched here: human output builds `rich.text.Text` objects, which are
    never parsed as markup.
    """
    out = []
    for char in str(text):
        if unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs") or char in BIDI:
            out.append(ascii(char)[1:-1])
        else:
            out.append(char)
    return "".join(out)


def say(stream: IO[str], text: str) -> None:
    """One line of jobctl's own on stderr (a notice or an error), cleaned and flushed."""
    stream.write(f"jobctl: {clean(text)}\n")
    stream.flush()
