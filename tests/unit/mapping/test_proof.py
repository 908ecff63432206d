"""The bound by proof: which filters are provably linear (and run the relevance check in-process)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from jira_port.mapping import load_mapping, load_mapping_text
from jira_port.mapping.bounded import EvaluationLimits
from jira_port.mapping.evaluate import CompiledMapping
from jira_port.mapping.gate import refusal
from jira_port.mapping.jq_tokens import Refused, tokenize
from jira_port.mapping.proof_rules import analyse
from tests.support.fixtures import FIXTURES

DATA = Path(__file__).resolve().parents[3] / "layers/jira_port/jira_port/data"

ACCEPTED = [
    ".a, .b",
    '.a[] | "x" == .b and .c != 1 // false',
    ".body.issue.key",
    '."x-y".z',
    ".a[0]",
    '.a["b"]',
    ".a?.b?",
    '.body.webhookEvent == "jira:issue_created" and (.body.issue.key | type == "string")',
    ".a != null or .b <= 3 or .c > 1e400",
    '.a // "default" | . == "x"',
    "if .a then true elif .b then false else empty end",
    "select(.a == 1) | not",
    '.a | has("x") and (.b | length) > 0',
    '.a | in({"x": 1})',
    '.body.webhookEvent | IN("a", "b", "c")',
    '.a | startswith("x") or endswith("y") | not',
    '.a | ltrimstr("x") | rtrimstr("y") | ascii_downcase | ascii_upcase == "Z"',
    "(.a | tostring) == (.b | tostring) and (.c | tonumber) < 2",
    '.a | contains(["x", {"y": 1}]) and contains("z")',
    ".labels | any",
    '.labels | any(. == "x") and true',
    '.labels | all(. != "x")',
    'any(.labels[]; . == "ops")',
    "first(.a[] | select(.x == 1))",
    '.a | first == "x"',
    '.a as $x | $x.b == "y" and $jira_base_url != null',
    '"prefix-\\(.a)" == "prefix-x"',
    '.a # a comment: def f: f; f\n == "x"',
    ".[]?",
    '["a", ["b"], {"c": null}] | .[0] == "a"',
    ".end",
    ".5 == .a",
    # fields: construction, `+`, map, split, add, def (inlined), structural recursion
    ".a + .a",
    '"\\(.a)-\\(.b)" == "x"',
    "{a: .b, c: [.d[] | tostring]}",
    ".a[1:] | .[0]",
    ".a[] | has(.k)",
    ".a[] | . < 1",
    '.a[] and (.b == "x"?)',
    ".a, .b, .c",
    ".a | any and (.b | any)",
    ".a | map(.name) | add",
    '.a | split("-") | .[0]',
    'def name: .fields.name // ""; .a | map(name)',
    'def names($sep): [.[] | .name, $sep] | .[:-1] | add; .a | names(",")',
    'def text: if .type == "text" then .text else ([(.content // [])[] | text] | add) end; text',
    "def f: [.[] | f]; f",
    "def f: [.[] | f]; [f, f]",
    "def g(h): [.[] | h]; def f: g(f); f",
    "def f: def g: [.[] | f]; g; f",
    '.a | ["x", "y"] | join(",")',
]

REFUSED = {
    ".a[] == .b[]": "a cartesian product",
    '"x" * 1e9': "`*`",
    "[range(1e12)]": "`range/1`",
    "range(1e12)": "`range/",
    "def f: f; f": "the recursive `f` on more than a part of its input",
    "reduce .[] as $x (0; .)": "`reduce`",
    "foreach .[] as $x (0; .)": "`foreach`",
    "..": "`..`",
    ".a | recurse": "`recurse/",
    "limit(.n; .a[])": "`limit/2`",
    "repeat(.)": "`repeat/",
    "while(true; .)": "`while/",
    '.a | test("(a+)+$")': "`test`",
    '.a | split("x"; null)': "`split/",
    "input": "`input/",
    "$ENV.SECRET": "the variable $ENV",
    "env.SECRET": "`env/",
    "$__loc__": "the variable $__loc__",
    ".a | @base64d": "`@`",
    'getpath(["a"])': "`getpath/",
    "[paths]": "`paths/0`",
    "walk(.)": "`walk/",
    "tostream": "`tostream/",
    '"\\(range(3))" == "0"': "`range/1`",
    ".a = 1": "`=`",
    ".a |= 1": "`|=`",
    ".a[.b]": "a computed index",
    ". as [$a] | $a": "destructuring",
    ".a | contains(.b)": "`contains` of a computed value",
    ".a[] and (.b == .c)": "the right side of `and` runs once per output of the left side",
    '.a[] and (.b == "x" as $y | .c)': "a cartesian product",
    "IN(.a[]; .b[])": "`IN/2`",
    'first(.a[]; "x")': "`first/2`",
    "a::b": "`a::b/",
    # recursion: only structural (one call site, on elements of its input, no arguments)
    "def f: .a | f; f": "on more than a part of its input",
    "def f: [.[] | f, f]; f": "calls itself more than once",
    "def g(h): [.[] | h, h]; def f: g(f); f": "calls itself more than once",
    "def f: def g: [.[] | f]; [g, g]; f": "calls itself more than once",
    "def f: [.[] | f] | .[] | f; f": "calls itself more than once",
    "def f: {a: .} | .[] | f; f": "on more than a part of its input",
    "def f(g): [.[] | f(g)]; f(.)": "with arguments",
    "def f: .[] as $x | (.[] | f); f": "a cartesian product",
    "[.[] as $x | .[] | $x == .]": "a cartesian product",
    'split("")': "an empty separator",
    '.a | join(",")': "`join` of an array of unbounded length",
    ".a # continued \\\n | range(9)": "a comment with a backslash",
    '.a == "x" # ends here in jq 1.7\r | range(9)': "or a carriage return",
}


@pytest.mark.parametrize("source", ACCEPTED)
def test_linear_filters_are_accepted(source: str) -> None:
    analyse(source)


@pytest.mark.parametrize(("source", "reason"), REFUSED.items())
def test_unbounded_or_unknown_constructs_are_refused(source: str, reason: str) -> None:
    with pytest.raises(Refused, match=re.escape(reason)):
        analyse(source)


def test_a_filter_run_per_item_pays_its_cost_once_per_item() -> None:
    analyse('.item.key == "x"', per_item=True)
    copies = "[.body | " + ", ".join(["tostring"] * 20) + "]"
    analyse(copies)  # alone: 20 copies of the event
    with pytest.raises(Refused, match="passes over the event x 500 items"):
        analyse(copies, per_item=True)


def test_the_tokenizer_reads_strings_interpolation_and_comments_like_jq() -> None:
    tokens = tokenize('."a\\"b" | "x\\(.c | "\\(.d)")" # "(range(9))"\n.5e1')
    assert [t.kind for t in tokens] == ["op", "str", "op", "interp", "num"]
    assert tokens[1].text == 'a"b'
    inner = tokens[3].parts[0]
    assert [t.text for t in inner] == ["c", "|", ""] and inner[2].parts[0][0].text == "d"
    with pytest.raises(Refused, match="unterminated"):
        tokenize('"\\(.a')


def _custom_fields() -> CompiledMapping:
    return load_mapping(DATA / "mappings" / "custom-fields.yaml")


@pytest.mark.parametrize("name", ["default", "cloud-guide", "server-guide", "custom-fields"])
def test_every_bundled_mapping_checks_relevance_in_process(name: str) -> None:
    mapping = _custom_fields() if name == "custom-fields" else load_mapping(name)
    assert mapping.relevance_refusal is None


@pytest.mark.parametrize("name", ["default", "cloud-guide", "server-guide", "custom-fields"])
def test_every_bundled_mapping_is_proven_whole_filters_items_and_fields(name: str) -> None:
    mapping = _custom_fields() if name == "custom-fields" else load_mapping(name)
    assert refusal(mapping.rules)[0] is None


def test_a_mapping_with_one_runaway_field_is_not_proven_and_the_refusal_names_it() -> None:
    rules = [
        {
            "blueprint": "b",
            "filter": "true",
            "entity": {"identifier": ".body.key", "title": "[.body.a[] as $x | .body.a[] | $x == .]"},
        }
    ]
    mapping = load_mapping_text(json.dumps(rules))
    assert refusal(mapping.rules, fields=False)[0] is None
    assert refusal(mapping.rules)[0] == (
        "rule 0 (b), entity.title: `==` runs once per output of `.` (a cartesian product)"
    )


def test_a_runaway_filter_is_refused_by_the_proof_and_left_to_the_worker() -> None:
    runaway = 'if .body.key == "RUN-1" then (def f: f; f) else false end'
    rules = [{"blueprint": "b", "filter": runaway, "entity": {"identifier": ".body.key"}}]
    mapping = load_mapping_text(json.dumps(rules), limits=EvaluationLimits(timeout_seconds=0.5))
    assert mapping.relevance_refusal == (
        "rule 0 (b), filter: the recursive `f` on more than a part of its input (nothing bounds its depth)"
    )
    assert mapping.relevant({"key": "RUN-1"}) is True  # past the bound: fails open
    assert mapping.relevant({"key": "OK-1"}) is False


@pytest.mark.parametrize("name", ["default", "cloud-guide", "server-guide", "custom-fields"])
def test_relevance_is_the_same_in_process_and_in_the_worker_over_every_capture(name: str) -> None:
    here = _custom_fields() if name == "custom-fields" else load_mapping(name)
    worker = copy.copy(here)
    worker.relevance_refusal = "forced into the worker"
    answers = set()
    for path in sorted((FIXTURES / "jira-webhooks").glob("*.json")):
        raw = path.read_text(encoding="utf-8")
        body = json.loads(raw)
        for source in ("webhook", "backfill"):
            headers = {"x-jira-port-source": source}
            answer = here.relevant(body, headers, raw_body=raw, jira_base_url="https://x")
            assert answer == worker.relevant(body, headers, raw_body=raw, jira_base_url="https://x"), path
            answers.add(answer)
    assert answers == {True, False} or name in ("cloud-guide",)
