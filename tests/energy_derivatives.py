"""The check every baseline's calculator must pass: forces and stress are derivatives of its energy."""
import numpy as np
import pytest
from ase.build import bulk

H = 1e-5  # Å, and strain: the step of the central differences
# Central differences err by ~h² E'''/6 (E''' ≲ 100 eV/Å³ for a displaced atom: 2e-9 eV/Å) plus the rounding of two
# total energies of ~100 eV (≲ 1e-13 eV each, as summed by LAMMPS or torch) over 2h: ≲ 1e-8 eV/Å (≲ 4e-9 seen). The
# tolerance is 100× that, still 1e-5 of the forces (~0.1–1 eV/Å) that a missing or mis-scaled term would get wrong.
FORCE_TOLERANCE = 1e-6  # eV/Å
# The strain slope carries the same ≲ 1e-8 eV of rounding, and h²/6 · V C''' ≈ 1e-10/6 · 400 Å³ · 10 eV/Å³ ≈ 7e-8 eV
# of truncation; divided by V (~400 Å³) that is ≲ 2e-10 eV/Å³, and LAMMPS's stress (from its pressure in bar) adds
# rounding of the same order (≲ 1e-9 eV/Å³ seen). The tolerance is 100× that (1.6e-5 GPa), far below the
# ~0.01 eV/Å³ shear stress of this cell that a missing virial term would get wrong.
STRESS_TOLERANCE = 1e-7  # eV/Å³


def rattled_copper(seed=0):
    """32 Cu atoms in a slightly sheared fcc cell, displaced by ~0.05 Å."""
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True) * (2, 2, 2)
    atoms.set_cell(atoms.cell.array + [[0, 0.2, 0], [0, 0, 0], [0.1, 0, 0]], scale_atoms=True)
    atoms.rattle(0.05, seed=seed)
    return atoms


def check_forces_and_stress(calculator, atoms=None):
    """Assert that `calculator`'s forces on three atoms and its xy stress on `atoms` (default rattled_copper()) are
    the central differences of its energy under displacement and shear strain."""
    atoms = rattled_copper() if atoms is None else atoms
    atoms.calc = calculator
    forces, stress = atoms.get_forces(), atoms.get_stress(voigt=False)

    def slope(change):
        energies = []
        for step in (H, -H):
            changed = atoms.copy()
            change(changed, step)
            changed.calc = calculator
            energies.append(changed.get_potential_energy())
        return (energies[0] - energies[1]) / (2 * H)

    for atom, axis in [(0, 0), (5, 1), (17, 2)]:
        def move(copy, step, atom=atom, axis=axis):
            copy.positions[atom, axis] += step
        assert forces[atom, axis] == pytest.approx(-slope(move), abs=FORCE_TOLERANCE)
    shear = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]]) / 2  # stress = (1/V) dE/dε for a strain ε_xy = ε_yx

    def strain(copy, step):
        copy.set_cell(atoms.cell.array @ (np.eye(3) + step * shear), scale_atoms=True)
    assert stress[0, 1] == pytest.approx(slope(strain) / atoms.get_volume(), abs=STRESS_TOLERANCE)
