"""The decorators of the compiled modules, and the disk cache of their machine code.

``compiled`` is numba's ``njit(cache=True)`` with a cache made safe to deploy. numba's
own cache keys a function on its own source file only, but a compiled function holds
the machine code of everything it calls (``_sgd.py``'s loops carry ``_sigmoid.py``'s
sigmoid); and it ignores ``NUMBA_BOUNDSCHECK``. Here:

* the cache of every function is keyed on the package version and the sources of all
  the compiled modules (``COMPILED_SOURCES``): after any change to them, every
  function is compiled again, and its new version replaces the old one on disk;
* each entry is also keyed on the numba settings that change the generated code but
  not numba's key (bounds checking, optimisation level, vectorisation, debug info);

The directory is numba's: ``NUMBA_CACHE_DIR`` if set, else the package's
``__pycache__`` if writable, else the user's cache directory (``~/.cache/numba``).
Each function has one index file and one data file per compiled version, named after
the function alone (numba adds the line it starts on, so that every edit above it
would leave old files behind).

With ``NUMBA_DISABLE_JIT=1`` the decorators return the Python functions unchanged.
"""

import functools
import hashlib
import sys
from pathlib import Path

import numba
from numba.core import config
from numba.core.caching import (
    CompileResultCacheImpl,
    FunctionCache,
    IndexDataCacheFile,
)
from numba.core.dispatcher import Dispatcher

from ._version import __version__

#: The modules whose code numba compiles: any of them can end up inside any cached
#: function, so the cache is keyed on all of them (this file holds the options).
COMPILED_SOURCES = ("_jit.py", "_sgd.py", "_sigmoid.py", "_visits.py")

#: numba settings that change the generated code without entering numba's own key.
_CODE_SETTINGS = (
    "BOUNDSCHECK",
    "OPT",
    "LOOP_VECTORIZE",
    "SLP_VECTORIZE",
    "DEBUGINFO_DEFAULT",
    "USING_SVML",
)


def compiled(**options):
    """``njit`` with the package's disk cache; every loop releases the GIL (restarts
    run in threads)."""

    def decorate(function):
        dispatcher = numba.njit(nogil=True, **options)(function)
        if isinstance(dispatcher, Dispatcher):  # not so with NUMBA_DISABLE_JIT=1
            # What Dispatcher.enable_caching does, with this module's cache.
            dispatcher._cache = _Cache(function)
        return dispatcher

    return decorate


def helper(**options):
    """``njit`` for functions called only from compiled code: no Python or C wrapper
    (never used, and about 0.1 s of compilation each) and no cache entry of their own
    (the cached callers carry their code)."""
    return numba.njit(
        nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True, **options
    )


@functools.cache
def _source_stamp():
    digest = hashlib.sha256()
    for name in COMPILED_SOURCES:
        digest.update(Path(__file__).with_name(name).read_bytes())
    return __version__, digest.hexdigest()


class _CacheImpl(CompileResultCacheImpl):
    def get_filename_base(self, fullname, abiflags):
        # "_sgd._sample_epoch" and the Python version, whose pickles may differ.
        major, minor = sys.version_info[:2]
        return f"{fullname}.py{major}{minor}{abiflags}"


class _Cache(FunctionCache):
    """numba's cache of one function, keyed as the module says."""

    _impl_class = _CacheImpl

    def __init__(self, function):
        super().__init__(function)
        self._cache_file = IndexDataCacheFile(
            self._cache_path, self._impl.filename_base, _source_stamp()
        )

    def _index_key(self, sig, codegen):
        settings = tuple(str(getattr(config, name, None)) for name in _CODE_SETTINGS)
        return super()._index_key(sig, codegen) + (settings,)
