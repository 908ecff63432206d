"""A jq tokenizer for ``proof``: reads jq source as jq's lexer does (jq 1.7/1.8 ``lexer.l``).

Strings with ``\\(...)`` interpolation (each part tokenized in turn), ``#`` comments, numbers such as
``.5e1``, fields such as ``.end`` (a keyword after a dot is a field name), variables, multi-character
operators. Whatever it does not know is ``Refused``: the proof accepts only what it has read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SYMBOLS = ("?//", "|=", "+=", "-=", "*=", "/=", "%=", "//=", "==", "!=", "<=", ">=", "//", "..")
_SYMBOL = re.compile("|".join(map(re.escape, _SYMBOLS)))
_SIMPLE_ESCAPES = frozenset('"\\/bfnrt')
LITERAL_WORDS = frozenset({"true", "false", "null"})
OPEN = {"(": ")", "[": "]", "{": "}"}


class Refused(Exception):
    """The first construct of a filter the proof does not accept, and why."""


@dataclass(frozen=True, slots=True)
class Token:
    """One jq token: ``kind`` is ``str`` (a string literal), ``num``, ``id``, ``field``, ``var``,
    ``op`` or ``interp`` (a string with ``\\(...)``: ``parts`` holds each part's tokens)."""

    kind: str
    text: str
    parts: tuple[tuple[Token, ...], ...] = ()

    @property
    def literal(self) -> bool:
        return self.kind in ("str", "num") or (self.kind == "id" and self.text in LITERAL_WORDS)


def tokenize(source: str) -> list[Token]:
    """The tokens of jq ``source`` (``Refused`` on anything the tokenizer does not know)."""
    tokens, end = _tokens(source, 0, nested=False)
    assert end == len(source)
    return tokens


def _tokens(source: str, pos: int, *, nested: bool) -> tuple[list[Token], int]:
    """Tokens from ``pos`` up to the end, or (``nested``: inside ``\\(``) up to its closing ``)``."""
    tokens: list[Token] = []
    depth = 0
    while pos < len(source):
        char = source[pos]
        if char.isspace():
            pos += 1
        elif char == "#":
            pos = _comment_end(source, pos)
        elif char == '"':
            token, pos = _string(source, pos + 1)
            tokens.append(token)
        elif number := _NUMBER.match(source, pos):
            tokens.append(Token("num", number.group()))
            pos = number.end()
        elif char == "." and (name := _IDENT.match(source, pos + 1)) and source[pos : pos + 2] != "..":
            tokens.append(Token("field", name.group()))
            pos = name.end()
        elif char == "$":
            name = _IDENT.match(source, pos + 1)
            if name is None:
                raise Refused("a bare $")
            tokens.append(Token("var", "$" + name.group()))
            pos = name.end()
        elif ident := _IDENT.match(source, pos):
            tokens.append(Token("id", ident.group()))
            pos = ident.end()
        else:
            symbol = match.group() if (match := _SYMBOL.match(source, pos)) else char
            if nested and symbol == ")" and depth == 0:
                return tokens, pos + 1
            depth += {"(": 1, ")": -1}.get(symbol, 0)
            tokens.append(Token("op", symbol))
            pos += len(symbol)
    if nested:
        raise Refused("an unterminated string interpolation")
    return tokens, pos


def _comment_end(source: str, pos: int) -> int:
    """Where the comment starting at ``pos`` ends (its newline)."""
    stop = source.find("\n", pos)
    stop = len(source) if stop < 0 else stop
    # jq 1.7.1+ continues a comment past a backslash-newline, and jq 1.7 ends one at a carriage
    # return: either would make jq read as code what this reads as a comment, or the reverse.
    if "\\" in source[pos:stop] or "\r" in source[pos:stop]:
        raise Refused("a comment with a backslash or a carriage return")
    return stop


def _string(source: str, pos: int) -> tuple[Token, int]:
    """The string literal starting after its opening quote at ``pos``; the position after it."""
    text: list[str] = []
    parts: list[tuple[Token, ...]] = []
    while pos < len(source):
        char = source[pos]
        if char == '"':
            kind = "interp" if parts else "str"
            return Token(kind, "".join(text), tuple(parts)), pos + 1
        if char != "\\":
            text.append(char)
            pos += 1
            continue
        escape = source[pos + 1 : pos + 2]
        if escape == "(":
            inner, pos = _tokens(source, pos + 2, nested=True)
            parts.append(tuple(inner))
        elif escape in _SIMPLE_ESCAPES and escape:
            text.append(escape)
            pos += 2
        elif escape == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", source[pos + 2 : pos + 6]):
            text.append(source[pos : pos + 6])
            pos += 6
        else:
            raise Refused("an invalid string escape")
    raise Refused("an unterminated string")


def balanced(tokens: list[Token] | tuple[Token, ...]) -> None:
    """Refuse unbalanced brackets first (a clearer message than where the parse stops)."""
    stack: list[str] = []
    for token in tokens:
        if token.kind == "op" and token.text in OPEN:
            stack.append(OPEN[token.text])
        elif token.kind == "op" and token.text in OPEN.values() and (not stack or stack.pop() != token.text):
            raise Refused(f"an unbalanced `{token.text}`")
    if stack:
        raise Refused("an unbalanced bracket")
