"""``aep_pulumi.exports``, the import path of the export downloader in earlier releases (and in
scripts written against them): the downloader now lives in :mod:`aep_pulumi.cli.downloader`."""

from __future__ import annotations

from .cli.downloader import (
    Downloader,
    DownloadReport,
    ExportFile,
    ExportPart,
    flatten,
    list_export_files,
    read_records,
)

__all__ = [
    "DownloadReport",
    "Downloader",
    "ExportFile",
    "ExportPart",
    "flatten",
    "list_export_files",
    "read_records",
]
