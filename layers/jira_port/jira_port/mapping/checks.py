"""What makes a mapping invalid (``MappingProblem``, ``MappingError``), and the load-time checks of its
jq expressions that do not pay one jq compilation per expression.

Compiling a jq program costs milliseconds (jq compiles its builtins each time), so a mapping is
checked with one compilation of the combined program, not one per field (which made loading the
default mapping take about half a second). Two cheap checks make that as strict as compiling every
expression alone:

- an expression must be lexically self-contained (brackets balanced, strings and interpolations
  closed), so that it cannot close the wrapper it is embedded in and compile only as part of it;
- it must not use the combined program's own names (``$__jp_...``).

Only when the combined program does not compile are the expressions compiled one by one, to name
the culprit with jq's own message.
"""

from __future__ import annotations

from dataclasses import dataclass

from jira_port.errors import ConfigError
from jira_port.mapping.model import JqField, Rule
from jira_port.mapping.programs import PRELUDE, RESERVED_PREFIX, clean_jq_error, compile_program, wrap


@dataclass(frozen=True, slots=True)
class MappingProblem:
    """One reason a mapping config is invalid."""

    rule: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = [] if self.rule is None else [f"rule {self.rule}"]
        where += [self.field] if self.field else []
        return f"{', '.join(where)}: {self.message}" if where else self.message


class MappingError(ConfigError):
    """The mapping config is invalid. Raised at load time only, never while evaluating an event."""

    def __init__(self, problems: list[MappingProblem], source: str = "mapping") -> None:
        self.problems = problems
        self.source = source
        lines = [str(p) for p in problems]
        if len(lines) == 1:
            text = f"invalid {source}: {lines[0]}"
        else:
            text = f"invalid {source} ({len(lines)} problems):\n  - " + "\n  - ".join(lines)
        super().__init__(text)


_CLOSING = {")": "(", "]": "[", "}": "{"}
_STRING = '"'
_INTERPOLATION = "\\("


def precheck(jq_field: JqField) -> str | None:
    """Why the expression cannot be embedded safely, or None."""
    if RESERVED_PREFIX in jq_field.program:
        return f"names starting with {RESERVED_PREFIX} are reserved"
    if self_contained(jq_field.program):
        return None
    return compile_error(jq_field, embedded=False)  # jq says what is wrong (None if our lexer erred)


def compile_error(jq_field: JqField, *, embedded: bool = True) -> str | None:
    """jq's compile error for the expression alone (and as embedded), or None when it compiles."""
    texts = [jq_field.program] + ([PRELUDE + wrap(jq_field)] if embedded else [])
    for text in texts:  # alone first: jq's line and column then point into the expression as written
        try:
            compile_program(text)
        except ValueError as exc:
            return clean_jq_error(str(exc))
    return None


def field_problems(rules: tuple[Rule, ...]) -> list[MappingProblem]:
    """Compile every expression on its own (the slow path, after the combined program failed)."""
    problems = []
    for rule in rules:
        for jq_field in (rule.filter, rule.items, *rule.fields):
            if jq_field is None:
                continue
            error = compile_error(jq_field)
            if error is not None:
                message = f"jq error: {error} (expression: {jq_field.expression})"
                problems.append(MappingProblem(rule.index, jq_field.path, message))
    return problems


def self_contained(program: str) -> bool:
    """Brackets balanced and strings closed, outside comments (jq's lexical structure)."""
    stack: list[str] = []
    in_string = False
    i, n = 0, len(program)
    while i < n:
        char = program[i]
        if in_string:
            if char == "\\" and program.startswith(_INTERPOLATION, i):
                stack.append(_INTERPOLATION)
                in_string = False
                i += 2
                continue
            if char == "\\":
                i += 2
                continue
            if char == _STRING:
                stack.pop()
                in_string = False
        elif char == _STRING:
            stack.append(_STRING)
            in_string = True
        elif char == "#":
            i = _comment_end(program, i)
            continue
        elif char in "([{":
            stack.append(char)
        elif char in _CLOSING:
            if not stack:
                return False
            top = stack.pop()
            if top == _INTERPOLATION and char == ")":
                in_string = True  # back inside the string the interpolation belongs to
            elif top != _CLOSING[char]:
                return False
        i += 1
    return not stack and not in_string


def _comment_end(program: str, start: int) -> int:
    """Index after a ``#`` comment; an odd number of backslashes before the newline continues it."""
    i = start
    while True:
        newline = program.find("\n", i)
        if newline < 0:
            return len(program)
        backslashes = len(program[i:newline]) - len(program[i:newline].rstrip("\\"))
        if backslashes % 2 == 0:
            return newline + 1
        i = newline + 1
