"""Reconciling creates whose answer was lost, so that nothing is duplicated or orphaned.

When a ``POST`` may have taken effect (no answer, a 5xx after the body was sent, an unreadable
2xx) the client raises instead of retrying. Here the provider finds out what happened:

* datasets carry a one-off tag (``aep-pulumi/createToken: <uuid>``) looked up through Catalog's
  ``tags`` filter;
* export jobs are looked up among the newest jobs of the sandbox: same destination dataset and
  the same request, created since just before the call.

Found: the object is adopted and the create goes on. Not found after a few lookups spread over
about twice the HTTP timeout (a slow server may still be working on it): the create is tried once
more; if that is lost too, the error says that nothing was created.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import AepError
from .base import log_warn

if TYPE_CHECKING:
    from ..client import AepClient
    from ..models import ExportJob

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
            except AepError as lookup_error:
                raise exc.with_message(
                    f"{exc.message}; checking whether the {what} was created failed too "
                    f"({lookup_error}); it may exist in AEP"
                ) from None
            if found is not None:
                log_warn(
                    f"{exc.operation or what}: {exc.message}; the {what} was created all the same and is adopted"
                )
                return found
            if not tries_left:
                raise exc.with_message(
                    f"{exc.message}; AEP shows no {what} from this request, so nothing was created"
                ) from None
            log_warn(
                f"{exc.operation or what}: {exc.message}; AEP shows no {what} from it, trying once more"
            )
    raise AssertionError("unreachable")


def find_dataset_by_token(client: AepClient, token: str, sandbox: str) -> str | None:
    found = client.list_datasets(sandbox=sandbox, tags=f"{CREATE_TOKEN_TAG}:{token}")
    matching = [k for k, v in found.items() if token in (v.tags or {}).get(CREATE_TOKEN_TAG, [])]
    return sorted(matching)[0] if matching else None


def _same_request(job: ExportJob, body: Mapping[str, Any]) -> bool:
    dest = body.get("destination") or {}
    if job.dataset_id != dest.get("datasetId"):
        return False
    record = job.model_dump(by_alias=True, mode="json")
    for key in ("fields", "filter", "additionalFields", "schema", "mergePolicy"):
        if key in body and record.get(key) != body[key]:
            return False
    return True


def find_submitted_job(
    client: AepClient, body: Mapping[str, Any], sandbox: str, since_ms: int, max_pages: int = 3
) -> ExportJob | None:
    """The newest job matching ``body`` created at or after ``since_ms``."""
    for job in client.iter_export_jobs(sandbox=sandbox, limit=20, max_pages=max_pages):
        if job.creation_time is not None and job.creation_time < since_ms:
            return None
        if _same_request(job, body):
            return job
    return None
