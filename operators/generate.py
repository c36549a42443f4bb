"""Typed random formulas: grow / full trees, ramped half-and-half, and seeds parsed from text.

`full` trees split their sums evenly over the atom-level operators and fill every pair-level expression to the depth
limit; `grow` trees stop early at random. A drawn formula that breaks the size limit is drawn again, at a smaller
depth after a few tries.
"""
import functools
import math

from ..expr import (C, PRIMITIVES, R, S, Node, by_species, call, const, parse_expression, species_sum, species_terms,
                    walk)
from .limits import limit_violations, within_limits
from .paths import ATOM, BONDS, PAIR, TRIPLET

ATTEMPTS = 10
ANGULAR_ORDER = 4  # the highest power of an expression of c (cos θ) drawn: angular terms are low-order polynomials


def pick(rng, items):
    """A uniformly chosen element of the sequence `items`."""
    return items[rng.integers(len(items))]


def random_constant(rng, config):
    """A constant: a non-zero integer or a log-uniform magnitude with a random sign (prefactor-like)."""
    if rng.random() < config.integer_constant_probability:
        return _nonzero_integer(rng, config)
    low, high = config.constant_magnitude_range
    magnitude = math.exp(rng.uniform(math.log(low), math.log(high)))
    return const(magnitude if rng.random() < 0.5 else -magnitude)


def random_exponent(rng, config, level, base=None):
    """The exponent of a power at `level`: a non-zero integer from config.integer_constant_range inside a sum (r^-6,
    r^12), a real number from config.atom_exponent_range outside (the square root of a Finnis–Sinclair density); of
    a power of an expression of c (`base`, when known), an integer from 1 to ANGULAR_ORDER: a term of a polynomial
    in cos θ (a negative power is singular where its base crosses 0, at some angle for c − k with |k| < 1)."""
    if level == TRIPLET and base is not None and angular(base):
        return const(int(rng.integers(1, ANGULAR_ORDER + 1)))
    return const(rng.uniform(*config.atom_exponent_range)) if level == ATOM else _nonzero_integer(rng, config)


def angular(base):
    """Whether `base` is an expression of c (cos θ) inside a sum3's h (no sum in it): its powers are terms of a
    polynomial in cos θ, with integer exponents (a real power of c + 1/3 is undefined where the base is negative)."""
    ops = {n.op for n in walk(base)}
    return "c" in ops and not ops & set(BONDS)


def _nonzero_integer(rng, config):
    low, high = config.integer_constant_range
    value = 0
    while value == 0:  # the range holds a non-zero integer (checked by OperatorConfig)
        value = int(rng.integers(low, high + 1))
    return const(value)


def random_leaf(rng, config, level, exponent=False, base=None):
    """A leaf of `level`: r or a constant inside a sum, one of r, s, c (alike) or a constant inside a sum3, a constant
    outside; an exponent (random_exponent) when it is the exponent of a power (of `base`, when known)."""
    if exponent:
        return random_exponent(rng, config, level, base)
    if level == PAIR and rng.random() < config.r_probability:
        return R
    if level == TRIPLET and rng.random() < config.r_probability:
        return pick(rng, (R, S, C))
    return random_constant(rng, config)


def random_sum(rng, config, depth, full, factor=None, join="*"):
    """A new sum of a fresh expression of depth at most `depth` (random_pair_tree), joined to `factor` (an r-free
    expression) by `join` when given: with config.three_body_probability a sum3 of h(r, s, c), else a sum of g(r)
    over all neighbours or, on data of several species, those of one (each choice alike); with
    config.nocut_probability without the smooth cutoff."""
    three_body = config.three_body_probability > 0 and rng.random() < config.three_body_probability
    body = random_pair_tree(rng, config, depth, full, level=TRIPLET if three_body else PAIR)
    if factor is not None:
        body = call(join, factor, body)
    cut = not (config.nocut_probability > 0 and rng.random() < config.nocut_probability)
    if not cut:
        body = vanishing(rng, config, body, BONDS["sum3" if three_body else "sum"])
    if three_body:
        return Node("sum3", (body,), cut=cut)
    return species_sum(body, pick(rng, ("",) + config.species) if config.alloy else "", cut)


def vanishing(rng, config, body, bonds):
    """`body` times a factor exp(k/(b − r_out)) for each bond leaf b of `bonds` (R, S), one k for all, when
    config.r_out is known (else `body` itself): a nocut sum of it vanishes at r_out with every derivative, whatever
    `body` is (if finite there). k, the width of the fade-out, is drawn uniformly in [r_out/10, r_out] (Å); constant
    tuning moves k and holds the r_out written in the factor (held_constants)."""
    if config.r_out is None:
        return body
    k = const(config.r_out * rng.uniform(0.1, 1.0))
    factors = [call("exp", call("/", k, call("-", bond, const(config.r_out)))) for bond in bonds]
    return call("*", body, functools.reduce(lambda a, b: call("*", a, b), factors))


def held_constants(node, r_out, in_nocut=False):
    """Per constant of `node` (postfix order, as expr.constants): whether constant tuning and mutation hold it,
    because moving it would only make the formula invalid:
    - the cutoff r_out (Å) written in a nocut sum (as vanishing() writes it): the term would blow up a hair below
      r_out or not vanish a hair above;
    - an integer exponent of a power of an expression of c (cos θ, which takes both signs) inside a sum3:
      (c + 1/3)², a polynomial in c, has a negative base at some angles, where any real exponent is invalid."""
    if node.op == "const":
        return [in_nocut and node.value == r_out]
    in_nocut = in_nocut or (node.op in BONDS and not node.cut)
    held = [held_constants(child, r_out, in_nocut) for child in node.children]
    if node.op == "^" and node.children[1].op == "const" and float(node.children[1].value).is_integer():
        held[1] = [held[1][0] or angular(node.children[0])]
    return [flag for child in held for flag in child]


def random_pair_tree(rng, config, depth, full, exponent=False, level=PAIR, base=None):
    """An expression inside a sum (`level` PAIR: over r) or a sum3 (TRIPLET: over r, s, c) of depth at most `depth`,
    exactly `depth` along every branch with `full`; a leaf that is the `exponent` of a power (of `base`) is drawn as
    one."""
    if depth == 0 or (not full and rng.random() < config.grow_leaf_probability):
        return random_leaf(rng, config, level, exponent, base)
    op = pick(rng, config.primitives)
    children = []
    for k in range(PRIMITIVES[op].arity):
        power = op == "^" and k == 1
        children.append(random_pair_tree(rng, config, depth - 1, full, power, level, children[0] if power else None))
    return call(op, *children)


def sum_capacity(depth):
    """The most sums an atom-level tree of `depth` can hold (each sum needs depth 1 for itself and its leaf)."""
    return 2 ** (depth - 1) if depth >= 1 else 0


def random_atom_tree(rng, config, depth, full, n_sums, exponent=False):
    """An atom-level tree of depth at most `depth` holding exactly `n_sums` sums (at most sum_capacity(depth)).

    Its sum-free branches are constants (an exponent where it is the `exponent` of a power); `full` splits the sums
    evenly and fills the pair-level expressions.
    """
    if n_sums == 0:
        return random_leaf(rng, config, ATOM, exponent)
    if n_sums == 1 and (depth == 1 or full or rng.random() < config.grow_leaf_probability):
        return random_sum(rng, config, depth - 1, full)
    room = sum_capacity(depth - 1)  # the most sums one child can hold
    op = pick(rng, [p for p in config.primitives if PRIMITIVES[p].arity == 2 or room >= n_sums])
    if PRIMITIVES[op].arity == 1:
        return call(op, random_atom_tree(rng, config, depth - 1, full, n_sums))
    if full:
        left = (n_sums + int(rng.integers(2))) // 2
    else:
        left = int(rng.integers(max(0, n_sums - room), min(n_sums, room) + 1))
    return call(op, random_atom_tree(rng, config, depth - 1, full, left),
                random_atom_tree(rng, config, depth - 1, full, n_sums - left, op == "^"))


def random_formula(rng, config, depth=None, full=None):
    """A formula with 1..max_sums sums and depth at most `depth` (>= 1; default drawn from config.init_depth);
    with config.per_species on several species, one such term per species.

    `full` (default: a coin flip) chooses the full method over grow.
    """
    low, high = config.init_depth
    depth = min(config.max_depth, int(rng.integers(low, high + 1)) if depth is None else depth)
    full = bool(rng.random() < 0.5) if full is None else full
    if per_species(config):
        return by_species({name: _random_term(rng, config, depth, full) for name in config.species})
    return _random_term(rng, config, depth, full)


def _random_term(rng, config, depth, full):
    for depth in range(depth, 1, -1):
        for _ in range(ATTEMPTS):
            n_sums = int(rng.integers(1, min(config.max_sums, sum_capacity(depth)) + 1))
            tree = random_atom_tree(rng, config, depth, full, n_sums)
            if within_limits(tree, config):
                return tree
    return random_atom_tree(rng, config, 1, full, 1)  # sum(leaf) keeps every limit


def per_species(config):
    """Whether the formulas of `config` give each species its own term."""
    return config.per_species and config.alloy


def ramped_half_and_half(rng, config, n):
    """`n` random formulas, their depths cycling through config.init_depth, alternately full and grow."""
    low, high = config.init_depth
    return [random_formula(rng, config, low + (i // 2) % (high - low + 1), full=i % 2 == 0) for i in range(n)]


def seed_formulas(texts, config):
    """The formulas written in `texts` (known forms, a previous front), checked against the limits of `config`.

    With per-species terms, a formula for every atom becomes that term for each species. Raises expr.ParseError for
    text that is not a formula, ValueError naming the formula and the broken limit, the primitive that `config`
    does not enable, or the species blocks the search does not evolve.
    """
    seeds = []
    for text in texts:
        tree = parse_expression(text)
        terms = species_terms(tree)
        if per_species(config) and list(terms) == [""]:
            tree = by_species(dict.fromkeys(config.species, tree))
        disabled = sorted({node.op for node in walk(tree) if node.op in PRIMITIVES} - set(config.primitives))
        problems = limit_violations(tree, config) + [f"primitive {op!r} is not enabled" for op in disabled]
        if any(node.op == "species" for term in terms.values() for node in walk(term)):
            problems.append("the search evolves no species block inside a term")
        elif per_species(config) and list(terms) != [""] and set(terms) != set(config.species):
            problems.append(f"its terms are for {', '.join(terms)}, the data's species are "
                            f"{', '.join(config.species)}")
        elif not per_species(config) and list(terms) != [""]:
            problems.append("per-species terms need [operators] per_species = true (and data of several species)")
        if problems:
            raise ValueError(f"seed formula {text!r} does not fit the operator config: {'; '.join(problems)}")
        seeds.append(tree)
    return seeds
