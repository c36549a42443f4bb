"""The expression model: typed trees, text that round-trips, SymPy conversion, flat programs for the evaluator."""
from .primitives import PRIMITIVES, DEFAULT_PRIMITIVES, BINARY, UNARY
from .tree import (Node, R, S, C, ExpressionError, const, call, walk, node_count, constants, with_constants, sums,
                   distinct_sums, structural_hash, check_typed, species_sum, by_species, species_terms, species_named,
                   block_species, term_for, three_body_sums, refuse_three_body)
from .strings import ParseError, format_expression, parse_expression
