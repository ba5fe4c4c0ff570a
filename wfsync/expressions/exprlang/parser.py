"""Parser for expr-lang: precedence climbing exactly as expr's ``parser/parser.go`` does it."""

from __future__ import annotations

from wfsync.expressions.exprlang import ast
from wfsync.expressions.exprlang.errors import ExprError
from wfsync.expressions.exprlang.lexer import NEGATABLE, Kind, Token, lex, location

# (precedence, right-associative) from expr's parser/operator/operator.go
BINARY: dict[str, tuple[int, bool]] = {
    "|": (0, False),
    "or": (10, False),
    "||": (10, False),
    "and": (15, False),
    "&&": (15, False),
    "==": (20, False),
    "!=": (20, False),
    "<": (20, False),
    ">": (20, False),
    ">=": (20, False),
    "<=": (20, False),
    "in": (20, False),
    "matches": (20, False),
    "contains": (20, False),
    "startsWith": (20, False),
    "endsWith": (20, False),
    "..": (25, False),
    "+": (30, False),
    "-": (30, False),
    "*": (60, False),
    "/": (60, False),
    "%": (60, False),
    "**": (100, True),
    "^": (100, True),
    "??": (500, False),
}
UNARY = {"not": 50, "!": 50, "-": 90, "+": 90}

# Builtins whose second argument is a predicate; value: (number of args, optional trailing args)
PREDICATES: dict[str, tuple[tuple[str, ...], int]] = {
    "all": (("expr", "pred"), 0),
    "none": (("expr", "pred"), 0),
    "any": (("expr", "pred"), 0),
    "one": (("expr", "pred"), 0),
    "filter": (("expr", "pred"), 0),
    "map": (("expr", "pred"), 0),
    "count": (("expr", "pred"), 1),
    "sum": (("expr", "pred"), 1),
    "find": (("expr", "pred"), 0),
    "findIndex": (("expr", "pred"), 0),
    "findLast": (("expr", "pred"), 0),
    "findLastIndex": (("expr", "pred"), 0),
    "groupBy": (("expr", "pred"), 0),
    "sortBy": (("expr", "pred", "expr"), 1),
    "reduce": (("expr", "pred", "expr"), 1),
}


def _is_comparison(op: str) -> bool:
    entry = BINARY.get(op)
    return entry is not None and entry[0] == 20


class Parser:
    """Recursive-descent parser over the token list of one expression."""

    def __init__(self, source: str, builtin_names: frozenset[str]) -> None:
        self.source = source
        self.tokens = lex(source)
        self.pos = 0
        self.current = self.tokens[0]
        self.depth = 0
        self.builtin_names = builtin_names

    def error(self, message: str, token: Token | None = None) -> ExprError:
        """An ``ExprError`` located at ``token`` (default: the current one)."""
        where = (token or self.current).pos
        return ExprError(f"{message} ({location(self.source, where)})")

    def next(self) -> None:
        """Advance one token."""
        self.pos += 1
        if self.pos >= len(self.tokens):
            raise self.error("unexpected end of expression")
        self.current = self.tokens[self.pos]

    def expect(self, kind: Kind, *values: str) -> None:
        """Consume a token of ``kind`` (and value) or fail with expr's message."""
        if self.current.is_(kind, *values):
            self.next()
            return
        raise self.error(f"unexpected token {self.current}")

    def parse(self) -> ast.Node:
        """Parse the whole source; trailing tokens are an error."""
        node = self.parse_expression(0)
        if not self.current.is_(Kind.EOF):
            raise self.error(f"unexpected token {self.current}")
        return node

    def parse_expression(self, precedence: int) -> ast.Node:
        """Precedence climbing with expr's ``not in``, comparison chains and ``??`` rules."""
        if precedence == 0 and self.current.is_(Kind.OPERATOR, "let"):
            return self.parse_let()
        left = self.parse_primary()
        prev_operator = ""
        op_token = self.current
        while op_token.is_(Kind.OPERATOR):
            negate = op_token.value == "not"
            if negate:
                saved = self.pos
                self.next()
                if self.current.value in NEGATABLE and self.current.kind is Kind.OPERATOR:
                    if BINARY[self.current.value][0] >= precedence:
                        op_token = self.current
                    else:
                        self.pos, self.current = saved, self.tokens[saved]
                        break
                else:
                    raise self.error(f"unexpected token {self.current}")
            entry = BINARY.get(op_token.value)
            if entry is None or entry[0] < precedence:
                break
            op_precedence, right_assoc = entry
            self.next()
            if op_token.value == "|":
                ident = self.current
                self.expect(Kind.IDENTIFIER)
                left = self.parse_call(ident, [left])
            elif prev_operator == "??" and op_token.value != "??":
                raise self.error(
                    f"Operator ({op_token.value}) and coalesce expressions (??) cannot be mixed. "
                    "Wrap either by parentheses.",
                    op_token,
                )
            elif _is_comparison(op_token.value):
                left = self.parse_comparison(left, op_token, op_precedence)
            else:
                right = self.parse_expression(op_precedence if right_assoc else op_precedence + 1)
                left = ast.Binary(op_token.pos, op_token.value, left, right)
            if negate:
                left = ast.Unary(op_token.pos, "not", left)
            prev_operator = op_token.value
            op_token = self.current
        if precedence == 0:
            left = self.parse_conditional(left)
        return left

    def parse_comparison(self, left: ast.Node, token: Token, precedence: int) -> ast.Node:
        """``a < b < c`` means ``a < b && b < c``, as in expr."""
        root: ast.Node | None = None
        while True:
            right = self.parse_expression(precedence + 1)
            node: ast.Node = ast.Binary(token.pos, token.value, left, right)
            root = node if root is None else ast.Binary(token.pos, "&&", root, node)
            left = right
            token = self.current
            if not (token.is_(Kind.OPERATOR) and _is_comparison(token.value)):
                break
            self.next()
        return root

    def parse_let(self) -> ast.Node:
        """``let x = value; body``."""
        self.expect(Kind.OPERATOR, "let")
        name = self.current
        self.expect(Kind.IDENTIFIER)
        self.expect(Kind.OPERATOR, "=")
        value = self.parse_expression(0)
        self.expect(Kind.OPERATOR, ";")
        body = self.parse_expression(0)
        return ast.Let(name.pos, name.value, value, body)

    def parse_conditional(self, node: ast.Node) -> ast.Node:
        """``cond ? a : b`` and the Elvis form ``cond ?: b``."""
        while self.current.is_(Kind.OPERATOR, "?"):
            pos = self.current.pos
            self.next()
            if not self.current.is_(Kind.OPERATOR, ":"):
                then = self.parse_expression(0)
                self.expect(Kind.OPERATOR, ":")
                otherwise = self.parse_expression(0)
            else:
                self.next()
                then = node
                otherwise = self.parse_expression(0)
            node = ast.Conditional(pos, node, then, otherwise)
        return node

    def parse_primary(self) -> ast.Node:
        """Unary operators, parentheses, predicate pointers, then secondaries."""
        token = self.current
        if token.is_(Kind.OPERATOR) and token.value in UNARY:
            self.next()
            operand = self.parse_expression(UNARY[token.value])
            return self.parse_postfix(ast.Unary(token.pos, token.value, operand))
        if token.is_(Kind.BRACKET, "("):
            self.next()
            inner = self.parse_expression(0)
            self.expect(Kind.BRACKET, ")")
            return self.parse_postfix(inner)
        if token.is_(Kind.OPERATOR, "#", "."):
            if self.depth == 0:
                raise self.error("cannot use pointer accessor outside predicate")
            name = ""
            if token.value == "#":
                self.next()
                if self.current.is_(Kind.IDENTIFIER):
                    name = self.current.value
                    self.next()
            return self.parse_postfix(ast.Pointer(token.pos, name))
        return self.parse_secondary()

    def parse_secondary(self) -> ast.Node:
        """Literals, identifiers, calls, arrays and maps."""
        token = self.current
        node: ast.Node
        if token.kind is Kind.IDENTIFIER:
            self.next()
            if token.value in ("true", "false"):
                return ast.Literal(token.pos, token.value == "true")
            if token.value == "nil":
                return ast.Literal(token.pos, None)
            if self.current.is_(Kind.BRACKET, "("):
                node = self.parse_call(token, [])
            else:
                node = ast.Identifier(token.pos, token.value)
        elif token.kind is Kind.NUMBER:
            self.next()
            return ast.Literal(token.pos, self.number(token))
        elif token.kind is Kind.STRING:
            self.next()
            node = ast.Literal(token.pos, token.value)
        elif token.is_(Kind.BRACKET, "["):
            node = self.parse_array()
        elif token.is_(Kind.BRACKET, "{"):
            node = self.parse_map()
        else:
            raise self.error(f"unexpected token {token}")
        return self.parse_postfix(node)

    def number(self, token: Token) -> int | float:
        """Integer (decimal, hex, octal, binary) or float literal."""
        text = token.value.replace("_", "")
        lower = text.lower()
        try:
            if lower.startswith("0x"):
                return int(text, 16)
            if lower.startswith("0o"):
                return int(text[2:], 8)
            if lower.startswith("0b"):
                return int(text[2:], 2)
            if "." in lower or "e" in lower:
                return float(text)
            value = int(text, 10)
        except ValueError as exc:
            raise self.error(f"invalid number literal: {exc}", token) from None
        if value > 2**63 - 1:
            raise self.error("integer literal is too large", token)
        return value

    def parse_call(self, token: Token, arguments: list[ast.Node]) -> ast.Node:
        """A predicate builtin, a plain builtin, or a call of a function value."""
        if token.value in PREDICATES:
            kinds, optional = PREDICATES[token.value]
            self.expect(Kind.BRACKET, "(")
            wanted = kinds[len(arguments) :]
            for i, kind in enumerate(wanted):
                if self.current.is_(Kind.BRACKET, ")"):
                    if i >= len(wanted) - optional:
                        break
                    raise self.error(f"expected at least {len(wanted)} arguments")
                if i > 0:
                    self.expect(Kind.OPERATOR, ",")
                arguments.append(self.parse_predicate() if kind == "pred" else self.parse_expression(0))
            if self.current.is_(Kind.OPERATOR, ","):
                self.next()
            self.expect(Kind.BRACKET, ")")
            return ast.Builtin(token.pos, token.value, tuple(arguments))
        if token.value in self.builtin_names:
            return ast.Builtin(token.pos, token.value, tuple(self.parse_arguments(arguments)))
        callee = ast.Identifier(token.pos, token.value)
        return ast.Call(token.pos, callee, tuple(self.parse_arguments(arguments)))

    def parse_arguments(self, arguments: list[ast.Node]) -> list[ast.Node]:
        """``(a, b, ...)`` with an optional trailing comma."""
        offset = len(arguments)
        self.expect(Kind.BRACKET, "(")
        while not self.current.is_(Kind.BRACKET, ")"):
            if len(arguments) > offset:
                self.expect(Kind.OPERATOR, ",")
            if self.current.is_(Kind.BRACKET, ")"):
                break
            arguments.append(self.parse_expression(0))
        self.expect(Kind.BRACKET, ")")
        return arguments

    def parse_predicate(self) -> ast.Node:
        """A closure, with or without braces."""
        start = self.current
        braces = start.is_(Kind.BRACKET, "{")
        if braces:
            self.next()
        self.depth += 1
        body = self.parse_expression(0)
        self.depth -= 1
        if braces:
            self.expect(Kind.BRACKET, "}")
        return ast.Predicate(start.pos, body)

    def parse_array(self) -> ast.Node:
        """``[a, b, ...]`` with an optional trailing comma."""
        start = self.current
        self.expect(Kind.BRACKET, "[")
        items: list[ast.Node] = []
        while not self.current.is_(Kind.BRACKET, "]"):
            if items:
                self.expect(Kind.OPERATOR, ",")
                if self.current.is_(Kind.BRACKET, "]"):
                    break
            items.append(self.parse_expression(0))
        self.expect(Kind.BRACKET, "]")
        return ast.Array(start.pos, tuple(items))

    def parse_map(self) -> ast.Node:
        """``{a: 1, "b": 2, (expr): 3}``."""
        start = self.current
        self.expect(Kind.BRACKET, "{")
        pairs: list[tuple[ast.Node, ast.Node]] = []
        while not self.current.is_(Kind.BRACKET, "}"):
            if pairs:
                self.expect(Kind.OPERATOR, ",")
                if self.current.is_(Kind.BRACKET, "}"):
                    break
            key: ast.Node
            if self.current.kind in (Kind.NUMBER, Kind.STRING, Kind.IDENTIFIER):
                key = ast.Literal(self.current.pos, self.current.value)
                self.next()
            elif self.current.is_(Kind.BRACKET, "("):
                key = self.parse_expression(0)
            else:
                raise self.error(
                    "a map key must be a quoted string, a number, a identifier, or an expression enclosed "
                    f"in parentheses (unexpected token {self.current})"
                )
            self.expect(Kind.OPERATOR, ":")
            pairs.append((key, self.parse_expression(0)))
        self.expect(Kind.BRACKET, "}")
        return ast.Map(start.pos, tuple(pairs))

    def parse_postfix(self, node: ast.Node) -> ast.Node:
        """Member access, optional chaining, indexing, slicing and method calls."""
        in_chain = False
        while self.current.kind in (Kind.OPERATOR, Kind.BRACKET):
            token = self.current
            optional = token.value == "?."
            if token.value in (".", "?."):
                self.next()
                prop_token = self.current
                if optional and prop_token.is_(Kind.BRACKET, "["):
                    node = self._index(node, prop_token, optional=True)
                    in_chain = True
                    continue
                self.next()
                if prop_token.kind is not Kind.IDENTIFIER and not (
                    prop_token.kind is Kind.OPERATOR and prop_token.value.isidentifier()
                ):
                    raise self.error("expected name", prop_token)
                prop = ast.Literal(prop_token.pos, prop_token.value)
                node = ast.Member(prop_token.pos, node, prop, optional)
                if self.current.is_(Kind.BRACKET, "("):
                    node = ast.Call(prop_token.pos, node, tuple(self.parse_arguments([])))
                in_chain = in_chain or optional
            elif token.value == "[":
                node = self._index(node, token, optional=False)
            else:
                break
        return ast.Chain(node.pos, node) if in_chain else node

    def _index(self, node: ast.Node, token: Token, *, optional: bool) -> ast.Node:
        self.next()
        if self.current.is_(Kind.OPERATOR, ":"):
            self.next()
            stop = None if self.current.is_(Kind.BRACKET, "]") else self.parse_expression(0)
            self.expect(Kind.BRACKET, "]")
            return ast.Slice(token.pos, node, None, stop)
        start = self.parse_expression(0)
        if self.current.is_(Kind.OPERATOR, ":"):
            self.next()
            stop = None if self.current.is_(Kind.BRACKET, "]") else self.parse_expression(0)
            self.expect(Kind.BRACKET, "]")
            return ast.Slice(token.pos, node, start, stop)
        self.expect(Kind.BRACKET, "]")
        return ast.Member(token.pos, node, start, optional)


def parse(source: str, builtin_names: frozenset[str]) -> ast.Node:
    """Parse ``source`` into a syntax tree; ``builtin_names`` are the non-predicate builtins."""
    return Parser(source, builtin_names).parse()
