"""Waiting for many submitted export jobs at once: what ``ProfileExportWait`` does.

With ``wait_for_completion=False`` every ``ProfileExportJob`` create returns as soon as its job
is submitted, so N creates no longer queue behind the provider host's 4 worker threads. One
``ProfileExportWait`` then holds a single thread and polls all N jobs in one loop (one listing
per round). A FAILED job fails the deploy with AEP's errors; the job stays FAILED in AEP, so the
next ``pulumi up --refresh`` (or ``options: refresh: always`` in Pulumi.yaml) replaces it. Jobs
still running at the deadline are cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..aep.ids import job_id_text
from ..aep.statuses import STATUS_SUCCEEDED
from ..errors import AepError, AepJobFailedError, AepNotFoundError, AepWaitTimeoutError
from .export_job.claim_keeper import keeper
from .export_job.ending import BatchVerdict, batch_verdict
from .export_job.state import describe_job_errors, upgraded
from .files import FileListings, files_by_job
from .inputs import WAIT_INPUTS, check_wait_inputs
from .resource import (
    NO_OPTIONS,
    CallOptions,
    CreateOutcome,
    DiffOutcome,
    Props,
    ReadOutcome,
    ResourceCore,
    State,
    replace_on,
)
from .schema import EXPORT_WAIT
from .values import changed_keys, without_internal
from .waiter import WaitOutcome, wait_for_jobs

REPLACE_ON = replace_on(EXPORT_WAIT)
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


class ExportWaitCore(ResourceCore):
    """Waits, with one poller, until every listed export job SUCCEEDED."""

    kind = "ProfileExportWait"
    validate = staticmethod(check_wait_inputs)

    def diff(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> DiffOutcome:
        inputs, olds = self.new_inputs(news), upgraded(olds)
        for job_id, batch_id in (olds.get("batch_ids") or {}).items():
            if job_id_text(job_id) is not None:
                self.ctx.held.add(self.sandbox_of(olds), int(job_id_text(job_id) or 0), [batch_id])
        # Order does not matter: the same set of jobs is the same wait.
        if (
            isinstance(inputs.get("job_ids"), list)
            and isinstance(olds.get("job_ids"), list)
            and sorted(map(str, inputs["job_ids"])) == sorted(map(str, olds["job_ids"]))
        ):
            inputs["job_ids"] = olds["job_ids"]
        replaces = changed_keys(olds, inputs, REPLACE_ON)
        unfinished = any(s != STATUS_SUCCEEDED for s in (olds.get("statuses") or {}).values())
        if unfinished:
            replaces.append("statuses")
        # Once every job SUCCEEDED a new timeout has nothing left to govern. Reporting no change
        # keeps `batch_ids` known in the preview (an in-place update's preview outputs are the
        # new inputs only); a later replacement waits with the new timeout.
        updates = changed_keys(olds, inputs, ("report_files",))
        if unfinished:
            updates += changed_keys(olds, inputs, ("timeout_seconds",))
        return DiffOutcome(replaces=replaces, updates=updates, delete_before_replace=True)

    def _state(
        self, inputs: Mapping[str, Any], outcome: WaitOutcome, listings: FileListings | None
    ) -> dict[str, Any]:
        outs: dict[str, Any] = {key: inputs.get(key) for key in WAIT_INPUTS}
        outs["sandbox_name"] = self.ctx.effective_sandbox(inputs)
        outs.update(_summary(outcome))
        outs["files"] = (
            listings.collect(self.ctx, outs["batch_ids"]) if listings is not None else None
        )
        return outs

    def create(self, props: Mapping[str, Any], options: CallOptions = NO_OPTIONS) -> CreateOutcome:
        inputs = self.valid_inputs(props)
        sandbox = self.sandbox_of(inputs)
        job_ids = [int(j) for j in inputs["job_ids"]]
        for job_id in job_ids:
            self.ctx.held.add(sandbox, job_id)
        self.ctx.log.info(f"waiting for {len(job_ids)} export job(s) with one poller")
        # Files are listed as jobs finish, while the wait goes on for the others.
        listings = (
            FileListings(sandbox, self.ctx.requests_at_once)
            if inputs.get("report_files") is not False
            else None
        )
        try:
            outcome = self._wait(inputs, job_ids, sandbox, listings)
        except BaseException:
            if listings is not None:
                listings.close()
            raise
        # The claims of the jobs waited for were looked at again before the `up` ends.
        keeper(self.ctx).settle()
        return CreateOutcome(",".join(map(str, job_ids)), self._state(inputs, outcome, listings))

    def _wait(
        self,
        inputs: Mapping[str, Any],
        job_ids: list[int],
        sandbox: str,
        listings: FileListings | None,
    ) -> WaitOutcome:
        """The wait and its verdict: the outcome when every job SUCCEEDED, else the error."""
        # Here, not at the top: a pydantic model, which check and diff never need.
        from ..aep.models import ExportJob

        client = self.ctx.client()
        outcome = wait_for_jobs(
            self.ctx,
            [ExportJob(id=j, status="NEW") for j in job_ids],
            sandbox=sandbox,
            timeout=float(inputs["timeout_seconds"]),
            on_succeeded=(
                (lambda job: listings.start(self.ctx, job.id, job.batch_id))
                if listings is not None
                else None
            ),
        )
        self._judge_missing(outcome, sandbox)
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
        self.ctx.log.info(
            f"all {len(job_ids)} export job(s) SUCCEEDED ({outcome.polls} status requests)"
        )
        return outcome

    def _judge_missing(self, outcome: WaitOutcome, sandbox: str) -> None:
        """Jobs AEP no longer knows: a forgotten job whose batches hold its data SUCCEEDED (the
        export happened, as a refresh of the job resource also finds); a job this run saw in
        another sandbox is reported as such; any other is an error."""
        from ..aep.models import ExportJob

        gone, elsewhere = [], {}
        for job_id in sorted(outcome.missing):
            batches = self.ctx.held.batches(sandbox, job_id)
            verdict, _ = batch_verdict(self.ctx, sandbox, batches)
            if verdict is BatchVerdict.DONE:
                outcome.missing.discard(job_id)
                outcome.jobs[job_id] = ExportJob.model_validate(
                    {
                        "id": job_id,
                        "status": STATUS_SUCCEEDED,
                        "destination": {"batchId": batches[0]},
                    }
                )
                self.ctx.log.info(
                    f"export job {job_id} is no longer known to AEP, but its batch holds the "
                    "export: counted as SUCCEEDED"
                )
                continue
            seen_in = self.ctx.held.sandboxes(job_id) | self.ctx.jobs.sandboxes_of(job_id)
            other = sorted(seen_in - {sandbox})
            if other:
                elsewhere[job_id] = other[0]
            else:
                gone.append(job_id)
        if elsewhere:
            listed = ", ".join(f"{j} (in sandbox {s!r})" for j, s in elsewhere.items())
            raise AepNotFoundError(
                f"export job(s) {listed} are not in sandbox {sandbox!r}, where this "
                "ProfileExportWait looks: set its sandbox_name to the jobs' sandbox"
            )
        if gone:
            raise AepNotFoundError(
                f"export job(s) {', '.join(map(str, gone))} no longer exist in sandbox "
                f"{sandbox!r}, and no batch of theirs shows the export; {REFRESH_HINT}"
            )

    def read(self, id_: str, props: Mapping[str, Any]) -> ReadOutcome:
        sandbox = self.sandbox_of(props)
        statuses = dict(props.get("statuses") or {})
        client = self.ctx.client()
        for job_id in list(statuses):
            try:
                statuses[job_id] = client.get_export_job(job_id, sandbox=sandbox).status
            except AepNotFoundError:
                continue  # a finished job AEP forgot: the export happened
        outs = without_internal(props)
        outs["statuses"] = statuses
        return ReadOutcome(id_, outs)

    def update(
        self, id_: str, olds: Props, news: Props, options: CallOptions = NO_OPTIONS
    ) -> State:
        inputs = check_wait_inputs(news)[0]
        state = without_internal(olds)
        state["timeout_seconds"] = inputs.get("timeout_seconds")
        state["report_files"] = inputs.get("report_files")
        if inputs.get("report_files") is False:
            state["files"] = None
        elif state.get("files") is None:
            state["files"] = files_by_job(
                self.ctx, olds.get("batch_ids") or {}, self.sandbox_of(olds)
            )
        return state

    def delete(self, id_: str, props: Mapping[str, Any]) -> None:
        """Nothing to delete in AEP: the jobs belong to their own resources."""
