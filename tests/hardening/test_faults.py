"""Faults between jobctl and every provider: throttling storms, failing and slow servers,
unreadable answers, a server that dies half way. No job is lost, and each is reported as the
provider's own state says it is.

The proxy (tests/support/proxy.py) answers the way each provider's front door would, so the
real SDKs (botocore, tencentcloud) parse each fault as that provider's own error.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.hardening.tally import TALLY
from tests.support.faults import EXPECTED_CODE, Fault, Rule
from tests.support.proxy import LOOKUPS, STOPS, Proxy
from tests.support.worlds import ConformanceWorld, TencentConformance

OK = {"cancelled", "terminated", "stopping"}
# Single-job stop requests: what "the server dies after N stops" counts.
SINGLE_STOPS = frozenset({"canceljob", "terminatejob", "canceljobexecution"})


def terminate(cli: Any, world: ConformanceWorld, proxy: Proxy, jobs: list[str], *args: str) -> Any:
    stdin = "".join(f"{job}\n" for job in jobs).encode()
    return cli(
        "terminate",
        "-p",
        world.provider,
        "--endpoint-url",
        proxy.url,
        "-o",
        "json",
        "--yes",
        *args,
        "-",
        stdin=stdin,
    )


def lost_jobs(ran: Any, world: ConformanceWorld, jobs: list[str]) -> list[str]:
    """Jobs not reported once each, or reported ok when the provider shows them not stopped
    (or failed when it shows them stopped)."""
    results = ran.json()["results"]
    reported = [r["job_id"] for r in results]
    lost = [job for job in jobs if reported.count(job) != 1]
    for result in results:
        if (result["outcome"] in OK) != world.stopped(result["job_id"]):
            lost.append(result["job_id"])
    TALLY.outcomes(jobs=len(jobs), lost=len(lost))
    return lost


@pytest.fixture
def brisk_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDKs' backoff waits, a tenth as long: the same retries, decided the same way.

    With the real waits (botocore: up to 1, 2, 4... s per throttled retry) the storm below
    takes 75 s for the three providers; what is retried, and how often, does not change.
    """
    from botocore.retries.standard import ExponentialBackoff

    from jobctl.providers._tencent import Backoff

    delay_amount = ExponentialBackoff.delay_amount
    delay = Backoff.delay
    monkeypatch.setattr(
        ExponentialBackoff, "delay_amount", lambda self, context: delay_amount(self, context) / 10
    )
    monkeypatch.setattr(
        Backoff, "delay", lambda self, attempt, rng=None: delay(self, attempt, rng) / 10
    )


def test_two_hundred_jobs_through_a_throttling_storm(
    cli, world, faulty, audit_log, brisk_backoff
) -> None:
    """30% of every request throttled: every job ends right, exit 0, one audit line each."""
    rate: tuple[str, ...] = ()
    if isinstance(world, TencentConformance):
        # Tencent's documented 2 TerminateJob/s would make this 100 s: the emulator is given a
        # higher limit and jobctl the same one, so throttling comes from the proxy alone.
        world.emulator.terminate_rate = 200.0
        rate = ("--rate", "200")
    jobs = [world.add("queued" if n % 2 else "running") for n in range(200)]
    # The first two stop requests are throttled whatever the draw: with Batch's bulk calls a
    # dozen requests carry the 200 jobs, and the draws are keyed by the request's body, which
    # holds the server's fresh job ids, so a share alone may pick none of them (0.7**12: one
    # run in 70).
    first_stops = Rule(Fault.THROTTLE, actions=STOPS, times=2)
    proxy = faulty(first_stops, Rule(Fault.THROTTLE, share=0.3), seed=1)
    ran = terminate(cli, world, proxy, jobs, *rate)
    assert ran.code == 0, (ran.stderr, ran.stdout[-2000:])
    assert lost_jobs(ran, world, jobs) == []
    assert {r["outcome"] for r in ran.json()["results"]} <= OK
    throttled = proxy.injected[Fault.THROTTLE]
    if len(proxy.seen) >= 100:
        assert 0.15 < throttled / len(proxy.seen) < 0.45  # 30% drawn: 5 standard deviations
    else:
        # Batch's bulk calls: too few requests for the share to hold; the two sure ones came.
        assert throttled >= 2
    # Each job's stop reached the server exactly once; each has one answer and one final
    # record in the audit log, which say so.
    assert sorted(proxy.stopped()) == sorted(jobs)
    assert sorted(r["job"] for r in audit_log("answer")) == sorted(jobs)
    records = audit_log("final")
    assert sorted(r["job"] for r in records) == sorted(jobs)
    assert {r["outcome"] for r in records} <= OK


# Tries per request, the first included (README, Reliability): AWS gives a throttled request
# 12 and any other failure 6; Tencent 12 and 5.
MOST_TRIES = {
    ("aws-batch", True): 12,
    ("aws-batch", False): 6,
    ("aws-iot", True): 12,
    ("aws-iot", False): 6,
    ("tencent", True): 12,
    ("tencent", False): 5,
}


def tries_of_each_request(proxy: Proxy) -> list[list[float]]:
    """When each try of each request reached the proxy, first to last. A retry is the same
    request sent again (method, path and body); jobctl sends no request twice otherwise in
    these runs, where nothing it asks is answered."""
    tries: dict[tuple[str, str, bytes], list[float]] = {}
    for seen in proxy.seen:
        tries.setdefault((seen.method, seen.path, seen.body), []).append(seen.at)
    return list(tries.values())


def assert_retries_within(proxy: Proxy, *, budget: float, most: int) -> None:
    """No request tried more than `most` times, and none retried past its budget (--timeout).

    jobctl starts a retry only if its wait ends within `budget` of the request's start, and
    decides so after the previous try reached the proxy, which is after the request started:
    so every try that was retried reached the proxy less than `budget` after the first try.
    The last one may be on its way at the deadline; the request timeout bounds it. Timestamps
    of the proxy, not the length of the run: the machine's speed does not enter into it.
    """
    every = tries_of_each_request(proxy)
    assert every, "no request reached the proxy"
    for tries in every:
        assert len(tries) <= most, tries
        late = [round(at - tries[0], 3) for at in tries[:-1] if at - tries[0] >= budget]
        assert late == [], (late, budget)


@pytest.mark.parametrize(
    ("faults", "actions"),
    [
        ((Fault.UNAVAILABLE, Fault.SERVER_ERROR), None),
        ((Fault.THROTTLE,), STOPS),
    ],
    ids=["500 or 503 to every request", "every stop throttled"],
)
def test_a_server_that_always_fails(cli, world, faulty, audit_log, faults, actions) -> None:
    """Every job `failed` with the provider's code, exit 1; each request tried no more often
    than the retry policy allows, and no retry started past --timeout (the retry budget per
    request): retries never outlive the budget."""
    jobs = [world.add("queued"), world.add("running")]
    # Half the requests get the first fault, every other one the last.
    rules = [Rule(fault, share=0.5, actions=actions) for fault in faults[:-1]]
    proxy = faulty(*rules, Rule(faults[-1], actions=actions))
    ran = terminate(cli, world, proxy, jobs, "--timeout", "1s")
    assert ran.code == 1, ran.stderr
    assert_retries_within(proxy, budget=1.0, most=MOST_TRIES[world.provider, actions is not None])
    codes = tuple(EXPECTED_CODE[(world.provider, fault)] for fault in faults)
    results = ran.by_job()
    assert {r["outcome"] for r in results.values()} == {"failed"}
    lookup = "lookup failed: " if actions is None else ""
    for result in results.values():
        assert result["message"].startswith(tuple(f"{lookup}{code}: " for code in codes)), result
    assert lost_jobs(ran, world, jobs) == []
    records = audit_log()
    if actions is None:
        assert records == []  # no stop request was sent
    else:
        told = [r for r in records if r["record"] != "request"]
        assert sorted(r["job"] for r in told) == sorted(jobs * 2)  # answer and final
        assert all(r["outcome"] == "failed" and r["error"].startswith(codes) for r in told)
        asked = [r["job"] for r in records if r["record"] == "request"]
        assert set(asked) == set(jobs)  # a record before each request left
    assert proxy.stopped() == []


@pytest.mark.parametrize("actions", [LOOKUPS, STOPS], ids=["lookup", "stop"])
def test_a_gateway_error_page_is_one_line_in_the_report(cli, world, faulty, actions) -> None:
    """A load balancer's 502 HTML page where the provider's answer should be: each job
    `failed` with one line that names the page's title and says it was not the API's answer,
    not the page's dozen lines of markup."""
    jobs = [world.add("queued"), world.add("running")]
    proxy = faulty(Rule(Fault.ERROR_PAGE, actions=actions))
    ran = terminate(cli, world, proxy, jobs, "--timeout", "1s")
    assert ran.code == 1, ran.stderr
    results = ran.by_job()
    assert {r["outcome"] for r in results.values()} == {"failed"}
    for result in results.values():
        message = result["message"]
        assert "502 Bad Gateway (an HTML error page, not the API's answer)" in message, result
        assert "\n" not in message, message
        assert "<" not in message, message
    assert "<!DOCTYPE" not in ran.stderr
    assert "<h1>" not in ran.stderr
    assert proxy.stopped() == []
    assert lost_jobs(ran, world, jobs) == []


def test_a_server_too_slow_to_answer(cli, world, faulty, monkeypatch) -> None:
    """Answers held past JOBCTL_REQUEST_TIMEOUT: nothing waits longer than the timeouts say.

    The proxy holds every request 5 s and then hangs up; the client's own 0.3 s time-out ends
    each try first (the message says time-out, not a closed connection), and no retry starts
    past --timeout."""
    monkeypatch.setenv("JOBCTL_REQUEST_TIMEOUT", "0.3s")
    job = world.add("queued")
    proxy = faulty(Rule(Fault.SLOW), slow_seconds=5.0)
    ran = terminate(cli, world, proxy, [job], "--timeout", "1s")
    assert ran.code == 1
    [result] = ran.json()["results"]
    assert result["outcome"] == "failed"
    assert result["message"].startswith("lookup failed: ")
    assert "timed out" in result["message"].lower() or "timeout" in result["message"].lower()
    assert_retries_within(proxy, budget=1.0, most=MOST_TRIES[world.provider, False])
    assert lost_jobs(ran, world, [job]) == []


@pytest.mark.parametrize("fault", [Fault.DROP])
def test_faults_on_the_lookup_after_the_stop(cli, world, faulty, audit_log, fault) -> None:
    """The stop was accepted, the second lookup cannot be read: `stopping`, never a silent
    `terminated`, and the message says the outcome could not be verified."""
    job = world.add("queued")
    proxy = faulty(Rule(fault, actions=LOOKUPS, after=1, counting=SINGLE_STOPS))
    ran = terminate(cli, world, proxy, [job], "--timeout", "1s")
    assert ran.code == 0, ran.stderr
    [result] = ran.json()["results"]
    assert result["outcome"] == "stopping"
    assert "could not verify" in result["message"]
    assert result["state_after"] is None
    assert world.stopped(job)
    assert proxy.stopped() == [job]
    assert [(r["record"], r["job"], r["outcome"]) for r in audit_log()] == [
        ("request", job, None),
        ("answer", job, "stopping"),
        ("final", job, "stopping"),
    ]
    assert lost_jobs(ran, world, [job]) == []


@pytest.mark.parametrize("fault", [Fault.TRUNCATE, Fault.GARBAGE])
def test_an_answer_lost_once_is_asked_again(cli, world, faulty, audit_log, fault) -> None:
    """The first lookup's answer and the stop's answer are unreadable, though the stop reached
    the server: both are asked again, and the job is reported as it really ended."""
    job = world.add("queued")
    proxy = faulty(Rule(fault, actions=LOOKUPS, times=1), Rule(fault, actions=STOPS, times=1))
    ran = terminate(cli, world, proxy, [job])
    assert ran.code == 0, (ran.stderr, ran.stdout)
    [result] = ran.json()["results"]
    assert result["outcome"] in ("terminated", "stopping")
    assert proxy.injected[fault] == 2
    assert world.stopped(job)
    assert [r["outcome"] for r in audit_log("final")] == [result["outcome"]]
    assert lost_jobs(ran, world, [job]) == []


def test_an_unreadable_lookup_is_a_failure_not_an_unknown_job(cli, world, faulty) -> None:
    """Every lookup answered with something that is not the provider's answer: `failed` with
    what went wrong; never `not-found` (which --ignore-not-found would count as ok)."""
    job = world.add("queued")
    proxy = faulty(Rule(Fault.GARBAGE, actions=LOOKUPS))
    ran = terminate(cli, world, proxy, [job], "--timeout", "1s", "--ignore-not-found")
    assert ran.code == 1, ran.stdout
    [result] = ran.json()["results"]
    assert result["outcome"] == "failed"
    assert result["message"].startswith(("lookup failed: MalformedResponse", "lookup failed: JSON"))
    assert not world.stopped(job)
    assert lost_jobs(ran, world, [job]) == []


def test_the_server_dies_half_way(cli, world, faulty, audit_log, no_bulk) -> None:
    """After 15 stops reached it, the server hangs up on everything. Each job is reported as
    it is: the stopped ones ok (unverified), the others failed with the transport's error;
    exit 3; the audit log's ok lines are exactly the stops the server took."""
    rate: tuple[str, ...] = ()
    if isinstance(world, TencentConformance):
        world.emulator.terminate_rate = 100.0
        rate = ("--rate", "100")
    jobs = [world.add("queued") for _ in range(30)]
    proxy = faulty(Rule(Fault.DROP, after=15, counting=SINGLE_STOPS))
    ran = terminate(cli, world, proxy, jobs, "--timeout", "1s", "--concurrency", "16", *rate)
    assert ran.code == 3, ran.stderr
    assert lost_jobs(ran, world, jobs) == []
    taken = set(proxy.stopped())
    assert len(taken) >= 15
    assert len(taken) < len(jobs)
    results = ran.by_job()
    for job, result in results.items():
        if job in taken:
            assert result["outcome"] == "stopping", result
            assert "could not verify" in result["message"]
        else:
            assert result["outcome"] == "failed", result
            assert result["message"].split(":")[0] in (
                "ConnectionClosedError",
                "ClientNetworkError",
            )
    records = audit_log("final")
    assert sorted(r["job"] for r in records) == sorted(jobs)
    assert {r["job"] for r in records if r["outcome"] in OK} == taken
    assert {r["job"] for r in audit_log("answer") if r["outcome"] in OK} == taken
