"""Idempotent registration of the admin webhook that feeds jira-port (``jira-port register-webhook``, the
demo, and ``doctor``'s scope check), through ``JiraClient``'s public calls.

Cloud and Data Center expose ``/rest/webhooks/1.0/webhook`` (a JSON array; each item's ``self`` ends in
its id). Data Center 10 may only have ``/rest/jira-webhook/1.0/webhooks`` (items carry a numeric ``id``),
used when the former answers 404. Both take ``name, url, events, filters, excludeBody`` and ``secret``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jira_port.jira.errors import JiraAPIError, JiraNotFoundError, JiraPermissionError, JiraResponseError
from jira_port.jira.jql import split_order_by
from jira_port.observability import logger
from jira_port.settings.common import EnvModel, SecretStr, env

if TYPE_CHECKING:
    from jira_port.jira import JiraClient

LEGACY_API = "/rest/webhooks/1.0/webhook"
DC10_API = "/rest/jira-webhook/1.0/webhooks"
ISSUE_EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted")
CLOUD_PROJECT_EVENTS = ("project_created", "project_updated", "project_deleted", "project_soft_deleted")
# Data Center has no project trash, so it has no project_soft_deleted event.
SERVER_PROJECT_EVENTS = ("project_created", "project_updated", "project_deleted")
ADMIN_PERMISSION_HINT = (
    "registering a webhook needs the 'Administer Jira' global permission "
    "(Jira Cloud: a Jira admin; Data Center: the 'Jira Administrators' global permission)"
)
_ONLY_THROTTLING = frozenset({429})  # creating is not idempotent: never resend after a 5xx


@dataclass(frozen=True, kw_only=True)
class WebhookRegistrationSettings(EnvModel):
    """The secret Jira signs webhook deliveries with (read by ``jira-port register-webhook``).

    The same variables the webhook Lambda verifies with: ``WEBHOOK_SECRET`` or, in AWS,
    ``WEBHOOK_SECRET_ARN`` (a plain-string Secrets Manager secret).
    """

    secret: SecretStr | None = env("WEBHOOK_SECRET", None)
    secret_arn: str | None = env("WEBHOOK_SECRET_ARN", None)


@dataclass(frozen=True, slots=True)
class WebhookRegistration:
    """The outcome of ``register_webhook``: ``created`` is False when an existing one was updated."""

    id: str
    url: str
    created: bool
    signed: bool
    api: str = LEGACY_API


def webhook_events(deployment: str) -> list[str]:
    """The events jira-port subscribes to on ``deployment``."""
    project = CLOUD_PROJECT_EVENTS if deployment == "cloud" else SERVER_PROJECT_EVENTS
    return [*ISSUE_EVENTS, *project]


def has_permission(client: JiraClient, key: str = "ADMINISTER") -> bool | None:
    """Whether the user holds global permission ``key``; None when Jira cannot tell us."""
    try:
        data = client.request("GET", "/rest/api/2/mypermissions", params={"permissions": key})
    except (JiraNotFoundError, JiraPermissionError):
        return None
    except JiraAPIError as exc:
        if exc.status == 400:
            return None
        raise
    entry = (data or {}).get("permissions", {}).get(key) if isinstance(data, dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("havePermission"), bool):
        return None
    return bool(entry["havePermission"])


def register_webhook(
    client: JiraClient,
    url: str,
    *,
    jql: str | None = None,
    secret: str | None = None,
    name: str = "jira-port",
    events: Sequence[str] | None = None,
) -> WebhookRegistration:
    """Create the webhook, or update the one already pointing at ``url`` (no duplicates).

    ``events`` default to ``webhook_events(deployment)``; ``jql`` filters issue events (its ORDER BY is
    dropped); ``secret`` makes Jira sign deliveries with
    ``X-Hub-Signature``. Raises ``JiraPermissionError`` naming the 'Administer Jira' permission on 403.
    """
    if not url.startswith(("https://", "http://")):
        raise ValueError("webhook url must be an http(s) URL")
    if has_permission(client, "ADMINISTER") is False:
        raise JiraPermissionError(
            403,
            "GET",
            "/rest/api/2/mypermissions",
            messages=["the ADMINISTER permission is not granted to this user"],
            hint=ADMIN_PERMISSION_HINT,
        )
    where, _ = split_order_by(jql)
    body: dict[str, Any] = {
        "name": name,
        "url": url,
        "events": list(events) if events is not None else webhook_events(client.deployment),
        "filters": {"issue-related-events-section": where},
        "excludeBody": False,
    }
    if secret:
        body["secret"] = secret
    try:
        api, existing = _list(client)
        if api == DC10_API:
            body["active"] = True
            body["configuration"] = {"EXCLUDE_BODY": "false"}
        matches = [hook for hook in existing if _same_url(hook.get("url"), url)]
        if matches:
            hook_id = _hook_id(matches[0])
            if len(matches) > 1:
                logger.warning(
                    "several Jira webhooks point at this URL; updating the first",
                    extra={"webhook_ids": [_hook_id(m) for m in matches]},
                )
            answer = client.request("PUT", f"{api}/{hook_id}", json=body)
            created = False
        else:
            answer = client.request("POST", api, json=body, retry_statuses=_ONLY_THROTTLING)
            hook_id = _hook_id(answer) if isinstance(answer, dict) else ""
            created = True
    except JiraPermissionError as exc:
        raise JiraPermissionError(
            exc.status,
            exc.method,
            exc.path,
            messages=exc.error_messages,
            errors=exc.errors,
            hint=ADMIN_PERMISSION_HINT,
        ) from None
    signed = bool(answer.get("isSigned", bool(secret))) if isinstance(answer, dict) else bool(secret)
    logger.info(
        "Jira webhook registered",
        extra={"webhook_id": hook_id, "webhook_created": created, "signed": signed, "api": api},
    )
    return WebhookRegistration(id=hook_id, url=url, created=created, signed=signed, api=api)


def list_webhooks(client: JiraClient) -> list[dict[str, Any]]:
    """Every admin webhook registered in Jira, as the available API returns them."""
    return _list(client)[1]


def webhook_jql(hook: dict[str, Any]) -> str:
    """The JQL filter of a listed webhook (legacy ``filters``, or DC 10's ``configuration.FILTERS``)."""
    filters = hook.get("filters")
    if isinstance(filters, dict):
        return str(filters.get("issue-related-events-section") or "")
    configuration = hook.get("configuration")
    if isinstance(configuration, dict):
        return str(configuration.get("FILTERS") or "")
    return ""


def _list(client: JiraClient) -> tuple[str, list[dict[str, Any]]]:
    try:
        return LEGACY_API, _as_list(client.request("GET", LEGACY_API), LEGACY_API)
    except JiraNotFoundError:
        logger.info("legacy webhook API absent; using the Data Center 10 webhook API")
    return DC10_API, _as_list(client.request("GET", DC10_API), DC10_API)


def _as_list(data: Any, path: str) -> list[dict[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("values"), list):
        data = data["values"]
    if not isinstance(data, list):
        raise JiraResponseError(f"GET {path} did not return a list of webhooks")
    return [item for item in data if isinstance(item, dict)]


def _hook_id(hook: dict[str, Any]) -> str:
    if hook.get("id") is not None:
        return str(hook["id"])
    self_url = str(hook.get("self") or "")
    tail = self_url.rstrip("/").rsplit("/", 1)[-1]
    if not tail.isdigit():
        raise JiraResponseError("Jira webhook entry has neither an id nor a self URL ending in one")
    return tail


def _same_url(left: Any, right: str) -> bool:
    return isinstance(left, str) and left.rstrip("/") == right.rstrip("/")
