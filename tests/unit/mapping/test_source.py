"""Mapping sources (bundled, file, layer folder, S3 on moto) and the provider's reload rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from jira_port.errors import ConfigError
from jira_port.mapping import MappingError, load_mapping_text
from jira_port.mapping.source import (
    RELOAD_FAILED_METRIC,
    MappingProvider,
    SourceText,
    is_remote,
    s3_location,
)
from jira_port.observability import metrics
from jira_port.settings.mapping import MappingSettings, load_configured_mapping, mapping_provider
from tests.support.aws import collect_logs, use_fake_aws

ISSUE_EVENT = {"webhookEvent": "jira:issue_updated", "issue": {"key": "ABC-1", "fields": {"summary": "S"}}}


def _rules(title: str) -> str:
    rule = {
        "blueprint": "jiraIssue",
        "filter": '.body.webhookEvent == "jira:issue_updated"',
        "entity": {"identifier": ".body.issue.key", "title": title},
    }
    return json.dumps([rule])


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Source:
    """A remote source whose text the test edits; counts reads."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.reads = 0

    def __call__(self) -> SourceText:
        self.reads += 1
        if self.text == "unreachable":
            raise ConnectionError("no route")
        return SourceText(self.text, "json", "mapping port:test")


def _compile(fetched: SourceText) -> Any:
    return load_mapping_text(fetched.text, fetched.fmt, fetched.label, None)


def _title(provider: MappingProvider) -> Any:
    (action,) = provider.current().evaluate(ISSUE_EVENT, {})
    return action.entity["title"]


def test_a_remote_edit_is_used_after_the_refresh_interval_only() -> None:
    source, clock = Source(_rules('"v1"')), FakeClock()
    provider = MappingProvider(source, _compile, refresh_seconds=60, clock=clock)
    source.text = _rules('"v2"')
    clock.now = 59.9
    assert _title(provider) == "v1"
    assert source.reads == 1
    clock.now = 60.0
    assert _title(provider) == "v2"
    assert source.reads == 2


def test_a_broken_edit_keeps_the_last_good_mapping_logs_the_rule_and_counts_a_metric() -> None:
    source, clock = Source(_rules('"v1"')), FakeClock()
    provider = MappingProvider(source, _compile, refresh_seconds=1, clock=clock)
    source.text = _rules(".body.issue.fields | nosuchfn")  # jq compile error
    clock.now = 1
    with collect_logs() as records:
        assert _title(provider) == "v1"
    assert provider.reload_failures == 1
    assert metrics.metric_set[RELOAD_FAILED_METRIC]["Value"] == [1.0]
    (failure,) = [r for r in records if "reload failed" in r.getMessage()]
    (problem,) = failure.problems  # type: ignore[attr-defined]
    assert problem["rule"] == 0 and problem["field"] == "entity.title"
    assert "nosuchfn" in problem["problem"]
    # And a later good edit is taken
    source.text = _rules('"v3"')
    clock.now = 2
    assert _title(provider) == "v3"


def test_an_unreachable_source_keeps_the_last_good_mapping() -> None:
    source, clock = Source(_rules('"v1"')), FakeClock()
    provider = MappingProvider(source, _compile, refresh_seconds=1, clock=clock)
    source.text, clock.now = "unreachable", 5
    assert _title(provider) == "v1"
    assert provider.reload_failures == 1


def test_an_unchanged_text_is_not_compiled_again() -> None:
    source, clock = Source(_rules('"v1"')), FakeClock()
    compiled: list[str] = []

    def counting(fetched: SourceText) -> Any:
        compiled.append(fetched.text)
        return _compile(fetched)

    provider = MappingProvider(source, counting, refresh_seconds=1, clock=clock)
    for tick in range(1, 4):
        clock.now = tick
        provider.current()
    assert source.reads == 4
    assert len(compiled) == 1


def test_a_cold_start_without_a_good_mapping_raises_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="nosuchfn"):
        MappingProvider(Source(_rules(".x | nosuchfn")), _compile, refresh_seconds=1)


def test_local_sources_are_read_once() -> None:
    provider = mapping_provider(MappingSettings.from_env({"MAPPING_SOURCE": "cloud-guide"}))
    assert provider.current() is provider.current()
    assert not is_remote("cloud-guide") and is_remote("s3://b/k") and is_remote("port:jira_mapper")


def test_mapping_file_stays_an_alias_and_mapping_source_wins() -> None:
    assert MappingSettings.from_env({"MAPPING_FILE": "cloud-guide"}).source == "cloud-guide"
    both = MappingSettings.from_env({"MAPPING_FILE": "cloud-guide", "MAPPING_SOURCE": "server-guide"})
    assert both.source == "server-guide"
    inline = MappingSettings.from_env({"MAPPING_CONFIG": _rules('"x"'), "MAPPING_SOURCE": "server-guide"})
    assert load_configured_mapping(inline).source == "MAPPING_CONFIG"
    assert inline.with_source("cloud-guide").description == "MAPPING_SOURCE=cloud-guide"


def test_a_file_path_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(_rules('"from a file"'), encoding="utf-8")
    mapping = load_configured_mapping(MappingSettings.from_env({"MAPPING_SOURCE": str(path)}))
    (action,) = mapping.evaluate(ISSUE_EVENT, {})
    assert action.entity["title"] == "from a file"


def test_a_file_in_the_layer_mapping_folder_loads_by_name() -> None:
    # layers/jira_port/jira_port/data/mappings/ ships in the layer (docs/mapping.md's example lives there)
    mapping = load_configured_mapping(MappingSettings.from_env({"MAPPING_SOURCE": "custom-fields.yaml"}))
    assert "jiraIssue" in mapping.blueprints


def test_malformed_s3_source_is_refused() -> None:
    with pytest.raises(MappingError, match="s3://bucket/key"):
        s3_location("s3://only-bucket")


@pytest.mark.parametrize("key", ["team/mapping.yaml", "team/mapping.json"])
def test_an_s3_source_reads_the_object_on_moto(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    use_fake_aws(monkeypatch)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="mappings-bucket")
        s3.put_object(Bucket="mappings-bucket", Key=key, Body=_rules('"from s3"').encode())
        env = {"MAPPING_SOURCE": f"s3://mappings-bucket/{key}", "MAPPING_REFRESH_SECONDS": "0"}
        provider = mapping_provider(MappingSettings.from_env(env))
        assert _title(provider) == "from s3"
        # An edit of the object is read at the next refresh
        s3.put_object(Bucket="mappings-bucket", Key=key, Body=_rules('"edited"').encode())
        assert _title(provider) == "edited"
        # A missing object at cold start is a configuration error naming S3's code
        missing = MappingSettings.from_env({"MAPPING_SOURCE": "s3://mappings-bucket/absent.yaml"})
        with pytest.raises(MappingError, match="NoSuchKey"):
            mapping_provider(missing)
