"""The sandbox's own admin endpoints under ``/_sandbox`` (not AEP's: state, faults, config)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from .admin_input import AdminInputError, checked_fields, checked_list
from .config import SandboxConfig
from .faults import ACTIONS, FaultPlan, FaultRates, ScriptedFault
from .parts import AppParts
from .responses import json_response

ADMIN = "/_sandbox"


@dataclass
class _FaultsBody:
    """The fields of a ``POST /_sandbox/faults`` body (each checked further on its own)."""

    rates: dict[str, Any] | None = None
    script: list[dict[str, Any]] | None = None


def _bad_field(exc: AdminInputError) -> Response:
    """A 400 naming the field, as every other refused request names what was wrong."""
    return json_response({"error": str(exc), "field": exc.field}, 400)


class AdminRoutes(AppParts):
    """State, reset, config, faults, tokens and forgetting jobs (mixed into the app)."""

    faults: FaultPlan
    violations: list[str]
    request_log: list[dict[str, Any]]

    def admin_state(self, request: Request) -> Response:
        """One sandbox's datasets and jobs (``?sandbox=``, default prod: the keys the test kit's
        ``handle.state()`` gives), every sandbox's under ``sandboxes``, spec violations and the
        number of requests served."""
        snapshot = self.store.snapshot()
        one = snapshot.get(request.args.get("sandbox", "prod"), {})
        return json_response(
            {
                "datasets": one.get("datasets", {}),
                "jobs": one.get("jobs", {}),
                "sandboxes": snapshot,
                "violations": self.violations,
                "requests": len(self.request_log),
            }
        )

    def admin_reset(self, request: Request) -> Response:
        self.store.reset()
        self.faults.clear()
        self.violations.clear()
        return json_response({"reset": True})

    def admin_config(self, request: Request) -> Response:
        """The knobs; a POST sets some (every field checked before any is set)."""
        if request.method == "POST":
            try:
                changes = checked_fields(SandboxConfig, self._admin_body(request))
            except AdminInputError as exc:
                return _bad_field(exc)
            for key, value in changes.items():
                setattr(self.config, key, value)
        return json_response(self.store.config_dict())

    def admin_faults(self, request: Request) -> Response:
        """Rates and scripted faults; a POST adds some (all checked before any is applied)."""
        if request.method == "DELETE":
            self.faults.clear()
        elif request.method == "POST":
            try:
                rates, script = self._fault_changes(self._admin_body(request))
            except AdminInputError as exc:
                return _bad_field(exc)
            if rates is not None:
                self.faults.rates = rates
            for fault in script:
                self.faults.add(fault)
        return json_response(self.faults.describe())

    def _admin_body(self, request: Request) -> Any:
        """The body (``{}`` when empty); a body that is not JSON is refused."""
        data = request.get_data()
        body = self.body_of(request)
        if data.strip() and body is None:
            raise AdminInputError("body", "must be a JSON object")
        return {} if body is None else body

    @staticmethod
    def _fault_changes(body: Any) -> tuple[FaultRates | None, list[ScriptedFault]]:
        checked_fields(_FaultsBody, body)
        rates = None
        if "rates" in body:
            given = checked_fields(FaultRates, body["rates"], "rates")
            rates = FaultRates(**{**asdict(FaultRates()), **given})
        script = []
        for i, item in enumerate(checked_list(body, "script")):
            fault = ScriptedFault(**checked_fields(ScriptedFault, item, f"script[{i}]"))
            if fault.action not in ACTIONS:
                raise AdminInputError(
                    f"script[{i}].action",
                    f"unknown fault action {fault.action!r}; expected one of {', '.join(ACTIONS)}",
                )
            script.append(fault)
        return rates, script

    def admin_forget_job(self, request: Request, job_id: int) -> Response:
        """Drop a job record but keep its batches, as AEP does with old jobs."""
        sandbox = request.headers.get("x-sandbox-name", "prod")
        return json_response({"forgotten": self.store.forget_job(sandbox, job_id)})

    def admin_expire_tokens(self, request: Request) -> Response:
        return json_response({"expired": self.store.expire_tokens()})
