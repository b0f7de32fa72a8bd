"""A Catalog dataset (``/dataSets``): what the ``Dataset`` resource does.

A create whose answer was lost is never submitted again: the dataset carries a one-off tag
(``aep-pulumi/createToken: <uuid>``), found through Catalog's ``tags`` filter, and the dataset
with that token is this create's, adopted as soon as Catalog lists it.

The schema reference and the sandbox force replacement; name, description and tags update in
place with ``PATCH``. Tags that AEP or other tools put on the dataset are left alone: only the
tag names this resource declares are managed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import AepError, AepNotFoundError
from .context import Context
from .inputs import check_dataset_inputs
from .resource import (
    GONE,
    NO_OPTIONS,
    CallOptions,
    CreateOutcome,
    DiffOutcome,
    Props,
    ReadOutcome,
    ResourceCore,
    in_place,
    replace_on,
    submit_once,
)
from .schema import DATASET
from .shapes import DATASET_INPUT_KEYS, DatasetInputs, DatasetState, dataset_state
from .values import changed, changed_keys, normal
from .waiter import poll_until

if TYPE_CHECKING:
    from ..aep.client import AepClient
    from ..aep.models import DatasetRecord

REPLACE_ON = replace_on(DATASET)
UPDATE_IN_PLACE = in_place(DATASET)
# Tags owned by AEP itself and by this package (the create token) are never reported as inputs.
SYSTEM_TAG_PREFIXES = ("adobe/", "aep-pulumi/")
# A one-off tag each create carries: a create whose answer was lost finds its dataset by it.
CREATE_TOKEN_TAG = "aep-pulumi/createToken"


def managed_tags(live: Mapping[str, list[str]] | None, keys: Any) -> dict[str, list[str]] | None:
    """The live tags a resource manages: ``keys`` when it declares some, else every tag that is
    neither AEP's nor ours (an adoption)."""
    live = live or {}
    if keys is None:
        picked = {k: list(v) for k, v in live.items() if not k.startswith(SYSTEM_TAG_PREFIXES)}
    else:
        picked = {k: list(live[k]) for k in keys if k in live}
    return picked or None


def tag_map(tags: object) -> Mapping[str, Any]:
    """Declared tags (name -> values), or none."""
    return tags if isinstance(tags, Mapping) else {}


def tag_path(name: str) -> str:
    """The JSON Pointer of a tag (RFC 6901: ``~`` is ``~0``, ``/`` is ``~1``)."""
    return "/tags/" + name.replace("~", "~0").replace("/", "~1")


def removal(path: str) -> list[dict[str, Any]]:
    """Operations that remove ``path`` whether or not it is there (a bare ``remove`` of a
    missing member fails the whole patch, RFC 6902 §4.2)."""
    return [{"op": "add", "path": path, "value": []}, {"op": "remove", "path": path}]


class DatasetCore(ResourceCore[DatasetInputs, DatasetState]):
    """Creates, reads, updates and deletes AEP Catalog datasets."""

    kind = "Dataset"
    changed_by_update = ("updated",)
    validate = staticmethod(check_dataset_inputs)
    stored = staticmethod(dataset_state)

    def diff(self, olds: Props, news: Props) -> DiffOutcome:
        inputs = self.new_inputs(news)
        return DiffOutcome(
            replaces=changed_keys(olds, inputs, REPLACE_ON),
            updates=changed_keys(olds, inputs, UPDATE_IN_PLACE),
        )

    def _outputs(
        self, dataset_id: str, inputs: DatasetInputs | DatasetState, record: DatasetRecord | None
    ) -> DatasetState:
        outs: DatasetState = {}
        for key in DATASET_INPUT_KEYS:
            outs[key] = inputs.get(key)
        outs["sandbox_name"] = self.ctx.effective_sandbox(inputs)
        outs["dataset_id"] = dataset_id
        outs["created"] = record.created if record else None
        outs["updated"] = record.updated if record else None
        return outs

    def _read_back(self, dataset_id: str, sandbox: str, done: str) -> DatasetRecord | None:
        """The live record after a change; its absence only costs the timestamps."""
        try:
            return self.ctx.client().get_dataset(dataset_id, sandbox=sandbox)
        except AepError as exc:
            self.ctx.log.warn(f"dataset {dataset_id} was {done} but could not be read back: {exc}")
            return None

    def create(
        self, props: Props, options: CallOptions = NO_OPTIONS
    ) -> CreateOutcome[DatasetState]:
        inputs = self.valid_inputs(props)
        sandbox = self.sandbox_of(inputs)
        client = self.ctx.client()
        # Here, not at the top: the payloads are pydantic models, which check and diff never need.
        from .payloads import dataset_create_request

        token = uuid.uuid4().hex
        body = dataset_create_request(inputs, {CREATE_TOKEN_TAG: [token]})
        dataset_id = submit_once(
            self.ctx,
            lambda: client.create_dataset(body, sandbox=sandbox),
            lambda exc: resolve_lost_dataset(self.ctx, exc, token, sandbox),
        )
        self.ctx.fresh_datasets.add(sandbox, dataset_id)
        record = self._read_back(dataset_id, sandbox, "created")
        return CreateOutcome(dataset_id, self._outputs(dataset_id, inputs, record))

    def read(self, id_: str, props: Props) -> ReadOutcome[DatasetState]:
        sandbox = self.sandbox_of(props)
        try:
            record = self.ctx.client().get_dataset(id_, sandbox=sandbox)
        except AepNotFoundError:
            return GONE
        state = self.stored(props)
        adopting = state.get("name") is None
        schema_ref = record.schema_ref or {}
        live: DatasetState = {
            "name": record.name,
            "description": record.description if record.description else None,
            "schema_id": schema_ref.get("id") or state.get("schema_id"),
            "schema_content_type": schema_ref.get("contentType")
            or state.get("schema_content_type"),
            "tags": managed_tags(
                record.tags, None if adopting else tag_map(state.get("tags")).keys()
            ),
            "sandbox_name": sandbox,
        }
        if not adopting and state.get("description") == "" and live["description"] is None:
            live["description"] = ""
        outs = self._outputs(id_, live, record)
        if adopting:
            return ReadOutcome(id_, outs, {k: v for k, v in live.items() if v is not None})
        if all(normal(v) == normal(props.get(k)) for k, v in live.items()):
            # Only what this resource does not manage changed (export jobs' claims, AEP's own
            # tags): `updated` stays the time of its own last change, so a refresh shows none.
            outs["updated"] = state.get("updated", outs["updated"])
        return ReadOutcome(id_, outs)

    def update(
        self, id_: str, olds: Props, news: Props, options: CallOptions = NO_OPTIONS
    ) -> DatasetState:
        inputs, sandbox = self.updating(olds, news)
        try:
            operations = _patch_operations(self.stored(olds), inputs)
            if operations:
                self.ctx.client().patch_dataset(id_, operations, sandbox=sandbox)
        except AepNotFoundError as exc:
            raise exc.with_message(
                f"{exc.message}. It was deleted outside Pulumi: run `pulumi refresh` (or "
                "`pulumi up --refresh`) and the next `up` creates it again"
            ) from None
        record = self._read_back(id_, sandbox, "updated")
        inputs["sandbox_name"] = sandbox
        return self._outputs(id_, inputs, record)

    def delete(self, id_: str, props: Props) -> None:
        self.ctx.client().delete_dataset(id_, sandbox=self.sandbox_of(props))


def _patch_operations(olds: DatasetState, inputs: DatasetInputs) -> list[dict[str, Any]]:
    """The JSON Patch of an in-place update: each changed field, and each managed tag on its
    own, so that tags this resource does not manage (AEP's, other tools', the export jobs'
    claims) are never touched, and no read is needed first."""
    operations: list[dict[str, Any]] = []
    if changed(olds.get("name"), inputs.get("name")):
        operations.append({"op": "add", "path": "/name", "value": inputs["name"]})
    if changed(olds.get("description"), inputs.get("description")):
        operations.append(
            {"op": "add", "path": "/description", "value": inputs.get("description") or ""}
        )
    old_tags = tag_map(olds.get("tags"))
    new_tags = tag_map(inputs.get("tags"))
    for name in sorted(set(old_tags) | set(new_tags)):
        if name not in new_tags:
            operations.extend(removal(tag_path(name)))
        elif changed(old_tags.get(name), new_tags[name]):
            operations.append({"op": "add", "path": tag_path(name), "value": list(new_tags[name])})
    return operations


def find_dataset_by_token(client: AepClient, token: str, sandbox: str) -> str | None:
    found = client.list_datasets(sandbox=sandbox, tags=f"{CREATE_TOKEN_TAG}:{token}")
    matching = [k for k, v in found.items() if token in (v.tags or {}).get(CREATE_TOKEN_TAG, [])]
    return sorted(matching)[0] if matching else None


def resolve_lost_dataset(ctx: Context, exc: AepError, token: str, sandbox: str) -> str:
    """The dataset a lost ``POST /dataSets`` made, found by its create token (polled until the
    search ends), or an error saying what to look for."""
    client = ctx.client()
    search = ctx.settings().lost_answer_search
    failure: AepError | None = None

    def look() -> str | None:
        nonlocal failure
        try:
            return find_dataset_by_token(client, token, sandbox)
        except AepError as lookup_error:
            failure = lookup_error
            return None

    found = poll_until(ctx, ctx.monotonic() + search, look, first=0.5, longest=10.0)
    if found is not None:
        ctx.log.warn(
            f"{exc.operation or 'create dataset'}: {exc.message}; the dataset was created "
            "all the same and is adopted"
        )
        return found
    looked = f"; the last look failed ({failure})" if failure is not None else ""
    raise exc.with_message(
        f"{exc.message}{looked}. Catalog showed no dataset from this request within {search:g}s "
        f"(aep:lostAnswerSearchSeconds); it may still appear, tagged {CREATE_TOKEN_TAG}:{token}. "
        f"If it does, delete it or adopt it with `Dataset.get(name, id)`"
    ) from None
