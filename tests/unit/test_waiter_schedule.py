"""The waiter against the sandbox on a simulated clock: when a job's end is noticed, and how many
requests a round costs with other clients' jobs in the listing. No real waiting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses

from aep_pulumi.client import AepClient
from aep_pulumi.models import ExportJob
from aep_pulumi.payloads import export_job_request
from aep_pulumi.pytest_plugin import _route_into
from aep_pulumi.sandbox import SandboxApp, SandboxConfig
from aep_pulumi.settings import AepSettings
from aep_pulumi.testing import INPROCESS_URL, sandbox_env
from aep_pulumi.waiter import PollSchedule, wait_for_jobs


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


def submit(client: AepClient, app: SandboxApp, count: int) -> list[ExportJob]:
    dataset = app.store.create_dataset("prod", {"name": "d", "schemaRef": {"id": "x"}}, "o", "c")
    inputs: dict[str, Any] = {"dataset_id": dataset, "schema_name": "_xdm.context.profile"}
    return [client.create_export_job(export_job_request(inputs)) for _ in range(count)]


def wait(clock: SimulatedClock, client: AepClient, jobs: list[ExportJob], **kw: Any) -> Any:
    return wait_for_jobs(
        client,
        jobs,
        sandbox="prod",
        timeout=10_000,
        schedule=PollSchedule(jitter=0.0, **kw),
        progress=lambda _m: None,
        warn=lambda _m: None,
        clock=clock.time,
        sleep=clock.sleep,
    )


@pytest.mark.parametrize("duration", [2, 10, 17, 30, 120])
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


def test_a_round_costs_the_pages_of_relevant_jobs_not_a_request_per_job(
    world: tuple[SimulatedClock, SandboxApp, AepClient],
) -> None:
    clock, app, client = world
    app.config.job_duration = 20
    jobs = submit(client, app, 150)
    space = app.store.space("prod")
    for _ in range(100):  # another client's jobs, newer than ours
        app.store._add_foreign_job("prod", space, int(clock.now * 1000) + 1)
    before = client.request_count
    outcome = wait(clock, client, [ExportJob(id=j.id, status="NEW") for j in jobs])
    assert {j.status for j in outcome.jobs.values()} == {"SUCCEEDED"}
    rounds = outcome.polls
    requests = client.request_count - before
    # 250 jobs in the listing: 3 pages a round, whatever the number of our jobs.
    assert requests == rounds and requests <= 3 * 20, (requests, rounds)
