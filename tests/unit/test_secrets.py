"""Secret hygiene: the client secret and tokens never reach outputs, pickles, logs or errors."""

from __future__ import annotations

import base64
import logging

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.dynamic.dynamic import serialize_provider

from aep_pulumi.errors import AepAuthError, AepError
from aep_pulumi.providers import DatasetProvider, ProfileExportJobProvider
from aep_pulumi.testing import TEST_CLIENT_ID, TEST_CLIENT_SECRET, SandboxHandle


def _secrets(sandbox: SandboxHandle) -> list[str]:
    return [TEST_CLIENT_SECRET, *sandbox.app.store.tokens]


def test_nothing_secret_in_outputs_logs_or_pickles(
    aep_sandbox_inprocess: SandboxHandle,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    sandbox = aep_sandbox_inprocess.use()
    caplog.set_level(logging.DEBUG)
    dataset_provider, job_provider = DatasetProvider(), ProfileExportJobProvider()
    for provider in (dataset_provider, job_provider):
        provider.configure(ConfigureRequest(Config({"aep:clientSecret": TEST_CLIENT_SECRET}, "p")))
    dataset = dataset_provider.create({"name": "secret hygiene"})
    job = job_provider.create({"dataset_id": dataset.id, "fields": ["identities.id"]})
    pickles = [base64.b64decode(serialize_provider(p)) for p in (dataset_provider, job_provider)]
    haystacks = [
        repr(dataset.outs),
        repr(job.outs),
        caplog.text,
        capfd.readouterr().err,
        repr(sandbox.app.request_log),
    ]
    secrets = _secrets(sandbox)
    assert len(secrets) >= 2, "a token was issued"
    for secret in secrets:
        assert all(secret not in text for text in haystacks)
        assert all(secret.encode() not in blob for blob in pickles)
    assert "Authorization" not in caplog.text


def test_auth_failures_do_not_echo_credentials(aep_sandbox_inprocess: SandboxHandle) -> None:
    sandbox = aep_sandbox_inprocess
    sandbox.app.config.credentials = {TEST_CLIENT_ID: "the-right-one"}
    client = sandbox.client()
    with pytest.raises(AepAuthError) as info:
        client.get_export_job(1)
    assert TEST_CLIENT_SECRET not in str(info.value) and "invalid" in str(info.value)


@pytest.mark.parametrize("bad_id", ["../dataSets", "abc?x=1", "a/b", "x#y", "%2F"])
def test_ids_from_state_cannot_inject_urls(
    aep_sandbox_inprocess: SandboxHandle, bad_id: str
) -> None:
    aep_sandbox_inprocess.use()
    before = len(aep_sandbox_inprocess.app.request_log)
    with pytest.raises(AepError, match="invalid dataset id"):
        DatasetProvider().read(bad_id, {"name": "x"})
    with pytest.raises(AepError, match="invalid export job id"):
        ProfileExportJobProvider().delete(bad_id, {})
    assert len(aep_sandbox_inprocess.app.request_log) == before, "nothing was sent"
