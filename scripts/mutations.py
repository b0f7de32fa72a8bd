"""Each exactly-once mechanism (#15, #23) removed in turn, in a copy of the tree; the test that must
catch its absence is run there and must fail. Nothing in this checkout is written.

    python scripts/mutations.py            # every mutation
    python scripts/mutations.py clock IMS  # those whose label contains a word given
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1]
T = "tests/reliability/test_timing.py::"
W = "tests/reliability/test_without_luck.py::"
# (label, file, code, its replacement, the tests that must fail without it)
MUTATIONS = [
    (
        "resubmit after a lost answer",
        "aep_pulumi/core/resource.py",
        "            raise\n        return resolve(exc)\n",
        "            raise\n        return attempt()\n",
        [T + "test_a_lost_answer_waits_for_a_lagging_listing"],
    ),
    (
        "the local clock trusted",
        "aep_pulumi/core/export_job/lost_answer.py",
        "    sent = client.clock.to_server_ms(sent_wall)\n",
        "    sent = int(sent_wall * 1000)\n    margin = SKEW_MARGIN_MS\n",
        [T + "test_a_lost_answer_is_judged_in_aeps_clock"],
    ),
    (
        "the search does not wait for the listing",
        "aep_pulumi/core/export_job/lost_answer.py",
        "    return ctx.settings().lost_answer_search\n",
        "    return 0.0\n",
        [T + "test_a_lost_answer_waits_for_a_lagging_listing"],
    ),
    (
        "IMS not retried",
        "aep_pulumi/aep/ims.py",
        "            session, max_retries=max_retries, sleep=sleep, backoff=backoff, clock=server_clock\n",
        "            session, max_retries=0, sleep=sleep, backoff=backoff, clock=server_clock\n",
        [
            T + "test_an_ims_503_at_the_first_token_is_retried",
            T + "test_an_ims_503_during_a_token_renewal_does_not_end_the_export",
        ],
    ),
    (
        "held jobs not excluded from the leftover warning",
        "aep_pulumi/core/export_job/submit.py",
        "    exclude = ctx.jobs.claimed(sandbox) | ctx.held.ids(sandbox)\n",
        "    exclude = ctx.jobs.claimed(sandbox)\n",
        [T + "test_a_replacement_does_not_call_the_job_it_replaces_interrupted"],
    ),
    (
        "a wait ignores the batch of a forgotten job",
        "aep_pulumi/core/export_wait.py",
        "            if verdict is BatchVerdict.DONE:\n",
        "            if False:\n",
        [T + "test_a_replaced_wait_over_a_forgotten_job_judges_it_by_its_batch"],
    ),
    (
        "a wait does not say a job is in another sandbox",
        "aep_pulumi/core/export_wait.py",
        "            other = sorted(seen_in - {sandbox})\n",
        "            other: list[str] = []\n",
        [T + "test_a_wait_over_jobs_of_another_sandbox_says_so"],
    ),
    (
        "an interrupted up's own claimed job not adopted",
        "aep_pulumi/core/export_job/submit.py",
        "    adopted = _claimed_by_me(ctx, request, claims, exclude, listed)\n",
        "    adopted = None\n",
        [T + "test_the_next_up_adopts_the_job_an_interrupted_up_left"],
    ),
    (
        "a claim's read-back skipped",
        "aep_pulumi/core/export_job/claims.py",
        "            if present(tags, writes[i].expected):\n",
        "            if True:\n",
        [W + "test_a_claim_that_cannot_be_written_after_the_post_cancels_the_job"],
    ),
    (
        "other stacks' claims ignored by a search without proof",
        "aep_pulumi/core/export_job/lost_answer.py",
        "ctx.jobs.claimed(request.sandbox) | ctx.held.ids(request.sandbox) | set(claims)",
        "ctx.jobs.claimed(request.sandbox) | ctx.held.ids(request.sandbox)",
        [W + "test_another_stacks_claimed_job_is_never_a_candidate"],
    ),
    (
        "no last look at the deadline",
        "aep_pulumi/core/export_job/ending.py",
        "    now, seen = final_look(ctx, end.sandbox, job)\n",
        "    now, seen = job, 'not looked'\n",
        [W + "test_a_job_that_succeeded_during_a_status_outage_is_kept_at_its_deadline"],
    ),
    (
        "a job whose end was not seen is deleted",
        "aep_pulumi/core/export_job/ending.py",
        '    if now is None:\n        raise left_unseen(ctx, end, job, f"{why}; {seen}")\n',
        "    if now is None:\n        now = job\n",
        [W + "test_a_job_whose_end_was_not_seen_is_kept_and_the_next_up_adopts_it"],
    ),
    (
        "unreadable claims read as none",
        "aep_pulumi/core/export_job/claims.py",
        "    except AepClaimsError as exc:\n        if claims_required(ctx):\n            raise\n",
        "    except AepClaimsError as exc:\n        if False:\n            raise\n",
        [W + "test_claims_that_cannot_be_read_stop_the_create_and_adopt_nothing"],
    ),
    (
        "no check that the dataset can be tagged",
        "aep_pulumi/core/export_job/claims.py",
        "    if not claims_required(ctx):\n        return\n\n    def probe",
        "    if True:\n        return\n\n    def probe",
        [W + "test_a_dataset_that_cannot_be_tagged_stops_the_create_before_anything_is_exported"],
    ),
    (
        "a claim that cannot be written only warns",
        "aep_pulumi/core/export_job/claims.py",
        "    if claims_required(ctx):\n        raise AepClaimsError(message)\n",
        "    if False:\n        raise AepClaimsError(message)\n",
        [W + "test_a_claim_that_cannot_be_written_after_the_post_cancels_the_job"],
    ),
    (
        "a 409 on a claim not tried again",
        "aep_pulumi/core/export_job/claims.py",
        "        return str(exc), exc.status == 409\n",
        "        return str(exc), False\n",
        [W + "test_a_claim_refused_once_or_answered_lost_is_read_back"],
    ),
    (
        "claims not looked at again after their read-back",
        "aep_pulumi/core/export_job/claims.py",
        "            keeper(ctx).written(dataset, job_id, owner, request)\n",
        "            pass\n",
        [W + "test_two_stacks_claiming_at_once_on_a_read_modify_write_catalog_lose_no_claim"],
    ),
    (
        "a discarded job keeps its claim",
        "aep_pulumi/core/export_job/ending.py",
        "    if dataset_id:\n        release_claim(ctx, ClaimedDataset(sandbox, dataset_id), job_id)\n",
        "    pass\n",
        [W + "test_a_discarded_job_releases_its_claim"],
    ),
    (
        "stale claims read one by one",
        "aep_pulumi/core/export_job/submit.py",
        "    if claim.at_ms is not None and now - claim.at_ms > LISTING_GRACE_MS:\n",
        "    if False:\n",
        [W + "test_stale_claims_are_pruned_with_one_listing_and_one_patch"],
    ),
    (
        "adoption by id writes no claim",
        "aep_pulumi/core/export_job/state.py",
        '        claim_job(ctx, dataset, job_id, ADOPTED_OWNER, "")\n',
        "        pass\n",
        [W + "test_adopting_a_job_by_id_claims_it"],
    ),
    (
        "a look-alike adopted without proof",
        "aep_pulumi/core/export_job/lost_answer.py",
        "    job = proven(request, found)\n    if job is not None:\n        return job\n",
        "    job = found[0][0] if len(found) == 1 else None\n    if job is not None:\n        return job\n",
        [W + "test_a_foreign_identical_job_is_never_adopted_for_a_lost_answer"],
    ),
    (
        "another backend's claim taken for this stack's",
        "aep_pulumi/core/export_job/claim_tags.py",
        "    if isinstance(claim, Claim) and claim.backend and backend and claim.backend != backend:\n",
        "    if False:\n",
        [W + "test_the_same_names_on_another_backend_never_adopt_each_others_job"],
    ),
    (
        "a claim of 0.1.0 not recognised",
        "aep_pulumi/core/export_job/claim_tags.py",
        '    return legacy and claim.owner.partition("/")[2] == identity\n',
        "    return False\n",
        [W + "test_a_claim_of_0_1_0_or_of_the_other_door_is_this_resources_own"],
    ),
    (
        "a renamed stack keeps the old name in its claim",
        "aep_pulumi/core/export_job/lifecycle.py",
        '            self._move_claim(id_, old, str(inputs["owner"]), sandbox)\n',
        "            pass\n",
        [W + "test_a_renamed_stack_moves_its_claim"],
    ),
    (
        "leftovers of the same request not named",
        "aep_pulumi/core/export_job/submit.py",
        "    if others:\n        _warn(ctx, request, others, claims)\n",
        "    pass\n",
        [T + "test_an_unclaimed_leftover_of_the_same_request_is_named"],
    ),
    (
        "a wait's refresh fails on a job AEP forgot",
        "aep_pulumi/core/export_wait.py",
        "            except AepNotFoundError:\n                continue  # a finished job AEP forgot: the export happened\n",
        "            except AepNotFoundError:\n                raise\n",
        ["tests/unit/test_export_wait.py::test_a_refresh_keeps_the_status_of_a_job_aep_forgot"],
    ),
]


def main(only: list[str]) -> int:
    """Run the chosen mutations; 1 when a test let one through."""
    survived = 0
    with tempfile.TemporaryDirectory(prefix="aep-mutations-") as scratch:
        for i, (label, path, old, new, tests) in enumerate(MUTATIONS):
            if only and not any(word in label for word in only):
                continue
            survived += not _caught(Path(scratch) / str(i), label, path, old, new, tests)
    return 1 if survived else 0


def _caught(tree: Path, label: str, path: str, old: str, new: str, tests: list[str]) -> bool:
    shutil.copytree(
        SRC,
        tree,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "node_modules", "__pycache__", "*.egg-info"
        ),
    )
    text = (tree / path).read_text(encoding="utf-8")
    assert old in text, f"{label}: the code to remove is no longer in {path}"
    (tree / path).write_text(text.replace(old, new, 1), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *tests],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    caught = done.returncode != 0
    verdict = "caught" if caught else "NOT CAUGHT"
    print(f"{verdict}: {label} ({time.monotonic() - started:.0f} s)", flush=True)
    shutil.rmtree(tree)
    return caught


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
