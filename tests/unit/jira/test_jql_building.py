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
    assert jql.keyset(where, None) == "project = OPS OR labels = x ORDER BY id ASC"
    # The OR stays inside parentheses so the keyset clause applies to both branches.
    assert jql.keyset(where, 10042) == "(project = OPS OR labels = x) AND id > 10042 ORDER BY id ASC"


def test_project_partition_uses_the_id_and_keeps_the_user_restriction() -> None:
    assert jql.project_partition("10001") == "project = 10001"
    assert jql.project_partition(10001, "status = Done OR x = y ORDER BY key") == (
        "project = 10001 AND (status = Done OR x = y)"
    )
    with pytest.raises(ValueError, match="numeric"):
        jql.project_partition("ABC")


def test_quote_escapes() -> None:
    assert jql.quote('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
