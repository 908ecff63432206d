"""Compile parsed JQL against a dataset: a predicate per clause plus a plan (project set, id range) the
search uses to visit only candidate issues. Unknown fields, values and operators raise ``JQLError`` with
Jira's wording."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jira_port_emulators.jira.jql_fields import Context, FieldBuilders, Predicate
from jira_port_emulators.jira.jql_parse import BoolOp, Clause, JQLError, Node, Not, parse

FIELDS = {
    "project": "project", "key": "key", "issuekey": "key", "issue": "key", "id": "key",
    "created": "created", "createddate": "created", "updated": "updated", "updateddate": "updated",
    "status": "status", "statuscategory": "statuscategory", "issuetype": "issuetype", "type": "issuetype",
    "priority": "priority", "labels": "labels", "assignee": "assignee", "reporter": "reporter",
    "parent": "parent", "summary": "summary", "description": "description", "text": "text",
}  # fmt: skip
# ORDER BY id is ORDER BY key: (project key, key number), never numeric id order.
ORDERABLE = {
    "id": "key", "key": "key", "issuekey": "key", "issue": "key", "created": "created", "updated": "updated",
}  # fmt: skip
_EQUALITY = ("=", "!=", "in", "not in", "is", "is not")
_RANGE = ("=", "!=", ">", ">=", "<", "<=", "in", "not in", "is", "is not")
OPERATORS = {
    "project": _EQUALITY, "key": ("=", "!=", ">", ">=", "<", "<=", "in", "not in"), "created": _RANGE,
    "updated": _RANGE, "status": _EQUALITY, "statuscategory": _EQUALITY, "issuetype": _EQUALITY,
    "priority": _EQUALITY, "labels": _EQUALITY, "assignee": _EQUALITY, "reporter": _EQUALITY,
    "parent": _EQUALITY, "summary": ("~", "!~", "is", "is not"), "description": ("~", "!~", "is", "is not"),
    "text": ("~",),
}  # fmt: skip


@dataclass
class Plan:
    """Candidate restriction: only these projects, only key numbers in ``[lo, hi]``; ``residual`` is
    what is left to check per issue (None = nothing)."""

    projects: set[int] | None = None
    lo: int | None = None
    hi: int | None = None
    residual_key: tuple[object, ...] | None = None  # what the residual depends on (None: the clock too)
    residual: Predicate | None = None


@dataclass
class CompiledQuery:
    bounded: bool
    predicate: Predicate
    plan: Plan
    order: list[tuple[str, bool]] = field(default_factory=list)


def compile_jql(text: str, ctx: Context) -> CompiledQuery:
    """Parse and compile ``text``; raises ``JQLError``."""
    query = parse(text)
    order = []
    for name, desc in query.order:
        canonical = ORDERABLE.get(name.lower())
        if canonical is None:
            if name.lower() not in FIELDS:
                raise JQLError(f"Field '{name}' does not exist or you do not have permission to view it.")
            raise JQLError(f"Not able to sort using field '{name}'.")
        order.append((canonical, desc))
    if query.where is None:
        return CompiledQuery(False, lambda _i: True, Plan(), order)
    compiler = _Compiler(ctx)
    predicate = compiler.node(query.where)
    plan = compiler.plan(query.where)
    return CompiledQuery(True, predicate, plan, order)


class _Compiler(FieldBuilders):
    """Turns a parse tree into predicates and a candidate plan."""

    def node(self, node: Node) -> Predicate:
        if isinstance(node, Clause):
            return self.clause(node)
        if isinstance(node, Not):
            inner = self.node(node.item)
            return lambda i: not inner(i)
        parts = [self.node(item) for item in node.items]
        if node.op == "and":
            return lambda i: all(p(i) for p in parts)
        return lambda i: any(p(i) for p in parts)

    def plan(self, where: Node) -> Plan:
        """Fold the top-level AND's project and id clauses into the plan; the rest stays residual."""
        top = list(where.items) if isinstance(where, BoolOp) and where.op == "and" else [where]
        conjuncts = [part for item in top for part in self._without_redundant_keys(item)]
        plan, residual, nodes = Plan(), [], []
        for item in conjuncts:
            if isinstance(item, Clause) and self._fold(item, plan):
                continue
            projects = self.project_set(item)
            if projects is not None:
                plan.projects = projects if plan.projects is None else plan.projects & projects
                continue
            residual.append(self.node(item))
            nodes.append(item)
        if nodes and not any(_volatile(n) for n in nodes):
            plan.residual_key = (tuple(nodes), self.ctx.current_user)
        if residual:
            plan.residual = residual[0] if len(residual) == 1 else (lambda i: all(p(i) for p in residual))
        return plan

    def _without_redundant_keys(self, item: Node) -> list[Node]:
        """``X OR key = A`` is ``X`` when A matches X (an anchored page whose anchor is still in scope)."""
        if not (isinstance(item, BoolOp) and item.op == "or"):
            return [item]
        keys = [i for i in item.items if isinstance(i, Clause) and self.field(i) == "key" and i.op == "="]
        rest = [i for i in item.items if i not in keys]
        if not keys or len(rest) != 1:
            return [item]
        check = self.node(rest[0])
        if not all(check(self.resolve_issue(k, k.values[0])) for k in keys):
            return [item]
        inner = rest[0]
        return list(inner.items) if isinstance(inner, BoolOp) and inner.op == "and" else [inner]

    def project_set(self, node: Node) -> set[int] | None:
        """The projects ``node`` selects when it means exactly "project in S" (else None), so pages of
        ``(project = P AND ...) OR key = A`` (A in P) stay as cheap to plan as ``project = P``."""
        if isinstance(node, Clause):
            return self._clause_projects(node)
        if not isinstance(node, BoolOp):
            return None
        keys = [i for i in node.items if isinstance(i, Clause) and self.field(i) == "key" and i.op == "="]
        sets = [self.project_set(i) for i in node.items if i not in keys]
        if any(p is None for p in sets) or not sets or (keys and node.op != "or"):
            return None
        known = [p for p in sets if p is not None]
        union = set().union(*known) if node.op == "or" else set.intersection(*known)
        # key = A adds nothing to an OR whose projects already hold A
        if all(self.resolve_issue(k, k.values[0]).project_id in union for k in keys):
            return union
        return None

    def _clause_projects(self, clause: Clause) -> set[int] | None:
        if self.field(clause) != "project":
            return None
        if clause.op in ("=", "in"):
            return self.project_ids(clause)
        return set(self.ctx.visible) if clause.op == "is not" else None

    def _fold(self, clause: Clause, plan: Plan) -> bool:
        name = self.field(clause)
        if name == "project" and clause.op == "is not":
            return True  # every issue has a project
        if name == "project" and clause.op in ("=", "in"):
            ids = self.project_ids(clause)
            plan.projects = ids if plan.projects is None else plan.projects & ids
            return True
        if name == "key" and clause.op in ("=", ">", ">=", "<", "<="):
            anchor = self.resolve_issue(clause, clause.values[0])
            n = anchor.number
            lo, hi = {"=": (n, n), ">": (n + 1, None), ">=": (n, None), "<": (None, n - 1), "<=": (None, n)}[
                clause.op
            ]
            home = {anchor.project_id}
            plan.projects = home if plan.projects is None else plan.projects & home
            if lo is not None:
                plan.lo = lo if plan.lo is None else max(plan.lo, lo)
            if hi is not None:
                plan.hi = hi if plan.hi is None else min(plan.hi, hi)
            return True
        return False

    def field(self, clause: Clause) -> str:
        name = FIELDS.get(clause.field.lower())
        if name is None:
            raise JQLError(f"Field '{clause.field}' does not exist or you do not have permission to view it.")
        if clause.op not in OPERATORS[name]:
            raise JQLError(
                f"The operator '{clause.op.upper()}' is not supported by the '{clause.field}' field."
            )
        return name

    def clause(self, clause: Clause) -> Predicate:
        name = self.field(clause)
        if clause.op in ("is", "is not"):
            return self._emptiness(name, clause.op == "is")
        build: Callable[[Clause], Predicate] = getattr(self, f"_{name}")
        predicate: Predicate = build(clause)
        return predicate


def _volatile(node: Node) -> bool:
    """Whether ``node`` depends on the clock (functions, relative dates)."""
    if isinstance(node, Clause):
        return any(v.func is not None or v.text.strip().startswith(("-", "+")) for v in node.values)
    if isinstance(node, Not):
        return _volatile(node.item)
    return any(_volatile(i) for i in node.items)
