"""Waiting for many submitted export jobs at once: what ``ProfileExportWait`` does.

With ``wait_for_completion=False`` every ``ProfileExportJob`` create returns as soon as its job
is submitted, so N creates no longer queue behind the provider host's 4 worker threads. One
``ProfileExportWait`` then holds a single thread and polls all N jobs in one loop (one listing
per round). A FAILED job fails the deploy with AEP's errors; the job stays FAILED in AEP, so the
next ``pulumi up --refresh`` (or ``options: refresh: always`` in Pulumi.yaml) replaces it. Jobs
still running at the deadline are cancelled.
"""

from __future__ import annotations

from ..aep.ids import job_id_text
from ..aep.statuses import STATUS_SUCCEEDED
from ..errors import AepError, AepJobFailedError, AepNotFoundError, AepWaitTimeoutError
from .export_job.claim_keeper import keeper
from .export_job.ending import BatchVerdict, batch_verdict
from .export_job.state import describe_job_errors, upgraded
from .files import FileListings, files_by_job
from .inputs import check_wait_inputs
from .resource import (
    NO_OPTIONS,
    CallOptions,
    CreateOutcome,
    DiffOutcome,
    Props,
    ReadOutcome,
    ResourceCore,
    replace_on,
)
from .schema import EXPORT_WAIT
from .shapes import EXPORT_WAIT_INPUT_KEYS, ExportWaitInputs, ExportWaitState, export_wait_state
from .values import changed_keys, known
from .waiter import WaitOutcome, wait_for_jobs

REPLACE_ON = replace_on(EXPORT_WAIT)
REFRESH_HINT = (
    "`pulumi up --refresh` replaces them (or set `options: refresh: always` in Pulumi.yaml)"
)


def _summary(outcome: WaitOutcome) -> ExportWaitState:
    jobs = outcome.jobs.values()
    return {
        "statuses": {str(j.id): j.status for j in jobs},
        "batch_ids": {str(j.id): j.batch_id for j in jobs},
        "errors": {
            str(j.id): [{"code": e.code, "msg": e.msg} for e in j.errors] for j in jobs if j.errors
        },
    }


class ExportWaitCore(ResourceCore[ExportWaitInputs, ExportWaitState]):
    """Waits, with one poller, until every listed export job SUCCEEDED."""

    kind = "ProfileExportWait"
    validate = staticmethod(check_wait_inputs)
    stored = staticmethod(export_wait_state)

    def diff(self, olds: Props, news: Props) -> DiffOutcome:
        inputs, state = self.new_inputs(news), upgraded(self.stored(olds))
        for job_id, batch_id in (state.get("batch_ids") or {}).items():
            if job_id_text(job_id) is not None:
                self.ctx.held.add(self.sandbox_of(state), int(job_id_text(job_id) or 0), [batch_id])
        # Order does not matter: the same set of jobs is the same wait.
        new_ids, old_ids = inputs.get("job_ids"), state.get("job_ids")
        if (
            isinstance(new_ids, list)
            and isinstance(old_ids, list)
            and sorted(map(str, new_ids)) == sorted(map(str, old_ids))
        ):
            inputs["job_ids"] = old_ids
        replaces = changed_keys(state, inputs, REPLACE_ON)
        unfinished = any(s != STATUS_SUCCEEDED for s in (state.get("statuses") or {}).values())
        if unfinished:
            replaces.append("statuses")
        # Once every job SUCCEEDED a new timeout has nothing left to govern. Reporting no change
        # keeps `batch_ids` known in the preview (an in-place update's preview outputs are the
        # new inputs only); a later replacement waits with the new timeout.
        updates = changed_keys(state, inputs, ("report_files",))
        if unfinished:
            updates += changed_keys(state, inputs, ("timeout_seconds",))
        return DiffOutcome(replaces=replaces, updates=updates, delete_before_replace=True)

    def _state(
        self, inputs: ExportWaitInputs, outcome: WaitOutcome, listings: FileListings | None
    ) -> ExportWaitState:
        outs: ExportWaitState = {}
        for key in EXPORT_WAIT_INPUT_KEYS:
            outs[key] = inputs.get(key)
        outs["sandbox_name"] = self.ctx.effective_sandbox(inputs)
        summary = _summary(outcome)
        outs.update(summary)
        batch_ids = summary.get("batch_ids") or {}
        outs["files"] = listings.collect(self.ctx, batch_ids) if listings is not None else None
        return outs

    def create(
        self, props: Props, options: CallOptions = NO_OPTIONS
    ) -> CreateOutcome[ExportWaitState]:
        inputs = self.valid_inputs(props)
        sandbox = self.sandbox_of(inputs)
        job_ids = [int(known(j)) for j in known(inputs["job_ids"])]
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
        inputs: ExportWaitInputs,
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
            timeout=float(known(inputs["timeout_seconds"])),
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

    def read(self, id_: str, props: Props) -> ReadOutcome[ExportWaitState]:
        sandbox = self.sandbox_of(props)
        outs = self.stored(props)
        statuses = dict(outs.get("statuses") or {})
        client = self.ctx.client()
        for job_id in list(statuses):
            try:
                statuses[job_id] = client.get_export_job(job_id, sandbox=sandbox).status
            except AepNotFoundError:
                continue  # a finished job AEP forgot: the export happened
        outs["statuses"] = statuses
        return ReadOutcome(id_, outs)

    def update(
        self, id_: str, olds: Props, news: Props, options: CallOptions = NO_OPTIONS
    ) -> ExportWaitState:
        inputs = check_wait_inputs(news)[0]
        state = self.stored(olds)
        state["timeout_seconds"] = inputs.get("timeout_seconds")
        state["report_files"] = inputs.get("report_files")
        if inputs.get("report_files") is False:
            state["files"] = None
        elif state.get("files") is None:
            state["files"] = files_by_job(
                self.ctx, state.get("batch_ids") or {}, self.sandbox_of(state)
            )
        return state

    def delete(self, id_: str, props: Props) -> None:
        """Nothing to delete in AEP: the jobs belong to their own resources."""
