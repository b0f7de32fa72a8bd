"""Provider settings: Pulumi config (namespace ``aep``) first, ``AEP_*`` env vars second.

``AepSettings`` holds credentials, so it refuses to be pickled and never shows them in its repr.
The key table and the value checks live in :mod:`aep_pulumi.config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, NoReturn

from .config import (
    DEFAULT_ENDPOINT,
    DEFAULT_HTTP_TIMEOUT,
    DEFAULT_IMS_ENDPOINT,
    DEFAULT_LOST_ANSWER_SEARCH,
    DEFAULT_MAX_RETRIES,
    DEFAULT_POLL_INITIAL,
    DEFAULT_POLL_MAX,
    DEFAULT_SANDBOX,
    DEFAULT_SCOPES,
    KEYS_BY_ATTR,
    ConfigReport,
    boolean,
    check_config,
    check_credential,
    check_endpoint,
    check_sandbox,
    config_keys,
    missing_credentials,
    non_negative_int,
    positive_float,
    resolve_raw,
)
from .errors import AepConfigError

__all__ = ["AepSettings", "ConfigReport", "check_config", "config_keys"]


@dataclass(frozen=True)
class AepSettings:
    """Everything needed to call AEP, resolved once per provider process.

    Build it with :meth:`load`; the constructor does no validation of its own.
    """

    org_id: str
    endpoint: str = DEFAULT_ENDPOINT
    ims_endpoint: str = DEFAULT_IMS_ENDPOINT
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    scopes: str = DEFAULT_SCOPES
    sandbox_name: str = DEFAULT_SANDBOX
    access_token: str | None = field(default=None, repr=False)
    api_key: str = ""
    http_timeout: float = DEFAULT_HTTP_TIMEOUT
    poll_initial_interval: float = DEFAULT_POLL_INITIAL
    poll_max_interval: float = DEFAULT_POLL_MAX
    max_retries: int = DEFAULT_MAX_RETRIES
    lost_answer_search: float = DEFAULT_LOST_ANSWER_SEARCH
    # Whether an export job may run only once its claim on the target dataset is written and
    # read back (see core/export_job/claims.py); false trades that protection for datasets these
    # credentials cannot tag.
    require_claims: bool = True

    @classmethod
    def load(
        cls,
        config: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> AepSettings:
        """Resolve settings from Pulumi config (``aep:*`` keys) and the environment.

        Config wins over the environment; defaults come last. Raises :class:`AepConfigError`
        naming the key when something required is missing or a value is unsafe.
        """
        raw = resolve_raw(config, env)
        missing = missing_credentials(raw)
        if missing:
            raise AepConfigError(missing)
        for attr in ("org_id", "client_id", "client_secret", "access_token", "api_key"):
            value = raw[attr]
            if value is not None:
                check_credential(attr, value)
        org_id = str(raw["org_id"])
        access_token = raw["access_token"]
        client_id = raw["client_id"]
        client_secret = raw["client_secret"]
        api_key = str(raw["api_key"] or client_id)
        sandbox = check_sandbox(raw["sandbox_name"])
        return cls(
            org_id=org_id,
            endpoint=check_endpoint("endpoint", raw["endpoint"] or DEFAULT_ENDPOINT),
            ims_endpoint=check_endpoint(
                "ims_endpoint", raw["ims_endpoint"] or DEFAULT_IMS_ENDPOINT
            ),
            client_id=client_id,
            client_secret=client_secret,
            scopes=raw["scopes"] or DEFAULT_SCOPES,
            sandbox_name=sandbox,
            access_token=access_token,
            api_key=api_key,
            http_timeout=positive_float("http_timeout", raw["http_timeout"], DEFAULT_HTTP_TIMEOUT),
            poll_initial_interval=positive_float(
                "poll_initial_interval", raw["poll_initial_interval"], DEFAULT_POLL_INITIAL
            ),
            poll_max_interval=positive_float(
                "poll_max_interval", raw["poll_max_interval"], DEFAULT_POLL_MAX
            ),
            max_retries=non_negative_int("max_retries", raw["max_retries"], DEFAULT_MAX_RETRIES),
            lost_answer_search=positive_float(
                "lost_answer_search", raw["lost_answer_search"], DEFAULT_LOST_ANSWER_SEARCH
            ),
            require_claims=boolean("require_claims", raw["require_claims"], True),
        )

    def __reduce__(self) -> NoReturn:
        raise TypeError("AepSettings holds credentials and must not be pickled")

    def describe(self) -> dict[str, str]:
        """A credential-free summary, safe for logs and error messages."""
        out: dict[str, str] = {}
        for f in fields(self):
            key = KEYS_BY_ATTR.get(f.name)
            value = getattr(self, f.name)
            if key is not None and key.secret:
                out[f.name] = "<set>" if value else "<unset>"
            else:
                out[f.name] = str(value)
        return out
