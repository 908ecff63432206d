"""``register_webhook``: idempotent create-or-update, admin permission, DC 10 API, and real delivery."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from jira_port.jira import JiraCredentials, JiraPermissionError
from jira_port_emulators.jira import Account
from jira_port_tools import jira_webhooks
from jira_port_tools.jira_webhooks import register_webhook, webhook_events
from tests.support.jira_emulator import RunningJira, WebhookReceiver, running_jira

HOOK = "https://abc.execute-api.us-east-1.amazonaws.com/jira/webhook"


def test_second_registration_updates_instead_of_duplicating(jira_cloud: RunningJira) -> None:
    client = jira_cloud.client()
    first = register_webhook(client, HOOK, jql="project = PLAT ORDER BY key", secret="s1")
    second = register_webhook(client, HOOK + "/", jql="project = MOBI", secret="s2", name="renamed")
    assert first.created and not second.created
    assert first.id == second.id and first.signed and second.signed
    (reg,) = jira_cloud.emulator.registry.all()
    assert reg.jql == "project = MOBI" and reg.secret == "s2" and reg.name == "renamed"
    assert reg.events == webhook_events("cloud")
    assert "project_soft_deleted" in reg.events and "jira:issue_deleted" in reg.events


def test_unsigned_registration_reports_it(jira_cloud: RunningJira) -> None:
    result = register_webhook(jira_cloud.client(), HOOK)
    assert result.created and not result.signed
    assert jira_cloud.emulator.registry.all()[0].jql == ""


def test_non_admin_gets_a_message_naming_the_permission(monkeypatch: pytest.MonkeyPatch) -> None:
    accounts = [Account("dev@example.com", secret="t", admin=False)]
    with running_jira("cloud", issues=5, accounts=accounts) as jira:
        client = jira.client(credentials=JiraCredentials.basic("dev@example.com", "t"))
        with pytest.raises(JiraPermissionError, match="Administer Jira") as caught:
            register_webhook(client, HOOK)
        assert caught.value.status == 403
        # Without the pre-check (Jira could not tell), the 403 of the webhook API says the same.
        monkeypatch.setattr(jira_webhooks, "has_permission", lambda client, key="ADMINISTER": None)
        with pytest.raises(JiraPermissionError, match="Administer Jira") as caught:
            register_webhook(client, HOOK)
        assert caught.value.path == "/rest/webhooks/1.0/webhook"
        assert jira.emulator.registry.all() == []


def test_data_center_10_api_when_the_legacy_one_is_gone() -> None:
    with running_jira("server", issues=5, legacy_webhook_api=False) as jira:
        client = jira.client()
        first = register_webhook(client, HOOK, jql="project = PLAT", secret="s")
        again = register_webhook(client, HOOK, jql="project = PLAT", secret="s")
        assert first.api == again.api == "/rest/jira-webhook/1.0/webhooks"
        assert first.created and not again.created and first.id == again.id == "1"
        (reg,) = jira.emulator.registry.all()
        assert "project_soft_deleted" not in reg.events  # no project trash on Data Center


def test_registered_webhook_receives_signed_filtered_events(jira_cloud: RunningJira) -> None:
    emu = jira_cloud.emulator
    first, second = list(emu.ds.projects.values())[:2]
    inside = emu.ds.issue_key(emu.ds.issues[emu.ds.by_project[first.id][0]])
    outside = emu.ds.issue_key(emu.ds.issues[emu.ds.by_project[second.id][0]])
    with WebhookReceiver() as receiver:
        register_webhook(
            jira_cloud.client(), receiver.url, jql=f"project = {first.key}", secret="It's a secret"
        )
        emu.update_issue(inside, summary="inside the filter")
        emu.update_issue(outside, summary="outside the filter")
        emu.create_project("NEWP", "New project")
    assert receiver.events() == ["jira:issue_updated", "project_created"]
    for delivery in receiver.received:
        expected = "sha256=" + hmac.new(b"It's a secret", delivery.body, hashlib.sha256).hexdigest()
        assert delivery.headers["X-Hub-Signature"] == expected
        assert delivery.headers["X-Atlassian-Webhook-Flow"] == "Primary"
        assert delivery.headers["X-Atlassian-Webhook-Identifier"]
        assert "X-Atlassian-Webhook-Retry" not in delivery.headers
    assert receiver.received[0].json()["issue"]["key"] == inside
