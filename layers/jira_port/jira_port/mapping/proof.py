"""The proof's answer for one jq expression: its cost when provably linear, else ``Refused``.

The bundled mappings' expressions are proven when the layer is built, the way its ``.pyc`` files are
compiled: ``data/proof-table.json`` holds their costs (``make mapping-data`` writes it; a test keeps it
equal to what ``proof_rules`` proves today). A cold start that loads a bundled mapping, or a copy of one,
reads the table and neither imports nor runs the rules; any other expression is analysed by
``proof_rules`` (see its module doc for what is accepted and why).
"""

from __future__ import annotations

import json
from functools import cache

from jira_port.mapping.model import data_text
from jira_port.mapping.proof_cost import Cost, Lin

#: The costs of the bundled mappings' expressions, proven at build time.
TABLE = "proof-table.json"


@cache  # the filters are checked again for the relevance gate
def check(source: str, *, per_item: bool = False) -> Cost:
    """The cost of jq ``source`` (``per_item``: run once per ``itemsToParse`` item, at most 500) when
    provably linear, else ``Refused`` (from the table when it holds ``source``, else analysed)."""
    known = _table().get((source, per_item))
    if known is not None:
        return known
    from jira_port.mapping.proof_rules import analyse  # noqa: PLC0415 - only for expressions not in the table

    return analyse(source, per_item=per_item)


@cache
def _table() -> dict[tuple[str, bool], Cost]:
    costs = {}
    for entry in json.loads(data_text(TABLE))["costs"]:
        t, n, s = (Lin(*entry[name]) for name in ("t", "n", "s"))
        costs[(entry["jq"], entry["per_item"])] = Cost(t, n, s, entry["length"], entry["what"])
    return costs
