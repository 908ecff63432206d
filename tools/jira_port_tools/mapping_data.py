"""Write what the layer derives from its bundled mappings at build time (``make mapping-data``).

- ``default-mapping.json``: the commented ``default-mapping.yaml`` as JSON, which the functions load
  (no PyYAML at cold start);
- ``proof-table.json``: the proof's cost of every expression of every bundled mapping, so a cold start
  reads it instead of running the proof (``jira_port.mapping.proof``).

Tests compare both files with what this module would write now.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from jira_port.mapping import gate
from jira_port.mapping.config import parse_text, rules_from_document
from jira_port.mapping.jq_tokens import Refused
from jira_port.mapping.load import BUNDLED_MAPPINGS, format_of
from jira_port.mapping.proof import TABLE
from jira_port.mapping.proof_cost import Cost
from jira_port.mapping.proof_rules import analyse

DATA = Path(str(resources.files("jira_port").joinpath("data")))


def table_entry(source: str, per_item: bool, cost: Cost) -> dict[str, Any]:
    """One entry of ``data/proof-table.json`` (what ``mapping.proof`` reads back)."""
    bounds = (("t", cost.t), ("n", cost.n), ("s", cost.s))
    lins = {name: [bound.l, bound.g, bound.c] for name, bound in bounds}
    return {"jq": source, "per_item": per_item, **lins, "length": cost.length, "what": cost.what}


def default_mapping_json() -> str:
    """``default-mapping.json``'s text: the rules of the commented YAML."""
    rules = parse_text((DATA / BUNDLED_MAPPINGS["default"]).read_text(encoding="utf-8"), "yaml")
    return json.dumps(rules, indent=1, ensure_ascii=False) + "\n"


def proof_table() -> str:
    """``proof-table.json``'s text: each bundled mapping's expressions with their proven costs."""
    expressions: dict[tuple[str, bool], None] = {}
    for filename in BUNDLED_MAPPINGS.values():
        text = (DATA / filename).read_text(encoding="utf-8")
        for rule in rules_from_document(parse_text(text, format_of(filename), filename), filename):
            for jq_field, per_item in gate.expressions(rule):
                expressions.setdefault((jq_field.program, per_item))
    costs: list[dict[str, Any]] = []
    for source, per_item in sorted(expressions):
        try:
            costs.append(table_entry(source, per_item, analyse(source, per_item=per_item)))
        except Refused:  # analysed, and refused, at load
            continue
    about = "Written by `make mapping-data` (jira_port_tools.mapping_data); do not edit."
    return json.dumps({"about": about, "costs": costs}, indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    """Rewrite both files."""
    (DATA / "default-mapping.json").write_text(default_mapping_json(), encoding="utf-8")
    (DATA / TABLE).write_text(proof_table(), encoding="utf-8")


if __name__ == "__main__":
    main()
