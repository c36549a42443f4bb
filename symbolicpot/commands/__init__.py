"""The subcommands of `symbolicpot`: one module each, with `add_parser(subparsers)` and `run(args) -> status`."""


def add_cutoff(p):
    """The --r-in/--r-out options (Å) every command that evaluates formulas takes."""
    p.add_argument("--r-in", type=float, default=3.0, metavar="Å", help="inner cutoff radius (default 3)")
    p.add_argument("--r-out", type=float, default=5.0, metavar="Å", help="outer cutoff radius (default 5)")
