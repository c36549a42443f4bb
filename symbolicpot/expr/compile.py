"""Flat postfix programs for the compiled evaluator.

A formula compiles to one atom-level program (inputs: the sums S_1..S_K) and K pair-level programs (input: r).
Constants stay apart from the structure: every program refers to its constants by a local index, and
`const_ids` maps local indices to positions in the formula's constant vector (postfix order, as
`tree.constants`). An optimizer moves the constant vector; the programs never change.
"""
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .primitives import CONST, INPUT, PRIMITIVES
from .tree import check_typed


@dataclass(frozen=True)
class Program:
    """Postfix code: `code[k]` is an opcode, `arg[k]` the local constant index (CONST) or input index (INPUT)."""
    code: np.ndarray       # (n_nodes,) int64
    arg: np.ndarray        # (n_nodes,) int64
    const_ids: np.ndarray  # (n_local_constants,) int64, positions in the formula's constant vector
    depth: int             # stack depth needed


class KernelProgram(NamedTuple):
    """A CompiledFormula as the kernels take it (one numba tuple): the atom program, the concatenated pair programs
    with their offsets and constant ids, and the largest stack depth (see CompiledFormula)."""
    atom_code: np.ndarray
    atom_arg: np.ndarray
    atom_const_ids: np.ndarray
    pair_code: np.ndarray
    pair_arg: np.ndarray
    pair_offsets: np.ndarray
    pair_const_ids: np.ndarray
    pair_const_offsets: np.ndarray
    depth: int


@dataclass(frozen=True)
class CompiledFormula:
    """The atom-level program and one pair-level program per sum, concatenated for numba.

    Pair program k occupies `pair_code[pair_offsets[k]:pair_offsets[k+1]]`; its constants are
    `pair_const_ids[pair_const_offsets[k]:pair_const_offsets[k+1]]`.
    """
    atom: Program
    pair_code: np.ndarray
    pair_arg: np.ndarray
    pair_offsets: np.ndarray        # (K+1,)
    pair_const_ids: np.ndarray
    pair_const_offsets: np.ndarray  # (K+1,)
    depth: int                      # largest stack depth of all programs
    n_constants: int

    @property
    def n_sums(self):
        return len(self.pair_offsets) - 1

    @property
    def kernel(self):
        """The KernelProgram of this formula."""
        return KernelProgram(self.atom.code, self.atom.arg, self.atom.const_ids, self.pair_code, self.pair_arg,
                             self.pair_offsets, self.pair_const_ids, self.pair_const_offsets, self.depth)


def _program(items):
    """Compile postfix (node, constant id) pairs into a Program; a sum node is a leaf reading input S_k."""
    code, arg, const_ids = [], [], []
    depth = max_depth = n_sums = 0
    for node, const_id in items:
        if node.op == "const":
            code.append(CONST), arg.append(len(const_ids)), const_ids.append(const_id)
        elif node.op == "r":
            code.append(INPUT), arg.append(0)
        elif node.op == "sum":
            code.append(INPUT), arg.append(n_sums)
            n_sums += 1
        else:
            code.append(PRIMITIVES[node.op].opcode), arg.append(0)
            depth -= PRIMITIVES[node.op].arity
        depth += 1
        max_depth = max(max_depth, depth)
    return Program(np.array(code, np.int64), np.array(arg, np.int64), np.array(const_ids, np.int64), max_depth)


def compile_formula(tree):
    """Compile a typed atom-level formula (see symbolicpot.expr.tree) into a CompiledFormula."""
    check_typed(tree)
    atom_items, pair_items = [], []
    n_constants = 0

    def visit(node, out):
        nonlocal n_constants
        if node.op == "sum":
            pair_items.append([])
            visit(node.children[0], pair_items[-1])
        else:
            for child in node.children:
                visit(child, out)
        out.append((node, n_constants))
        n_constants += node.op == "const"
    visit(tree, atom_items)
    atom = _program(atom_items)
    pairs = [_program(items) for items in pair_items]

    def offsets(sizes):
        return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    def joined(arrays):
        return np.concatenate([np.zeros(0, np.int64), *arrays]).astype(np.int64)
    return CompiledFormula(
        atom=atom,
        pair_code=joined(p.code for p in pairs), pair_arg=joined(p.arg for p in pairs),
        pair_offsets=offsets([len(p.code) for p in pairs]),
        pair_const_ids=joined(p.const_ids for p in pairs),
        pair_const_offsets=offsets([len(p.const_ids) for p in pairs]),
        depth=max([atom.depth] + [p.depth for p in pairs]),
        n_constants=n_constants)
