"""Provider and user text, made safe to show on a terminal (docs/ARCHITECTURE.md, "Output"),
and URLs made safe to write anywhere: a user name, password or query string in an endpoint
URL can be a credential (`http://user:SECRET@proxy`, `?token=SECRET`), so it never leaves
jobctl.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import IO

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re

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


REDACTED = "***"


def redact_url(url: str) -> str:
    """`url` with its user-info and its query (and fragment) replaced by `***`.

    Deliberately cruder than a URL parser, so a malformed URL loses its secret too: everything
    up to the last `@` is user-info (an `@` in a query costs the host, never the secret), and
    everything from the first `?` or `#` after it is the query.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    at = rest.rfind("@")
    if at >= 0:
        rest = f"{REDACTED}@{rest[at + 1 :]}"
    cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=-1)
    if cut >= 0:
        rest = f"{rest[:cut]}?{REDACTED}"
    return f"{scheme}{sep}{rest}"


def redact(text: str) -> str:
    """Every URL inside `text` (an SDK's error message, a traceback) passed through
    `redact_url`; also urllib3's "url: /path?query", which names no scheme or host."""
    url, bare_query = _patterns()
    text = url.sub(lambda m: redact_url(m.group()), text)
    return bare_query.sub(lambda m: f"{m.group(1)}?{REDACTED}", text)


# The longest provider message a result or an error line quotes.
MESSAGE_LIMIT = 300
PAGE_LABEL = " (an HTML error page, not the API's answer)"


def readable(message: str) -> str:
    """A provider's error message as one line of at most MESSAGE_LIMIT characters, the
    secrets of any URL in it redacted.

    An SDK quotes a body it could not parse as the message: an HTML error page from a load
    balancer, a proxy or a crashed server, dozens of lines. Such a page becomes its <title>
    (or its text) and says what it was. Any message has its white space runs made one space;
    a long one keeps its start and its end (AWS says why access was denied at the end).
    """
    text = message.strip()
    if text[:3] in ("b'<", 'b"<'):
        # The Tencent SDK quotes an unparsed body as Python bytes: b'<!DOCTYPE html>\\n...'.
        import ast
        import contextlib

        with contextlib.suppress(ValueError, SyntaxError, AttributeError):
            text = ast.literal_eval(text).decode("utf-8", "replace").strip()
    label = ""
    if _is_page(text):
        text, label = _page_text(text), PAGE_LABEL
        if not text:
            return "an HTML error page with no text, not the API's answer"
    text = redact(" ".join(text.split()))
    return _clip(text, MESSAGE_LIMIT - len(label)) + label


def _is_page(text: str) -> bool:
    lower = text[:4096].lower()
    return lower.startswith(("<!doctype html", "<html")) or (
        lower.startswith("<") and ("<title" in lower or "<body" in lower)
    )


def _page_text(page: str) -> str:
    """A page's title, else its text without scripts and styles, entities decoded."""
    import html
    import re

    flags = re.IGNORECASE | re.DOTALL
    title = re.search(r"<title[^>]*>(.*?)</title>", page, flags)
    text = title.group(1) if title and title.group(1).strip() else ""
    if not text:
        text = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", page, flags=flags)
        text = re.sub(r"<[^>]*>", " ", text)
    return " ".join(html.unescape(text).split())


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return f"{text[:head]}…{text[len(text) - (limit - 1 - head) :]}"


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Compiled on first use: the cache module imports this one on every TAB, `re` is slow."""
    import re

    # A scheme, `://`, and everything up to white space or a quote (botocore's messages and
    # Python's reprs quote URLs; a quote cannot be part of one).
    url = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+")
    # An absolute path at the start of a word, then a query: "with url: /?token=...".
    bare_query = re.compile(r"(?<![^\s\"'(=:])(/[^\s\"'<>?]*)\?[^\s\"'<>)]*")
    return url, bare_query


def say(stream: IO[str], text: str) -> None:
    """One line of jobctl's own on stderr (a notice or an error), redacted, cleaned, flushed."""
    stream.write(f"jobctl: {clean(redact(text))}\n")
    stream.flush()
