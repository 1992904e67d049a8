"""The logistic sigmoid 1 / (1 + exp(-z)), compiled into loops that LLVM vectorises.

A call to the C library's scalar exp per unit costs more than the rest of a
mini-batch step, and NumPy's ``expit`` takes two passes with its bias addition.
Here exp is plain arithmetic, so that a loop of sigmoids runs four units at a time:
range reduction to ``exp(-z) = 2^k exp(r)``, a polynomial for ``exp(r)``, and
``2^k`` built from its bit pattern. The sigmoid stays within the error of
``1 / (1 + exp(-z))`` with the C library's exp (2.3 ulps at most against an
extended-precision reference; ``tests/test_sgd.py``).

The compiled loops of ``_sgd.py`` carry these functions in their cached machine code;
the cache is keyed on this file too (``_jit.py``), so an edit here recompiles them.
"""

import numpy as np
from llvmlite import ir
from numba import types

from ._jit import compiled, helper, intrinsic

#: No reassociation: the rounding trick below relies on the order of its additions.
#: Division by zero cannot happen (1 + exp(-z) >= 1), so it is not checked for.
_compiled = compiled(fastmath={"contract"}, error_model="numpy")
#: For functions called only from compiled code (``_jit.helper``).
_helper = helper(fastmath={"contract"}, error_model="numpy")

#: exp(-z) = 2^k exp(r), with k = round(-z / ln 2) and |r| <= ln(2) / 2; ln 2 is
#: split in two so that k * _LN2_HI is exact (Cody and Waite's range reduction).
_LOG2_E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
#: Adding 1.5 * 2^52 to a double of magnitude below 2^51 rounds it to an integer,
#: which then sits in the low bits of the sum's bit pattern.
_ROUNDER = 6755399441055744.0
_ROUNDER_BITS = 0x4338000000000000


@intrinsic(python=lambda x: np.float64(x).view(np.int64))
def _float_bits(typingctx, x):
    """The bit pattern of the double ``x``, as an int64 (no conversion)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic(python=lambda bits: np.int64(bits).view(np.float64))
def _bits_float(typingctx, bits):
    """The double whose bit pattern is the int64 ``bits``."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@_helper
def sigmoid(z):
    """1 / (1 + exp(-z)) for a float64 z, in arithmetic that vectorises."""
    # Beyond 710, 2^k overflows to inf and the sigmoid is 0, as with the C
    # library's exp; below -708, exp(-z) is negligible next to 1. A NaN passes
    # through both comparisons.
    x = min(max(-z, -708.0), 710.0)
    shifted = x * _LOG2_E + _ROUNDER
    k = shifted - _ROUNDER
    r = x - k * _LN2_HI - k * _LN2_LO
    two_to_k = _bits_float((_float_bits(shifted) - _ROUNDER_BITS + 1023) << 52)
    return 1.0 / (1.0 + _exp_near_zero(r) * two_to_k)


@_compiled
def sigmoid_inplace(z):
    """z <- sigmoid(z) for a 1-D array (float32 goes through float64)."""
    for i in range(z.size):
        z[i] = sigmoid(np.float64(z[i]))


@_compiled
def add_intercepts_and_sigmoid(Z, b):
    """Z <- sigmoid(Z + b) for a C-contiguous (n_samples, n_units) Z: one pass."""
    for r in range(Z.shape[0]):
        z = Z[r]
        for j in range(z.size):
            z[j] = sigmoid(np.float64(z[j] + b[j]))


@_helper
def _exp_near_zero(r):
    """exp(r) for |r| <= ln(2) / 2: its Taylor series to r^13 (truncation < 1e-17)."""
    p = 1.0 / 6227020800.0
    for factorial in (479001600.0, 39916800.0, 3628800.0, 362880.0, 40320.0):
        p = p * r + 1.0 / factorial
    for factorial in (5040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0):
        p = p * r + 1.0 / factorial
    return p
