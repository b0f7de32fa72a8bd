"""The sandbox's own admin endpoints under ``/_sandbox`` (not AEP's: state, faults, config)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from werkzeug.wrappers import Request, Response

from .faults import FaultPlan, FaultRates, ScriptedFault
from .parts import AppParts
from .responses import json_response

ADMIN = "/_sandbox"


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
        if request.method == "POST":
            body = self.body_of(request) or {}
            for key, value in body.items():
                if not hasattr(self.config, key):
                    return json_response({"error": f"unknown config key {key!r}"}, 400)
                setattr(self.config, key, value)
        return json_response(self.store.config_dict())

    def admin_faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.clear()
        elif request.method == "POST":
            body = self.body_of(request) or {}
            try:
                if "rates" in body:
                    self.faults.rates = FaultRates(**{**asdict(FaultRates()), **body["rates"]})
                for item in body.get("script", []):
                    self.faults.add(ScriptedFault(**item))
            except (TypeError, ValueError) as exc:
                return json_response({"error": str(exc)}, 400)
        return json_response(self.faults.describe())

    def admin_forget_job(self, request: Request, job_id: int) -> Response:
        """Drop a job record but keep its batches, as AEP does with old jobs."""
        sandbox = request.headers.get("x-sandbox-name", "prod")
        return json_response({"forgotten": self.store.forget_job(sandbox, job_id)})

    def admin_expire_tokens(self, request: Request) -> Response:
        return json_response({"expired": self.store.expire_tokens()})
