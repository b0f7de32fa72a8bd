"""``pulumi-resource-aep``: the ``aep`` provider as a Pulumi plugin (a gRPC server).

A servicer of our own rather than Pulumi's ``provider.experimental.server``, for what that one
cannot do: an operation that stopped half-way with an object in AEP (a Cancel, the engine's own
timeout) answers with ``pulumirpc.ErrorResourceInitFailed`` in the status details, carrying the
id and the state, as the Go SDK's ``resource.NewInitError`` does, so the stack holds the job; an
AEP error reaches the user as its one line (status, code, message, request id), not as a Python
traceback; and previews carry unknown values both ways (see :mod:`.properties`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import grpc
import grpc.aio
from google.protobuf import empty_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc, status_pb2

from ..core.ran_with import with_configuration
from ..errors import AepConfigError, AepConnectionError, AepError, AepHttpError
from ..version import __version__
from .properties import decode, encode
from .provider import AepNativeProvider, InitFailed, WireDiffOutcome
from .provider_config import SECRET_NAMES, ConfigDiff, check_provider_inputs, diff_provider_inputs

T = TypeVar("T")
UPDATE = provider_pb2.PropertyDiff.UPDATE
UPDATE_REPLACE = provider_pb2.PropertyDiff.UPDATE_REPLACE


class _Status(grpc.Status):  # type: ignore[misc]
    """What ``abort_with_status`` takes: a code, details, and trailing metadata."""

    def __init__(self, code: grpc.StatusCode, details: str, trailing_metadata: Any) -> None:
        self.code = code
        self.details = details
        self.trailing_metadata = trailing_metadata


def check_failure(path: str, reason: str, news: Mapping[str, Any], secrets: set[str]) -> Any:
    """A failure as the engine shows it: with ``property`` set, it prints the property's value
    from the inputs (``property feilds value {[...]} has a problem: ...``), which it can do only
    for a top-level property the inputs hold; a nested or absent one (it would print
    ``{<nil>}``), a secret, or a configuration key goes in the reason instead."""
    if path in news and path not in secrets:
        return provider_pb2.CheckFailure(property=path, reason=reason)
    if not path or path.startswith("aep:"):
        return provider_pb2.CheckFailure(reason=reason)
    return provider_pb2.CheckFailure(reason=f"{path}: {reason}")


class AepServicer(provider_pb2_grpc.ResourceProviderServicer):
    """The ResourceProvider protocol over :class:`AepNativeProvider`."""

    def __init__(self, provider: AepNativeProvider) -> None:
        self.provider = provider

    async def _answer(
        self, context: Any, call: Callable[[], Awaitable[T]], operation: str = ""
    ) -> T:
        """``call``'s answer; an AEP error becomes the operation's one-line error. A read, a
        delete and a function add the configuration the provider ran with, as the dynamic door
        does for the first two (a refresh or a destroy runs on the one the last `up` stored:
        :mod:`aep_pulumi.core.ran_with`; a function runs in every preview)."""
        try:
            return await call()
        except InitFailed as exc:
            failed = provider_pb2.ErrorResourceInitFailed(
                id=exc.object_id, properties=encode(exc.properties), reasons=[str(exc)]
            )
            detail = status_pb2.Status(code=grpc.StatusCode.UNKNOWN.value[0], message=str(exc))
            detail.details.add().Pack(failed)
            metadata = (("grpc-status-details-bin", detail.SerializeToString()),)
            await context.abort_with_status(_Status(grpc.StatusCode.UNKNOWN, str(exc), metadata))
        except AepError as exc:
            if operation and isinstance(exc, (AepHttpError, AepConnectionError, AepConfigError)):
                # What AEP (or its absence) answered: where the provider sent it matters.
                exc = with_configuration(exc, operation, self.provider.ctx.raw_config)
            await context.abort(grpc.StatusCode.UNKNOWN, str(exc))
        raise AssertionError("unreachable: an abort raises")

    # ------------------------------------------------------------ plugin

    async def Handshake(self, request: Any, context: Any) -> Any:
        self.provider.attach(request.engine_address)
        return provider_pb2.ProviderHandshakeResponse(accept_secrets=True)

    async def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=__version__)

    async def GetSchema(self, request: Any, context: Any) -> Any:
        return provider_pb2.GetSchemaResponse(schema=self.provider.schema())

    async def CheckConfig(self, request: Any, context: Any) -> Any:
        news, secrets = decode(request.news)
        # A credential stays secret in the provider's stored inputs, however it was given.
        hidden = secrets | (SECRET_NAMES & set(news))
        return provider_pb2.CheckResponse(
            inputs=encode(news, hidden),
            failures=[
                provider_pb2.CheckFailure(reason=problem) for problem in check_provider_inputs(news)
            ],
        )

    async def DiffConfig(self, request: Any, context: Any) -> Any:
        olds, _ = decode(request.olds)
        news, _ = decode(request.news)
        return self._diff_response(diff_provider_inputs(olds, news))

    @staticmethod
    def _diff_response(
        answer: ConfigDiff | WireDiffOutcome, delete_before_replace: bool = False
    ) -> Any:
        detailed = {
            k: provider_pb2.PropertyDiff(kind=UPDATE, inputDiff=True) for k in answer.updates
        }
        detailed.update(
            {
                k: provider_pb2.PropertyDiff(kind=UPDATE_REPLACE, inputDiff=True)
                for k in answer.replaces
            }
        )
        return provider_pb2.DiffResponse(
            replaces=answer.replaces,
            deleteBeforeReplace=delete_before_replace,
            changes=provider_pb2.DiffResponse.DIFF_SOME
            if answer.changed
            else provider_pb2.DiffResponse.DIFF_NONE,
            diffs=sorted(set(answer.replaces) | set(answer.updates)),
            detailedDiff=detailed,
            hasDetailedDiff=True,
        )

    async def Configure(self, request: Any, context: Any) -> Any:
        args, _ = decode(request.args)
        self.provider.configure(dict(request.variables), args)
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=True)

    async def Cancel(self, request: Any, context: Any) -> Any:
        self.provider.cancel()
        return empty_pb2.Empty()

    # ------------------------------------------------------------ resources

    async def Check(self, request: Any, context: Any) -> Any:
        news, secrets = decode(request.news)
        inputs, failures = await self._answer(
            context, lambda: self.provider.check(request.urn, news)
        )
        if not failures:
            return provider_pb2.CheckResponse(inputs=encode(inputs, secrets))
        # The inputs as sent: the engine shows a failing property's value from them.
        return provider_pb2.CheckResponse(
            inputs=request.news,
            failures=[check_failure(path, reason, news, secrets) for path, reason in failures],
        )

    async def Diff(self, request: Any, context: Any) -> Any:
        olds, _ = decode(request.olds)
        news, _ = decode(request.news)
        answer = await self._answer(context, lambda: self.provider.diff(request.urn, olds, news))
        return self._diff_response(answer, answer.delete_before_replace)

    async def Create(self, request: Any, context: Any) -> Any:
        props, secrets = decode(request.properties)
        id_, outputs = await self._answer(
            context,
            lambda: self.provider.create(
                request.urn, props, timeout=request.timeout, preview=request.preview
            ),
        )
        return provider_pb2.CreateResponse(id=id_, properties=encode(outputs, secrets))

    async def Read(self, request: Any, context: Any) -> Any:
        props, secrets = decode(request.properties)
        inputs, input_secrets = decode(request.inputs)
        id_, outputs, kept = await self._answer(
            context,
            lambda: self.provider.read(request.urn, request.id, props, inputs),
            "read",
        )
        return provider_pb2.ReadResponse(
            id=id_ or "",
            properties=encode(outputs, secrets),
            inputs=encode(kept, input_secrets),
        )

    async def Update(self, request: Any, context: Any) -> Any:
        olds, _ = decode(request.olds)
        news, secrets = decode(request.news)
        outputs = await self._answer(
            context,
            lambda: self.provider.update(
                request.urn,
                request.id,
                olds,
                news,
                timeout=request.timeout,
                preview=request.preview,
            ),
        )
        return provider_pb2.UpdateResponse(properties=encode(outputs, secrets))

    async def Delete(self, request: Any, context: Any) -> Any:
        props, _ = decode(request.properties)
        await self._answer(
            context, lambda: self.provider.delete(request.urn, request.id, props), "delete"
        )
        return empty_pb2.Empty()

    async def Invoke(self, request: Any, context: Any) -> Any:
        args, _ = decode(request.args)
        result = await self._answer(
            context, lambda: self.provider.invoke(request.tok, args), "invoke"
        )
        return provider_pb2.InvokeResponse(**{"return": encode(result)})


def main(argv: list[str] | None = None) -> None:
    """Console entry point: serve on 127.0.0.1 and print the port, as every plugin does."""
    parser = argparse.ArgumentParser(
        prog="pulumi-resource-aep", description="The `aep` Pulumi provider plugin."
    )
    parser.add_argument("engine", nargs="?", help="the Pulumi engine's address")
    args, _ = parser.parse_known_args(argv)

    async def serve() -> None:
        server = grpc.aio.server(options=[("grpc.max_receive_message_length", 256 * 1024 * 1024)])
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(
            AepServicer(AepNativeProvider(args.engine)), server
        )
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        try:
            await server.wait_for_termination()
        finally:
            # Stopped here, on the loop that runs it: left to the garbage collector after the
            # loop closed (the engine ends a plugin with SIGINT), gRPC prints a traceback.
            await server.stop(None)

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        return


if __name__ == "__main__":
    main()
