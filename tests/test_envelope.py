"""Every command's output goes through render.py under the same envelope rules.

`providers` included: its JSON gained the envelope's fields (its rows stay under `providers`
too), its ndjson the closing summary line; table and plain are as they were.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ENVELOPE = ["schema_version", "command", "results", "summary", "exit_code"]


def test_providers_json_is_the_envelope_and_keeps_its_rows_under_providers(cli) -> None:
    ran = cli("providers", "-o", "json")
    assert (ran.code, ran.stderr) == (0, "")
    document = ran.json()
    assert list(document) == [*ENVELOPE, "providers"]
    assert (document["schema_version"], document["command"]) == (1, "providers")
    assert document["providers"] == document["results"]
    names = [row["name"] for row in document["results"]]
    assert names[:3] == ["aws-batch", "aws-iot", "tencent"]
    assert document["summary"] == {"total": len(names), "ok": len(names), "failed": 0}
    assert document["exit_code"] == 0


def test_providers_ndjson_is_one_row_a_line_then_the_summary(cli) -> None:
    lines = [json.loads(line) for line in cli("providers", "-o", "ndjson").stdout.splitlines()]
    *rows, last = lines
    document = cli("providers", "-o", "json").json()
    assert [row["name"] for row in rows] == [row["name"] for row in document["results"]]
    assert last == {"summary": {"total": len(rows), "ok": len(rows), "failed": 0}, "exit_code": 0}


def test_providers_plain_is_one_matrix_cell_a_line(cli) -> None:
    lines = cli("providers", "-o", "plain").stdout.splitlines()
    cells = [line.split("\t") for line in lines]
    assert {len(cell) for cell in cells} == {4}
    assert ["aws-batch", "cancel", "running"] in [cell[:3] for cell in cells]


def test_providers_table_names_each_provider(cli) -> None:
    ran = cli("providers", "-o", "table")
    assert ran.code == 0
    for title in ("aws-batch (", "aws-iot (", "tencent ("):
        assert title in ran.stdout


def test_providers_without_stdout_still_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jobctl", "providers", "-o", "json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, b"")


@pytest.mark.parametrize(
    ("command", "fields"),
    [
        (
            "status",
            [
                "provider",
                "region",
                "job_id",
                "name",
                "state",
                "phase",
                "message",
                "children",
                "extra",
            ],
        ),
        ("list", ["provider", "region", "job_id", "name", "state", "phase", "created", "extra"]),
    ],
)
def test_status_and_list_rows_keep_their_fields(cli, batch, command, fields) -> None:
    job = batch.add_job("RUNNABLE", name="etl")
    named = [job] if command == "status" else []
    ran = cli(command, "-p", "aws-batch", "-o", "json", *named)
    assert ran.code == 0, ran.stderr
    document = ran.json()
    assert list(document) == ENVELOPE
    (row,) = document["results"]
    assert list(row) == fields
    assert (row["job_id"], row["state"], row["name"]) == (job, "RUNNABLE", "etl")
    ndjson = cli(command, "-p", "aws-batch", "-o", "ndjson", *named)
    first, last = (json.loads(line) for line in ndjson.stdout.splitlines())
    assert list(first) == fields
    assert last == {"summary": {"total": 1, "ok": 1, "failed": 0}, "exit_code": 0}
