"""`SymbolicCalculator`: a discovered potential as an ASE calculator, computed by the compiled evaluator."""
from ase.calculators.calculator import CalculationFailed, Calculator, all_changes

from .evaluate.evaluator import evaluate_structure
from .export.potential import Potential


class SymbolicCalculator(Calculator):
    """Energy and free energy (eV), forces (N, 3) eV/Å, stress (6,) eV/Å³ (Voigt xx yy zz yz xz xy, ASE's sign;
    for 3D cells only) and per-atom energies T_i (N,) eV of a `Potential` or a potential JSON file.

    Any cell and boundary conditions; the neighbour list is rebuilt on every calculation (no skin), so the calculator
    serves ase.md and ase.optimize as is.
    """
    implemented_properties = ("energy", "free_energy", "forces", "stress", "energies")

    def __init__(self, potential, **kwargs):
        super().__init__(**kwargs)
        self.potential = potential if isinstance(potential, Potential) else Potential.from_json(potential)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        ok, energy, energies, forces, virial = evaluate_structure(self.potential.tree, self.atoms,
                                                                  self.potential.cutoff)
        if not ok:
            raise CalculationFailed(f"{self.potential.formula} gives non-finite values on this structure")
        self.results = {"energy": energy, "free_energy": energy, "energies": energies, "forces": forces}
        if self.atoms.cell.rank == 3:
            self.results["stress"] = virial / self.atoms.get_volume()
