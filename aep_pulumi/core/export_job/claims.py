"""Claims every stack can see: tags on the target dataset that say which export jobs are held,
and which requests lost their answer.

AEP's job records carry nothing that tells one client's job from another's, and two stacks may
export the same request into one dataset. So each stack says what it holds, where the other
stacks look: on the dataset, one tag per job,

* ``aep-pulumi/job-<id>``: ``["owner:<project/stack/resource>", "request:<fingerprint>",
  "by:aep-pulumi/2"]`` — a state holds (or is about to hold) this job. Claims written by 0.1.0
  carry no ``by:`` and name the dynamic door's owner with its organisation first
  (``<org>/<project>/<stack>/<resource>``); they still count (:func:`claim_is_owned_by`);
* ``aep-pulumi/lost-<nonce>``: ``["owner:...", "request:...", "sent:<AEP epoch ms>",
  "key:<x-request-id>"]`` — the answer to that request was lost; the job it made, if any, is
  the owner's to adopt once its record proves it (it carries that request id).

Each tag is written and removed on its own with a JSON Patch (``add``/``remove`` of
``/tags/<name>``). How Catalog applies two PATCHes of one dataset at once is not documented:
if it reads, patches and writes the whole record, one writer's tag can vanish. So a claim is
**read back** after its PATCH and written again while it is missing; a claim that cannot be
written and read back is an error (:class:`~aep_pulumi.errors.AepClaimsError`), never a
warning, and a claims read that fails is an error too, never "no claims" — unless
``aep:requireClaims`` is false. Claims of many creates on one dataset share their PATCH and
their read-back (:class:`~.registries.Batches`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from ...errors import (
    AepAuthError,
    AepBadRequestError,
    AepClaimsError,
    AepError,
    AepNotFoundError,
)
from ..context import Context
from ..dataset import removal, tag_path
from .claim_tags import (
    CLAIM_PREFIX,
    LOST_PREFIX,
    WRITER,
    Claim,
    LostAnswer,
    backend_identity,
    claim_is_owned_by,
    claim_tag,
    claim_value,
    identifying,
    identity_of_owner_input,
    owner_identity,
    parse_claims,
    present,
    request_fingerprint,
)

__all__ = [
    "CLAIM_PREFIX",
    "LOST_PREFIX",
    "WRITER",
    "Claim",
    "ClaimedDataset",
    "LostAnswer",
    "backend_identity",
    "claim_is_owned_by",
    "claim_tag",
    "claim_value",
    "identity_of_owner_input",
    "owner_identity",
    "parse_claims",
    "request_fingerprint",
    "tag_path",
]

# A tag added and removed again, to learn before anything is exported whether these
# credentials may tag the dataset.
PROBE_TAG = "aep-pulumi/probe"
# Rounds of write + read-back before a claim counts as unwritable (each waits longer).
CLAIM_ROUNDS = 4
PERMISSION = (
    "aep-pulumi records each export job on its target dataset (a tag `aep-pulumi/job-<id>`), so "
    "that a repeated or interrupted `pulumi up` never exports twice; the credentials need write "
    "access to the dataset in Catalog (the Manage Datasets permission of the product profile). "
    "To export without that protection set `aep:requireClaims` to false"
)


@dataclass
class _Write:
    """One caller's operations, and the tags (name -> value) they must leave on the dataset."""

    operations: list[dict[str, Any]]
    expected: dict[str, list[str]] = field(default_factory=dict)


class ClaimedDataset(NamedTuple):
    """The dataset whose tags hold the claims (also the key claim writes are batched by)."""

    sandbox: str
    dataset_id: str


def claims_required(ctx: Context) -> bool:
    """Whether a claim that cannot be read or written stops the create (``aep:requireClaims``)."""
    return ctx.settings().require_claims


def backend_of(ctx: Context) -> str:
    """This process's backend identity (part of each claim's owner), learnt once."""
    if ctx.backend is None:
        ctx.backend = backend_identity()
    return ctx.backend


def claim_tags_now(ctx: Context, dataset: ClaimedDataset) -> dict[str, Any]:
    """The dataset's tags now; :class:`AepClaimsError` when they cannot be read."""
    try:
        record = ctx.client().get_dataset(dataset.dataset_id, sandbox=dataset.sandbox)
    except AepError as exc:
        raise AepClaimsError(
            f"could not read the claims on dataset {dataset.dataset_id} ({exc}); without them "
            "no export can be told apart from another stack's, so nothing was decided",
            status=exc.status,
            code=exc.code,
            request_id=exc.request_id,
        ) from None
    return dict(record.tags or {})


def read_claims(ctx: Context, dataset: ClaimedDataset) -> tuple[dict[int, Claim], list[LostAnswer]]:
    """The dataset's claims now. A read that fails raises (never "no claims") unless
    ``aep:requireClaims`` is false, where it warns and counts as none."""
    try:
        return parse_claims(claim_tags_now(ctx, dataset))
    except AepClaimsError as exc:
        if claims_required(ctx):
            raise
        ctx.log.warn(f"{exc.message} (aep:requireClaims is false: going on without)")
        return {}, []


def claims_seen(ctx: Context, dataset: ClaimedDataset) -> tuple[dict[int, Claim], list[LostAnswer]]:
    """The claims as this process first read them (earlier runs' claims do not change while
    this one runs; other stacks' new claims are read fresh where they matter)."""
    seen = ctx.claims_seen.get(
        f"{dataset.sandbox}\x00{dataset.dataset_id}", lambda: read_claims(ctx, dataset)
    )
    return cast(tuple[dict[int, Claim], list[LostAnswer]], seen)


def ensure_claims_writable(ctx: Context, dataset: ClaimedDataset) -> None:
    """Before the first export into the dataset: learn that these credentials may tag it (a
    tag added and removed in one PATCH), or stop with what to grant."""
    if not claims_required(ctx):
        return

    def probe() -> bool:
        try:
            _patch_once(
                ctx, dataset, removal(tag_path(PROBE_TAG)), "check that claims can be written"
            )
        except AepError as exc:
            raise AepClaimsError(
                f"cannot tag dataset {dataset.dataset_id} ({exc}); nothing was exported. "
                + PERMISSION,
                status=exc.status,
                code=exc.code,
                request_id=exc.request_id,
            ) from None
        return True

    ctx.writable_datasets.get(f"{dataset.sandbox}\x00{dataset.dataset_id}", probe)


def _patch_once(
    ctx: Context, dataset: ClaimedDataset, operations: list[dict[str, Any]], what: str
) -> None:
    ctx.client().patch_dataset(
        dataset.dataset_id,
        operations,
        sandbox=dataset.sandbox,
        operation=f"{what} on dataset {dataset.dataset_id}",
    )


def _write_round(
    ctx: Context, dataset: ClaimedDataset, writes: list[_Write], what: str
) -> list[str | None]:
    """PATCH every write, read the tags back, PATCH again what is missing: each write's
    failure, or ``None`` once its tags were read back (or, for a removal, once a PATCH carrying
    it was applied)."""
    pending = list(range(len(writes)))
    failure: dict[int, str] = {}
    delay = 0.2
    for round_ in range(CLAIM_ROUNDS):
        if round_:
            ctx.sleep(delay)
            delay *= 2
        operations = [op for i in pending for op in writes[i].operations]
        error = _try_patch(ctx, dataset, operations, what)
        if error is not None:
            failure.update(dict.fromkeys(pending, error[0]))
            if not error[1]:
                break
        if error is None:
            for i in [i for i in pending if not writes[i].expected]:
                pending.remove(i)
                failure.pop(i, None)
        if not pending:
            break
        try:
            tags = claim_tags_now(ctx, dataset)
        except AepClaimsError as exc:
            failure.update(dict.fromkeys(pending, exc.message))
            continue
        for i in [i for i in pending if writes[i].expected]:
            if present(tags, writes[i].expected):
                pending.remove(i)
                failure.pop(i, None)
            else:
                failure.setdefault(i, "the claim was not there when read back")
        if not pending:
            break
    return [failure.get(i) for i in range(len(writes))]


def _try_patch(
    ctx: Context, dataset: ClaimedDataset, operations: list[dict[str, Any]], what: str
) -> tuple[str, bool] | None:
    """``None`` when the PATCH was applied; else what failed and whether to try again (a 409 is
    another writer at the same moment; an answer lost may have been applied, which the
    read-back tells; another 4xx will not change)."""
    try:
        _patch_once(ctx, dataset, operations, what)
    except (AepBadRequestError, AepNotFoundError) as exc:
        return str(exc), exc.status == 409
    except AepAuthError as exc:
        return str(exc), False
    except AepError as exc:
        return str(exc), True
    return None


def _write(ctx: Context, dataset: ClaimedDataset, write: _Write, what: str) -> str | None:
    """``write`` with the other writes queued on this dataset; its failure or ``None``."""
    return ctx.claim_writes.send(dataset, write, lambda ws: _write_round(ctx, dataset, ws, what))


def claim_job(
    ctx: Context,
    dataset: ClaimedDataset,
    job_id: int,
    owner: str,
    request: str,
    *,
    resolves: LostAnswer | None = None,
) -> None:
    """Say that ``owner`` holds ``job_id`` (and that a lost answer is resolved), read back, and
    read again a little later (:mod:`.claim_keeper`). :class:`AepClaimsError` when it cannot be
    written, unless ``aep:requireClaims`` is false."""
    extra = removal(tag_path(resolves.tag)) if resolves is not None else []
    failed = claim_jobs(ctx, dataset, [(job_id, owner, request)], extra)
    if failed is None:
        return
    message = f"the claim of export job {job_id} on dataset {dataset.dataset_id} could not be "
    message += f"written and read back ({failed})"
    if claims_required(ctx):
        raise AepClaimsError(message)
    ctx.log.warn(f"{message}; other stacks exporting into it cannot see it")


def claim_jobs(
    ctx: Context,
    dataset: ClaimedDataset,
    claims: list[tuple[int, str, str]],
    extra: list[dict[str, Any]] | None = None,
    *,
    read_back: bool = True,
) -> str | None:
    """Write and read back ``(job id, owner, request)`` claims in one PATCH (shared with other
    writers of the dataset); what failed, or ``None``. Each claim written is handed to the
    keeper, which reads it once more a little later (without ``read_back``, that later look is
    the only one: the keeper's own writes)."""
    now = ctx.client().server_now_ms()
    operations: list[dict[str, Any]] = []
    expected: dict[str, list[str]] = {}
    for job_id, owner, request in claims:
        value = claim_value(owner, request, backend_of(ctx), now)
        operations.append({"op": "add", "path": tag_path(claim_tag(job_id)), "value": value})
        expected[claim_tag(job_id)] = identifying(value)
    write = _Write(operations + (extra or []), expected if read_back else {})
    failed = _write(ctx, dataset, write, "claim export jobs")
    if failed is None:
        from .claim_keeper import keeper  # here: the keeper builds on this module

        for job_id, owner, request in claims:
            keeper(ctx).written(dataset, job_id, owner, request)
    return failed


def holds_claim(
    ctx: Context, tags: Mapping[str, Any], job_id: int, owner: str, request: str
) -> bool:
    """Whether ``tags`` hold this process's claim of ``job_id``."""
    value = claim_value(owner, request, backend_of(ctx), 0)
    return present(tags, {claim_tag(job_id): identifying(value)})


def verify_claim(
    ctx: Context, dataset: ClaimedDataset, job_id: int, owner: str, request: str
) -> None:
    """Read the claim again (another writer may have undone it) and write it back when it is
    gone; :class:`AepClaimsError` when that fails."""
    try:
        if holds_claim(ctx, claim_tags_now(ctx, dataset), job_id, owner, request):
            return
    except AepClaimsError:
        if not claims_required(ctx):
            return
    ctx.log.warn(
        f"the claim of export job {job_id} on dataset {dataset.dataset_id} was gone; writing it "
        "again"
    )
    claim_job(ctx, dataset, job_id, owner, request)


def record_lost_answer(
    ctx: Context, dataset: ClaimedDataset, owner: str, request: str, sent_ms: int, key: str = ""
) -> LostAnswer | None:
    """Record a request whose answer was lost, so that the next ``up`` can find its job."""
    tag = f"{LOST_PREFIX}{uuid.uuid4().hex[:16]}"
    value = [f"owner:{owner}", f"request:{request}", f"sent:{int(sent_ms)}", f"key:{key}"]
    failed = _write(
        ctx,
        dataset,
        _Write([{"op": "add", "path": tag_path(tag), "value": value}], {tag: value}),
        "record a lost answer",
    )
    if failed is None:
        return LostAnswer(tag, owner, request, int(sent_ms), key)
    ctx.log.warn(f"recording a lost answer on dataset {dataset.dataset_id} failed: {failed}")
    return None


def forget_lost_answer(ctx: Context, dataset: ClaimedDataset, lost: LostAnswer) -> None:
    """A lost answer settled without a job: its tag goes."""
    release_claim_tags(ctx, dataset, [lost.tag])


def release_claim(ctx: Context, dataset: ClaimedDataset, job_id: int) -> None:
    """The job is gone or discarded: its claim goes (one already gone is fine)."""
    from .claim_keeper import keeper

    keeper(ctx).forget(dataset, job_id)
    release_claim_tags(ctx, dataset, [claim_tag(job_id)])


def release_claim_tags(ctx: Context, dataset: ClaimedDataset, names: list[str]) -> None:
    """Remove these tags in one PATCH shared with other writers (a failure only warns: a stale
    claim protects a job that no longer exists, which costs nothing but a tag)."""
    operations = [op for name in names for op in removal(tag_path(name))]
    failed = _write(ctx, dataset, _Write(operations), "release claims")
    if failed is not None:
        ctx.log.warn(
            f"could not remove {', '.join(names)} from dataset {dataset.dataset_id}: {failed}"
        )
