"""Local Port: webhook data sources (``/v1/webhooks``), their shapes and the moderator/admin rule.

docs/port-behaviour.md, "Webhook data sources", names the sources of each rule pinned here.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from jira_port.port import PortAPIError
from tests.support.openapi import check_request
from tests.unit.port.emulator_support import Api

RULE: dict[str, Any] = {
    "blueprint": "jiraIssue",
    "filter": '.body.webhookEvent == "jira:issue_updated"',
    "entity": {"identifier": ".body.issue.key", "title": ".body.issue.fields.summary"},
}
CREATE = {"identifier": "jira_mapper", "title": "Jira mapper", "enabled": True, "mappings": [RULE]}


def _as(api: Api, client_id: str, secret: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    token = api.session.post(
        f"{api.url}/v1/auth/access_token", json={"clientId": client_id, "clientSecret": secret}
    ).json()["accessToken"]
    return api.session.request(
        method, f"{api.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10, **kwargs
    )


def test_create_then_get_answers_the_object_under_integration(api: Api) -> None:
    assert check_request("port", "POST", f"{api.url}/v1/webhooks", body=CREATE) == []
    created = api.call("POST", "/v1/webhooks", json=CREATE)
    assert created.status_code == 201, created.text
    answer = api.call("GET", "/v1/webhooks/jira_mapper")
    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is True
    integration = body["integration"]
    assert integration["mappings"] == [RULE]
    assert integration["identifier"] == "jira_mapper" and integration["enabled"] is True
    assert integration["integrationType"] == "custom" and integration["security"] == {}
    assert integration["url"] == f"https://ingest.port.io/{integration['webhookKey']}"
    assert {"createdAt", "createdBy", "updatedAt", "updatedBy"} <= set(integration)


def test_patch_replaces_only_the_given_keys(api: Api) -> None:
    api.call("POST", "/v1/webhooks", json=CREATE)
    edited = {**RULE, "entity": {**RULE["entity"], "title": '"edited"'}}
    patch = {"mappings": [edited]}
    assert check_request("port", "PATCH", f"{api.url}/v1/webhooks/jira_mapper", body=patch) == []
    answer = api.call("PATCH", "/v1/webhooks/jira_mapper", json=patch)
    assert answer.status_code == 200, answer.text
    stored = api.call("GET", "/v1/webhooks/jira_mapper").json()["integration"]
    assert stored["mappings"] == [edited]
    assert stored["title"] == "Jira mapper"


@pytest.mark.parametrize(
    "body",
    [
        {"identifier": "x", "enabled": True},  # title is required on create
        {"identifier": "x", "title": "t"},  # enabled is required on create
        {**CREATE, "mappings": [{"blueprint": "b"}]},  # a mapping needs its entity
        {**CREATE, "mappings": [{**RULE, "entity": {"title": ".x"}}]},  # and the entity its identifier
        {**CREATE, "title": "t" * 31},  # title is at most 30 characters
        {**CREATE, "unknown": 1},  # additionalProperties: false
    ],
)
def test_bodies_outside_the_spec_are_422(api: Api, body: dict[str, Any]) -> None:
    answer = api.call("POST", "/v1/webhooks", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["ok"] is False


def test_unknown_webhooks_are_404_and_duplicates_409(api: Api) -> None:
    assert api.call("GET", "/v1/webhooks/absent").status_code == 404
    assert api.call("PATCH", "/v1/webhooks/absent", json={"enabled": False}).status_code == 404
    assert api.call("POST", "/v1/webhooks", json=CREATE).status_code == 201
    assert api.call("POST", "/v1/webhooks", json=CREATE).status_code == 409


@pytest.mark.parametrize(("role", "allowed"), [("admin", True), ("moderator", True), ("member", False)])
def test_webhooks_need_the_moderator_or_admin_role(api: Api, role: str, allowed: bool) -> None:
    api.call("POST", "/v1/webhooks", json=CREATE)
    api.emu.add_credentials(f"{role}-id", "s", role=role)
    answers = [
        _as(api, f"{role}-id", "s", "GET", "/v1/webhooks/jira_mapper"),
        _as(api, f"{role}-id", "s", "PATCH", "/v1/webhooks/jira_mapper", json={"enabled": True}),
    ]
    for answer in answers:
        if allowed:
            assert answer.status_code == 200, answer.text
        else:
            assert answer.status_code == 403
            assert answer.json() == {
                "ok": False,
                "error": "forbidden",
                "message": "this route requires the moderator or admin role",
            }
    # Entity routes stay open to every role
    assert _as(api, f"{role}-id", "s", "GET", "/v1/blueprints").status_code == 200


def test_the_client_reads_a_webhook_and_reports_the_role_problem(api: Api) -> None:
    from jira_port.mapping.source import get_webhook
    from jira_port.port import PortClient
    from jira_port.settings.common import SecretStr
    from jira_port.settings.port import PortSettings

    api.emu.add_webhook(CREATE)
    api.emu.add_credentials("member-id", "s", role="member")
    admin = PortClient(PortSettings(api_url=api.url, client_id="cid", client_secret=SecretStr("csecret")))
    member = PortClient(PortSettings(api_url=api.url, client_id="member-id", client_secret=SecretStr("s")))
    with admin, member:
        assert get_webhook(admin, "jira_mapper")["mappings"] == [RULE]
        with pytest.raises(PortAPIError) as refused:
            get_webhook(member, "jira_mapper")
        assert refused.value.status == 403
