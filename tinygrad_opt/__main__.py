"""`python -m tinygrad_opt ...` runs the command line (see tinygrad_opt.cli)."""

import sys

from .cli import main

sys.exit(main())
