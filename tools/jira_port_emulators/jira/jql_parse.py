"""A JQL subset parser: clauses, AND/OR/NOT, parentheses, lists, functions and ORDER BY.

Errors are ``JQLError`` with Jira's wording (``Error in the JQL Query: ... (line 1, character N)``) so
the emulator answers 400 like Jira does.
"""

from __future__ import annotations

from dataclasses import dataclass

OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "~", "!~")
_VALID_OPS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."
)
_SPECIAL = set("()=,!<>~\"'&|")


class JQLError(Exception):
    """Invalid or unsupported JQL; ``str(exc)`` is the Jira-style error message."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # STRING, WORD, OP, LPAREN, RPAREN, COMMA, EOF
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class Value:
    text: str
    quoted: bool = False
    func: str | None = None  # function name when this operand is ``name(args)``
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Clause:
    field: str  # as written
    op: str  # =, !=, >, >=, <, <=, ~, !~, in, not in, is, is not
    values: tuple[Value, ...]  # one for comparisons, several for IN; empty for IS [NOT] EMPTY
    pos: int


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" | "or"
    items: tuple[Node, ...]


Node = Clause | Not | BoolOp


@dataclass(frozen=True, slots=True)
class Query:
    where: Node | None
    order: tuple[tuple[str, bool], ...]  # (field as written, descending)


def tokenize(text: str) -> list[Token]:
    """Split JQL into tokens; quoted strings honour backslash escapes."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "\"'":
            start, i, chars = i, i + 1, []
            while i < n and text[i] != ch:
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(text[i])
                i += 1
            if i >= n:
                raise JQLError(
                    f"Error in the JQL Query: The quoted string has not been completed. {_where(start)}"
                )
            tokens.append(Token("STRING", "".join(chars), start))
            i += 1
        elif ch in "()":
            tokens.append(Token("LPAREN" if ch == "(" else "RPAREN", ch, i))
            i += 1
        elif ch == ",":
            tokens.append(Token("COMMA", ch, i))
            i += 1
        elif text.startswith(("!=", "!~", ">=", "<=", "&&", "||"), i):
            tokens.append(Token("OP", text[i : i + 2], i))
            i += 2
        elif ch in "=<>~!&|":
            tokens.append(Token("OP", ch, i))
            i += 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in _SPECIAL:
                i += 1
            tokens.append(Token("WORD", text[start:i], start))
    tokens.append(Token("EOF", "", n))
    return tokens


def _where(pos: int) -> str:
    return f"(line 1, character {pos + 1})"


def parse(text: str) -> Query:
    """Parse JQL (empty text or only ORDER BY gives ``where=None``)."""
    return _Parser(tokenize(text or "")).query()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.peek()
        self.i += 1
        return token

    def word(self, *choices: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token.kind == "WORD" and token.text.lower() in choices

    def fail(self, expecting: str, token: Token, extra: str = "") -> JQLError:
        got = "end of query" if token.kind == "EOF" else f"'{token.text}'"
        suffix = f" {extra}" if extra else ""
        return JQLError(
            f"Error in the JQL Query: Expecting {expecting} but got {got}.{suffix} {_where(token.pos)}"
        )

    def query(self) -> Query:
        at_order = self.word("order") and self.word("by", offset=1)
        where = None if at_order or self.peek().kind == "EOF" else self.or_expr()
        order: list[tuple[str, bool]] = []
        if self.word("order"):
            self.next()
            if not self.word("by"):
                raise self.fail("'by'", self.peek())
            self.next()
            while True:
                field = self.next()
                if field.kind not in ("WORD", "STRING"):
                    raise self.fail("a field name", field)
                descending = False
                if self.word("asc", "desc"):
                    descending = self.next().text.lower() == "desc"
                order.append((field.text, descending))
                if self.peek().kind != "COMMA":
                    break
                self.next()
        if self.peek().kind != "EOF":
            raise self.fail("either 'OR' or 'AND'", self.peek())
        return Query(where, tuple(order))

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.word("or") or (self.peek().kind == "OP" and self.peek().text in ("||", "|")):
            self.next()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.word("and") or (self.peek().kind == "OP" and self.peek().text in ("&&", "&")):
            self.next()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def not_expr(self) -> Node:
        if self.word("not") or (self.peek().kind == "OP" and self.peek().text == "!"):
            self.next()
            return Not(self.not_expr())
        if self.peek().kind == "LPAREN":
            self.next()
            inner = self.or_expr()
            if self.peek().kind != "RPAREN":
                raise self.fail("')'", self.peek())
            self.next()
            return inner
        return self.clause()

    def clause(self) -> Clause:
        field = self.next()
        if field.kind not in ("WORD", "STRING") or (
            field.kind == "WORD" and field.text.lower() in ("and", "or")
        ):
            raise self.fail("a field name", field)
        op_token = self.peek()
        if op_token.kind == "OP" and op_token.text in OPERATORS:
            self.next()
            return Clause(field.text, op_token.text, (self.operand(),), field.pos)
        if self.word("in"):
            self.next()
            return Clause(field.text, "in", self.operand_list(), field.pos)
        if self.word("not") and self.word("in", offset=1):
            self.i += 2
            return Clause(field.text, "not in", self.operand_list(), field.pos)
        if self.word("is"):
            self.next()
            negated = self.word("not")
            if negated:
                self.next()
            if not self.word("empty", "null"):
                raise self.fail("'EMPTY' or 'NULL'", self.peek())
            self.next()
            return Clause(field.text, "is not" if negated else "is", (), field.pos)
        if self.word("was", "changed"):
            raise JQLError(f"The operator '{op_token.text.upper()}' is not supported by this Jira emulator.")
        raise self.fail("operator", op_token, _VALID_OPS)

    def operand(self) -> Value:
        token = self.next()
        if token.kind == "STRING":
            return Value(token.text, quoted=True)
        if token.kind != "WORD" or token.text.lower() in ("and", "or", "order"):
            raise self.fail("either a value, list or function", token)
        if self.peek().kind == "LPAREN":
            self.next()
            args: list[str] = []
            while self.peek().kind != "RPAREN":
                arg = self.next()
                if arg.kind not in ("WORD", "STRING"):
                    raise self.fail("')'", arg)
                args.append(arg.text)
                if self.peek().kind == "COMMA":
                    self.next()
            self.next()
            return Value(token.text, func=token.text, args=tuple(args))
        return Value(token.text)

    def operand_list(self) -> tuple[Value, ...]:
        if self.peek().kind != "LPAREN":
            value = self.operand()  # a list-valued function such as standardIssueTypes()
            if value.func is None:
                raise self.fail("'('", self.tokens[self.i - 1])
            return (value,)
        self.next()
        values = [self.operand()]
        while self.peek().kind == "COMMA":
            self.next()
            values.append(self.operand())
        if self.peek().kind != "RPAREN":
            raise self.fail("')'", self.peek())
        self.next()
        return tuple(values)
