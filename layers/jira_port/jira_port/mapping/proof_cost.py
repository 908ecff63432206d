"""The cost algebra of ``proof``: bounds on a jq expression's time, outputs and output size.

Every bound is ``Lin(l, g, c)``: at most ``l * n + g * N + c``, where ``n`` is the size of the
expression's own input and ``N`` the size of the whole event (sizes in bytes of JSON text; ``c`` is
the expression-sized part). ``Cost`` holds three of them (time ``t``, number of outputs ``n``, total
size of all outputs ``s``). Composition multiplies bounds; a product of two data-sized bounds would be
quadratic, so it raises ``Refused`` naming the construct that would run once per output of another.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from jira_port.mapping.jq_tokens import Refused


@dataclass(frozen=True, slots=True)
class Lin:
    """At most ``l * n + g * N + c`` (see the module doc)."""

    l: float = 0.0  # noqa: E741 - the algebra's own names
    g: float = 0.0
    c: float = 0.0

    def __add__(self, other: Lin) -> Lin:
        return Lin(self.l + other.l, self.g + other.g, self.c + other.c)

    def times(self, k: float) -> Lin:
        return Lin(self.l * k, self.g * k, self.c * k)

    def most(self, other: Lin) -> Lin:
        return Lin(max(self.l, other.l), max(self.g, other.g), max(self.c, other.c))

    @property
    def data(self) -> bool:
        """Whether the bound grows with the data (not only with the expression)."""
        return self.l > 0 or self.g > 0

    def at(self, where: Lin) -> Lin:
        """This bound with ``n`` replaced by ``where`` (a bound in terms of ``N`` only)."""
        return Lin(0.0, self.l * where.g + self.g, self.l * where.c + self.c)


ZERO = Lin()
ONE = Lin(c=1)
SIZE = Lin(l=1)
#: Bytes of a boolean, a number or a type name: what a test yields.
SMALL = Lin(c=24)


@dataclass(frozen=True, slots=True)
class Cost:
    """Bounds of one expression: time ``t``, outputs ``n``, total size of the outputs ``s``;
    ``length``: a constant bound on the length of every output array (``None``: not known)."""

    t: Lin
    n: Lin
    s: Lin
    length: int | None = None
    what: str = "it"


def op(t: Lin, s: Lin, what: str, n: Lin = ONE, length: int | None = None) -> Cost:
    """An operation on its input: time ``t``, outputs ``n`` (one), total output size ``s``."""
    return Cost(t, n, s, length, what)


def over(per_run: Lin, source: Cost, what: str) -> Lin:
    """What ``per_run`` (a bound on the run's own input) costs once per output of ``source``, each
    run taking one output as input: the outputs' sizes add up to ``source.s`` (linear), but a part
    that does not shrink with the run's input (``g``: the whole event) is paid once per output."""
    if per_run.g and source.n.data:
        raise Refused(f"{what} runs once per output of {source.what} (a cartesian product)")
    local = source.s.times(per_run.l)
    count = source.n
    return local + Lin(per_run.c * count.l, per_run.g * count.c + per_run.c * count.g, per_run.c * count.c)


def again(per_run: Lin, runs: Lin, what: str, source: str) -> Lin:
    """``per_run`` paid ``runs`` times on the same input (both data-sized: quadratic, refused)."""
    if per_run.data and runs.data:
        raise Refused(f"{what} runs once per output of {source} (a cartesian product)")
    return per_run.times(runs.c) if not runs.data else runs.times(per_run.c)


def pipe(first: Cost, then: Cost) -> Cost:
    """``first | then``: ``then`` runs once per output of ``first``."""
    t = first.t + over(then.t, first, then.what)
    return Cost(t, over(then.n, first, then.what), over(then.s, first, then.what), then.length, first.what)


def each(source: Cost, body: Cost) -> Cost:
    """``body`` run on the same input once per output of ``source`` (``as``, ``if``, ``and``...)."""
    name = source.what
    return Cost(
        source.t + again(body.t, source.n, body.what, name),
        again(body.n, source.n, body.what, name),
        again(body.s, source.n, body.what, name),
        body.length,
        body.what,
    )


def both(left: Cost, right: Cost, what: str) -> Cost:
    """Outputs of ``left`` then of ``right`` on the same input (``,``, ``//``)."""
    length = None if left.length is None or right.length is None else max(left.length, right.length)
    return Cost(left.t + right.t, left.n + right.n, left.s + right.s, length, what)


def pairs(left: Cost, right: Cost, what: str, *, sized: str) -> Cost:
    """A binary operator: jq runs ``left`` once per output of ``right`` and applies the operator to
    each pair. ``sized``: ``"sum"`` (``+``: costs and yields both operands), ``"min"`` (``==``: jq
    compares lengths first, so the cheaper side bounds it) or ``"none"`` (constant per pair)."""
    name = right.what
    t = right.t + again(left.t, right.n, left.what, name)
    n = again(left.n, right.n, left.what, name)
    if sized == "none":
        pair = n
    elif sized == "min":  # the cheaper side bounds it: prefer one that does not grow with the data
        options = [(left.s, right.n, left.what, name), (right.s, left.n, right.what, left.what)]
        options.sort(key=lambda option: option[0].data)
        try:
            pair = again(*options[0])
        except Refused:
            pair = again(*options[1])
    else:
        pair = again(left.s, right.n, left.what, name) + again(right.s, left.n, right.what, left.what)
    size = pair + n if sized == "sum" else n.times(SMALL.c)
    return Cost(t + pair + n, n, size, None, what)


def collect(inner: Cost) -> Cost:
    """``[inner]``: one array of every output (a constant length when ``inner``'s count is)."""
    length = None if inner.n.data else int(inner.n.c)
    return Cost(inner.t + inner.n, ONE, inner.s + inner.n + Lin(c=2), length, f"[{inner.what}]")


def named(cost: Cost, what: str) -> Cost:
    """``cost`` described as ``what`` in refusals."""
    return replace(cost, what=what)
