"""Jobs AEP forgot: a job record goes after a while, its Catalog batches stay. The batches say
whether the export happened."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..aep.statuses import BATCH_DONE, BATCH_GONE, STATUS_SUCCEEDED
from ..errors import AepNotFoundError
from .context import Context
from .results import GONE as GONE_OUTCOME
from .results import ReadOutcome
from .values import without_internal

DONE, GONE, RUNNING, UNKNOWN_BATCH = "done", "gone", "running", "unknown"


def judged_batches(state: Mapping[str, Any]) -> list[str]:
    """The batches a job's export is judged by: its per-segment batches when it has them (a
    ``segmentPerBatch`` job's top-level batch need not exist in Catalog), else its batch."""
    per_segment = [
        str(b["batch_id"])
        for b in state.get("batches") or []
        if isinstance(b, Mapping) and isinstance(b.get("batch_id"), str) and b.get("batch_id")
    ]
    top = state.get("batch_id")
    return per_segment or ([top] if isinstance(top, str) and top else [])


def batch_verdict(ctx: Context, sandbox: str, batch_ids: Iterable[str]) -> tuple[str, list[str]]:
    """``DONE`` when every batch holds its data, ``GONE`` when one never will (or does not
    exist), ``RUNNING`` otherwise, ``UNKNOWN_BATCH`` without batches; and their statuses."""
    wanted = list(batch_ids)
    if not wanted:
        return UNKNOWN_BATCH, []
    client = ctx.client()
    statuses = []
    for batch_id in wanted:
        try:
            statuses.append(str(client.get_batch(batch_id, sandbox=sandbox).get("status")).lower())
        except AepNotFoundError:
            statuses.append("missing")
    if all(s in BATCH_DONE for s in statuses):
        return DONE, statuses
    if any(s in BATCH_GONE or s == "missing" for s in statuses):
        return GONE, statuses
    return RUNNING, statuses


def judge_forgotten(ctx: Context, id_: str, props: Mapping[str, Any], sandbox: str) -> ReadOutcome:
    """A refresh of a job AEP no longer knows: its batches say whether the export happened."""
    verdict, statuses = batch_verdict(ctx, sandbox, judged_batches(props))
    if verdict in (GONE, UNKNOWN_BATCH):
        return GONE_OUTCOME
    kept = without_internal(props)
    if verdict == DONE:
        # The export happened; AEP merely forgot the job record.
        kept["status"] = STATUS_SUCCEEDED
        return ReadOutcome(id_, kept)
    ctx.log.warn(
        f"export job {id_} is no longer known to AEP and its batch is still "
        f"{', '.join(sorted(set(statuses)))}; keeping it until the batch ends"
    )
    kept["status"] = "PROCESSING"
    return ReadOutcome(id_, kept)
