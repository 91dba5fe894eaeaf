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
    """

    status: Status
    detail: str
    readout: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float | None:
        """1.0 for pass, 0.0 for fail, None for unscorable (never silently a zero)."""
        return {"pass": 1.0, "fail": 0.0}.get(self.status)


def unscorable(detail: str) -> VerifierResult:
    """Return an unscorable result with the reason ``detail``."""
    return VerifierResult(status="unscorable", detail=detail)


def judged(ok: bool, detail: str, readout: dict[str, Any]) -> VerifierResult:
    """Return a pass or fail result."""
    return VerifierResult(status="pass" if ok else "fail", detail=detail, readout=readout)
