"""The default mapping's ADF ``description``: joined with ``add`` (linear, so the proof accepts it), it
gives exactly what the ``join`` form gave (quadratic in jq), on generated documents of every shape."""

from __future__ import annotations

import json
import random
from typing import Any

import jq
import pytest

from jira_port.mapping import load_mapping
from jira_port.mapping.proof_rules import analyse

#: The expression before the change, as it was in data/default-mapping.yaml.
JOIN_FORM = """
.body.issue.fields.description
| if type == "object" then
    (def text:
       if .type == "text" then (.text // "")
       elif .type == "hardBreak" then "\\n"
       elif .type == "mention" then (.attrs.text // "")
       elif .type == "emoji" then (.attrs.text // .attrs.shortName // "")
       elif .type == "inlineCard" or .type == "blockCard" or .type == "embedCard" then (.attrs.url // "")
       else
         (if .type == "paragraph" or .type == "heading" or .type == "codeBlock" then "" else "\\n" end)
           as $sep
         | (if .type == "listItem" then "- " else "" end)
           + ([(.content // [])[] | text] | join($sep))
       end;
     text)
  else . end
"""
TYPES = [
    "text",
    "hardBreak",
    "mention",
    "emoji",
    "inlineCard",
    "paragraph",
    "heading",
    "listItem",
    "bulletList",
]
LEAVES: list[Any] = [None, 1, 2.5, True, False, "x", "a\nb", {"k": 1}, [1, "y"], ""]


def _node(rng: random.Random, depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"type": rng.choice(TYPES)}
    if node["type"] == "text":
        node["text"] = rng.choice(LEAVES)
    if node["type"] in ("mention", "emoji", "inlineCard"):
        node["attrs"] = {key: rng.choice(LEAVES) for key in ("text", "url", "shortName")}
    if depth and rng.random() < 0.8:
        node["content"] = [_node(rng, depth - 1) for _ in range(rng.randint(0, 4))]
    elif rng.random() < 0.2:
        node["content"] = rng.choice([None, [], False])
    return node


def _outcome(program: Any, description: Any) -> tuple[str, Any]:
    document = json.dumps({"body": {"issue": {"fields": {"description": description}}}})
    try:
        return "value", program.input_text(document).all()
    except ValueError:
        return "error", None  # both forms fail on the same documents (an array or object as a text)


def _description() -> str:
    rule = load_mapping("default", limits=None).rules[0]
    return next(f.program for f in rule.fields if f.path == "entity.properties.description")


def test_the_add_form_is_proven_and_the_join_form_is_not() -> None:
    analyse(_description())
    with pytest.raises(Exception, match="`join` of an array of unbounded length"):
        analyse(JOIN_FORM)


def test_the_add_form_maps_every_document_as_the_join_form_did() -> None:
    rng = random.Random(11)
    before, after = jq.compile(JOIN_FORM), jq.compile(_description())
    documents = [_node(rng, 4) for _ in range(1500)]
    outcomes = [_outcome(after, d) for d in documents]
    assert outcomes == [_outcome(before, d) for d in documents]
    values = [value for kind, value in outcomes if kind == "value"]
    assert len(values) > 500 and any("\n- " in v[0] for v in values if isinstance(v[0], str))
