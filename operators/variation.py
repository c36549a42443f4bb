"""Crossover and mutations of typed formulas, and `vary`, which picks one of them by the configured rates.

Every operator returns a valid formula within the limits of its config: it tries a few times to make a new one and
otherwise returns the parent itself (trees are immutable, so the parent stands for its copy). Randomness comes only
from the `numpy.random.Generator` passed in.
"""
import functools

from ..expr import (BINARY, PRIMITIVES, Node, by_species, call, constants, species_sum, species_terms, walk,
                    with_constants)
from .config import MUTATIONS
from .generate import (held_constants, per_species, pick, random_atom_tree, random_constant, random_exponent,
                       random_leaf, random_pair_tree, random_sum, sum_capacity, vanishing)
from .limits import within_limits
from .paths import ATOM, BONDS, SUMS, VARIABLES, fits, pair_root, replace_at, sites, sum_count

ATTEMPTS = 10


def _retried(attempt):
    """The operator that calls `attempt` until it gives a new child within the limits, at most ATTEMPTS times, and
    returns the parent otherwise. `attempt` returns None when the operator cannot apply to the parent at all."""
    @functools.wraps(attempt)
    def operator(rng, *parents_and_config):
        parent, config = parents_and_config[0], parents_and_config[-1]
        for _ in range(ATTEMPTS):
            child = attempt(rng, *parents_and_config)
            if child is None:
                break
            if child != parent and within_limits(child, config):
                return child
        return parent
    return operator


def _fresh_depth(rng, config, path, reserved=0):
    """A depth for a fresh subtree at `path` under `reserved` new nodes: at most the initial depth and what is left."""
    room = min(config.max_depth - len(path) - reserved, config.init_depth[1])
    return int(rng.integers(0, max(room, 0) + 1))


@_retried
def crossover(rng, a, b, config):
    """A copy of `a` with one subtree replaced by a subtree of `b` that fits its level (paths.fits: a sum travels
    whole, a subtree holding s or c only into a sum3)."""
    target = pick(rng, sites(a))
    donors = [site.node for site in sites(b) if fits(site.node, site.level, target.level)]
    return replace_at(a, target.path, pick(rng, donors)) if donors else a  # none: b's sums hold only s or c


@_retried
def point_mutation(rng, tree, config):
    """Swap one operator for another enabled one of the same arity, or one leaf for a fresh leaf of its level; on
    data of several species, or a sum's neighbours for other ones; with three-body sums, a sum for a sum3 of the same
    expression, or a sum3 whose expression holds neither s nor c for a sum (on data of several species, over the
    neighbours of any one or all); with `nocut_probability`, a sum's smooth cutoff switched off or on. A sum that
    becomes nocut, or a nocut sum that becomes a sum3, gets the vanishing factor (generate.vanishing) of each bond
    that is new to it."""
    three_body, nocut = config.three_body_probability > 0, config.nocut_probability > 0
    site = pick(rng, [site for site in sites(tree) if site.node.op not in SUMS or config.alloy or three_body or nocut])
    node = site.node
    if node.op in SUMS:
        body = node.children[0]
        neighbours = ("",) + (config.species if config.alloy else ())  # one species: all neighbours, untagged
        kinds = [("sum", s, node.cut) for s in neighbours if node.op == "sum3" or s != node.species]
        kinds = [kind for kind in kinds if fits(body, SUMS[node.op], SUMS[kind[0]])]
        if three_body and node.op == "sum":
            kinds.append(("sum3", "", node.cut))
        if nocut:
            kinds.append((node.op, node.species, not node.cut))
        op, species, cut = pick(rng, kinds) if kinds else (node.op, node.species, node.cut)
        new_bonds = BONDS[op] if node.cut else BONDS[op][len(BONDS[node.op]):]  # those without a vanishing factor
        if not cut and new_bonds:
            body = vanishing(rng, config, body, new_bonds)
        return replace_at(tree, site.path, Node(op, (body,), species=species, cut=cut))
    if not node.children:
        return replace_at(tree, site.path, random_leaf(rng, config, site.level, site.exponent))
    others = [p for p in config.primitives if PRIMITIVES[p].arity == len(node.children) and p != node.op]
    return replace_at(tree, site.path, Node(pick(rng, others), node.children)) if others else tree


@_retried
def subtree_mutation(rng, tree, config):
    """Replace a subtree by a fresh (grow) subtree of its level; the formula keeps 1..max_sums sums."""
    site = pick(rng, sites(tree))
    depth = _fresh_depth(rng, config, site.path)
    if site.level != ATOM:
        return replace_at(tree, site.path, random_pair_tree(rng, config, depth, False, site.exponent, site.level))
    outside = sum_count(tree) - sum_count(site.node)
    low, high = int(outside == 0), min(config.max_sums - outside, sum_capacity(depth))
    if low > high:
        return tree
    n_sums = int(rng.integers(low, high + 1))
    return replace_at(tree, site.path, random_atom_tree(rng, config, depth, False, n_sums, site.exponent))


@_retried
def hoist_mutation(rng, tree, config):
    """Replace the formula by one of its atom-level subtrees that holds a sum, or the expression of a sum by one of
    its subtrees."""
    site = pick(rng, sites(tree)[1:])
    if site.level == ATOM:
        return site.node
    return replace_at(tree, pair_root(tree, site.path), site.node)


@_retried
def shrink_mutation(rng, tree, config):
    """Replace a subtree (not a leaf) by a fresh leaf of its level."""
    site = pick(rng, [site for site in sites(tree) if site.node.children])
    return replace_at(tree, site.path, random_leaf(rng, config, site.level, site.exponent))


@_retried
def insert_mutation(rng, tree, config):
    """Wrap a subtree in a new enabled operator; a binary one gets a fresh leaf of the same level as other operand."""
    site = pick(rng, sites(tree))
    op = pick(rng, config.primitives)
    if PRIMITIVES[op].arity == 1:
        return replace_at(tree, site.path, call(op, site.node))
    leaf_first = bool(rng.random() < 0.5)
    leaf = random_leaf(rng, config, site.level, op == "^" and not leaf_first, site.node)
    return replace_at(tree, site.path, call(op, *((leaf, site.node) if leaf_first else (site.node, leaf))))


@_retried
def constant_mutation(rng, tree, config):
    """Multiply one constant (all, with config.perturb_all_probability) by 1 + σ·N(0, 1); a zero gets σ·N(0, 1).
    Constants that tuning holds (generate.held_constants) stay."""
    values = constants(tree)
    movable = [k for k, held in enumerate(held_constants(tree, config.r_out)) if not held]
    if not movable:
        return None
    if rng.random() < config.perturb_all_probability:
        chosen = movable
    else:
        chosen = [movable[int(rng.integers(len(movable)))]]
    for index in chosen:
        noise = config.constant_sigma * float(rng.normal())
        values[index] = values[index] * (1.0 + noise) if values[index] != 0.0 else noise
    return with_constants(tree, values)


@_retried
def wrap_in_sum_mutation(rng, tree, config):
    """Turn a sum-free atom-level part c (a constant, or an expression of constants) into sum(c*g) with a fresh g
    (another enabled binary operator than * when * is off)."""
    candidates = [site for site in sites(tree) if site.level == ATOM and not sum_count(site.node)]
    if not candidates:
        return None
    site = pick(rng, candidates)
    join = "*" if "*" in config.primitives else pick(rng, [p for p in config.primitives if p in BINARY])
    depth = _fresh_depth(rng, config, site.path, reserved=2)
    return replace_at(tree, site.path, random_sum(rng, config, depth, False, site.node, join))


@_retried
def unwrap_mutation(rng, tree, config):
    """Replace one of two or more sums (of either kind) by a part of its expression free of r, s and c (such as one
    of its constants), or by a fresh constant when it has none."""
    sum_sites = [site for site in sites(tree) if site.node.op in SUMS]
    if len(sum_sites) < 2:
        return None
    site = pick(rng, sum_sites)
    parts = [node for node in walk(site.node.children[0]) if all(n.op not in VARIABLES for n in walk(node))]
    return replace_at(tree, site.path, pick(rng, parts) if parts else random_constant(rng, config))


@_retried
def embed_mutation(rng, tree, config):
    """Embed an atom-level part X that holds a sum (a sum, say) with a fresh exponent q (random_exponent): X → X^q,
    or, half of the time, X → X + X^q, a pair term beside the embedding of its density as in Finnis–Sinclair and
    Sutton–Chen (constant tuning then moves the two copies' constants apart). Needs ^ (and + for the second form)."""
    if "^" not in config.primitives:
        return None
    site = pick(rng, [site for site in sites(tree) if site.level == ATOM and sum_count(site.node)])
    embedded = call("^", site.node, random_exponent(rng, config, ATOM))
    if "+" in config.primitives and rng.random() < 0.5:
        embedded = call("+", site.node, embedded)
    return replace_at(tree, site.path, embedded)


@_retried
def shift_mutation(rng, tree, config):
    """Shift one variable leaf v (r, s or c) by a fresh constant k: v → v − k (v + k when − is off; needs one of
    them). Forms are often functions of a shifted argument: r − r0 in Morse's exponential, r − a in
    Stillinger–Weber's, cos θ + 1/3 in its angular term; a point mutation or an insertion reaches them rarely (a
    leaf and an operator drawn at once)."""
    join = next((op for op in ("-", "+") if op in config.primitives), None)
    leaves = [site for site in sites(tree) if site.node.op in VARIABLES]
    if join is None or not leaves:
        return None
    site = pick(rng, leaves)
    return replace_at(tree, site.path, call(join, site.node, random_constant(rng, config)))


@_retried
def power_mutation(rng, tree, config):
    """Raise a part X of a sum's expression (not an exponent) to a fresh exponent n of its level (random_exponent:
    1 to 4 for an expression of c, a polynomial term): X → X^n. Inside sums, where embed does not reach, this is
    the one way to a power of an existing part other than an insertion that draws ^ and an exponent together
    (SW's (c + 1/3)² from c + 1/3). Needs ^."""
    parts = [site for site in sites(tree) if site.level != ATOM and not site.exponent]
    if "^" not in config.primitives or not parts:
        return None
    site = pick(rng, parts)
    return replace_at(tree, site.path, call("^", site.node, random_exponent(rng, config, site.level, site.node)))


MUTATION_OPERATORS = {"point": point_mutation, "subtree": subtree_mutation, "hoist": hoist_mutation,
                      "shrink": shrink_mutation, "insert": insert_mutation, "constant": constant_mutation,
                      "wrap_in_sum": wrap_in_sum_mutation, "unwrap": unwrap_mutation, "embed": embed_mutation,
                      "shift": shift_mutation, "power": power_mutation}
assert tuple(MUTATION_OPERATORS) == MUTATIONS


def vary(rng, parents, config):
    """A child of `parents` (a sequence of one or two formulas): with config.crossover_probability, when there are
    two, their crossover; else a mutation of the first, chosen by the mutation weights of `config`. With per-species
    terms, one species' term of the first parent varies (a crossover takes its donor from any term of the second),
    or, with config.copy_term_probability, the child is the first parent with one species' term copied over another
    species' (a form found for one species is tried for the others; tuning refits its constants).

    When the chosen operator finds nothing to change (no atom-level constant to wrap in a sum, say), the choice is
    drawn again, up to ATTEMPTS times; then the first parent itself is returned.
    """
    if not per_species(config):
        return _vary_term(rng, parents, config)
    terms = species_terms(parents[0])
    if rng.random() < config.copy_term_probability:
        return _copy_term(rng, terms)
    name = pick(rng, list(terms))
    donors = [pick(rng, list(species_terms(parents[1]).values()))] if len(parents) > 1 else []
    return by_species({**terms, name: _vary_term(rng, [terms[name], *donors], config)})


def _copy_term(rng, terms):
    """The formula of per-species `terms` ({species: term}) with the term of one species copied over a different
    one of another species; the formula itself when all terms are the same."""
    names = list(terms)
    source = pick(rng, names)
    targets = [name for name in names if terms[name] != terms[source]]
    if not targets:
        return by_species(terms)
    return by_species({**terms, pick(rng, targets): terms[source]})


def _vary_term(rng, parents, config):
    weights = config.mutation_weights()
    probabilities = [weight / sum(weights) for weight in weights]
    for _ in range(ATTEMPTS):
        if len(parents) > 1 and rng.random() < config.crossover_probability:
            child = crossover(rng, parents[0], parents[1], config)
        else:
            name = MUTATIONS[int(rng.choice(len(MUTATIONS), p=probabilities))]
            child = MUTATION_OPERATORS[name](rng, parents[0], config)
        if child != parents[0]:
            return child
    return parents[0]
