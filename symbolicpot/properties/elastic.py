"""Elastic constants by finite strain: the 6×6 tensor, cubic constants, the Voigt–Reuss–Hill bulk modulus."""
import numpy as np
from ase.stress import voigt_6_to_full_3x3_strain
from ase.units import GPa

STRAIN = 0.001
"""Strain amplitude: each Voigt strain is applied as +0.1 % and −0.1 %, whose stress difference cancels the
quadratic (third-order elastic) term."""


def elastic_tensor(atoms, strain=STRAIN):
    """The elastic tensor C (6, 6) in GPa, Voigt order xx yy zz yz xz xy, of the stress-free crystal `atoms`
    (calculator attached): column j is (σ(+ε_j) − σ(−ε_j)) / 2ε for the Voigt strain ε_j = ±`strain` (engineering
    shear: ε_yz = ε_zy = strain/2), σ the stress with ASE's sign (positive = tensile).

    The atoms move with the cell and are not relaxed: exact for lattices with one atom per primitive cell (fcc, bcc),
    where every atom is an inversion centre and feels no force under a homogeneous strain.
    """
    return np.column_stack([(_stress(atoms, j, strain) - _stress(atoms, j, -strain)) / (2 * strain)
                            for j in range(6)])


def _stress(atoms, j, strain):
    """Stress (6,) GPa of `atoms` deformed by `strain` in Voigt component j."""
    voigt = np.zeros(6)
    voigt[j] = strain
    strained = atoms.copy()
    strained.calc = atoms.calc
    strained.set_cell(atoms.cell @ voigt_6_to_full_3x3_strain(voigt), scale_atoms=True)  # ASE's: 1 + ε
    return strained.get_stress(voigt=True) / GPa


def cubic_constants(tensor):
    """(C11, C12, C44) in GPa: the means of the three equal entries of each kind in a cubic elastic tensor (6, 6)."""
    return (float(np.mean(np.diag(tensor)[:3])), float(np.mean(tensor[:3, :3][~np.eye(3, dtype=bool)])),
            float(np.mean(np.diag(tensor)[3:])))


def hill_bulk_modulus(tensor):
    """The Voigt–Reuss–Hill bulk modulus (GPa) of an elastic tensor (6, 6) in GPa: the mean of the Voigt bound
    Σ_{i,j≤3} C_ij / 9 and the Reuss bound 1 / Σ_{i,j≤3} S_ij with S = C⁻¹ (both are (C11 + 2 C12)/3 in a cubic
    crystal)."""
    return float((tensor[:3, :3].sum() / 9 + 1 / np.linalg.inv(tensor)[:3, :3].sum()) / 2)
