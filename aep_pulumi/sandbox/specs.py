"""Adobe's OpenAPI specs, loaded once, used to validate sandbox requests and responses.

The specs are never copied into this package. They are found, in this order, in
``--openapi-dir`` / ``AEP_OPENAPI_DIR`` (a path that does not exist is an error), in
``../shared/aep-openapi`` beside a source checkout, or in the user's cache, where
``aep-sandbox --fetch-specs`` downloads a pinned revision of Adobe's published specs
(AdobeDocs/experience-platform-apis) and checks every file's sha256.

Three quirks are absorbed at load time: response codes are YAML ints (``openapi-core`` wants
strings); ``catalog.yaml`` has a duplicated parameter, so spec validation itself is switched off
(requests and responses are still validated); and its JSON Patch form of ``PATCH /dataSets/{id}``
is read as its own example shows it (see :func:`_absorb_quirks`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.wrappers import Request, Response

log = logging.getLogger("aep_pulumi.sandbox")

# spec file -> the URL prefix AEP serves it under
# spec file -> (the URL prefix its paths are under, the paths of ours it covers), first match wins
SPEC_FILES = {
    "profile.yaml": ("/data/core", "/data/core/ups/config/"),
    "segmentation.yaml": ("/data/core/ups", "/data/core/ups/"),
    "catalog.yaml": ("/data/foundation/catalog", "/data/foundation/catalog/"),
    "data-access.yaml": ("/data/foundation/export", "/data/foundation/export/"),
}


# The revision of AdobeDocs/experience-platform-apis whose specs the sandbox validates against.
SPEC_REPOSITORY = "AdobeDocs/experience-platform-apis"
SPEC_REVISION = "16c60cd7a5617582fc21500f5ab3edf0e2ee308b"
SPEC_BASE_URL = (
    f"https://raw.githubusercontent.com/{SPEC_REPOSITORY}/{SPEC_REVISION}/static/swagger-specs"
)
SPEC_SHA256 = {
    "segmentation.yaml": "c0f654526464dbeaf92e2666c333982f8308f2961047fc38e6150001bd26870f",
    "catalog.yaml": "e8b3980c6dfb1db6ecf2b2bd314c092903feadd8fc133b4e2c35ad541a75dc3d",
    "data-access.yaml": "2136f9cc98fb733460a137dd5659954e578826f7758affe61d95e177b902723f",
    "profile.yaml": "eb5ecd3c8012f5202ff0bf2bdbcbfd72e58d56a8ac289948bf597b94055263ef",
}
HOW_TO_GET_SPECS = (
    "run `aep-sandbox --fetch-specs` (downloads Adobe's published specs into your cache), or set "
    "AEP_OPENAPI_DIR to a folder holding segmentation.yaml, catalog.yaml, data-access.yaml and profile.yaml"
)


class SpecsNotFound(Exception):
    """A specs folder was named but does not hold the specs, or a download failed its check."""


def cache_dir() -> Path:
    """Where fetched specs live: ``$XDG_CACHE_HOME`` (or ``~/.cache``)/aep-pulumi/openapi/<rev>."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aep-pulumi" / "openapi" / SPEC_REVISION


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in SPEC_FILES)


def default_openapi_dir() -> Path | None:
    """The specs folder: ``AEP_OPENAPI_DIR``, ``../shared/aep-openapi`` beside a checkout, or
    the user's cache. ``None`` when none holds them; :class:`SpecsNotFound` when
    ``AEP_OPENAPI_DIR`` names a folder without them."""
    env = os.environ.get("AEP_OPENAPI_DIR")
    if env == "none":  # run lenient on purpose (what a bare clone without the specs does)
        return None
    if env:
        return checked_openapi_dir(Path(env))
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.parent / "shared" / "aep-openapi"
        if _complete(candidate):
            return candidate
    cached = cache_dir()
    return cached if _complete(cached) else None


def checked_openapi_dir(folder: Path) -> Path:
    """``folder`` if it holds the specs, else :class:`SpecsNotFound` saying what is missing."""
    if not folder.is_dir():
        raise SpecsNotFound(f"OpenAPI specs folder {folder} does not exist; {HOW_TO_GET_SPECS}")
    missing = [name for name in SPEC_FILES if not (folder / name).is_file()]
    if missing:
        raise SpecsNotFound(
            f"OpenAPI specs folder {folder} lacks {', '.join(missing)}; {HOW_TO_GET_SPECS}"
        )
    return folder


def fetch_specs(
    destination: Path | None = None, base_url: str = SPEC_BASE_URL, timeout: float = 30.0
) -> Path:
    """Download the pinned specs, check each file's sha256, and keep them in ``destination``.

    Files are written under a temporary name and renamed once verified, so a failed or
    tampered download never leaves a file the sandbox would load.
    """
    target = destination or cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name, expected in SPEC_SHA256.items():
        final = target / name
        if final.is_file() and hashlib.sha256(final.read_bytes()).hexdigest() == expected:
            continue
        url = f"{base_url.rstrip('/')}/{name}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                content = response.read()
        except OSError as exc:
            raise SpecsNotFound(f"could not download {url}: {exc}") from None
        digest = hashlib.sha256(content).hexdigest()
        if digest != expected:
            raise SpecsNotFound(
                f"{url} has sha256 {digest}, not the pinned {expected}; nothing was kept"
            )
        partial = target / f".{name}.part"
        partial.write_bytes(content)
        os.replace(partial, final)
    return target


def describe_validation(folder: Path | None) -> str:
    """One line for the sandbox's start: whether and against what requests are validated."""
    if folder is None:
        return f"requests are NOT validated against Adobe's OpenAPI specs (none found: {HOW_TO_GET_SPECS})"
    pinned = all(
        hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
        for name, digest in SPEC_SHA256.items()
    )
    revision = f"{SPEC_REPOSITORY}@{SPEC_REVISION[:12]}" if pinned else "an unpinned revision"
    return (
        f"requests and responses are validated against Adobe's OpenAPI specs ({revision}, {folder})"
    )


def _string_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _string_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_string_keys(v) for v in node]
    return node


def _describe(error: BaseException) -> str:
    """A short, human sentence naming what was wrong."""
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if schema_errors:
        parts = []
        for err in list(schema_errors)[:3]:
            where = ".".join(str(p) for p in getattr(err, "absolute_path", [])) or "body"
            parts.append(f"{where}: {getattr(err, 'message', err)}")
        return "; ".join(parts)
    name = getattr(error, "name", None)
    text = str(cause or error) or type(error).__name__
    if name and name not in text:
        text = f"{name}: {text}"
    return text


@dataclass
class SpecCheck:
    """Result of validating one exchange: ``None`` means conforming."""

    api: str
    problem: str | None


# RFC 6902: what a JSON Patch body is.
_JSON_PATCH = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["op", "path"],
        "properties": {
            "op": {"type": "string", "enum": ["add", "remove", "replace", "move", "copy", "test"]},
            "path": {"type": "string"},
            "from": {"type": "string"},
        },
    },
}


def _absorb_quirks(filename: str, document: dict[str, Any]) -> None:
    """``PATCH /dataSets/{id}`` takes ``application/json-patch+json``, and the spec's own example
    of it is a list of RFC 6902 operations; but its schema for it is the dataset object, and its
    shared ``content-type`` header allows only ``application/json``. The example is followed."""
    if filename != "catalog.yaml":
        return
    patch = document.get("paths", {}).get("/dataSets/{DATASET_ID}", {}).get("patch")
    if not patch:
        return
    content = patch.get("requestBody", {}).get("content", {})
    if "application/json-patch+json" in content:
        content["application/json-patch+json"]["schema"] = _JSON_PATCH
    header = dict(document["components"]["parameters"]["content-type"])
    header["schema"] = {
        "type": "string",
        "enum": ["application/json", "application/json-patch+json"],
    }
    patch["parameters"] = [
        header if p == {"$ref": "#/components/parameters/content-type"} else p
        for p in patch.get("parameters", [])
    ]


# libyaml's loader when PyYAML has it: the specs parse five times faster, which is most of the
# sandbox's start (a test that starts it on a busy machine waits for it).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SpecValidator:
    """Validates werkzeug requests/responses against the spec whose prefix matches the path."""

    def __init__(self, openapi_dir: Path) -> None:
        self.apis: list[tuple[str, str, OpenAPI]] = []
        for filename, (prefix, covers) in SPEC_FILES.items():
            with open(openapi_dir / filename, encoding="utf-8") as fh:
                document = _string_keys(yaml.load(fh, Loader=_SAFE_LOADER))
            document["servers"] = [{"url": prefix}]
            _absorb_quirks(filename, document)
            self.apis.append(
                (
                    filename,
                    covers,
                    OpenAPI.from_dict(
                        document,
                        config=Config(
                            spec_validator_cls=None,
                            extra_media_type_deserializers={
                                "application/json-patch+json": json.loads
                            },
                        ),
                    ),
                )
            )

    def _api_for(self, path: str) -> tuple[str, OpenAPI] | None:
        for filename, covers, api in self.apis:
            if path.startswith(covers):
                return filename, api
        return None

    def check_request(self, request: Request) -> SpecCheck | None:
        found = self._api_for(request.path)
        if found is None:
            return None
        name, api = found
        result = api.unmarshal_request(WerkzeugOpenAPIRequest(request))
        problem = "; ".join(_describe(e) for e in result.errors) if result.errors else None
        return SpecCheck(name, problem)

    def check_response(self, request: Request, response: Response) -> SpecCheck | None:
        found = self._api_for(request.path)
        # The specs document no error bodies (`content: {}`); errors follow AEP's real shapes.
        if (
            found is None
            or response.status_code >= 400
            or not (response.mimetype or "").endswith("json")
        ):
            return None
        name, api = found
        result = api.unmarshal_response(
            WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response)
        )
        problem = "; ".join(_describe(e) for e in result.errors) if result.errors else None
        return SpecCheck(name, problem)


_CACHE: dict[Path, SpecValidator] = {}


def load_validator(openapi_dir: Path | None) -> SpecValidator | None:
    """The validator for ``openapi_dir`` (cached per process), or ``None`` when absent."""
    if openapi_dir is None or not (openapi_dir / "segmentation.yaml").is_file():
        return None
    key = openapi_dir.resolve()
    if key not in _CACHE:
        _CACHE[key] = SpecValidator(key)
    return _CACHE[key]
