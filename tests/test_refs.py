from __future__ import annotations

import io

import pytest

from jobctl.errors import UsageError
from jobctl.models import JobRef
from jobctl.refs import resolve

KNOWN = ["aws-batch", "aws-iot", "tencent"]


def refs(*tokens: str, provider: str | None = None, stdin: bytes = b"", things=()) -> list[JobRef]:
    return resolve(tokens, provider=provider, known=KNOWN, stdin=io.BytesIO(stdin), targets=things)


def test_plain_id_takes_the_given_provider() -> None:
    assert refs("abc", provider="aws-batch") == [JobRef("aws-batch", "abc")]


def test_provider_prefix_wins_and_array_children_stay_ids() -> None:
    assert refs("tencent:job-rybewp57", "aws-batch:1d82-aa:3", provider="aws-batch") == [
        JobRef("tencent", "job-rybewp57"),
        JobRef("aws-batch", "1d82-aa:3"),
    ]
    # An unknown prefix is part of the id, so Batch array children "uuid:N" work bare.
    assert refs("1d82-aa:3", provider="aws-batch") == [JobRef("aws-batch", "1d82-aa:3")]


def test_arns_carry_provider_and_region() -> None:
    assert refs(
        "arn:aws:batch:eu-west-1:123456789012:job/1d82",
        "arn:aws:iot:ap-south-1:123456789012:job/fw-rollout",
    ) == [JobRef("aws-batch", "1d82", "eu-west-1"), JobRef("aws-iot", "fw-rollout", "ap-south-1")]


def test_stdin_skips_blanks_and_comments_and_takes_the_first_field() -> None:
    data = b"# from list\n\nj1\tRUNNABLE\tname\n  j2  \nj1\n"
    assert refs("-", provider="aws-batch", stdin=data) == [
        JobRef("aws-batch", "j1"),
        JobRef("aws-batch", "j2"),
    ]


def test_stdin_rows_of_list_and_status_carry_their_provider_and_region() -> None:
    """`list`/`status -o plain`: ID, PROVIDER, REGION, STATE, ... The row says where the job
    is: it wins over -p (as a PROVIDER: prefix does) and over the run's region (as an ARN's
    does); an empty REGION is the provider's configured one."""
    data = (
        b"j1\taws-batch\teu-west-1\tRUNNABLE\tqueued\tetl\t2026-11-30T13:00:41+00:00\n"
        b"job-a1\ttencent\tap-guangzhou\tRUNNING\trunning\ttrain\t\n"
        b"fw\taws-iot\t\tIN_PROGRESS\trunning\tfw\t\n"
        b"arn:aws:batch:eu-west-1:123456789012:job/j2\taws-batch\teu-west-1\tPENDING\tqueued\n"
    )
    assert refs("-", provider="aws-iot", stdin=data) == [
        JobRef("aws-batch", "j1", "eu-west-1"),
        JobRef("tencent", "job-a1", "ap-guangzhou"),
        JobRef("aws-iot", "fw"),
        JobRef("aws-batch", "j2", "eu-west-1"),
    ]
    # The same job from a row and from its ARN is one job.
    arn = "arn:aws:batch:eu-west-1:123456789012:job/j1"
    assert refs(arn, "-", stdin=data[: data.index(b"\n") + 1]) == [
        JobRef("aws-batch", "j1", "eu-west-1")
    ]


def test_every_plain_row_leads_with_id_provider_region_as_the_reader_takes_them() -> None:
    """refs.read_stdin_refs reads rows by render's columns: ID, PROVIDER and REGION first in
    every kind, PHASE in one place in `list` and `status`."""
    from jobctl.render import LIST_COLUMNS, STATUS_COLUMNS, STOP_COLUMNS

    for columns in (LIST_COLUMNS, STATUS_COLUMNS, STOP_COLUMNS):
        assert columns[:3] == ("job_id", "provider", "region")
    assert LIST_COLUMNS.index("phase") == STATUS_COLUMNS.index("phase")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            b"tencent:job-1\taws-batch\tus-east-1\tRUNNING\trunning\n",
            "standard input line 1: 'tencent:job-1' is for tencent, but its row says "
            "aws-batch in us-east-1",
        ),
        (
            b"arn:aws:batch:eu-west-1:123456789012:job/j2\taws-batch\tus-east-1\t\tnot-found\n",
            "is for aws-batch in eu-west-1, but its row says aws-batch in us-east-1",
        ),
    ],
)
def test_a_row_that_contradicts_itself_is_refused(line: bytes, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        refs("-", provider="aws-batch", stdin=line)


def test_a_row_never_overrides_what_the_run_was_told_outright() -> None:
    """-p and --region given (`pinned`) are a scope: a row of another provider or region is
    refused, not followed; the configured default provider is not a scope."""
    row = b"j1\taws-batch\teu-west-1\tRUNNABLE\tqueued\n"

    def read(pinned: tuple[str | None, str | None]) -> list[JobRef]:
        stdin = io.BytesIO(row)
        return resolve(["-"], provider="tencent", known=KNOWN, stdin=stdin, pinned=pinned)

    assert read((None, None)) == [JobRef("aws-batch", "j1", "eu-west-1")]
    assert read(("aws-batch", "eu-west-1")) == [JobRef("aws-batch", "j1", "eu-west-1")]
    with pytest.raises(UsageError) as refused:
        read(("tencent", None))
    assert str(refused.value) == (
        "standard input line 1: 'j1' is a job of aws-batch in eu-west-1, but -p/--provider "
        "(or JOBCTL_PROVIDER) says tencent: leave -p out and unset JOBCTL_PROVIDER to take "
        "each job where its line says, or keep only the lines you mean"
    )
    with pytest.raises(UsageError, match="in eu-west-1, but --region says us-east-1"):
        read((None, "us-east-1"))


def test_a_row_without_a_region_takes_the_configured_one() -> None:
    """`-` is how `list` prints a provider's missing region: the job is looked for where a
    plain id would be."""
    data = b"j1\taws-batch\t-\tRUNNABLE\tqueued\tetl\nj2\taws-batch\t\t\tnot-found\n"
    assert refs("-", stdin=data) == [JobRef("aws-batch", "j1"), JobRef("aws-batch", "j2")]


def test_stop_result_rows_carry_provider_region_and_the_thing() -> None:
    """A stop's result row (ID, PROVIDER, REGION, OUTCOME, ..., MESSAGE, TARGET): a result
    about one IoT thing names that execution, `-` none; for `status` (whole_jobs), its job;
    with --thing as well it is refused (which execution would be meant?)."""
    data = (
        b"j1\taws-batch\teu-west-1\tcancelled\tRUNNABLE\tFAILED\tCancelJob\tok\t-\n"
        b"fw\taws-iot\tus-east-1\tcancelled\tQUEUED\tCANCELED\tCancelJobExecution\t"
        b"thing dev-1: execution on thing dev-1 CANCELED\tdev-1\n"
    )
    assert refs("-", stdin=data) == [
        JobRef("aws-batch", "j1", "eu-west-1"),
        JobRef("aws-iot", "fw", "us-east-1", "dev-1"),
    ]
    whole = resolve(["-"], provider=None, known=KNOWN, stdin=io.BytesIO(data), whole_jobs=True)
    assert whole[1] == JobRef("aws-iot", "fw", "us-east-1")
    with pytest.raises(UsageError, match="one aws-iot sub-target \\('dev-1'\\) already"):
        refs("-", stdin=data, things=("dev-2",))


def test_lines_that_are_no_jobctl_row_count_by_their_first_field() -> None:
    """A note of one's own after a provider's name, or a result row of a jobctl that printed
    no TARGET column (an IoT thing's execution only in its message): taking the row's
    provider could stop the whole job where the result was one execution. Such lines name a
    plain id, as before rows were read."""
    data = (
        b"j1\ttencent\tmy note here\n"
        b"ota-canary\taws-iot\tus-east-1\tcancelled\tQUEUED\tCANCELED\tCancelJobExecution\t"
        b"thing sensor-a: execution on thing sensor-a CANCELED\n"
    )
    assert refs("-", provider="aws-batch", stdin=data) == [
        JobRef("aws-batch", "j1"),
        JobRef("aws-batch", "ota-canary"),
    ]


def test_duplicates_removed_first_wins_order_kept() -> None:
    got = refs("b", "a", "aws-batch:b", "c", provider="aws-batch")
    assert [r.job_id for r in got] == ["b", "a", "c"]


def test_things_expand_each_job() -> None:
    got = refs("j", provider="aws-iot", things=("t1", "t2"))
    assert got == [JobRef("aws-iot", "j", None, "t1"), JobRef("aws-iot", "j", None, "t2")]


@pytest.mark.parametrize(
    ("tokens", "provider", "stdin", "message"),
    [
        (("abc",), None, b"", "no provider for job 'abc': pass -p/--provider"),
        (("abc",), "gcp", b"", "unknown provider 'gcp': choose one of aws-batch, aws-iot, tencent"),
        (("aws-batch:",), None, b"", "empty job id"),
        (("arn:aws:s3:::bucket",), None, b"", "unsupported ARN"),
        (("-",), "aws-batch", b"\xff\xfe\n", "standard input line 1 is not valid UTF-8"),
        (("-", "-"), "aws-batch", b"a\n", "may be given once"),
    ],
)
def test_bad_references_are_usage_errors(tokens, provider, stdin, message) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        refs(*tokens, provider=provider, stdin=stdin)


def test_an_arn_no_provider_takes_names_every_arn_jobctl_takes() -> None:
    with pytest.raises(UsageError) as refused:
        refs("arn:aws:s3:::bucket")
    assert str(refused.value) == (
        "unsupported ARN 'arn:aws:s3:::bucket': jobctl takes AWS Batch and IoT job ARNs"
    )


def test_each_aws_provider_parses_its_own_arns_only() -> None:
    from jobctl.providers import aws_batch, aws_iot

    batch, iot = aws_batch.INFO.references, aws_iot.INFO.references
    assert batch is not None
    assert iot is not None
    arn = "arn:aws-cn:batch:cn-north-1:123456789012:job/1d82"
    assert batch.parse(arn) == ("1d82", "cn-north-1")
    assert iot.parse(arn) is None
    assert batch.parse("aws-batch:1d82") is None
