"""`FormulaCalculator`: a formula tree as an ASE calculator, computed by the compiled evaluator."""
from ase.calculators.calculator import CalculationFailed, Calculator, all_changes

from ..cutoff import DEFAULT
from ..expr import format_expression
from .evaluator import evaluate_structure
from .vanishing import check_vanishing


class FormulaCalculator(Calculator):
    """Energy and free energy (eV), forces (N, 3) eV/Å, stress (6,) eV/Å³ (Voigt xx yy zz yz xz xy, ASE's sign;
    for 3D cells only) and per-atom energies T_i (N,) eV of the formula `tree` (a typed Node) with `cutoff`.

    Any cell and boundary conditions; the neighbour list is rebuilt on every calculation (no skin), so the calculator
    serves ase.md and ase.optimize as is. Non-finite values raise CalculationFailed; a sum without the smooth cutoff
    (nocut) that does not vanish at r_out is an ExpressionError naming it, here.
    """
    implemented_properties = ("energy", "free_energy", "forces", "stress", "energies")

    def __init__(self, tree, cutoff=DEFAULT, **kwargs):
        super().__init__(**kwargs)
        self.tree, self.cutoff = check_vanishing(tree, cutoff.r_out), cutoff

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        ok, energy, energies, forces, virial = evaluate_structure(self.tree, self.atoms, self.cutoff)
        if not ok:
            raise CalculationFailed(f"{format_expression(self.tree)} gives non-finite values on this structure")
        self.results = {"energy": energy, "free_energy": energy, "energies": energies, "forces": forces}
        if self.atoms.cell.rank == 3:
            self.results["stress"] = virial / self.atoms.get_volume()
