"""The live progress of `symbolicpot evolve` on stderr.

On a terminal, a line redrawn every second (tqdm):

    gen 120/300  40%|██▍ | 1.2e+03 evals/s · best E 4.75 meV/atom, F 0.15 eV/Å · front 14 · gen 121: 35 evals, best 0.012 · 2m31s elapsed, ~3m12s left

Elsewhere (a batch job's log file), the same text as a plain line at most every PLAIN_SECONDS while anything moves.
The part after the front size is the news of the generation under way (its evaluations so far and the best
standardised screening error it has scored), so the line moves even when one generation takes minutes. The bar shows the
share of the budget spent by whichever stopping rule is closest to ending the run; the time left extrapolates this
session's pace.
"""
import sys
import time

from tqdm import tqdm

from ..search.stop import format_duration

STEPS = 1000  # resolution of the bar
PLAIN_SECONDS = 10.0


class Progress:
    def __init__(self, stop, generations, state, enabled=None, stream=None):
        """`stop`: the search's StopRules; `generations`: its generation budget; `state`: the EngineState the session
        starts from. `enabled`: True (a bar, even off a terminal), False (nothing) or None (a bar on a terminal,
        plain lines elsewhere)."""
        self.stop, self.generations, self.state, self.summary, self.news = stop, generations, state, "", ""
        self.stream = sys.stderr if stream is None else stream
        self.plain = enabled is None and not self.stream.isatty()
        self.session_start, self.start_fraction = time.monotonic(), stop.fraction(state, state.seconds)
        self.last_plain, self.last_text = -PLAIN_SECONDS, ""
        self.bar = _Bar(total=STEPS, initial=round(self.start_fraction * STEPS), file=self.stream,
                        disable=enabled is False or self.plain, dynamic_ncols=True,
                        bar_format="{desc} {percentage:3.0f}%|{bar}| {status}")
        self._draw(state.seconds)

    def generation(self, state, entry):
        """Show the state after a generation; `entry` is its log line (symbolicpot.run.log.generation_entry)."""
        self.state, self.news = state, ""
        energy, force = entry["best_train_energy_rmse_mev_per_atom"], entry["best_train_force_rmse_ev_per_a"]
        physics = entry["best_property_error"]
        best = ", ".join(text for text in (energy is not None and f"E {energy:.3g} meV/atom",
                                           force is not None and f"F {force:.3g} eV/Å",
                                           physics is not None and f"properties {100 * physics:.3g} %") if text)
        self.summary = f"{entry['evals_per_s']:.3g} evals/s · best {best or '-'} · front {entry['front_size']}"
        self._draw(state.seconds)

    def tick(self, seconds, latest):
        """Refresh during a generation: `seconds`, the run's wall clock so far; `latest`, the islands' news
        {island: (evaluations so far, best error of this generation)} (search.live.Live.latest)."""
        if latest:
            done = sum(evaluations for evaluations, _ in latest.values())
            done += sum(island.evaluations for k, island in enumerate(self.state.islands) if k not in latest)
            best = min(error for _, error in latest.values())
            self.news = (f"gen {self.state.generation + 1}: {done - self.state.evaluations} evals"
                         + (f", best {best:.3g}" if best < float("inf") else ""))
        self._draw(seconds)

    def close(self):
        self.bar.close()

    def _draw(self, seconds):
        fraction = self.stop.fraction(self.state, seconds)
        done, session = fraction - self.start_fraction, time.monotonic() - self.session_start
        left = f", ~{format_duration((1 - fraction) * session / done)} left" if 0 < done and fraction < 1 else ""
        status = " · ".join(part for part in (self.summary, self.news, f"{format_duration(seconds)} elapsed{left}")
                            if part)
        description = f"gen {self.state.generation}/{self.generations}"
        if self.plain:
            text = f"{description} {100 * fraction:3.0f}% · {status}"
            moved = text.split(" elapsed")[0] != self.last_text.split(" elapsed")[0]
            if moved and time.monotonic() - self.last_plain >= PLAIN_SECONDS:
                print(text, file=self.stream, flush=True)
                self.last_plain, self.last_text = time.monotonic(), text
            return
        if self.bar.disable:
            return
        self.bar.n = round(fraction * STEPS)
        self.bar.set_description_str(description, refresh=False)
        self.bar.status = status
        self.bar.refresh()


class _Bar(tqdm):
    """A tqdm bar with a free-text `status` field for bar_format (tqdm's own postfix starts with a comma)."""
    status = ""

    @property
    def format_dict(self):
        return {**super().format_dict, "status": self.status}
