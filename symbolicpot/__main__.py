"""`python -m symbolicpot` is the `symbolicpot` command."""
import sys

from .cli import main

sys.exit(main())
