"""C++ statements for a formula: values and first derivatives in forward mode, constants folded.

`pair_code` writes g_k(r) and dg_k/dr of every distinct sum; `triplet_code` the symmetrised three-body functions
H_t(r, s, c) = ½[h_t(r, s, c) + h_t(s, r, c)] (h_t itself when it is symmetric in r and s) and their partials;
`atom_code` writes T and its derivatives with respect to the plugin's per-atom sums (export.sum_layout). Each node
becomes one `const double` temporary that mirrors what the primitives' `partials` (symbolicpot.expr.primitives)
compute, so the plugin rounds like the Python evaluator
(a ÷ b is a·(1/b), derivatives combine ∂a·da + ∂b·db in that order).
Derivatives are carried only along the inputs a node depends on. Identical subtrees share one temporary. A subtree
without input is folded to one literal; an integer constant exponent becomes multiplications (square and multiply,
with 1/a for negative exponents), 0.5 a square root. Every number in the output is `repr(float)` of a value
computed here; every name is chosen here.
"""
import math

from ..expr import C, PRIMITIVES, R, S, ExpressionError, call, const, walk
from ..expr.tree import swap_r_and_s, symmetric_in_r_and_s

MAX_INTEGER_EXPONENT = 64  # |n| above this keeps std::pow


def literal(value):
    """A C++ double literal of `value` (repr, parenthesised when negative); ExpressionError when not finite."""
    value = float(value)
    if not math.isfinite(value):
        raise ExpressionError(f"the formula has a non-finite constant part ({value!r})")
    text = repr(value)
    return f"({text})" if text.startswith("-") else text


def fold(op, a, b=None):
    """The value of a primitive on constants, as the evaluator computes it; ExpressionError outside its domain."""
    try:
        value = PRIMITIVES[op].fold(*((a,) if b is None else (a, b)))
    except (ArithmeticError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise ExpressionError(f"the constant part {op}({a!r}{'' if b is None else f', {b!r}'}) is not finite")
    return value


class _Value:
    """A node's C++ value (temporary or literal), its derivatives {direction: C++ text}, `constant` when folded."""

    def __init__(self, text, derivatives=None, constant=None):
        self.text, self.derivatives, self.constant = text, derivatives or {}, constant


class _Writer:
    """Emits `const double` statements for trees whose leaves `inputs` maps to (C++ text, direction)."""

    def __init__(self, inputs):
        self.inputs, self.lines, self.memo, self.powers, self.count = inputs, [], {}, {}, 0

    def temporary(self, text):
        name = f"t{self.count}"
        self.count += 1
        self.lines.append(f"const double {name} = {text};")
        return name

    def named(self, text):
        """`text` itself when it is a single token (a name, a literal, -name), else a temporary holding it."""
        return text if " " not in text else self.temporary(text)

    def value(self, node):
        if node not in self.memo:
            self.memo[node] = self._value(node)
        return self.memo[node]

    def _value(self, node):
        if node.op == "const":
            return _Value(literal(node.value), constant=float(node.value))
        if node in self.inputs:
            text, direction = self.inputs[node]
            return _Value(text, {direction: "1.0"})
        if node.op in ("r", "s", "c", "sum", "sum3"):
            raise ExpressionError(f"'{node.op}' is not an input at this level of the formula")
        args = [self.value(child) for child in node.children]
        if all(arg.constant is not None for arg in args):
            value = fold(node.op, *(arg.constant for arg in args))
            return _Value(literal(value), constant=value)
        binary = {"+": self._add, "-": self._sub, "*": self._mul, "/": self._div, "^": self._pow}
        return binary[node.op](*args) if node.op in binary else self._unary(node.op, *args)

    # Each rule returns the result value and, through `chain`, its derivatives from the local partials.
    def chain(self, name, a, partial_a, b=None, partial_b=None):
        """The value `name` (a temporary) with derivatives partial_a·da + partial_b·db (partials as C++ text)."""
        derivatives = {}
        for direction in sorted(set(a.derivatives) | set(b.derivatives if b else ())):
            terms = [_product(p, v.derivatives[direction])
                     for p, v in ((partial_a, a), (partial_b, b)) if v is not None and direction in v.derivatives]
            derivatives[direction] = self.named(" + ".join(terms))
        return _Value(name, derivatives)

    def _add(self, a, b):
        return self._linear(a, b, "+")

    def _sub(self, a, b):
        return self._linear(a, b, "-")

    def _linear(self, a, b, sign):
        """a ± b with derivatives da ± db (partials ±1 need no multiplication)."""
        name = self.temporary(f"{a.text} {sign} {b.text}")
        derivatives = {}
        for direction in sorted(set(a.derivatives) | set(b.derivatives)):
            da, db = a.derivatives.get(direction), b.derivatives.get(direction)
            if db is None:
                derivatives[direction] = da
            elif da is None:
                derivatives[direction] = db if sign == "+" else self.named(_negate(db))
            else:
                derivatives[direction] = self.temporary(f"{da} {sign} {db}")
        return _Value(name, derivatives)

    def _mul(self, a, b):
        return self.chain(self.temporary(f"{a.text} * {b.text}"), a, b.text, b, a.text)

    def _div(self, a, b):
        inverse = literal(1.0 / b.constant) if b.constant is not None else self.temporary(f"1.0 / {b.text}")
        value = self.temporary(f"{a.text} * {inverse}")
        partial_b = self.temporary(f"-{value} * {inverse}") if b.derivatives else None
        return self.chain(value, a, inverse, b, partial_b)

    def _pow(self, a, b):
        if b.constant is not None:
            n = b.constant
            if n == 0.0:
                return _Value("1.0", constant=1.0)
            if n == 1.0:
                return a
            if n.is_integer() and abs(n) <= MAX_INTEGER_EXPONENT:
                return self._integer_power(a, int(n))
            if n == 0.5:
                value = self.temporary(f"std::sqrt({a.text})")
                return self.chain(value, a, self.temporary(f"0.5 / {value}"))
        value = self.temporary(f"std::pow({a.text}, {b.text})")
        b_minus_one = literal(b.constant - 1.0) if b.constant is not None else f"({b.text} - 1.0)"
        partial_a = self.temporary(f"{a.text} != 0.0 ? {b.text} * {value} * (1.0 / {a.text}) : "
                                   f"{b.text} * std::pow({a.text}, {b_minus_one})") if a.derivatives else None
        partial_b = self.temporary(f"{a.text} > 0.0 ? {value} * std::log({a.text}) : 0.0") if b.derivatives else None
        return self.chain(value, a, partial_a, b, partial_b)

    def _integer_power(self, a, n):
        """a^n by multiplications; derivative n·a^(n−1), or n·a^n·(1/a) for n < 0."""
        if n > 0:
            below = self._power_of(a.text, n - 1)  # a^(n-1)
            value = self.temporary(f"{below} * {a.text}")
            return self.chain(value, a, f"{literal(n)} * {below}")
        inverse = self._inverse(a.text)
        value = self._power_of(inverse, -n)
        return self.chain(value, a, self.temporary(f"{literal(n)} * {value} * {inverse}"))

    def _inverse(self, text):
        key = ("inverse", text)
        if key not in self.powers:
            self.powers[key] = self.temporary(f"1.0 / {text}")
        return self.powers[key]

    def _power_of(self, base, m):
        """C++ text of base^m (m >= 0) by square and multiply, sharing powers already written."""
        if m == 0:
            return "1.0"
        if m == 1:
            return base
        key = (base, m)
        if key not in self.powers:
            half = self._power_of(base, m // 2)
            square = f"{half} * {half}"
            self.powers[key] = self.temporary(square if m % 2 == 0 else f"{square} * {base}")
        return self.powers[key]

    def _unary(self, op, a):
        """A unary primitive by its record's C++ value and derivative (the value itself: no new temporary)."""
        value_text, derivative = PRIMITIVES[op].cxx
        value = self.temporary(value_text.format(a=a.text))
        partial = derivative.format(a=a.text, v=value)
        return self.chain(value, a, partial if partial == value else self.temporary(partial))


def _negate(text):
    """C++ text of −(text): a literal or name loses or gains its sign, anything longer is parenthesised."""
    if text.startswith("(-") and text.endswith(")") and " " not in text:
        return text[2:-1]
    if text.startswith("-") and " " not in text:
        return text[1:]
    return f"-{text}" if " " not in text else f"-({text})"


def _product(partial, derivative):
    if derivative == "1.0":
        return partial
    if partial == "1.0":
        return derivative
    return f"{partial} * {derivative}"


def pair_code(pair_expressions, r_name="r", values="g", slopes="dg"):
    """Statements setting values[k] = g_k(r) and slopes[k] = dg_k/dr for the pair expressions g_k."""
    writer = _Writer({R: (r_name, 0)})
    results = [writer.value(g) for g in pair_expressions]
    lines = writer.lines
    for k, result in enumerate(results):
        lines.append(f"{values}[{k}] = {result.text};")
        lines.append(f"{slopes}[{k}] = {result.derivatives.get(0, '0.0')};")
    return lines


def triplet_code(triplet_expressions, values="h", partials=("h_r", "h_s", "h_c")):
    """Statements setting values[t] = H_t(r, s, c) and partials[0..2][t] = ∂H_t/∂r, ∂H_t/∂s, ∂H_t/∂c for the
    three-body expressions h_t of r, s (Å) and c = cos θ, H_t = ½[h_t(r, s, c) + h_t(s, r, c)], or h_t itself when
    swapping r and s leaves it the same up to the order of sums and products."""
    writer = _Writer({R: ("r", 0), S: ("s", 1), C: ("c", 2)})
    results = [writer.value(h if symmetric_in_r_and_s(h) else call("*", const(0.5), call("+", h, swap_r_and_s(h))))
               for h in triplet_expressions]
    lines = writer.lines
    for t, result in enumerate(results):
        lines.append(f"{values}[{t}] = {result.text};")
        lines += [f"{name}[{t}] = {result.derivatives.get(d, '0.0')};" for d, name in enumerate(partials)]
    return lines


def atom_code(tree, layout, sums="s", gradient="dt"):
    """Statements setting gradient[v] = dT/dA_v and returning T for the block-free atom term `tree`, whose sums and
    three-body sums read the values sums[v] that `layout` (export.sum_layout.TermValues) assigns them (a sum reading
    several values adds them up first)."""
    writer = _Writer({})
    for node in dict.fromkeys(node for node in walk(tree) if node.op in ("sum", "sum3")):
        reads = layout.reads(node)
        text = " + ".join(f"{sums}[{v}]" for v in reads)
        writer.inputs[node] = (text if len(reads) == 1 else writer.temporary(text), reads)
    result = writer.value(tree)
    lines = writer.lines
    for v in range(layout.n_values):
        terms = [derivative for reads, derivative in result.derivatives.items() if v in reads]
        lines.append(f"{gradient}[{v}] = {' + '.join(terms) or '0.0'};")
    lines.append(f"return {result.text};")
    return lines
