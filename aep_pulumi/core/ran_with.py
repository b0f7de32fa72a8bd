"""The configuration a provider ran with, for the message of an operation that failed.

Why: ``pulumi refresh``, ``pulumi up --refresh`` and ``pulumi destroy`` configure a provider
from the state's default-provider entry, which the last ``pulumi up`` (even a failed one) wrote,
not from the stack's current config. A refresh can therefore fail on a value the user has
already fixed; naming the values it ran with shows it at once. Both doors say it the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ..config import (
    DEFAULT_ENDPOINT,
    DEFAULT_IMS_ENDPOINT,
    DEFAULT_SANDBOX,
    KEYS_BY_ATTR,
    resolve_raw,
)
from ..errors import AepError

# Shown by value; the secret ones only as "set" or "not set".
_SHOWN = (
    ("endpoint", DEFAULT_ENDPOINT),
    ("ims_endpoint", DEFAULT_IMS_ENDPOINT),
    ("org_id", None),
    ("sandbox_name", DEFAULT_SANDBOX),
    ("client_id", None),
)
_SET_OR_NOT = ("client_secret", "access_token")

HINTS = {
    "read": (
        "`pulumi refresh` and `pulumi up --refresh` run on the configuration the last "
        "`pulumi up` stored in the state, not on the stack's current config: after a config "
        "change, run `pulumi refresh --run-program` or a plain `pulumi up` first"
    ),
    "delete": (
        "`pulumi destroy` runs on the configuration the last `pulumi up` stored in the state, "
        "not on the stack's current config: after a config change, run a plain `pulumi up` "
        "first (or `pulumi destroy --run-program`)"
    ),
}


def _safe_url(value: str) -> str:
    """An endpoint as shown: scheme, host, port and path only (never user info or a query)."""
    parts = urlsplit(value)
    if not parts.scheme or not parts.hostname:
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


def _source(attr: str, config: Mapping[str, Any]) -> str:
    key = KEYS_BY_ATTR[attr]
    value = config.get(key.config)
    return "config" if value not in (None, "") else f"env {key.env}"


def configuration_summary(config: Mapping[str, Any]) -> str:
    """The settings a provider ran with, each with where it came from; secrets only as set or
    not set."""
    raw = resolve_raw(config)
    shown: list[str] = []
    for attr, default in _SHOWN:
        key = KEYS_BY_ATTR[attr]
        value = raw[attr]
        if value is None:
            shown.append(f"{key.config}={default} (default)" if default else f"{key.config} unset")
            continue
        text = _safe_url(value) if attr.endswith("endpoint") else value
        shown.append(f"{key.config}={text} ({_source(attr, config)})")
    for attr in _SET_OR_NOT:
        key = KEYS_BY_ATTR[attr]
        where = f" ({_source(attr, config)})" if raw[attr] else ""
        shown.append(f"{key.config} {'set' + where if raw[attr] else 'not set'}")
    return ", ".join(shown)


def with_configuration(exc: AepError, operation: str, config: Mapping[str, Any]) -> AepError:
    """``exc`` with the configuration the provider ran with, and how to run on the current one."""
    text = f"{exc.message}. The provider ran with {configuration_summary(config)}"
    hint = HINTS.get(operation)
    return exc.with_message(f"{text}. {hint}" if hint else text)
