"""A mypy plugin (``[tool.mypy] plugins`` in pyproject.toml): ``.get("key")`` on a TypedDict
must name one of its keys, as ``d["key"]`` must.

mypy lets ``.get()`` take any string and types an unknown key's value as ``object`` (PEP 589
allows ``d.get(e)`` for any ``str``: python/mypy#9906), so ``state.get("stauts") ==
"FAILED"`` would pass the type check and be false at run time. The core reads most of a
resource's inputs and state with ``.get()`` (``aep_pulumi/core/shapes.py``); this makes those
reads checked too. The return type is still mypy's own.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.errorcodes import TYPEDDICT_ITEM
from mypy.plugin import MethodContext, Plugin
from mypy.plugins.default import typed_dict_get_callback
from mypy.typeops import try_getting_str_literals
from mypy.types import Type, TypedDictType


def _checked_get(ctx: MethodContext) -> Type:
    td = ctx.type
    if isinstance(td, TypedDictType) and ctx.args and len(ctx.args[0]) == 1:
        keys = try_getting_str_literals(ctx.args[0][0], ctx.arg_types[0][0]) or []
        for key in keys:
            if key not in td.items:
                ctx.api.fail(
                    f'TypedDict "{td.fallback.type.name}" has no key "{key}" (checked in .get() '
                    "too: scripts/mypy_typeddict_keys.py)",
                    ctx.context,
                    code=TYPEDDICT_ITEM,
                )
    return typed_dict_get_callback(ctx)


class TypedDictKeys(Plugin):
    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        return _checked_get if fullname == "typing.Mapping.get" else None


def plugin(version: str) -> type[Plugin]:
    return TypedDictKeys
