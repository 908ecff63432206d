"""A bound by proof: which jq filters provably cannot run away, so they may run in-process, unbounded.

The relevance check runs only the rules' filters (``programs.relevance_program``); when every filter
passes ``refusal`` it runs in this process (no worker round trip), otherwise in the bounded worker.

The check reads the filter with a jq tokenizer (strings with ``\\(...)`` interpolation, comments,
numbers such as ``.5``, fields such as ``.end``) and accepts a small language whose cost is linear:

- Without an iteration construct, every accepted construct yields at most one output per input, so
  each token of the filter is evaluated at most once, and each accepted operation costs at most the
  size of its operands, which never grow past a small multiple of the input: no ``+``/``*``, no
  construction of arrays or objects except constant literals, string interpolation with one part only
  (two parts could double a string at every ``|``). Time and memory: O(expression size * input size).
- With ONE iteration construct (``.[]``, ``any``/``all`` without a generator argument, a comma that is
  not in a constant, ``IN`` of a non-constant generator), its outputs make whatever consumes them run
  once per output, so what does run must cost O(1) or O(size of its own input): ``==``/``!=`` need a
  literal operand (jq compares lengths first), ``has``/``startswith``/``endswith`` a literal argument,
  and no operation whose cost is the size of a value (``tostring``, ``length``, ``<``, ...) is allowed.
- Two iteration constructs make a cartesian product (N^2, N^k): refused.

Everything else is refused by name (an allowlist): ``def``, ``reduce``, ``foreach``, ``range``,
``recurse``, ``..``, ``limit``, regex builtins (ReDoS), ``join``/``add``, ``input``, ``$ENV``,
``getpath``, ``$__loc__``, formats such as ``@base64d``, assignment, arithmetic, unknown names.
The definitions were read in the jq bundled by the ``jq`` Python package (``def any(g; c):
isempty(g|c or empty)|not``, ``def IN(s): any(s == .; .)``, ``def in(xs): . as $x | xs | has($x)``,
``def ltrimstr($l): if startswith($l) then .[$l | length:] end``).
"""

from __future__ import annotations

from jira_port.mapping.jq_tokens import OPEN, Refused, Token, tokenize
from jira_port.mapping.model import Rule

#: Builtins a filter may call: name -> (allowed arities, "heavy": costs the size of a value).
_BUILTINS: dict[str, tuple[frozenset[int], bool]] = {
    "select": (frozenset({1}), False),
    "empty": (frozenset({0}), False),
    "not": (frozenset({0}), False),
    "type": (frozenset({0}), False),
    "first": (frozenset({0, 1}), False),
    "has": (frozenset({1}), False),
    "startswith": (frozenset({1}), False),
    "endswith": (frozenset({1}), False),
    "any": (frozenset({0, 1, 2}), False),
    "all": (frozenset({0, 1, 2}), False),
    "IN": (frozenset({1}), False),
    "in": (frozenset({1}), True),
    "length": (frozenset({0}), True),
    "contains": (frozenset({1}), True),
    "ltrimstr": (frozenset({1}), True),
    "rtrimstr": (frozenset({1}), True),
    "ascii_downcase": (frozenset({0}), True),
    "ascii_upcase": (frozenset({0}), True),
    "tostring": (frozenset({0}), True),
    "tonumber": (frozenset({0}), True),
}
#: Arguments that must be a literal whenever the filter iterates (a computed one may be the input's size).
_LITERAL_ARGUMENT = frozenset({"has", "startswith", "endswith", "contains"})
_KEYWORDS = frozenset({"if", "then", "elif", "else", "end", "and", "or", "as"})
_VARIABLES = frozenset({"$jira_base_url"})
_ORDERING = frozenset({"<", "<=", ">", ">="})
_EQUALITY = frozenset({"==", "!=", *_ORDERING})
#: Tokens binding looser than a comparison: an operand next to one of these is complete.
_LOOSER = frozenset({"|", ",", "//", "or", "and", "(", ")", ";", "if", "then", "elif", "else", "end"})


class _Facts:
    """What a scan found: the iteration constructs, and the costly operations next to them."""

    def __init__(self, iterations: tuple[str, ...]) -> None:
        self.iterations = list(iterations)
        self.costly: list[str] = []
        self.bound: set[str] = set(_VARIABLES)

    def verdict(self) -> None:
        if len(self.iterations) > 1:
            first, second = self.iterations[:2]
            raise Refused(f"two iteration constructs ({first}, {second}) make a cartesian product")
        if self.iterations and self.costly:
            raise Refused(f"{self.costly[0]} runs once per output of {self.iterations[0]}")


def check(source: str, *, per_item: bool = False) -> None:
    """Accept jq ``source`` as provably linear (see the module doc) or raise ``Refused``.

    ``per_item``: the expression already runs once per item of ``itemsToParse`` (an iteration)."""
    facts = _Facts(("the itemsToParse items",) if per_item else ())
    _scan(tokenize(source), facts)
    facts.verdict()


def refusal(rules: tuple[Rule, ...]) -> str | None:
    """Why the rules' filters (and items) may not run in-process unbounded; ``None`` when all pass."""
    for rule in rules:
        checks = [(rule.items, False), (rule.filter, rule.items is not None)]
        for jq_field, per_item in checks:
            if jq_field is None:
                continue
            try:
                check(jq_field.program, per_item=per_item)
            except Refused as exc:
                return f"{rule.label}, {jq_field.path}: {exc}"
    return None


def _matching(tokens: list[Token] | tuple[Token, ...]) -> dict[int, int]:
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for index, token in enumerate(tokens):
        if token.kind == "op" and token.text in OPEN:
            stack.append(index)
        elif token.kind == "op" and token.text in OPEN.values():
            if not stack or OPEN[tokens[stack[-1]].text] != token.text:
                raise Refused(f"an unbalanced `{token.text}`")
            pairs[stack.pop()] = index
    if stack:
        raise Refused(f"an unbalanced `{tokens[stack[-1]].text}`")
    return pairs


def _constant(tokens: list[Token] | tuple[Token, ...]) -> bool:
    """Whether ``tokens`` are a constant: literals, commas, colons and brackets only."""
    return all(t.literal or (t.kind == "op" and t.text in ",:[]{}") for t in tokens)


def _lone_literal(tokens: list[Token] | tuple[Token, ...], index: int, step: int) -> bool:
    """Whether the operand on side ``step`` (-1, +1) of the operator at ``index`` is a single literal."""
    near, far = index + step, index + 2 * step
    if not 0 <= near < len(tokens) or not tokens[near].literal:
        return False
    return not 0 <= far < len(tokens) or (tokens[far].text in _LOOSER and tokens[far].kind in ("op", "id"))


def _scan(tokens: list[Token] | tuple[Token, ...], facts: _Facts) -> None:
    pairs = _matching(tokens)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "interp":
            if len(token.parts) > 1:
                raise Refused("a string interpolating more than one value")
            facts.costly.append("a string interpolation")
            _scan(token.parts[0], facts)
        elif token.kind == "var" and token.text not in facts.bound:
            raise Refused(f"the variable {token.text}")
        elif token.kind == "id" and not token.literal:
            index = _word(tokens, index, pairs, facts)
        elif token.kind == "op":
            index = _operator(tokens, index, pairs, facts)
        index += 1


def _word(tokens: list[Token] | tuple[Token, ...], index: int, pairs: dict[int, int], facts: _Facts) -> int:
    """Check the keyword or call at ``index``; the index of its last token."""
    name = tokens[index].text
    if name == "as":
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following is None or following.kind != "var":
            raise Refused("a destructuring `as`")
        facts.bound.add(following.text)
        return index + 1
    if name in _KEYWORDS:
        return index
    if name not in _BUILTINS:
        raise Refused(f"`{name}` (not provably bounded)")
    arities, costly = _BUILTINS[name]
    args: list[list[Token]] = []
    last = index
    if index + 1 < len(tokens) and tokens[index + 1].text == "(" and tokens[index + 1].kind == "op":
        last = pairs[index + 1]
        args = _split_arguments(tokens[index + 2 : last])
    if len(args) not in arities:
        raise Refused(f"`{name}/{len(args)}` (not provably bounded)")
    if name == "IN" and _constant(args[0]):
        return last  # compares the input with each constant once: O(expression size), one output
    if name in ("any", "all") and len(args) < 2:
        facts.iterations.append(f"`{name}/{len(args)}` (iterates its input)")
    if costly:
        facts.costly.append(f"`{name}`")
    if name in _LITERAL_ARGUMENT and not _constant(args[0]):
        if name == "contains":  # arrays: every element against every element, O(N * M)
            raise Refused("`contains` of a computed value")
        facts.costly.append(f"`{name}` of a computed value")
    for arg in args:
        _scan(arg, facts)
    return last


def _split_arguments(tokens: list[Token] | tuple[Token, ...]) -> list[list[Token]]:
    args: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.kind == "op":
            depth += 1 if token.text in OPEN else -1 if token.text in OPEN.values() else 0
        if depth == 0 and token.kind == "op" and token.text == ";":
            args.append([])
        else:
            args[-1].append(token)
    return args if tokens else []


def _postfix(tokens: list[Token] | tuple[Token, ...], index: int) -> bool:
    """Whether the ``[`` at ``index`` indexes a value (``.a[0]``) rather than building an array."""
    if index == 0:
        return False
    before = tokens[index - 1]
    if before.kind == "op":
        return before.text in (".", "]", ")", "?")
    return before.kind != "id" or before.text not in _KEYWORDS


def _operator(
    tokens: list[Token] | tuple[Token, ...], index: int, pairs: dict[int, int], facts: _Facts
) -> int:
    """Check the operator at ``index``; the index of its last token."""
    symbol = tokens[index].text
    if symbol in ("(", ")", "|", "//", "?", ".", ";"):
        return index
    if symbol == ",":
        facts.iterations.append("a comma (several outputs)")
    elif symbol in _EQUALITY:
        if symbol in _ORDERING:
            facts.costly.append(f"`{symbol}` (orders whole values)")
        elif not (_lone_literal(tokens, index, -1) or _lone_literal(tokens, index, 1)):
            facts.costly.append(f"`{symbol}` of two computed values")
    elif symbol == "[" and _postfix(tokens, index):
        inside = tokens[index + 1 : pairs[index]]
        if not inside:
            facts.iterations.append("`[]` (iterates)")
        elif not (len(inside) == 1 and inside[0].kind in ("str", "num")):
            raise Refused("a computed index or a slice")
        return pairs[index]
    elif symbol in ("[", "{"):
        if not _constant(tokens[index + 1 : pairs[index]]):
            raise Refused("an array or object built from computed values")
        return pairs[index]
    else:
        raise Refused(f"`{symbol}` (not provably bounded)")
    return index
