"""The export files the sandbox writes: Parquet, as AEP's Data Lake stores them.

A batch holds ``files`` dataset files of ``parts`` parts each; the records the export selects
(from the synthetic population) are dealt out over them. To exercise multi-part downloads and
resume, ``part_bytes`` asks for parts of about that size: a part's records are repeated, and such
parts are written uncompressed so that their size is what was asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def write_parts(
    records: list[dict[str, Any]],
    directory: Path,
    *,
    parts: int = 1,
    part_bytes: int = 0,
) -> list[dict[str, Any]]:
    """Write ``parts`` Parquet parts into ``directory``; their names, paths, sizes and rows."""
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    count = max(1, parts)
    written = []
    for index in range(count):
        name = f"part-{index:05d}.parquet"
        path = directory / name
        table, compression = _table(records[index::count] or records[:1], part_bytes, directory)
        pq.write_table(table, path, compression=compression, use_dictionary=compression != "none")
        written.append(
            {
                "name": name,
                "path": str(path),
                "length": path.stat().st_size,
                "records": table.num_rows,
            }
        )
    return written


def _table(records: list[dict[str, Any]], part_bytes: int, scratch: Path) -> tuple[Any, str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not records:
        return pa.table({"identities": pa.array([], pa.null())}), "snappy"
    base = pa.Table.from_pylist(records)
    if not part_bytes:
        return base, "snappy"
    # What a row costs on disk (measured on enough rows to dwarf the file's metadata), then as
    # many rows as the size asks.
    sample_rows = 2000
    sample = base.take(pa.array([i % base.num_rows for i in range(sample_rows)], pa.int64()))
    probe = scratch / ".probe.parquet"
    pq.write_table(sample, probe, compression="none", use_dictionary=False)
    per_row = max(1, probe.stat().st_size // sample_rows)
    probe.unlink()
    rows = max(base.num_rows, part_bytes // per_row)
    return base.take(pa.array([i % base.num_rows for i in range(rows)], pa.int64())), "none"


def total(parts: Sequence[Mapping[str, Any]], key: str) -> int:
    """The sum of one numeric property over a file's parts."""
    return sum(int(p[key]) for p in parts)
