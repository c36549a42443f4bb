"""Genetic operators over typed formulas (random generation, crossover, mutations) — the search issue fills this in.

The primitive set itself lives in symbolicpot.expr.primitives, which the evaluator and the parser share.
"""
