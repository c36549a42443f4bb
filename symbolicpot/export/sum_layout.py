"""How the LAMMPS plugin keeps an atom's neighbour sums, and which pair functions a pair of atoms computes, for
single-element and alloy formulas alike.

The formula's distinct pair functions h_p = g_p f (p < NSUMS, `pairs`), or h_p = g_p for a sum without the smooth
cutoff (`sum[nocut](g_p)`: f ≡ 1 below r_out, nothing beyond), are the columns of the plugin's tables. The
atoms of each element run that element's term (tree.term_for) and keep the values its sums read (`TermValues`):
value v is the sum of h_p over the atom's neighbours of one species (`sum[Al](g_p)`) or over all of them
(`sum(g_p)`). A pair (i, j) of atoms of elements a and b adds to i's values those that take neighbours of species b
(`gathers(a, b)`) and to j's those that take neighbours of species a (`gathers(b, a)`); so it computes only the
pair functions these read (`needed(a, b)`, the same for (b, a)), and the plugin's second pass weighs its slopes
by dT/dS of those values alone. A single-element formula has one term, whose values are its distinct sums in order
(value v is the sum of h_v over all neighbours), and every pair computes every pair function.

Three-body sums: the distinct sum3 of the formula (h(r, s, c), with or without the cutoff) are `triplets`; a term's
three-body values follow its pair values, one per distinct sum3 it reads, each the sum over all of the atom's
neighbours (sum3 takes no species).
"""
from dataclasses import dataclass, replace

from ..expr import term_for, walk


def pair_function(node):
    """The pair function of the sum `node`, whatever its neighbours' species: the sum over all neighbours, `sum(g)`
    or, when the smooth cutoff does not apply, `sum[nocut](g)`."""
    return replace(node, species="")


@dataclass(frozen=True)
class TermValues:
    """The values an atom running one term keeps: first its pair values, `sums` holding (p, species) of each, the
    index p of its pair function in `pairs` and the species of the neighbours it adds up ("" for all); then its
    three-body values, `triplet_sums` holding the index t of each one's sum3 in `triplets`."""
    pairs: tuple
    sums: tuple
    triplets: tuple = ()
    triplet_sums: tuple = ()

    @property
    def n_values(self):
        return len(self.sums) + len(self.triplet_sums)

    def reads(self, node):
        """(v,): the index of the value the sum or sum3 `node` of the term reads (as cxx_formula.atom_code takes
        it)."""
        if node.op == "sum3":
            return (len(self.sums) + self.triplet_sums.index(self.triplets.index(node)),)
        return (self.sums.index((self.pairs.index(pair_function(node)), node.species)),)


@dataclass(frozen=True)
class SumLayout:
    """The per-atom values of the plugin for a formula and its elements (chemical symbols, pair_coeff's names):
    `pairs` the distinct pair functions (pair_function: sum nodes over all neighbours, g_p their child), `triplets`
    the distinct sum3 nodes (h_t their child), `terms` the distinct block-free atom terms and `values` the TermValues
    of each, `term_of` (per element) the index of the term its atoms run."""
    elements: tuple
    pairs: tuple
    triplets: tuple
    terms: tuple
    values: tuple
    term_of: tuple

    @classmethod
    def of(cls, tree, elements):
        """The layout of the formula `tree` for `elements` (the formula names no others; a formula with species
        blocks has a term for each)."""
        pairs = tuple(dict.fromkeys(pair_function(node) for node in walk(tree) if node.op == "sum"))
        triplets = tuple(dict.fromkeys(node for node in walk(tree) if node.op == "sum3"))
        terms_of = [term_for(tree, element) for element in elements]
        terms = tuple(dict.fromkeys(terms_of))
        values = tuple(TermValues(pairs, tuple(dict.fromkeys((pairs.index(pair_function(node)), node.species)
                                                             for node in walk(term) if node.op == "sum")),
                                  triplets, tuple(dict.fromkeys(triplets.index(node)
                                                                for node in walk(term) if node.op == "sum3")))
                       for term in terms)
        return cls(tuple(elements), pairs, triplets, terms, values, tuple(terms.index(term) for term in terms_of))

    @property
    def n_values(self):
        """NVALUES: the values an atom keeps (and communicates), the most of any term."""
        return max(values.n_values for values in self.values)

    def three_body_linear(self, t):
        """True when term t holds its three-body sums only linearly (T = Σ_m a_m S3_m + a part without them, the a_m
        constants): then no dT/dS depends on them, and the plugin needs them only for energies."""
        return _linear(self.terms[t], {node for node in walk(self.terms[t]) if node.op == "sum3"})

    def gathers(self, a, b):
        """((v, p), ...): the values v of an atom of element a (an index into `elements`) that h_p of a neighbour of
        element b adds to."""
        sums = self.values[self.term_of[a]].sums
        return tuple((v, p) for v, (p, species) in enumerate(sums) if species in ("", self.elements[b]))

    def needed(self, a, b):
        """The pair functions p (ascending) that a pair of atoms of elements a and b computes: those either atom's
        values take from the other; the same for (b, a)."""
        return tuple(sorted({p for _, p in self.gathers(a, b) + self.gathers(b, a)}))


def _linear(node, inputs):
    """True when `node` is Σ a·input + a part without `inputs`, the a constants: the inputs stand under + and − only,
    and under products and quotients by parts without sums."""
    if node in inputs or not any(n in inputs for n in walk(node)):
        return True
    if node.op in ("+", "-"):
        return all(_linear(child, inputs) for child in node.children)
    if node.op == "*":
        a, b = node.children
        return (_sum_free(a) and _linear(b, inputs)) or (_sum_free(b) and _linear(a, inputs))
    if node.op == "/":
        return _sum_free(node.children[1]) and _linear(node.children[0], inputs)
    return False


def _sum_free(node):
    return all(n.op not in ("sum", "sum3") for n in walk(node))
