"""The README's configuration table names every key, its variable and its real default."""

from __future__ import annotations

import re
from pathlib import Path

from aep_pulumi import config

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
ROWS = {
    m.group(1): (m.group(2), m.group(3))
    for m in re.finditer(r"^\| `(aep:\w+)` \| `(AEP_\w+)` \| ([^|]+) \|", README, flags=re.M)
}


def test_every_key_is_documented_with_its_variable() -> None:
    assert {k: env for k, (env, _) in ROWS.items()} == dict(config.config_keys())


def test_documented_defaults_are_the_code_defaults() -> None:
    expected = {
        "aep:endpoint": config.DEFAULT_ENDPOINT,
        "aep:imsEndpoint": config.DEFAULT_IMS_ENDPOINT,
        "aep:sandboxName": config.DEFAULT_SANDBOX,
        "aep:scopes": config.DEFAULT_SCOPES,
        "aep:httpTimeoutSeconds": config.DEFAULT_HTTP_TIMEOUT,
        "aep:maxRetries": config.DEFAULT_MAX_RETRIES,
        "aep:lostAnswerSearchSeconds": config.DEFAULT_LOST_ANSWER_SEARCH,
        "aep:pollInitialSeconds": config.DEFAULT_POLL_INITIAL,
        "aep:pollMaxSeconds": config.DEFAULT_POLL_MAX,
    }
    for key, value in expected.items():
        documented = ROWS[key][1].strip().strip("`")
        assert documented == (f"{value:g}" if isinstance(value, float) else str(value)), key
