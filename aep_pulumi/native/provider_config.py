"""The plugin's own inputs: the `aep:` configuration as the engine hands it over.

The engine sends a provider's inputs by the key's name without the package (``endpoint``,
``clientSecret``): for the default provider, every ``aep:*`` key of the stack's configuration;
for an explicit one, its arguments. ``CheckConfig`` checks them on every preview, changed
resources or not (:func:`check_provider_inputs`); ``DiffConfig`` tells the engine what a change
means (:func:`diff_provider_inputs`):

- endpoints, credentials, scopes, timeouts, polling, retries, the claims rule: an update of the
  provider, which the next operation runs on (without one, the engine would keep configuring
  the provider from the inputs its state holds, one run late);
- ``sandboxName``: an update of the provider too, and then each resource's own diff replaces the
  objects that follow the configured sandbox (those that name one themselves stay): a preview
  shows each replacement, with ``sandboxName`` as its reason;
- ``orgId``: a replacement of the provider, and so of every resource it manages, as a region
  change does for a cloud provider: objects cannot move between organizations, and the old
  objects must be deleted with the old organization's provider, which the engine keeps for
  that.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config import KEYS_BY_ATTR, check_config
from ..core.values import is_unknown

# Names the engine and the SDKs put among a provider's inputs that are not configuration.
ENGINE_NAMES = frozenset({"version", "pluginDownloadURL", "pluginChecksums", "parameterization"})
CONFIG_NAMES = {key.config.split(":", 1)[1]: key.config for key in KEYS_BY_ATTR.values()}
SECRET_NAMES = frozenset(key.config.split(":", 1)[1] for key in KEYS_BY_ATTR.values() if key.secret)
# Changes that need a new provider (see the module's description).
REPLACING = frozenset({"orgId"})


def config_text(value: Any) -> str | None:
    """A provider input as configuration text: what ``pulumi config set`` stores. The SDKs send
    an explicit provider's numbers and booleans as JSON text, the engine may send them typed (the
    schema types them): both read the same."""
    if value is None or is_unknown(value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str)):
        return str(value)
    return json.dumps(value)


def configured(inputs: Mapping[str, Any]) -> dict[str, str]:
    """The known ``aep:`` keys among ``inputs``, as configuration text (unknowns, and lists or
    objects, which :func:`check_provider_inputs` refuses, left out)."""
    out: dict[str, str] = {}
    for name, value in inputs.items():
        text = None if isinstance(value, (list, dict)) else config_text(value)
        if name in CONFIG_NAMES and text is not None:
            out[CONFIG_NAMES[name]] = text
    return out


def unknown_key(name: str) -> str:
    """Why ``aep:<name>`` is refused, with the closest key."""
    close = difflib.get_close_matches(name, list(CONFIG_NAMES), n=1, cutoff=0.6)
    hint = (
        f"; did you mean `aep:{close[0]}`?"
        if close
        else f" (its keys: {', '.join(sorted(CONFIG_NAMES.values()))})"
    )
    return f"`aep:{name}` is not a configuration key of the aep provider{hint}"


def check_provider_inputs(inputs: Mapping[str, Any]) -> list[str]:
    """Every problem of the provider's inputs (and of the ``AEP_*`` variables they fall back
    on), each naming its key; secrets are never shown. Missing credentials are not a problem
    here: a preview runs without them, an operation that needs them says so."""
    problems = [
        unknown_key(name)
        for name in sorted(inputs)
        if name not in CONFIG_NAMES and name not in ENGINE_NAMES
    ]
    for name, value in sorted(inputs.items()):
        if name in CONFIG_NAMES and isinstance(value, (list, dict)):
            problems.append(f"`aep:{name}` must be text, a number or a boolean, got {value!r}")
    report = check_config(configured(inputs))
    problems.extend(message for _key, message in report.errors)
    return problems


@dataclass(frozen=True)
class ConfigDiff:
    """What a configuration change does to the provider, in the inputs' names."""

    updates: list[str]
    replaces: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.updates or self.replaces)


def diff_provider_inputs(olds: Mapping[str, Any], news: Mapping[str, Any]) -> ConfigDiff:
    """The configuration keys whose value changed (an unknown new value may change: it counts),
    split into updates and replacements (see the module's description)."""
    changed = []
    for name in sorted(set(olds) | set(news)):
        if name not in CONFIG_NAMES:
            continue
        old, new = olds.get(name), news.get(name)
        if is_unknown(old) or is_unknown(new) or config_text(old) != config_text(new):
            changed.append(name)
    return ConfigDiff(
        updates=[n for n in changed if n not in REPLACING],
        replaces=[n for n in changed if n in REPLACING],
    )
