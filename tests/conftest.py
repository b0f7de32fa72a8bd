"""Shared test helpers. The sandbox fixtures come from the ``aep_pulumi.testing`` plugin."""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

from aep_pulumi.sandbox.specs import HOW_TO_GET_SPECS, default_openapi_dir

# Tests never write into the checkout: Hypothesis (and Schemathesis over it) keeps its storage
# in a temporary folder removed at exit, not in `.hypothesis/` here, and no example database (a
# failure prints its example, which `@example` can pin).
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="aep-pulumi-hypothesis-")
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, True)
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
settings.register_profile("aep-pulumi", database=None)
settings.load_profile("aep-pulumi")

FIXTURES = Path(__file__).parent / "fixtures"


# The guide's main export, as ProfileExportJob inputs (dataset_id left out).
GUIDE_JOB: dict[str, Any] = {
    "fields": ["identities.id", "personalEmail.address"],
    "merge_policy": {"id": "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2", "version": 1},
    "event_list": {
        "fields": ["environment.browserDetails.name"],
        "from_ingest_timestamp": "2018-10-25T13:22:04-07:00",
    },
}


def run_pytest_in(folder: Path, name: str, code: str) -> subprocess.CompletedProcess[str]:
    """``code`` saved as ``folder/name`` and run by pytest there, as a user runs their tests."""
    (folder / name).write_text(code, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_export_cli(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``aep-export`` with exactly ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "aep_pulumi.cli.export", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def aep_headers(sandbox: Any) -> dict[str, str]:
    """The headers of a plain HTTP call to a sandbox (an IMS token for its test credentials)."""
    import requests

    token = requests.post(
        f"{sandbox.url}/ims/token/v3",
        data={
            "grant_type": "client_credentials",
            "client_id": sandbox.env["AEP_CLIENT_ID"],
            "client_secret": sandbox.env["AEP_CLIENT_SECRET"],
            "scope": "openid",
        },
        timeout=5,
    ).json()["access_token"]
    return {
        "Authorization": f"Bearer {token}",
        "x-api-key": sandbox.env["AEP_CLIENT_ID"],
        "x-gw-ims-org-id": sandbox.env["AEP_ORG_ID"],
        "x-sandbox-name": "prod",
    }


def seed_sample(name: str) -> Any:
    """A request/response sample of the seed guide (JSON syntax fixed)."""
    return json.loads((FIXTURES / "seed" / f"{name}.json").read_text(encoding="utf-8"))


SPECS_MISSING = f"Adobe's OpenAPI specs are not here: {HOW_TO_GET_SPECS}"
# For tests whose claim is spec conformance: without the specs they would prove nothing.
requires_specs = pytest.mark.skipif(default_openapi_dir() is None, reason=SPECS_MISSING)


@pytest.fixture(scope="session")
def segmentation_spec() -> dict[str, Any]:
    """Adobe's segmentation.yaml, found as the sandbox finds it (never copied into the project)."""
    openapi_dir = default_openapi_dir()
    if openapi_dir is None:
        pytest.skip(SPECS_MISSING)
    with open(openapi_dir / "segmentation.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(autouse=True)
def _no_ambient_aep_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start from a clean environment; each sets the AEP_* it needs."""
    import os

    for key in list(os.environ):
        if key.startswith("AEP_") and key != "AEP_OPENAPI_DIR":
            monkeypatch.delenv(key, raising=False)


def _sandbox_temp_folders() -> set[Path]:
    """This process's sandboxes' folders (named by pid: other processes' sandboxes, such as a
    benchmark running beside the suite, are theirs to clean)."""
    import os
    import tempfile

    return set(Path(tempfile.gettempdir()).glob(f"aep-sandbox-data-{os.getpid()}-*"))


@pytest.fixture(scope="session", autouse=True)
def _sandboxes_leave_nothing_in_temp() -> Any:
    """Every sandbox the suite starts removes its export files: checked over the whole run
    (at the end, the sandboxes of session fixtures are stopped already: this one is first)."""
    before = _sandbox_temp_folders()
    yield
    import gc

    gc.collect()  # stores dropped without close() clean up when collected
    left = _sandbox_temp_folders() - before
    assert not left, f"sandboxes left export files behind: {sorted(map(str, left))}"


@pytest.fixture(scope="session")
def plugin_release(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """What ``make plugin`` writes (the wheel and every archive), built once per session in a
    folder of its own, and a wheelhouse for installing it with no index (tests/release.py)."""
    from .release import build_release

    return build_release(tmp_path_factory.mktemp("dist"))
