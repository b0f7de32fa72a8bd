"""Reconciling creates whose answer was lost, so that nothing is duplicated or orphaned.

When a ``POST`` may have taken effect (no answer, a 5xx after the body was sent, an unreadable
2xx) the client raises instead of retrying. Here the provider finds out what happened:

* datasets carry a one-off tag (``aep-pulumi/createToken: <uuid>``) looked up through Catalog's
  ``tags`` filter;
* export jobs are looked up among the jobs created since just before the call (by AEP's clock),
  paging back as far as that takes, compared with the request on whatever each record carries
  (:mod:`aep_pulumi.job_match`). Jobs this provider process already owns are never candidates.
  Two or more candidates: nothing is adopted and nothing is submitted again (an error lists
  them).

Found: the object is adopted and the create goes on. Not found after a few lookups spread over
about twice the HTTP timeout (a slow server may still be working on it): the create is tried once
more; if that is lost too, the error says that nothing was created.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import AepError, AepOwnershipError
from .context import Context
from .job_match import Verdict, compare_job

if TYPE_CHECKING:
    from ..aep.client import AepClient
    from ..aep.models import ExportJob

CREATE_TOKEN_TAG = "aep-pulumi/createToken"
T = TypeVar("T")


def lookup_delays(http_timeout: float) -> list[float]:
    """Pauses before each lookup: at once, then spread over ~1.75 x the HTTP timeout."""
    return [0.0, http_timeout / 4, http_timeout / 2, http_timeout]


def find_with_delays(
    find: Callable[[], T | None], delays: list[float], sleep: Callable[[float], None] = time.sleep
) -> T | None:
    for delay in delays:
        if delay:
            sleep(delay)
        found = find()
        if found is not None:
            return found
    return None


def create_or_adopt(
    ctx: Context,
    what: str,
    attempt: Callable[[], T],
    find: Callable[[], T | None],
    delays: list[float],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``attempt``; on a maybe-applied failure adopt what ``find`` finds, else retry once."""
    for tries_left in (1, 0):
        try:
            return attempt()
        except AepError as exc:
            if not exc.maybe_applied:
                raise
            try:
                found = find_with_delays(find, delays, sleep)
            except AepOwnershipError as ambiguous:
                raise ambiguous.with_message(f"{exc.message}; {ambiguous.message}") from None
            except AepError as lookup_error:
                raise exc.with_message(
                    f"{exc.message}; checking whether the {what} was created failed too "
                    f"({lookup_error}); it may exist in AEP"
                ) from None
            if found is not None:
                ctx.log.warn(
                    f"{exc.operation or what}: {exc.message}; the {what} was created all the same and is adopted"
                )
                return found
            if not tries_left:
                raise exc.with_message(
                    f"{exc.message}; AEP shows no {what} from this request, so nothing was created"
                ) from None
            ctx.log.warn(
                f"{exc.operation or what}: {exc.message}; AEP shows no {what} from it, trying once more"
            )
    raise AssertionError("unreachable")


def find_dataset_by_token(client: AepClient, token: str, sandbox: str) -> str | None:
    found = client.list_datasets(sandbox=sandbox, tags=f"{CREATE_TOKEN_TAG}:{token}")
    matching = [k for k, v in found.items() if token in (v.tags or {}).get(CREATE_TOKEN_TAG, [])]
    return sorted(matching)[0] if matching else None


# A listing search stops here (100 jobs a page): far more jobs than minutes of AEP's history.
MAX_SEARCH_PAGES = 200


def jobs_since(client: AepClient, sandbox: str, since_ms: int) -> Iterator[ExportJob]:
    """The sandbox's jobs created at or after ``since_ms``, newest first, across pages."""
    for job in client.iter_export_jobs(sandbox=sandbox, limit=100, max_pages=MAX_SEARCH_PAGES):
        if job.creation_time is not None and job.creation_time < since_ms:
            return
        yield job


def _record(job: ExportJob) -> dict[str, Any]:
    return job.model_dump(by_alias=True, mode="json", exclude_none=True)


def find_submitted_job(
    client: AepClient,
    body: Mapping[str, Any],
    sandbox: str,
    since_ms: int,
    *,
    exclude: set[int] | None = None,
    others_in_flight: bool = False,
) -> ExportJob | None:
    """The one job created at or after ``since_ms`` that could be this request's.

    Pages through the listing (newest first) back to ``since_ms``. Jobs in ``exclude`` (those
    this process already owns) are skipped. When several jobs could be ours, raises
    :class:`AepOwnershipError` listing them: adopting the wrong one would give this resource
    another export's batch. While ``others_in_flight`` (other creates to the same dataset whose
    answers have not come back), a lone candidate is adopted only if its record shows every key
    of the request.
    """
    exclude = exclude or set()
    candidates: list[tuple[ExportJob, str]] = []
    certain = False
    for job in jobs_since(client, sandbox, since_ms):
        if job.id in exclude:
            continue
        verdict, reason = compare_job(_record(job), body)
        if verdict is not Verdict.DIFFERENT:
            candidates.append((job, reason))
            certain = verdict is Verdict.SAME
    if len(candidates) == 1 and others_in_flight and not certain:
        job, reason = candidates[0]
        raise AepOwnershipError(
            f"export job {job.id} ({reason}) could be its result, but so could the answer of "
            "another create to the same dataset that has not come back yet. It was not adopted "
            "and the request was not submitted again; keep it with "
            "`ProfileExportJob.get(name, id)` if it is this export's, or cancel it",
            operation="create export job",
        )
    if len(candidates) > 1:
        listed = ", ".join(f"{job.id} ({reason})" for job, reason in candidates)
        raise AepOwnershipError(
            f"{len(candidates)} export jobs created since the request could be its result: "
            f"{listed}. None was adopted and the request was not submitted again; keep the right "
            "one with `ProfileExportJob.get(name, id)` and cancel the others "
            "(DELETE /data/core/ups/export/jobs/{id})",
            operation="create export job",
        )
    return candidates[0][0] if candidates else None


# How far back to look for a job left running by an interrupted `up` (the listing's `status`
# filter cannot ask for PROCESSING: the spec allows NEW, SUCCEEDED and FAILED only).
UNFINISHED_HORIZON_MS = 24 * 3600 * 1000


def warn_about_unfinished_twins(
    ctx: Context, body: Mapping[str, Any], sandbox: str, *, exclude: set[int]
) -> list[int]:
    """Warn about unfinished jobs that could be an earlier, interrupted run of this request.

    They are not adopted: a replacement forced by ``triggers`` must start a new job. Returns
    their ids. A failed lookup only costs the warning.
    """
    dataset_id = str((body.get("destination") or {}).get("datasetId") or "")
    if (sandbox, dataset_id) in ctx.fresh_datasets:
        return []
    client = ctx.client()

    def unfinished_jobs() -> list[ExportJob]:
        horizon = client.server_now_ms() - UNFINISHED_HORIZON_MS
        return [job for job in jobs_since(client, sandbox, horizon) if not job.is_terminal]

    try:
        unfinished = ctx.unfinished.get(sandbox, unfinished_jobs)
    except AepError as exc:
        ctx.log.warn(f"could not look for unfinished export jobs left by an interrupted run: {exc}")
        return []
    twins = [
        job
        for job in unfinished
        if job.id not in exclude and compare_job(_record(job), body)[0] is not Verdict.DIFFERENT
    ]
    if twins:
        ids = ", ".join(f"{job.id} ({job.status})" for job in twins)
        ctx.log.warn(
            f"export job(s) {ids} on dataset {twins[0].dataset_id} could be this export, left "
            "running by an interrupted `pulumi up` (the state does not know them). A new job is "
            "submitted all the same. If they are not wanted, cancel them: "
            "DELETE /data/core/ups/export/jobs/<id> (what `pulumi destroy` does)"
        )
    return [job.id for job in twins]
