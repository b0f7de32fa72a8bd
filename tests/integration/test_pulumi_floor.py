"""`Dataset.get()` / `ProfileExportJob.get()` need the dynamic host to find the provider in a Read
that carries only inputs. pulumi 3.268.0 is the first SDK whose host does (pyproject's floor);
3.267.0's fails. Both are installed into a throwaway venv layered over this one."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from aep_pulumi.testing import SandboxHandle, served_sandbox
from aep_pulumi.testing.provider_host import ProviderHost

pytestmark = pytest.mark.integration
FLOOR = "3.268.0"
BELOW_FLOOR = "3.267.0"


def test_the_pyproject_floor_is_the_tested_one() -> None:
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert f'"pulumi>={FLOOR}' in pyproject


def _venv_with_pulumi(root: Path, version: str) -> str:
    """A venv whose own site-packages holds only pulumi==version, layered over this venv."""
    venv.EnvBuilder(with_pip=False).create(root)
    python = root / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # addsitedir also runs this venv's .pth files (the editable install of aep_pulumi), and
    # appends after the throwaway's own site-packages, so its pulumi wins.
    here = sysconfig.get_paths()["purelib"]
    Path(site, "layer.pth").write_text(f"import site; site.addsitedir({here!r})\n")
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            site,
            f"pulumi=={version}",
        ],
        capture_output=True,
        text=True,
    )
    if installed.returncode != 0:
        if (
            "Could not find a version" in installed.stderr
            or "connection" in installed.stderr.lower()
        ):
            # The one resource this test needs from outside: a download from the package index.
            pytest.skip(
                f"pulumi=={version} could not be downloaded (this test needs PyPI, or a pip index "
                f"or cache that holds it): {installed.stderr[-200:]}"
            )
        raise AssertionError(installed.stderr)
    return str(python)


def _get_through_host(python: str, sandbox: SandboxHandle) -> tuple[str, dict[str, object]]:
    env = dict(sandbox.env)
    host = ProviderHost(env, python=python)
    try:
        inputs, _ = host.check("dataset", "t", {"name": "adopt me"})
        created = host.create("dataset", "t", inputs)
        read_id, outs, _ = host.read("dataset", "adopted", created.id, {}, as_get=True)
        return read_id, outs
    finally:
        host.close()


def test_get_works_on_the_floor_and_not_below(tmp_path: Path) -> None:
    with served_sandbox() as sandbox:
        floor = _venv_with_pulumi(tmp_path / "floor", FLOOR)
        version = subprocess.run(
            [
                floor,
                "-c",
                "import pulumi, aep_pulumi; print(pulumi.__version__ if hasattr(pulumi, '__version__') else __import__('importlib.metadata').metadata.version('pulumi'))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert version == FLOOR
        read_id, outs = _get_through_host(floor, sandbox)
        assert read_id and outs["name"] == "adopt me"

        below = _venv_with_pulumi(tmp_path / "below", BELOW_FLOOR)
        with pytest.raises(grpc.RpcError) as raised:
            _get_through_host(below, sandbox)
        assert "__provider" in (raised.value.details() or "")


def test_an_import_read_carrying_only_the_id_fails_in_the_dynamic_host() -> None:
    """What `pulumi import` sends (a Read with the id alone) cannot reach our provider: the manual
    says to use `.get()` instead (pulumi/pulumi#16175)."""
    with served_sandbox() as sandbox:
        host = ProviderHost(dict(sandbox.env))
        try:
            request = provider_pb2.ReadRequest(
                id="5cf6bcf79ecc7c14530fe436", urn=host.urn("dataset", "imported")
            )
            with pytest.raises(grpc.RpcError) as raised:
                host.stub.Read(request)
        finally:
            host.close()
    assert "__provider" in (raised.value.details() or "")
