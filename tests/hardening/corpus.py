"""Hostile text, from users and from providers: what a terminal, a parser or a shell chokes on."""

from __future__ import annotations

# Text no field of jobctl accepts: control, line-breaking, bidi and surrogate characters.
UNPRINTABLE = [
    "\x00",
    "job\x00id",
    "a\nb",
    "a\rb",
    "tab\there",
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
    "\x1b]0;pwned title\x07",
    "\x9b31m",  # C1 CSI
    "\x7f",
    "\u202eevil",  # right-to-left override
    "\u2066isolate\u2069",
    "line\u2028separator",
    "para\u2029graph",
    "\ud800",  # a lone surrogate
    "\ue000private",
]

# Printable text that must reach the provider as it is and be shown literally.
PRINTABLE = [
    "[bold]not bold[/bold]",
    "[link=https://evil.example]click[/link]",
    "[red on white]x[/]",
    ":warning: :smile:",
    "\\x1b[31m (a backslash, not an escape)",
    "%s %n {0} ${HOME} $(id) `id`",
    "'; DROP TABLE jobs; --",
    "<script>alert(1)</script>",
    "ünïcödé ✓ 💥 中文 עברית العربية",
    "a" * 1000,
]

# Job references no provider takes.
BAD_REFS = [
    *UNPRINTABLE,
    "",
    " ",
    "has space",
    "x" * 1_000_000,
    "[bold]job[/bold]",
    "arn:aws:batch:us-east-1:123456789012:job/",
    "arn:aws:s3:::bucket",
    "aws-batch:",
    "tencent:",
    "tencent:job-\x00",
    "../../etc/passwd",
    "-",  # twice: see the test
    "a" * 1_000_000 + ":job",
    "arn:" + "a" * 1_000_000,
]

# Whole command lines Click itself refuses, quoting what was typed.
BAD_ARGV = [
    ["--" + "a" * 1_000_000],
    ["-o", "a" * 1_000_000],
    ["--concurrency", "9" * 1_000_000],
    ["--rate", "nan"],
    ["--rate", "-1"],
]

# Standard input that yields no valid reference (each line for every provider).
BAD_STDIN = [
    b"\xff\xfe\xfd",
    b"valid-looking\n\xc3\x28\n",
    b"job\x00id\n",
    b"a" * 1_000_000 + b"\n",
    b"\x1b[31mred\x1b[0m\n",
    "\u202eevil\n".encode(),
    b"[bold]x[/bold]\n",
    b"line one\r\nline two\r\n",
    b"\xef\xbb\xbfjob id with BOM and space\n",
]

BAD_REASON_CODES = ["lower_case", "", "A" * 129, "DASH-ED", "SPACE D", "ÜMLAUT", "\x00", "A\n"]

BAD_DURATIONS = ["", "soon", "10", "-5s", "0s", "1e3s", "5 s", "٣s", "9" * 400 + "d", "nan", "inf"]

BAD_CONFIGS: list[bytes] = [
    b"\xff\xfe not utf-8",
    b"[defaults]\nprovider = \x00\n",
    b"[defaults\nprovider = 'aws-batch'\n",
    b"[defaults]\nprovider = 1\n",
    b"[defaults]\nunknown = 'x'\n",
    b"[surprise]\n",
    b"[providers]\naws-batch = 'eu-west-1'\n",
    b"[providers.aws-batch]\nconcurrency = 'eight'\n",
    b"[providers.aws-batch]\nrate = true\n",
    b"x = '" + b"a" * 1_000_000 + b"'\n",
    b'[defaults]\nreason = "two\\nlines"\n',
    b'[defaults]\nreason = "\\u001b[31mred"\n',
    b'[defaults]\noutput = "xml"\n',
    b'[defaults]\nreason = "   "\n',
    b'[defaults]\nprovider = "aws_batch"\n',
    b"[providers.aws_batch]\nregion = 'us-east-1'\n",
    b"[providers.aws-batch]\nconcurrency = 0\n",
    b"[providers.aws-batch]\nconcurrency = -8\n",
    b"[providers.tencent]\nrate = nan\n",
    b"[providers.tencent]\nrate = 0\n",
    b"[providers.tencent]\nrate = -inf\n",
    b"[providers.tencent]\nrate = inf\n",
    b"[providers.aws-iot]\nrate = 0.001\n",
    b"[providers.aws-iot]\nregion = 'us east 1'\n",
    b"[providers.tencent]\nendpoint_url = 'http://u:p@127.0.0.1:9'\n",
]
