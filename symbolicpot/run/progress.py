"""The live progress line of `symbolicpot evolve` (tqdm, on stderr, only when stderr is a terminal).

    gen 120/300  40%|██▍ | 1.2e+03 evals/s · best E 4.75 meV/atom, F 0.15 eV/Å · front 14 · 2m31s elapsed, ~3m12s left

The bar shows the share of the budget spent by whichever stopping rule (generations, time limit, evaluations) is
closest to ending the run; the time left extrapolates this session's pace.
"""
import sys
import time

from tqdm import tqdm

from .config import format_duration

STEPS = 1000  # resolution of the bar


class Progress:
    def __init__(self, config, state, enabled=None, stream=None):
        """`config`: the SearchConfig; `state`: the EngineState the session starts from."""
        self.config, self.state, self.summary = config, state, ""
        stream = sys.stderr if stream is None else stream
        enabled = stream.isatty() if enabled is None else enabled
        self.session_start, self.start_fraction = time.monotonic(), self.fraction(state, state.seconds)
        self.bar = _Bar(total=STEPS, initial=round(self.start_fraction * STEPS), file=stream, disable=not enabled,
                        dynamic_ncols=True, bar_format="{desc} {percentage:3.0f}%|{bar}| {status}")
        self._draw(state.seconds)

    def fraction(self, state, seconds):
        """Share of the budget spent, by the stopping rule closest to ending the run (0..1)."""
        config = self.config
        shares = [state.generation / config.generations]
        if config.time_limit is not None:
            shares.append(seconds / config.time_limit)
        if config.max_evaluations is not None:
            shares.append(state.evaluations / config.max_evaluations)
        return min(1.0, max(shares))

    def epoch(self, state, entry):
        """Show the state after an epoch; `entry` is the log line of its last generation
        (symbolicpot.run.log.generation_entry)."""
        self.state = state
        energy, force = entry["best_train_energy_rmse_mev_per_atom"], entry["best_train_force_rmse_ev_per_a"]
        best = ", ".join(text for text in (energy is not None and f"E {energy:.3g} meV/atom",
                                           force is not None and f"F {force:.3g} eV/Å") if text)
        self.summary = f"{entry['evals_per_s']:.3g} evals/s · best {best or '-'} · front {entry['front_size']}"
        self._draw(state.seconds)

    def tick(self, seconds):
        """Refresh the clock during an epoch (`seconds`: the run's wall clock so far)."""
        self._draw(seconds)

    def close(self):
        self.bar.close()

    def _draw(self, seconds):
        if self.bar.disable:
            return
        fraction = self.fraction(self.state, seconds)
        done, session = fraction - self.start_fraction, time.monotonic() - self.session_start
        left = f", ~{format_duration((1 - fraction) * session / done)} left" if 0 < done and fraction < 1 else ""
        self.bar.n = round(fraction * STEPS)
        self.bar.set_description_str(f"gen {self.state.generation}/{self.config.generations}", refresh=False)
        clock = f"{format_duration(seconds)} elapsed{left}"
        self.bar.status = f"{self.summary} · {clock}" if self.summary else clock
        self.bar.refresh()


class _Bar(tqdm):
    """A tqdm bar with a free-text `status` field for bar_format (tqdm's own postfix starts with a comma)."""
    status = ""

    @property
    def format_dict(self):
        return {**super().format_dict, "status": self.status}
