"""The proof's rules: which jq expressions provably cannot run away, so they may run in-process.

When every filter, ``itemsToParse`` and field of a mapping passes ``analyse`` (through ``proof.check``),
the mapping is *proven* (``refusal`` is ``None``) and ``evaluate`` runs it in this process for events up
to a size gate, with no worker (see ``evaluate``). The expression is read by a parser that follows jq's
grammar (``jq_parse``), and its cost is bounded by the algebra of ``proof_cost``: time, number of outputs
and total output size, each at most ``l * n + g * N + c`` (``n``: the expression's input, ``N``: the
event, ``c``: expression-sized). An expression is accepted when all three are linear and its time and size
factors (``l + g``) stay within ``MAX_FACTOR`` passes over the event: memory cannot exceed what that time
allocates, so amplification is bounded too. The factors are loose (every output of a ``.[]`` is charged a
whole element's constants; the default mapping's worst field is about 9,000): the guard refuses
expression-sized amplification, the linearity is the proof. The rules, from jq's definitions
(``src/builtin.jq``, and the C builtins of the jq bundled by the ``jq`` package):

- Paths (``.a``, ``."a"``, ``.[0]``, ``.a?``) yield one part of the input: O(1). ``.[]`` yields each
  element once: the elements' sizes add up to the input's, so a linear consumer of each element is
  linear in total (``.[] | tostring``); a consumer that reads the whole event per element is not.
- ``A | B`` runs B once per output of A; ``A, B`` and ``A // B`` run both (``//`` yields the truthy
  outputs of A, else B's: at most the larger count and size); ``E as $v | B``,
  ``if``, ``and``/``or`` run B on the same input once per output of E (one data-sized count times a
  data-sized cost is a cartesian product: refused, e.g. ``[.[] as $x | .[] | ...]``).
- Binary operators run the left side once per output of the right side (jq's ``gen_binop``); ``+``
  costs and yields both operands (strings, arrays, objects: O(|a| + |b|)); ``==``/``!=`` stop at the
  shorter operand (``jv_equal`` compares lengths/kinds first); ``<``... need a literal operand
  (``jv_cmp`` sorts object keys). ``-``, ``*``, ``/``, ``%`` are refused (``"x" * 1e9``, array
  difference is O(|a| * |b|)).
- Construction: ``[E]`` collects E's outputs; ``{k: v, ...}`` and ``"\\(a)\\(b)"`` combine their parts
  like ``+`` (each part once per combination: cartesian products of generators are refused).
- ``def f: body;`` (and ``def f(g)``/``def f($a)``) is analysed at each call with its arguments as
  closures (jq's call-by-name). Recursion is accepted only when structural: no arguments, one
  self-call per expansion (counted along every path, closures included: ``def f: g(f)`` where ``g``
  runs its argument twice is refused), and its input an element (``.[]``, also ``(.a // [])[]``) of
  the function's own input, reached by paths only (``part_of``): each call goes one level deeper (or
  gets ``null``, which ``.[]`` cannot iterate), so each value is entered once. Outputs return level
  by level and a level may copy its children's outputs: O(N * depth), where jq parses at most 10,000
  levels and the size gate bounds N (measured: 0.1 s for a 4,900-level, 194 KB default ``description``).
  Refused: ``def f: f``, ``def f: .a | f`` (``null | .a`` is ``null``: forever), two self-calls (2^depth),
  ``def f: .[] as $x | (.[] | f)`` (a cartesian product).
- Builtins: ``map(f)`` is ``[.[] | f]``, ``select(f)`` is ``if f then . else empty end``,
  ``any``/``all``/``IN``/``first``/``last``/``in``/``values``... are analysed from their definitions
  (``proof_builtins.DEFINITIONS``); C builtins are costed by their implementation (``NATIVE``):
  ``length``, ``tostring`` (at most twice the input: escapes), ``ltrimstr``, ``split`` with a literal
  non-empty string (``jv_string_split``: one scan; ``split("")`` makes one string per character, about
  forty times the input's memory: refused), ``add`` (a ``reduce`` appending in place: linear,
  measured), ``join`` only of arrays of a constant length (its step reads the accumulator twice, so
  jq copies it: quadratic, measured), ``test``/``capture``/``sub`` with a literal regex of a linear
  shape (Oniguruma backtracks, ReDoS otherwise).
- Refused by name: ``reduce``, ``foreach``, ``range``, ``limit``, ``recurse``, ``..``, ``while``,
  ``repeat``, ``walk``, ``paths``, ``getpath``, ``input``, ``$ENV``/``env``, ``$__loc__``, ``@formats``,
  assignment, ``try ... catch``, ``label``, ``gsub``, any name not in the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache

from jira_port.mapping.jq_parse import Node, parse
from jira_port.mapping.jq_tokens import Refused
from jira_port.mapping.model import MAX_ITEMS_PER_EVENT
from jira_port.mapping.proof_builtins import DEFINITIONS, NATIVE, access, native, part_of
from jira_port.mapping.proof_cost import (
    ONE,
    SIZE,
    SMALL,
    Cost,
    Lin,
    both,
    collect,
    each,
    named,
    op,
    pairs,
    pipe,
)

#: The most passes over the event (time, output size) one expression may take (see the module doc).
MAX_FACTOR = 16384.0
#: ``$jira_base_url``: operator configuration, bounded (an environment variable).
_BASE_URL_BYTES = 4096.0


@dataclass(frozen=True, slots=True)
class _Function:
    params: tuple[str, ...]
    body: Node
    scope: _Scope


@dataclass(frozen=True, slots=True)
class _Closure:
    node: Node
    scope: _Scope


@dataclass(frozen=True, slots=True)
class _Scope:
    """What an expression sees: variables (sizes), functions by (name, arity), its input's size."""

    variables: dict[str, Lin] = field(default_factory=dict)
    functions: dict[tuple[str, int], _Function | _Closure] = field(default_factory=dict)
    size: Lin = Lin(g=1)  # noqa: RUF009 - frozen
    length: int | None = None
    active: frozenset[int] = frozenset()
    descended: frozenset[int] = frozenset()  # active functions whose input has this one as a part
    lost: frozenset[int] = frozenset()  # active functions whose input this one may not be within
    recursions: dict[int, list[int]] = field(default_factory=dict)  # per expansion: self-calls analysed

    def with_variable(self, name: str, size: Lin) -> _Scope:
        return replace(self, variables={**self.variables, name: size})

    def at(self, size: Lin, length: int | None = None) -> _Scope:
        return replace(self, size=size, length=length)


def analyse(source: str, *, per_item: bool = False) -> Cost:
    """The cost of jq ``source`` when provably linear (see the module doc), else ``Refused``.

    ``per_item``: it runs once per ``itemsToParse`` item (at most 500), on the event plus the item."""
    scope = _Scope({"$jira_base_url": Lin(c=_BASE_URL_BYTES)}, size=Lin(g=2) if per_item else Lin(g=1))
    cost = _cost(parse(source), scope)
    runs = float(MAX_ITEMS_PER_EVENT) if per_item else 1.0
    for name, bound in (("time", cost.t), ("output size", cost.s)):
        factor = (bound.l + bound.g) * runs
        if factor > MAX_FACTOR:
            where = f" x {MAX_ITEMS_PER_EVENT} items" if per_item else ""
            raise Refused(f"its {name} is {factor:g} passes over the event{where} (at most {MAX_FACTOR:g})")
    return cost


def _cost(node: Node, scope: _Scope) -> Cost:  # noqa: PLR0911, PLR0912 - one case per construct
    kind = node.kind
    if kind == "dot":
        return op(ONE, SIZE, "`.`")
    if kind == "literal":
        size = float(len(node.text) + 2)
        return op(ONE, Lin(c=size), "a literal", length=0 if node.text == "[]" else None)
    if kind == "var":
        if node.text not in scope.variables:
            raise Refused(f"the variable {node.text}")
        return op(ONE, scope.variables[node.text], node.text)
    if kind in ("index", "iter", "slice"):
        return pipe(_cost(node.kids[0], scope), access(node))
    if kind == "try":
        return _cost(node.kids[0], scope)
    if kind == "pipe":
        return _pipe(node, scope)
    if kind == "comma":
        return both(_cost(node.kids[0], scope), _cost(node.kids[1], scope), "a comma")
    if kind == "binop":
        return _binary(node, scope)
    if kind == "collect":
        return collect(_cost(node.kids[0], scope))
    if kind in ("object", "interp"):
        return _construction(node, scope)
    if kind == "if":
        condition, then, otherwise = (_cost(kid, scope) for kid in node.kids)
        branch = Cost(then.t.most(otherwise.t), then.n.most(otherwise.n), then.s.most(otherwise.s))
        return named(each(named(condition, "an `if` condition"), named(branch, "an `if` branch")), "`if`")
    if kind == "as":
        source = _cost(node.kids[0], scope)
        body = _cost(node.kids[1], scope.with_variable(node.text, source.s.at(scope.size)))
        return each(named(source, f"`as {node.text}`"), body)
    if kind == "def":
        function = _Function(node.params, node.kids[0], scope)
        key = (node.text, len(node.params))
        return _cost(node.kids[1], replace(scope, functions={**scope.functions, key: function}))
    assert kind == "call", kind
    return _call(node, scope)


def _pipe(node: Node, scope: _Scope) -> Cost:
    first = _cost(node.kids[0], scope)
    part = part_of(node.kids[0])
    lost = scope.lost if part else scope.active
    descended = scope.descended | (scope.active - lost) if part == "part" else scope.descended - lost
    inner = replace(scope.at(first.s.at(scope.size), first.length), descended=descended, lost=lost)
    return pipe(first, _cost(node.kids[1], inner))


def _binary(node: Node, scope: _Scope) -> Cost:
    left, right = (_cost(kid, scope) for kid in node.kids)
    symbol = node.text
    if symbol == ",":
        return both(left, right, "`,`")
    if symbol == "//":  # both may run, but it yields the left side's truthy outputs or else the right side's
        either = both(left, right, "`//`")
        return replace(either, n=left.n.most(right.n), s=left.s.most(right.s))
    if symbol in ("and", "or"):
        tested = named(left, f"the left side of `{symbol}`")
        # one boolean per output of the left side that decides alone, else one per output of the right
        decided = replace(right, n=right.n.most(ONE), what=f"the right side of `{symbol}`")
        combined = each(tested, decided)
        return Cost(combined.t + combined.n, combined.n, combined.n.times(SMALL.c), None, symbol)
    if symbol == "+":
        return pairs(left, right, "`+`", sized="sum")
    if symbol in ("==", "!="):
        return pairs(left, right, f"`{symbol}`", sized="min")
    if not any(kid.kind == "literal" and kid.params != ("array",) for kid in node.kids):
        raise Refused(f"`{symbol}` of two computed values (orders whole values)")
    return pairs(left, right, f"`{symbol}`", sized="none")


def _construction(node: Node, scope: _Scope) -> Cost:
    """An object, or a string with interpolated parts: every part once per combination of the others."""
    if node.kind == "interp":
        total = op(ONE, Lin(c=len(node.text) + 2.0), "a string")
        parts = [pipe(_cost(kid, scope), NATIVE["tostring"]) for kid in node.kids]
    else:
        total = op(ONE, Lin(c=2), "an object")
        entries = [[_cost(kid, scope) for kid in pair.kids] for pair in node.kids]
        parts = [pairs(key, value, "an object entry", sized="sum") for key, value in entries]
    for part in parts:
        total = pairs(total, named(part, part.what), "a construction", sized="sum")
    return named(total, "an object" if node.kind == "object" else "a string interpolation")


def _call(node: Node, scope: _Scope) -> Cost:
    name, args = node.text, node.kids
    bound = scope.functions.get((name, len(args)))
    if bound is None and name in DEFINITIONS:
        bound = _builtins().get((name, len(args)))
    if isinstance(bound, _Closure):  # its input is this one: what it descended from is what we did
        here = bound.scope.at(scope.size, scope.length)
        return _cost(bound.node, replace(here, descended=scope.descended, lost=scope.lost))
    if bound is not None:
        if id(bound) in scope.active:
            return _recursion(name, bound, scope)
        return _apply(name, bound, args, scope)
    return native(name, args, scope.length, lambda arg: _cost(arg, scope))


def _recursion(name: str, function: _Function, scope: _Scope) -> Cost:
    """A call of ``name`` inside its own body: accepted when it is structural (see the module doc):
    no arguments, one call site, on a strict part of the function's input; priced as one pass."""
    if function.params:
        raise Refused(f"the recursive `{name}` with arguments (nothing bounds what they become)")
    count = scope.recursions.setdefault(id(function), [0])
    count[0] += 1  # every path to a self-call, closures passed along included (``def f: g(f)``)
    if count[0] > 1:
        raise Refused(f"the recursive `{name}` calls itself more than once (exponential)")
    if id(function) not in scope.descended:
        raise Refused(f"the recursive `{name}` on more than a part of its input (nothing bounds its depth)")
    return op(Lin(l=1, c=1), SIZE, f"`{name}`", n=Lin(l=1, c=1))


def _apply(name: str, function: _Function, args: tuple[Node, ...], scope: _Scope) -> Cost:
    """A call of a jq-defined function: its body with the arguments as closures (call by name);
    it sees the definitions before it and itself (a call to itself is recursion: refused)."""
    functions = dict(function.scope.functions)
    functions[(name, len(args))] = function
    active, entered = scope.active | {id(function)}, {id(function)}
    inner = _Scope(
        function.scope.variables,
        functions,
        scope.size,
        scope.length,
        active,
        scope.descended - entered,
        scope.lost - entered,
        {**scope.recursions, id(function): [0]},
    )
    bindings: list[tuple[str, Cost]] = []
    for param, arg in zip(function.params, args, strict=True):
        functions[(param.lstrip("$"), 0)] = _Closure(arg, scope)
        if param.startswith("$"):  # def f($a): body  is  def f(a): a as $a | body
            value = _cost(arg, scope)
            bindings.append((param, value))
            inner = inner.with_variable(param, value.s.at(scope.size))
    body = named(_cost(function.body, inner), f"`{name}`")
    for param, value in reversed(bindings):
        body = named(each(named(value, f"the argument {param} of `{name}`"), body), f"`{name}`")
    return body


@cache
def _builtins() -> dict[tuple[str, int], _Function | _Closure]:
    """jq's own definitions of the builtins in ``_DEFINITIONS``, as functions (parsed once)."""
    functions: dict[tuple[str, int], _Function | _Closure] = {}
    shared = _Scope(functions=functions)  # each sees the others, as in builtin.jq
    for text in DEFINITIONS.values():
        node = parse(text + " .")
        while node.kind == "def":
            functions[(node.text, len(node.params))] = _Function(node.params, node.kids[0], shared)
            node = node.kids[1]
    return functions
