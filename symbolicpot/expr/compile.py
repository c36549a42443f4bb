"""Flat postfix programs for the compiled evaluator.

A formula compiles to one atom-level program per species its blocks name, or one for every atom (inputs: the
K pair sums of the whole formula, then its three-body sums), K pair-level programs (input: r) and one triplet
program per three-body sum (inputs: r, s, c).
Constants stay apart from the structure: every program refers to its constants by a local index, and
`const_ids` maps local indices to positions in the formula's constant vector (postfix order, as
`tree.constants`). An optimizer moves the constant vector; the programs never change.
"""
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .primitives import CONST, INPUT, PRIMITIVES
from .tree import (ExpressionError, block_species, check_typed, constants, species_terms, sums, symmetric_in_r_and_s,
                   three_body_sums)

LEAF_INPUTS = {"r": 0, "s": 1, "c": 2}  # a pair or triplet program's inputs


@dataclass(frozen=True)
class Program:
    """Postfix code: `code[k]` is an opcode, `arg[k]` the local constant index (CONST) or input index (INPUT)."""
    code: np.ndarray       # (n_nodes,) int64
    arg: np.ndarray        # (n_nodes,) int64
    const_ids: np.ndarray  # (n_local_constants,) int64, positions in the formula's constant vector
    depth: int             # stack depth needed


class KernelProgram(NamedTuple):
    """A CompiledFormula as the kernels take it (one numba tuple), for data whose atoms have species 0..n_s-1: the
    atom programs concatenated (program a: atom_code[atom_offsets[a]:atom_offsets[a+1]], its constants
    atom_const_ids[atom_const_offsets[a]:...]) and the one each species' atoms run (`program_of_species`, (n_s,),
    -1: none), the pair programs likewise, each sum's centre and neighbour species (-1: all; n_s: a species the
    data lack), the triplet programs of the three-body sums likewise with their centre species and whether each h
    is symmetric in r and s (`triplet_symmetric`, (n_three_body,) bool: then each pair of neighbours runs once),
    whether each sum (pair sums, then three-body sums) takes the smooth cutoff (`cut`, (n_in,) bool; False: f ≡ 1,
    `nocut`), and the largest stack depth. The atom programs' inputs are the K pair sums, then the three-body sums."""
    atom_code: np.ndarray
    atom_arg: np.ndarray
    atom_offsets: np.ndarray
    atom_const_ids: np.ndarray
    atom_const_offsets: np.ndarray
    program_of_species: np.ndarray
    pair_code: np.ndarray
    pair_arg: np.ndarray
    pair_offsets: np.ndarray
    pair_const_ids: np.ndarray
    pair_const_offsets: np.ndarray
    pair_centre: np.ndarray
    pair_neighbour: np.ndarray
    triplet_code: np.ndarray
    triplet_arg: np.ndarray
    triplet_offsets: np.ndarray
    triplet_const_ids: np.ndarray
    triplet_const_offsets: np.ndarray
    triplet_centre: np.ndarray
    triplet_symmetric: np.ndarray
    cut: np.ndarray
    depth: int


@dataclass(frozen=True)
class CompiledFormula:
    """The atom-level programs (one per species of a per-species formula, else one for every atom), one
    pair-level program per sum and one triplet program per three-body sum (each in postfix order; pair sum k is input
    k of the atom programs, three-body sum t input n_sums + t).

    `atom_species[a]` is the species of atom program a ("" for every species); `pair_centre[k]` the species of the
    atoms whose term holds sum k ("" for every species) and `pair_neighbour[k]` its neighbours' species ("": all);
    `triplet_centre[t]` likewise for three-body sum t, `triplet_symmetric[t]` whether its h is symmetric in r and s
    (tree.symmetric_in_r_and_s); `cut[k]` whether input k's sum (pair sums, then three-body sums) takes the smooth
    cutoff (False: `nocut`).
    """
    atoms: tuple
    atom_species: tuple
    pairs: tuple
    pair_centre: tuple
    pair_neighbour: tuple
    triplets: tuple
    triplet_centre: tuple
    triplet_symmetric: tuple
    cut: tuple
    depth: int                      # largest stack depth of all programs
    n_constants: int

    @property
    def n_sums(self):
        return len(self.pairs)

    @property
    def species_blind(self):
        """True when every atom runs one term and every sum runs over all neighbours (a single-element form)."""
        return self.atom_species == ("",) and not any(self.pair_neighbour)

    def kernel(self, species=()):
        """The KernelProgram for data of these species (chemical symbols; atoms have species 0..len-1). A species
        the data lack selects no atoms and no neighbours; atoms of a species without a term (`terms_missing`)
        contribute nothing."""
        index = {name: s for s, name in enumerate(species)}
        absent = len(species)  # the index of a species no atom has

        def indices(names):
            return np.array([index.get(name, absent) if name else -1 for name in names], np.int64)

        every = self.atom_species.index("") if "" in self.atom_species else -1
        program_of_species = np.array([self.atom_species.index(name) if name in self.atom_species else every
                                       for name in species], np.int64)
        return KernelProgram(
            _joined(p.code for p in self.atoms), _joined(p.arg for p in self.atoms),
            _offsets([len(p.code) for p in self.atoms]), _joined(p.const_ids for p in self.atoms),
            _offsets([len(p.const_ids) for p in self.atoms]), program_of_species,
            _joined(p.code for p in self.pairs), _joined(p.arg for p in self.pairs),
            _offsets([len(p.code) for p in self.pairs]), _joined(p.const_ids for p in self.pairs),
            _offsets([len(p.const_ids) for p in self.pairs]), indices(self.pair_centre), indices(self.pair_neighbour),
            _joined(p.code for p in self.triplets), _joined(p.arg for p in self.triplets),
            _offsets([len(p.code) for p in self.triplets]), _joined(p.const_ids for p in self.triplets),
            _offsets([len(p.const_ids) for p in self.triplets]), indices(self.triplet_centre),
            np.array(self.triplet_symmetric, bool), np.array(self.cut, bool), self.depth)

    def terms_missing(self, species):
        """The species among `species` whose atoms the formula has no term for."""
        return [name for name in species if name not in self.atom_species and "" not in self.atom_species]


def _offsets(sizes):
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def _joined(arrays):
    return np.concatenate([np.zeros(0, np.int64), *arrays]).astype(np.int64)


def _program(items):
    """Compile postfix (node, id) pairs into a Program: a constant's id is its position in the formula's constant
    vector, a sum's the atom programs' input it is (the sum is a leaf reading that input)."""
    code, arg, const_ids = [], [], []
    depth = max_depth = 0
    for node, const_id in items:
        if node.op == "const":
            code.append(CONST), arg.append(len(const_ids)), const_ids.append(const_id)
        elif node.op in LEAF_INPUTS:
            code.append(INPUT), arg.append(LEAF_INPUTS[node.op])
        elif node.op in ("sum", "sum3"):
            code.append(INPUT), arg.append(const_id)
        else:
            code.append(PRIMITIVES[node.op].opcode), arg.append(0)
            depth -= PRIMITIVES[node.op].arity
        depth += 1
        max_depth = max(max_depth, depth)
    return Program(np.array(code, np.int64), np.array(arg, np.int64), np.array(const_ids, np.int64), max_depth)


def compile_formula(tree):
    """Compile a typed atom-level formula (see symbolicpot.expr.tree) into a CompiledFormula: one atom program per
    species its blocks name (each block replaced by that species' expression), or one for every atom."""
    check_typed(tree)
    atom_species = block_species(tree) or ("",)
    n_sums = len(sums(tree))
    if not n_sums and not three_body_sums(tree):
        raise ExpressionError("the formula has no sum(...) or sum3(...)")
    programs = {}  # input index -> (Program, centre species, neighbour species, whether cut, whether symmetric)

    def visit(node, out, species, centre, counts):
        """Append the postfix items of `node` for atoms of `species` to `out`; `counts` = [constants, pair sums,
        three-body sums] seen so far in the whole formula (a block's branches for other species are skipped, their
        counts added)."""
        if node.op == "species":
            for name, branch in species_terms(node).items():
                if name == species:
                    visit(branch, out, species, name, counts)
                else:
                    counts[0] += len(constants(branch))
                    counts[1] += len(sums(branch))
                    counts[2] += len(three_body_sums(branch))
            return
        if node.op in ("sum", "sum3"):
            items = []
            visit(node.children[0], items, species, centre, counts)
            three_body = node.op == "sum3"
            k = n_sums + counts[2] if three_body else counts[1]
            counts[1 + three_body] += 1
            programs.setdefault(k, (_program(items), centre, node.species, node.cut,
                                    three_body and symmetric_in_r_and_s(node.children[0])))
            out.append((node, k))  # the sum's leaf: input k
            return
        for child in node.children:
            visit(child, out, species, centre, counts)
        out.append((node, counts[0]))
        counts[0] += node.op == "const"

    atoms = []
    for species in atom_species:
        items = []
        visit(tree, items, species, "", [0, 0, 0])
        atoms.append(_program(items))
    pairs = [programs[k] for k in range(n_sums)]
    triplets = [programs[k] for k in range(n_sums, len(programs))]
    return CompiledFormula(atoms=tuple(atoms), atom_species=atom_species, pairs=tuple(p[0] for p in pairs),
                           pair_centre=tuple(p[1] for p in pairs), pair_neighbour=tuple(p[2] for p in pairs),
                           triplets=tuple(p[0] for p in triplets), triplet_centre=tuple(p[1] for p in triplets),
                           triplet_symmetric=tuple(p[4] for p in triplets),
                           cut=tuple(programs[k][3] for k in range(len(programs))),
                           depth=max(p.depth for p in (*atoms, *(p[0] for p in programs.values()))),
                           n_constants=len(constants(tree)))
