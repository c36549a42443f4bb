"""How the LAMMPS plugin keeps an atom's neighbour sums, for single-element and alloy formulas alike.

The plugin computes each distinct pair function h_p = g_p f of the formula (p < NSUMS, `pairs`) once per pair of
atoms. An atom keeps NSLOTS × NSUMS values A[b][p]: the sum of h_p over its neighbours in slot b. There is one slot,
all neighbours, when every sum of the formula runs over all neighbours (a single-element formula); else one slot per
element (the neighbours of that species). A sum of the formula reads its slots (`reads`): sum[Al](g_p) the Al slot's
value p, sum(g_p) the total over the slots. The atoms of each element run that element's term (tree.term_for), and
the plugin's second pass needs dT/dA[b][p], the sum of dT/dS over the sums that read A[b][p]: a pair (i, j) changes T_i
through the slot of j's species and T_j through the slot of i's species.
"""
from dataclasses import dataclass

from ..expr import distinct_sums, refuse_three_body, term_for, walk


@dataclass(frozen=True)
class SumLayout:
    """The per-atom values of the plugin for a formula and its elements (chemical symbols, pair_coeff's names):
    `pairs` the distinct pair expressions g_p, `slots` the neighbour species of each slot ("" for all),
    `terms` the distinct block-free atom terms, `term_of` (per element) the index of the term its atoms run."""
    elements: tuple
    pairs: tuple
    slots: tuple
    terms: tuple
    term_of: tuple

    @classmethod
    def of(cls, tree, elements):
        """The layout of the formula `tree` for `elements` (the formula names no others; a formula with species
        blocks has a term for each); ExpressionError for three-body sums, which the plugin does not compute yet."""
        refuse_three_body(tree, "the LAMMPS plugin")
        species_sums = any(node.op == "sum" and node.species for node in walk(tree))
        terms_of = [term_for(tree, element) for element in elements]
        terms = tuple(dict.fromkeys(terms_of))
        return cls(tuple(elements), tuple(distinct_sums(tree)), tuple(elements) if species_sums else ("",), terms,
                   tuple(terms.index(term) for term in terms_of))

    @property
    def n_values(self):
        """NSLOTS × NSUMS: the values an atom keeps (and communicates)."""
        return len(self.slots) * len(self.pairs)

    def reads(self, node):
        """The indices b × NSUMS + p of the values the sum `node` (over the neighbours of `node.species`, "" for
        all) adds up."""
        p = self.pairs.index(node.children[0])
        return tuple(b * len(self.pairs) + p for b, slot in enumerate(self.slots) if node.species in ("", slot))
