"""One ``POST /export/jobs``: what the ``ProfileExportJob`` resource does.

A job is a one-shot action, so every input that reaches AEP (and ``triggers``) forces a
replacement. Create is transactional: if the job fails, or the wait deadline passes, the job is
cancelled/deleted in AEP before the error is raised, so nothing is left behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...aep.ids import job_id_text
from ...aep.statuses import STATUS_FAILED, STATUS_SUCCEEDED
from ...errors import (
    AepCancelled,
    AepClaimsError,
    AepError,
    AepJobFailedError,
    AepNotFoundError,
    AepPartialState,
    AepWaitTimeoutError,
)
from ..files import batch_files
from ..inputs import check_export_job_inputs
from ..resource import (
    NO_OPTIONS,
    CallOptions,
    CreateOutcome,
    DiffOutcome,
    Props,
    ReadOutcome,
    ResourceCore,
    in_place,
    replace_on,
)
from ..schema import EXPORT_JOB
from ..shapes import (
    EXPORT_JOB_INPUT_KEYS,
    ExportFileOutput,
    ExportJobInputs,
    ExportJobState,
    export_job_state,
)
from ..values import changed_keys, known
from ..waiter import WaitOutcome, wait_for_jobs
from .claim_keeper import keeper
from .claims import (
    ClaimedDataset,
    claim_job,
    claims_required,
    ensure_claims_writable,
    identity_of_owner_input,
    release_claim,
    request_fingerprint,
    verify_claim,
)
from .ending import (
    UnseenEnd,
    discard,
    judge_forgotten,
    judged_batches,
    settle_unclaimed,
    settle_unseen,
)
from .request import job_request
from .state import (
    MARK,
    UNTOLD,
    adoption_mark,
    describe_job_errors,
    filled_by_program,
    inputs_from_job,
    job_outputs,
    upgraded,
)
from .submit import look_before_submit, post

if TYPE_CHECKING:
    from ...aep.models import ExportJob

REPLACE_ON = replace_on(EXPORT_JOB)
UPDATE_IN_PLACE = in_place(EXPORT_JOB)
# The same keys, as the state's (an update copies them from the new inputs).
IN_PLACE_KEYS = tuple(k for k in EXPORT_JOB_INPUT_KEYS if k in UPDATE_IN_PLACE)


def _moved(old: Any, new: Any) -> bool:
    """Whether the dynamic door's ``owner`` input names another stack or project now (its
    organisation is not part of the identity)."""
    if not (isinstance(old, str) and old and isinstance(new, str) and new):
        return False
    return identity_of_owner_input(old) != identity_of_owner_input(new)


def _request_body(inputs: ExportJobInputs) -> dict[str, Any]:
    # Here, not at the top: the payloads are pydantic models, which a diff needs only to
    # check an adopted job against its claim.
    from ..payloads import export_job_request

    body: dict[str, Any] = export_job_request(inputs).to_api()
    return body


class ExportJobCore(ResourceCore[ExportJobInputs, ExportJobState]):
    """Submits AEP profile export jobs and (by default) waits for them to finish."""

    kind = "ProfileExportJob"
    validate = staticmethod(check_export_job_inputs)
    stored = staticmethod(export_job_state)

    def diff(self, olds: Props, news: Props) -> DiffOutcome:
        inputs, state = self.new_inputs(news), upgraded(self.stored(olds))
        self._held(state)
        replaces = changed_keys(state, inputs, REPLACE_ON)
        updates = changed_keys(state, inputs, UPDATE_IN_PLACE)
        filled = filled_by_program(state, inputs, replaces, _request_body, self.ctx.log.warn)
        if filled:
            replaces, updates = [], [*updates, *filled]
        if state.get("status") == STATUS_FAILED:
            # A job that failed (seen on refresh) is re-run on the next `up`.
            replaces.append("status")
        if not replaces and _moved(state.get("owner"), inputs.get("owner")):
            # A renamed stack or project: the claim moves with it (see update).
            updates.append("owner")
        return DiffOutcome(replaces=replaces, updates=updates)

    def _held(self, state: ExportJobState, job_id: Any = None) -> None:
        """Note that a state holds this job (and its batches), as diff and read see it."""
        job_id = job_id_text(state.get("job_id") if job_id is None else job_id)
        if job_id is not None:
            self.ctx.held.add(self.sandbox_of(state), int(job_id), judged_batches(state))

    def _state(
        self,
        inputs: ExportJobInputs | ExportJobState,
        job: ExportJob,
        files: list[ExportFileOutput] | None = None,
    ) -> ExportJobState:
        outs: ExportJobState = {}
        for key in EXPORT_JOB_INPUT_KEYS:
            outs[key] = inputs.get(key)
        outs["sandbox_name"] = self.ctx.effective_sandbox(inputs)
        outs.update(job_outputs(job))
        outs["files"] = files
        return outs

    def _files(self, job: ExportJob, sandbox: str, wanted: Any) -> list[ExportFileOutput] | None:
        """The export's files once it SUCCEEDED, unless turned off."""
        if wanted is False or job.status != STATUS_SUCCEEDED:
            return None
        batch_ids = [job.batch_id, *(x.batch_id for x in job.destination.batches)]
        return batch_files(self.ctx, batch_ids, sandbox, what=f"export job {job.id}")

    def _wait(self, job: ExportJob, sandbox: str, timeout: float) -> WaitOutcome:
        self.ctx.log.info(
            f"waiting up to {timeout:g}s for export job {job.id} (batch {job.batch_id})"
        )
        return wait_for_jobs(self.ctx, [job], sandbox=sandbox, timeout=timeout)

    def _kept_running(self, inputs: ExportJobInputs, job: ExportJob, why: str) -> AepPartialState:
        """A wait the engine ended (a Cancel, its own timeout): the export runs on in AEP and
        the stack holds the job (a front door that records partial state returns it)."""
        return AepPartialState(
            f"{why}; export job {job.id} runs on in AEP and the stack holds it: the next "
            "`pulumi up` waits for it",
            object_id=str(job.id),
            state=self._state(inputs, job),
        )

    def _submit(self, inputs: ExportJobInputs, sandbox: str, owner: str) -> ExportJob:
        """POST the job once, unless an earlier run left this very job (:mod:`.submit`); a
        lost answer is resolved by looking (:mod:`.lost_answer`), never by submitting again.
        The job is claimed on its dataset (written and read back) before this returns."""
        request = job_request(inputs, sandbox, owner)
        adopted = look_before_submit(self.ctx, request)
        if adopted is not None:
            return adopted
        dataset = ClaimedDataset(sandbox, request.dataset_id)
        if dataset not in self.ctx.fresh_datasets:
            ensure_claims_writable(self.ctx, dataset)
        job, searched = post(self.ctx, request)
        self.ctx.jobs.claim(sandbox, job.id)
        if searched:
            return job  # the lost-answer search claimed the job it adopted
        if not inputs["wait_for_completion"] and claims_required(self.ctx):
            # The create returns now and the state holds the job: its claim rides along with
            # the other creates' in the background, read back and looked at again there.
            keeper(self.ctx).queue(dataset, job.id, owner, request.fingerprint)
            return job
        try:
            claim_job(self.ctx, dataset, job.id, owner, request.fingerprint)
        except AepClaimsError as exc:
            return settle_unclaimed(self.ctx, self._end(inputs, sandbox), job, exc)
        return job

    def _end(self, inputs: ExportJobInputs, sandbox: str) -> UnseenEnd:
        return UnseenEnd(sandbox, str(inputs["dataset_id"]), lambda job: self._state(inputs, job))

    def create(
        self, props: Props, options: CallOptions = NO_OPTIONS
    ) -> CreateOutcome[ExportJobState]:
        inputs = self.valid_inputs(props)
        if options.owner:
            inputs["owner"] = options.owner
        owner = options.owner or identity_of_owner_input(str(inputs.get("owner") or ""))
        sandbox = self.sandbox_of(inputs)
        job = self._submit(inputs, sandbox, owner)
        if not inputs["wait_for_completion"]:
            self.ctx.log.info(f"export job {job.id} submitted (batch {job.batch_id}); not waiting")
            return CreateOutcome(str(job.id), self._state(inputs, job))
        self.ctx.log.info(f"export job {job.id} submitted (batch {job.batch_id})")
        own_limit = float(known(inputs["wait_timeout_seconds"]))
        engine_limit = options.timeout if self.ctx.partial_state and options.timeout else None
        try:
            outcome = self._wait(job, sandbox, min(own_limit, engine_limit or own_limit))
        except AepCancelled:
            if self.ctx.partial_state:
                raise self._kept_running(inputs, job, "cancelled") from None
            raise
        except AepError as exc:
            final = settle_unseen(
                self.ctx, self._end(inputs, sandbox), job, f"while waiting: {exc}"
            )
            return self._succeeded(inputs, final, sandbox, owner)
        final = outcome.jobs[job.id]
        if outcome.timed_out and engine_limit is not None and engine_limit < own_limit:
            raise self._kept_running(
                inputs, final, f"the create timed out after {engine_limit:g}s (customTimeouts)"
            )
        if job.id in outcome.missing:
            final = settle_unseen(
                self.ctx,
                self._end(inputs, sandbox),
                final,
                f"export job {job.id} disappeared from AEP while it was {final.status}",
            )
        elif final.status == STATUS_FAILED:
            cleanup = discard(self.ctx, job.id, sandbox, str(inputs["dataset_id"]))
            raise AepJobFailedError(
                f"export job {job.id} FAILED: {describe_job_errors(final)}; {cleanup}",
                request_id=final.request_id,
            )
        elif outcome.timed_out:
            final = settle_unseen(
                self.ctx,
                self._end(inputs, sandbox),
                final,
                f"export job {job.id} was still {final.status} after wait_timeout_seconds="
                f"{inputs['wait_timeout_seconds']}",
                ". Raise wait_timeout_seconds, or set wait_for_completion=false to return as "
                "soon as the job is submitted",
            )
        return self._succeeded(inputs, final, sandbox, owner)

    def _succeeded(
        self, inputs: ExportJobInputs, final: ExportJob, sandbox: str, owner: str
    ) -> CreateOutcome[ExportJobState]:
        """A job seen SUCCEEDED: its claim read once more (another writer may have undone it)
        and its files reported."""
        try:
            keeper(self.ctx).settle()
            request = request_fingerprint(_request_body(inputs), inputs.get("triggers"))
            dataset = ClaimedDataset(sandbox, str(inputs["dataset_id"]))
            verify_claim(self.ctx, dataset, final.id, owner, request)
        except AepClaimsError as exc:
            # The export happened and the state will hold it: failing now would only make the
            # next `up` export it again.
            self.ctx.log.warn(f"{exc.message}; export job {final.id} SUCCEEDED and is kept")
        self.ctx.log.info(f"export job {final.id} SUCCEEDED (batch {final.batch_id})")
        files = self._files(final, sandbox, inputs.get("report_files"))
        return CreateOutcome(str(final.id), self._state(inputs, final, files))

    def read(self, id_: str, props: Props) -> ReadOutcome[ExportJobState]:
        sandbox = self.sandbox_of(props)
        stored = self.stored(props)
        self._held(stored, id_)
        try:
            job = self.ctx.client().get_export_job(id_, sandbox=sandbox)
        except AepNotFoundError:
            return judge_forgotten(self.ctx, id_, stored, sandbox)
        if stored.get("dataset_id") is None:  # adopting: `.get()` gives only the id
            # What the record tells, with the defaults a program that omits the rest gets.
            inputs, _ = check_export_job_inputs(inputs_from_job(job))
            inputs["sandbox_name"] = sandbox
            files = self._files(job, sandbox, True)
            state = self._state(inputs, job, files)
            dataset_id = job.dataset_id
            mark = adoption_mark(self.ctx, sandbox, dataset_id, job.id) if dataset_id else ""
            if any(inputs.get(k) is None for k in UNTOLD):
                state[MARK] = mark
            return ReadOutcome(id_, state, inputs)
        # Refresh keeps the files already reported; a job that has just finished gets them.
        files = stored.get("files")
        if files is None and stored.get("status") != STATUS_SUCCEEDED:
            files = self._files(job, sandbox, stored.get("report_files"))
        state = self._state(stored, job, files)
        if MARK in stored:  # still an adoption until the program fills it in (update)
            state[MARK] = stored[MARK]
        return ReadOutcome(id_, state)

    def update(
        self, id_: str, olds: Props, news: Props, options: CallOptions = NO_OPTIONS
    ) -> ExportJobState:
        inputs, sandbox = self.updating(olds, news)
        old = self.stored(olds)
        state = old.copy()
        for key in IN_PLACE_KEYS:
            state[key] = inputs.get(key)
        if _moved(old.get("owner"), inputs.get("owner")):
            self._move_claim(id_, old, str(inputs["owner"]), sandbox)
            state["owner"] = inputs["owner"]
        if state.pop(MARK, None) is not None:
            # An adopted job: the program fills what its record did not tell (see diff).
            for key in UNTOLD:
                if old.get(key) is None:
                    state[key] = inputs.get(key)
        client = self.ctx.client
        if not inputs["report_files"]:
            state["files"] = None
        elif old.get("status") == STATUS_SUCCEEDED and old.get("files") is None:
            job = client().get_export_job(id_, sandbox=sandbox)
            state["files"] = self._files(job, sandbox, True)
        if inputs["wait_for_completion"] and old.get("status") not in (
            STATUS_SUCCEEDED,
            STATUS_FAILED,
        ):
            engine_limit = options.timeout if self.ctx.partial_state and options.timeout else None
            try:
                state.update(self._finish_waiting(id_, sandbox, inputs, state, engine_limit))
            except AepCancelled:
                if not self.ctx.partial_state:
                    raise
                raise AepPartialState(
                    f"cancelled; export job {id_} runs on in AEP and the stack holds it",
                    object_id=id_,
                    state=state,
                ) from None
        return state

    def _move_claim(self, id_: str, olds: ExportJobState, owner: str, sandbox: str) -> None:
        """Claim the job under the stack's new name: a new stack that takes the old name must
        not find the job claimed as its own."""
        request = olds.get(MARK) or request_fingerprint(
            _request_body(check_export_job_inputs(olds)[0]), olds.get("triggers")
        )
        dataset_id = olds.get("dataset_id")
        if isinstance(dataset_id, str) and dataset_id and job_id_text(id_) is not None:
            claim_job(
                self.ctx,
                ClaimedDataset(sandbox, dataset_id),
                int(id_),
                identity_of_owner_input(owner),
                str(request),
            )
            self.ctx.log.info(
                f"export job {id_}'s claim now names {identity_of_owner_input(owner)}"
            )

    def _finish_waiting(
        self,
        id_: str,
        sandbox: str,
        inputs: ExportJobInputs,
        state: ExportJobState,
        engine_limit: float | None,
    ) -> ExportJobState:
        """An update that turns waiting on for a job still running (or one a cancelled or
        timed-out create left): wait for it now, within the engine's update timeout too."""
        try:
            job = self.ctx.client().get_export_job(id_, sandbox=sandbox)
        except AepNotFoundError as exc:
            raise exc.with_message(
                f"{exc.message}; `pulumi refresh` will judge it by its batch"
            ) from None
        own_limit = float(known(inputs["wait_timeout_seconds"]))
        outcome = self._wait(job, sandbox, min(own_limit, engine_limit or own_limit))
        final = outcome.jobs[job.id]
        if outcome.timed_out and engine_limit is not None and engine_limit < own_limit:
            raise AepPartialState(
                f"the update timed out after {engine_limit:g}s (customTimeouts); export job "
                f"{id_} runs on in AEP and the stack holds it: the next `pulumi up` waits for it",
                object_id=id_,
                state={**state, **job_outputs(final)},
            )
        if job.id in outcome.missing:
            raise AepNotFoundError(
                f"export job {id_} disappeared from AEP while it was {final.status}; "
                "`pulumi refresh` will judge it by its batch",
                operation="wait for export job",
            )
        if final.status == STATUS_FAILED:
            raise AepJobFailedError(
                f"export job {id_} FAILED: {describe_job_errors(final)}; it will be replaced on "
                "the next `pulumi up --refresh`",
            )
        if outcome.timed_out:
            raise AepWaitTimeoutError(
                f"export job {id_} was still {final.status} after {inputs['wait_timeout_seconds']}s",
            )
        finished = job_outputs(final)
        finished["files"] = self._files(final, sandbox, inputs.get("report_files"))
        return finished

    def delete(self, id_: str, props: Props) -> None:
        # Cancels a running job, deletes a finished one's record; 404 means already gone.
        sandbox = self.sandbox_of(props)
        self.ctx.client().cancel_export_job(id_, sandbox=sandbox)
        dataset_id = self.stored(props).get("dataset_id")
        if isinstance(dataset_id, str) and dataset_id and job_id_text(id_) is not None:
            release_claim(self.ctx, ClaimedDataset(sandbox, dataset_id), int(id_))
