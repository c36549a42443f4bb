"""The evolution: islands in parallel, ring migration, the all-time Pareto archive, the front.

The engine advances a generation at a time: every island evolves one generation (a pure step, see island.py, run
by an executor: this process, local processes or a Dask cluster, see executors.py), the driver takes the islands'
elites into the archive, and after every `migration_interval`-th generation migrants travel the ring. Every
generation is a complete state (a caller checkpoints, reports and stops between any two), and the same config and
seed give the same front whatever the executor and number of workers.
"""
from dataclasses import dataclass, replace
import time

import numpy as np

from ..cutoff import DEFAULT, Cutoff
from ..evaluate import Evaluator
from ..expr.tree import constants
from ..fitness import DEFAULT_COST_MODEL, CostModel, ErrorWeights, error_metrics
from ..operators import OperatorConfig
from ..properties.in_loop import PropertyTargets
from ..settings import SettingError
from .constants import TuningConfig
from .executors import local_workers, open_executor
from .island import IslandState, Problem, non_dominated, survivors
from .pareto import non_dominated_sort
from .stop import StopRules


@dataclass(frozen=True)
class SearchConfig:
    """Every setting of a search; the defaults suit POET-sized data on a workstation."""
    seed: int = 0
    islands: int = 2
    population: int = 40              # individuals per island
    immigrants: int = 4               # fresh random formulas per island and generation (diversity)
    tournament: int = 2
    generations: int = 30             # per island
    time_limit: float | None = None   # seconds of wall clock; see Search.done
    max_evaluations: int | None = None
    target_error: float | None = None  # stop once the best standardised training error is this low
    migration_interval: int = 5       # generations between migrations
    migrants: int = 2                 # best individuals sent to the next island of the ring at a migration
    workers: int = 1                  # local processes running islands without a scheduler (1: this process)
    scheduler: str | None = None      # Dask: "local:N" (a local cluster of N processes) or "tcp://HOST:PORT"
    screen_fraction: float = 0.25     # share of the training configurations constants are tuned on ...
    screen_atoms: int = 2000          # ... at most this many atoms of them (so tuning costs the same on any data size)
    r_in: float = DEFAULT.r_in        # Å, smooth cutoff
    r_out: float = DEFAULT.r_out
    seeds: tuple[str, ...] = ()       # formulas (text) placed in every island's initial population
    weights: ErrorWeights = ErrorWeights()
    group_weights: dict | None = None  # {training group name: weight > 0} of the error objective (fitness.Residuals)
    properties: PropertyTargets | None = None  # 0 K properties as a fourth objective (properties.in_loop)
    tuning: TuningConfig = TuningConfig()
    operators: OperatorConfig = OperatorConfig()
    cost: CostModel = DEFAULT_COST_MODEL

    def __post_init__(self):
        for name in ("islands", "population", "generations", "migration_interval", "workers", "tournament"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise SettingError("SearchConfig", name, f"must be an integer >= 1, got {value!r}")
        for name in ("immigrants", "migrants"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SettingError("SearchConfig", name, f"must be an integer >= 0, got {value!r}")
        if not isinstance(self.screen_atoms, int) or isinstance(self.screen_atoms, bool) or self.screen_atoms < 1:
            raise SettingError("SearchConfig", "screen_atoms", f"must be an integer >= 1, got {self.screen_atoms!r}")
        if not 0.0 < self.screen_fraction <= 1.0:
            raise SettingError("SearchConfig", "screen_fraction", f"must lie in (0, 1], got {self.screen_fraction!r}")
        Cutoff(self.r_in, self.r_out)  # raises for bad radii
        for name, weight in (self.group_weights or {}).items():
            if isinstance(weight, bool) or not (isinstance(weight, (int, float)) and 0 < weight < np.inf):
                raise SettingError("SearchConfig", "group_weights", f"{name!r} must be a number > 0, got {weight!r}")
        if self.scheduler is not None:
            try:
                local_workers(self.scheduler)
            except ValueError as error:
                raise SettingError("SearchConfig", "scheduler", str(error)) from None
        object.__setattr__(self, "seeds", tuple(self.seeds))
        # the operators draw nocut sums with factors that vanish at the search's cutoff
        object.__setattr__(self, "operators", replace(self.operators, r_out=self.r_out))


@dataclass(frozen=True)
class EngineState:
    """The whole search after a generation: islands, the all-time archive and counters."""
    islands: tuple
    archive: tuple = ()
    generation: int = 0
    evaluations: int = 0
    seconds: float = 0.0  # wall clock spent so far (not part of the result)


@dataclass(frozen=True)
class FrontModel:
    """One model of the Pareto front: the formula Σ_k c_k·T_k + b (text), its objectives and errors."""
    formula: str
    constants: list
    error: float
    cost: float
    complexity: int
    train: dict
    test: dict | None = None
    property_error: float | None = None  # see Individual
    properties: dict | None = None
    unphysical: str | None = None


class Search:
    """Runs a search generation by generation (so a caller can checkpoint, report progress and stop in between).

    `live` (search.live.Live) carries news of the generation under way and cancels it (Cancelled, from `step`).
    """

    def __init__(self, train, config, test=None):
        config = with_data_species(config, train)
        self.train, self.config, self.test = train, config, test
        unknown = sorted(set(config.group_weights or {}) - set(train.group_names))
        if unknown:
            raise ValueError(f"group weights ([data] weights): no training group is named {', '.join(unknown)} "
                             f"(the groups: {', '.join(train.group_names)})")
        self._problem = Problem(train, config)
        self._test = Evaluator(test, Cutoff(config.r_in, config.r_out)) if test is not None else None
        self._metrics = {}  # model text -> (train, test) error metrics: archived models persist across generations
        self._executor = open_executor(self._problem, train, config)
        self.live = self._executor.live
        self.stop = StopRules.of(config)

    def initial_state(self):
        streams = np.random.SeedSequence(self.config.seed).spawn(self.config.islands)
        return EngineState(tuple(IslandState(rng_state=np.random.default_rng(s).bit_generator.state)
                                 for s in streams))

    def step(self, state):
        """The EngineState one generation later: every island evolves a generation, the archive takes in their
        elites, and after every `migration_interval`-th generation migrants travel the ring. `seconds` grows by the
        wall clock of the step."""
        start = time.perf_counter()
        self.live.start()
        islands = self._executor.map(state.islands)
        elites = [ind for island in islands for ind in non_dominated(list(island.population))]
        if self.config.properties is not None:  # every archived model's physics is known, and right
            elites = [ind for ind in map(self._problem.with_properties, elites) if ind.unphysical is None]
        generation = state.generation + 1
        if generation % self.config.migration_interval == 0:
            islands = migrate(list(islands), self.config.migrants, self.config.population)
        return EngineState(tuple(islands), tuple(pareto_archive(list(state.archive) + elites)), generation,
                           sum(island.evaluations for island in islands),
                           state.seconds + time.perf_counter() - start)

    def done(self, state):
        return self.stop.reason(state) is not None

    def front(self, state):
        """The archive of `state` (an EngineState) as FrontModels, lowest error first, with train (and
        test) error metrics (computed once per model)."""
        models = []
        for ind in sorted(state.archive, key=lambda ind: ind.objectives):
            model = ind.model
            if ind.key not in self._metrics:
                self._metrics[ind.key] = (valid_metrics(self._problem.train(model), self.train),
                                          valid_metrics(self._test(model), self.test) if self._test else None)
            models.append(FrontModel(ind.key, constants(model), ind.error, ind.cost, ind.complexity,
                                     *self._metrics[ind.key], ind.property_error, ind.properties, ind.unphysical))
        return models

    def close(self):
        self._executor.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def with_data_species(config, train):
    """`config` with the training data's species in its operators (they draw sums and terms for them); species
    the config lists ([data] species) keep their order and must be exactly the data's."""
    listed = config.operators.species
    if listed and set(listed) != set(train.species):
        raise ValueError(f"[data] species: {', '.join(listed)}, but the training data hold {', '.join(train.species)}")
    return replace(config, operators=replace(config.operators, species=listed or train.species))


def valid_metrics(prediction, dataset):
    """error_metrics of `prediction` on `dataset`, every error None when the model gives non-finite values there
    (a model valid on the training data may overflow on test structures: its test errors are unknown, not small)."""
    metrics = error_metrics(prediction, dataset)
    return metrics if prediction.ok else {key: value if key.startswith("n_") else None
                                          for key, value in metrics.items()}


def search(train, config, test=None, progress=None):
    """Run a whole search on `train` (a Dataset) and return its front (list of FrontModel).

    `progress(state)` is called after every generation.
    """
    with Search(train, config, test) as engine:
        state = engine.initial_state()
        while not engine.done(state):
            state = engine.step(state)
            if progress:
                progress(state)
        return engine.front(state)


ARCHIVE_DIGITS = 4  # significant digits of the error by which the archive tells models apart


def pareto_archive(candidates):
    """The non-dominated individuals among `candidates`, ordered by objectives, with errors compared to
    ARCHIVE_DIGITS significant digits: a variant of a model that is only larger or costlier for an error within a
    few parts in 10⁴ is not a new model, and of several with equal such objectives the first (by exact objectives,
    then text) stays."""
    distinct = {}
    for ind in sorted(candidates, key=lambda ind: (ind.objectives, ind.key)):
        distinct.setdefault(_rounded(ind.objectives), ind)
    kept = list(distinct.values())
    if not kept:
        return []
    front = non_dominated_sort(np.array([_rounded(ind.objectives) for ind in kept]))[0]
    return [kept[i] for i in sorted(front)]


def _rounded(objectives):
    error, *others = objectives
    return (float(f"{error:.{ARCHIVE_DIGITS}g}"), *others)


def migrate(islands, migrants, population):
    """Ring migration: island k receives the `migrants` best of island k-1 (by NSGA-II) in place of its worst."""
    if migrants == 0 or len(islands) < 2:
        return islands
    best = [survivors(list(island.population), migrants) for island in islands]
    return [IslandState(tuple(survivors(list(island.population) + best[k - 1], population)),
                        island.rng_state, island.generation, island.evaluations, island.tuned)
            for k, island in enumerate(islands)]
