"""One ``POST /export/jobs`` as a value, and whether an AEP job record could be its result.

:class:`JobRequest` is everything the exactly-once path needs to know of one request: where it
goes, what it sends, whose it is, what identifies it in claims (its fingerprint) and the
``x-request-id`` it goes out with (the one proof that a job whose answer was lost is its own).

AEP's job records do not necessarily echo the request: the guide's own create, GET and list
samples carry no ``fields``, ``filter`` or ``additionalFields``. So :func:`compare_job` compares a
record with the request on whatever it does carry:

* a key the record carries is compared; a key it carries that the request lacks is a mismatch
  (AEP does not invent ``fields``, ``filter`` or ``additionalFields``);
* a key the record omits is *unknown*: neither a match nor a mismatch;
* keys AEP fills in itself when the request leaves them out (``mergePolicy``, and ``version``
  inside it; ``segmentNs`` and ``status`` of a segment; ``segmentPerBatch``) count only when the
  request names them;
* the per-segment batches of a ``segmentPerBatch`` job name their segments, which must be the
  request's segments.

The verdict is ``DIFFERENT`` on any mismatch, ``SAME`` when every key was carried and equal, and
``POSSIBLE`` otherwise. Pure functions over plain dicts: no HTTP, no Pulumi.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...aep.wire import batch_list, destination_dataset_id
from ..shapes import ExportJobInputs
from ..values import normal
from .claim_tags import request_fingerprint

if TYPE_CHECKING:
    from ...aep.models import ExportJobRequest

# Keys AEP stores only when the request had them (and then, maybe, does not echo them).
ECHO_KEYS = ("fields", "filter", "additionalFields")


@dataclass(frozen=True)
class JobRequest:
    """One resource's ``POST /export/jobs``: where it goes, what it sends, whose it is."""

    sandbox: str
    dataset_id: str
    # The request body, as the client sends it and as AEP reads it (what job records are
    # compared with, and what the fingerprint digests).
    body: ExportJobRequest
    api_body: Mapping[str, Any]
    # Who claims the job (``<project>/<stack>/<resource>``) and what identifies the request in
    # claims (its body and ``triggers``).
    owner: str
    fingerprint: str
    # The `x-request-id` it goes out with ("" for a lost request recorded by 0.1.0).
    key: str


def job_request(inputs: ExportJobInputs, sandbox: str, owner: str) -> JobRequest:
    """The request for normalised job inputs, with a fresh ``x-request-id``."""
    # Here, not at the top: the payloads are pydantic models, which check and diff never need.
    from ..payloads import export_job_request

    body = export_job_request(inputs)
    api_body = body.to_api()
    return JobRequest(
        sandbox=sandbox,
        dataset_id=str(inputs["dataset_id"]),
        body=body,
        api_body=api_body,
        owner=owner,
        fingerprint=request_fingerprint(api_body, inputs.get("triggers")),
        key=uuid.uuid4().hex,
    )


class Verdict(enum.Enum):
    """How a job record relates to a request."""

    SAME = "same"
    POSSIBLE = "possible"
    DIFFERENT = "different"


class _Tally:
    def __init__(self) -> None:
        self.mismatch: list[str] = []
        self.unknown: list[str] = []

    def compare(self, where: str, carried: Any, wanted: Any) -> None:
        if carried is None:
            self.unknown.append(where)
        elif normal(carried, comma_lists=True) != normal(wanted, comma_lists=True):
            self.mismatch.append(where)


def _segments_as_requested(
    carried: list[Any], requested: list[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The carried segments, without the defaults AEP adds to those the request left out."""
    out = []
    for i, seg in enumerate(carried):
        if not isinstance(seg, Mapping):
            out.append(seg)
            continue
        asked = requested[i] if i < len(requested) else {}
        out.append({k: v for k, v in seg.items() if k == "segmentId" or k in asked})
    return out


def compare_job(record: Mapping[str, Any], request: Mapping[str, Any]) -> tuple[Verdict, str]:
    """The verdict, and a short reason (which keys differed or were not carried)."""
    tally = _Tally()
    dest = record.get("destination") or {}
    wanted_dest = request.get("destination") or {}
    tally.compare(
        "destination.datasetId",
        destination_dataset_id(dest),
        wanted_dest.get("datasetId"),
    )
    tally.compare(
        "destination.segmentPerBatch",
        dest.get("segmentPerBatch"),
        bool(wanted_dest.get("segmentPerBatch", False)),
    )
    tally.compare("schema.name", (record.get("schema") or {}).get("name"), _schema_name(request))

    wanted_mp = request.get("mergePolicy")
    if wanted_mp:
        carried_mp = record.get("mergePolicy")
        if isinstance(carried_mp, Mapping):
            tally.compare("mergePolicy.id", carried_mp.get("id"), wanted_mp.get("id"))
            if wanted_mp.get("version") is not None:
                tally.compare(
                    "mergePolicy.version", carried_mp.get("version"), wanted_mp.get("version")
                )
        else:
            tally.unknown.append("mergePolicy")

    wanted_segments = ((request.get("filter") or {}).get("segments")) or []
    for key in ECHO_KEYS:
        carried = record.get(key)
        wanted = request.get(key)
        if carried is None:
            tally.unknown.append(key)
            continue
        if key == "filter" and isinstance(carried, Mapping):
            carried = dict(carried)
            if isinstance(carried.get("segments"), list):
                carried["segments"] = _segments_as_requested(carried["segments"], wanted_segments)
        tally.compare(key, carried, wanted if wanted is not None else {"<absent>": True})

    batch_segments = {
        b.get("segmentId")
        for b in batch_list(dest.get("batches"))
        if isinstance(b, Mapping) and b.get("segmentId")
    }
    if batch_segments:
        wanted_ids = {s.get("segmentId") for s in wanted_segments if isinstance(s, Mapping)}
        if batch_segments != wanted_ids:
            tally.mismatch.append("destination.batches")

    if tally.mismatch:
        return Verdict.DIFFERENT, "differs in " + ", ".join(tally.mismatch)
    if tally.unknown:
        return Verdict.POSSIBLE, "record does not show " + ", ".join(tally.unknown)
    return Verdict.SAME, "every requested key matches"


def _schema_name(request: Mapping[str, Any]) -> Any:
    return (request.get("schema") or {}).get("name")
