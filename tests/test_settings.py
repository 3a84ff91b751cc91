"""One settings resolver for runs and TAB: flag > environment > config file > default, each
value with its source; the profile rule that had drifted between them; `jobctl config`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobctl import config, providers, settings
from jobctl.complete import scope
from jobctl.complete.catalog import Table
from jobctl.sandbox.aws import ACCESS_KEY, SECRET_KEY
from tests.support.completion import tab

UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"


def write_config(clean_env: Path, text: str) -> Path:
    path = clean_env / "config" / "jobctl" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- the drift the issue found: profile precedence in a run and in TAB's cache key ----------


def test_tab_offers_only_the_ids_of_the_account_a_run_would_use(
    cli, batch, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """flag > AWS_PROFILE > config file, in the run and in TAB alike. TAB used to put the
    file's profile before AWS_PROFILE: ids listed under one account were offered where a run
    would use the other."""
    (clean_env / "aws-credentials").write_text(
        f"[staging]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
    )
    write_config(clean_env, '[providers.aws-batch]\nprofile = "prod"\n')
    job = batch.add_job("RUNNABLE", name="staging-etl")
    monkeypatch.setenv("AWS_PROFILE", "staging")
    listed = cli("list", "-p", "aws-batch", "-o", "json")
    assert listed.code == 0, listed.stderr
    assert [r["job_id"] for r in listed.json()["results"]] == [job]

    assert tab("cancel -p aws-batch ") == [job]
    assert tab("cancel -p aws-batch --profile prod ") == []
    monkeypatch.delenv("AWS_PROFILE")
    assert tab("cancel -p aws-batch ") == []  # a run now would use the file's "prod"
    assert tab("cancel -p aws-batch --profile staging ") == [job]


def test_aws_profile_is_no_part_of_a_tencent_scope(
    cli, tencent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_PROFILE picks no Tencent credentials, so it must not split Tencent's cache."""
    job = tencent.add_job(name="nightly", state="RUNNABLE", pinned=True)
    monkeypatch.setenv("AWS_PROFILE", "staging")
    assert cli("list", "-p", "tencent", "-o", "json").code == 0
    monkeypatch.delenv("AWS_PROFILE")
    assert tab("cancel -p tencent ") == [job]


@pytest.mark.parametrize("flag", [None, "from-flag"])
@pytest.mark.parametrize("env", [None, "from-env"])
@pytest.mark.parametrize("file", [None, "from-file"])
@pytest.mark.parametrize("name", ["aws-batch", "aws-iot", "tencent"])
def test_a_run_and_tab_resolve_the_same_profile(
    name: str,
    flag: str | None,
    env: str | None,
    file: str | None,
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if env is not None:
        monkeypatch.setenv("AWS_PROFILE", env)
    if file is not None:
        write_config(clean_env, f'[providers.{name}]\nprofile = "{file}"\n')
    info = providers.info(name)
    flags = settings.Flags(profile=flag)
    run = settings.load(flags, file=config.load()).provider(name, facts=info).config.profile
    facts = Table().facts(name)
    assert facts is not None
    tab_key = scope.resolve(facts, region=None, profile=flag, endpoint=None)
    expected = flag or (env if name != "tencent" else None) or file
    assert run == tab_key[2] == expected


# -- the resolver: every value, and where it came from ------------------------------------


def test_each_value_comes_from_the_first_place_that_sets_it(clean_env: Path) -> None:
    path = write_config(
        clean_env,
        "[defaults]\n"
        'provider = "aws-iot"\n'
        'output = "plain"\n'
        "\n"
        "[providers.aws-batch]\n"
        'region = "eu-west-1"\n'
        'profile = "prod"\n'
        'endpoint_url = "http://127.0.0.1:5000"\n'
        "concurrency = 8\n"
        "rate = 3\n",
    )
    info = providers.info("aws-batch")
    file = config.load()
    environ = {"AWS_DEFAULT_REGION": "us-east-2", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}

    nothing = settings.load(environ={}, file=config.FileConfig())
    batch = nothing.provider("aws-batch", facts=info)
    assert [(f, v.value, v.source) for f, v in batch.items()] == [
        ("region", None, "not set"),
        ("profile", None, "not set"),
        ("endpoint_url", None, "not set"),
        ("concurrency", info.default_concurrency, "default"),
        ("rate", None, "not set"),
        ("timeout", 600.0, "default"),
        ("request_timeout", None, "not set"),
    ]
    assert (nothing.output.value, nothing.provider_name.value) == (None, None)

    from_file = settings.load(environ={}, file=file)
    batch = from_file.provider("aws-batch", facts=info)
    assert [(f, v.value, v.source) for f, v in batch.items()][:5] == [
        ("region", "eu-west-1", f"region in [providers.aws-batch] of {path}:6"),
        ("profile", "prod", f"profile in [providers.aws-batch] of {path}:7"),
        ("endpoint_url", "http://127.0.0.1:5000", f"endpoint_url in [providers.aws-batch] of {path}:8"),  # noqa: E501
        ("concurrency", 8, f"concurrency in [providers.aws-batch] of {path}:9"),
        ("rate", 3, f"rate in [providers.aws-batch] of {path}:10"),
    ]  # fmt: skip
    assert from_file.provider_name.source == f"provider in [defaults] of {path}:2"

    from_env = settings.load(environ={**environ, "JOBCTL_OUTPUT": "json"}, file=file)
    batch = from_env.provider("aws-batch", facts=info)
    assert (batch.region.value, batch.region.source) == ("us-east-2", "AWS_DEFAULT_REGION")
    assert batch.endpoint_url.source == "AWS_ENDPOINT_URL"
    assert (from_env.output.value, from_env.output.source) == ("json", "JOBCTL_OUTPUT")

    flags = settings.Flags(region="ap-south-1", concurrency=2, rate=0.5, timeout=90.0)
    from_flags = settings.load(flags, environ=environ, file=file)
    batch = from_flags.provider("aws-batch", facts=info, region_hint="us-west-2")
    assert (batch.region.value, batch.region.source) == (
        "us-west-2",
        "the job's own region (its ARN, or the row it was read from)",
    )
    assert (batch.concurrency.source, batch.rate.source) == ("--concurrency", "--rate")
    assert (batch.timeout.value, batch.timeout.source) == (90.0, "--timeout")
    assert from_flags.provider("aws-batch", facts=info).region.source == "--region"

    api = settings.load(settings.Flags(region="ap-south-1", api=True), environ={}, file=file)
    assert api.provider("aws-batch", facts=info).region.source == "region="


def test_a_bad_value_is_refused_naming_where_it_came_from(clean_env: Path) -> None:
    info = providers.info("tencent")
    environ = {"TENCENTCLOUD_ENDPOINT_URL": "http://user:pw@127.0.0.1:9"}
    resolved = settings.load(environ=environ, file=config.FileConfig())
    with pytest.raises(Exception, match=r"^TENCENTCLOUD_ENDPOINT_URL must not carry a user"):
        _ = resolved.provider("tencent", facts=info).config
    flagged = settings.load(settings.Flags(region="not a region"), environ={})
    with pytest.raises(Exception, match=r"^--region 'not a region' is not a region name"):
        _ = flagged.provider("tencent", facts=info).config


def test_the_completion_table_holds_the_facts_the_resolver_reads() -> None:
    """TAB resolves with the generated table, a run with ProviderInfo: the same facts."""
    for name in providers.BUILTIN:
        info, facts = providers.info(name), Table().facts(name)
        assert facts is not None
        for field in ("region_env", "profile_env", "endpoint_env"):
            assert list(getattr(facts, field)) == list(getattr(info, field)), (name, field)
        assert facts.default_concurrency == info.default_concurrency
        assert facts.default_rate == info.default_rate


def test_one_home_for_the_ten_minute_default() -> None:
    import dataclasses
    import inspect

    from jobctl import api
    from jobctl.engine import RunSettings
    from jobctl.flags import StopArgs
    from jobctl.providers.base import ProviderConfig

    assert settings.DEFAULT_TIMEOUT == 600.0
    assert RunSettings().timeout == ProviderConfig().timeout == settings.DEFAULT_TIMEOUT
    defaults = {f.name: f.default for f in dataclasses.fields(StopArgs)}
    assert defaults["timeout"] == settings.DEFAULT_TIMEOUT
    for function in (api.stop, api.status, api.list_jobs):
        timeout = inspect.signature(function).parameters.get("timeout")
        assert timeout is None or timeout.default == settings.DEFAULT_TIMEOUT, function


# -- jobctl config show / path --------------------------------------------------------------


TENCENT_PROFILE = (
    "does not apply: the SDK reads TENCENTCLOUD_SECRET_ID/_KEY, the [default] section of "
    "~/.tencentcloud/credentials, or the CVM role named in TENCENTCLOUD_CAM_ROLE_NAME"
)


def test_config_show_prints_every_setting_and_its_source(
    cli, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(
        clean_env,
        '[defaults]\nreason = "on-call"\n\n'
        '[providers.tencent]\nendpoint_url = "http://127.0.0.1:9999"\nrate = 1\n'
        '[providers.aws-iot]\nendpoint_url = "http://ops:hunter2@127.0.0.1:5000/?token=s3cret"\n',
    )
    monkeypatch.delenv("TENCENTCLOUD_ENDPOINT_URL")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_PROFILE", "staging")
    monkeypatch.setenv("JOBCTL_PROVIDER", "tencent")
    monkeypatch.setenv("JOBCTL_REQUEST_TIMEOUT", "20s")
    ran = cli("config", "show", "-o", "json")
    assert (ran.code, ran.stderr) == (0, "")
    assert "hunter2" not in ran.stdout
    assert "s3cret" not in ran.stdout

    def row(provider: str | None, setting: str, value: object, source: str) -> dict[str, object]:
        return {"provider": provider, "setting": setting, "value": value, "source": source}

    aws_endpoint = "http://127.0.0.1:9"  # tests/conftest.py: no test can reach a cloud
    unset = {
        "region": "not set: the SDK's default (for AWS, the profile's region)",
        "profile": "not set: the SDK's default credential chain",
        "rate": "not set: no pacing beyond the SDK's backoff",
    }
    assert ran.json() == {
        "schema_version": 1,
        "command": "config show",
        "results": [
            row(None, "config_file", str(path), "XDG_CONFIG_HOME"),
            row(None, "provider", "tencent", "JOBCTL_PROVIDER"),
            row(None, "output", "json", "--output"),
            row(None, "reason", "on-call", f"reason in [defaults] of {path}:2"),
            row(None, "timeout", "10m", "default"),
            row(None, "request_timeout", "20s", "JOBCTL_REQUEST_TIMEOUT"),
            row("aws-batch", "region", "eu-west-1", "AWS_REGION"),
            row("aws-batch", "profile", "staging", "AWS_PROFILE"),
            row("aws-batch", "endpoint_url", aws_endpoint, "AWS_ENDPOINT_URL"),
            row("aws-batch", "concurrency", 8, "default"),
            row("aws-batch", "rate", None, unset["rate"]),
            row("aws-iot", "region", "eu-west-1", "AWS_REGION"),
            row("aws-iot", "profile", "staging", "AWS_PROFILE"),
            row("aws-iot", "endpoint_url", aws_endpoint, "AWS_ENDPOINT_URL"),
            row("aws-iot", "concurrency", 8, "default"),
            row("aws-iot", "rate", None, unset["rate"]),
            row("tencent", "region", None, unset["region"]),
            row("tencent", "profile", None, TENCENT_PROFILE),
            row(
                "tencent",
                "endpoint_url",
                "http://127.0.0.1:9999",
                f"endpoint_url in [providers.tencent] of {path}:5",
            ),
            row("tencent", "concurrency", 8, "default"),
            row("tencent", "rate", 1, f"rate in [providers.tencent] of {path}:6"),
        ],
        "summary": {"total": 21, "ok": 21, "failed": 0},
        "exit_code": 0,
    }
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    redacted = cli("config", "show", "-o", "json").json()["results"]
    iot_endpoint = next(
        r for r in redacted if r["provider"] == "aws-iot" and "endpoint" in r["setting"]
    )
    assert iot_endpoint["value"] == "http://***@127.0.0.1:5000/?***"  # fmt: skip


def test_config_show_plain_is_one_setting_a_line(cli) -> None:
    ran = cli("config", "show")
    assert ran.code == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[1] == "-\tprovider\t-\tnot set"
    assert "aws-batch\tconcurrency\t8\tdefault" in lines
    assert all(len(line.split("\t")) == 4 for line in lines)


def test_config_show_counts_connection_flags_as_a_run_would(
    cli, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`config show --region ...`: what a command with the same flags would use, the flag
    winning over the environment and the file; flags a run would refuse are refused alike."""
    write_config(clean_env, '[providers.tencent]\nregion = "ap-guangzhou"\n')
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    ran = cli("config", "show", "-p", "tencent", "--region", "eu-west-1", "--profile", "ops")
    assert ran.code == 0, ran.stderr
    rows = {tuple(line.split("\t")[:2]): line.split("\t")[2:] for line in ran.stdout.splitlines()}
    assert rows["-", "provider"] == ["tencent", "--provider"]
    for provider in ("aws-batch", "aws-iot", "tencent"):
        assert rows[provider, "region"] == ["eu-west-1", "--region"]
    for provider in ("aws-batch", "aws-iot"):
        assert rows[provider, "profile"] == ["ops", "--profile"]
    # Tencent takes no profile: the row says what its SDK reads instead.
    assert rows["tencent", "profile"] == ["-", TENCENT_PROFILE]
    unflagged = cli("config", "show").stdout.splitlines()
    assert "tencent\tregion\tap-guangzhou\t" in "\n".join(unflagged)
    refused = {
        ("-p", "tencnet"): (2, "unknown provider 'tencnet' (--provider): choose one of"),
        ("--region", "eu west"): (4, "--region 'eu west' is not a region name"),
        ("--endpoint-url", "ftp://x"): (4, "--endpoint-url 'ftp://x' is not an http(s) URL"),
        # As a run of tencent's (the provider -p or JOBCTL_PROVIDER picks) would refuse it.
        ("-p", "tencent", "--endpoint-url", "http://h:1/path"): (4, "--endpoint-url 'http://h"),
    }
    for args, (code, message) in refused.items():
        bad = cli("config", "show", *args)
        assert (bad.code, bad.stdout) == (code, ""), args
        assert bad.stderr.startswith(f"jobctl: {message}"), bad.stderr
    monkeypatch.setenv("JOBCTL_PROVIDER", "bogus")  # as `jobctl status ID` would say
    bad = cli("config", "show")
    assert (bad.code, bad.stderr) == (2, "jobctl: unknown provider 'bogus' (JOBCTL_PROVIDER): "
                                         "choose one of aws-batch, aws-iot, tencent\n")  # fmt: skip


def test_config_show_refuses_a_malformed_file_with_its_line(cli, clean_env: Path) -> None:
    path = write_config(clean_env, "[providers.aws-batch]\nconcurrency = 0\n")
    ran = cli("config", "show")
    assert (ran.code, ran.stdout) == (4, "")
    assert ran.stderr.startswith(f"jobctl: {path}:2: concurrency in [providers.aws-batch]")


def test_config_path_names_the_file_even_when_it_is_missing_or_broken(
    cli, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = clean_env / "config" / "jobctl" / "config.toml"
    missing = cli("config", "path")
    assert (missing.code, missing.stdout) == (0, f"{expected}\n")
    assert "no config file there yet" in missing.stderr
    assert cli("config", "path", "-q").stderr == ""

    write_config(clean_env, "not = [toml\n")
    broken = cli("config", "path")
    assert (broken.code, broken.stdout, broken.stderr) == (0, f"{expected}\n", "")

    monkeypatch.setenv("JOBCTL_CONFIG", str(clean_env / "elsewhere.toml"))
    ran = cli("config", "path", "-o", "json")
    assert ran.code == 0
    assert ran.json()["results"] == [
        {"path": str(clean_env / "elsewhere.toml"), "exists": False, "source": "JOBCTL_CONFIG"}
    ]


# -- extras per cloud -----------------------------------------------------------------------


ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("provider", "module", "args", "hint"),
    [
        ("aws-batch", "boto3", ["--region", "us-east-1", UNKNOWN_JOB], "jobctl[aws]"),
        ("aws-iot", "boto3", ["--region", "us-east-1", "fw"], "jobctl[aws]"),
        ("tencent", "tencentcloud", ["--region", "ap-guangzhou", "job-rybewp57"], "jobctl[tencent]"),  # noqa: E501
    ],
)  # fmt: skip
def test_a_missing_sdk_names_the_extra_to_install(
    provider: str, module: str, args: list[str], hint: str
) -> None:
    probe = (
        "import sys\n"
        f"sys.modules[{module!r}] = None  # as if the extra were not installed\n"
        "from jobctl.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "status", "-p", provider, *args],
        capture_output=True, text=True, timeout=60, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert done.returncode == 4, done.stderr
    assert done.stderr == (
        f"jobctl: provider {provider} needs {module}, which is not installed: "
        f"pip install '{hint}'\n"
    )


def test_the_base_install_is_the_command_line_alone() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {dep.split(">")[0].split("[")[0] for dep in project["dependencies"]}
    assert names == {"typer", "rich"}
    extras = project["optional-dependencies"]
    assert [d.split(">")[0] for d in extras["aws"]] == ["boto3"]
    assert [d.split(">")[0] for d in extras["tencent"]] == [
        "tencentcloud-sdk-python-common",
        "tencentcloud-sdk-python-batch",
    ]
    assert extras["all"] == ["jobctl[aws,tencent]"]
    # The Quick start's two lines install every SDK they drive.
    assert "jobctl[all]" in extras["sandbox"]
    assert "jobctl[all]" in extras["test"]


def test_settings_import_nothing_but_the_standard_library() -> None:
    probe = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from jobctl import settings\n"
        "s = settings.load(strict=False)\n"
        "print(' '.join(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(done.stdout.split())
    jobctl_modules = {m for m in loaded if m.startswith("jobctl")}
    assert jobctl_modules == {"jobctl", "jobctl.settings", "jobctl.defaults"}
    assert not loaded & {"dataclasses", "re", "tomllib", "json", "typer", "rich", "boto3"}


def test_config_is_in_the_help(cli) -> None:
    ran = cli("config", "--help")
    assert ran.code == 0
    assert "show" in ran.stdout
    assert "path" in ran.stdout
