"""One island of the evolution as a pure step: (island state, problem) -> the island one generation later.

Nothing here reads a clock or a global random state, so a step gives the same result in any process, in any
order, on any machine with the same floating point: the engine may run islands in a process pool (or, later, on
a cluster) and the front stays the same.
"""
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from ..data import Dataset
from ..evaluate import Cutoff, EvaluationCounter, Evaluator
from ..evaluate.calculator import FormulaCalculator
from ..expr import constants, format_expression, node_count, structural_hash, with_constants
from ..fitness import Residuals
from ..operators import ramped_half_and_half, seed_formulas, vary
from ..properties.in_loop import loop_properties
from .constants import linear_model, tune
from .pareto import non_dominated_sort, rank_and_crowding, select_survivors

PROPERTY_CACHE = 1024  # models whose 0 K properties a Problem remembers (least recently used forgotten first)


@dataclass(frozen=True)
class Individual:
    """An evolved term T with its tuned model Σ_k c_k·T_k + b (constants.linear_model) and its objectives (all
    minimised)."""
    term: object           # Node: the evolved term T, tuned constants written back
    coefficients: tuple    # c_k, one per additive part of T that holds a sum
    shift: float | dict    # b, eV/atom; {species: eV/atom} on data of several species
    error: float | None    # standardised weighted RMS error (√ of the error objective) on all the training data;
                           # None until the island finds it may enter the archive (Problem.with_full_errors)
    cost: float            # estimated evaluation cost, ns per atom (fitness.cost)
    complexity: int        # nodes of T, constants included
    screen_error: float    # the same error on the screening subset its constants were tuned on (selection)
    age: int = 0           # generations its oldest material has lived (fresh formulas 0; a child its older parent's)
    property_error: float | None = None  # PropertyTargets.error of its 0 K properties; None: not computed/unphysical
    properties: dict | None = None       # {property name: value} when computed (properties.in_loop)
    unphysical: str | None = None        # why its physics is wrong (a crystal that does not bind, ...), or None

    def __post_init__(self):
        object.__setattr__(self, "coefficients", tuple(self.coefficients))  # a checkpoint gives a list

    @property
    def model(self):
        return linear_model(self.term, self.coefficients, self.shift)

    @property
    def property_objective(self):
        """The property error, inf when it is not known (not computed, no [properties], or unphysical): within an
        island a model without known physics never dominates one with it. (The archive takes in physical models
        only: Search.step.)"""
        return np.inf if self.property_error is None else self.property_error

    @property
    def objectives(self):
        """(error, cost, complexity, property objective): the archive's Pareto objectives (the last is inf for
        every model of a search without properties, and then changes nothing); only for an individual scored on
        all the training data."""
        return (self.error, self.cost, float(self.complexity), self.property_objective)

    @property
    def screen_objectives(self):
        """The archive's objectives with the screening error in place of the full one: which individuals of an
        island may enter the archive."""
        return (self.screen_error, self.cost, float(self.complexity), self.property_objective)

    @property
    def selection_objectives(self):
        """Objectives of survival within an island: age joins the screening error, complexity and the property
        objective (age-fitness Pareto, Schmidt & Lipson 2011), so young formulas are not eliminated by old,
        well-tuned ones before they mature."""
        return (self.screen_error, float(self.complexity), float(self.age), self.property_objective)

    @cached_property
    def key(self):
        """Identity for duplicate elimination: the model's exact text (formatted once)."""
        return format_expression(self.model)


@dataclass(frozen=True)
class IslandState:
    """Everything an island carries between steps; `rng_state` is numpy's bit-generator state (JSON-able)."""
    population: tuple = ()
    rng_state: dict = field(default_factory=dict)
    generation: int = 0
    evaluations: int = 0
    tuned: dict = field(default_factory=dict)  # structural hash -> [screening objective, T's constants, c_k, b_s]


class Problem:
    """What an island needs to score formulas: the training data (a screening subset for tuning) and settings."""

    def __init__(self, train: Dataset, config):
        self.config = config
        self.species = config.operators.species or train.species  # the order of per-species references and terms
        self.cutoff, self.counter = Cutoff(config.r_in, config.r_out), EvaluationCounter()
        screen = train.subset(screening_configs(train, config.screen_fraction, config.screen_atoms))
        self.train = Evaluator(train, self.cutoff, self.counter)
        self.screen = Evaluator(screen, self.cutoff, self.counter, partial=True)
        self.train_residuals = Residuals(train, config.weights, config.group_weights, self.species)
        self.screen_residuals = Residuals(screen, config.weights, config.group_weights, self.species)
        # the cost model priced at the training data's neighbours per atom: a sum costs n of its pairs, a sum3
        # O(n²) (fitness.cost), so their ratio depends on the material and cutoff (4 neighbours in silicon at 3.8 Å,
        # 43 in copper at 5 Å), not on where the model's coefficients were measured
        self.cost = replace(config.cost, neighbours=self.train.mean_neighbours)
        self._properties = {}  # model text -> LoopProperties, the PROPERTY_CACHE used last (a pure function's cache)

    @property
    def evaluations(self):
        """Formula evaluations so far (a batched call of M constant vectors counts M)."""
        return self.counter.count

    def score(self, term, rng, tuned, age=0, property_screen=np.inf):
        """The Individual of `term` after constant tuning, or None; with [properties], its 0 K properties when its
        error is at most `property_screen`.

        `tuned` keeps the best tuning of each structure. A term with the constants of its structure's best tuning
        reuses it; a term of a known structure with other constants (after a constant mutation, say) is tuned again
        from them and the better tuning kept: a fresh start of the local search that never loses what was found.
        The cache holds the `cache_size` structures used last (its order is the order of last use; part of the
        island's state, so the bound keeps checkpoints and the states sent to workers small).
        """
        key, values = structural_hash(term), constants(term)
        n, best = len(values), tuned.pop(key, None)
        if best is None or best[1:n + 1] != values:
            result = tune(self.screen, self.screen_residuals, term, rng, self.config.tuning)
            if result is not None and (best is None or result.objective < best[0]):
                shifts = [result.shift[name] for name in self.species] if len(self.species) > 1 else [result.shift]
                best = [result.objective, *constants(result.term), *result.coefficients, *shifts]
        if best is None:
            return None
        tuned[key] = best
        if len(tuned) > self.config.tuning.cache_size:
            del tuned[next(iter(tuned))]  # the least recently used
        n_shifts = len(self.species)
        term, coefficients, shifts = with_constants(term, best[1:n + 1]), best[n + 1:-n_shifts], best[-n_shifts:]
        shift = dict(zip(self.species, shifts)) if n_shifts > 1 else shifts[0]
        individual = Individual(term, coefficients, shift, None, self.cost.cost(term), node_count(term),
                                float(np.sqrt(best[0])), age)
        return self.with_properties(individual) if individual.screen_error <= property_screen else individual

    def with_full_errors(self, population):
        """`population` (a list of Individuals) with the error on all the training data of every individual that may
        enter the archive: those no other one dominates by `screen_objectives`. Only they are scored on all the data
        (the rest of a generation's candidates cost their tuning on the screen alone); one invalid there (or so far
        off that Σ r² overflows) is left out."""
        if not population:
            return []
        candidates = set(non_dominated_sort(np.array([ind.screen_objectives for ind in population]))[0])
        scored = []
        for k, ind in enumerate(population):
            if k in candidates and ind.error is None:
                error = np.sqrt(self.train_residuals.objective(self.train(ind.model)))
                if not np.isfinite(error):
                    continue
                ind = replace(ind, error=float(error))
            scored.append(ind)
        return scored

    def with_properties(self, individual):
        """The Individual with its 0 K properties ([properties]; cached by model text), as it is without them."""
        if self.config.properties is None or individual.properties is not None:
            return individual
        found = self._properties.pop(individual.key, None)
        if found is None:
            found = loop_properties(FormulaCalculator(individual.model, self.cutoff), self.config.properties)
        self._properties[individual.key] = found
        if len(self._properties) > PROPERTY_CACHE:
            del self._properties[next(iter(self._properties))]
        return replace(individual, property_error=found.error, properties=found.values, unphysical=found.unphysical)


def screening_configs(train, fraction, max_atoms):
    """Indices of the configurations constants are tuned on: `fraction` of them, at most `max_atoms` atoms (at least
    one configuration), spread evenly over the data set's order (and so over its groups, which lie in order); plus,
    for each species they hold no atom of, the first configuration that does (its energy reference and terms are
    tuned too)."""
    def evenly(n):
        return np.linspace(0, train.n_configs - 1, n).round().astype(int)
    n = max(1, min(train.n_configs, round(fraction * train.n_configs)))
    while n > 1 and train.n_atoms[evenly(n)].sum() > max_atoms:
        n = max(1, min(n - 1, int(n * max_atoms / train.n_atoms[evenly(n)].sum())))
    picked = list(evenly(n))
    config_of_atom = np.repeat(np.arange(train.n_configs), train.n_atoms)
    for s in range(len(train.species)):
        holding = config_of_atom[train.atom_species == s]
        if not np.isin(holding, picked).any():
            picked.append(int(holding[0]))
    return np.array(sorted(picked))


def evolve(state, problem, watch=None):
    """The island after one more generation (the first step also draws the initial population).

    `watch(evaluations, error=None)`, if given, is called after every formula evaluation with the island's
    evaluations so far, and after every scored candidate with its error too (None if invalid); it may raise to
    abandon the step (see live.py).
    """
    config = problem.config
    rng = np.random.default_rng()
    rng.bit_generator.state = state.rng_state
    tuned = dict(state.tuned)
    start = problem.evaluations

    def evaluations():
        return state.evaluations + problem.evaluations - start

    # [properties]: computed for candidates within `screen` × the population's best screening error (all of a first
    # population)
    best = min((ind.screen_error for ind in state.population), default=np.inf)
    property_screen = np.inf if config.properties is None else config.properties.screen * best

    def score(term, age=0):
        individual = problem.score(term, rng, tuned, age, property_screen)
        if watch is not None:
            watch(evaluations(), None if individual is None else individual.screen_error)
        return individual

    problem.counter.hook = None if watch is None else lambda count: watch(evaluations())
    try:
        population = list(state.population) or _initial_population(rng, problem, score)
        rank, crowding = rank_and_crowding(np.array([ind.selection_objectives for ind in population]))
        children = []
        for _ in range(config.population):
            parents = [population[_tournament(rng, rank, crowding, config.tournament)] for _ in range(2)]
            term = vary(rng, [parent.term for parent in parents], config.operators)
            children.append(score(term, max(parent.age for parent in parents)))
        immigrants = [score(t) for t in ramped_half_and_half(rng, config.operators, config.immigrants)]
        population = problem.with_full_errors(survivors(population + children + immigrants, config.population))
    finally:
        problem.counter.hook = None
    population = [replace(ind, age=ind.age + 1) for ind in population]
    return IslandState(tuple(population), rng.bit_generator.state, state.generation + 1, evaluations(), tuned)


def non_dominated(individuals):
    """The individuals (a list) scored on all the training data that no other one dominates by
    `Individual.objectives`, in their order."""
    individuals = [ind for ind in individuals if ind.error is not None]
    if not individuals:
        return []
    first = non_dominated_sort(np.array([ind.objectives for ind in individuals]))[0]
    return [individuals[i] for i in first]


def survivors(candidates, n):
    """The n best distinct valid individuals by NSGA-II on the selection objectives (in a deterministic order);
    of duplicates the youngest stays."""
    unique = {}
    for ind in sorted((ind for ind in candidates if ind is not None), key=lambda ind: -ind.age):
        unique[ind.key] = ind
    unique = list(unique.values())
    keep = select_survivors(np.array([ind.selection_objectives for ind in unique]), n)
    return [unique[i] for i in sorted(keep)]


def _initial_population(rng, problem, score):
    """Seeds (given formulas) plus random formulas by ramped half-and-half, redrawn until enough are valid."""
    config = problem.config
    population = [score(t) for t in seed_formulas(config.seeds, config.operators)]
    for _ in range(20):
        valid = [ind for ind in population if ind is not None]
        if len(valid) >= config.population:
            break
        population = valid + [score(t) for t in ramped_half_and_half(rng, config.operators,
                                                                      config.population - len(valid))]
    return survivors(population, config.population)


def _tournament(rng, rank, crowding, size):
    """Index of the winner of a tournament of `size` by (front rank, then crowding distance)."""
    entrants = rng.integers(len(rank), size=size)
    return min(entrants, key=lambda i: (rank[i], -crowding[i], i))
