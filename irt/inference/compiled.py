"""Compiled programs of the sampler layer, kept per layout and reused across fits.

A fit's programs (the NUTS warm start, the chains, the way back to the reported sites, an SVI fit)
take the data as arguments, so a second data set of the same *layout* (the same model, the same
static options, arrays of the same shapes and dtypes) runs the programs the first one compiled:
a loop of fits of one layout (calibration, bootstrap, simulation studies) pays compilation once.

**Bounded.** Every compiled XLA program holds memory maps and Linux allows 65,530 per process
(``vm.max_map_count``); a loop of fits that kept every program stopped after 58-75 fits with "LLVM
compilation error: Cannot allocate memory". JAX's own caches keep every program they compiled (also
those compiled ahead of time and since dropped), so the layer keeps at most :data:`PROGRAM_LIMIT`
programs, the least recently used going first, and empties JAX's caches (:func:`jax.clear_caches`;
the programs it holds itself stay valid) when it drops one, and after compiling a program it does not
keep (``layout=None``). Your own jitted functions recompile on their next call after that.

**On disk.** JAX's persistent compilation cache keeps compiled programs between processes (repeated
command line and report runs): under ``$XDG_CACHE_HOME/gapeval/jax`` (``~/.cache/gapeval/jax``), or
the folder named by the environment variable ``GAPEVAL_JAX_CACHE``; ``GAPEVAL_JAX_CACHE=off`` (or
empty) switches it off. A cache folder the user set in JAX (``JAX_COMPILATION_CACHE_DIR`` or
``jax.config``) is left as it is.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["PROGRAM_LIMIT", "CACHE_ENV", "layout_key", "program", "statistics", "clear", "persistent_cache_dir",
           "enable_persistent_cache"]

#: Most compiled programs kept (a NUTS layout uses three, four when it stops once converged; an SVI layout one).
PROGRAM_LIMIT = 24
#: Environment variable naming the folder of the persistent compilation cache (``off`` or empty: none).
CACHE_ENV = "GAPEVAL_JAX_CACHE"
#: Compilations shorter than this (seconds) are not written to the persistent cache.
PERSISTENT_MIN_SECONDS = 0.5

_programs: OrderedDict = OrderedDict()
_counts = {"compiled": 0, "reused": 0}
_persistent: dict[str, Any] = {"done": False, "path": None}


def layout_key(*parts: Any) -> Hashable:
    """A hashable key of ``parts``: numbers, strings, None, tuples, dicts, NumPy arrays and frozen dataclasses.

    Arrays enter by shape, dtype and a digest of their bytes, so two equal arrays give the same key.
    Functions and other objects enter by identity (pass module-level functions).

    Examples
    --------
    >>> import numpy as np
    >>> layout_key("m", np.arange(3), {"k": 1}) == layout_key("m", np.arange(3), {"k": 1})
    True
    >>> layout_key("m", np.arange(3)) == layout_key("m", np.arange(4))
    False
    """
    return tuple(_hashable(part) for part in parts)


def _hashable(value: Any) -> Hashable:
    if isinstance(value, np.ndarray) or (hasattr(value, "shape") and hasattr(value, "dtype")):
        array = np.ascontiguousarray(np.asarray(value))
        return ("array", array.shape, str(array.dtype), hashlib.sha1(array.tobytes()).hexdigest())
    if isinstance(value, dict):
        return ("dict",) + tuple((key, _hashable(item)) for key, item in sorted(value.items(), key=lambda kv: str(kv[0])))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__,) + tuple(_hashable(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value), tuple((f.name, _hashable(getattr(value, f.name))) for f in dataclasses.fields(value)))
    hash(value)   # raises TypeError for an unhashable part
    return value


def _shapes(args: tuple) -> Hashable:
    import jax

    leaves, tree = jax.tree_util.tree_flatten(args)
    return tree, tuple((tuple(np.shape(leaf)), str(np.asarray(leaf).dtype) if not hasattr(leaf, "dtype")
                        else str(leaf.dtype)) for leaf in leaves)


def program(name: str, layout: Hashable | None, build: Callable[[], Callable], args: tuple) -> Callable:
    """The compiled program ``build()`` (a :func:`jax.jit` or :func:`jax.pmap` of a function) for ``args``.

    Parameters
    ----------
    name : str
        What the program does (part of the key, e.g. ``"nuts_chains"``).
    layout : hashable or None
        Everything the function built by ``build`` closes over (see :func:`layout_key`), together
        with ``name`` and the shapes and dtypes of ``args`` the key of the program. None: the
        program is compiled for this call only and not kept.
    build : callable
        Returns the transformed function; called only when the program is not kept yet.
    args : tuple
        Example arguments (their shapes and dtypes are compiled for).

    Returns
    -------
    callable
        The compiled program; call it with arguments shaped like ``args``.
    """
    key = None if layout is None else (name, layout, _shapes(args))
    if key is not None and key in _programs:
        _programs.move_to_end(key)
        _counts["reused"] += 1
        return _programs[key]
    import jax

    enable_persistent_cache()
    compiled = build().lower(*args).compile()
    _counts["compiled"] += 1
    if key is None:
        jax.clear_caches()   # JAX keeps its own reference: the program must go with the caller's
        return compiled
    _programs[key] = compiled
    if len(_programs) > PROGRAM_LIMIT:
        while len(_programs) > PROGRAM_LIMIT:
            _programs.popitem(last=False)
        jax.clear_caches()   # JAX keeps its own reference to every program it compiled: only ours may remain
    return compiled


def statistics() -> dict[str, int]:
    """Programs ``compiled`` and ``reused`` so far in this process, and the number ``kept`` now.

    Examples
    --------
    >>> sorted(statistics())
    ['compiled', 'kept', 'reused']
    """
    return {**_counts, "kept": len(_programs)}


def clear() -> None:
    """Drop every kept program (and JAX's caches) and set the counts of :func:`statistics` to zero."""
    import jax

    _programs.clear()
    _counts.update(compiled=0, reused=0)
    jax.clear_caches()


def persistent_cache_dir(environ: dict[str, str] | None = None) -> Path | None:
    """The folder of the persistent compilation cache that :data:`CACHE_ENV` and the user's cache home give.

    Examples
    --------
    >>> str(persistent_cache_dir({"XDG_CACHE_HOME": "/tmp/c"}))
    '/tmp/c/gapeval/jax'
    >>> persistent_cache_dir({"GAPEVAL_JAX_CACHE": "off"}) is None
    True
    """
    environ = os.environ if environ is None else environ
    if CACHE_ENV in environ:
        value = environ[CACHE_ENV].strip()
        return None if value.lower() in ("", "off", "0", "none", "false") else Path(value).expanduser()
    home = environ.get("XDG_CACHE_HOME") or str(Path("~").expanduser() / ".cache")
    return Path(home) / "gapeval" / "jax"


def enable_persistent_cache() -> Path | None:
    """Point JAX's persistent compilation cache at :func:`persistent_cache_dir` (once per process).

    Returns the folder in use (the user's own JAX setting when there is one), or None when off.
    """
    if _persistent["done"]:
        return _persistent["path"]
    import jax

    _persistent["done"] = True
    current = jax.config.jax_compilation_cache_dir
    if current:
        _persistent["path"] = Path(current)
        return _persistent["path"]
    path = persistent_cache_dir()
    if path is not None:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            warnings.warn(f"cannot create the compilation cache folder {path} ({error}); compiling without it. "
                          f"Set {CACHE_ENV} to a writable folder, or to 'off'", RuntimeWarning, stacklevel=3)
            return None
        jax.config.update("jax_compilation_cache_dir", str(path))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", PERSISTENT_MIN_SECONDS)
    _persistent["path"] = path
    return path
