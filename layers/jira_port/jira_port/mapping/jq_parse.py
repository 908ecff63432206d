"""A jq parser for ``proof``: the tree of a jq program as jq's grammar (``src/parser.y``) builds it.

Precedence, loosest first, as ``parser.y`` declares it: ``def`` (``FuncDef Exp``), ``|`` (right),
``,`` (left), ``//`` (right), ``or``, ``and``, comparisons, ``+``/``-``, ``*``/``/``/``%``, then
postfix terms (``.a``, ``[..]``, ``?``). ``Term as $v | Exp`` takes the rest of the pipe as its body.
Only the constructs ``proof`` knows are read; everything else is ``Refused`` by name, so the proof
never reasons about a program it parsed differently from jq.
"""

from __future__ import annotations

from dataclasses import dataclass

from jira_port.mapping.jq_tokens import Refused, Token, balanced, tokenize

_BINARY = {"//": 3, "or": 4, "and": 5, "==": 6, "!=": 6, "<": 6, "<=": 6, ">": 6, ">=": 6, "+": 7}
_RIGHT = frozenset({"//"})
#: Operators jq has that the proof does not accept (named in the refusal).
_REFUSED_OPERATORS = frozenset({"-", "*", "/", "%", "=", "|=", "+=", "-=", "*=", "/=", "%=", "//=", "?//"})
_REFUSED_WORDS = frozenset({"reduce", "foreach", "try", "catch", "label", "import", "include", "__loc__"})


@dataclass(frozen=True, slots=True)
class Node:
    """One jq construct: ``kind`` names it, ``text`` holds its name/literal, ``kids`` its parts."""

    kind: str
    text: str = ""
    kids: tuple[Node, ...] = ()
    params: tuple[str, ...] = ()


def parse(source: str) -> Node:
    """The tree of jq ``source`` (``Refused`` on what the proof does not read)."""
    tokens = tokenize(source)
    balanced(tokens)
    return _Parser(tokens).whole()


class _Parser:
    def __init__(self, tokens: list[Token] | tuple[Token, ...]) -> None:
        self.tokens = tokens
        self.pos = 0

    def whole(self) -> Node:
        node = self.pipe()
        if self.pos != len(self.tokens):
            raise Refused(f"`{self.tokens[self.pos].text}` where the expression should end")
        return node

    def peek(self, offset: int = 0) -> Token | None:
        return self.tokens[self.pos + offset] if self.pos + offset < len(self.tokens) else None

    def at(self, text: str, kind: str | None = None) -> bool:
        token = self.peek()
        return token is not None and token.text == text and (kind is None or token.kind == kind)

    def take(self, text: str) -> None:
        if not self.at(text):
            raise Refused(f"expected `{text}`")
        self.pos += 1

    def pipe(self, *, comma: bool = True) -> Node:
        """``Exp`` (``comma=False``: an object value, which jq reads without a top-level comma)."""
        if self.at("def", "id"):
            return self.definition(comma=comma)
        left = self.binary(0 if comma else 2)
        if self.at("|", "op"):
            self.pos += 1
            return Node("pipe", kids=(left, self.pipe(comma=comma)))
        return left

    def definition(self, *, comma: bool) -> Node:
        self.pos += 1
        name = self.peek()
        if name is None or name.kind != "id":
            raise Refused("a `def` without a name")
        self.pos += 1
        params: list[str] = []
        if self.at("(", "op"):
            self.pos += 1
            while True:
                param = self.peek()
                if param is None or param.kind not in ("id", "var"):
                    raise Refused("a `def` parameter")
                params.append(param.text)
                self.pos += 1
                if self.at(")", "op"):
                    self.pos += 1
                    break
                self.take(";")
        self.take(":")
        body = self.pipe()
        self.take(";")
        rest = self.pipe(comma=comma)
        return Node("def", name.text, (body, rest), tuple(params))

    def binary(self, floor: int) -> Node:
        """Operators binding at least as tight as level ``floor`` (1: ``,``; see ``_BINARY``)."""
        left = self.postfix_term()
        while (token := self.peek()) is not None:
            if token.kind == "op" and token.text in _REFUSED_OPERATORS:
                raise Refused(f"`{token.text}` (not provably bounded)")
            level = 1 if token.text == "," and token.kind == "op" else _BINARY.get(token.text, 0)
            if token.kind not in ("op", "id") or level == 0 or level < floor:
                return left
            if token.kind == "id" and token.text not in ("and", "or"):
                return left
            self.pos += 1
            right = self.binary(level if token.text in _RIGHT else level + 1)
            left = Node("comma" if level == 1 else "binop", token.text, (left, right))
        return left

    def postfix_term(self) -> Node:
        node = self.term()
        while (token := self.peek()) is not None:
            if token.kind == "field":
                self.pos += 1
                node = Node("index", token.text, (node,))
            elif token.kind == "op" and token.text == "." and self._dot_suffix():
                self.pos += 1
                node = self.suffix(node)
            elif token.kind == "op" and token.text == "[":
                node = self.bracket(node)
            elif token.kind == "op" and token.text == "?":
                self.pos += 1
                node = Node("try", kids=(node,))
            elif token.kind == "id" and token.text == "as":
                return self.binding(node)
            else:
                return node
        return node

    def _dot_suffix(self) -> bool:
        after = self.peek(1)
        return after is not None and (after.kind == "str" or after.text == "[")

    def suffix(self, node: Node) -> Node:
        """``."name"`` or ``.[...]`` after a term (the dot already taken)."""
        token = self.peek()
        assert token is not None
        if token.kind == "str":
            self.pos += 1
            return Node("index", token.text, (node,))
        return self.bracket(node)

    def bracket(self, target: Node) -> Node:
        """``target[]``, ``target[literal]`` or ``target[literal?:literal?]``."""
        self.take("[")
        if self.at("]", "op"):
            self.pos += 1
            return Node("iter", kids=(target,))
        low = "" if self.at(":", "op") else self.literal_index()
        if self.at("]", "op"):
            self.pos += 1
            return Node("index", low, (target,), ("literal",))
        self.take(":")
        high = "" if self.at("]", "op") else self.literal_index()
        self.take("]")
        return Node("slice", f"{low}:{high}", (target,))

    def literal_index(self) -> str:
        token = self.peek()
        if token is not None and token.text == "-" and token.kind == "op":
            self.pos += 1
            number = self.peek()
            if number is None or number.kind != "num":
                raise Refused("a computed index or a slice")
            self.pos += 1
            return "-" + number.text
        if token is None or token.kind not in ("num", "str"):
            raise Refused("a computed index or a slice")
        self.pos += 1
        return token.text

    def binding(self, source: Node) -> Node:
        self.pos += 1
        var = self.peek()
        if var is None or var.kind != "var":
            raise Refused("a destructuring `as`")
        self.pos += 1
        self.take("|")
        return Node("as", var.text, (source, self.pipe()))

    def term(self) -> Node:  # noqa: PLR0911 - one case per kind of token
        token = self.peek()
        if token is None:
            raise Refused("an expression that ends too early")
        self.pos += 1
        kind, text = token.kind, token.text
        if kind == "field":
            return Node("index", text, (Node("dot"),))
        if kind in ("str", "num") or token.literal:
            return Node("literal", text, params=(kind,))
        if kind == "interp":
            return Node("interp", text, tuple(_Parser(part).whole() for part in token.parts))
        if kind == "var":
            return Node("var", text)
        if kind == "op":
            return self.operator_term(text)
        if text in _REFUSED_WORDS or text == "def":
            raise Refused(f"`{text}` (not provably bounded)")
        if text == "if":
            return self.conditional()
        if text in ("and", "or", "as", "then", "elif", "else", "end"):
            raise Refused(f"`{text}` where a term should be")
        args: list[Node] = []
        if self.at("(", "op"):
            self.pos += 1
            args.append(self.pipe())
            while self.at(";", "op"):
                self.pos += 1
                args.append(self.pipe())
            self.take(")")
        return Node("call", text, tuple(args))

    def operator_term(self, text: str) -> Node:  # noqa: PLR0911
        if text == ".":
            token = self.peek()
            if token is not None and (token.kind == "str" or (token.text == "[" and token.kind == "op")):
                return self.suffix(Node("dot"))
            return Node("dot")
        if text == "(":
            inner = self.pipe()
            self.take(")")
            return inner
        if text == "[":
            if self.at("]", "op"):
                self.pos += 1
                return Node("literal", "[]", params=("array",))
            inner = self.pipe()
            self.take("]")
            return Node("collect", kids=(inner,))
        if text == "{":
            return self.object()
        if text == "-" and (number := self.peek()) is not None and number.kind == "num":
            self.pos += 1
            return Node("literal", "-" + number.text, params=("num",))
        raise Refused(f"`{text}` (not provably bounded)")

    def conditional(self) -> Node:
        condition = self.pipe()
        self.take("then")
        then = self.pipe()
        if self.at("elif", "id"):
            self.pos += 1
            otherwise = self.conditional()
            return Node("if", kids=(condition, then, otherwise))
        otherwise = Node("dot")
        if self.at("else", "id"):
            self.pos += 1
            otherwise = self.pipe()
        self.take("end")
        return Node("if", kids=(condition, then, otherwise))

    def object(self) -> Node:
        pairs: list[Node] = []
        while not self.at("}", "op"):
            key, value = self.object_key()
            if self.at(":", "op"):
                self.pos += 1
                value = self.pipe(comma=False)
            if value is None:
                raise Refused("an object key without a value")
            pairs.append(Node("pair", kids=(key, value)))
            if not self.at("}", "op"):
                self.take(",")
        self.pos += 1
        return Node("object", kids=tuple(pairs))

    def object_key(self) -> tuple[Node, Node | None]:
        """The key of one object entry, and the value its shorthand (``{id}``, ``{$x}``) stands for."""
        token = self.peek()
        if token is None:
            raise Refused("an unterminated object")
        self.pos += 1
        if (token.kind == "id" and not token.literal) or token.kind == "str":
            key = Node("literal", token.text, params=("str",))
            return key, Node("index", token.text, (Node("dot"),))
        if token.kind == "var":
            return Node("literal", token.text[1:], params=("str",)), Node("var", token.text)
        if token.kind == "interp":
            return Node("interp", token.text, tuple(_Parser(p).whole() for p in token.parts)), None
        if (token.kind == "id" and token.literal) or token.kind == "num":
            return Node("literal", token.text, params=("str",)), None
        if token.kind == "op" and token.text == "(":
            key = self.pipe()
            self.take(")")
            return key, None
        raise Refused(f"`{token.text}` as an object key")
