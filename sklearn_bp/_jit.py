"""The decorators of the compiled modules, and the disk cache of their machine code.

``compiled`` is numba's ``njit(cache=True)`` with a cache made safe to deploy. numba's
own cache keys a function on its own source file only, but a compiled function holds
the machine code of everything it calls (``_sgd.py``'s loops carry ``_sigmoid.py``'s
sigmoid); it ignores ``NUMBA_BOUNDSCHECK``; it raises at import when no directory is
writable; and a damaged file breaks every call until someone deletes it. Here:

* the cache of every function is keyed on the package version and the sources of all
  the compiled modules (``COMPILED_SOURCES``): after any change to them, every
  function is compiled again, and its new version replaces the old one on disk;
* each entry is also keyed on the numba settings that change the generated code but
  not numba's key (bounds checking, optimisation level, vectorisation, debug info);
* every file carries a SHA-256 digest of its contents: a damaged file reads as
  missing (its function is compiled and written again) and is never unpickled;
* where numba finds no writable directory, or writing fails, the code is compiled in
  memory and one ``CompilationCacheWarning`` says so.

The directory is numba's: ``NUMBA_CACHE_DIR`` if set, else the package's
``__pycache__`` if writable, else the user's cache directory (``~/.cache/numba``).
Each function has one index file and one data file per compiled version, named after
the function alone (numba adds the line it starts on, so that every edit above it
would leave old files behind) and starting with ``checked-`` (numba's own cache, as
in an older release of the package, never reads them: their format differs).

With ``NUMBA_DISABLE_JIT=1`` the decorators return the Python functions unchanged
and ``intrinsic`` returns its pure-Python equivalent.
"""

import functools
import hashlib
import io
import pickle
import sys
import warnings
from pathlib import Path

import numba
from numba import extending
from numba.core import config
from numba.core.caching import (
    CompileResultCacheImpl,
    FunctionCache,
    IndexDataCacheFile,
    NullCache,
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


class CompilationCacheWarning(UserWarning):
    """The compiled code cannot be cached on disk: each new process compiles it."""


def compiled(**options):
    """``njit`` with the package's disk cache; every loop releases the GIL (restarts
    run in threads)."""

    def decorate(function):
        dispatcher = numba.njit(nogil=True, **options)(function)
        if isinstance(dispatcher, Dispatcher):  # not so with NUMBA_DISABLE_JIT=1
            # What Dispatcher.enable_caching does, with this module's cache.
            dispatcher._cache = _cache_for(function)
        return dispatcher

    return decorate


def helper(**options):
    """``njit`` for functions called only from compiled code: no Python or C wrapper
    (never used, and about 0.1 s of compilation each) and no cache entry of their own
    (the cached callers carry their code)."""
    return numba.njit(
        nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True, **options
    )


def intrinsic(python):
    """numba's ``intrinsic`` (code generated directly), or the equivalent function
    ``python`` when NUMBA_DISABLE_JIT=1: numba cannot run an intrinsic as Python."""

    def decorate(definition):
        if config.DISABLE_JIT:
            return python
        return extending.intrinsic(definition)

    return decorate


def _cache_for(function):
    try:
        return _Cache(function)
    except RuntimeError as error:  # numba's "no locator available"
        return _MemoryOnlyCache(f"no writable cache directory was found ({error})")
    except OSError as error:  # as in a frozen application without its sources
        return _MemoryOnlyCache(f"the sources that key the cache are missing ({error})")


_warned = False


def _warn_once(reason):
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            f"sklearn-bp's compiled code cannot be cached on disk: {reason}. It is "
            "compiled in memory, again in each new process (several seconds). Set "
            "NUMBA_CACHE_DIR to a writable directory to keep it.",
            CompilationCacheWarning,
            stacklevel=2,
        )


class _MemoryOnlyCache(NullCache):
    """No cache at all; the first compilation in the process warns."""

    def __init__(self, reason):
        self._reason = reason

    def load_overload(self, sig, target_context):
        _warn_once(self._reason)


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
        return f"checked-{fullname}.py{major}{minor}{abiflags}"


class _Cache(FunctionCache):
    """numba's cache of one function, keyed and checked as the module says."""

    _impl_class = _CacheImpl

    def __init__(self, function):
        super().__init__(function)
        self._cache_file = _CheckedFiles(
            self._cache_path, self._impl.filename_base, _source_stamp()
        )

    def _index_key(self, sig, codegen):
        settings = tuple(str(getattr(config, name, None)) for name in _CODE_SETTINGS)
        return super()._index_key(sig, codegen) + (settings,)

    def load_overload(self, sig, target_context):
        try:
            return super().load_overload(sig, target_context)
        except Exception:
            # An entry that cannot be rebuilt is as good as missing: the function is
            # compiled, and its new version replaces the entry.
            return None

    def save_overload(self, sig, data):
        try:
            super().save_overload(sig, data)
        except OSError as error:
            self.disable()
            _warn_once(f"writing to {self._cache_path} failed ({error})")


class _CheckedFiles(IndexDataCacheFile):
    """numba's index and data files, each preceded by the SHA-256 digest of the rest.

    The index holds, as numba's does, the numba version, then the source stamp and
    the map from keys to data files; an index from another numba version or stamp
    reads as empty, and its data files are overwritten as functions are compiled.
    """

    def _load_index(self):
        try:
            stream = io.BytesIO(_read_checked(self._index_path))
        except OSError:  # missing, damaged or unreadable
            return {}
        if pickle.load(stream) != self._version:
            return {}  # the rest may not unpickle with this numba
        stamp, overloads = pickle.loads(stream.read())
        return overloads if stamp == self._source_stamp else {}

    def _save_index(self, overloads):
        version = pickle.dumps(self._version, protocol=-1)
        self._write_checked(
            self._index_path, version + self._dump((self._source_stamp, overloads))
        )

    def _load_data(self, name):
        # A damaged file raises OSError, which numba's load() takes as missing.
        return pickle.loads(_read_checked(self._data_path(name)))

    def _save_data(self, name, data):
        self._write_checked(self._data_path(name), self._dump(data))

    def _write_checked(self, path, payload):
        # numba writes a temporary file and renames it: readers see whole files.
        with self._open_for_write(path) as file:
            file.write(hashlib.sha256(payload).digest() + payload)


class _DamagedFile(OSError):
    """A cache file whose contents do not match their digest."""


def _read_checked(path):
    contents = Path(path).read_bytes()
    digest, payload = contents[:32], contents[32:]
    if hashlib.sha256(payload).digest() != digest:
        raise _DamagedFile(f"{path} is damaged")
    return payload
