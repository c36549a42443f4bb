"""Genetic operators over typed formulas: the operator config, random generation, crossover and mutations.

Every tree an operator returns passes `expr.check_typed` and keeps the limits of its OperatorConfig (size, depth,
1..max_sums sums). Randomness comes only from the `numpy.random.Generator` passed in, so a run is reproducible from
its seed and its state (`rng.bit_generator.state`, plain JSON) can be checkpointed. The primitive set itself lives
in `symbolicpot.expr.primitives`, which the evaluator and the parser share.
"""
from .config import MUTATIONS, OperatorConfig
from .generate import (held_constants, random_atom_tree, random_constant, random_exponent, random_formula,
                       random_leaf, random_pair_tree, ramped_half_and_half, seed_formulas, vanishing)
from .limits import limit_violations, measure, within_limits
from .paths import ATOM, PAIR, TRIPLET, Site, replace_at, sites
from .variation import (MUTATION_OPERATORS, constant_mutation, crossover, embed_mutation, hoist_mutation,
                        insert_mutation, point_mutation, power_mutation, shift_mutation, shrink_mutation,
                        subtree_mutation, unwrap_mutation, vary, wrap_in_sum_mutation)
