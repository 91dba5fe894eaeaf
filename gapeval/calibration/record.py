"""The calibration record: a bank's item parameters with their posterior uncertainty, as validated JSON.

A :class:`Calibration` holds what fixed-item scoring (:mod:`gapeval.calibration.scoring`) and the
adaptive chooser (:mod:`gapeval.calibration.selection`) need from a Gap Score fit on a reference
cohort (:func:`gapeval.calibration.fit.calibrate`): ``num_draws`` thinned **joint** posterior draws of
every item's slope ``a`` and difficulty ``b``, of the pair-effect spread ``sigma_gamma``, of the
ability population (``mu``, ``tau``, ``rho``) and of the observation layer (chance levels when they were
estimated, each judge's sensitivity and specificity), with the items' directions, pairs, chance
levels, the bank's content hash, the scale's definition and the versions.

:func:`save_calibration` writes it as JSON (no pickle); :func:`load_calibration` reads it back and
refuses a wrong schema version, a missing field, a NaN, an array of the wrong length or an
out-of-range value with a :class:`CalibrationError` that says what and how to fix it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from gapeval.errors import GapevalError
from gapeval.responses import DIRECTIONS, direction_slots

__all__ = ["Calibration", "CalibrationError", "SCHEMA", "SCHEMA_VERSION", "save_calibration", "load_calibration"]

#: Name written in every calibration file.
SCHEMA = "gapeval.calibration"
#: Version of the file layout; :func:`load_calibration` reads this version only.
SCHEMA_VERSION = 1
#: Significant digits kept for draws in the file (float32 precision is ~7).
_DIGITS = 7


class CalibrationError(GapevalError):
    """A calibration file or record is unusable (the message says which field and how to fix it)."""


@dataclass(frozen=True, eq=False)
class Calibration:
    """Item and population parameters of a bank, as posterior draws of a Gap Score fit.

    Attributes
    ----------
    item_ids : tuple of str
        Calibrated items, in the column order of every (draws, items) array.
    directions : tuple of str
        ``understanding`` or ``generation`` per item.
    pairs : tuple
        Pair id per item (None for an unpaired item).
    chance : numpy.ndarray
        (items,) chance level of each item (0: a free answer).
    item_judges : tuple
        Per item, the judge whose labels scored it in the reference cohort (None: direct scores).
    judge_ids : tuple of str
        Judges, in the column order of ``sensitivity`` and ``specificity``.
    a, b : numpy.ndarray
        (draws, items) slopes and difficulties (``b`` includes the difficulty offset, if any).
    sigma_gamma : numpy.ndarray
        (draws,) spread of the pair effect (zeros without pairs).
    mu, tau : numpy.ndarray
        (draws, 2) mean and spread of (theta_U, theta_G) over the reference cohort.
    rho : numpy.ndarray
        (draws,) correlation of theta_U and theta_G over the cohort.
    chance_draws : numpy.ndarray or None
        (draws, items) chance levels when they were estimated (``guessing="estimate"``); else None.
    sensitivity, specificity : numpy.ndarray
        (draws, judges) each judge's error rates.
    scale : str
        ``paired`` or ``standardized`` (see ``docs/gap_score.md``).
    difficulty_offset : tuple of float or None
        (mean, sd) of the generation-minus-understanding difficulty offset of the fit; None: 0 by convention.
    points : int
        Evaluation points per answer (1: 0/1 scores).
    guessing : str
        How chance levels entered the fit.
    ability_df : float or None
        Degrees of freedom of Student-t abilities; None: normal.
    bank_hash : str or None
        Content hash of the bank the items come from (``gapeval.bank.bank_hash``).
    cohort : tuple of str
        Models of the reference cohort.
    fit : dict
        How the calibration was fitted (inference, seed, draws, diagnostics).
    gapeval_version : str
        Version of gapeval that wrote it.
    schema_version : int
        :data:`SCHEMA_VERSION`.
    """

    item_ids: tuple
    directions: tuple
    pairs: tuple
    chance: np.ndarray
    item_judges: tuple
    judge_ids: tuple
    a: np.ndarray
    b: np.ndarray
    sigma_gamma: np.ndarray
    mu: np.ndarray
    tau: np.ndarray
    rho: np.ndarray
    chance_draws: np.ndarray | None
    sensitivity: np.ndarray
    specificity: np.ndarray
    scale: str = "paired"
    difficulty_offset: tuple[float, float] | None = None
    points: int = 1
    guessing: str = "fixed"
    ability_df: float | None = None
    bank_hash: str | None = None
    cohort: tuple = ()
    fit: dict = field(default_factory=dict)
    gapeval_version: str = ""
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        validate(self)

    def __deepcopy__(self, memo):  # immutable record (pandas copies attrs deeply)
        return self

    @property
    def num_draws(self) -> int:
        return int(self.a.shape[0])

    @property
    def num_items(self) -> int:
        return len(self.item_ids)

    @cached_property
    def item_code(self) -> dict:
        """Item id -> column of the draw arrays."""
        return {item: k for k, item in enumerate(self.item_ids)}

    @cached_property
    def item_slot(self) -> np.ndarray:
        """Slot of each item (0 understanding, 1 generation)."""
        return direction_slots(np.asarray(self.directions, dtype=object))

    @cached_property
    def unit_ids(self) -> tuple:
        """Units (pairs sorted by id, then unpaired items in item order), as in :mod:`gapeval.gap.model`."""
        pair_ids = sorted({p for p in self.pairs if p is not None}, key=str)
        return tuple(pair_ids) + tuple(i for i, p in zip(self.item_ids, self.pairs) if p is None)

    @property
    def num_pairs(self) -> int:
        return len({p for p in self.pairs if p is not None})

    @cached_property
    def item_unit(self) -> np.ndarray:
        """Unit of each item."""
        code = {u: k for k, u in enumerate(self.unit_ids)}
        return np.array([code[p if p is not None else i] for i, p in zip(self.item_ids, self.pairs)], dtype=np.int64)

    def item_chance(self) -> np.ndarray:
        """(draws, items) chance level of each item in each draw."""
        if self.chance_draws is not None:
            return self.chance_draws
        return np.broadcast_to(self.chance, self.a.shape)

    def require_bank(self, bank_hash: str | None) -> None:
        """Refuse a bank other than the calibrated one (the runner checks this before an adaptive run).

        Raises
        ------
        CalibrationError
            The hashes differ (or this calibration recorded none).

        Examples
        --------
        >>> import numpy as np
        >>> cal = Calibration(item_ids=("i",), directions=("understanding",), pairs=(None,), chance=np.zeros(1),
        ...                   item_judges=(None,), judge_ids=(), a=np.ones((1, 1)), b=np.zeros((1, 1)),
        ...                   sigma_gamma=np.zeros(1), mu=np.zeros((1, 2)), tau=np.ones((1, 2)), rho=np.zeros(1),
        ...                   chance_draws=None, sensitivity=np.zeros((1, 0)), specificity=np.zeros((1, 0)),
        ...                   bank_hash="sha256:aa")
        >>> cal.require_bank("sha256:aa")
        >>> cal.require_bank("sha256:bb")
        Traceback (most recent call last):
        ...
        gapeval.calibration.record.CalibrationError: calibration: it was made for bank sha256:aa, not sha256:bb; ...
        """
        if self.bank_hash is None or bank_hash != self.bank_hash:
            raise _fail(f"it was made for bank {self.bank_hash or '(hash not recorded)'}, not {bank_hash}",
                        "use the calibration of this bank version, or calibrate it (and link it to the old one "
                        "with link_calibration)")

    def score(self, responses, *, model="model", item="item", direction="direction", score="score", judge="judge",
              level: float = 0.95, threshold: float | None = None):
        """The gap of each model in ``responses`` against this calibration (what ``gap_score(..., calibration=)`` runs).

        See :func:`gapeval.calibration.scoring.score_with_calibration`.
        """
        from gapeval.calibration.scoring import score_with_calibration

        return score_with_calibration(responses, self, model=model, item=item, direction=direction, score=score,
                                      judge=judge, level=level, threshold=threshold)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (plain lists and numbers) :func:`save_calibration` writes."""
        def arr(x):
            return None if x is None else np.round(np.asarray(x, dtype=float), _DIGITS).tolist()

        return {
            "schema": SCHEMA, "schema_version": self.schema_version, "gapeval_version": self.gapeval_version,
            "bank_hash": self.bank_hash,
            "scale": {"name": self.scale, "difficulty_offset": None if self.difficulty_offset is None
                      else list(self.difficulty_offset),
                      "definition": _scale_definition(self.scale)},
            "points": self.points, "guessing": self.guessing, "ability_df": self.ability_df,
            "cohort": list(self.cohort), "fit": self.fit,
            "items": {"item": list(self.item_ids), "direction": list(self.directions), "pair": list(self.pairs),
                      "chance": arr(self.chance), "judge": list(self.item_judges)},
            "judges": list(self.judge_ids),
            "num_draws": self.num_draws,
            "draws": {"a": arr(self.a), "b": arr(self.b), "sigma_gamma": arr(self.sigma_gamma), "mu": arr(self.mu),
                      "tau": arr(self.tau), "rho": arr(self.rho), "chance": arr(self.chance_draws),
                      "sensitivity": arr(self.sensitivity), "specificity": arr(self.specificity)},
        }


def _scale_definition(scale: str) -> str:
    if scale == "paired":
        return ("paired: the two forms of a question share a difficulty; the difficulties of the paired items sum to "
                "zero within each direction (plus the difficulty offset, if given) and the log-slopes to zero")
    return "standardized: theta_U and theta_G each N(0, 1) over the reference cohort"


def _fail(what: str, fix: str) -> CalibrationError:
    return CalibrationError(f"calibration: {what}; {fix}")


_REBUILD = "recreate the file with `gapeval calibrate` (or gapeval.calibration.calibrate + save_calibration)"


def _check_array(name: str, value, shape: tuple, *, low=-math.inf, high=math.inf, open_low=False) -> None:
    x = np.asarray(value)
    if x.shape != shape:
        raise _fail(f"'{name}' has shape {x.shape}, expected {shape} (draws x items/judges as the file declares)",
                    _REBUILD)
    if not np.issubdtype(x.dtype, np.number) or not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x.astype(float)))[:3].tolist() if np.issubdtype(x.dtype, np.number) else "?"
        raise _fail(f"'{name}' has NaN or infinite values (at {bad})", _REBUILD)
    if ((x <= low) if open_low else (x < low)).any() or (x > high).any():
        raise _fail(f"'{name}' has values outside {'(' if open_low else '['}{low}, {high}]: "
                    f"{np.sort(x.reshape(-1))[[0, -1]].tolist()}", _REBUILD)


def validate(cal: Calibration) -> None:
    """Refuse an inconsistent record (shapes, NaNs, ranges, directions, pairs), naming the field."""
    if cal.schema_version != SCHEMA_VERSION:
        raise _fail(f"schema_version {cal.schema_version!r} is not {SCHEMA_VERSION}, the version this gapeval reads",
                    "recalibrate with this gapeval version, or read the file with the version that wrote it "
                    f"(gapeval {cal.gapeval_version or '?'})")
    n_items, n_judges = len(cal.item_ids), len(cal.judge_ids)
    if n_items == 0:
        raise _fail("it has no items", _REBUILD)
    for name in ("directions", "pairs", "item_judges"):
        if len(getattr(cal, name)) != n_items:
            raise _fail(f"'{name}' has {len(getattr(cal, name))} entries for {n_items} items", _REBUILD)
    if len(set(cal.item_ids)) != n_items:
        raise _fail("item ids are not unique", _REBUILD)
    unknown = sorted({d for d in cal.directions if d not in DIRECTIONS})
    if unknown:
        raise _fail(f"directions {unknown} are not {list(DIRECTIONS)}", _REBUILD)
    seen: dict = {}
    for item, p, d in zip(cal.item_ids, cal.pairs, cal.directions):
        if p is not None and (p, d) in seen:
            raise _fail(f"pair {p!r} has two {d} items ({seen[(p, d)]!r}, {item!r})", _REBUILD)
        seen[(p, d)] = item
    bad_judges = sorted({str(j) for j in cal.item_judges if j is not None and j not in cal.judge_ids})
    if bad_judges:
        raise _fail(f"items name judges {bad_judges} that have no error-rate draws (judges: {list(cal.judge_ids)})",
                    _REBUILD)
    s = np.asarray(cal.a).shape[0] if np.asarray(cal.a).ndim == 2 else 0
    if s < 1:
        raise _fail(f"'a' must be a (draws, items) array, got shape {np.asarray(cal.a).shape}", _REBUILD)
    _check_array("chance", cal.chance, (n_items,), low=0.0, high=0.999)
    _check_array("a", cal.a, (s, n_items), low=0.0, open_low=True)
    _check_array("b", cal.b, (s, n_items))
    _check_array("sigma_gamma", cal.sigma_gamma, (s,), low=0.0)
    _check_array("mu", cal.mu, (s, 2))
    _check_array("tau", cal.tau, (s, 2), low=0.0, open_low=True)
    _check_array("rho", cal.rho, (s,), low=-0.999999, high=0.999999)
    if cal.chance_draws is not None:
        _check_array("chance draws", cal.chance_draws, (s, n_items), low=0.0, high=0.999)
    _check_array("sensitivity", cal.sensitivity, (s, n_judges), low=0.0, high=1.0)
    _check_array("specificity", cal.specificity, (s, n_judges), low=0.0, high=1.0)
    if cal.scale not in ("paired", "standardized"):
        raise _fail(f"scale {cal.scale!r} is not 'paired' or 'standardized'", _REBUILD)
    if isinstance(cal.points, bool) or not isinstance(cal.points, int) or cal.points < 1:
        raise _fail(f"points {cal.points!r} is not a positive integer", _REBUILD)
    if cal.ability_df is not None and not (isinstance(cal.ability_df, int | float) and cal.ability_df > 0):
        raise _fail(f"ability_df {cal.ability_df!r} is not a positive number or null", _REBUILD)


_REQUIRED = ("schema", "schema_version", "gapeval_version", "bank_hash", "scale", "points", "guessing", "ability_df",
             "cohort", "fit", "items", "judges", "num_draws", "draws")
_ITEM_FIELDS = ("item", "direction", "pair", "chance", "judge")
_DRAW_FIELDS = ("a", "b", "sigma_gamma", "mu", "tau", "rho", "chance", "sensitivity", "specificity")


def _require(mapping, keys, where: str) -> None:
    if not isinstance(mapping, dict):
        raise _fail(f"{where} is a {type(mapping).__name__}, expected a JSON object", _REBUILD)
    missing = [k for k in keys if k not in mapping]
    if missing:
        raise _fail(f"{where} lacks the field(s) {missing}", f"the file is incomplete or not a calibration: {_REBUILD}")


def _array(value, name: str) -> np.ndarray:
    try:
        return np.asarray([np.nan if v is None else v for v in value] if isinstance(value, list) and value
                          and not isinstance(value[0], list) else value, dtype=float)
    except (TypeError, ValueError):
        raise _fail(f"'{name}' is not a numeric array (ragged rows or non-numbers)", _REBUILD) from None


def from_dict(doc: dict) -> Calibration:
    """A :class:`Calibration` from the JSON document of :meth:`Calibration.to_dict` (validated)."""
    _require(doc, ("schema", "schema_version"), "the file")
    if doc["schema"] != SCHEMA:
        raise _fail(f"schema {doc['schema']!r} is not {SCHEMA!r}: this is not a calibration file",
                    "pass the file written by `gapeval calibrate`")
    if doc["schema_version"] != SCHEMA_VERSION:
        raise _fail(f"schema_version {doc['schema_version']!r} is not {SCHEMA_VERSION}, the version this gapeval "
                    "reads", "recalibrate with this gapeval version, or read the file with the version that wrote it "
                    f"(gapeval {doc.get('gapeval_version', '?')})")
    _require(doc, _REQUIRED, "the file")
    _require(doc["items"], _ITEM_FIELDS, "'items'")
    _require(doc["draws"], _DRAW_FIELDS, "'draws'")
    _require(doc["scale"], ("name", "difficulty_offset"), "'scale'")
    items, draws = doc["items"], doc["draws"]
    lengths = {k: len(items[k]) for k in _ITEM_FIELDS if isinstance(items[k], list)}
    if len(lengths) != len(_ITEM_FIELDS) or len(set(lengths.values())) != 1:
        raise _fail(f"the item lists have different lengths {lengths}", _REBUILD)
    num_draws = doc["num_draws"]
    arrays = {k: None if draws[k] is None else _array(draws[k], f"draws.{k}") for k in _DRAW_FIELDS}
    if arrays["a"] is not None and arrays["a"].shape[:1] != (num_draws,):
        raise _fail(f"num_draws is {num_draws} but 'a' has {arrays['a'].shape[:1]} rows", _REBUILD)
    offset = doc["scale"]["difficulty_offset"]
    n_judges = len(doc["judges"])
    for k in ("sensitivity", "specificity"):
        if arrays[k] is None or (arrays[k].size == 0 and n_judges == 0):
            arrays[k] = np.zeros((num_draws, n_judges))
    return Calibration(
        item_ids=tuple(items["item"]), directions=tuple(items["direction"]), pairs=tuple(items["pair"]),
        chance=_array(items["chance"], "items.chance"), item_judges=tuple(items["judge"]),
        judge_ids=tuple(doc["judges"]), a=arrays["a"], b=arrays["b"], sigma_gamma=arrays["sigma_gamma"],
        mu=arrays["mu"], tau=arrays["tau"], rho=arrays["rho"], chance_draws=arrays["chance"],
        sensitivity=arrays["sensitivity"], specificity=arrays["specificity"], scale=doc["scale"]["name"],
        difficulty_offset=None if offset is None else (float(offset[0]), float(offset[1])), points=doc["points"],
        guessing=doc["guessing"], ability_df=doc["ability_df"], bank_hash=doc["bank_hash"],
        cohort=tuple(doc["cohort"]), fit=doc["fit"], gapeval_version=doc["gapeval_version"],
        schema_version=doc["schema_version"])


def save_calibration(calibration: Calibration, path: str | Path) -> Path:
    """Write ``calibration`` as JSON to ``path`` (NaN-free, no pickle); return the path.

    Examples
    --------
    See :func:`load_calibration`.
    """
    path = Path(path)
    text = json.dumps(calibration.to_dict(), allow_nan=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
    return path


def load_calibration(path: str | Path) -> Calibration:
    """Read a calibration file written by :func:`save_calibration` (or ``gapeval calibrate``), validated.

    Raises
    ------
    CalibrationError
        Not JSON, another schema or schema version, a missing field, a NaN, arrays whose lengths
        disagree, values out of range: the message names the field and says how to fix it.
    FileNotFoundError
        No such file.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        doc = json.loads(text, parse_constant=lambda name: float("nan"))
    except json.JSONDecodeError as error:
        raise _fail(f"{path} is not JSON ({error.msg} at line {error.lineno})", "pass the file `gapeval calibrate` "
                    "wrote") from None
    return from_dict(doc)
