"""Provider settings: Pulumi config (namespace ``aep``) first, ``AEP_*`` env vars second.

``AepSettings`` holds credentials, so it refuses to be pickled and never shows them in its repr.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, NoReturn
from urllib.parse import urlsplit

from .errors import AepConfigError

DEFAULT_ENDPOINT = "https://platform.adobe.io"
DEFAULT_IMS_ENDPOINT = "https://ims-na1.adobelogin.com"
DEFAULT_SANDBOX = "prod"
# The scopes Adobe's developer console grants an AEP OAuth server-to-server credential.
DEFAULT_SCOPES = "openid,AdobeID,read_organizations,additional_info.projectedProductContext,session"


@dataclass(frozen=True)
class _Key:
    attr: str
    config: str
    env: str
    secret: bool = False


_KEYS = (
    _Key("endpoint", "aep:endpoint", "AEP_ENDPOINT"),
    _Key("ims_endpoint", "aep:imsEndpoint", "AEP_IMS_ENDPOINT"),
    _Key("client_id", "aep:clientId", "AEP_CLIENT_ID"),
    _Key("client_secret", "aep:clientSecret", "AEP_CLIENT_SECRET", secret=True),
    _Key("scopes", "aep:scopes", "AEP_SCOPES"),
    _Key("org_id", "aep:orgId", "AEP_ORG_ID"),
    _Key("sandbox_name", "aep:sandboxName", "AEP_SANDBOX_NAME"),
    _Key("access_token", "aep:accessToken", "AEP_ACCESS_TOKEN", secret=True),
    _Key("api_key", "aep:apiKey", "AEP_API_KEY"),
    _Key("http_timeout", "aep:httpTimeoutSeconds", "AEP_HTTP_TIMEOUT_SECONDS"),
    _Key("poll_initial_interval", "aep:pollInitialSeconds", "AEP_POLL_INITIAL_SECONDS"),
    _Key("poll_max_interval", "aep:pollMaxSeconds", "AEP_POLL_MAX_SECONDS"),
    _Key("max_retries", "aep:maxRetries", "AEP_MAX_RETRIES"),
)
_BY_ATTR = {k.attr: k for k in _KEYS}


def _key_names(attr: str) -> str:
    key = _BY_ATTR[attr]
    return f"`{key.config}` (or env {key.env})"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_endpoint(attr: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AepConfigError(f"{_key_names(attr)} must be an http(s) URL, got {url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise AepConfigError(
            f"{_key_names(attr)} uses plain http:// to {parts.hostname}; only https is allowed "
            "except on loopback hosts (127.0.0.1, ::1, localhost)"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise AepConfigError(
            f"{_key_names(attr)} must not contain credentials, a query or a fragment"
        )
    return url.rstrip("/")


def _positive_float(attr: str, raw: str | None, default: float) -> float:
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise AepConfigError(f"{_key_names(attr)} must be a number, got {raw!r}") from None
    if value <= 0:
        raise AepConfigError(f"{_key_names(attr)} must be greater than 0, got {raw!r}")
    return value


def _non_negative_int(attr: str, raw: str | None, default: int) -> int:
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise AepConfigError(f"{_key_names(attr)} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise AepConfigError(f"{_key_names(attr)} must be 0 or more, got {raw!r}")
    return value


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
    http_timeout: float = 30.0
    poll_initial_interval: float = 1.0
    poll_max_interval: float = 30.0
    max_retries: int = 5

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
        config = config or {}
        env = os.environ if env is None else env
        raw: dict[str, str | None] = {}
        for key in _KEYS:
            value = config.get(key.config)
            if value is None or value == "":
                value = env.get(key.env)
            raw[key.attr] = None if value is None or str(value) == "" else str(value)

        org_id = raw["org_id"]
        if not org_id:
            raise AepConfigError(f"missing configuration: {_key_names('org_id')} is required")
        access_token = raw["access_token"]
        client_id = raw["client_id"]
        client_secret = raw["client_secret"]
        if not access_token:
            if not client_id:
                raise AepConfigError(
                    f"missing configuration: set {_key_names('client_id')} and "
                    f"{_key_names('client_secret')}, or {_key_names('access_token')}"
                )
            if not client_secret:
                raise AepConfigError(
                    f"missing configuration: {_key_names('client_secret')} is required with "
                    f"{_key_names('client_id')} (set it with `pulumi config set --secret`)"
                )
        api_key = raw["api_key"] or client_id
        if not api_key:
            raise AepConfigError(
                f"missing configuration: {_key_names('api_key')} is required when only an "
                f"access token is configured (it defaults to {_key_names('client_id')})"
            )
        sandbox = _check_sandbox(raw["sandbox_name"])
        return cls(
            org_id=org_id,
            endpoint=_check_endpoint("endpoint", raw["endpoint"] or DEFAULT_ENDPOINT),
            ims_endpoint=_check_endpoint(
                "ims_endpoint", raw["ims_endpoint"] or DEFAULT_IMS_ENDPOINT
            ),
            client_id=client_id,
            client_secret=client_secret,
            scopes=raw["scopes"] or DEFAULT_SCOPES,
            sandbox_name=sandbox,
            access_token=access_token,
            api_key=api_key,
            http_timeout=_positive_float("http_timeout", raw["http_timeout"], 30.0),
            poll_initial_interval=_positive_float(
                "poll_initial_interval", raw["poll_initial_interval"], 1.0
            ),
            poll_max_interval=_positive_float("poll_max_interval", raw["poll_max_interval"], 30.0),
            max_retries=_non_negative_int("max_retries", raw["max_retries"], 5),
        )

    def __reduce__(self) -> NoReturn:
        raise TypeError("AepSettings holds credentials and must not be pickled")

    def describe(self) -> dict[str, str]:
        """A credential-free summary, safe for logs and error messages."""
        out: dict[str, str] = {}
        for f in fields(self):
            key = _BY_ATTR.get(f.name)
            value = getattr(self, f.name)
            if key is not None and key.secret:
                out[f.name] = "<set>" if value else "<unset>"
            else:
                out[f.name] = str(value)
        return out


def _check_sandbox(raw: str | None) -> str:
    sandbox = (raw or DEFAULT_SANDBOX).strip()
    if sandbox != sandbox.lower() or not sandbox:
        raise AepConfigError(
            f"{_key_names('sandbox_name')} must be the all-lower-case sandbox name, got {sandbox!r}"
        )
    return sandbox


# Each value check of `AepSettings.load`, runnable on its own (no credentials needed).
_VALUE_CHECKS: dict[str, Any] = {
    "endpoint": lambda v: _check_endpoint("endpoint", v),
    "ims_endpoint": lambda v: _check_endpoint("ims_endpoint", v),
    "sandbox_name": _check_sandbox,
    "http_timeout": lambda v: _positive_float("http_timeout", v, 30.0),
    "poll_initial_interval": lambda v: _positive_float("poll_initial_interval", v, 1.0),
    "poll_max_interval": lambda v: _positive_float("poll_max_interval", v, 30.0),
    "max_retries": lambda v: _non_negative_int("max_retries", v, 5),
}


@dataclass
class ConfigReport:
    """What ``pulumi preview`` says about the configuration, without calling AEP."""

    # (config key, message): values that `up` would refuse.
    errors: list[tuple[str, str]] = field(default_factory=list)
    # `aep:` keys this package does not know, with the closest valid key.
    warnings: list[str] = field(default_factory=list)
    # What `up` will need that is not configured (credentials, org).
    missing: str | None = None


def check_config(
    config: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    all_keys: list[str] | None = None,
) -> ConfigReport:
    """Check every configured value the way :meth:`AepSettings.load` would, but report missing
    credentials instead of failing (CI previews often run without secrets).

    ``all_keys`` lists every stack config key, so that a mistyped ``aep:`` key can be reported.
    """
    config = config or {}
    env = os.environ if env is None else env
    report = ConfigReport()
    for key in _KEYS:
        value = config.get(key.config)
        if value is None or value == "":
            value = env.get(key.env)
        check = _VALUE_CHECKS.get(key.attr)
        if check is None or value is None or str(value) == "":
            continue
        try:
            check(str(value))
        except AepConfigError as exc:
            report.errors.append((key.config, exc.message))
    known = [k.config for k in _KEYS]
    for name in all_keys or []:
        if name.startswith("aep:") and name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = (
                f"; did you mean `{close[0]}`?" if close else f" (known keys: {', '.join(known)})"
            )
            report.warnings.append(f"unknown configuration key `{name}`{hint}")
    try:
        AepSettings.load(config, env)
    except AepConfigError as exc:
        if not report.errors and "missing configuration" in exc.message:
            report.missing = exc.message
    return report


def config_keys() -> list[tuple[str, str]]:
    """``(pulumi config key, env var)`` pairs, for documentation and tests."""
    return [(k.config, k.env) for k in _KEYS]
