"""In-loop 0 K properties (symbolicpot.properties.in_loop) against the property table (`symbolicpot properties`):
time per candidate and agreement, measured side by side in one process.

For each formula: the 22 in-loop properties by `loop_properties` (median of --repeats calls, after one warm-up call
that compiles), and the same properties from `compute_properties` (one call; it also computes the dumbbell, the
stacking fault and the vacancy migration, which the loop leaves out, so its time is given both whole and without
those). Prints one JSON object: machine, and per formula loop_ms, table_s, table_shared_s (the table's time for the
22 properties the loop computes; its vacancy in five cells, 108 to 1372 sites, where the loop uses 108), speedup
(table_shared_s / loop time), max_relative_difference (over the 22), and its property.

Usage: python benchmarks/bench_properties.py [--repeats 5]
"""
import argparse
import json
import statistics
import time

from machine import describe, machine

FORMULAS = {"sutton_chen": "sum(644.52*r^-9) - sum(527.62*r^-6)^0.5",
            "gp9": "-0.07682*sum(1) - 69.88*sum(0.1828^r)^0.6961 + 65.76*sum(r^(-4.425))^0.8481 + 0.5827"}


def measure(formula, repeats):
    from symbolicpot.evaluate.calculator import FormulaCalculator
    from symbolicpot.expr import parse_expression
    from symbolicpot.properties import compute_properties, read_reference
    from symbolicpot.properties.in_loop import IN_LOOP, PropertyTargets, loop_properties

    calculator = FormulaCalculator(parse_expression(formula))
    targets = PropertyTargets(read_reference(), {name: 1.0 for name in IN_LOOP})
    loop_properties(calculator, targets)
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        found = loop_properties(calculator, targets)
        times.append(time.perf_counter() - begin)
    steps = {}
    begin = time.perf_counter()
    table = compute_properties(calculator, "Cu", progress=lambda what: steps.setdefault(what, time.perf_counter()))
    table_seconds = time.perf_counter() - begin
    marks = sorted(steps.items(), key=lambda item: item[1]) + [("end", begin + table_seconds)]
    outside = sum(after[1] - mark[1] for mark, after in zip(marks, marks[1:])
                  if mark[0].startswith(("E_dumbbell", "stacking", "vacancy migration")))
    differences = {name: abs(found.values[name] - table.value(name)) / abs(table.value(name)) for name in IN_LOOP}
    worst = max(differences, key=differences.get)
    loop_seconds = statistics.median(times)
    return {"loop_ms": 1e3 * loop_seconds, "table_s": table_seconds, "table_shared_s": table_seconds - outside,
            "speedup": (table_seconds - outside) / loop_seconds, "max_relative_difference": differences[worst],
            "worst_property": worst}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(describe())
    result = {"machine": machine(), **{name: measure(formula, args.repeats) for name, formula in FORMULAS.items()}}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
