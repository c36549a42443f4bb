"""The smooth cutoff f(r) that multiplies every pair term inside every sum (POET's form), and the default radii:
the one place they are set (light to import: the command line reads its defaults)."""
from dataclasses import dataclass

import numpy as np


MAX_R_OUT = 20.0  # Å: a metal atom has ~2,800 neighbours within it; interatomic potentials cut off at 4-12 Å, and
                  # a typo such as 1e9 would build neighbour lists without end


@dataclass(frozen=True)
class Cutoff:
    """f = 1 for r <= r_in, (2r² − 3r_in² + r_out²)(r_out² − r²)² / (r_out² − r_in²)³ between, 0 from r_out (Å)."""
    r_in: float = 3.0
    r_out: float = 5.0

    def __post_init__(self):
        if not 0.0 <= self.r_in < self.r_out:
            raise ValueError(f"cutoff radii must satisfy 0 <= r_in < r_out, got r_in={self.r_in}, r_out={self.r_out}")
        if not self.r_out <= MAX_R_OUT:
            raise ValueError(f"cutoff radius r_out = {self.r_out} Å is beyond {MAX_R_OUT:g} Å (interatomic potentials "
                             f"cut off at 4-12 Å; neighbour lists grow with r_out³)")

    def __call__(self, r):
        """f(r) and df/dr (1/Å) for distances r (Å), arrays of r's shape."""
        r = np.asarray(r, dtype=float)
        ri2, ro2, r2 = self.r_in ** 2, self.r_out ** 2, r * r
        scale = (ro2 - ri2) ** 3
        inner = 2.0 * r2 - 3.0 * ri2 + ro2
        f = inner * (ro2 - r2) ** 2 / scale
        df = (4.0 * r * (ro2 - r2) ** 2 - 4.0 * r * inner * (ro2 - r2)) / scale
        middle = (r > self.r_in) & (r < self.r_out)
        return np.where(r <= self.r_in, 1.0, np.where(middle, f, 0.0)), np.where(middle, df, 0.0)


DEFAULT = Cutoff()  # POET's 3-5 Å: the cutoff of a formula given without one, in every command and file
