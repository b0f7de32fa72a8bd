"""Adobe's OpenAPI specs, loaded once, used to validate sandbox requests and responses.

The specs are read from a directory (``--openapi-dir`` / ``AEP_OPENAPI_DIR``); they are never
copied into this package. Two quirks are absorbed at load time: response codes are YAML ints
(``openapi-core`` wants strings), and ``catalog.yaml`` has a duplicated parameter, so spec
validation itself is switched off (requests and responses are still validated).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.wrappers import Request, Response

log = logging.getLogger("aep_pulumi.sandbox")

# spec file -> the URL prefix AEP serves it under
SPEC_FILES = {
    "segmentation.yaml": "/data/core/ups",
    "catalog.yaml": "/data/foundation/catalog",
    "data-access.yaml": "/data/foundation/export",
}


def default_openapi_dir() -> Path | None:
    """``AEP_OPENAPI_DIR``, else ``../shared/aep-openapi`` next to a source checkout."""
    env = os.environ.get("AEP_OPENAPI_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.parent / "shared" / "aep-openapi"
        if (candidate / "segmentation.yaml").is_file():
            return candidate
    return None


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


class SpecValidator:
    """Validates werkzeug requests/responses against the spec whose prefix matches the path."""

    def __init__(self, openapi_dir: Path) -> None:
        self.apis: list[tuple[str, str, OpenAPI]] = []
        for filename, prefix in SPEC_FILES.items():
            with open(openapi_dir / filename, encoding="utf-8") as fh:
                document = _string_keys(yaml.safe_load(fh))
            document["servers"] = [{"url": prefix}]
            self.apis.append(
                (
                    filename,
                    prefix,
                    OpenAPI.from_dict(document, config=Config(spec_validator_cls=None)),
                )
            )

    def _api_for(self, path: str) -> tuple[str, OpenAPI] | None:
        for filename, prefix, api in self.apis:
            if path.startswith(prefix + "/"):
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
