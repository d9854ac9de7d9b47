"""commands, Receiver interface: POST {command} answers a CommandResponse at once; the CommandResult follows at the
partner's response_url once the charger has answered."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request

from ...http.deps import engine_of
from .. import allowed, commands
from .. import partners as store
from ..objects.commands import COMMAND_BODIES, CancelReservation, StopSession
from ..registration import VERSION
from ..status import OcpiError, Status
from .transport import PREFIX, answer, body_as, registered, sender
from .versions import served

PATH = f"/cpo/{VERSION}/commands"
router = APIRouter(prefix=PREFIX + PATH, tags=["OCPI"])
served("commands", "RECEIVER", PATH)
_running: set[asyncio.Task] = set()  # the tasks waiting for chargers; kept so they are not collected mid-way


def _response(result: str, message: str | None = None, partner: store.Partner | None = None):
    data = {"result": result, "timeout": commands.TIMEOUT_SECONDS}
    if message:
        data["message"] = [{"language": "en", "text": message}]
    return answer(data, partner)


@router.post("/{command}")
async def command(command: str, request: Request, partner: store.Partner = Depends(registered),
                  engine=Depends(engine_of)):
    model = COMMAND_BODIES.get(command)
    if model is None:
        raise OcpiError(Status.INVALID_PARAMETERS, f"unknown command {command}: choose from "
                                                   f"{', '.join(COMMAND_BODIES)}", 404)
    body = await body_as(request, model)
    try:  # the result goes there later: a URL the operator does not allow is refused now, not silently dropped
        await asyncio.to_thread(allowed.check, body.response_url)
    except allowed.UrlRefused as exc:
        raise OcpiError(Status.INVALID_PARAMETERS, f"response_url: {exc}") from None
    stop, sends = None, []
    try:
        if isinstance(body, StopSession):
            stop = await asyncio.to_thread(commands.stop_target, engine, partner, body, sender(request, partner))
        elif isinstance(body, CancelReservation):
            sends = await asyncio.to_thread(commands.cancel_sends, engine, partner, body)
        else:
            sends = [await asyncio.to_thread(commands.plan, engine, partner, command, body)]
    except commands.Refused as refused:
        return _response(refused.result, str(refused), partner)
    gateway = request.app.state.gateway
    if gateway is None:
        return _response("REJECTED", "this server reaches no chargers", partner)
    task = asyncio.create_task(commands.run(engine, gateway, partner, command, body.response_url, sends, stop,
                                            sender(request, partner)))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return _response("ACCEPTED", None, partner)
