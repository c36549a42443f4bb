"""The `symbolicpot` command line: discover interatomic potentials as analytic formulas."""
import argparse
import os
import sys

from . import __version__
from .baselines import MissingDependency
from .commands import (baseline, calibrate, compare, eval as eval_command, evolve, export, front, init_config,
                       learn, properties)

COMMANDS = (eval_command, calibrate, export, init_config, evolve, front, baseline, compare, properties, learn)


def main(argv=None):
    """Entry point of the `symbolicpot` console script; returns the exit status."""
    parser = argparse.ArgumentParser(prog="symbolicpot", description=__doc__.strip())
    parser.add_argument("--version", action="version", version=f"symbolicpot {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # `symbolicpot front RUN | head`: the reader has gone; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, OSError, MissingDependency) as error:  # bad input or a missing extra: one line, no traceback
        print(f"symbolicpot {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
