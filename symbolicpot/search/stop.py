"""When a search stops: its stopping rules in one place, for the engine, the run driver and the progress line."""
from dataclasses import dataclass


@dataclass(frozen=True)
class StopRules:
    """The stopping rules of a SearchConfig: generations, wall-clock time limit (s), evaluations, target error."""
    generations: int
    time_limit: float | None = None
    max_evaluations: int | None = None
    target_error: float | None = None

    @classmethod
    def of(cls, config):
        return cls(config.generations, config.time_limit, config.max_evaluations, config.target_error)

    def reason(self, state, seconds=None):
        """Why the search is over after EngineState `state` (text such as "400 generations"), None while it goes on.
        `seconds`: the wall clock so far, if newer than `state.seconds`."""
        seconds = state.seconds if seconds is None else seconds
        if state.generation >= self.generations:
            return f"{self.generations} generations"
        if self.time_limit is not None and seconds >= self.time_limit:
            return f"time limit {format_duration(self.time_limit)}"
        if self.max_evaluations is not None and state.evaluations >= self.max_evaluations:
            return f"{self.max_evaluations} evaluations"
        if (self.target_error is not None and state.archive
                and min(ind.error for ind in state.archive) <= self.target_error):
            return f"target error {self.target_error}"
        return None

    def fraction(self, state, seconds, evaluations=None):
        """Share of the budget spent (0..1) by the rule closest to ending the search, at wall clock `seconds`
        (and `evaluations`, if more recent than the state's)."""
        evaluations = state.evaluations if evaluations is None else evaluations
        shares = [state.generation / self.generations]
        if self.time_limit is not None:
            shares.append(seconds / self.time_limit)
        if self.max_evaluations is not None:
            shares.append(evaluations / self.max_evaluations)
        return min(1.0, max(shares))


def format_duration(seconds):
    """Short text of a duration in seconds: "45s", "12m05s", "3h20m", "2d04h"."""
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
