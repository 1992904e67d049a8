"""Cross-validated scores of sklearn-bp beside scikit-learn's MLP.

What ``make demo`` runs: the command line without arguments (``python -m sklearn_bp``,
or ``sklearn-bp`` once installed), which says what it measured under its table.
"""

import sys

from sklearn_bp._cli import main

if __name__ == "__main__":
    sys.exit(main([]))
