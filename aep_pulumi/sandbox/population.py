"""A small, deterministic synthetic profile population and what an export writes from it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

_FIRST = ("Ana", "Bruno", "Carla", "Diego", "Elisa", "Felipe", "Gabi", "Hugo", "Iris", "João")
_LAST = ("Silva", "Souza", "Costa", "Santos", "Oliveira", "Pereira", "Lima", "Gomes")
_CITIES = ("São Paulo", "Lisboa", "Porto", "Recife", "Curitiba", "Braga")
_BROWSERS = (("Chrome", "120.0"), ("Firefox", "121.0"), ("Safari", "17.2"), ("Edge", "120.0"))
_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)
POPULATION_SIZE = 24


def _h(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def profile(index: int) -> dict[str, Any]:
    """Profile number ``index`` (stable across runs and machines)."""
    first, last = _FIRST[index % len(_FIRST)], _LAST[_h("last", index) % len(_LAST)]
    ecid = f"{_h('ecid', index):08d}{index:04d}"
    events = []
    for e in range(1 + _h("events", index) % 3):
        browser, version = _BROWSERS[_h("browser", index, e) % len(_BROWSERS)]
        ingested = _EPOCH + timedelta(days=_h("day", index, e) % 700, minutes=e)
        events.append(
            {
                "_id": f"evt-{index}-{e}",
                "timestamp": ingested.isoformat().replace("+00:00", "Z"),
                "_ingestTimestamp": ingested.isoformat().replace("+00:00", "Z"),
                "eventType": "web.webpagedetails.pageViews",
                "environment": {"browserDetails": {"name": browser, "version": version}},
            }
        )
    return {
        "identities": [{"id": ecid, "namespace": {"code": "ECID"}}],
        "identityMap": {"ECID": [{"id": ecid, "primary": True}]},
        "personalEmail": {"address": f"{first}.{last}{index}@example.com".lower()},
        "person": {"name": {"firstName": first, "lastName": last}},
        "homeAddress": {"city": _CITIES[_h("city", index) % len(_CITIES)], "countryCode": "BR"},
        "loyalty": {
            "points": _h("points", index) % 5000,
            "tier": ("bronze", "silver", "gold")[index % 3],
        },
        "_updated": (_EPOCH + timedelta(days=index * 30)).isoformat().replace("+00:00", "Z"),
        "_events": events,
    }


def in_segment(index: int, segment_id: str) -> bool:
    """Deterministic membership: about a third of the population per segment."""
    return _h("segment", segment_id, index) % 3 == 0


def _pick(record: Mapping[str, Any], path: str) -> Any:
    node: Any = record
    for part in path.split("."):
        if isinstance(node, list):
            node = [n.get(part) for n in node if isinstance(n, Mapping)]
            node = [n for n in node if n is not None] or None
        elif isinstance(node, Mapping):
            node = node.get(part)
        else:
            return None
        if node is None:
            return None
    return node


def _project(record: Mapping[str, Any], paths: Iterable[str] | None) -> dict[str, Any]:
    if not paths:
        return {k: v for k, v in record.items() if not k.startswith("_")}
    out: dict[str, Any] = {}
    for path in paths:
        value = _pick(record, path)
        if value is None:
            continue
        node = out
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def _parse_ts(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def export_records(
    request: Mapping[str, Any], segment_id: str | None = None
) -> list[dict[str, Any]]:
    """The records an export job request selects (optionally only one segment's members)."""
    fields = [f for f in (request.get("fields") or "").split(",") if f] or None
    api_filter = request.get("filter") or {}
    segments = [s.get("segmentId") for s in api_filter.get("segments") or [] if s.get("segmentId")]
    if segment_id is not None:
        segments = [segment_id]
    profiles_from = _parse_ts(api_filter.get("fromIngestTimestamp"))
    event_list = (request.get("additionalFields") or {}).get("eventList")
    records: list[dict[str, Any]] = []
    for index in range(POPULATION_SIZE):
        person = profile(index)
        if segments and not any(in_segment(index, s) for s in segments):
            continue
        updated = _parse_ts(person["_updated"])
        if profiles_from and updated and updated <= profiles_from:
            continue
        record = _project(person, fields)
        if event_list is not None:
            event_fields = [f for f in (event_list.get("fields") or "").split(",") if f] or None
            events_from = _parse_ts((event_list.get("filter") or {}).get("fromIngestTimestamp"))
            events = []
            for event in person["_events"]:
                ingested = _parse_ts(event["_ingestTimestamp"])
                if events_from and ingested and ingested <= events_from:
                    continue
                events.append(_project(event, event_fields) if event_fields else dict(event))
            record["eventList"] = events
        records.append(record)
    return records


def to_json_lines(records: list[dict[str, Any]]) -> bytes:
    """Newline-delimited JSON, the format of the sandbox's export files."""
    return "".join(
        json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records
    ).encode()
