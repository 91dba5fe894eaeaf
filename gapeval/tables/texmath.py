"""Math in table labels, captions and notes: ``$...$`` segments, typeset by LaTeX, spelled out elsewhere.

A label such as ``"$\\theta_U$"`` prints as θ\\ :sub:`U` in every format: LaTeX keeps the segment as
math; Markdown and HTML get Unicode letters with ``<sub>``/``<sup>`` tags. Only the short TeX that
tables use is understood: Greek letters, ``\\mathrm{...}``, ``\\text{...}``, one-character or braced
sub- and superscripts, ``\\times``, ``\\leq``, ``\\geq``, ``\\pm``, ``\\Delta``. A literal dollar in these
texts is written ``\\$``. Cells are never read as math (model names print as written).
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["math_to_text", "split_math"]

_COMMANDS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "varepsilon": "ε", "epsilon": "ε", "theta": "θ",
    "lambda": "λ", "mu": "μ", "sigma": "σ", "tau": "τ", "omega": "ω", "Delta": "Δ", "Sigma": "Σ",
    "Theta": "Θ", "times": "×", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "pm": "±", "cdot": "·",
    "prime": "′", ",": " ", ";": " ", "quad": " ",
}
_TOKEN = re.compile(r"\\(mathrm|text)\{([^{}]*)\}|\\([A-Za-z]+|[,;])|([_^])(\{(?:[^{}]|\{[^{}]*\})*\}|\\[A-Za-z]+|.)|(.)")


def split_math(text: str) -> list[tuple[bool, str]]:
    """Split ``text`` into ``(is_math, segment)`` pieces at unescaped ``$`` signs.

    Examples
    --------
    >>> split_math(r"Gap = $\\theta_U - \\theta_G$ (costs \\$5)")
    [(False, 'Gap = '), (True, '\\\\theta_U - \\\\theta_G'), (False, ' (costs $5)')]
    """
    pieces: list[tuple[bool, str]] = []
    current, math, i = "", False, 0
    while i < len(text):
        if text.startswith("\\$", i):
            current += "\\$" if math else "$"
            i += 2
            continue
        if text[i] == "$":
            if current:
                pieces.append((math, current))
            current, math = "", not math
        else:
            current += text[i]
        i += 1
    if math:
        raise ValueError(f"unbalanced $ in {text!r}: close the math segment or write a literal dollar as \\$")
    if current:
        pieces.append((False, current))
    return pieces


def math_to_text(source: str, *, sub: Callable[[str], str], sup: Callable[[str], str]) -> str:
    """A math segment as Unicode text; ``sub``/``sup`` wrap sub- and superscripts (e.g. in ``<sub>``).

    Examples
    --------
    >>> math_to_text(r"P(\\theta_U > \\theta_{G}) \\times 2", sub=lambda s: f"<sub>{s}</sub>", sup=str)
    'P(θ<sub>U</sub> > θ<sub>G</sub>) × 2'
    """
    out = []
    for roman, body, command, script, argument, char in _TOKEN.findall(source):
        if roman:
            out.append(body)
        elif command:
            out.append(_COMMANDS.get(command, command))
        elif script:
            inner = math_to_text(argument[1:-1] if argument.startswith("{") else argument, sub=sub, sup=sup)
            out.append(sub(inner) if script == "_" else sup(inner))
        elif char != " " or (out and not out[-1].endswith(" ")):
            out.append({"-": "−", "'": "′"}.get(char, char))
    return "".join(out)
