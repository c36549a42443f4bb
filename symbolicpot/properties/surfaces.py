"""Surface energies of fcc crystals: relaxed slabs built with ASE, E_surf = (E_slab − n e_fcc) / 2A.

This is the definition behind POET's DFT values: its 13 copper slabs (DFT_Cu/lowIndexSurfaces) and the surface
energies of TargetProperties_0K.data give one and the same bulk energy per atom through it. The slabs here are built
at the potential's own lattice constant, with the smallest surface cell (one atom per atomic plane, as POET's),
at least THICKNESS Å of atomic planes (POET's: 12 to 15 Å) and VACUUM Å of vacuum on each side; all atoms relax.
"""
import math

import numpy as np
from ase.build import bulk, surface
from ase.geometry import minkowski_reduce

from .relax import excess_energy, relax

THICKNESS = 15.0
"""Å: number of atomic planes × interplanar spacing, at least; three times a 5 Å cutoff."""
VACUUM = 10.0
"""Å of vacuum on each side of the slab (20 Å between periodic images)."""


def fcc_slab(element, a0, miller, thickness=THICKNESS, vacuum=VACUUM):
    """A periodic slab (ase.Atoms) of fcc `element` (lattice constant a0, Å) with the surface `miller` (h, k, l;
    cubic Miller indices) on both sides, its normal along z and its in-plane cell vectors Minkowski-reduced."""
    h, k, l = miller
    primitive = np.array([k + l, h + l, h + k])  # the same plane in Miller indices of the primitive fcc cell
    primitive //= math.gcd(*primitive)
    lattice = bulk(element, "fcc", a=a0)
    spacing = lattice.get_volume() / _area(surface(lattice, primitive, 1, periodic=True))  # one atom per plane
    slab = surface(lattice, primitive, math.ceil(thickness / spacing - 1e-9), vacuum=vacuum, periodic=True)
    reduced, _ = minkowski_reduce(slab.cell, pbc=[True, True, False])
    slab.set_cell(reduced)
    slab.wrap()
    return slab


def surface_energy(calculator, element, a0, e_fcc, miller, minimise=relax):
    """Relaxed surface energy (meV/Å²) of the (h, k, l) surface of fcc `element` with lattice constant a0 (Å) and
    energy per atom e_fcc (eV); `minimise` relaxes the slab (relax.excess_energy)."""
    slab = fcc_slab(element, a0, miller)
    slab.calc = calculator
    return 1000 * excess_energy(slab, e_fcc, minimise) / (2 * _area(slab))


def _area(slab):
    """Area (Å²) of the surface cell spanned by the first two cell vectors."""
    return float(np.linalg.norm(np.cross(slab.cell[0], slab.cell[1])))
