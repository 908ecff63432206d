"""A scripted ``HttpSession`` for deterministic client tests (no sockets)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from urllib3 import HTTPHeaderDict

from jira_port.port import PortClient
from jira_port.settings.port import PortSettings
from jira_port.transport import HttpResponse, HttpSession, RetryPolicy

TOKEN_ANSWER = {"ok": True, "accessToken": "tok-1", "expiresIn": 10800, "tokenType": "Bearer"}


def response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> HttpResponse:
    """An answer with a JSON body."""
    content = b"" if body is None else json.dumps(body).encode()
    fields = HTTPHeaderDict({"Content-Type": "application/json", **(headers or {})})
    return HttpResponse(status, fields, content)


@dataclass
class Call:
    method: str
    url: str
    params: Any
    body: Any
    headers: dict[str, str]


Responder = Callable[[Call], HttpResponse]


@dataclass
class ScriptedSession(HttpSession):
    """Answers the token route automatically and every other request from ``script``.

    ``script`` items are responses or callables taking the ``Call``; when it runs out, 200 ``{}``. The token
    route answers with ``token_issuer`` when set, else from ``token_answers``, then ``TOKEN_ANSWER``.
    """

    script: list[HttpResponse | Responder] = field(default_factory=list)
    token_answers: list[HttpResponse] = field(default_factory=list)
    token_issuer: Responder | None = None
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def request(self, method: str, url: str, **kwargs: Any) -> HttpResponse:
        data = kwargs.get("data")
        call = Call(
            str(method),
            str(url),
            kwargs.get("params"),
            json.loads(data) if data else None,
            dict(kwargs.get("headers") or {}),
        )
        self.calls.append(call)
        if call.url.endswith("/v1/auth/access_token"):
            if self.token_issuer is not None:
                return self.token_issuer(call)
            return self.token_answers.pop(0) if self.token_answers else response(200, TOKEN_ANSWER)
        if not self.script:
            return response(200, {"ok": True})
        item = self.script.pop(0)
        return item(call) if callable(item) else item

    def api_calls(self) -> list[Call]:
        """Calls other than token requests."""
        return [c for c in self.calls if not c.url.endswith("/v1/auth/access_token")]


def scripted_client(
    session: ScriptedSession,
    *,
    slept: list[float] | None = None,
    policy: RetryPolicy | None = None,
    clock: Callable[[], float] | None = None,
    **settings: Any,
) -> PortClient:
    """A client on ``session`` whose sleeps are recorded instead of taken."""
    values: dict[str, Any] = {
        "api_url": "https://api.port.io",
        "client_id": "cid",
        "client_secret": "csecret",
    }
    values.update(settings)
    sink = slept if slept is not None else []
    extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
    return PortClient(
        PortSettings(**values),
        session=session,
        policy=policy or RetryPolicy(base_delay=0.01, max_delay=0.05),
        sleep=sink.append,
        **extra,
    )
