"""`SymbolicCalculator`: a discovered potential (a Potential or potential JSON) as an ASE calculator."""
from .evaluate.calculator import FormulaCalculator
from .export.potential import Potential


class SymbolicCalculator(FormulaCalculator):
    """The FormulaCalculator of a `Potential` or a potential JSON file (its formula and cutoff); see there."""

    def __init__(self, potential, **kwargs):
        self.potential = potential if isinstance(potential, Potential) else Potential.from_json(potential)
        super().__init__(self.potential.tree, self.potential.cutoff, **kwargs)
