"""What the benchmarks share: timing, the `aws` CLI in a venv of its own, a markdown table."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def jobctl() -> list[str]:
    found = shutil.which("jobctl")
    return [found] if found else [sys.executable, "-m", "jobctl"]


def aws_cli() -> str:
    """awscli (v1, PyPI) in its own venv: it pins a botocore of its own, never ours.

    The one the tests use (tests/support/awscli.py), built once per checkout.
    """
    sys.path.insert(0, str(ROOT))
    from tests.support.awscli import aws_cli as build

    return str(build())


def timed(command: Sequence[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - started


def median_of(runs: int, once: Callable[[], float], warmup: int = 1) -> float:
    for _ in range(warmup):
        once()
    return statistics.median(once() for _ in range(runs))


def machine() -> str:
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
