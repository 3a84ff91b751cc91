"""Property-based tests (hypothesis) over everything a user types or pipes in, and over what
providers send back.

Every CLI property is built so that no example may send a request, valid or not: after its
own checks, each command meets a refusal that jobctl decides before any request (21 named
jobs, or a filter selection, need --yes without a terminal). Which refusal a run ends in says
whether the input was accepted; the recording proxies must see nothing either way.
"""

from __future__ import annotations

import io
import json
import re
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobctl.models import JobRef, JobState, Outcome, Phase, Result, StopOptions, Verb
from jobctl.render import STATUS_COLUMNS, STOP_COLUMNS, Renderer
from jobctl.sanitize import clean
from tests.hardening import corpus
from tests.hardening.helpers import Endpoints, assert_refused, assert_terminal_safe
from tests.hardening.tally import TALLY
from tests.support.worlds import WORLDS

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Twenty-one well-formed ids: more than 20 named jobs need --yes without a terminal.
MANY = {
    "aws-batch": [f"b{n:04d}" for n in range(21)],
    "aws-iot": [f"fw-{n}" for n in range(21)],
    "tencent": [f"job-{n:08d}" for n in range(21)],
}
UNCONFIRMED = "without confirmation"

texts = st.one_of(
    st.sampled_from(corpus.UNPRINTABLE + corpus.PRINTABLE),
    st.text(max_size=60),
    st.text(alphabet=string.printable, max_size=60),
    st.from_regex(r"[a-z0-9:_.#-]{1,20}", fullmatch=True),
)
providers = st.sampled_from(WORLDS)


def run(cli, endpoints: Endpoints, provider: str, command: str, *args: str, stdin: bytes = b""):
    endpoints.clear()
    url = endpoints.url(provider)
    ran = cli(command, "-p", provider, "--endpoint-url", url, *args, stdin=stdin)
    assert_refused(ran)
    assert endpoints.requests() == 0, endpoints.operations()
    accepted = UNCONFIRMED in ran.stderr
    TALLY.bad_input(tried=0 if accepted else 1, requests=endpoints.requests())
    return ran, accepted


def printable_token(text: str) -> bool:
    return clean(text) == text and not any(c.isspace() for c in text)


@SETTINGS
@given(provider=providers, ref=texts)
def test_any_job_reference(cli, endpoints, provider, ref) -> None:
    _, accepted = run(cli, endpoints, provider, "cancel", "--", ref, *MANY[provider])
    if accepted:
        assert ref
        assert printable_token(ref), ref


@SETTINGS
@given(
    provider=providers, data=st.one_of(st.sampled_from(corpus.BAD_STDIN), st.binary(max_size=80))
)
def test_any_standard_input(cli, endpoints, provider, data) -> None:
    _, accepted = run(cli, endpoints, provider, "cancel", "-", *MANY[provider], stdin=data)
    if accepted:
        # README: one reference a line, its first tab-separated field; blanks and # comments
        # skipped. Whatever was taken is printable, with no blank inside.
        fields = [raw.decode("utf-8").split("\t", 1)[0].strip() for raw in data.splitlines()]
        assert all(printable_token(f) for f in fields if f and not f.startswith("#"))


@SETTINGS
@given(provider=providers, reason=texts)
def test_any_reason(cli, endpoints, provider, reason) -> None:
    _, accepted = run(cli, endpoints, provider, "cancel", "-r", reason, *MANY[provider])
    if accepted:
        assert reason.strip()
        assert clean(reason) == reason
        if provider == "aws-iot":  # comment: [^\p{C}]+
            assert not any(c in reason for c in "\u200b\u00ad\ufeff")


@SETTINGS
@given(code=texts)
def test_any_reason_code(cli, endpoints, code) -> None:
    _, accepted = run(cli, endpoints, "aws-iot", "cancel", "--reason-code", code, *MANY["aws-iot"])
    # --reason-code: [A-Z0-9_]{1,128}, ASCII only.
    assert accepted == (re.fullmatch(r"[A-Z0-9_]{1,128}", code, re.ASCII) is not None)


@SETTINGS
@given(thing=texts)
def test_any_thing_name(cli, endpoints, thing) -> None:
    _, accepted = run(cli, endpoints, "aws-iot", "cancel", "--thing", thing, *MANY["aws-iot"])
    # IoT's thingName pattern.
    assert accepted == (re.fullmatch(r"[a-zA-Z0-9:_-]{1,128}", thing, re.ASCII) is not None)


@SETTINGS
@given(
    provider=providers, option=st.sampled_from(["--status", "--name", "--older-than"]), value=texts
)
def test_any_filter(cli, endpoints, provider, option, value) -> None:
    _, accepted = run(cli, endpoints, provider, "cancel", option, value)
    if accepted:
        assert clean(value) == value
        assert value.strip()


@SETTINGS
@given(option=st.sampled_from(["--timeout", "--poll-interval"]), value=texts)
def test_any_duration(cli, endpoints, option, value) -> None:
    _, accepted = run(cli, endpoints, "tencent", "terminate", option, value, *MANY["tencent"])
    documented = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([smhd])", value.strip(), re.ASCII)
    seconds = 0.0
    if documented is not None:
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[documented.group(2)]
        seconds = float(documented.group(1)) * unit
    # A number and a unit, longer than zero, at most a century.
    assert accepted == (0 < seconds <= 36500 * 86400)


toml_values = st.one_of(texts, st.integers(), st.booleans(), st.floats(allow_nan=False))


@st.composite
def config_files(draw: st.DrawFn) -> bytes:
    """Raw bytes, or TOML whose keys are jobctl's and whose values are anything."""
    if draw(st.booleans()):
        return draw(st.one_of(st.sampled_from(corpus.BAD_CONFIGS), st.binary(max_size=120)))
    key = draw(st.sampled_from(["provider", "output", "reason", "region", "rate", "concurrency"]))
    value = draw(toml_values)
    table = "defaults" if key in ("provider", "output", "reason") else "providers.aws-batch"
    return f"[{table}]\n{key} = {json.dumps(value)}\n".encode("utf-8", "surrogatepass")


@SETTINGS
@given(data=config_files())
def test_any_config_file(cli, endpoints, clean_env, data) -> None:
    path = clean_env / "config" / "jobctl" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    endpoints.clear()
    ran = cli("cancel", "-p", "aws-batch", "--endpoint-url", endpoints.aws.url, *MANY["aws-batch"])
    assert ran.code in (2, 4), ran.stderr
    assert_refused(ran, code=ran.code)
    assert endpoints.requests() == 0
    if ran.code == 4:
        assert str(path) in ran.stderr
    TALLY.bad_input(tried=0 if UNCONFIRMED in ran.stderr else 1, requests=endpoints.requests())


# -- what comes back from providers -------------------------------------------------------


def rendered(fmt: str, rows: list[dict[str, object]], columns: tuple[str, ...]) -> str:
    from jobctl.engine import Summary
    from jobctl.errors import ExitCode

    out = io.StringIO()
    renderer = Renderer(fmt, "status", stdout=out)
    for row in rows:
        renderer.row(row)
    renderer.finish(rows, Summary(len(rows), len(rows), 0, ExitCode.OK), columns)
    return out.getvalue()


@settings(max_examples=150, deadline=None)
@given(name=texts, message=texts)
def test_provider_text_is_shown_literally_in_every_format(name, message) -> None:
    """A job name or status message from a provider: never interpreted, never a raw control
    character on the terminal; JSON gives it back exactly."""
    row = {
        "provider": "aws-batch",
        "region": "us-east-1",
        "job_id": "j1",
        "name": name,
        "state": "FAILED",
        "phase": "finished",
        "message": message,
        "extra": {},
    }
    for fmt in ("json", "ndjson"):
        text = rendered(fmt, [row], STATUS_COLUMNS)
        assert text.isascii()
        first = json.loads(text.splitlines()[0])
        found = first["results"][0] if fmt == "json" else first
        assert (found["name"], found["message"]) == (name, message)
    plain = rendered("plain", [row], STATUS_COLUMNS)
    assert_terminal_safe(plain)
    assert plain.count("\n") == 1
    fields = plain.rstrip("\n").split("\t")
    assert fields[STATUS_COLUMNS.index("name")] == (clean(name).replace("\t", "\\t") or "")
    table = rendered("table", [row], STATUS_COLUMNS)
    assert_terminal_safe(table)
    TALLY.hostile_texts_shown += 1


@settings(max_examples=100, deadline=None)
@given(reason=texts, provider=providers)
def test_a_valid_reason_is_planned_unchanged(reason, provider) -> None:
    """Whatever passes the checks goes into the native request as it is."""
    import importlib

    from jobctl import validate
    from jobctl.errors import UsageError
    from jobctl.providers import BUILTIN

    module = importlib.import_module(BUILTIN[provider].module)
    options = StopOptions(verb=Verb.TERMINATE, reason=reason)
    try:
        validate.check_reason(reason)
        validate.check_provider_options(module.INFO, options)
    except UsageError:
        return
    job = JobState(job_id="job-abcdefgh", native_state="RUNNABLE", phase=Phase.QUEUED)
    if provider == "aws-iot":
        job = JobState(job_id="fw-1", native_state="SCHEDULED", phase=Phase.QUEUED)
    action = module.plan(
        **({"ref": JobRef(provider, job.job_id)} if provider == "aws-iot" else {}),
        job=job,
        options=options,
    )
    sent = {"aws-batch": action.request.get("reason"), "aws-iot": action.request.get("comment")}
    assert sent.get(provider, action.extra.get("reason")) == reason
    result = Result(provider, None, job.job_id, "terminate", Outcome.PLANNED, message=reason)
    assert (
        json.loads(rendered("json", [result.as_dict()], STOP_COLUMNS))["results"][0]["message"]
        == reason
    )
