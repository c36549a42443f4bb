"""What every baseline kind promises at the command line: a missing package is one line naming the install
command, and so is a bad option."""
import json
import re
import subprocess
import sys

import pytest

from symbolicpot.baselines import KINDS, MissingDependency
from symbolicpot.cli import main
from symbolicpot.data import example_path
from symbolicpot.potentials import load_potential

DATA = str(example_path("sutton_chen") / "300K")


@pytest.mark.parametrize("kind, package, install", [
    ("mtp", "motep", 'pip install "symbolicpot[mtp]"'), ("nn", "torch", "pip install torch==2.13.0"),
    ("uf3", "uf3", 'pip install "symbolicpot[uf3]"'), ("mace", "mace", 'pip install "symbolicpot[mace]"'),
])
def test_without_its_package_the_command_gives_the_install_command(kind, package, install, capsys, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setitem(sys.modules, package, None)  # `import <package>` now raises ImportError
    (tmp_path / "baseline.json").write_text(json.dumps({"kind": kind}))
    with pytest.raises(MissingDependency, match=re.escape(install)):
        load_potential(tmp_path)
    status = main(["baseline", kind, "--data", DATA, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2 and len(err.splitlines()) == 1 and install in err


@pytest.mark.parametrize("kind, options, message", [
    ("mtp", ["--level", "3"], "even number from 2 to 24"), ("mtp", ["--epochs", "5"], "no option epochs"),
    ("uf3", ["--knots", "2"], "knots must be an integer of at least 4"), ("uf3", ["--epochs", "5"], "no option epochs"),
    ("mace", ["--channels", "0"], "channels must be a positive integer"), ("mace", ["--level", "2"], "no option level"),
    ("mace", ["--threads", "0"], "threads must be a positive integer"),
    ("mace", ["--loss-weights", "1,0,1"], "loss_weights must be three numbers > 0"),
])
def test_bad_options_give_one_line(kind, options, message, capsys, tmp_path):
    pytest.importorskip(KINDS[kind][0], reason=f"the {kind} extra is not installed")
    status = main(["baseline", kind, "--data", DATA, "--out", str(tmp_path), *options])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    assert message in captured.err and len(captured.err.splitlines()) == 1


@pytest.mark.parametrize("kind, options, message", [
    ("mtp", ["--level", "3"], "even number from 2 to 24"),
    ("uf3", ["--knots", "2"], "knots must be an integer of at least 4"),
    ("mace", ["--channels", "0"], "channels must be a positive integer"),
])
def test_a_bad_option_is_one_line_in_a_fresh_interpreter(kind, options, message, tmp_path):
    """As a user runs it: what the baseline's packages say when first imported counts too (one case per kind; each
    interpreter imports its packages anew, ~8 s for torch and mace)."""
    pytest.importorskip(KINDS[kind][0], reason=f"the {kind} extra is not installed")
    finished = subprocess.run([sys.executable, "-m", "symbolicpot", "baseline", kind, "--data", DATA, "--out",
                               str(tmp_path), *options], capture_output=True, text=True, check=False)
    assert finished.returncode == 2 and finished.stdout == ""
    assert message in finished.stderr and len(finished.stderr.splitlines()) == 1
