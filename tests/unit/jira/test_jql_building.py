"""JQL building for paging: ORDER BY stripping, the bounded default scope, keyset and partition clauses."""

from __future__ import annotations

import pytest

from jira_port.jira import jql


@pytest.mark.parametrize(
    ("text", "where", "order"),
    [
        ("project = A ORDER BY created DESC", "project = A", "ORDER BY created DESC"),
        ("project = A order   by key", "project = A", "order   by key"),
        ("ORDER BY id", "", "ORDER BY id"),
        ('summary ~ "order by" AND project = A', 'summary ~ "order by" AND project = A', None),
        ("summary ~ 'x ORDER BY y' ORDER BY id", "summary ~ 'x ORDER BY y'", "ORDER BY id"),
        ('summary ~ "say \\"order by\\"" ORDER BY key', 'summary ~ "say \\"order by\\""', "ORDER BY key"),
        ("border = 1", "border = 1", None),
        ("(a = 1 OR b = 2) ORDER BY updated", "(a = 1 OR b = 2)", "ORDER BY updated"),
        ("", "", None),
        (None, "", None),
    ],
)
def test_split_order_by_respects_quotes_and_words(text: str | None, where: str, order: str | None) -> None:
    assert jql.split_order_by(text) == (where, order)


def test_default_scope_is_bounded_and_user_order_is_replaced() -> None:
    # Given no JQL, Cloud's "bounded" rule still holds; a user's ORDER BY never reaches the paging query.
    assert jql.restriction(None) == jql.DEFAULT_SCOPE == "project IS NOT EMPTY"
    assert jql.restriction("ORDER BY created DESC") == jql.DEFAULT_SCOPE
    where = jql.restriction("project = OPS OR labels = x ORDER BY created DESC")
    assert jql.anchored(where, None) == "project = OPS OR labels = x ORDER BY key ASC"
    # The OR stays inside parentheses; the anchor is both a lower bound and a sentinel that comes back first.
    assert jql.anchored(where, "OPS-7") == (
        '((project = OPS OR labels = x) OR key = "OPS-7") AND key >= "OPS-7" ORDER BY key ASC'
    )


def test_project_partition_uses_the_id_and_keeps_the_user_restriction() -> None:
    assert jql.project_partition("10001") == "project = 10001"
    assert jql.project_partition(10001, "status = Done OR x = y ORDER BY key") == (
        "project = 10001 AND (status = Done OR x = y)"
    )
    assert jql.project_partition(7, "a = 1 OR b = 2", 'created < "2026-01-01 00:00"') == (
        'project = 7 AND (a = 1 OR b = 2) AND (created < "2026-01-01 00:00")'
    )
    with pytest.raises(ValueError, match="numeric"):
        jql.project_partition("ABC")


def test_single_project_recognises_partitions_only() -> None:
    assert jql.single_project(jql.project_partition(10001, "a = 1 OR b = 2")) == "10001"
    assert jql.single_project("project = 10001") == "10001"
    assert jql.single_project("project = 10001 OR project = 10002") is None
    assert jql.single_project("project = OPS") is None
    assert jql.single_project("updated >= -1d") is None


def test_quote_escapes() -> None:
    assert jql.quote('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
