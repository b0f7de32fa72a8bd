"""The waiter against the sandbox on a simulated clock: when a job's end is noticed, and how many
requests a round costs with other clients' jobs in the listing. No real waiting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses

from aep_pulumi.aep.client import AepClient
from aep_pulumi.core.payloads import export_job_request
from aep_pulumi.core.waiter import PollSchedule, poll_jobs
from aep_pulumi.models import ExportJob
from aep_pulumi.sandbox import SandboxApp, SandboxConfig
from aep_pulumi.settings import AepSettings
from aep_pulumi.testing import INPROCESS_URL, sandbox_env
from aep_pulumi.testing.pytest_plugin import _route_into


class SimulatedClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def world() -> Iterator[tuple[SimulatedClock, SandboxApp, AepClient]]:
    clock = SimulatedClock()
    app = SandboxApp(
        SandboxConfig(foreign_jobs=0, foreign_job_every=0),
        # Spec validation is tested elsewhere; here it would only slow the simulation down.
        openapi_dir=None,
        clock=clock.time,
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _route_into(app, mock, INPROCESS_URL)
        client = AepClient(AepSettings.load({}, sandbox_env(INPROCESS_URL)), sleep=clock.sleep)
        yield clock, app, client
    app.close()


def submit(client: AepClient, app: SandboxApp, count: int) -> list[ExportJob]:
    dataset = app.store.create_dataset("prod", {"name": "d", "schemaRef": {"id": "x"}}, "o", "c")
    inputs: dict[str, Any] = {"dataset_id": dataset, "schema_name": "_xdm.context.profile"}
    return [client.create_export_job(export_job_request(inputs)) for _ in range(count)]


def wait(
    clock: SimulatedClock,
    client: AepClient,
    jobs: list[ExportJob],
    progress: Callable[[str], None] = lambda _m: None,
    **kw: Any,
) -> Any:
    return poll_jobs(
        client,
        jobs,
        sandbox="prod",
        timeout=10_000,
        schedule=PollSchedule(jitter=0.0, **kw),
        progress=progress,
        warn=lambda _m: None,
        clock=clock.time,
        sleep=clock.sleep,
    )


@pytest.mark.parametrize("duration", [1, 2, 5, 8, 9.5, 10, 13, 17, 20, 30, 60, 120, 300])
@pytest.mark.parametrize("count", [1, 12])
def test_default_schedule_notices_the_end_within_a_quarter_of_the_duration(
    world: tuple[SimulatedClock, SandboxApp, AepClient], duration: float, count: int
) -> None:
    clock, app, client = world
    app.config.job_duration = duration
    started = clock.now
    jobs = submit(client, app, count)
    outcome = wait(clock, client, jobs)
    assert {j.status for j in outcome.jobs.values()} == {"SUCCEEDED"}
    delay = clock.now - (started + duration)
    assert 0 <= delay <= max(2.0, 0.25 * duration), delay
    # docs/performance.md's sharper form: within the first interval (1.8 s), 24 % of D, and 30 s.
    assert delay <= min(30.0, max(1.8, 0.24 * duration)) + 1e-6, delay


@pytest.mark.parametrize(
    ("duration", "most_polls"), [(4, 3), (20, 10), (60, 15), (120, 18), (1200, 56)]
)
def test_default_schedule_polls_few_times(
    world: tuple[SimulatedClock, SandboxApp, AepClient], duration: float, most_polls: int
) -> None:
    """The price of that bound: about 9 polls in the first 20 s, 14 in the first minute, 18 in
    two, then one every 30 s (docs/performance.md's figures; jitter can add one)."""
    clock, app, client = world
    app.config.job_duration = duration
    jobs = submit(client, app, 1)
    before = client.request_count
    outcome = poll_jobs(
        client,
        jobs,
        sandbox="prod",
        timeout=10_000,
        schedule=PollSchedule(),  # the defaults, jitter included
        progress=lambda _m: None,
        warn=lambda _m: None,
        clock=clock.time,
        sleep=clock.sleep,
    )
    assert outcome.jobs[jobs[0].id].status == "SUCCEEDED"
    assert client.request_count - before <= most_polls


def test_throttling_doubles_the_interval_within_the_maximum() -> None:
    schedule = PollSchedule()
    assert schedule.base_interval(0) == schedule.initial
    assert schedule.base_interval(100) == pytest.approx(24.0)
    assert schedule.base_interval(10, slowdown=1) == pytest.approx(2 * 2.4)
    assert schedule.base_interval(10, slowdown=50) == schedule.maximum
    assert all(schedule.interval(40) <= schedule.base_interval(40) for _ in range(100))


def test_a_round_costs_the_pages_of_relevant_jobs_not_a_request_per_job(
    world: tuple[SimulatedClock, SandboxApp, AepClient],
) -> None:
    clock, app, client = world
    app.config.job_duration = 20
    jobs = submit(client, app, 150)
    for _ in range(100):  # another client's jobs, newer than ours
        app.store.add_foreign_job("prod", int(clock.now * 1000) + 1)
    before = client.request_count
    outcome = wait(clock, client, [ExportJob(id=j.id, status="NEW") for j in jobs])
    assert {j.status for j in outcome.jobs.values()} == {"SUCCEEDED"}
    rounds = outcome.polls
    requests = client.request_count - before
    # 250 jobs in the listing: 3 pages a round, whatever the number of our jobs.
    assert requests == rounds and requests <= 3 * 20, (requests, rounds)


def test_rounds_start_past_other_clients_newer_jobs(
    world: tuple[SimulatedClock, SandboxApp, AepClient],
) -> None:
    """A busy organisation: 100 newer jobs of another client, and 60 more arriving every round.

    The first round pages past them; later rounds start at the cursor where our jobs begin, so a
    round costs one page, not one page more for every hundred jobs created since.
    """
    clock, app, client = world
    app.config.job_duration = 20
    jobs = submit(client, app, 50)

    def crowd(count: int) -> None:
        with app.store.lock:
            for _ in range(count):
                app.store.add_foreign_job("prod", int(clock.now * 1000) + 1)

    crowd(100)
    sleep = clock.sleep
    sleeps = 0

    def busy_sleep(seconds: float) -> None:
        nonlocal sleeps
        sleep(seconds)
        sleeps += 1
        if sleeps > 1:
            crowd(60)

    clock.sleep = busy_sleep  # type: ignore[method-assign]
    before = client.request_count
    outcome = wait(clock, client, jobs)
    assert {j.status for j in outcome.jobs.values()} == {"SUCCEEDED"}
    requests = client.request_count - before
    assert requests == outcome.polls == sleeps + 1, (requests, sleeps)
    assert len(app.store.space("prod").jobs) >= 50 + 100 + 60 * 7, "the crowd grew by several pages"


@responses.activate
def test_a_cursor_that_misses_a_job_falls_back_to_a_get_and_the_top_of_the_listing() -> None:
    """Should AEP's cursor not be stable (positional, say), a job the resumed walk misses is read
    with a GET that round, and the next round lists from the newest job again."""
    import json
    from urllib.parse import parse_qs, urlsplit

    base = "https://platform.adobe.io/data/core/ups/export/jobs"
    ours = [{"id": n, "status": "PROCESSING", "creationTime": 1000 + n} for n in (1, 2, 3)]
    other = {"id": 9, "status": "SUCCEEDED", "creationTime": 5000}
    resumed = 0
    offsets: list[str | None] = []

    def listing(request: Any) -> tuple[int, dict[str, str], str]:
        nonlocal resumed
        offset = parse_qs(urlsplit(request.url).query).get("offset", [None])[0]
        offsets.append(offset)
        if offset is None:
            body = {"records": [other], "link": {"next": "/export/jobs?limit=100&offset=c1"}}
        else:
            resumed += 1
            records = {1: ours, 2: ours[1:]}.get(resumed)  # job 1 slips before the cursor
            body = {"records": records or [dict(j, status="SUCCEEDED") for j in ours]}
        return 200, {}, json.dumps(body)

    responses.add_callback(responses.GET, base, callback=listing)
    responses.add(responses.GET, f"{base}/1", json=ours[0])
    env = {"AEP_ACCESS_TOKEN": "t", "AEP_CLIENT_ID": "c", "AEP_ORG_ID": "o@AdobeOrg"}
    client = AepClient(AepSettings.load({}, env), sleep=lambda _s: None)
    clock = SimulatedClock()
    outcome = poll_jobs(
        client,
        [ExportJob(id=n, status="NEW") for n in (1, 2, 3)],
        sandbox="prod",
        timeout=100,
        schedule=PollSchedule(jitter=0.0),
        progress=lambda _m: None,
        warn=lambda _m: None,
        clock=clock.time,
        sleep=clock.sleep,
    )
    assert offsets == [None, "c1", "c1", None, "c1"], offsets
    urls = [c.request.url.split("?")[0] for c in responses.calls]
    assert urls[3] == f"{base}/1", "the job the resumed walk missed is read that round"
    assert {j.status for j in outcome.jobs.values()} == {"SUCCEEDED"}


@pytest.mark.parametrize("duration", [10, 120])
def test_a_listing_tens_of_seconds_behind_costs_gets_only_while_it_lags(
    world: tuple[SimulatedClock, SandboxApp, AepClient], duration: float
) -> None:
    """AEP may list a new job tens of seconds after creating it (GET knows it at once). Jobs the
    listing does not show yet are read by id, so a job ending before it is listed is noticed as
    soon as any other; once they are listed, a round is one listing again."""
    clock, app, client = world
    app.config.listing_lag = 30
    app.config.job_duration = duration
    jobs = submit(client, app, 12)
    started = clock.now
    logged = len(app.request_log)
    outcome = wait(clock, client, [ExportJob(id=j.id, status="NEW") for j in jobs])
    assert {j.status for j in outcome.jobs.values()} == {"SUCCEEDED"}
    delay = clock.now - (started + duration)
    assert 0 <= delay <= max(2.0, 0.25 * duration), delay
    polls = app.request_log[logged:]
    gets = [e["at"] - started for e in polls if not e["path"].endswith("/export/jobs")]
    assert gets, "jobs the listing did not show yet were read by id"
    assert not [t for t in gets if t > 30 + 1], "listed jobs are not read one by one"


def test_a_slow_round_does_not_push_the_next_polls_back(
    world: tuple[SimulatedClock, SandboxApp, AepClient],
) -> None:
    """Each AEP answer takes 0.7 s (a long listing at real latency): the polls still start on
    the schedule, which counts from the start of each round, so the end is noticed as soon."""
    clock, app, client = world
    app.config.job_duration = 60
    jobs = submit(client, app, 3)
    started = clock.now
    real_open = app.handle

    def slow(request: Any, environ: Any = None) -> Any:
        clock.now += 0.7
        return real_open(request, environ)

    app.handle = slow  # type: ignore[method-assign]
    wait(clock, client, jobs)
    noticed = clock.now - started
    # Where the schedule itself puts the first poll after the job's end (rounds taking no time).
    schedule, due = PollSchedule(jitter=0.0), 0.0
    while due < 60:
        due += schedule.interval(due, 0)
    assert noticed <= due + 0.7 + 0.01, (noticed, due)


def submit_lasting(client: AepClient, app: SandboxApp, durations: list[float]) -> list[ExportJob]:
    """One job per duration (the sandbox fixes a job's duration when it is created)."""
    jobs = []
    for duration in durations:
        app.config.job_duration = duration
        jobs.extend(submit(client, app, 1))
    return jobs


def test_jobs_that_end_together_are_noticed_soon_after_the_last_one(
    world: tuple[SimulatedClock, SandboxApp, AepClient],
) -> None:
    """40 jobs end over 4 s, 20 s into the wait. Proportional intervals are about 5 s by then;
    once a poll sees some of them end, polls come every 1.8 s until the last is seen."""
    clock, app, client = world
    started = clock.now
    jobs = submit_lasting(client, app, [20 + 0.1 * i for i in range(40)])
    outcome = wait(clock, client, jobs)
    assert {j.status for j in outcome.jobs.values()} == {"SUCCEEDED"}
    last_end = started + 20 + 0.1 * 39
    assert clock.now - last_end <= PollSchedule().initial + 1e-6, clock.now - last_end


def test_polling_faster_while_jobs_end_adds_at_most_one_poll_per_job(
    world: tuple[SimulatedClock, SandboxApp, AepClient],
) -> None:
    """20 jobs end 30 s apart (ten minutes in all): a quick poll follows each poll that saw one
    end, so the wait polls more than the proportional schedule alone, by at most one per job."""
    clock, app, client = world
    jobs = submit_lasting(client, app, [30.0 * (i + 1) for i in range(20)])
    logged = len(app.request_log)
    wait(clock, client, jobs)
    rounds = sum(1 for e in app.request_log[logged:] if e["path"].endswith("/export/jobs"))
    schedule, due, proportional = PollSchedule(jitter=0.0), 0.0, 0
    while due < 600:
        due += schedule.interval(due, 0)
        proportional += 1
    assert proportional < rounds <= proportional + len(jobs), (rounds, proportional)


def test_a_wait_for_many_jobs_reports_each_kind_of_change_once_a_round(
    world: tuple[SimulatedClock, SandboxApp, AepClient],
) -> None:
    """40 jobs change together: a few lines, each naming three jobs and counting the others;
    a job alone is still named with its change."""
    clock, app, client = world
    jobs = submit_lasting(client, app, [20.0] * 40)
    lines: list[str] = []
    wait(clock, client, jobs, lines.append)
    assert 2 <= len(lines) <= 4, lines
    ids = ", ".join(str(j.id) for j in jobs[:3])
    assert any(f"export jobs {ids} and 37 more: PROCESSING -> SUCCEEDED" in x for x in lines)
    single = submit_lasting(client, app, [5.0])
    lines.clear()
    wait(clock, client, single, lines.append)
    assert any(f"export job {single[0].id}: PROCESSING -> SUCCEEDED" in x for x in lines), lines
