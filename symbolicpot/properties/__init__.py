"""Physical properties of any potential (an ASE calculator) against reference values, and an MD stability check.

Plain functions over ase.Atoms: `relax` (L-BFGS, optionally the cell), `crystal` (relaxed fcc/bcc/hcp), `elastic`
(finite-strain elastic tensor, VRH bulk modulus), `defects` (vacancy, its migration barrier by NEB, ⟨100⟩ dumbbell),
`surfaces` (relaxed slabs), `stacking` (intrinsic stacking fault), `in_loop` (the fast subset the search fits),
`md` (NVT + NVE stability check), `reference` (the property catalogue, POET's TargetProperties format), `table`
(all of them as one table, as `symbolicpot properties` prints it) and `alloys` (ordered phases, solid solutions and
per-element tables of a binary alloy).
"""
from .alloys import AlloyTable, alloy_properties, element_properties, plot_alloy
from .md import MDResult, md_check, plot_rdf
from .reference import DFT_COPPER, UNITS, read_reference
from .table import Property, PropertyTable, compute_properties, format_table, summary_line

__all__ = ["DFT_COPPER", "AlloyTable", "MDResult", "Property", "PropertyTable", "UNITS", "alloy_properties",
           "compute_properties", "element_properties", "format_table", "md_check", "plot_alloy", "plot_rdf",
           "read_reference", "summary_line"]
