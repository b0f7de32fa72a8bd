"""A job adopted by id (``pulumi import``, ``import`` options, ``ProfileExportJob.get``) whose
AEP record does not tell every input it was made with.

AEP's job records carry the dataset, schema, merge policy and batch, but not ``fields``, the
``filter`` (segments, timestamps, empty profiles) or ``additionalFields`` (the event list); and
``triggers`` never reach AEP at all. So an adopted job's state leaves those inputs empty, and the
program that declares them would otherwise replace the job, exporting again: the very thing an
import is for avoiding. Instead the program's values fill them in place, when they can be
checked against what the job was made from: the request fingerprint its claim on the target
dataset records (a job made by this package, on either door). A job made outside Pulumi has no
claim; its inputs cannot be checked, so the program's values are taken with a warning that says
so. Anything the record does tell still replaces when it differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..aep.ids import job_id_text
from ..errors import AepClaimsError
from .claims import DatasetClaims, request_fingerprint
from .context import Context
from .unknown import contains_unknown

# ProfileExportJob inputs that a job record may not tell.
UNTOLD = (
    "fields",
    "event_list",
    "segments",
    "segment_qualification_time",
    "from_ingest_timestamp",
    "empty_profiles",
    "triggers",
)
# The state key that marks an adopted job: its claim's request fingerprint ("" when unclaimed).
MARK = "adopted_request"


# The owner a claim names when a job was adopted by id (its request is not known).
ADOPTED_OWNER = "adopted-by-id"


def adoption_mark(ctx: Context, sandbox: str, dataset_id: str, job_id: int) -> str:
    """What an adopted job's state records: the request its claim names, or "" (no claim).

    A job nobody claimed is claimed now, so that no stack's search for a lost answer takes it
    for its own. A claims read that fails raises (an unknown claim is not "no claim")."""
    store = DatasetClaims(ctx, sandbox, dataset_id)
    claims, _ = store.read()
    claim = claims.get(job_id)
    if claim is not None:
        return claim.request
    try:
        store.claim(job_id, ADOPTED_OWNER, "")
    except AepClaimsError as exc:
        ctx.log.warn(f"{exc.message}; export job {job_id} is adopted unclaimed")
    return ""


def filled_by_program(
    olds: Mapping[str, Any],
    inputs: Mapping[str, Any],
    replaces: list[str],
    request_body: Callable[[Mapping[str, Any]], Mapping[str, Any]],
    warn: Callable[[str], None],
) -> list[str]:
    """Among ``replaces``, the inputs an adopted job's state left empty that the program's
    ``inputs`` may fill in place (empty when the state is not an adoption, or the program
    describes another request than the job's claim)."""
    mark = olds.get(MARK)
    if not isinstance(mark, str):
        return []
    untold = [k for k in replaces if k in UNTOLD and olds.get(k) is None]
    if not untold or len(untold) != len(replaces) or contains_unknown(dict(inputs)):
        return []
    if mark:
        fingerprint = request_fingerprint(request_body(inputs), inputs.get("triggers"))
        return untold if fingerprint == mark else []
    warn(
        f"export job {job_id_text(olds.get('job_id'))} was adopted by id and AEP does not tell its "
        f"{', '.join(untold)}: the stack takes the program's, unchecked"
    )
    return untold
