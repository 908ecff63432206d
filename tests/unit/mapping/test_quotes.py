"""Port's single-quote rewrite (formatFilter of @port-labs/jq-node-bindings), case by case."""

from __future__ import annotations

import pytest

from jira_port.mapping import format_filter, load_mapping_text


# Expected outputs were produced by running Port's own JavaScript regular expression under Node.js.
@pytest.mark.parametrize(
    ("written", "compiled"),
    [
        ("'Production'", '"Production"'),
        (".env == 'prod'", '.env == "prod"'),
        ("'a' + 'b'", '"a" + "b"'),
        ("'multi word value'", '"multi word value"'),
        ("IN('x', 'y')", "IN('x', \"y')"),
        ('.title | test("it\'s")', '.title | test("it\'s")'),
        ("don't", "don't"),
        ("' x'", '" x"'),
        ('"\'"', '"\'"'),
        ("'a'\n", '"a"\n'),
        ("'a'\n.b", '"a"\n.b'),
        (".a == 'x'\n", '.a == "x"\n'),
        ("x 'y", 'x "y'),
        ("'", '"'),
        ("a' b", 'a" b'),
        ("'\"x\"'", "'\"x\"'"),
        ("\t'tab'\t", '\t"tab"\t'),
        (".x|'a'", ".x|'a\""),
        ("('a')", "('a')"),
    ],
)
def test_rewrite_matches_ports_regular_expression(written: str, compiled: str) -> None:
    assert format_filter(written) == compiled


def test_search_query_literals_written_with_single_quotes_evaluate() -> None:
    # Given Port's documented style: every leaf of a search query is jq, literals in single quotes
    mapping = load_mapping_text(
        """[{"blueprint": "jiraIssue",
             "entity": {"identifier": {"combinator": "'and'",
                                       "rules": [{"property": "'jiraKey'", "operator": "'='",
                                                  "value": ".body.issue.key"}]},
                        "title": "'Fixed title'"}}]"""
    )
    # When
    (action,) = mapping.evaluate({"issue": {"key": "OPS-1"}})
    # Then
    assert action.entity["identifier"] == {
        "combinator": "and",
        "rules": [{"property": "jiraKey", "operator": "=", "value": "OPS-1"}],
    }
    assert action.entity["title"] == "Fixed title"
