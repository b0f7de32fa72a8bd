"""What both providers share: configuration, a lazily built client, error surfacing.

Providers are pickled (by reference, since they live in this installed package) into every
resource's state. They therefore hold nothing from ``__init__``; ``configure()`` runs in the
provider host process and only records the ``aep:*`` config, and the client (with credentials)
is built on first use. ``__getstate__`` drops all of it, so even a configured provider pickles
to an empty shell.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, ResourceProvider

from ..config import check_config, config_keys
from ..errors import AepError
from ..inputs import is_unknown

if TYPE_CHECKING:
    from ..client import AepClient
    from ..settings import AepSettings

_CLIENT_LOCK = threading.Lock()
# Configuration notes already given by this process (a preview checks many resources).
_SAID: set[str] = set()
_SAID_LOCK = threading.Lock()


def say_once(message: str) -> None:
    """A preview-time warning, given once per provider process."""
    with _SAID_LOCK:
        if message in _SAID:
            return
        _SAID.add(message)
    pulumi.log.warn(message)


F = TypeVar("F", bound=Callable[..., Any])


def surface_errors(method: F) -> F:
    """Re-raise :class:`AepError` without the deep stack behind it.

    The provider host prints ``traceback.format_exc()`` for any exception; cutting the chain
    here leaves a short trace that ends with AEP's status, code, message and request id.
    """

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except AepError as exc:
            raise exc.with_traceback(None) from None

    return cast(F, wrapper)


def log_info(message: str) -> None:
    """Progress for the Pulumi CLI (``info:`` lines)."""
    pulumi.log.info(message)


def log_warn(message: str) -> None:
    """Warnings for the Pulumi CLI."""
    pulumi.log.warn(message)


def to_check_result(inputs: dict[str, Any], failures: list[tuple[str, str]]) -> CheckResult:
    return CheckResult(inputs, [CheckFailure(path, reason) for path, reason in failures])


Validator = Callable[[Mapping[str, Any]], tuple[dict[str, Any], list[tuple[str, str]]]]


def require_valid(validate: Validator, props: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """Normalised inputs, or one clear error listing every failure (for direct calls)."""
    inputs, failures = validate(props)
    if failures:
        detail = "; ".join(f"{path}: {reason}" for path, reason in failures)
        raise AepError(f"invalid {kind} inputs: {detail}")
    return inputs


def changed_keys(
    olds: Mapping[str, Any], news: Mapping[str, Any], keys: tuple[str, ...]
) -> list[str]:
    """The keys among ``keys`` whose value differs between old state and new inputs."""
    return [k for k in keys if changed(olds.get(k), news.get(k))]


def changed(old: Any, new: Any) -> bool:
    """Whether an input changed; an unknown new value may change, so it counts."""
    if is_unknown(new) or is_unknown(old):
        return True
    return bool(_plain(old) != _plain(new))


def _plain(value: Any) -> Any:
    """Compare 1 and 1.0, tuples and lists, as the same value."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class AepProviderBase(ResourceProvider):
    """Configuration and client handling shared by the AEP providers."""

    _raw_config: dict[str, Any] | None = None
    _config_key_names: list[str] | None = None
    _client: AepClient | None = None
    kind: ClassVar[str]

    @staticmethod
    def validate(props: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The provider's input validator (see :mod:`aep_pulumi.inputs`); check and diff share it."""
        raise NotImplementedError

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate inputs and the ``aep:*`` configuration locally (no AEP call); failures name
        the property path or the configuration key."""
        inputs, failures = type(self).validate(news)
        return to_check_result(inputs, [*failures, *self.config_failures()])

    def config_failures(self) -> list[tuple[str, str]]:
        """Malformed configuration values as check failures; unknown keys and missing
        credentials as one-time warnings (a preview without secrets still succeeds)."""
        report = check_config(self._raw_config or {}, all_keys=self._config_key_names)
        for warning in report.warnings:
            say_once(warning)
        if report.missing:
            say_once(f"{report.missing}: `pulumi up` will need it (a preview does not)")
        return list(report.errors)

    def new_inputs(self, news: Mapping[str, Any]) -> dict[str, Any]:
        """Normalised new inputs for diff, with the sandbox they would live in."""
        inputs, _ = type(self).validate(news)
        inputs["sandbox_name"] = self.effective_sandbox(inputs)
        return inputs

    def valid_inputs(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Normalised inputs, or one clear error (create/update called without check)."""
        return require_valid(type(self).validate, props, type(self).kind)

    def __init__(self) -> None:
        super().__init__()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def configure(self, req: ConfigureRequest) -> None:
        """Record the stack's ``aep:*`` configuration (secret values arrive decrypted)."""
        raw: dict[str, Any] = {}
        for key, _env in config_keys():
            value = req.config.get(key)
            if value is not None:
                raw[key] = value
        self._raw_config = raw
        # Every stack key, so that a mistyped `aep:` key can be reported (the dynamic host's
        # Config keeps them in `_props`).
        self._config_key_names = sorted(getattr(req.config, "_props", {}) or {})
        self._client = None

    def settings(self) -> AepSettings:
        """Resolved settings: config first, then ``AEP_*`` environment variables."""
        from ..settings import AepSettings

        return AepSettings.load(self._raw_config or {})

    def client(self) -> AepClient:
        """The process-wide client, built on first use (thread-safe)."""
        client = self._client
        if client is None:
            with _CLIENT_LOCK:
                client = self._client
                if client is None:
                    # Imported here: requests and pydantic are not needed for check/diff.
                    from ..client import AepClient

                    client = AepClient(self.settings())
                    self._client = client
        return client

    def default_sandbox(self) -> str:
        """The configured sandbox, read without requiring credentials (used by diff)."""
        configured = (self._raw_config or {}).get("aep:sandboxName") or os.environ.get(
            "AEP_SANDBOX_NAME"
        )
        return str(configured or "prod").strip()

    def effective_sandbox(self, inputs: Mapping[str, Any]) -> Any:
        """The resource's own ``sandbox_name`` or, when unset, the configured one."""
        value = inputs.get("sandbox_name")
        return value if value is not None else self.default_sandbox()
