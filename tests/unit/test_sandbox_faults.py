"""The sandbox's scripted faults as `aep-sandbox --fault` writes them, and its exactly-once
switches on the command line (issue #23)."""

from __future__ import annotations

import time

import pytest

from aep_pulumi.sandbox.__main__ import _parser
from aep_pulumi.sandbox.faults import FaultPlan, ScriptedFault, parse_fault


def test_a_fault_for_some_seconds_hits_every_matching_request_then_stops() -> None:
    fault = parse_fault("error:GET:/export/jobs/:503@0.3")
    assert (fault.action, fault.method, fault.path_contains, fault.status) == (
        "error",
        "GET",
        "/export/jobs/",
        503,
    )
    plan = FaultPlan()
    plan.add(fault)
    assert all(plan.pick("GET", "/data/core/ups/export/jobs/7") is fault for _ in range(5))
    time.sleep(0.35)
    assert plan.pick("GET", "/data/core/ups/export/jobs/7") is None


def test_skip_lets_the_first_matches_through() -> None:
    plan = FaultPlan()
    plan.add(ScriptedFault("error", method="PATCH", path_contains="/dataSets/", status=409, skip=1))
    assert plan.pick("PATCH", "/dataSets/x") is None  # the probe passes
    assert plan.pick("PATCH", "/dataSets/x") is not None  # the claim is refused
    assert plan.pick("PATCH", "/dataSets/x") is None


def test_times_and_refusals_of_the_fault_option() -> None:
    assert parse_fault("drop_after:PATCH:/dataSets/x3").times == 3
    with pytest.raises(ValueError, match="unknown action"):
        parse_fault("explode:GET:/x")
    with pytest.raises(ValueError, match="ACTION:METHOD:PATH"):
        parse_fault("error:GET")


def test_the_exactly_once_switches_on_the_command_line() -> None:
    args = _parser().parse_args(
        [
            "--fault",
            "error:PATCH:/dataSets/:403@30",
            "--fault",
            "error:GET:/dataSets/:503x5",
            "--echo-request-id",
            "--patch-read-modify-write",
            "--foreign-twins",
        ]
    )
    assert [parse_fault(f).status for f in args.fault] == [403, 503]
    assert args.echo_request_id and args.patch_read_modify_write and args.foreign_twins
