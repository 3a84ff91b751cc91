"""Every value jobctl is given (arguments, durations, the config file) is checked before the
first request: a usage error is exit 2, a config file error exit 4 naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobctl.validate import shown

ACCOUNT = "123456789012"
# A well-formed AWS Batch job id no job has.
UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"
MARS = f"arn:aws-mars:batch:us-east-1:{ACCOUNT}:job/{UNKNOWN_JOB}"


def refused(ran, proxy, line: str, code: int = 2) -> None:
    assert (ran.code, ran.stdout, ran.stderr) == (code, "", f"jobctl: {line}\n")
    assert proxy.seen == []


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("-p", "aws-batch", "tencnet:job-abc"),
            "unknown provider prefix 'tencnet' in 'tencnet:job-abc': did you mean tencent:job-abc?",
        ),
        (
            ("aws_batch:" + UNKNOWN_JOB,),
            f"unknown provider prefix 'aws_batch' in 'aws_batch:{UNKNOWN_JOB}': "
            f"did you mean aws-batch:{UNKNOWN_JOB}?",
        ),
        (
            ("-p", "aws-batch", "job-abc"),
            "'job-abc' is not a valid aws-batch job id: expected a UUID such as "
            "1d828f65-7a6d-42a3-b5c6-8d2fa5b4e5e1, optionally :N (an array child, 0-9999) "
            "or #N (a multi-node node)",
        ),
        (
            ("-p", "aws-batch", f"{UNKNOWN_JOB}:x"),
            f"'{UNKNOWN_JOB}:x' is not a valid aws-batch job id: expected a UUID such as "
            "1d828f65-7a6d-42a3-b5c6-8d2fa5b4e5e1, optionally :N (an array child, 0-9999) "
            "or #N (a multi-node node)",
        ),
        (
            (MARS,),
            f"unknown AWS partition 'aws-mars' in ARN {shown(MARS)}: "
            "expected one of aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f",
        ),
        (
            ("-p", "aws-batch", "--wait", "--poll-interval", "0.0000001s", UNKNOWN_JOB),
            "--poll-interval must be at least 0.1s: polling faster only spends the provider's "
            "request quota",
        ),
        (
            ("-p", "aws-batch", "--wait", "--timeout", "0.5s", UNKNOWN_JOB),
            "--timeout must be at least 1s: it is also each request's retry budget",
        ),
    ],
)
def test_input_no_provider_takes_is_refused(cli, aws_env, proxy, args, line: str) -> None:
    refused(cli("cancel", "--endpoint-url", proxy.url, *args), proxy, line)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            '[defaults]\nprovider = "aws-batch"\n\n[providers.aws-batch]\nconcurrency = 0\n',
            "5: concurrency in [providers.aws-batch] must be at least 1 (requests in flight "
            "per provider), not 0",
        ),
        (
            "[providers.aws-batch]\nregion = 'us-east-1'\nrate = nan # unlimited?\n",
            "3: rate in [providers.aws-batch] must be a number of stop requests per second, "
            "at least 0.01, not nan",
        ),
        (
            "[providers]\naws-batch.rate = 0\n",
            "2: rate in [providers.aws-batch] must be a number of stop requests per second, "
            "at least 0.01, not 0",
        ),
        (
            "[providers]\naws-batch = { region = 'us-east-1', rate = -inf }\n",
            "2: rate in [providers.aws-batch] must be a number of stop requests per second, "
            "at least 0.01, not -inf",
        ),
        (
            # A header inside a multi-line string is no header.
            "[providers.tencent]\nprofile = '''\n[providers.aws_batch]\n'''\n"
            "[providers.aws_batch]\n",
            "5: unknown provider [providers.aws_batch]; did you mean [providers.aws-batch]?",
        ),
        (
            "[providers.gcp]\n",
            "1: unknown provider [providers.gcp]; known: [providers.aws-batch], "
            "[providers.aws-iot], [providers.tencent]",
        ),
        (
            '[defaults]\noutput = "json"\nprovider = "tencnet"\n',
            "3: provider in [defaults] is 'tencnet', which is no provider; did you mean tencent?",
        ),
        (
            "[defaults]\nreason = '  '\n",
            "2: reason in [defaults] must not be blank: leave it out to send jobctl's default "
            "reason",
        ),
    ],
)
def test_config_values_get_the_flags_checks(
    cli, aws_env, proxy, clean_env: Path, text: str, line: str
) -> None:
    """Exit 4 naming the file and line, before any request."""
    config = clean_env / "config" / "jobctl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(text)
    ran = cli("cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, UNKNOWN_JOB)
    refused(ran, proxy, f"{config}:{line}", code=4)


def test_the_shortest_durations_allowed_are_taken(cli, batch, proxy) -> None:
    job = batch.add_job("RUNNABLE")
    ran = cli(
        "cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url,
        "--wait", "--poll-interval", "0.1s", "--timeout", "1s", job,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert proxy.stopped() == [job]


@pytest.mark.parametrize(
    ("partition", "region"),
    [
        ("aws", "us-east-1"),
        ("aws-cn", "cn-north-1"),
        ("aws-us-gov", "us-gov-west-1"),
        ("aws-iso", "us-iso-east-1"),
        ("aws-iso-b", "us-isob-east-1"),
        ("aws-iso-e", "eu-isoe-west-1"),
        ("aws-iso-f", "us-isof-south-1"),
    ],
)
def test_every_aws_partition_is_taken(partition: str, region: str) -> None:
    from jobctl.models import JobRef
    from jobctl.refs import parse_ref

    arn = f"arn:{partition}:batch:{region}:{ACCOUNT}:job/{UNKNOWN_JOB}"
    got = parse_ref(arn, provider=None, known=["aws-batch", "aws-iot", "tencent"])
    assert got == JobRef("aws-batch", UNKNOWN_JOB, region)


BATCH_ARN = f"arn:aws:batch:us-east-1:{ACCOUNT}"


@pytest.mark.parametrize(
    ("reference", "said"),
    [
        # A service job has no children: no range, no child, no node.
        (f"{BATCH_ARN}:service-job/{UNKNOWN_JOB}:0-1", "a service-job has no array children"),
        (f"{BATCH_ARN}:service-job/{UNKNOWN_JOB}:3", "a service-job has no array children"),
        (f"{BATCH_ARN}:service-job/{UNKNOWN_JOB}#3", "a service-job has no array children"),
        # The partition must be the region's.
        (
            f"arn:aws-cn:batch:us-east-1:{ACCOUNT}:service-job/{UNKNOWN_JOB}",
            "names region us-east-1 in partition aws-cn, but us-east-1 is in partition aws",
        ),
        (
            f"arn:aws:batch:cn-north-1:{ACCOUNT}:job/{UNKNOWN_JOB}",
            "cn-north-1 is in partition aws-cn",
        ),
        # An ARN of a type jobctl takes, with no id: said so, in the type's own words.
        (f"{BATCH_ARN}:service-job/", "names no job: write the id after service-job/"),
        (f"{BATCH_ARN}:job/", "names no job: write the id after job/"),
    ],
)
def test_a_batch_arn_that_cannot_name_a_job_is_refused_and_nothing_sent(
    cli, batch, proxy, reference: str, said: str
) -> None:
    job = batch.add_job("RUNNABLE")
    ran = cli("cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "--yes", job, reference)
    assert ran.code == 2, ran.stderr
    assert said in ran.stderr
    assert proxy.seen == []


def test_a_container_jobs_arn_still_takes_a_child_range(cli, batch, proxy) -> None:
    parent = batch.add_job("RUNNABLE", array_size=3)
    ran = cli("cancel", "-p", "aws-batch", "-o", "json", "-n", f"{BATCH_ARN}:job/{parent}:0-1")
    assert ran.code == 0, ran.stderr
    assert [r["job_id"] for r in ran.json()["results"]] == [f"{parent}:0", f"{parent}:1"]


def test_batch_ids_are_uuids_with_an_optional_array_or_node_index() -> None:
    from jobctl.providers.aws_batch import INFO

    taken = [UNKNOWN_JOB, f"{UNKNOWN_JOB}:3", f"{UNKNOWN_JOB}#12", UNKNOWN_JOB.upper()]
    refused = ["job-abc", "a1b2c3", UNKNOWN_JOB[:-1], f"{UNKNOWN_JOB}:", f"{UNKNOWN_JOB}:1:2"]
    assert [INFO.job_id_pattern.fullmatch(i) is not None for i in taken] == [True] * 4
    assert [INFO.job_id_pattern.fullmatch(i) is not None for i in refused] == [False] * 5
