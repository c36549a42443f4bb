"""`symbolicpot baseline mtp|nn|uf3|mace`: fit a Moment Tensor Potential, a Behler–Parrinello network, a UF3 spline
potential or a MACE network to the same data."""
import argparse
import json
from pathlib import Path

from ..baselines import KINDS
from ..cutoff import DEFAULT
from . import metrics_table

# the arguments below that are a baseline's settings
OPTIONS = ("level", "max_iter", "epochs", "patience", "hidden", "channels", "layers", "max_l", "degree", "knots",
           "knots_3b", "r_3b", "ridge_3b", "curvature_2b", "curvature_3b", "energy_weight", "loss_weights", "threads")


def add_parser(commands):
    p = commands.add_parser(
        "baseline", help="fit an MTP (motep), a neural-network, a UF3 or a MACE baseline to data, for `symbolicpot "
                         "compare`",
        description="Fit a baseline potential on the training part of the data and write it, with its train and test "
                    "errors, to --out (baseline.json + the fitted files). MTP: the motep package "
                    '(pip install "symbolicpot[mtp]"). NN: PyTorch (pip install torch==2.13.0). UF3: '
                    'pip install "symbolicpot[uf3]". MACE: pip install torch==2.13.0 && '
                    'pip install "symbolicpot[mace]".')
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--data", nargs="+", required=True, metavar="PATH",
                   help="POET folders or files ase.io reads (extended XYZ, OUTCAR, vasprun.xml)")
    p.add_argument("--test-data", nargs="+", default=[], metavar="PATH",
                   help="separate test data; without it --test-fraction of each group is held out")
    p.add_argument("--test-fraction", type=float, default=0.2, metavar="F",
                   help="share of each group held out for testing when there is no --test-data (default 0.2)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder to write into (created if needed)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and of the fit (default 0)")
    p.add_argument("--r-out", type=float, default=DEFAULT.r_out, metavar="Å",
                   help=f"cutoff radius (default {DEFAULT.r_out:g}, as the search)")
    mtp = p.add_argument_group("mtp")
    mtp.add_argument("--level", type=int, default=None, metavar="N", help="MTP level (default: see README)")
    mtp.add_argument("--max-iter", type=int, default=None, metavar="N", help="optimiser iterations")
    nn = p.add_argument_group("nn, mace")
    nn.add_argument("--epochs", type=int, default=None, metavar="N", help="largest number of training epochs")
    nn.add_argument("--patience", type=int, default=None, metavar="N",
                    help="early stopping: epochs without improvement of the validation loss")
    nn.add_argument("--hidden", default=None, metavar="N,N", help="nn: hidden layer widths, e.g. 16,16")
    mace = p.add_argument_group("mace")
    mace.add_argument("--channels", type=int, default=None, metavar="N", help="features per atom and layer")
    mace.add_argument("--layers", type=int, default=None, metavar="N", help="message-passing layers")
    mace.add_argument("--max-l", type=int, default=None, metavar="L", help="largest angular momentum of the features")
    mace.add_argument("--loss-weights", type=_three_numbers, default=None, metavar="E,F,S",
                      help="loss weights of energy per atom, forces and stresses (default 100,10,100)")
    mace.add_argument("--threads", type=int, default=None, metavar="N",
                      help="torch threads of the training (default 2)")
    uf3 = p.add_argument_group("uf3")
    uf3.add_argument("--degree", type=int, default=None, choices=(2, 3), help="2: pair terms; 3: pair and three-body")
    uf3.add_argument("--knots", type=int, default=None, metavar="N",
                     help="knot intervals of the pair term on [0, r_out]")
    uf3.add_argument("--knots-3b", type=int, default=None, metavar="N",
                     help="knot intervals of the three-body term along r_ij and r_ik (twice as many along r_jk)")
    uf3.add_argument("--r-3b", type=float, default=None, metavar="Å", help="cutoff of the three-body term")
    uf3.add_argument("--ridge-3b", type=float, default=None, metavar="X", help="ridge regularisation, three-body")
    uf3.add_argument("--curvature-2b", type=float, default=None, metavar="X", help="curvature regularisation, pairs")
    uf3.add_argument("--curvature-3b", type=float, default=None, metavar="X",
                     help="curvature regularisation, three-body")
    uf3.add_argument("--energy-weight", type=float, default=None, metavar="W",
                     help="weight of energies against forces, 0 to 1")
    p.add_argument("--json", action="store_true", help="print baseline.json instead of a table")
    p.set_defaults(run=run)


def run(args):
    from ..baselines import baseline_module, fit_baseline
    from ..data import load

    baseline_module(args.kind)  # fails early, with the install command, if the package is missing
    if not 0 < args.test_fraction < 1:
        raise ValueError(f"--test-fraction must be between 0 and 1, got {args.test_fraction}")
    train = load(args.data)
    if args.test_data:
        test = load(args.test_data)
    else:
        train, test = train.split(args.test_fraction, args.seed)
    options = {key: value for key, value in vars(args).items() if key in OPTIONS and value is not None}
    provenance = {"data": [str(p) for p in args.data], "test_data": [str(p) for p in args.test_data],
                  "test_fraction": None if args.test_data else args.test_fraction}
    summary = fit_baseline(args.kind, train, test, args.out, options, r_out=args.r_out, seed=args.seed,
                           provenance=provenance)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{summary['name']} baseline ({summary.get('parameters')} parameters) written to {args.out}")
        print(metrics_table(list(summary["errors"].items()), "data"))
    return 0


def _three_numbers(text):
    """[E, F, S] of "E,F,S"."""
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 3:
        raise argparse.ArgumentTypeError(f"expected three numbers E,F,S, got {text!r}")
    return values
