"""``ProfileExportJobProvider``: one ``POST /export/jobs`` as a Pulumi dynamic resource.

A job is a one-shot action, so every input that reaches AEP (and ``triggers``) forces a
replacement. Create is transactional: if the job fails, or the wait deadline passes, the job is
cancelled/deleted in AEP before the error is raised, so nothing is left behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from ..errors import AepError, AepJobFailedError, AepNotFoundError, AepWaitTimeoutError
from ..inputs import JOB_API_INPUTS, JOB_INPUTS, check_export_job_inputs
from ..status import STATUS_FAILED, STATUS_SUCCEEDED
from .base import (
    AepProviderBase,
    changed_keys,
    log_info,
    log_warn,
    surface_errors,
)

if TYPE_CHECKING:
    from ..client import AepClient
    from ..models import ExportJob
    from ..waiter import PollSchedule, WaitOutcome

# How far before the POST a lost job's creationTime may lie: AEP's clock, as estimated from the
# `Date` header (one-second resolution), or ours when no header was seen yet.
RECONCILE_SKEW_MS = 2_000
RECONCILE_SKEW_UNKNOWN_CLOCK_MS = 10_000
# Catalog batch statuses that mean the export's data is there.
BATCH_DONE = frozenset({"success", "active"})
BATCH_GONE = frozenset({"failed", "aborted", "abandoned", "inactive", "deleted"})
REPLACE_ON = (*JOB_API_INPUTS, "triggers", "sandbox_name")
UPDATE_IN_PLACE = ("wait_for_completion", "wait_timeout_seconds", "report_files")


def describe_job_errors(job: ExportJob) -> str:
    """AEP's error codes and messages of a failed job, in one line."""
    if not job.errors:
        return "AEP gave no error details"
    return "; ".join(f"[{e.code or 'no code'}] {e.msg or 'no message'}" for e in job.errors)


def job_outputs(job: ExportJob) -> dict[str, Any]:
    """The state properties AEP decides (JSON-friendly: no models, no datetimes)."""
    return {
        "job_id": job.id,
        "status": job.status,
        "batch_id": job.batch_id,
        "batches": [
            {
                "segment_id": b.segment_id,
                "segment_ns": b.segment_ns,
                "status": b.status,
                "batch_id": b.batch_id,
            }
            for b in job.destination.batches
        ],
        "errors": [{"code": e.code, "msg": e.msg} for e in job.errors],
        "metrics": job.metrics,
        "creation_time": job.creation_time,
        "update_time": job.update_time,
        "request_id": job.request_id,
        "profile_instance_id": job.profile_instance_id,
        "job_type": job.job_type,
    }


def inputs_from_job(job: ExportJob) -> dict[str, Any]:
    """Inputs that would recreate ``job``: used when adopting an existing job by id."""
    api_filter = job.filter or {}
    event_list = (job.additional_fields or {}).get("eventList")
    segments = api_filter.get("segments")
    qual = api_filter.get("segmentQualificationTime") or {}
    merge_policy = job.merge_policy or None
    inputs: dict[str, Any] = {
        "dataset_id": job.dataset_id,
        "schema_name": (job.schema_ or {}).get("name"),
        "fields": [f.strip() for f in job.fields.split(",") if f.strip()] if job.fields else None,
        "merge_policy": {k: v for k, v in merge_policy.items() if k in ("id", "version")}
        if merge_policy
        else None,
        "event_list": {
            k: v
            for k, v in {
                "fields": [f for f in (event_list.get("fields") or "").split(",") if f] or None,
                "from_ingest_timestamp": (event_list.get("filter") or {}).get(
                    "fromIngestTimestamp"
                ),
            }.items()
            if v is not None
        }
        if isinstance(event_list, Mapping)
        else None,
        "segments": [
            {
                k: v
                for k, v in {
                    "segment_id": s.get("segmentId"),
                    "segment_ns": s.get("segmentNs"),
                    "status": s.get("status"),
                }.items()
                if v is not None
            }
            for s in segments
            if isinstance(s, Mapping)
        ]
        if isinstance(segments, list) and segments
        else None,
        "segment_qualification_time": {
            k: v
            for k, v in {
                "start_time": qual.get("startTime"),
                "end_time": qual.get("endTime"),
            }.items()
            if v is not None
        }
        or None,
        "from_ingest_timestamp": api_filter.get("fromIngestTimestamp"),
        "empty_profiles": api_filter.get("emptyProfiles"),
        "segment_per_batch": bool(job.destination.segment_per_batch),
    }
    return {k: v for k, v in inputs.items() if v is not None}


class ProfileExportJobProvider(AepProviderBase):
    """Submits AEP profile export jobs and (by default) waits for them to finish."""

    validate = staticmethod(check_export_job_inputs)
    kind = "ProfileExportJob"

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        inputs = self.new_inputs(news)
        if olds.get("report_files") is None:
            # State written before `report_files` existed reported no files: its default.
            olds = {**olds, "report_files": True}
        replaces = changed_keys(olds, inputs, REPLACE_ON)
        if olds.get("status") == STATUS_FAILED:
            # A job that failed (seen on refresh) is re-run on the next `up`.
            replaces.append("status")
        updates = changed_keys(olds, inputs, UPDATE_IN_PLACE)
        return DiffResult(
            changes=bool(replaces or updates), replaces=replaces, delete_before_replace=False
        )

    def schedule(self) -> PollSchedule:
        from ..waiter import PollSchedule

        settings = self.settings()
        return PollSchedule(
            initial=settings.poll_initial_interval, maximum=settings.poll_max_interval
        )

    def _state(
        self, inputs: Mapping[str, Any], job: ExportJob, files: Any = None
    ) -> dict[str, Any]:
        outs: dict[str, Any] = {key: inputs.get(key) for key in JOB_INPUTS}
        outs["sandbox_name"] = self.effective_sandbox(inputs)
        outs.update(job_outputs(job))
        outs["files"] = files
        return outs

    def _files(self, client: AepClient, job: ExportJob, sandbox: str, wanted: Any) -> Any:
        """The export's files (Data Access API) once it SUCCEEDED, unless turned off.

        One listing per batch and one per file. A failure only costs the output (and says so):
        the export itself happened.
        """
        if wanted is False or job.status != STATUS_SUCCEEDED:
            return None
        from ..exports import batch_files_output

        batch_ids = [job.batch_id, *(x.batch_id for x in job.destination.batches)]
        try:
            return batch_files_output(client, batch_ids, sandbox=sandbox)
        except AepError as exc:
            log_warn(f"export job {job.id} SUCCEEDED but its files could not be listed: {exc}")
            return None

    def _wait(self, client: AepClient, job: ExportJob, sandbox: str, timeout: float) -> WaitOutcome:
        log_info(
            f"export job {job.id} submitted (batch {job.batch_id}); waiting up to {timeout:g}s"
        )
        from ..waiter import wait_for_jobs

        return wait_for_jobs(
            client,
            [job],
            sandbox=sandbox,
            timeout=timeout,
            schedule=self.schedule(),
            progress=log_info,
            warn=log_warn,
        )

    def _discard(self, client: AepClient, job_id: int, sandbox: str) -> str:
        """Cancel/delete a job we will not keep; say what happened, for the error message."""
        try:
            client.cancel_export_job(job_id, sandbox=sandbox)
        except AepError as exc:
            return f"cancelling it failed too ({exc}); job {job_id} may still exist in AEP"
        return f"job {job_id} was cancelled and deleted in AEP"

    @surface_errors
    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.valid_inputs(props)
        sandbox = self.effective_sandbox(inputs)
        client = self.client()
        from ..payloads import export_job_request
        from .reconcile import (
            JOBS,
            create_or_adopt,
            find_submitted_job,
            lookup_delays,
            warn_about_unfinished_twins,
        )

        body = export_job_request(inputs)
        api_body = body.to_api()
        dataset_id = str(inputs["dataset_id"])
        warn_about_unfinished_twins(client, api_body, sandbox, exclude=JOBS.claimed(sandbox))
        skew = (
            RECONCILE_SKEW_MS
            if client.server_clock_offset_ms is not None
            else RECONCILE_SKEW_UNKNOWN_CLOCK_MS
        )
        # Jobs created since just before this call (by AEP's clock) can be this request's, if
        # its answer is lost.
        since_ms = client.server_now_ms() - skew

        def submit() -> ExportJob:
            with JOBS.submitting(sandbox, dataset_id):
                return client.create_export_job(body, sandbox=sandbox)

        def find() -> ExportJob | None:
            settled = JOBS.wait_for_other_submits(
                sandbox, dataset_id, client.settings.http_timeout + 5
            )
            return find_submitted_job(
                client,
                api_body,
                sandbox,
                since_ms,
                exclude=JOBS.claimed(sandbox),
                others_in_flight=not settled,
            )

        job = create_or_adopt(
            "export job", submit, find, lookup_delays(client.settings.http_timeout)
        )
        JOBS.claim(sandbox, job.id)
        if not inputs["wait_for_completion"]:
            log_info(f"export job {job.id} submitted (batch {job.batch_id}); not waiting")
            return CreateResult(str(job.id), self._state(inputs, job))
        try:
            outcome = self._wait(client, job, sandbox, float(inputs["wait_timeout_seconds"]))
        except AepError as exc:
            cleanup = self._discard(client, job.id, sandbox)
            raise exc.with_message(
                f"{exc.message}; while waiting for export job {job.id}, {cleanup}"
            ) from None
        final = outcome.jobs[job.id]
        if job.id in outcome.missing:
            raise AepNotFoundError(
                f"export job {job.id} disappeared from AEP while it was {final.status}",
                operation="wait for export job",
            )
        if final.status == STATUS_FAILED:
            cleanup = self._discard(client, job.id, sandbox)
            raise AepJobFailedError(
                f"export job {job.id} FAILED: {describe_job_errors(final)}; {cleanup}",
                request_id=final.request_id,
            )
        if outcome.timed_out:
            cleanup = self._discard(client, job.id, sandbox)
            raise AepWaitTimeoutError(
                f"export job {job.id} was still {final.status} after wait_timeout_seconds="
                f"{inputs['wait_timeout_seconds']}; {cleanup}. Raise wait_timeout_seconds, or set "
                "wait_for_completion=false to return as soon as the job is submitted"
            )
        log_info(f"export job {job.id} SUCCEEDED (batch {final.batch_id})")
        files = self._files(client, final, sandbox, inputs.get("report_files"))
        return CreateResult(str(job.id), self._state(inputs, final, files))

    def _judge_forgotten(self, id_: str, props: dict[str, Any], sandbox: str) -> ReadResult:
        """AEP no longer knows the job: its batches say whether the export happened."""
        recorded = [props.get("batch_id")] + [
            b.get("batch_id") for b in props.get("batches") or [] if isinstance(b, Mapping)
        ]
        batch_ids = [b for b in recorded if isinstance(b, str) and b]
        if not batch_ids:
            return ReadResult("", {})
        client = self.client()
        statuses = []
        for batch_id in batch_ids:
            try:
                statuses.append(str(client.get_batch(batch_id, sandbox=sandbox).get("status")))
            except AepNotFoundError:
                statuses.append("missing")
        kept = {k: v for k, v in props.items() if not k.startswith("__")}
        if all(s.lower() in BATCH_DONE for s in statuses):
            # The export happened; AEP merely forgot the job record.
            kept["status"] = STATUS_SUCCEEDED
            return ReadResult(id_, kept)
        if any(s.lower() in BATCH_GONE or s == "missing" for s in statuses):
            return ReadResult("", {})
        log_warn(
            f"export job {id_} is no longer known to AEP and its batch is still "
            f"{', '.join(sorted(set(statuses)))}; keeping it until the batch ends"
        )
        kept["status"] = "PROCESSING"
        return ReadResult(id_, kept)

    @surface_errors
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        sandbox = self.effective_sandbox(props)
        try:
            job = self.client().get_export_job(id_, sandbox=sandbox)
        except AepNotFoundError:
            return self._judge_forgotten(id_, props, sandbox)
        adopting = props.get("dataset_id") is None
        if adopting:
            inputs = inputs_from_job(job)
            inputs["sandbox_name"] = sandbox
            inputs["wait_for_completion"] = True
            files = self._files(self.client(), job, sandbox, True)
            return ReadResult(id_, self._state(inputs, job, files), inputs)
        # Refresh keeps the files already reported; a job that has just finished gets them.
        files = props.get("files")
        if files is None and props.get("status") != STATUS_SUCCEEDED:
            files = self._files(self.client(), job, sandbox, props.get("report_files"))
        return ReadResult(id_, self._state(props, job, files))

    @surface_errors
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.valid_inputs(news)
        sandbox = self.effective_sandbox(olds)
        state = {k: v for k, v in olds.items() if not k.startswith("__")}
        state.update({k: inputs.get(k) for k in UPDATE_IN_PLACE})
        if not inputs["report_files"]:
            state["files"] = None
        elif olds.get("status") == STATUS_SUCCEEDED and olds.get("files") is None:
            client = self.client()
            job = client.get_export_job(id_, sandbox=sandbox)
            state["files"] = self._files(client, job, sandbox, True)
        if inputs["wait_for_completion"] and olds.get("status") not in (
            STATUS_SUCCEEDED,
            STATUS_FAILED,
        ):
            client = self.client()
            try:
                job = client.get_export_job(id_, sandbox=sandbox)
            except AepNotFoundError as exc:
                raise exc.with_message(
                    f"{exc.message}; `pulumi refresh` will judge it by its batch"
                ) from None
            outcome = self._wait(client, job, sandbox, float(inputs["wait_timeout_seconds"]))
            final = outcome.jobs[job.id]
            if job.id in outcome.missing:
                raise AepNotFoundError(
                    f"export job {id_} disappeared from AEP while it was {final.status}; "
                    "`pulumi refresh` will judge it by its batch",
                    operation="wait for export job",
                )
            state.update(job_outputs(final))
            state["files"] = self._files(client, final, sandbox, inputs.get("report_files"))
            if final.status == STATUS_FAILED:
                raise AepJobFailedError(
                    f"export job {id_} FAILED: {describe_job_errors(final)}; it will be replaced on "
                    "the next `pulumi up --refresh`",
                )
            if outcome.timed_out:
                raise AepWaitTimeoutError(
                    f"export job {id_} was still {final.status} after {inputs['wait_timeout_seconds']}s",
                )
        return UpdateResult(state)

    @surface_errors
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Cancels a running job, deletes a finished one's record; 404 means already gone.
        self.client().cancel_export_job(id_, sandbox=self.effective_sandbox(props))
