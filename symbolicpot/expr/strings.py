"""Infix text of formulas: `format_expression` and `parse_expression`, exact inverses of each other.

Sutton–Chen reads `sum(644.52*r^-9) - sum(527.62*r^-6)^0.5`; an alloy formula may filter a sum by its neighbours'
species, `sum[Al](r^-6)`, give each species its own term, `Ni: T_Ni; Al: T_Al`, or its own part of a term in a
block, `sum(r^-6)^0.5 + {Ni: -4.2; Al: -3.1}`; a sum that vanishes at the cutoff radius by itself may go
without the smooth cutoff, `sum[nocut](g)`, `sum[Al, nocut](g)` (the species first), `sum3[nocut](h)`. A
three-body sum `sum3(h)` holds an expression of r, s (r_ik) and c (cos θ_jik):
`45.53*sum3((c + 0.3333)^2*exp(2.514/(r - 3.771))*exp(2.514/(s - 3.771)))`. Binary `+ -` and `* /` associate to the
left, `^` to the right and binds tighter than unary minus (`-2^2` is -(2^2)). There is no negation node: a
minus directly before a number that is not a base of `^` makes a negative constant (`r^-9`), any other `-X` is
`-1*X`. Constants print with `repr(float)`, so `parse_expression(format_expression(e)) == e` holds to the last bit.

Text is read within MAX_LENGTH characters, MAX_NODES nodes and MAX_DEPTH levels (of parentheses and calls in the
text, and of the tree: a chain a + b + c + ... nests one level per operator), so that no pass that recurses over a
formula (typing, compiling, formatting, SymPy, the C++ generator) comes near Python's recursion limit.
"""
from contextlib import contextmanager
import math
import re

from .primitives import BINARY, PRIMITIVES, UNARY
from .tree import (C, LEAVES, NOCUT, R, S, ExpressionError, Node, by_species, call, check_species, check_typed, const,
                   species_terms, sum_tags)

SUMS = ("sum", "sum3")
FUNCTIONS = SUMS + UNARY
NAMED_LEAVES = {"r": R, "s": S, "c": C}
ATOM_PRECEDENCE = 4  # leaves and calls never need parentheses
# The search's formulas have at most 30 nodes and depth 8 by default, a front model (sum of c_k * T_k, + b) a few
# times that; the limits leave room for hand-written forms 30 times larger. The parser takes up to 5 Python frames
# per level of the text and the other passes 3 per level of the tree: 100 levels stay far inside 1000 frames.
MAX_LENGTH = 20_000  # characters: 1000 nodes of 17-digit constants
MAX_NODES = 1_000
MAX_DEPTH = 100
QUOTE = 72  # characters of the text an error quotes around its position


class ParseError(ExpressionError):
    """Text that is not a formula; `position` is the 0-based character offset of the fault."""

    def __init__(self, message, text, position):
        self.message, self.text, self.position = message, text, position
        one_line = re.sub(r"\s", " ", text)  # keeps the caret under its character
        start = min(max(position - QUOTE // 2, 0), max(len(one_line) - QUOTE, 0))  # a window of long text
        before, after = "..." * (start > 0), "..." * (start + QUOTE < len(one_line))
        quoted = before + one_line[start:start + QUOTE] + after
        super().__init__(f"{message} at position {position}\n  {quoted}\n  {' ' * (position - start + len(before))}^")


# ---------------------------------------------------------------------------------------------------- formatting

def format_expression(node):
    """The infix text of `node` (a formula or a pair-level expression), with the fewest parentheses."""
    if node.op == "species":
        return _format_block(node)
    return _format(node)[0]


def _format_block(node):
    return "; ".join(f"{name}: {_format(term)[0]}" for name, term in species_terms(node).items())


def _format_number(value):
    if not math.isfinite(value):
        raise ExpressionError(f"constant {value!r} has no text form")
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _format(node):
    """(text, precedence) of `node`; precedence 4 for leaves and calls, that of the operator otherwise."""
    if node.op == "const":
        return _format_number(node.value), ATOM_PRECEDENCE
    if node.op in LEAVES:
        return node.op, ATOM_PRECEDENCE
    if node.op == "species":
        return f"{{{_format_block(node)}}}", ATOM_PRECEDENCE
    if node.op in FUNCTIONS:
        tags = sum_tags(node)
        tag = f"[{', '.join(tags)}]" if tags else ""
        return f"{node.op}{tag}({', '.join(_format(c)[0] for c in node.children)})", ATOM_PRECEDENCE
    if node.op not in BINARY:
        raise ExpressionError(f"unknown operation {node.op!r}")
    left, right = node.children
    (left_text, left_prec), (right_text, right_prec) = _format(left), _format(right)
    p = PRIMITIVES[node.op].precedence
    if node.op == "^":
        negative_base = left.op == "const" and math.copysign(1.0, left.value) < 0
        left_parens = left_prec <= p or negative_base
        right_parens = right_prec < p
        return f"{_wrap(left_text, left_parens)}^{_wrap(right_text, right_parens)}", p
    space = " " if p == 1 else ""
    text = f"{_wrap(left_text, left_prec < p)}{space}{node.op}{space}{_wrap(right_text, right_prec <= p)}"
    return text, p


def _wrap(text, parens):
    return f"({text})" if parens else text


# ------------------------------------------------------------------------------------------------------- parsing

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<power>\*\*)
  | (?P<symbol>[-+*/^(),\[\]{}:;])
""", re.VERBOSE)


def _tokenize(text):
    """[(kind, token text, position)] ending with ("end", "", len(text)); kinds: number, name, symbol."""
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ParseError(f"unexpected character {text[pos]!r}", text, pos)
        if match.lastgroup == "power":
            raise ParseError("'**' is not an operator (powers are written '^')", text, pos)
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group(), pos))
        pos = match.end()
    tokens.append(("end", "", len(text)))
    return tokens


def parse_expression(text):
    """The formula written in `text`; raises ParseError (with the position) for bad text, a mistyped formula, or one
    beyond the limits of MAX_LENGTH characters, MAX_NODES nodes, MAX_DEPTH levels."""
    if len(text) > MAX_LENGTH:
        raise ParseError(f"formula is longer than {MAX_LENGTH} characters", text[:MAX_LENGTH], MAX_LENGTH)
    node = _Parser(text).parse()
    nodes, depth = _size(node)
    if nodes > MAX_NODES or depth > MAX_DEPTH:
        raise ExpressionError(f"formula of {nodes} nodes and {depth} levels (each operator of a chain a + b + c adds "
                              f"one): at most {MAX_NODES} nodes and {MAX_DEPTH} levels are read")
    return check_typed(node)


def _size(node):
    """(number of nodes, depth) of the tree, counted without recursion: it may be deeper than Python allows."""
    nodes, depth, stack = 0, 0, [(node, 1)]
    while stack:
        node, level = stack.pop()
        nodes, depth = nodes + 1, max(depth, level)
        stack.extend((child, level + 1) for child in node.children)
    return nodes, depth


class _Parser:
    """Recursive descent over the tokens: expression > term > unary > power > atom."""

    def __init__(self, text):
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.inside = ""  # the sum being read ("sum", "sum3"), "" at atom level
        self.nesting = 0  # levels of the text entered: parentheses, calls, exponents, unary minus

    @contextmanager
    def nested(self):
        """One level deeper into the text, refused beyond MAX_DEPTH before the recursion goes deeper."""
        if self.nesting == MAX_DEPTH:
            raise self.error(f"formula nests deeper than {MAX_DEPTH} levels")
        self.nesting += 1
        yield
        self.nesting -= 1

    def parse(self):
        if self.peek()[0] == "end":
            raise self.error("empty expression")
        if self.peek()[0] == "name" and self.peek(1)[:2] == ("symbol", ":"):
            node = self.block()
        else:
            node = self.expression()
        self.expect("end")
        return node

    def block(self):
        """`A: X_A; B: X_B; ...`: one expression per species of centre atom (a whole formula, or inside braces)."""
        terms = {}
        while True:
            name, position = self.species()
            if name in terms:
                raise self.error(f"species {name} has two expressions", position)
            self.expect("symbol", ":")
            terms[name] = self.expression()
            if not self.at(";"):
                break
            self.take()
        return by_species(terms)

    def species(self):
        """A chemical symbol and its position."""
        kind, token, position = self.peek()
        if kind != "name":
            raise self.error("expected a species (a chemical symbol such as Ni)")
        self.take()
        try:
            check_species(token)
        except ExpressionError as error:
            raise self.error(str(error), position) from None
        return token, position

    # token helpers
    def peek(self, ahead=0):
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def take(self):
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, *symbols):
        kind, token, _ = self.peek()
        return kind == "symbol" and token in symbols

    def error(self, message, position=None):
        return ParseError(message, self.text, self.peek()[2] if position is None else position)

    def unexpected(self):
        kind, token, _ = self.peek()
        return self.error("unexpected end of text" if kind == "end" else f"unexpected {token!r}")

    def expect(self, kind, token=None):
        found_kind, found, _ = self.peek()
        if found_kind != kind or (token is not None and found != token):
            if kind == "end":
                raise self.unexpected()
            raise self.error(f"expected {token!r}, found {'end of text' if found_kind == 'end' else repr(found)}")
        return self.take()

    # grammar
    def expression(self):
        node = self.term()
        while self.at("+", "-"):
            node = call(self.take()[1], node, self.term())
        return node

    def term(self):
        node = self.unary()
        while self.at("*", "/"):
            node = call(self.take()[1], node, self.unary())
        return node

    def unary(self):
        if not self.at("-"):
            return self.power()
        self.take()
        followed_by_power = self.peek(1)[:2] == ("symbol", "^")
        if self.peek()[0] == "number" and not followed_by_power:
            return const(-self.number())
        with self.nested():
            return call("*", const(-1.0), self.unary())

    def power(self):
        base = self.atom()
        if self.at("^"):
            self.take()
            with self.nested():
                return call("^", base, self.unary())
        return base

    def atom(self):
        kind = self.peek()[0]
        if kind == "number":
            return const(self.number())
        if kind == "name":
            return self.name()
        if self.at("(", "{"):
            opening = self.take()[1]
            with self.nested():
                node = self.expression() if opening == "(" else self.block()
            self.expect("symbol", ")" if opening == "(" else "}")
            return node
        raise self.unexpected()

    def number(self):
        _, token, position = self.take()
        value = float(token)
        if not math.isfinite(value):
            raise self.error(f"number {token} is out of range", position)
        return value

    def name(self):
        _, token, position = self.take()
        if token in NAMED_LEAVES:
            if token != "r" and self.inside != "sum3":
                raise self.error(f"'{token}' must stand inside sum3(...)", position)
            if not self.inside:
                raise self.error("'r' must stand inside sum(...) or sum3(...)", position)
            return NAMED_LEAVES[token]
        if token not in FUNCTIONS:
            raise self.error(f"unknown name {token!r} (known: r, s, c, {', '.join(FUNCTIONS)})", position)
        if token in SUMS and self.inside:
            raise self.error(f"{token}(...) cannot stand inside {self.inside}(...): sums do not nest", position)
        neighbours, cut = self.tags(token) if token in SUMS and self.at("[") else ("", True)
        self.expect("symbol", "(")
        outer = self.inside
        self.inside = token if token in SUMS else outer
        with self.nested():
            arguments = [self.expression()]
            while self.at(","):
                self.take()
                arguments.append(self.expression())
        self.inside = outer
        self.expect("symbol", ")")
        if len(arguments) != 1:
            raise self.error(f"{token} takes 1 argument, got {len(arguments)}", position)
        if token in SUMS:
            return Node(token, (arguments[0],), species=neighbours, cut=cut)
        return call(token, *arguments)

    def tags(self, token):
        """The brackets after sum `token`: `[Al]`, `[nocut]` or `[Al, nocut]` (the species first; sum3 takes none).
        Returns (its neighbours' species, "" for all; whether the smooth cutoff applies)."""
        self.take()
        species = ""
        if self.peek()[1] != NOCUT:
            if token == "sum3":
                raise self.error("sum3 takes no species (yet): it sums over all pairs of neighbours")
            species = self.species()[0]
            if not self.at(","):
                self.expect("symbol", "]")
                return species, True
            self.take()
            if self.peek()[:2] != ("name", NOCUT):
                raise self.error(f"expected {NOCUT!r} or ']' after the species")
        self.take()
        if self.at(","):
            hint = "sum3 takes [nocut] only" if token == "sum3" else f"the species comes first: sum[Al, {NOCUT}](...)"
            raise self.error(hint, self.peek(1)[2])
        self.expect("symbol", "]")
        return species, False
