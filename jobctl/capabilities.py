"""`jobctl providers`: the normalization matrix and what each provider cannot do, as data."""

from __future__ import annotations

import json
import sys
from typing import Any

from jobctl import providers
from jobctl.providers.base import ProviderInfo
from jobctl.render import SCHEMA_VERSION


def describe(info: ProviderInfo) -> dict[str, Any]:
    phases: dict[str, list[str]] = {}
    for state, phase in info.state_map.items():
        phases.setdefault(str(phase), []).append(state)
    return {
        "name": info.name,
        "title": info.title,
        "phases": phases,
        "matrix": {verb: dict(cells) for verb, cells in info.matrix.items()},
        "reason": {
            "field": info.reason_field,
            "mode": str(info.reason_mode),
            "limit": info.reason_limit,
        },
        "reason_code": {"field": info.reason_code_field, "mode": str(info.reason_code_mode)},
        "limitations": dict(info.limitations),
        "target_option": info.target_option,
        "describe_batch": info.describe_batch,
        "send_batch": info.send_batch,
        "default_concurrency": info.default_concurrency,
        "default_rate": info.default_rate,
    }


def show(output: str | None) -> int:
    from jobctl import config
    from jobctl.runner import Connection, Io, output_format

    rows = [describe(providers.info(name)) for name in providers.names()]
    # The same choice of format, with the same precedence and checks, as every other command.
    fmt = output_format(Connection(output=output), config.load(), Io())
    if fmt == "json":
        document = {"schema_version": SCHEMA_VERSION, "command": "providers", "providers": rows}
        sys.stdout.write(json.dumps(document) + "\n")
        return 0
    if fmt == "ndjson":
        sys.stdout.writelines(json.dumps(row) + "\n" for row in rows)
        return 0
    if fmt == "plain":
        for row in rows:
            for verb, cells in row["matrix"].items():
                for phase, what in cells.items():
                    sys.stdout.write(f"{row['name']}\t{verb}\t{phase}\t{what}\n")
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    for row in rows:
        table = Table(
            title=Text(f"{row['name']} ({row['title']})", style="bold"), title_justify="left"
        )
        table.add_column("verb")
        for phase in ("queued", "running", "finished"):
            table.add_column(f"{phase}: " + ", ".join(row["phases"].get(phase, [])))
        for verb, cells in row["matrix"].items():
            table.add_row(
                verb, *(Text(cells.get(p, "")) for p in ("queued", "running", "finished"))
            )
        console.print(table)
        for what in row["limitations"].values():
            console.print(Text(f"  • {what}"))
        console.print()
    return 0
