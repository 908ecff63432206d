"""Static paths in jq tokens (``path_at``), and what an expression reads of a value piped into it
(``reads_below``): the parts of that value a page cut must keep (``mapping.issue_fields``).

``.fields.assignee | .accountId // .name`` reads ``accountId`` and ``name`` of the assignee;
``.fields.subtasks | if type == "array" then map(.key) else null end`` reads the ``key`` of each element
(``EACH``) of the subtasks and their type. What the right side may hold: paths, literals, ``//``, ``==``,
``!=``, ``and``, ``or``, ``,``, parentheses, brackets, ``?``, ``if``/``then``/``elif``/``else``/``end``,
``type`` (a cut value keeps its type), ``map(...)`` of the same, and a pipe, whose right side then reads
only what those yield: whole values (a path's value is kept whole), literals, booleans, type names, arrays
of them. Anything else (``keys``, ``length``, ``tostring`` of the value itself, ``.``, an object
construction, a ``def``, which may redefine ``map`` or ``type``): the value is kept whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from jira_port.mapping.jq_tokens import OPEN, Token

#: The shape key standing for "each element of an array" (``map(...)``). A JSON key of that name is
#: possible: a dict holding one is kept whole (see ``pages.projector``), and reading it from an array fails
#: in jq whether the array was cut or not.
EACH = "[]"
#: What a path may follow and still flow on unchanged into a pipe (see ``reads_below``).
_OPEN_BEFORE = frozenset({"(", "|", ",", "//", ";", ":", "["})
_WORD_BEFORE = frozenset({"if", "then", "elif", "else", "and", "or"})
#: What the right side of that pipe may hold besides paths, literals, ``map(...)`` and a pipe.
_OPS = frozenset({"//", "==", "!=", ",", "(", ")", "[", "]", "?"})
_WORDS = frozenset({"and", "or", "true", "false", "null", "if", "then", "elif", "else", "end", "type"})
#: Where the right side of a pipe may end, besides a closing bracket (ending it early is safe: what follows
#: is read as reading the value again).
_PIPE_ENDS = frozenset({"then", "elif", "else", "end", "catch", "as", "def", "reduce", "foreach", "label",
                        "if", "try", "import", "include"})  # fmt: skip


def step(tokens: Sequence[Token], index: int) -> tuple[str, int] | None:
    """The static path step at ``index`` (``.a``, ``."a"``, ``["a"]``, ``.["a"]``, each with an optional
    ``?``): its name and the index after it; None when there is none."""
    if index >= len(tokens):
        return None
    token, end = tokens[index], None
    if token.kind == "field":
        name, end = token.text, index + 1
    else:
        at = index + 1 if is_op(token, ".") else index
        if is_op(token, ".") and at < len(tokens) and tokens[at].kind == "str":
            name, end = tokens[at].text, at + 1
        elif at + 2 < len(tokens) and [(t.kind, t.text) for t in (tokens[at], tokens[at + 2])] == [
            ("op", "["), ("op", "]")] and tokens[at + 1].kind == "str":  # fmt: skip
            name, end = tokens[at + 1].text, at + 3
    if end is None:
        return None
    while end < len(tokens) and is_op(tokens[end], "?"):
        end += 1
    return name, end


def path_at(tokens: Sequence[Token], index: int) -> tuple[list[str], int]:
    """The names of the consecutive static path steps from ``index`` (maybe none), the index after them."""
    names: list[str] = []
    while (found := step(tokens, index)) is not None:
        names.append(found[0])
        index = found[1]
    return names, index


def reads_below(tokens: Sequence[Token], start: int, end: int) -> list[list[str]] | None:
    """The paths read below the value of the path ``tokens[start:end]`` when it flows, unchanged, into a
    pipe whose right side reads it only as the module doc says; None otherwise."""
    before = tokens[start - 1] if start > 0 else Token("op", "(")
    opening = {"op": _OPEN_BEFORE, "id": _WORD_BEFORE}.get(before.kind, frozenset())
    if before.text not in opening or end >= len(tokens) or not is_op(tokens[end], "|"):
        return None
    if any(t.kind == "id" and t.text == "def" for t in tokens):
        return None  # `map` or `type` may not be jq's
    found = _reads(tokens, end + 1)
    return found[0] or None if found is not None else None


def _reads(tokens: Sequence[Token], index: int) -> tuple[list[list[str]], int] | None:
    """The paths the tokens from ``index`` to the end of their group read of their input, and the index
    of that end (a closing bracket, or the end of the tokens); None when they may read it otherwise."""
    paths: list[list[str]] = []
    depth = 0
    while index < len(tokens):
        token = tokens[index]
        chain, after = path_at(tokens, index)
        if chain:
            paths.append(chain)
            index = after
            continue
        if token.kind == "op" and token.text in OPEN.values():
            if depth == 0:
                return paths, index
            depth -= 1
        elif token.kind == "op" and token.text in OPEN:
            depth += 1
        following = tokens[index + 1] if index + 1 < len(tokens) else token
        if (token.kind, token.text) == ("id", "map") and is_op(following, "("):
            inner = _reads(tokens, index + 2)  # each element's reads, up to the closing parenthesis
            if inner is None or inner[1] >= len(tokens):
                return None
            paths += [[EACH, *path] for path in inner[0]] or [[EACH]]
            index = inner[1] + 1
        elif is_op(token, "|"):
            index = _pipe_end(tokens, index + 1)
        elif token.kind in ("str", "num") or (token.kind, token.text) in _VOCABULARY:
            index += 1
        else:
            return None
    return paths, index


_VOCABULARY = frozenset({("op", t) for t in _OPS} | {("id", t) for t in _WORDS})


def _pipe_end(tokens: Sequence[Token], index: int) -> int:
    """Where the right side of a pipe starting at ``index`` ends (at the latest)."""
    depth = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "op" and token.text in OPEN.values():
            if depth == 0:
                return index
            depth -= 1
        elif token.kind == "op" and token.text in OPEN:
            depth += 1
        elif depth == 0 and (is_op(token, ";") or (token.kind == "id" and token.text in _PIPE_ENDS)):
            return index
        index += 1
    return index


def is_op(token: Token, text: str) -> bool:
    """Whether ``token`` is the operator ``text``."""
    return token.kind == "op" and token.text == text
