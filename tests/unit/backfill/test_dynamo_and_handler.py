"""DynamoDB state (moto) and the Lambda handler: input validation, continuation, metrics."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jira_port.backfill.lock import RunLock
from jira_port.backfill.runtime import InvalidRequestError
from jira_port.backfill.store import BackfillStore
from jira_port.live.guard import VersionGuard
from jira_port.state import DynamoTable, StateError
from tests.support.lambda_env import FakeLambdaContext, load_handler

from .conftest import TABLE
from .fakes import harness, make_jira


def emf_metrics(stdout: str) -> dict[str, list[float]]:
    """Metric values of every EMF blob printed to stdout."""
    values: dict[str, list[float]] = {}
    for line in stdout.splitlines():
        if '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for definition in blob["_aws"]["CloudWatchMetrics"]:
            assert definition["Namespace"] == "JiraPort"
            for metric in definition["Metrics"]:
                value = blob[metric["Name"]]
                values.setdefault(metric["Name"], []).extend(value if isinstance(value, list) else [value])
    return values


def test_dynamo_table_round_trips_pages_queries_and_leases(ddb: Any) -> None:
    table = DynamoTable(TABLE, ddb)
    big = {"blob": "x" * 50_000}
    for n in range(30):  # ~1.5 MB under one pk: Query must follow LastEvaluatedKey
        table.put("backfill#full", f"seen#r#{n:04d}", {**big, "n": n}, expires_at=2_000_000_000)
    table.put("backfill#full", "run", {"runId": "r", "nested": {"f": 1.5, "i": 10**15}})

    assert [d["n"] for _, d in table.query("backfill#full", "seen#r#")] == list(range(30))
    assert table.get("backfill#full", "run") == {"runId": "r", "nested": {"f": 1.5, "i": 10**15}}
    assert table.get("backfill#full", "nothing") is None

    assert table.claim("backfill#lock", "lock", "a", 1_000, now=500, takeover=None)
    assert not table.claim("backfill#lock", "lock", "b", 1_000, now=600, takeover=None)
    assert table.claim("backfill#lock", "lock", "b", 2_000, now=1_001, takeover=None)  # expired
    assert table.claim("backfill#lock", "lock", "c", 3_000, now=1_100, takeover="b")  # handed over
    assert not table.release("backfill#lock", "lock", "b") and table.release("backfill#lock", "lock", "c")


def test_dynamo_errors_name_the_table_not_the_data(ddb: Any) -> None:
    with pytest.raises(StateError, match="GetItem on missing-table failed: ResourceNotFoundException"):
        DynamoTable("missing-table", ddb).get("pk", "sk")


def test_lambda_handler_runs_resumes_through_continuations_and_reports(
    ddb: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = load_handler("backfill")
    h = harness(jira=make_jira(projects=3, per_project=9), partition_concurrency=1, safety_margin_seconds=60)
    h.port.reject = {"P2-9"}
    service = h.service(table=DynamoTable(TABLE, ddb))
    service.guard = VersionGuard(ddb, TABLE)
    service.writer.guard = service.guard
    monkeypatch.setattr(module, "service", lambda: service)

    # Each context starts with 63 s left, 400 ms fewer at every look: stops after a few pages
    class ShortContext(FakeLambdaContext):
        def get_remaining_time_in_millis(self) -> int:
            self.looks = getattr(self, "looks", 0) + 1
            return 63_000 - 400 * self.looks

    responses = [module.lambda_handler({"mode": "full"}, ShortContext())]
    while (payload := h.continuation.take()) is not None:
        responses.append(module.lambda_handler(payload, ShortContext()))
    stdout = capsys.readouterr().out

    assert len(responses) > 1 and {r["status"] for r in responses[:-1]} == {"continued"}
    assert all(r["ok"] is None for r in responses[:-1])
    final = responses[-1]
    assert final["ok"] is False and final["status"] == "failed"
    assert final["issues"] == 27 and final["rejected"] == 1
    assert final["rejections"] == {"invalid_entity (422)": 1}
    assert final["examples"][0]["identifier"] == "P2-9"
    assert set(h.port.upserts_by_id.values()) == {1}
    metrics = emf_metrics(stdout)
    assert sum(metrics["Issues"]) == 27 and sum(metrics["RejectedEntities"]) == 1
    assert metrics["BackfillFailed"][-1] == 1 and sum(metrics["BackfillFailed"]) == 1
    store = BackfillStore(DynamoTable(TABLE, ddb))
    run = store.load_run("full")
    assert run is not None and run.status == "failed" and store.last_success_ms() is None
    assert RunLock(DynamoTable(TABLE, ddb), "next", lease_seconds=60).acquire()  # released at the end


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_lambda_handler_refuses_a_bad_mode_before_touching_anything(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = load_handler("backfill")
    built: list[bool] = []
    monkeypatch.setattr(module, "service", lambda: built.append(True))

    with pytest.raises(InvalidRequestError, match="mode must be one of full, incremental"):
        module.lambda_handler({"mode": "everything"}, FakeLambdaContext())

    assert built == [] and ddb.scan(TableName=TABLE)["Items"] == []


def test_a_successful_run_emits_no_failure(ddb: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    module = load_handler("backfill")
    h = harness(jira=make_jira(projects=2, per_project=2))
    service = h.service(table=DynamoTable(TABLE, ddb))
    monkeypatch.setattr(module, "service", lambda: service)

    response = module.lambda_handler({"mode": "incremental"}, FakeLambdaContext())

    metrics = emf_metrics(capsys.readouterr().out)
    assert response["ok"] is True and response["status"] == "succeeded"
    assert (
        metrics["BackfillFailed"] == [0] and metrics["RejectedEntities"] == [0] and metrics["Issues"] == [4]
    )
