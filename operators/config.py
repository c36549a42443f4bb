"""OperatorConfig: the primitive set, the size limits, random generation and the rates of the variation operators.

Depth counts edges: a lone leaf has depth 0, Sutton–Chen `sum(644.52*r^-9) - sum(527.62*r^-6)^0.5` has depth 5 and
15 nodes.
"""
from dataclasses import dataclass, field
import math

from ..expr import BINARY, PRIMITIVES, DEFAULT_PRIMITIVES, ExpressionError
from ..expr.tree import check_species
from ..settings import SettingError

VANISHING_PRIMITIVES = ("*", "/", "-", "exp")  # of the factor a nocut sum vanishes by (generate.vanishing)
MUTATIONS = ("point", "subtree", "hoist", "shrink", "insert", "constant", "wrap_in_sum", "unwrap", "embed", "shift",
             "power")


@dataclass(frozen=True)
class OperatorConfig:
    """Settings of random generation and variation; every tree an operator returns keeps the limits.

    Constants are drawn so that both exponents and prefactors appear: with `integer_constant_probability` a
    non-zero integer from `integer_constant_range`, else a magnitude log-uniform in `constant_magnitude_range` with
    a random sign (prefactors such as 0.01 or 644.5). The exponent of a power is drawn as one: a non-zero integer
    from `integer_constant_range` inside a sum (r^-12, r^-6), a real number from `atom_exponent_range` outside
    (the square root of Finnis–Sinclair). Zero is never drawn: it makes a term vanish and cannot be perturbed
    relatively.

    On data of several `species` (the search sets them from the data: no config key), every new sum runs over all
    neighbours or those of one species (drawn uniformly), a point mutation may retag a sum, and with `per_species`
    every species gets its own term (`Ni: T_Ni; Al: T_Al`; the limits hold for each term, and a variation changes
    one term or, with `copy_term_probability`, copies one species' term over another's: alloy terms often share
    their form). On one species nothing of this draws a random number: single-element searches are unchanged.

    With `three_body_probability` > 0 a new sum (random generation, subtree and wrap-in-sum mutation) is a sum3 with
    that chance, its leaves drawn from r, s, c and constants, and a point mutation may turn a sum into a sum3 or a
    sum3 whose h holds neither s nor c into a sum; crossover moves a subtree holding s or c only into a sum3. At 0
    (the default) none of this draws a random number: pair-only searches are unchanged.

    With `nocut_probability` > 0 a new sum of either kind is `nocut` (no smooth cutoff: the term must vanish at r_out
    by itself, as Stillinger–Weber's exp(γ/(r − a)) does, or the evaluator counts it invalid) with that chance, and a
    point mutation may switch a sum's cutoff off or on. At 0 (the default) this draws no random number. Knowing the
    search's cutoff `r_out` (SearchConfig sets it: no config key), a sum that becomes nocut gets a factor that
    vanishes there for each of its bonds (generate.vanishing): almost no random expression vanishes at r_out
    by itself, so without it nearly every nocut candidate is invalid.
    """
    species: tuple[str, ...] = field(default=(), metadata={"config_key": False})
    r_out: float | None = field(default=None, metadata={"config_key": False})  # Å: the cutoff nocut sums vanish at
    per_species: bool = False            # on data of several species: one term per species
    copy_term_probability: float = 0.1   # per-species terms: chance that a child is its parent with one species'
                                         # term copied over another's (tuning then refits its constants)
    primitives: tuple[str, ...] = DEFAULT_PRIMITIVES  # enabled symbols of expr.PRIMITIVES; at least one binary
    max_size: int = 30                 # nodes of a formula, constants included
    max_depth: int = 8                 # edges from the root to the deepest leaf
    max_sums: int = 3                  # sum(...) nodes of a formula (every formula has at least one)
    init_depth: tuple[int, int] = (2, 4)  # depth range of ramped half-and-half (full trees of depth 5 exceed 30 nodes)
    grow_leaf_probability: float = 0.3   # grow method: chance that a node above the depth limit is a leaf
    r_probability: float = 0.5           # chance that a new pair-level leaf is r (r, s or c in a sum3), not a constant
    three_body_probability: float = 0.0  # chance that a new sum is a three-body sum3(h(r, s, c)); 0: pair sums only
    nocut_probability: float = 0.0       # chance that a new sum has no smooth cutoff (nocut); 0: never
    integer_constant_probability: float = 0.5
    integer_constant_range: tuple[int, int] = (-12, 12)
    constant_magnitude_range: tuple[float, float] = (1e-3, 1e3)
    atom_exponent_range: tuple[float, float] = (-1.0, 2.0)
    crossover_probability: float = 0.5   # vary(): crossover with two parents, else one mutation by the weights below
    point_weight: float = 1.0            # swap an operator (same arity) or a leaf (same level)
    subtree_weight: float = 1.0          # replace a subtree by a fresh random one of its level
    hoist_weight: float = 0.5            # replace a formula (or a sum's expression) by one of its subtrees
    shrink_weight: float = 0.5           # replace a subtree by a leaf
    insert_weight: float = 1.0           # wrap a subtree in a new operator with a fresh leaf sibling
    constant_weight: float = 1.0         # multiply constants by (1 + constant_sigma·N(0, 1))
    wrap_in_sum_weight: float = 0.5      # turn an atom-level constant part c into sum(c*g), g fresh
    unwrap_weight: float = 0.5           # replace a sum by one of its r-free parts (formulas with ≥ 2 sums)
    embed_weight: float = 1.0            # embed an atom-level part holding a sum: S → S^q or S + S^q
    shift_weight: float = 0.0            # shift a variable: r → r − k, c → c − k (0: pair-only searches unchanged)
    power_weight: float = 0.0            # raise a part of a sum's expression to a fresh power: X → X^n (0: as above)
    constant_sigma: float = 0.1          # relative σ of constant perturbation (absolute σ for a zero constant)
    perturb_all_probability: float = 0.5  # constant perturbation: all constants at once rather than one

    def __post_init__(self):
        _require(isinstance(self.species, (tuple, list)), "species", "must be a sequence of chemical symbols")
        object.__setattr__(self, "species", tuple(self.species))
        _require(len(set(self.species)) == len(self.species), "species", f"has duplicates: {self.species}")
        for name in self.species:
            try:
                check_species(name)
            except ExpressionError as error:
                _require(False, "species", str(error))
        _require(self.r_out is None or (_is_real(self.r_out) and 0 < self.r_out < math.inf), "r_out",
                 f"must be a finite radius > 0 (Å) or None, got {self.r_out!r}")
        _require(isinstance(self.per_species, bool), "per_species", f"must be true or false, got {self.per_species!r}")
        _require(isinstance(self.primitives, (tuple, list)), "primitives", "must be a sequence of symbols")
        object.__setattr__(self, "primitives", tuple(self.primitives))
        for name in ("init_depth", "integer_constant_range", "constant_magnitude_range", "atom_exponent_range"):
            object.__setattr__(self, name, _pair(getattr(self, name), name))
        missing = [p for p in VANISHING_PRIMITIVES if p not in self.primitives]
        _require(not (self.nocut_probability and self.r_out and missing), "primitives",
                 f"needs {', '.join(missing)} for nocut sums (nocut_probability > 0): their factor "
                 "exp(k/(r - r_out)) is built from *, /, - and exp")
        unknown = [p for p in self.primitives if p not in PRIMITIVES]
        _require(not unknown, "primitives", f"unknown symbols {unknown} (known: {', '.join(PRIMITIVES)})")
        _require(len(set(self.primitives)) == len(self.primitives), "primitives", "has duplicates")
        _require(any(p in BINARY for p in self.primitives), "primitives", "needs at least one binary operator")
        _require(_is_int(self.max_size) and self.max_size >= 2, "max_size", "must be an integer >= 2 (sum(r))")
        _require(_is_int(self.max_depth) and self.max_depth >= 1, "max_depth", "must be an integer >= 1")
        _require(_is_int(self.max_sums) and self.max_sums >= 1, "max_sums", "must be an integer >= 1")
        low, high = self.init_depth
        _require(_is_int(low) and _is_int(high) and 1 <= low <= high <= self.max_depth, "init_depth",
                 f"must be integers 1 <= low <= high <= max_depth ({self.max_depth}), got {self.init_depth}")
        low, high = self.integer_constant_range
        _require(_is_int(low) and _is_int(high) and low <= high and (low, high) != (0, 0), "integer_constant_range",
                 f"must be integers low <= high with a non-zero value between, got {self.integer_constant_range}")
        low, high = self.constant_magnitude_range
        _require(_is_real(low) and _is_real(high) and 0 < low <= high < math.inf, "constant_magnitude_range",
                 f"must be finite 0 < low <= high, got {self.constant_magnitude_range}")
        low, high = self.atom_exponent_range
        _require(_is_real(low) and _is_real(high) and -math.inf < low <= high < math.inf, "atom_exponent_range",
                 f"must be finite low <= high, got {self.atom_exponent_range}")
        for name in ("copy_term_probability", "grow_leaf_probability", "r_probability", "three_body_probability",
                     "nocut_probability",
                     "integer_constant_probability", "crossover_probability", "perturb_all_probability"):
            value = getattr(self, name)
            _require(_is_real(value) and 0.0 <= value <= 1.0, name, f"must lie in [0, 1], got {value!r}")
        for name in MUTATIONS:
            weight = getattr(self, f"{name}_weight")
            _require(_is_real(weight) and 0.0 <= weight < math.inf, f"{name}_weight",
                     f"must be finite and >= 0, got {weight!r}")
        _require(sum(self.mutation_weights()) > 0, "*_weight", "(the mutation weights) must not all be 0")
        _require(_is_real(self.constant_sigma) and 0.0 < self.constant_sigma < math.inf, "constant_sigma",
                 f"must be finite and > 0, got {self.constant_sigma!r}")

    @property
    def alloy(self):
        """Whether formulas are drawn for several species (species tags, per-species terms)."""
        return len(self.species) > 1

    def mutation_weights(self):
        """The weights of MUTATIONS, in that order."""
        return [getattr(self, f"{name}_weight") for name in MUTATIONS]


def _require(condition, field, message):
    if not condition:
        raise SettingError("OperatorConfig", field, message)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _pair(value, field):
    _require(isinstance(value, (tuple, list)) and len(value) == 2, field, f"must be a (low, high) pair, got {value!r}")
    return tuple(value)
