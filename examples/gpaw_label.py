"""Label configurations with DFT (GPAW: PBE, plane waves): the labeller `symbolicpot learn` runs as a command.

Runs with the Python that has GPAW, not symbolicpot's environment; it needs only ase and gpaw. On Debian 12 or
Ubuntu, `sudo apt-get install gpaw gpaw-data` gives /usr/bin/python3 GPAW 22.8 and its PAW setups:

    /usr/bin/python3 examples/gpaw_label.py IN.xyz OUT.xyz

labels every configuration of IN.xyz (any file ase.io reads) with energy (eV), forces (eV/Å) and, for periodic
cells, stress, and writes them to OUT.xyz (extended XYZ, written whole and then renamed into place, so a half-written
file is never read). The settings are for small metallic cells in minutes, not for publication: PBE, 300 eV
plane-wave cutoff, a Monkhorst–Pack grid of KPOINT_DENSITY points per Å⁻¹ (4 x 4 x 4 for a 4-atom fcc Cu cell),
Fermi–Dirac smearing of 0.1 eV. One 4-atom Cu cell takes ~10 s on one core.
"""
import sys
from pathlib import Path

from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import read, write
from gpaw import GPAW, PW

KPOINT_DENSITY = 2.0  # k-points per Å⁻¹ along each reciprocal axis (ASE's kpts={"density": ...})
CUTOFF_EV = 300.0


def label(atoms):
    """A copy of `atoms` holding its PBE energy, forces and (periodic cells) stress in a SinglePointCalculator."""
    atoms = atoms.copy()
    atoms.calc = GPAW(mode=PW(CUTOFF_EV), xc="PBE", kpts={"density": KPOINT_DENSITY, "gamma": False},
                      occupations={"name": "fermi-dirac", "width": 0.1}, txt=None)
    labels = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces()}
    if atoms.pbc.all():
        labels["stress"] = atoms.get_stress()
    labelled = atoms.copy()
    labelled.calc = SinglePointCalculator(labelled, **labels)
    return labelled


def main(given, output):
    labelled = [label(atoms) for atoms in read(given, index=":")]
    partial = Path(str(output) + ".partial")
    write(partial, labelled, format="extxyz")
    partial.replace(output)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python3 gpaw_label.py IN.xyz OUT.xyz")
    main(*sys.argv[1:])
