"""Each exactly-once mechanism (#15) removed in turn, in a copy of the tree; the test that must
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
# (label, file, code, its replacement, the tests that must fail without it)
MUTATIONS = [
    (
        "resubmit after a lost answer",
        "aep_pulumi/core/reconcile.py",
        "        return resolve(exc)\n\n\ndef find_dataset_by_token",
        "        return attempt()\n\n\ndef find_dataset_by_token",
        [T + "test_a_lost_answer_waits_for_a_lagging_listing"],
    ),
    (
        "other stacks' claims ignored",
        "aep_pulumi/core/reconcile.py",
        "self.ctx.jobs.claimed(self.sandbox) | self.ctx.held.ids(self.sandbox) | set(claims)",
        "self.ctx.jobs.claimed(self.sandbox) | self.ctx.held.ids(self.sandbox)",
        [T + "test_two_stacks_never_adopt_each_others_job"],
    ),
    (
        "the local clock trusted",
        "aep_pulumi/core/reconcile.py",
        "    sent = client.clock.to_server_ms(sent_wall)\n",
        "    sent = int(sent_wall * 1000)\n    margin = SKEW_MARGIN_MS\n",
        [T + "test_a_lost_answer_is_judged_in_aeps_clock"],
    ),
    (
        "the search does not wait for the listing",
        "aep_pulumi/core/reconcile.py",
        "        return self.ctx.settings().lost_answer_search\n",
        "        return 0.0\n",
        [T + "test_a_lost_answer_waits_for_a_lagging_listing"],
    ),
    (
        "IMS not retried",
        "aep_pulumi/aep/ims.py",
        "        self._max_retries = max_retries\n",
        "        self._max_retries = 0\n",
        [
            T + "test_an_ims_503_at_the_first_token_is_retried",
            T + "test_an_ims_503_during_a_token_renewal_does_not_end_the_export",
        ],
    ),
    (
        "held jobs not excluded from the leftover warning",
        "aep_pulumi/core/earlier_runs.py",
        "        exclude = self.ctx.jobs.claimed(self.sandbox) | self.ctx.held.ids(self.sandbox)\n",
        "        exclude = self.ctx.jobs.claimed(self.sandbox)\n",
        [T + "test_a_replacement_does_not_call_the_job_it_replaces_interrupted"],
    ),
    (
        "a wait ignores the batch of a forgotten job",
        "aep_pulumi/core/export_wait.py",
        "            if verdict == DONE:\n",
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
        "aep_pulumi/core/earlier_runs.py",
        "        adopted = self._claimed_by_me(claims, exclude)\n",
        "        adopted = None\n",
        [T + "test_the_next_up_adopts_the_job_an_interrupted_up_left"],
    ),
    (
        "leftovers of the same request not named",
        "aep_pulumi/core/earlier_runs.py",
        "        if others:\n            self._warn(others, claims)\n",
        "        pass\n",
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
