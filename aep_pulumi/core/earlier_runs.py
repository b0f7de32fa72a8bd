"""Before a submit: what earlier runs left on the target dataset that no state holds.

An ``up`` killed while its job ran (a cancelled CI job, a closed laptop) leaves the job in AEP
and nothing in the state; so does a create whose answer was lost. Before submitting, the
jobs of the last day into the same dataset that could be this request's are looked at, except
those a state holds (seen by this run's diffs) and those this run made:

* one this resource claimed for this very request (same request and ``triggers``), not FAILED:
  the earlier run's job, adopted instead of exporting again;
* one whose answer this resource lost (a ``lost`` record on the dataset): the one unclaimed job
  of that request in the record's window is adopted; several are refused; none, once the window
  has closed, means AEP did not process it, and the record goes;
* every other: named in a warning (status, age, who claims it), with how to adopt one
  (``ProfileExportJob.get``) and how to cancel one. A new job is submitted all the same.

A dataset this run created skips all of this: no earlier run can have used it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..aep.statuses import STATUS_FAILED
from ..errors import AepClaimsError, AepError, AepNotFoundError
from .claims import Claim, DatasetClaims, LostAnswer, claim_is_owned_by, claim_tag
from .reconcile import Submit, jobs_since, look_alikes, unclaimed_look_alikes, window_after

if TYPE_CHECKING:
    from ..aep.models import ExportJob

# How far back to look for jobs an interrupted run left.
HORIZON_MS = 24 * 3600 * 1000
# A claim written this long ago whose job the listing does not show is gone: AEP lists a new
# job within seconds, sometimes tens of seconds, never minutes.
LISTING_GRACE_MS = 10 * 60 * 1000


@dataclass
class EarlierRuns(Submit):
    """The look before one submit (see the module's description)."""

    def _recent(self) -> list[ExportJob]:
        client = self.ctx.client()

        def listed() -> list[ExportJob]:
            return list(jobs_since(client, self.sandbox, client.server_now_ms() - HORIZON_MS))

        return self.ctx.recent_jobs.get(self.sandbox, listed)

    def adopt_or_warn(self) -> ExportJob | None:
        """The job to adopt instead of submitting, or ``None`` (after any warning)."""
        if (self.sandbox, self.dataset_id) in self.ctx.fresh_datasets:
            return None
        try:
            recent = self._recent()
        except AepError as exc:
            # "Could not look" is not "nothing there": submitting now could export twice.
            if self.ctx.settings().require_claims:
                raise AepClaimsError(
                    f"could not look for export jobs an interrupted run left ({exc}); nothing "
                    "was exported, since without that look a repeated `pulumi up` could "
                    "export twice. Try again when AEP answers",
                    status=exc.status,
                    request_id=exc.request_id,
                ) from None
            self.ctx.log.warn(f"could not look for export jobs left by an interrupted run: {exc}")
            return None
        exclude = self.ctx.jobs.claimed(self.sandbox) | self.ctx.held.ids(self.sandbox)
        twins = [job for job, _, _ in look_alikes(recent, self.body, exclude=exclude)]
        store = DatasetClaims(self.ctx, self.sandbox, self.dataset_id)
        claims, lost = store.seen()
        listed = {job.id: job for job in recent}
        adopted = self._claimed_by_me(claims, exclude, listed)
        if adopted is not None:
            self.ctx.log.warn(
                f"export job {adopted.id} ({adopted.status}) into dataset {self.dataset_id} was "
                "submitted by an earlier `pulumi up` of this resource that did not finish; it is "
                "adopted instead of exporting again (change `triggers` to export anew)"
            )
        else:
            adopted = self._settle_lost([x for x in lost if self._is_mine(x)], claims)
        twins += self._claimed_twins(claims, exclude | {job.id for job in twins}, listed)
        others = [job for job in twins if adopted is None or job.id != adopted.id]
        if others:
            self._warn(others, claims)
        if adopted is not None:
            self.ctx.jobs.claim(self.sandbox, adopted.id)
        return adopted

    def _job_of(self, claim: Claim, listed: Mapping[int, ExportJob]) -> ExportJob | None:
        """A claimed job, from the day's listing; read by id only when the listing may not show
        it yet (a claim of the last minutes, or one of 0.1.0, which carries no time)."""
        if claim.job_id in listed:
            return listed[claim.job_id]
        now = self.ctx.client().server_now_ms()
        if claim.at_ms is not None and now - claim.at_ms > LISTING_GRACE_MS:
            return None  # older than a listing's lag and not listed: gone (or beyond the day)
        try:
            return self.ctx.client().get_export_job(claim.job_id, sandbox=self.sandbox)
        except AepNotFoundError:
            return None

    def _claimed_twins(
        self, claims: Mapping[int, Claim], exclude: set[int], listed: Mapping[int, ExportJob]
    ) -> list[ExportJob]:
        """Jobs another claim names for this same request (and ``triggers``)."""
        found = []
        for claim in claims.values():
            if claim.request != self.fingerprint or claim.job_id in exclude or self._is_mine(claim):
                continue
            job = self._job_of(claim, listed)
            if job is not None:
                found.append(job)
        return found

    def _claimed_by_me(
        self, claims: Mapping[int, Claim], exclude: set[int], listed: Mapping[int, ExportJob]
    ) -> ExportJob | None:
        """The newest job this resource claimed for this request that no state holds and that
        did not fail. This resource's claims of jobs that are gone or FAILED (and that no state
        holds) are pruned, all in one PATCH."""
        mine = sorted(
            (
                c
                for c in claims.values()
                if claim_is_owned_by(c, self.owner, self._backend) and c.job_id not in exclude
            ),
            key=lambda c: c.job_id,
            reverse=True,
        )
        found: ExportJob | None = None
        stale: list[str] = []
        for claim in mine:
            job = self._job_of(claim, listed)
            if job is None or job.status == STATUS_FAILED:
                stale.append(claim_tag(claim.job_id))
            elif found is None and claim.request == self.fingerprint:
                found = job
        if stale:
            DatasetClaims(self.ctx, self.sandbox, self.dataset_id).release_tags(stale)
        return found

    @property
    def _backend(self) -> str:
        return DatasetClaims(self.ctx, self.sandbox, self.dataset_id).backend

    def _is_mine(self, claim: Claim | LostAnswer | None) -> bool:
        return bool(
            claim is not None
            and claim_is_owned_by(claim, self.owner, self._backend)
            and claim.request == self.fingerprint
        )

    def _settle_lost(self, lost: list[LostAnswer], claims: Mapping[int, Claim]) -> ExportJob | None:
        """This resource's lost answers: adopt the job one proved it made (its record carries
        the request's id), forget those that made none once their window closed, and stop on
        any job nobody claims that one of them may have made (never adopted on a guess)."""
        client = self.ctx.client()
        store = DatasetClaims(self.ctx, self.sandbox, self.dataset_id)
        if lost:
            claims = store.read()[0]  # fresh: other stacks may have claimed since
        adopted: ExportJob | None = None
        for record in sorted(lost, key=lambda x: x.sent_ms):
            sent_wall = (record.sent_ms - (client.clock.offset_ms or 0)) / 1000
            search = self.lost_at(sent_wall, record.key)
            window = window_after(client, sent_wall, search.search_seconds)
            left = (window.end_ms - client.server_now_ms()) / 1000
            if left > 0:
                self.ctx.log.info(
                    f"an earlier `pulumi up` lost the answer to this export's request; waiting "
                    f"{left:.0f}s more for AEP to list the job it may have made"
                )
                search.watch(self.ctx.monotonic() + left)
            found = search.candidates(window, claims)
            proven = search.proven(found)
            if proven is not None and adopted is None:
                adopted = proven
                store.claim(adopted.id, self.owner, self.fingerprint, resolves=record)
                self.ctx.log.warn(
                    f"export job {adopted.id} ({adopted.status}) carries the id of a request "
                    "whose answer an earlier `pulumi up` lost; it is adopted instead of "
                    "exporting again"
                )
            elif found:
                raise unclaimed_look_alikes(found, record)
            else:
                store.forget_lost(record)
        return adopted

    def _warn(self, jobs: list[ExportJob], claims: Mapping[int, Claim]) -> None:
        now = self.ctx.client().server_now_ms()

        def described(job: ExportJob) -> str:
            age = (
                f", {max(0, now - job.creation_time) // 60000} min old" if job.creation_time else ""
            )
            claim = claims.get(job.id)
            if claim is None:
                who = "no stack claims it"
            elif claim_is_owned_by(claim, self.owner, self._backend):
                who = "claimed by this resource in an earlier run that did not finish"
            else:
                who = f"held by {claim.owner or 'another stack'}"
            return f"{job.id} ({job.status}{age}; {who})"

        self.ctx.log.warn(
            f"export job(s) {', '.join(described(j) for j in jobs)} into dataset "
            f"{self.dataset_id} could be this export, left by an interrupted `pulumi up` or "
            "exported by another stack; the state does not hold them. A new job is submitted "
            "all the same. To keep one instead: `ProfileExportJob.get(name, id)`; to cancel one: "
            "DELETE /data/core/ups/export/jobs/<id> (what `pulumi destroy` does)"
        )
