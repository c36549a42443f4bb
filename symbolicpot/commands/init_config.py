"""`symbolicpot init-config`: write a commented default config for `symbolicpot evolve`."""
import os
import sys
from pathlib import Path


def add_parser(commands):
    p = commands.add_parser(
        "init-config", help="write a commented default config for `symbolicpot evolve`",
        description="Print (or write to a file) a TOML config for `symbolicpot evolve` with every setting, its "
                    "default and one line of documentation.")
    p.add_argument("out", nargs="?", metavar="FILE.toml", help="write here instead of printing (refuses to overwrite)")
    p.add_argument("--data", nargs="+", metavar="PATH", help="training data to fill in ([data] train), as given")
    p.add_argument("--force", action="store_true", help="overwrite FILE.toml if it exists")
    p.set_defaults(run=run)


def run(args):
    from ..run.schema import default_config_text

    out = None if args.out is None else Path(args.out)
    data = args.data or []
    if out is not None:  # a config's paths are relative to its own folder
        data = [os.path.relpath(Path(path).resolve(), out.resolve().parent) for path in data]
    text = default_config_text(data)
    if out is None:
        sys.stdout.write(text)
        return 0
    if out.exists() and not args.force:
        raise ValueError(f"{out} exists (use --force to overwrite)")
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}; run it with: symbolicpot evolve {out} --out runs/{out.stem}", file=sys.stderr)
    return 0
