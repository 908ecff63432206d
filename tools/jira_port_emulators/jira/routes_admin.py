"""Admin webhook registrations (legacy ``/rest/webhooks/1.0`` and DC 10 ``/rest/jira-webhook/1.0``) and
the emulator's own ``/_emulator`` controls (no auth, no injected faults)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jira_port_emulators.jira.mutation_base import MutationError
from jira_port_emulators.jira.registry import DC10, LEGACY, RegistrationError, render
from jira_port_emulators.jira.server import ApiError, Request, Route, route

if TYPE_CHECKING:
    from jira_port_emulators.jira.emulator import JiraEmulator


def _admin(req: Request) -> str:
    if req.account is None or not req.account.admin:
        raise ApiError(
            403, "You do not have the permission to manage webhooks: 'Administer Jira' is required."
        )
    return req.account.login


def _api_of(req: Request) -> str:
    return DC10 if req.path.startswith("/rest/jira-webhook/") else LEGACY


def webhooks_list(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    _admin(req)
    return 200, [render(r, emu.url, _api_of(req)) for r in emu.registry.all()]


def webhook_create(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    user = _admin(req)
    try:
        reg = emu.registry.create(req.json(), user=user, now=emu.now_ms())
    except RegistrationError as exc:
        raise ApiError(400, str(exc)) from None
    return 201, render(reg, emu.url, _api_of(req))


def _reg_id(req: Request) -> int:
    return int(req.match["id"])


def webhook_get(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    _admin(req)
    reg = emu.registry.get(_reg_id(req))
    if reg is None:
        raise ApiError(404, "Webhook not found.")
    return 200, render(reg, emu.url, _api_of(req))


def webhook_update(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    user = _admin(req)
    try:
        reg = emu.registry.update(_reg_id(req), req.json(), user=user, now=emu.now_ms())
    except RegistrationError as exc:
        raise ApiError(400, str(exc)) from None
    if reg is None:
        raise ApiError(404, "Webhook not found.")
    return 200, render(reg, emu.url, _api_of(req))


def webhook_delete(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    _admin(req)
    if not emu.registry.delete(_reg_id(req)):
        raise ApiError(404, "Webhook not found.")
    return 204, None


def faults_get(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    return 200, {**emu.faults.as_dict(), "throttled": emu.faults.throttled, "requests": emu.requests}


def faults_put(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise ApiError(400, "Expected a JSON object.")
    try:
        emu.faults.update(**{k: float(v) for k, v in body.items()})
    except (TypeError, ValueError) as exc:
        raise ApiError(400, str(exc)) from None
    return 200, emu.faults.as_dict()


def issue_move(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """``POST /_emulator/issues/{key}/move`` with ``{"project": "KEY"}``: Jira's Move, with its webhook."""
    body = req.json()
    if not isinstance(body, dict) or not isinstance(body.get("project"), str | int):
        raise ApiError(400, 'Expected {"project": "<key or id>"}.')
    try:
        event = emu.move_issue(req.match["key"], body["project"])
    except MutationError as exc:
        raise ApiError(400, str(exc)) from None
    return 200, {"id": event["issue"]["id"], "key": event["issue"]["key"]}


def _kind_change(call: Any) -> tuple[int, Any]:
    try:
        return 200, call()
    except MutationError as exc:
        raise ApiError(400, str(exc)) from None


def kind_create(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """``POST /_emulator/kinds/{kind}`` with the fields: creates it, sends its event, answers the event."""
    body = req.json()
    if not isinstance(body, dict):
        raise ApiError(400, "Expected a JSON object of fields.")
    return _kind_change(lambda: emu.create_kind(req.match["kind"], body))


def kind_update(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise ApiError(400, "Expected a JSON object of fields.")
    return _kind_change(lambda: emu.update_kind(req.match["kind"], req.match["id"], body))


def kind_delete(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """``DELETE /_emulator/kinds/{kind}/{id}`` (``?mergedTo=<version id>`` merges a version)."""
    merged = req.arg("mergedTo")
    target = int(merged) if merged and merged.isdigit() else None
    return _kind_change(lambda: emu.delete_kind(req.match["kind"], req.match["id"], merged_to=target))


def admin_routes(emu: JiraEmulator) -> list[Route]:
    kind = r"/_emulator/kinds/(?P<kind>[a-z]+)"
    routes = [
        route("POST", kind, kind_create, anonymous=True, faults=False),
        route("PUT", kind + r"/(?P<id>[^/]+)", kind_update, anonymous=True, faults=False),
        route("DELETE", kind + r"/(?P<id>[^/]+)", kind_delete, anonymous=True, faults=False),
        route("POST", r"/_emulator/issues/(?P<key>[^/]+)/move", issue_move, anonymous=True, faults=False),
        route("GET", r"/_emulator/faults", faults_get, anonymous=True, faults=False),
        route("PUT", r"/_emulator/faults", faults_put, anonymous=True, faults=False),
    ]
    bases = []
    if emu.legacy_webhook_api:
        bases.append(r"/rest/webhooks/1\.0/webhook")
    if emu.flavour == "server":
        bases.append(r"/rest/jira-webhook/1\.0/webhooks")
    for base in bases:
        routes += [
            route("GET", base, webhooks_list),
            route("POST", base, webhook_create),
            route("GET", base + r"/(?P<id>\d+)", webhook_get),
            route("PUT", base + r"/(?P<id>\d+)", webhook_update),
            route("DELETE", base + r"/(?P<id>\d+)", webhook_delete),
        ]
    return routes
