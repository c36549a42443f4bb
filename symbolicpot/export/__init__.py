"""Finished potentials for MD: `potential.Potential` (the JSON every format starts from), the ASE calculator
(`symbolicpot.calculator`), eam/fs tables (`eam_fs`) and compiled LAMMPS pair styles (`lammps`)."""
