"""Port's single-quote rewrite of jq expressions.

Mappings written in Port's UI often use single-quoted string literals (``'Production'``), which jq
does not understand. Before compiling, Port rewrites an apostrophe that opens a string (at the start
of the expression or after whitespace, and not followed by whitespace or ``"``) and one that closes
a string (not preceded by whitespace or ``"``, and followed by whitespace or the end) into ``"``.
This is the regular expression of ``formatFilter`` in Port's jq binding (``@port-labs/jq-node-bindings``,
``lib/jq.js``) and of Ocean's ``_format_filter``; we apply exactly the same rewrite so configs copied
from Port behave the same here.
"""

from __future__ import annotations

import re

# JavaScript: /(^|\s)'(?!\s|")|(?<!\s|")'(\s|$)/g  -> '$1"$2'. Python's `$` also matches before a
# trailing newline, JavaScript's (without the m flag) does not, hence `\Z`.
_QUOTE = re.compile(r"""(^|\s)'(?!\s|")|(?<!\s|")'(\s|\Z)""")


def _replace(match: re.Match[str]) -> str:
    return f'{match.group(1) or ""}"{match.group(2) or ""}'


def format_filter(expression: str) -> str:
    """Rewrite single-quoted string delimiters to double quotes, exactly as Port does."""
    if "'" not in expression:
        return expression
    return _QUOTE.sub(_replace, expression)
