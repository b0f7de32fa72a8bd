"""The resource interface every resource's core implements, and what its operations return.

:class:`ResourceCore` is the lifecycle each front door drives (check, diff, create, read,
update, delete over plain dicts); the result types are plain data each door wraps in its own
types. :func:`submit_once` is the one rule of every create: a ``POST`` whose outcome is unknown
is resolved by looking, never sent again.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeAlias, TypeVar

from ..errors import AepError
from .context import Context
from .schema import ResourceSpec
from .shapes import Sandboxed

T = TypeVar("T")
# A resource's checked inputs and its state (the TypedDicts of :mod:`.shapes`).
InputsT = TypeVar("InputsT", bound=Sandboxed)
StateT = TypeVar("StateT", bound=Mapping[str, Any])

# The properties a front door hands an operation (raw inputs, or the state as it keeps it):
# typed once checked (:meth:`ResourceCore.validate`) or read (:meth:`ResourceCore.stored`).
Props: TypeAlias = Mapping[str, Any]


@dataclass(frozen=True)
class CheckOutcome(Generic[InputsT]):
    """Normalised inputs, and every ``(property path, reason)`` that makes them unacceptable."""

    inputs: InputsT
    failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class DiffOutcome:
    """What changed: properties that force a replacement, and those updated in place."""

    replaces: list[str] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)
    delete_before_replace: bool = False

    @property
    def changes(self) -> bool:
        return bool(self.replaces or self.updates)


@dataclass(frozen=True)
class CreateOutcome(Generic[StateT]):
    """A new object: its id and the resource's state."""

    id: str
    outputs: StateT


@dataclass(frozen=True)
class ReadOutcome(Generic[StateT]):
    """A refresh or an adoption: ``id`` ``None`` when the object is gone. ``inputs`` are given
    when they should replace the stored inputs (an adoption: what AEP tells of them, which
    need not pass a check)."""

    id: str | None
    outputs: StateT
    inputs: Mapping[str, Any] | None = None


GONE: ReadOutcome[Any] = ReadOutcome(None, {})


@dataclass(frozen=True)
class CallOptions:
    """What a front door knows of one call beyond its properties: the engine's timeout for it
    (``customTimeouts``, seconds), and who claims what it makes (the native plugin reads it from
    the URN; the dynamic door's resources send it as the ``owner`` input)."""

    timeout: float | None = None
    owner: str | None = None


NO_OPTIONS = CallOptions()


def submit_once(
    ctx: Context,
    attempt: Callable[[], T],
    resolve: Callable[[AepError], T],
) -> T:
    """Run ``attempt`` once; a failure that may have taken effect goes to ``resolve`` (which
    returns what was made, or raises), never to a second attempt."""
    try:
        return attempt()
    except AepError as exc:
        if not exc.maybe_applied:
            raise
        return resolve(exc)


def replace_on(spec: ResourceSpec) -> tuple[str, ...]:
    """The inputs whose change forces a replacement."""
    return tuple(p.name for p in spec.properties if p.input and p.replace)


def in_place(spec: ResourceSpec) -> tuple[str, ...]:
    """The inputs a user sets that update in place."""
    return tuple(p.name for p in spec.properties if p.input and not p.replace and not p.internal)


class ResourceCore(abc.ABC, Generic[InputsT, StateT]):
    """One resource's behaviour over plain dicts: the lifecycle every front door drives.

    Front doors hand each operation raw property bags (:data:`Props`); the core types them at
    once: inputs by :meth:`validate`, a state by :meth:`stored`."""

    kind: ClassVar[str]
    # Outputs that AEP sets anew on each in-place update (a preview cannot know them).
    changed_by_update: ClassVar[tuple[str, ...]] = ()

    @staticmethod
    @abc.abstractmethod
    def validate(props: Props) -> tuple[InputsT, list[tuple[str, str]]]:
        """Normalised inputs with defaults, and every ``(property path, reason)`` failure."""

    @staticmethod
    @abc.abstractmethod
    def stored(props: Props) -> StateT:
        """A state as a front door hands it back, typed (the engine's own keys left out)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def check(self, news: Props) -> CheckOutcome[InputsT]:
        """Validate inputs and the ``aep:*`` configuration locally (no AEP call); failures name
        the property path or the configuration key."""
        inputs, failures = type(self).validate(news)
        return CheckOutcome(inputs, [*failures, *self.ctx.config_failures()])

    def new_inputs(self, news: Props) -> InputsT:
        """Normalised new inputs for diff, with the sandbox they would live in."""
        inputs, _ = type(self).validate(news)
        inputs["sandbox_name"] = self.ctx.effective_sandbox(inputs)
        return inputs

    def updating(self, olds: Props, news: Props) -> tuple[InputsT, str]:
        """An update's normalised new inputs, and the sandbox the object already lives in."""
        return self.valid_inputs(news), self.sandbox_of(olds)

    def valid_inputs(self, props: Props) -> InputsT:
        """Normalised inputs, or one clear error listing every failure (create/update called
        without a check, as a direct call may)."""
        inputs, failures = type(self).validate(props)
        if failures:
            detail = "; ".join(f"{path}: {reason}" for path, reason in failures)
            raise AepError(f"invalid {type(self).kind} inputs: {detail}")
        return inputs

    def sandbox_of(self, props: Props) -> str:
        """The sandbox an existing object lives in (its recorded one, else the configured one)."""
        return str(self.ctx.effective_sandbox(props))

    @abc.abstractmethod
    def diff(self, olds: Props, news: Props) -> DiffOutcome:
        """Old state (outputs) against new inputs; never calls AEP."""

    @abc.abstractmethod
    def create(self, props: Props, options: CallOptions = NO_OPTIONS) -> CreateOutcome[StateT]:
        """Create the object; if this raises, nothing is left behind in AEP."""

    @abc.abstractmethod
    def read(self, id_: str, props: Props) -> ReadOutcome[StateT]:
        """Refresh from AEP (``props``: the state), or adopt by id (``props`` holds no inputs)."""

    @abc.abstractmethod
    def update(
        self, id_: str, olds: Props, news: Props, options: CallOptions = NO_OPTIONS
    ) -> StateT:
        """Apply in-place changes; returns the new state."""

    @abc.abstractmethod
    def delete(self, id_: str, props: Props) -> None:
        """Delete (or cancel) the object; one already gone counts as deleted."""
