"""The builtins ``proof`` accepts: C builtins costed by their implementation in jq (``src/builtin.c``,
``jv.c``), jq-defined ones by their definitions; and the shape its rule for recursion reads.

``native`` prices one call; ``cost_of`` prices an argument expression in the caller's scope (jq
evaluates a builtin's ``$`` argument once per output of it, on the builtin's input).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from jira_port.mapping.jq_parse import Node
from jira_port.mapping.jq_tokens import Refused
from jira_port.mapping.proof_cost import ONE, SIZE, SMALL, ZERO, Cost, Lin, each, named, op

#: Builtins defined in jq (``src/builtin.jq``), analysed from their definitions.
DEFINITIONS = {
    "map": "def map(f): [.[] | f];",
    "select": "def select(f): if f then . else empty end;",
    "first": "def first: .[0];",
    "last": "def last: .[-1];",
    "values": "def values: select(. != null);",
    "nulls": "def nulls: select(. == null);",
    "strings": 'def strings: select(type == "string");',
    "arrays": 'def arrays: select(type == "array");',
    "objects": 'def objects: select(type == "object");',
    "numbers": 'def numbers: select(type == "number");',
    "booleans": 'def booleans: select(type == "boolean");',
    "any": "def any(g; c): isempty(g | c or empty) | not; def any(c): any(.[]; c); def any: any(.[]; .);",
    "all": "def all(g; c): isempty(g | c and empty); def all(c): all(.[]; c); def all: all(.[]; .);",
    "IN": "def IN(s): any(s == .; .);",
    "in": "def in(xs): . as $x | xs | has($x);",
}
#: Builtins without arguments: their cost on their input (``tostring``: escapes at most double it;
#: ``ascii_downcase``: jq defines it as ``explode | map(...) | implode``, measured 30x ``tostring``).
#: ``add`` is ``reduce .[] as $x (null; . + $x)``, whose accumulator is appended in place (measured
#: linear on strings, arrays and objects, 50k to 200k elements); ``join`` is not (see ``_join``).
NATIVE = {
    "empty": op(ONE, ZERO, "`empty`", n=ZERO),
    "not": op(ONE, SMALL, "`not`"),
    "type": op(ONE, SMALL, "`type`"),
    "length": op(Lin(l=1, c=1), SMALL, "`length`"),
    "utf8bytelength": op(Lin(l=1, c=1), SMALL, "`utf8bytelength`"),
    "tostring": op(Lin(l=2, c=1), Lin(l=2, c=2), "`tostring`"),
    "tojson": op(Lin(l=2, c=1), Lin(l=2, c=2), "`tojson`"),
    "tonumber": op(Lin(l=1, c=1), Lin(l=1, c=1), "`tonumber`"),
    "ascii_downcase": op(Lin(l=32, c=1), Lin(l=1, c=1), "`ascii_downcase`"),
    "ascii_upcase": op(Lin(l=32, c=1), Lin(l=1, c=1), "`ascii_upcase`"),
    "trim": op(Lin(l=1, c=1), SIZE, "`trim`"),
    "ltrim": op(Lin(l=1, c=1), SIZE, "`ltrim`"),
    "rtrim": op(Lin(l=1, c=1), SIZE, "`rtrim`"),
    "add": op(Lin(l=2, c=1), Lin(l=1, c=2), "`add`"),
}
#: Builtins of one argument, evaluated on the input like a ``$`` parameter: (cost per character of
#: the input, whether the result is input-sized); ``contains`` and ``split`` need a constant.
_WITH_ARGUMENT = {
    "has": (0.0, False),
    "startswith": (0.0, False),
    "endswith": (0.0, False),
    "ltrimstr": (1.0, True),
    "rtrimstr": (1.0, True),
    "contains": (1.0, False),
    "split": (4.0, True),
}
_REGEX_ATOM = r"(?:[^\\^$.|?*+()\[\]{}]|\\[^A-Za-z0-9]|\[\^?(?:[^\\\[\]]|\\[^A-Za-z0-9])+\]|\.)"
#: ``^``, fixed atoms (characters, escaped punctuation, classes, ``.``), then at most one quantified atom
#: at the very end (alone or ending one named group) or a final ``$``: per start position Oniguruma
#: walks the fixed atoms, and the final greedy run always ends in a match, so it never backtracks.
_LINEAR_REGEX = re.compile(
    rf"\^?{_REGEX_ATOM}*(?:\(\?<[A-Za-z_]\w*>{_REGEX_ATOM}*{_REGEX_ATOM}[*+?]?\)|{_REGEX_ATOM}[*+?]|\$)?"
)


def native(name: str, args: tuple[Node, ...], length: int | None, cost_of: Callable[[Node], Cost]) -> Cost:
    """The cost of the C builtin ``name(args)`` on an input whose array length is ``length`` (if known)."""
    what = f"`{name}`"
    if not args and name in NATIVE:
        return NATIVE[name]
    if len(args) == 1 and name in ("first", "last", "isempty"):
        inner = cost_of(args[0])
        size = SMALL if name == "isempty" else inner.s
        return op(inner.t + inner.n, size, what, n=ONE.most(ZERO) if inner.n.data else inner.n.most(ZERO))
    if len(args) == 1 and name == "join":
        return _join(args[0], length, cost_of)
    if name in ("test", "capture", "sub"):
        return _regex(name, args)
    if len(args) != 1 or name not in _WITH_ARGUMENT:
        raise Refused(f"`{name}/{len(args)}` (not provably bounded)")
    per_char, sized = _WITH_ARGUMENT[name]
    constant = constant_size(args[0])
    if name in ("contains", "split") and constant is None:
        raise Refused(f"{what} of a computed value")
    if name == "split" and args[0].text == "":
        raise Refused("`split` with an empty separator (one string per character)")
    argument = cost_of(args[0])
    per_char += (constant or 0) if name in ("contains", "split") else 0  # a naive search: O(n * m)
    run = op(Lin(l=per_char, c=1) + argument.s, Lin(l=per_char or 1, c=5) if sized else SMALL, what)
    return named(each(named(argument, f"the argument of {what}"), run), what)


def constant_size(node: Node) -> int | None:
    """The size of ``node`` when it is a constant (a literal, or an array or object of constants)."""
    if node.kind == "literal":
        return len(node.text) + 2
    if node.kind in ("collect", "object", "pair", "comma") and node.kids:
        sizes = [constant_size(kid) for kid in node.kids]
        return None if None in sizes else sum(s for s in sizes if s is not None) + 2
    return None


def _join(separator_node: Node, length: int | None, cost_of: Callable[[Node], Cost]) -> Cost:
    """``join``: a ``reduce`` whose step reads its accumulator twice, so jq copies it each step
    (measured quadratic: 1.4 s for 100k strings, 3.4 s for 200k); only of an array of a constant
    length ``L`` (then L copies of at most the input: linear). ``add`` is the linear way."""
    if length is None:
        raise Refused("`join` of an array of unbounded length (quadratic in jq; `add` is linear)")
    steps = float(length + 1)
    separator = cost_of(separator_node)
    if separator.n.data or separator.s.data:
        raise Refused("`join` with a computed separator")
    extra = separator.s.times(steps)
    run = op(Lin(l=steps * 2, c=1) + extra.times(steps), Lin(l=2, c=2) + extra, "`join`")
    return each(named(separator, "the separator of `join`"), run)


def _regex(name: str, args: tuple[Node, ...]) -> Cost:
    """``test``/``capture`` (one match, no flags) and ``sub`` with a literal replacement."""
    pattern = args[0].text if args and args[0].kind == "literal" else None
    replacement = args[1].text if len(args) == 2 and name == "sub" and args[1].kind == "literal" else ""
    if len(args) != (2 if name == "sub" else 1) or pattern is None or replacement is None:
        raise Refused(f"`{name}/{len(args)}` without a literal regex (or with flags)")
    if len(args) == 2 and args[1].kind != "literal":
        raise Refused(f"`{name}/{len(args)}` without a literal replacement")
    if not _LINEAR_REGEX.fullmatch(pattern):
        raise Refused(f"`{name}` of the regex {pattern!r} (backtracking: not provably linear)")
    scan = Lin(l=len(pattern) + 2.0, c=1)
    return op(scan, SMALL if name == "test" else Lin(l=1, c=len(replacement) + 24.0), f"`{name}`")


def access(node: Node) -> Cost:
    """A path step on its input: ``.[]``, ``.name``/``.[0]``, or a slice with literal bounds."""
    if node.kind == "iter":
        return op(Lin(l=1, c=1), SIZE, "`.[]`", n=Lin(l=0.5, c=1))  # k elements take 2k bytes or more
    if node.kind == "index":
        return op(Lin(c=1 + len(node.text)), SIZE, f"`.{node.text}`")
    low, high = node.text.split(":")
    known = low.lstrip("-").isdigit() or not low, high.isdigit()
    length = int(high) - int(low or 0) if all(known) and not low.startswith("-") else None
    return op(Lin(l=1, c=1), SIZE, "a slice", length=length)


def part_of(node: Node) -> str | None:
    """What the outputs of ``node`` are to its input: ``"self"`` (the input, a field of it or
    ``null``: never deeper), ``"part"`` (elements of it: strictly deeper, or ``null``), ``None``."""
    if node.kind == "dot":
        return "self"
    if node.kind in ("index", "try"):
        return part_of(node.kids[0])
    if node.kind == "iter":
        options = alternatives(node.kids[0])
        strict = all((o.kind == "literal" and o.text == "[]") or part_of(o) for o in options)
        return "part" if strict else None
    if node.kind == "pipe":
        first, then = (part_of(kid) for kid in node.kids)
        return None if first is None or then is None else "self" if first == then == "self" else "part"
    return None


def alternatives(node: Node) -> list[Node]:
    if node.kind == "binop" and node.text == "//":
        return alternatives(node.kids[0]) + alternatives(node.kids[1])
    return [node]
