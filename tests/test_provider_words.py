"""Generic modules say what a provider declares, not which providers exist."""

from __future__ import annotations

import pytest

from jobctl.errors import ConfigError, UsageError
from jobctl.providers import aws_batch, tencent
from jobctl.selection import FilterArgs, build
from jobctl.validate import check_endpoint, check_target


def test_queue_and_thing_errors_name_the_providers_that_declare_them(monkeypatch) -> None:
    with pytest.raises(UsageError, match=r"^--queue applies to aws-batch only, not to tencent$"):
        build(tencent.INFO, FilterArgs(queue="q", all=True))
    with pytest.raises(UsageError, match=r"^--thing applies to aws-iot jobs only, not to x$"):
        check_target(aws_batch.INFO, "dev-1", "x")
    # A provider that declares queues joins the list by declaring it, nothing else.
    monkeypatch.setenv("JOBCTL_ENABLE_MEMORY_PROVIDER", "1")
    with pytest.raises(UsageError, match=r"^--queue applies to aws-batch and memory only"):
        build(tencent.INFO, FilterArgs(queue="q", all=True))


def test_a_host_only_endpoint_rule_comes_from_the_providers_info() -> None:
    assert tencent.INFO.endpoint_host_only is not None
    with pytest.raises(ConfigError, match="must be http\\(s\\)://HOST\\[:PORT\\] for tencent"):
        check_endpoint("http://127.0.0.1:5/path", source="--endpoint-url", provider="tencent")
    check_endpoint("http://127.0.0.1:5/path", source="--endpoint-url", provider="aws-batch")


def test_the_memory_provider_is_hidden_unless_enabled(cli, monkeypatch) -> None:
    shown = [p["name"] for p in cli("providers", "-o", "json").json()["providers"]]
    assert "memory" not in shown
    monkeypatch.setenv("JOBCTL_ENABLE_MEMORY_PROVIDER", "1")
    shown = [p["name"] for p in cli("providers", "-o", "json").json()["providers"]]
    assert shown[-1] == "memory"


@pytest.mark.parametrize("module", ["aws_batch", "aws_iot", "tencent", "memory"])
def test_a_provider_module_imports_no_engine_and_no_sdk(module: str) -> None:
    import subprocess
    import sys

    code = (
        f"import jobctl.providers.{module}, sys; "
        "loaded = {m.split('.')[0] for m in sys.modules} | set(sys.modules); "
        "bad = {'boto3', 'tencentcloud', 'jobctl.engine', 'jobctl.dispatch', "
        "'jobctl.stopping', 'jobctl.connect'}; "
        "assert not bad & loaded, bad & loaded"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
