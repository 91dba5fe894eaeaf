"""The record every image verifier returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "unscorable"]


@dataclass(frozen=True)
class VerifierResult:
    """Outcome of checking one image.

    Attributes
    ----------
    status
        ``"pass"``, ``"fail"`` or ``"unscorable"`` (the image is not a clean flat-colour rendering,
        or the part to be checked could not be found; a judge should score it instead).
    detail
        One line saying what was read and what was expected.
    readout
        What the verifier read from the image (counts, grid, angles ...), JSON-serialisable.
    value
        A partial score in [0, 1] for verifiers that score several points (IMUG-Bench's cube
        grids); None for pass/fail verifiers.
    """

    status: Status
    detail: str
    readout: dict[str, Any] = field(default_factory=dict)
    value: float | None = None

    @property
    def score(self) -> float | None:
        """``value`` when set, else 1.0 for pass and 0.0 for fail; None for unscorable (never a zero)."""
        if self.status == "unscorable":
            return None
        if self.value is not None:
            return self.value
        return {"pass": 1.0, "fail": 0.0}[self.status]


def unscorable(detail: str) -> VerifierResult:
    """Return an unscorable result with the reason ``detail``."""
    return VerifierResult(status="unscorable", detail=detail)


def judged(ok: bool, detail: str, readout: dict[str, Any]) -> VerifierResult:
    """Return a pass or fail result."""
    return VerifierResult(status="pass" if ok else "fail", detail=detail, readout=readout)
