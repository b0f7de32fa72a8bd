"""An export's data: its files (Data Access API), downloaded to disk, and read back as records.

AEP writes an export into the Data Lake as Parquet: a batch holds one or more dataset files,
each of one or more parts. :func:`list_export_files` lists them (following the API's paging),
:class:`Downloader` streams every part to disk (bounded memory, several at once, a progress
bar, ``Range`` resume after an interruption, retries on 5xx and dropped connections, each part
written under a temporary name and renamed only when its size matches the listing), and
:func:`read_records` reads the first records back.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import requests

from ..aep.data_access import ExportFile, ExportPart
from ..errors import AepConnectionError, AepError, AepServerError, AepThrottledError

if TYPE_CHECKING:
    from ..aep.client import AepClient

__all__ = [
    "DownloadReport",
    "Downloader",
    "ExportFile",
    "ExportPart",
    "flatten",
    "list_export_files",
    "read_records",
]

# read1 hands over what has arrived, up to this much: large reads keep Python's per-chunk cost
# low, and a dropped connection still loses nothing already received.
CHUNK_BYTES = 1 << 20
PARTIAL_SUFFIX = ".part"
# Transient failures worth resuming after (the client already retried the request itself).
_TRANSIENT = (
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    AepConnectionError,
    AepServerError,
    AepThrottledError,
)


def list_export_files(
    client: AepClient, batch_ids: Iterable[str | None], *, sandbox: str | None = None
) -> list[ExportFile]:
    """Every dataset file (and its parts) of the given batches."""
    return client.export_files(batch_ids, sandbox=sandbox)


class DownloadReport(NamedTuple):
    """What a download did: the final paths, the bytes it fetched and the bytes it reused."""

    paths: list[Path]
    fetched_bytes: int
    reused_bytes: int


class Downloader:
    """Streams every part of an export batch into ``destination/<batch>/<file>/<part>``."""

    def __init__(
        self,
        client: AepClient,
        destination: Path,
        *,
        sandbox: str | None = None,
        parallel: int = 4,
        progress: bool = False,
        attempts: int = 5,
        sleep: Any = time.sleep,
    ) -> None:
        self.client = client
        self.destination = Path(destination)
        self.sandbox = sandbox
        self.parallel = max(1, parallel)
        self.progress = progress
        self.attempts = max(1, attempts)
        self._sleep = sleep
        self._lock = threading.Lock()
        self._fetched = 0
        self._reused = 0

    def download_batch(self, batch_id: str) -> DownloadReport:
        """Download every part of every file of ``batch_id``; resumes what an earlier run left."""
        files = list_export_files(self.client, [batch_id], sandbox=self.sandbox)
        return self.download(files)

    def download(self, files: Sequence[ExportFile]) -> DownloadReport:
        jobs = [(f, p) for f in files for p in f.parts]
        total = sum(p.size or 0 for _, p in jobs)
        from tqdm import tqdm

        with tqdm(
            total=total, unit="B", unit_scale=True, unit_divisor=1024, disable=not self.progress
        ) as bar:
            self._bar = bar
            with ThreadPoolExecutor(max_workers=min(self.parallel, max(1, len(jobs)))) as pool:
                paths = list(pool.map(lambda job: self._part(*job), jobs))
        return DownloadReport(paths, self._fetched, self._reused)

    def _advance(self, fetched: int = 0, reused: int = 0) -> None:
        with self._lock:
            self._fetched += fetched
            self._reused += reused
            self._bar.update(fetched + reused)

    def _part(self, file: ExportFile, part: ExportPart) -> Path:
        final = self.destination / file.batch_id / file.file_id / part.name
        if final.is_file() and part.size is not None and final.stat().st_size == part.size:
            self._advance(reused=part.size)
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = final.with_name(final.name + PARTIAL_SUFFIX)
        have = partial.stat().st_size if partial.is_file() else 0
        if part.size is not None and have > part.size:
            partial.unlink()
            have = 0
        self._advance(reused=have)
        last_error: Exception | None = None
        for attempt in range(self.attempts):
            try:
                have = self._fetch(file, part, partial, have)
                break
            except _TRANSIENT as exc:
                last_error = exc
                have = partial.stat().st_size if partial.is_file() else 0
                self._sleep(min(30.0, 0.5 * 2**attempt))
        else:
            raise AepConnectionError(
                f"download of {file.file_id}/{part.name} failed {self.attempts} times "
                f"({type(last_error).__name__}); {have} bytes kept in {partial.name}, and the "
                "next run resumes from there",
                operation="download export",
            )
        if part.size is not None and have != part.size:
            partial.unlink(missing_ok=True)
            raise AepError(
                f"{file.file_id}/{part.name}: the listing says {part.size} bytes but "
                f"{have} arrived; nothing was kept under {final.name}",
                operation="download export",
            )
        os.replace(partial, final)
        return final

    def _fetch(self, file: ExportFile, part: ExportPart, partial: Path, have: int) -> int:
        """Append the rest of the part to ``partial``; returns its size afterwards."""
        response = self.client.open_file_part(
            file.file_id, part.name, start=have, sandbox=self.sandbox
        )
        try:
            if have and response.status_code != 206:
                # The server ignored the Range: start over rather than append a second copy.
                partial.unlink(missing_ok=True)
                self._advance(reused=-have)
                have = 0
            with open(partial, "ab") as out:
                for chunk in _chunks(response):
                    out.write(chunk)
                    have += len(chunk)
                    self._advance(fetched=len(chunk))
        finally:
            response.close()
        return have


def _chunks(response: requests.Response) -> Iterable[bytes]:
    """The body as it arrives: ``read1`` hands over whatever came in (at most a chunk), so a
    connection that drops mid-file loses nothing already received."""
    raw = response.raw
    read1 = getattr(raw, "read1", None)
    if read1 is None or response.headers.get("Content-Encoding"):
        yield from response.iter_content(chunk_size=CHUNK_BYTES)
        return
    while True:
        try:
            chunk = read1(CHUNK_BYTES)
        except Exception as exc:  # urllib3's errors: surface them as requests does
            raise requests.exceptions.ChunkedEncodingError(str(exc)) from exc
        if not chunk:
            return
        yield chunk


def read_records(paths: Iterable[Path], limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` records of the given Parquet parts, in order."""
    import pyarrow.parquet as pq

    records: list[dict[str, Any]] = []
    for path in paths:
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=max(1, limit - len(records))):
            records.extend(batch.to_pylist())
            if len(records) >= limit:
                return records[:limit]
    return records


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (lists stay as they are)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out
