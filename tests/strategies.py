"""Hypothesis strategies for formulas, shared by the test suite.

`pair_trees` draws pair-level expressions g(r) (what stands inside `sum`), `atom_trees` draws whole formulas,
`three_body_trees` whole formulas with three-body sums `sum3(h(r, s, c))`.
Constants default to `moderate_constants` (safe to evaluate); pass `constants=any_finite_float()` to test text and
storage to the last bit.
"""
import operator

from hypothesis import strategies as st

from symbolicpot.expr import BINARY, C, Node, R, S, by_species, call, const, species_sum, sums

SPECIAL_CONSTANTS = (0.0, -0.0, 1.0, -1.0, 0.5, -9.0, 1e-7, -1e-7, 1e5, -1e5, 0.1, 644.52)


def moderate_constants():
    """Finite floats of both signs: integers, magnitudes 1e-7 to 1e5, and a few hand-picked values."""
    magnitudes = st.floats(min_value=1e-7, max_value=1e5)
    return st.one_of(
        st.sampled_from(SPECIAL_CONSTANTS),
        st.integers(-12, 12).map(float),
        st.builds(operator.mul, st.sampled_from((1.0, -1.0)), magnitudes),
    )


def any_finite_float():
    """Every finite float (subnormals, ±0.0, ±1e308 included) plus the moderate ones."""
    return st.one_of(moderate_constants(), st.floats(allow_nan=False, allow_infinity=False))


def pair_trees(max_depth=4, unary=(), constants=None):
    """Pair-level expressions over r and constants with + - * / ^ and the unary functions named in `unary`."""
    leaf = st.one_of(st.just(R), (moderate_constants() if constants is None else constants).map(const))
    return _trees(leaf, max_depth, unary)


def triplet_trees(max_depth=3, unary=(), constants=None):
    """Expressions h(r, s, c) (what stands inside `sum3`) over r, s, c and constants, as pair_trees."""
    leaf = st.one_of(st.sampled_from((R, S, C)), (moderate_constants() if constants is None else constants).map(const))
    return _trees(leaf, max_depth, unary)


@st.composite
def three_body_trees(draw, triplet_depth=3, **atom_tree_options):
    """atom_trees (its options) with at least one of their sums replaced by a three-body sum sum3(h)."""
    tree = draw(atom_trees(**atom_tree_options))
    replaced = draw(st.sets(st.integers(0, len(sums(tree)) - 1), min_size=1))
    constants = atom_tree_options.get("constants")
    seen = [0]

    def rebuild(node):
        if node.op == "sum":
            seen[0] += 1
            if seen[0] - 1 in replaced:
                return call("sum3", draw(triplet_trees(triplet_depth, atom_tree_options.get("unary", ()), constants)))
            return node
        return Node(node.op, tuple(rebuild(child) for child in node.children), node.value) if node.children else node
    return rebuild(tree)


@st.composite
def atom_trees(draw, max_depth=3, n_sums=(1, 3), pair_depth=3, unary=(), constants=None):
    """Formulas with n_sums[0]..n_sums[1] leaves `sum(pair_tree)`, the other leaves constants; atom-level depth
    at most `max_depth`, pair-level depth at most `pair_depth`."""
    constants = moderate_constants() if constants is None else constants
    assert n_sums[1] <= 2 ** max_depth, "too many sums for the depth"
    sum_leaf = pair_trees(pair_depth, unary, constants).map(lambda g: call("sum", g))

    def tree_over(sums, depth):
        """A tree whose sum leaves are exactly `sums`."""
        grow = depth > 0 and draw(st.booleans())  # shrinks towards small trees
        if not grow and len(sums) <= 1:
            return sums[0] if sums else const(draw(constants))
        if unary and len(sums) <= 1 and draw(st.booleans()):
            return call(draw(st.sampled_from(unary)), tree_over(sums, depth - 1))
        half = 2 ** (depth - 1)  # the most sums a child can hold
        split = draw(st.integers(max(0, len(sums) - half), min(len(sums), half)))
        operator_symbol = draw(st.sampled_from(BINARY))
        return call(operator_symbol, tree_over(sums[:split], depth - 1), tree_over(sums[split:], depth - 1))

    n = draw(st.integers(*n_sums))
    return tree_over([draw(sum_leaf) for _ in range(n)], max_depth)


def _trees(leaf, depth, unary):
    if depth == 0:
        return leaf
    child = _trees(leaf, depth - 1, unary)
    branches = [st.builds(call, st.sampled_from(BINARY), child, child)]
    if unary:
        branches.append(st.builds(call, st.sampled_from(unary), child))
    return st.one_of(leaf, *branches)


@st.composite
def alloy_trees(draw, species=("Ni", "Al"), **atom_tree_options):
    """Formulas for data of `species`: each sum over all neighbours or those of one species, and one term for every
    atom, one per species, or one for every atom plus a species block (a per-species part, its branches holding
    sums or not) (atom_trees' options)."""
    def tagged(tree):
        if tree.op == "sum":
            return species_sum(tree.children[0], draw(st.sampled_from(("",) + species)))
        return Node(tree.op, tuple(tagged(child) for child in tree.children), tree.value)
    shape = draw(st.sampled_from(("one", "per species", "block")))
    if shape == "one":
        return tagged(draw(atom_trees(**atom_tree_options)))
    block = by_species({name: tagged(draw(atom_trees(**atom_tree_options))) for name in species})
    if shape == "per species":
        return block
    return call(draw(st.sampled_from(("+", "*"))), tagged(draw(atom_trees(**atom_tree_options))), block)
