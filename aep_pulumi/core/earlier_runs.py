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
from ..errors import AepError, AepNotFoundError
from .claims import Claim, DatasetClaims, LostAnswer
from .reconcile import Submit, ambiguity, jobs_since, look_alikes, window_after

if TYPE_CHECKING:
    from ..aep.models import ExportJob

# How far back to look for jobs an interrupted run left.
HORIZON_MS = 24 * 3600 * 1000


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
            self.ctx.log.warn(f"could not look for export jobs left by an interrupted run: {exc}")
            return None
        exclude = self.ctx.jobs.claimed(self.sandbox) | self.ctx.held.ids(self.sandbox)
        twins = [job for job, _, _ in look_alikes(recent, self.body, exclude=exclude)]
        claims, lost = DatasetClaims(self.ctx, self.sandbox, self.dataset_id).read()
        adopted = self._claimed_by_me(claims, exclude)
        if adopted is not None:
            self.ctx.log.warn(
                f"export job {adopted.id} ({adopted.status}) into dataset {self.dataset_id} was "
                "submitted by an earlier `pulumi up` of this resource that did not finish; it is "
                "adopted instead of exporting again (change `triggers` to export anew)"
            )
        else:
            adopted = self._settle_lost([x for x in lost if self._is_mine(x)], claims)
        twins += self._claimed_twins(claims, exclude | {job.id for job in twins})
        others = [job for job in twins if adopted is None or job.id != adopted.id]
        if others:
            self._warn(others, claims)
        if adopted is not None:
            self.ctx.jobs.claim(self.sandbox, adopted.id)
        return adopted

    def _claimed_twins(self, claims: Mapping[int, Claim], exclude: set[int]) -> list[ExportJob]:
        """Jobs another claim names for this same request (and ``triggers``), read by id: the
        listing may not show a job of the last seconds yet."""
        client = self.ctx.client()
        found = []
        for claim in claims.values():
            if claim.request != self.fingerprint or claim.job_id in exclude or self._is_mine(claim):
                continue
            try:
                found.append(client.get_export_job(claim.job_id, sandbox=self.sandbox))
            except AepNotFoundError:
                continue
        return found

    def _claimed_by_me(self, claims: Mapping[int, Claim], exclude: set[int]) -> ExportJob | None:
        """The newest job this resource claimed for this request that no state holds and that
        did not fail. Read by id, not from the listing: the listing may not show it yet."""
        client = self.ctx.client()
        mine = sorted(
            (c.job_id for c in claims.values() if self._is_mine(c) and c.job_id not in exclude),
            reverse=True,
        )
        for job_id in mine:
            try:
                job = client.get_export_job(job_id, sandbox=self.sandbox)
            except AepNotFoundError:
                continue
            if job.status != STATUS_FAILED:
                return job
        return None

    def _is_mine(self, claim: Claim | LostAnswer | None) -> bool:
        return bool(
            claim is not None
            and self.owner
            and claim.owner == self.owner
            and claim.request == self.fingerprint
        )

    def _settle_lost(self, lost: list[LostAnswer], claims: Mapping[int, Claim]) -> ExportJob | None:
        """This resource's lost answers: adopt the job one made, forget those that made none."""
        client = self.ctx.client()
        adopted: ExportJob | None = None
        for record in sorted(lost, key=lambda x: x.sent_ms):
            sent_wall = (record.sent_ms - (client.clock.offset_ms or 0)) / 1000
            search = self.lost_at(sent_wall)
            window = window_after(client, sent_wall, search.search_seconds)
            left = (window.end_ms - client.server_now_ms()) / 1000
            if left > 0:
                self.ctx.log.info(
                    f"an earlier `pulumi up` lost the answer to this export's request; waiting "
                    f"{left:.0f}s more for AEP to list the job it may have made"
                )
                search.watch(self.ctx.monotonic() + left)
            found = search.candidates(window, claims)
            if len(found) > 1:
                raise ambiguity(found)
            claim_store = DatasetClaims(self.ctx, self.sandbox, self.dataset_id)
            if found and adopted is None:
                adopted = found[0][0]
                claim_store.claim(adopted.id, self.owner, self.fingerprint, resolves=record)
                self.ctx.log.warn(
                    f"export job {adopted.id} ({adopted.status}) is the job of a request whose "
                    "answer an earlier `pulumi up` lost; it is adopted instead of exporting again"
                )
            elif not found:
                claim_store.forget_lost(record)
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
            elif claim.owner == self.owner and self.owner:
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
