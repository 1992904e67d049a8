"""``python -m sklearn_bp``: the command line of ``sklearn_bp._cli``."""

import sys

from ._cli import main

sys.exit(main())
