"""A newcomer's first hour: a bare clone, a plain install, the specs fetched by the user."""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from aep_pulumi.sandbox.specs import (
    SPEC_SHA256,
    SpecsNotFound,
    default_openapi_dir,
    describe_validation,
    fetch_specs,
)

from ..conftest import requires_specs

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def test_without_the_specs_their_tests_skip_saying_how_to_get_them(tmp_path: Path) -> None:
    env = {**os.environ, "AEP_OPENAPI_DIR": "none", "XDG_CACHE_HOME": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rs",
            "tests/unit/test_models.py",
            "tests/integration/test_sandbox.py::test_non_conforming_requests_get_a_400_naming_the_violation",
            "tests/integration/test_lifecycle.py::test_every_sandbox_response_conformed_to_the_specs",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "3 skipped" in result.stdout and "failed" not in result.stdout
    assert "aep-sandbox --fetch-specs" in result.stdout


@pytest.fixture
def spec_server() -> Iterator[str]:
    """Serves the specs folder over HTTP on loopback, standing in for Adobe's repository."""
    folder = default_openapi_dir()
    assert folder is not None, "only used by tests marked requires_specs"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@requires_specs
def test_fetched_specs_are_checked_by_sha256(spec_server: str, tmp_path: Path) -> None:
    folder = fetch_specs(tmp_path / "cache", base_url=spec_server)
    for name, digest in SPEC_SHA256.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    assert "AdobeDocs/experience-platform-apis@16c60cd7a561" in describe_validation(folder)


@requires_specs
def test_a_tampered_download_is_refused_and_not_kept(spec_server: str, tmp_path: Path) -> None:
    fake = tmp_path / "fake"
    fake.mkdir()
    for name in SPEC_SHA256:
        (fake / name).write_text("openapi: 3.0.0\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(fake))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(SpecsNotFound, match="not the pinned"):
            fetch_specs(tmp_path / "cache", base_url=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
    assert not [p for p in (tmp_path / "cache").iterdir() if p.suffix == ".yaml"]


def test_a_named_specs_folder_that_does_not_exist_is_an_error() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aep_pulumi.sandbox",
            "--openapi-dir",
            "/nonexistent",
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "/nonexistent does not exist" in result.stderr and "--fetch-specs" in result.stderr


def test_installing_the_package_never_breaks_an_unrelated_pytest(tmp_path: Path) -> None:
    """With `responses` absent (a plain `pip install aep-pulumi` plus pytest), pytest still works;
    the fixture that needs it says how to get it."""
    (tmp_path / "test_trivial.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    (tmp_path / "test_kit.py").write_text(
        "def test_needs_responses(aep_sandbox_inprocess):\n    pass\n"
    )
    blocker = (
        "import sys; sys.modules['responses'] = None\n"
        "import pytest\n"
        "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', sys.argv[1]]))\n"
    )

    def pytest_without_responses(test_file: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", blocker, str(tmp_path / test_file)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    trivial = pytest_without_responses("test_trivial.py")
    assert trivial.returncode == 0 and "1 passed" in trivial.stdout, trivial.stdout + trivial.stderr
    kit = pytest_without_responses("test_kit.py")
    assert kit.returncode == 1
    assert 'pip install "aep-pulumi[testing]"' in kit.stdout
