"""``ProfileExportWaitProvider``: wait for many submitted export jobs at once.

With ``wait_for_completion=False`` every ``ProfileExportJob`` create returns as soon as its job
is submitted, so N creates no longer queue behind the provider host's 4 worker threads. One
``ProfileExportWait`` then holds a single thread and polls all N jobs in one loop (one listing per
round). A FAILED job fails the deploy with AEP's errors; the job stays FAILED in AEP, so the next
``pulumi up --refresh`` (or ``options: refresh: always`` in Pulumi.yaml) replaces it. Jobs still
running at the deadline are cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from ..errors import AepError, AepJobFailedError, AepNotFoundError, AepWaitTimeoutError
from ..inputs import WAIT_INPUTS, check_wait_inputs
from .base import (
    AepProviderBase,
    changed_keys,
    log_info,
    log_warn,
    surface_errors,
)
from .export_job import describe_job_errors

if TYPE_CHECKING:
    from ..waiter import WaitOutcome

REPLACE_ON = ("job_ids", "sandbox_name")
UPDATE_IN_PLACE = ("timeout_seconds", "report_files")
# File listings in flight at once after a wait (AEP throttles; the client honours its 429s).
FILE_LISTINGS_AT_ONCE = 8
REFRESH_HINT = (
    "`pulumi up --refresh` replaces them (or set `options: refresh: always` in Pulumi.yaml)"
)


def _summary(outcome: WaitOutcome) -> dict[str, Any]:
    jobs = outcome.jobs.values()
    return {
        "statuses": {str(j.id): j.status for j in jobs},
        "batch_ids": {str(j.id): j.batch_id for j in jobs},
        "errors": {
            str(j.id): [{"code": e.code, "msg": e.msg} for e in j.errors] for j in jobs if j.errors
        },
    }


class ProfileExportWaitProvider(AepProviderBase):
    """Waits, with one poller, until every listed export job SUCCEEDED."""

    validate = staticmethod(check_wait_inputs)
    kind = "ProfileExportWait"

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        inputs = self.new_inputs(news)
        if olds.get("report_files") is None:
            # State written before `report_files` existed reported no files: its default.
            olds = {**olds, "report_files": True}
        # Order does not matter: the same set of jobs is the same wait.
        if (
            isinstance(inputs.get("job_ids"), list)
            and isinstance(olds.get("job_ids"), list)
            and sorted(map(str, inputs["job_ids"])) == sorted(map(str, olds["job_ids"]))
        ):
            inputs["job_ids"] = olds["job_ids"]
        replaces = changed_keys(olds, inputs, REPLACE_ON)
        unfinished = any(s != "SUCCEEDED" for s in (olds.get("statuses") or {}).values())
        if unfinished:
            replaces.append("statuses")
        # Once every job SUCCEEDED a new timeout has nothing left to govern. Reporting no change
        # keeps `batch_ids` known in the preview (an in-place update's preview outputs are the
        # new inputs only); a later replacement waits with the new timeout.
        updates = changed_keys(olds, inputs, ("report_files",))
        if unfinished:
            updates += changed_keys(olds, inputs, ("timeout_seconds",))
        return DiffResult(
            changes=bool(replaces or updates), replaces=replaces, delete_before_replace=True
        )

    def _state(self, inputs: Mapping[str, Any], outcome: WaitOutcome) -> dict[str, Any]:
        outs: dict[str, Any] = {key: inputs.get(key) for key in WAIT_INPUTS}
        outs["sandbox_name"] = self.effective_sandbox(inputs)
        outs.update(_summary(outcome))
        outs["files"] = None
        if inputs.get("report_files") is not False:
            outs["files"] = self._files(outs["batch_ids"], str(outs["sandbox_name"]))
        return outs

    def _files(self, batch_ids: Mapping[str, Any], sandbox: str) -> dict[str, Any] | None:
        """Each job's export files (``batch_ids``: job id -> batch id): one listing per batch
        and one per file, a few at once."""
        from concurrent.futures import ThreadPoolExecutor

        from ..exports import batch_files_output

        client = self.client()
        jobs = [(job_id, batch) for job_id, batch in batch_ids.items() if batch]

        def listed(job: tuple[str, str]) -> tuple[str, Any]:
            return job[0], batch_files_output(client, [job[1]], sandbox=sandbox)

        try:
            with ThreadPoolExecutor(
                max_workers=max(1, min(FILE_LISTINGS_AT_ONCE, len(jobs)))
            ) as pool:
                return dict(pool.map(listed, jobs))
        except AepError as exc:
            log_warn(f"the exports SUCCEEDED but their files could not be listed: {exc}")
            return None

    @surface_errors
    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.valid_inputs(props)
        sandbox = self.effective_sandbox(inputs)
        client = self.client()
        settings = self.settings()
        from ..models import ExportJob

        job_ids = [int(j) for j in inputs["job_ids"]]
        log_info(f"waiting for {len(job_ids)} export job(s) with one poller")
        from ..waiter import PollSchedule, wait_for_jobs

        outcome = wait_for_jobs(
            client,
            [ExportJob(id=j, status="NEW") for j in job_ids],
            sandbox=sandbox,
            timeout=float(inputs["timeout_seconds"]),
            schedule=PollSchedule(
                initial=settings.poll_initial_interval, maximum=settings.poll_max_interval
            ),
            progress=log_info,
            warn=log_warn,
        )
        if outcome.missing:
            raise AepNotFoundError(
                f"export job(s) {', '.join(map(str, sorted(outcome.missing)))} no longer exist in AEP; {REFRESH_HINT}"
            )
        failed = outcome.failed
        if failed:
            details = "; ".join(f"job {j.id}: {describe_job_errors(j)}" for j in failed)
            raise AepJobFailedError(
                f"{len(failed)} of {len(job_ids)} export job(s) FAILED: {details}. They stay FAILED in AEP; {REFRESH_HINT}"
            )
        if outcome.timed_out:
            pending = outcome.pending
            notes = []
            for job in pending:
                try:
                    client.cancel_export_job(job.id, sandbox=sandbox)
                    notes.append(f"{job.id} cancelled")
                except AepError as exc:
                    notes.append(f"{job.id} could not be cancelled ({exc})")
            raise AepWaitTimeoutError(
                f"{len(pending)} export job(s) still running after timeout_seconds={inputs['timeout_seconds']}: "
                f"{', '.join(notes)}; {REFRESH_HINT}"
            )
        log_info(f"all {len(job_ids)} export job(s) SUCCEEDED ({outcome.polls} status requests)")
        return CreateResult(",".join(map(str, job_ids)), self._state(inputs, outcome))

    @surface_errors
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        sandbox = self.effective_sandbox(props)
        statuses = dict(props.get("statuses") or {})
        client = self.client()
        for job_id in list(statuses):
            try:
                statuses[job_id] = client.get_export_job(job_id, sandbox=sandbox).status
            except AepNotFoundError:
                continue  # a finished job AEP forgot: the export happened
        outs = {k: v for k, v in props.items() if not k.startswith("__")}
        outs["statuses"] = statuses
        return ReadResult(id_, outs)

    @surface_errors
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = check_wait_inputs(news)[0]
        state = {k: v for k, v in olds.items() if not k.startswith("__")}
        state["timeout_seconds"] = inputs.get("timeout_seconds")
        state["report_files"] = inputs.get("report_files")
        if inputs.get("report_files") is False:
            state["files"] = None
        elif state.get("files") is None:
            state["files"] = self._files(olds.get("batch_ids") or {}, self.effective_sandbox(olds))
        return UpdateResult(state)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Nothing to delete in AEP: the jobs belong to their own resources."""
