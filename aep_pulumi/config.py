"""The ``aep:*`` configuration keys, their environment fallbacks, and checks of their values.

Kept apart from :mod:`aep_pulumi.settings` (and free of dataclasses and requests) so that a
provider's ``check`` (every ``pulumi preview``) can validate configuration at no import cost.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from .errors import AepConfigError

DEFAULT_ENDPOINT = "https://platform.adobe.io"
DEFAULT_IMS_ENDPOINT = "https://ims-na1.adobelogin.com"
DEFAULT_SANDBOX = "prod"
# The scopes Adobe's developer console grants an AEP OAuth server-to-server credential.
DEFAULT_SCOPES = "openid,AdobeID,read_organizations,additional_info.projectedProductContext,session"
DEFAULT_HTTP_TIMEOUT = 30.0
DEFAULT_POLL_INITIAL = 1.8
DEFAULT_POLL_MAX = 30.0
DEFAULT_MAX_RETRIES = 5
# How long a create whose answer was lost watches the job listing before it decides: AEP may
# process a POST after the client gave up, and list a new job tens of seconds after that.
DEFAULT_LOST_ANSWER_SEARCH = 120.0


class _Key(NamedTuple):
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
    _Key("lost_answer_search", "aep:lostAnswerSearchSeconds", "AEP_LOST_ANSWER_SEARCH_SECONDS"),
    _Key("require_claims", "aep:requireClaims", "AEP_REQUIRE_CLAIMS"),
)
KEYS_BY_ATTR = {k.attr: k for k in _KEYS}


def _key_names(attr: str) -> str:
    key = KEYS_BY_ATTR[attr]
    return f"`{key.config}` (or env {key.env})"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(attr: str, url: str) -> str:
    """A safe endpoint URL (https, or http on loopback), without a trailing slash."""
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


def positive_float(attr: str, raw: str | None, default: float) -> float:
    """A number greater than 0 (``default`` when unset)."""
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise AepConfigError(f"{_key_names(attr)} must be a number, got {raw!r}") from None
    if value <= 0:
        raise AepConfigError(f"{_key_names(attr)} must be greater than 0, got {raw!r}")
    return value


def non_negative_int(attr: str, raw: str | None, default: int) -> int:
    """A whole number, 0 or more (``default`` when unset)."""
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise AepConfigError(f"{_key_names(attr)} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise AepConfigError(f"{_key_names(attr)} must be 0 or more, got {raw!r}")
    return value


def boolean(attr: str, raw: str | None, default: bool) -> bool:
    """``true``/``false`` (any case; ``default`` when unset)."""
    if raw is None or str(raw).strip() == "":
        return default
    text = str(raw).strip().lower()
    if text not in ("true", "false"):
        raise AepConfigError(f"{_key_names(attr)} must be true or false, got {raw!r}")
    return text == "true"


def check_credential(attr: str, raw: str) -> str:
    """A credential or id that can travel in an HTTP header: no spaces, tabs or line breaks (a
    value pasted with its trailing newline). The value itself is never shown."""
    for char in raw:
        if char.isspace() or not char.isprintable():
            what = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab", " ": "a space"}
            raise AepConfigError(
                f"{_key_names(attr)} contains {what.get(char, 'a control character')} "
                f"({len(raw)} characters in all); nothing was sent. Set it again without it"
            )
    return raw


def resolve_raw(
    config: Mapping[str, Any] | None, env: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """Each setting's raw text: config first, then the environment (``None`` when unset)."""
    config = config or {}
    env = os.environ if env is None else env
    raw: dict[str, str | None] = {}
    for key in _KEYS:
        value = config.get(key.config)
        if value is None or value == "":
            value = env.get(key.env)
        raw[key.attr] = None if value is None or str(value) == "" else str(value)
    return raw


def missing_credentials(raw: Mapping[str, str | None]) -> str | None:
    """What `up` needs that is not configured, as one message naming the keys."""
    if not raw["org_id"]:
        return f"missing configuration: {_key_names('org_id')} is required"
    if raw["access_token"]:
        if not (raw["api_key"] or raw["client_id"]):
            return (
                f"missing configuration: {_key_names('api_key')} is required when only an "
                f"access token is configured (it defaults to {_key_names('client_id')})"
            )
        return None
    if not raw["client_id"]:
        return (
            f"missing configuration: set {_key_names('client_id')} and "
            f"{_key_names('client_secret')}, or {_key_names('access_token')}"
        )
    if not raw["client_secret"]:
        return (
            f"missing configuration: {_key_names('client_secret')} is required with "
            f"{_key_names('client_id')} (set it with `pulumi config set --secret`)"
        )
    return None


def check_sandbox(raw: str | None) -> str:
    """The sandbox name, which must be all lower case (``prod`` when unset)."""
    sandbox = (raw or DEFAULT_SANDBOX).strip()
    if sandbox != sandbox.lower() or not sandbox:
        raise AepConfigError(
            f"{_key_names('sandbox_name')} must be the all-lower-case sandbox name, got {sandbox!r}"
        )
    return sandbox


# Each value check of `AepSettings.load`, runnable on its own (no credentials needed).
_VALUE_CHECKS: dict[str, Any] = {
    "endpoint": lambda v: check_endpoint("endpoint", v),
    "ims_endpoint": lambda v: check_endpoint("ims_endpoint", v),
    "sandbox_name": check_sandbox,
    "http_timeout": lambda v: positive_float("http_timeout", v, DEFAULT_HTTP_TIMEOUT),
    "poll_initial_interval": lambda v: positive_float(
        "poll_initial_interval", v, DEFAULT_POLL_INITIAL
    ),
    "poll_max_interval": lambda v: positive_float("poll_max_interval", v, DEFAULT_POLL_MAX),
    "max_retries": lambda v: non_negative_int("max_retries", v, DEFAULT_MAX_RETRIES),
    "lost_answer_search": lambda v: positive_float(
        "lost_answer_search", v, DEFAULT_LOST_ANSWER_SEARCH
    ),
    "require_claims": lambda v: boolean("require_claims", v, True),
    **{
        attr: (lambda v, attr=attr: check_credential(attr, v))
        for attr in ("client_id", "client_secret", "access_token", "api_key", "org_id")
    },
}


class ConfigReport:
    """What ``pulumi preview`` says about the configuration, without calling AEP."""

    def __init__(self) -> None:
        # (config key, message): values that `up` would refuse.
        self.errors: list[tuple[str, str]] = []
        # `aep:` keys this package does not know, with the closest valid key.
        self.warnings: list[str] = []
        # What `up` will need that is not configured (credentials, org).
        self.missing: str | None = None


def check_config(
    config: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    all_keys: list[str] | None = None,
) -> ConfigReport:
    """Check every configured value the way :meth:`AepSettings.load` would, but report missing
    credentials instead of failing (CI previews often run without secrets).

    ``all_keys`` lists every stack config key, so that a mistyped ``aep:`` key can be reported.
    """
    report = ConfigReport()
    raw = resolve_raw(config, env)
    for key in _KEYS:
        value = raw[key.attr]
        check = _VALUE_CHECKS.get(key.attr)
        if check is None or value is None:
            continue
        try:
            check(value)
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
    if not report.errors:
        report.missing = missing_credentials(resolve_raw(config, env))
    return report


def config_keys() -> list[tuple[str, str]]:
    """``(pulumi config key, env var)`` pairs, for documentation and tests."""
    return [(k.config, k.env) for k in _KEYS]
