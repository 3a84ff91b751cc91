"""No credential leaves jobctl: every command, run with sentinel credentials, is scanned
(stdout, stderr, the audit log, every file under the XDG directories) for the sentinels and
for request-signing material."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobctl.sandbox.tencent_emulator import TencentBatchEmulator
from tests.hardening.tally import TALLY
from tests.support.proxy import Proxy
from tests.support.worlds import BatchConformance, IotConformance, TencentConformance

AWS_SECRET = "SENTINELawsSecretKey0000000000000000000000"
AWS_TOKEN = "SENTINELawsSessionToken0000000000000000000"
TENCENT_ID = "AKIDsentinel0000"
TENCENT_KEY = "SENTINELtencentSecretKey00000000"
SECRETS = (AWS_SECRET, AWS_TOKEN, TENCENT_KEY)
# Credentials a proxy in front of the provider may ask for, in an endpoint URL.
ENDPOINT_PASSWORD = "SENTINELendpointPassword0000"
ENDPOINT_TOKEN = "SENTINELendpointToken0000"
BATCH_JOB = "1d828f65-7a6d-42a3-b5c6-8d2fa5b4e5e1"
# What signing leaves in a request, never in jobctl's output.
SIGNING = ("Authorization", "Signature=", "Credential=", "TC3-HMAC-SHA256", "X-Amz-Security")


@pytest.fixture
def sentinels(aws_env, monkeypatch: pytest.MonkeyPatch) -> Iterator[TencentBatchEmulator]:
    """Sentinel credentials in the environment; a Tencent emulator that accepts them."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", AWS_TOKEN)
    with TencentBatchEmulator(secrets={TENCENT_ID: TENCENT_KEY}, terminate_rate=None) as emu:
        monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", TENCENT_ID)
        monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", TENCENT_KEY)
        monkeypatch.setenv("TENCENTCLOUD_REGION", "ap-guangzhou")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
        yield emu


@pytest.fixture(params=["aws-batch", "aws-iot", "tencent"])
def sentinel_world(request, sentinels):
    if request.param == "aws-batch":
        return BatchConformance(
            request.getfixturevalue("batch"), request.getfixturevalue("aws_env").url
        )
    if request.param == "aws-iot":
        return IotConformance(
            request.getfixturevalue("iot"), request.getfixturevalue("aws_env").url
        )
    return TencentConformance(sentinels)


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a credential in {where}"
    for material in SIGNING:
        assert material not in text, f"{material!r} in {where}: {text[:300]}"


def scan_files(root: Path) -> int:
    """Every file jobctl may have written under tmp_path (config, cache, state, audit)."""
    scanned = 0
    for path in root.rglob("*"):
        if path.is_file():
            assert_no_secret(path.read_bytes().decode("utf-8", "replace"), str(path))
            scanned += 1
    return scanned


def test_every_command_keeps_credentials_to_itself(
    cli, sentinel_world, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = sentinel_world
    queued, running = world.add("queued"), world.add("running")
    proxy = Proxy(world.target_url).start()
    base = ("-p", world.provider, "--endpoint-url", proxy.url)
    runs = [
        cli("cancel", *base, "-o", "json", "-r", "scan", queued),
        cli("terminate", *base, "-o", "table", "--wait", "--timeout", "5s", running),
        cli("terminate", *base, "-o", "plain", "--dry-run", "--debug", running),
        cli("status", *base, "-o", "ndjson", "--debug", queued, running),
        cli("list", *base, "-o", "table", "--all", "--debug"),
        cli("providers", "-o", "table"),
        cli("cancel", *base, "--debug", "bad ref!"),
    ]
    assert [r.code for r in runs[:-1]] == [0, 0, 0, 0, 0, 0], [r.stderr for r in runs]
    # An unexpected error inside the SDK's setup, where credentials sit in local variables:
    # one line, and with --debug a traceback without locals.
    if world.provider == "tencent":
        from tencentcloud.common import credential

        target, name = credential.EnvironmentVariableCredential, "get_credential"
    else:
        import boto3

        target, name = boto3.Session, "client"

    def boom(*args: object, **kwargs: object) -> None:
        secret_in_a_local = TENCENT_KEY + AWS_SECRET  # noqa: F841 - what a traceback must hide
        raise RuntimeError("wires crossed")

    with monkeypatch.context() as patched:
        patched.setattr(target, name, boom)
        plain = cli("status", *base, queued)
        debug = cli("status", *base, "--debug", queued)
    assert plain.code == debug.code == 1
    assert plain.stderr.strip().endswith(
        "RuntimeError: wires crossed (rerun with --debug for details)"
    )
    assert "Traceback" in debug.stderr
    runs += [plain, debug]
    # Credentials the provider refuses, or that are half there.
    if world.provider == "tencent":
        monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", TENCENT_KEY + "-wrong")
        refused = cli("terminate", *base, "-o", "json", "--timeout", "2s", queued)
        assert refused.code == 4
        assert "AuthFailure" in refused.stderr
        monkeypatch.delenv("TENCENTCLOUD_SECRET_ID")
    else:
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        refused = cli("terminate", *base, queued)
    half = cli("terminate", *base, queued)
    assert half.code == 4, half.stderr
    runs += [refused, half]
    proxy.stop()
    for number, ran in enumerate(runs):
        assert_no_secret(ran.stdout, f"stdout of run {number}")
        assert_no_secret(ran.stderr, f"stderr of run {number}")
    assert scan_files(clean_env) >= 1  # the audit log at least
    TALLY.secret_scans += len(runs)


def test_typer_never_shows_locals() -> None:
    from jobctl.cli import app
    from jobctl.sandbox.cli import sandbox_app

    for typer_app in (app, sandbox_app):
        assert typer_app.pretty_exceptions_show_locals is False


def test_unexpected_error_in_a_real_process(tmp_path: Path) -> None:
    """The installed entry point, in its own process: one line; the traceback only with
    --debug, and never a local variable's value."""
    code = (
        "import sys, boto3\n"
        "def boom(*a, **k):\n"
        f"    secret_in_a_local = {AWS_SECRET!r}\n"
        "    raise RuntimeError('wires crossed')\n"
        "boto3.Session.client = boom\n"
        "from jobctl.__main__ import main\n"
        "main()\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "AWS_ACCESS_KEY_ID": "AKIASENTINEL",
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        "AWS_SESSION_TOKEN": AWS_TOKEN,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for debug in ((), ("--debug",)):
        argv = ["status", "-p", "aws-batch", "--region", "us-east-1", BATCH_JOB, *debug]
        done = subprocess.run(
            [sys.executable, "-c", code, *argv],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 1
        assert done.stdout == ""
        assert_no_secret(done.stderr, "stderr")
        if debug:
            assert "Traceback" in done.stderr
        else:
            assert done.stderr.splitlines() == [
                "jobctl: unexpected error: RuntimeError: wires crossed "
                "(rerun with --debug for details)"
            ]
    TALLY.secret_scans += 2


def secret_url(host_port: str) -> str:
    return f"http://jobctl:{ENDPOINT_PASSWORD}@{host_port}/?token={ENDPOINT_TOKEN}"


def assert_no_endpoint_secret(text: str, where: str) -> None:
    for secret in (ENDPOINT_PASSWORD, ENDPOINT_TOKEN):
        assert secret not in text, f"an endpoint secret in {where}: {text[:400]}"


def scan_for_endpoint_secrets(root: Path, *, skip: Path | None = None) -> list[Path]:
    """Every file jobctl wrote under tmp_path (cache, state, audit); the files scanned."""
    scanned = [p for p in root.rglob("*") if p.is_file() and p != skip]
    for path in scanned:
        assert_no_endpoint_secret(path.read_bytes().decode("utf-8", "replace"), str(path))
    return scanned


@pytest.mark.parametrize("source", ["--endpoint-url", "AWS_ENDPOINT_URL"])
def test_an_aws_endpoints_secrets_are_never_written(
    cli, aws_env, source: str, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing listens on 127.0.0.1:9: every run fails, and every failure quotes the URL."""
    url = secret_url("127.0.0.1:9")
    flag: tuple[str, ...] = ("--endpoint-url", url)
    if source == "AWS_ENDPOINT_URL":
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        flag = ()
    runs = [
        cli("cancel", "-p", "aws-batch", *flag, "-o", "json", "--debug", BATCH_JOB),
        cli("terminate", "-p", "aws-batch", *flag, "-o", "table", BATCH_JOB),
        cli("status", "-p", "aws-iot", *flag, "-o", "ndjson", "--debug", "nightly-update"),
        cli("list", "-p", "aws-batch", *flag, "--all", "--debug"),
    ]
    assert [r.code for r in runs] == [1, 1, 1, 1], [r.stderr for r in runs]
    assert "Could not connect to the endpoint URL" in runs[0].stdout
    assert "http://***@127.0.0.1:9/v1/describejobs?***" in runs[0].stdout
    # An unexpected error whose message, and traceback, quote the URL.
    import boto3

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"wires crossed at {url}")

    with monkeypatch.context() as patched:
        patched.setattr(boto3.Session, "client", boom)
        runs.append(cli("status", "-p", "aws-batch", *flag, BATCH_JOB))
        runs.append(cli("status", "-p", "aws-batch", *flag, "--debug", BATCH_JOB))
    assert runs[-2].stderr == (
        "jobctl: unexpected error: RuntimeError: wires crossed at http://***@127.0.0.1:9/?*** "
        "(rerun with --debug for details)\n"
    )
    assert "Traceback" in runs[-1].stderr
    for number, ran in enumerate(runs):
        assert_no_endpoint_secret(ran.stdout, f"stdout of run {number}")
        assert_no_endpoint_secret(ran.stderr, f"stderr of run {number}")
    written = scan_for_endpoint_secrets(clean_env)
    assert any("completion" in p.parts for p in written)  # the cache file was scanned


def test_a_failed_stop_keeps_the_endpoints_secrets_out_of_the_audit_log(
    cli, batch, aws_env, clean_env: Path
) -> None:
    from tests.support.faults import Fault, Rule

    job = batch.add_job("RUNNABLE")
    # The lookup goes through; the CancelJob connection is dropped, every try.
    proxy = Proxy(aws_env.url, rules=[Rule(Fault.DROP, actions=frozenset({"canceljob"}))])
    proxy.start()
    try:
        url = secret_url(proxy.url.removeprefix("http://"))
        ran = cli("cancel", "-p", "aws-batch", "--endpoint-url", url, "-o", "json", job)
    finally:
        proxy.stop()
    assert ran.code == 1, ran.stderr
    assert "canceljob" in proxy.operations()
    (result,) = ran.json()["results"]
    assert result["outcome"] == "failed"
    assert 'endpoint URL: "http://***@127.0.0.1:' in result["message"]
    audit = (clean_env / "state" / "jobctl" / "audit.jsonl").read_text()
    assert '"outcome": "failed"' in audit
    assert_no_endpoint_secret(ran.stdout + ran.stderr, "the run's output")
    scan_for_endpoint_secrets(clean_env)


@pytest.mark.parametrize("secret_in", ["user-info", "query"])
@pytest.mark.parametrize("source", ["--endpoint-url", "TENCENTCLOUD_ENDPOINT_URL", "config"])
def test_a_tencent_endpoint_with_a_secret_is_refused_before_any_request(
    cli, tencent, secret_in: str, source: str, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = Proxy(tencent.url).start()
    host = proxy.url.removeprefix("http://")
    url = {
        "user-info": f"http://jobctl:{ENDPOINT_PASSWORD}@{host}",
        "query": f"http://{host}/?token={ENDPOINT_TOKEN}",
    }[secret_in]
    flag: tuple[str, ...] = ()
    config = clean_env / "config" / "jobctl" / "config.toml"
    named = source
    if source == "--endpoint-url":
        flag = ("--endpoint-url", url)
    elif source == "TENCENTCLOUD_ENDPOINT_URL":
        monkeypatch.setenv("TENCENTCLOUD_ENDPOINT_URL", url)
    else:
        monkeypatch.delenv("TENCENTCLOUD_ENDPOINT_URL")
        config.parent.mkdir(parents=True)
        config.write_text(f'[providers.tencent]\nendpoint_url = "{url}"\n')
        named = f"{config}:2: endpoint_url in [providers.tencent]"
    try:
        ran = cli("terminate", "-p", "tencent", *flag, "--debug", "job-abcdefgh")
    finally:
        proxy.stop()
    assert ran.code == 4
    assert ran.stdout == ""
    if secret_in == "user-info":
        assert ran.stderr == (
            f"jobctl: {named} must not carry a user name or password: "
            "Tencent signs requests with TENCENTCLOUD_SECRET_ID/KEY\n"
        )
    else:
        assert ran.stderr == (
            f"jobctl: {named} 'http://{host}/?***' must be http(s)://HOST[:PORT] for tencent: "
            "its SDK sends every request to the host's root and would drop the rest\n"
        )
    assert proxy.seen == []
    scan_for_endpoint_secrets(clean_env, skip=config)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://u:pw@h:1/p?t=x#f", "http://***@h:1/p?***"),
        # Malformed URLs lose their secret too: a '/' or '?' in a password, no scheme.
        ("http://u:p/w@h:1/", "http://***@h:1/"),
        ("http://u:p?w@h:1/", "http://***@h:1/"),
        ("https://h/p", "https://h/p"),
        ('connect to "https://u:pw@h/v1/x?t=y": no', 'connect to "https://***@h/v1/x?***": no'),
        ("with url: /?token=x (Caused by", "with url: /?*** (Caused by"),
        ("did you mean [providers.aws-batch]?", "did you mean [providers.aws-batch]?"),
    ],
)  # fmt: skip
def test_redaction_keeps_the_host_and_drops_what_may_be_a_credential(text: str, shown: str) -> None:
    from jobctl.sanitize import redact, redact_url

    assert redact(text) == shown
    # What check_endpoint shows of a URL it refuses, with or without a scheme.
    assert redact_url("u:pw@h:1") == "***@h:1"
