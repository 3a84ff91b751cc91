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
        argv = ["status", "-p", "aws-batch", "--region", "us-east-1", "j1", *debug]
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
