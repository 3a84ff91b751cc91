"""A provider's error message as the one line a row or an error shows (`sanitize.readable`):
an HTML page becomes its title and says what it was; nothing else is mistaken for one; a long
message keeps its start and its end; a URL's secrets never show, however the page spelt them.
"""

from __future__ import annotations

import pytest

from jobctl.sanitize import MESSAGE_LIMIT, PAGE_LABEL, readable

NGINX = "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n</body></html>"
WERKZEUG = """<!doctype html>
<html lang=en>
<title>500 Internal Server Error</title>
<h1>Internal Server Error</h1>
<p>The server encountered an internal error and was unable to complete your request.</p>
"""


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (NGINX, "504 Gateway Time-out" + PAGE_LABEL),
        (WERKZEUG, "500 Internal Server Error" + PAGE_LABEL),
        # The Tencent SDK quotes the body as Python bytes.
        (repr(WERKZEUG.encode()), "500 Internal Server Error" + PAGE_LABEL),
        # No title: the page's text, without its script and style.
        (
            "<html><head><style>p {color: red}</style><script>var x = 1;</script></head>"
            "<body><p>Service &amp; gateway down</p></body></html>",
            "Service & gateway down" + PAGE_LABEL,
        ),
        ("<html><title> </title><body></body></html>", "an HTML error page with no text, "
         "not the API's answer"),
    ],
    ids=["nginx", "werkzeug", "tencent bytes", "no title", "no text"],
)  # fmt: skip
def test_an_html_page_is_its_title_and_says_what_it_was(message: str, shown: str) -> None:
    assert readable(message) == shown


@pytest.mark.parametrize(
    "message",
    [
        "<job-123> is not a valid id",
        "< 5 jobs allowed in one request",
        "<none>",
        '<?xml version="1.0"?><Error><Code>Throttling</Code></Error>',
    ],
)
def test_a_message_that_only_starts_with_a_bracket_is_kept(message: str) -> None:
    assert readable(message) == message


def test_a_multi_line_message_is_one_line() -> None:
    assert readable("Job queue\n  prod-q\tis disabled\n") == "Job queue prod-q is disabled"


def test_a_long_message_keeps_its_start_and_its_end() -> None:
    """AWS says at the end why access was denied: that part survives the cut."""
    message = (
        "User: arn:aws:sts::123456789012:assumed-role/ops/" + "x" * 400 + " is not authorized "
        "to perform: batch:DescribeServiceJob with an explicit deny in a service control policy"
    )
    shown = readable(message)
    assert len(shown) == MESSAGE_LIMIT
    assert shown.startswith("User: arn:aws:sts::123456789012:assumed-role/ops/")
    assert shown.endswith("with an explicit deny in a service control policy")
    assert "…" in shown


def test_a_long_page_keeps_its_label() -> None:
    page = f"<html><title>{'Bad Gateway ' * 60}</title></html>"
    shown = readable(page)
    assert len(shown) == MESSAGE_LIMIT
    assert shown.endswith(PAGE_LABEL)


@pytest.mark.parametrize(
    "message",
    [
        "<html><title>Cannot reach http://admin:hunter2&#64;gw.internal/batch</title></html>",
        "could not connect to http://admin:hunter2@gw.internal/batch?token=s3cret",
        "x" * 280 + " http://admin:hunter2@gw.internal/batch",
    ],
    ids=["an entity in a page", "plain", "past the cut"],
)
def test_a_urls_secrets_never_show(message: str) -> None:
    shown = readable(message)
    assert "hunter2" not in shown
    assert "s3cret" not in shown
