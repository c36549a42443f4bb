"""symbolicpot: interatomic potentials discovered as short analytic formulas."""
from importlib.metadata import version as _version, PackageNotFoundError

try:
    __version__ = _version("symbolicpot")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
