"""The resource reference of ``docs/resources.md``, written from the core's one description of
each resource (:mod:`aep_pulumi.core.schema`), so the manual cannot drift from the code.

    python scripts/reference.py            # print it
    python scripts/reference.py --write    # rewrite its blocks in docs/resources.md (`make reference`)

Each resource gets a table of inputs (the Python name, the name in YAML, TypeScript and Go, the
type, the default, what a change does) and one of outputs; object types get their own.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from aep_pulumi.core.schema import FUNCTIONS, RESOURCES, TYPES, Prop, camel

DOC = Path(__file__).resolve().parents[1] / "docs" / "resources.md"
PREFIX = "reference"


def _type(prop: Prop) -> str:
    if prop.ref:
        return f"`{prop.ref}`"
    if prop.kind == "array":
        inner = prop.items or "any"
        return f"list of {f'`{inner}`' if inner in TYPES else inner}"
    if prop.kind == "map":
        inner = prop.items or "any"
        return f"map of {'lists' if inner == 'array' else inner}"
    return prop.kind


def _default(prop: Prop) -> str:
    if prop.default is None:
        return "the resource name" if prop.name == "name" else "—"
    return f"`{json.dumps(prop.default) if not isinstance(prop.default, str) else prop.default}`"


def _names(prop: Prop) -> str:
    other = camel(prop.name)
    return f"`{prop.name}`" + (f" / `{other}`" if other != prop.name else "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def resource_block(name: str) -> str:
    spec = RESOURCES[name]
    inputs = [p for p in spec.properties if p.input and not p.internal]
    outputs = [p for p in spec.properties if not p.input and not p.internal]
    lines = [
        f"Dynamic: `pulumi-python:dynamic/aep:{name}` (`aep_pulumi.{name}`); native: "
        f"`aep:index:{name}`.",
        "",
        "| Input (Python / YAML, TS, Go) | Type | Default | On change | Meaning |",
        "|---|---|---|---|---|",
    ]
    for p in inputs:
        change = "**replace**" if p.replace else "update in place"
        required = " (required)" if p.required and p.name != "name" else ""
        lines.append(
            f"| {_names(p)}{required} | {_type(p)} | {_default(p)} | {change} "
            f"| {_cell(p.description)} |"
        )
    lines += ["", "| Output | Type | Meaning |", "|---|---|---|"]
    lines += [f"| {_names(p)} | {_type(p)} | {_cell(p.description)} |" for p in outputs]
    lines += ["", "Every input is an output too."]
    return "\n".join(lines)


def types_block() -> str:
    lines: list[str] = []
    for t in TYPES.values():
        fields = ", ".join(
            f"{_names(p)}{' (required)' if p.required else ''}: {_type(p)}" for p in t.properties
        )
        lines.append(f"- `{t.name}` — {t.description} {fields}.")
    return "\n".join(lines)


def functions_block() -> str:
    lines: list[str] = []
    for f in FUNCTIONS.values():
        args = ", ".join(_names(p) for p in f.inputs)
        result = ", ".join(_names(p) for p in f.outputs)
        lines.append(f"- `aep:index:{f.name}` ({args}) → {result}: {f.description}")
    return "\n".join(lines)


def blocks() -> dict[str, str]:
    """Every generated block, by name."""
    out: dict[str, Any] = {name: resource_block(name) for name in RESOURCES}
    out["types"] = types_block()
    out["functions"] = functions_block()
    return out


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {PREFIX}:{name}:start -->", f"<!-- {PREFIX}:{name}:end -->"


def rewrite(text: str) -> str:
    """``text`` with every generated block replaced by its current content."""
    for name, body in blocks().items():
        start, end = markers(name)
        if start not in text or end not in text:
            raise SystemExit(f"{DOC} has no {start} block")
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        text = f"{head}{start}\n{body}\n{end}{tail}"
    return text


def main(argv: list[str]) -> int:
    if "--write" in argv:
        DOC.write_text(rewrite(DOC.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"{DOC} rewritten")
        return 0
    for name, body in blocks().items():
        print(f"## {name}\n\n{body}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
