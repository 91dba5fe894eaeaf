"""A simulated respondent answering with the probabilities of a two-dimensional IRT model.

For a request about bank step ``j`` (an item, or turn ``t`` of a dialogue) in direction ``d``,

    P(correct) = logistic(slope * (theta_d + decay * (t - 1) - b_j)),

with ``b_j = difficulty_j - 3`` for bank difficulties 1..5 (so -2..2) and, for a step without a
difficulty or an id not in the bank, a value in [-2, 2) derived from the sha256 of the item id. The
draw uses ``numpy.random.default_rng([request.seed, <32-bit hash of request.model>])``, so the same
seed gives the same answer, in any batch, while respondents of one run (which share per-request
seeds) draw independently: seeding by the request alone would make every respondent's answer to an
item depend on one shared uniform draw, a perfectly nested (Guttman) pattern that inflates the
abilities' spread about threefold when fitted. ``TurnResult.raw`` records ``p``, ``b`` and whether the answer was drawn ``correct``.

Correct answers: the right option letter, number or text; for an image, the step's reference image
(resized), or, for a dialogue edit keyed on the model's own earlier image, the edit applied to the
grid read from that image. Wrong answers: another letter, a number off by more than the tolerance,
another answer of the same subtask; for an image, a visibly wrong one (one grid cell changed, the
colours shifted, the picture turned over, or a blank image), the first that the item's verifier
scores 0. Ids not in the bank get a generic answer (a letter, or the last history image) so a run
never stops on them.

Examples
--------
>>> adapter = SimulatedAdapter(theta_understanding=1.0, theta_generation=-1.0)
>>> from gapeval.records import Message, OutputSpec, TextPart, TurnRequest
>>> request = TurnRequest(request_id="r", model="sim", item="count-001-und", seed=3,
...     history=(Message(role="user", parts=(TextPart(text="How many?"),)),), output=OutputSpec(kind="text"))
>>> round(adapter.probability(request), 3)
0.953
>>> first, again = adapter.run_turns([request]), adapter.run_turns([request])
>>> first[0].output == again[0].output
True
"""

from __future__ import annotations

import hashlib
import math
import threading
from typing import Any

import numpy as np
from PIL import Image

from gapeval.adapters.base import Capabilities, TurnAdapter, library_versions
from gapeval.adapters.base import AdapterOptionError
from gapeval.bank import (
    Bank,
    Dialogue,
    DynamicGridAnswer,
    DynamicMcqAnswer,
    Item,
    JudgedMcqAnswer,
    McqAnswer,
    NumberAnswer,
    PointsAnswer,
    TextAnswer,
    Turn,
    VerifierAnswer,
    dynamic_cells,
    dynamic_key,
    load_bank,
)
from gapeval.protocols.steps import is_answer_step
from gapeval.records import ImagePart, TextPart, TurnRequest, TurnResult
from gapeval.respondents import procedural_draw as draw
from gapeval.respondents.procedural import DONT_KNOW, respond
from gapeval.respondents.simulated_images import (
    generic_shape,
    near_miss,
    shift_colours,
    wrong_image,
)
from gapeval.scoring.text import normalize_text

__all__ = ["SimulatedAdapter", "difficulty_of", "parse_protocol_effects", "respondent_key", "shift_colours"]

Answer = str | Image.Image


def parse_protocol_effects(value: str | dict[str, Any] | None) -> dict[str, tuple[float, float]]:
    """Read ``"LABEL:du:dg;..."`` (or a mapping ``{LABEL: [du, dg]}``) into ``{LABEL: (du, dg)}``.

    Examples
    --------
    >>> parse_protocol_effects("cot:0:0.8;best-of-n:0.1:0.4")
    {'cot': (0.0, 0.8), 'best-of-n': (0.1, 0.4)}
    >>> parse_protocol_effects("cot:0.8")
    Traceback (most recent call last):
        ...
    gapeval.adapters.base.AdapterOptionError: simulated adapter option protocol_effects: 'cot:0.8' \
is not LABEL:du:dg (e.g. cot:0:0.8)
    """
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        pairs = [(str(label), shift) for label, shift in value.items()]
    else:
        pairs = []
        for piece in filter(None, (p.strip() for p in str(value).split(";"))):
            label, *shift = piece.split(":")
            pairs.append((label, shift if len(shift) == 2 else piece))
    effects: dict[str, tuple[float, float]] = {}
    for label, shift in pairs:
        try:
            if isinstance(shift, str) or len(shift) != 2:
                raise ValueError
            du, dg = (float(x) for x in shift)
            if not (math.isfinite(du) and math.isfinite(dg)):
                raise ValueError
        except (TypeError, ValueError):
            shown = shift if isinstance(shift, str) else f"{label}: {shift!r}"
            raise AdapterOptionError(
                f"simulated adapter option protocol_effects: {shown!r} is not LABEL:du:dg (e.g. cot:0:0.8)"
            ) from None
        effects[label] = (du, dg)
    return effects


def respondent_key(model: str) -> int:
    """A 32-bit number from the respondent's name, mixed into every draw's seed.

    Examples
    --------
    >>> respondent_key("sim-a") == respondent_key("sim-a") != respondent_key("sim-b")
    True
    """
    return int.from_bytes(hashlib.sha256(model.encode("utf-8")).digest()[:4], "big")


def difficulty_of(step: Item | Turn | None, key: str) -> float:
    """The IRT difficulty ``b`` of a bank step: ``difficulty - 3``, else a hash of ``key`` in [-2, 2).

    Examples
    --------
    >>> difficulty_of(None, "q1") == difficulty_of(None, "q1")
    True
    >>> -2 <= difficulty_of(None, "q1") < 2
    True
    """
    if step is not None and step.difficulty is not None:
        return float(step.difficulty - 3)
    digest = hashlib.sha256(f"gapeval-simulated-b|{key}".encode()).digest()
    return -2.0 + 4.0 * int.from_bytes(digest[:8], "big") / 2**64


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _letters(count: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(count)]


def _output_image(request: TurnRequest, turn: int) -> Image.Image | None:
    """The image answered at dialogue turn ``turn``: the ``turn``-th assistant message of the history."""
    replies = [message for message in request.history if message.role == "assistant"]
    if not 1 <= turn <= len(replies) or not replies[turn - 1].images:
        return None
    return replies[turn - 1].images[-1].open()


class SimulatedAdapter(TurnAdapter):
    """A respondent with chosen abilities answering the bank's items (see the module docstring).

    Parameters
    ----------
    bank : str
        The bank the requests come from, as given to :func:`gapeval.bank.load_bank` (``"builtin"``
        or a folder); it is loaded on first use.
    theta_understanding, theta_generation : float
        Abilities for text (understanding) and image (generation) turns.
    decay : float
        Change of the logit per dialogue turn after the first (negative: answers get worse).
    slope : float
        Discrimination shared by all items (> 0).
    name : str
        Name reported in the fingerprint.
    max_batch : int
        Requests answered per batch (answers do not depend on it).
    protocol_effects : str or mapping, optional
        Known protocol effects for simulation studies: the abilities of the answer steps (``final``,
        ``candidate-k``) of protocol ``LABEL`` are shifted by ``(du, dg)``. Written
        ``"LABEL:du:dg;LABEL:du:dg"`` (e.g. ``"cot:0:0.8"``) or, in a TOML config, a table
        ``{cot = [0.0, 0.8]}``.
    verify_accept : float
        Probability that a self-verification verdict is YES (independent of the answer), and the
        mean of the 0-10 ratings of best-of-N divided by 10.
    """

    def __init__(
        self,
        *,
        bank: str = "builtin",
        theta_understanding: float = 0.0,
        theta_generation: float = 0.0,
        decay: float = 0.0,
        slope: float = 1.0,
        name: str = "simulated",
        max_batch: int = 256,
        protocol_effects: str | dict[str, Any] | None = None,
        verify_accept: float = 0.8,
    ) -> None:
        numbers = {"theta_understanding": theta_understanding, "theta_generation": theta_generation,
                   "decay": decay, "slope": slope}
        for option, value in numbers.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise AdapterOptionError(f"simulated adapter option {option}={value!r} must be a finite number")
        if slope <= 0:
            raise AdapterOptionError(f"simulated adapter option slope={slope!r} must be > 0, e.g. slope=1.0")
        if isinstance(verify_accept, bool) or not isinstance(verify_accept, (int, float)) or not 0 <= verify_accept <= 1:
            raise AdapterOptionError(f"simulated adapter option verify_accept={verify_accept!r} must lie in [0, 1]")
        self.effects = parse_protocol_effects(protocol_effects)
        self.verify_accept = float(verify_accept)
        self.bank_name = str(bank)
        self.theta = {"understanding": float(theta_understanding), "generation": float(theta_generation)}
        self.decay, self.slope, self.name = float(decay), float(slope), name
        self._capabilities = Capabilities(image_in=True, image_out=True, max_batch=max_batch, seeded=True)
        self._bank: Bank | None = None
        self._lock = threading.Lock()

    # --- bank ------------------------------------------------------------------------------------

    @property
    def bank(self) -> Bank:
        """The loaded bank (loaded, and indexed, on first use)."""
        with self._lock:
            if self._bank is None:
                self._index(load_bank(self.bank_name))
        assert self._bank is not None
        return self._bank

    def _index(self, bank: Bank) -> None:
        """Index items and dialogues by id, and the text answers of each subtask (for wrong answers)."""
        self._items = {item.id: item for item in bank.items}
        self._dialogues = {dialogue.id: dialogue for dialogue in bank.dialogues}
        pool: dict[str, set[str]] = {}
        for item in bank.items:
            if isinstance(item.answer, TextAnswer):
                pool.setdefault(item.subtask, set()).add(item.answer.value)
        self._pool = {subtask: sorted(values) for subtask, values in pool.items()}
        self._bank = bank

    def load(self) -> None:
        """Load the bank."""
        _ = self.bank

    def step(self, request: TurnRequest) -> Item | Turn | None:
        """The bank item or dialogue turn a request is about, or ``None`` when it is not in the bank.

        A dialogue turn is found from ``session`` and ``turn``, or from an item id ``"DIALOGUE#TURN"``.
        """
        _ = self.bank
        session, turn = request.session, request.turn
        if (session is None or session not in self._dialogues) and "#" in request.item:
            session, _, number = request.item.rpartition("#")
            turn = int(number) if number.isdigit() else None
        dialogue: Dialogue | None = self._dialogues.get(session) if session is not None else None
        if dialogue is not None and turn is not None and 1 <= turn <= len(dialogue.turns):
            return dialogue.turns[turn - 1]
        return self._items.get(request.item)

    def probability(self, request: TurnRequest) -> float:
        """Model-implied probability that the answer to ``request`` is correct."""
        b = difficulty_of(self.step(request), request.item)
        effect = self.effects.get(request.protocol, (0.0, 0.0))[request.direction == "generation"]
        theta = self.theta[request.direction] + effect
        logit = self.slope * (theta + self.decay * ((request.turn or 1) - 1) - b)
        return 1.0 / (1.0 + math.exp(-logit))

    # --- protocol --------------------------------------------------------------------------------

    def capabilities(self) -> Capabilities:
        """Reads text and images, answers in text and images."""
        return self._capabilities

    def fingerprint(self) -> dict[str, Any]:
        """Adapter name, abilities, decay, slope, bank and bank hash."""
        return {
            "adapter": "simulated",
            "name": self.name,
            "theta_understanding": self.theta["understanding"],
            "theta_generation": self.theta["generation"],
            "decay": self.decay,
            "slope": self.slope,
            "protocol_effects": {label: list(shift) for label, shift in sorted(self.effects.items())},
            "verify_accept": self.verify_accept,
            "bank": self.bank_name,
            "bank_hash": self.bank.hash,
            "libraries": library_versions("gapeval", "numpy", "pillow"),
        }

    def answer(self, request: TurnRequest) -> TurnResult:
        """Draw correct or wrong with the model's probability, then answer accordingly.

        Protocol steps that do not answer the item get generic replies: a thought or a rewrite
        repeats the question, a sketch is a random shape, a verdict is YES with probability
        ``verify_accept`` and a rating is drawn around ``10 * verify_accept``.
        """
        if not is_answer_step(request.step):
            return self._step_reply(request)
        step = self.step(request)
        p = self.probability(request)
        rng = np.random.default_rng([request.seed, respondent_key(request.model)])
        correct = bool(rng.random() < p)
        answer = self._image(request, step, correct, rng) if request.output.kind == "image" else (
            self._text(request, step, correct, rng))
        output = TextPart(text=answer) if isinstance(answer, str) else ImagePart.from_image(answer, origin="model")
        raw = {"p": p, "b": difficulty_of(step, request.item), "correct": correct,
               "in_bank": step is not None}
        return TurnResult(request_id=request.request_id, status="ok", output=output, raw=raw)

    def _step_reply(self, request: TurnRequest) -> TurnResult:
        rng = np.random.default_rng([request.seed, respondent_key(request.model)])
        kind = request.step.split("-")[0]
        if request.output.kind == "image":
            size = (request.output.width or 256, request.output.height or 256)
            output: TextPart | ImagePart = ImagePart.from_image(generic_shape(rng, size), origin="model")
        elif kind == "verify":
            output = TextPart(text="YES" if rng.random() < self.verify_accept else "NO, it is wrong.")
        elif kind == "rate":
            output = TextPart(text=str(int(rng.binomial(10, self.verify_accept))))
        else:
            output = TextPart(text=request.question_message.text)
        return TurnResult(request_id=request.request_id, status="ok", output=output, raw={"step": kind})

    # --- text answers ----------------------------------------------------------------------------

    def _text(self, request: TurnRequest, step: Item | Turn | None, correct: bool, rng: np.random.Generator) -> str:
        answer = None if step is None else step.answer
        if isinstance(answer, DynamicMcqAnswer):
            image = _output_image(request, answer.source_turn)
            key = None if image is None else dynamic_key(answer, image)
            answer = key if key is not None else JudgedMcqAnswer(source_turns=(answer.source_turn,),
                                                                 options=answer.options)
        if isinstance(answer, McqAnswer):
            if correct:
                return ",".join(answer.correct)
            others = [letter for letter in _letters(len(answer.options)) if letter not in answer.correct]
            return str(rng.choice(others))
        if isinstance(answer, NumberAnswer):
            if correct:
                return _number_text(answer.value)
            offset = (answer.tolerance + int(rng.integers(1, 3))) * (1 if rng.random() < 0.5 else -1)
            return _number_text(answer.value + offset)
        if isinstance(answer, TextAnswer):
            if correct:
                return answer.value
            right = {normalize_text(a) for a in (answer.value, *answer.aliases)}
            pool = [v for v in self._pool.get(getattr(step, "subtask", ""), []) if normalize_text(v) not in right]
            return str(rng.choice(pool)) if pool else DONT_KNOW
        if isinstance(answer, PointsAnswer):
            return "; ".join(answer.points) if correct else DONT_KNOW
        options = answer.options if isinstance(answer, JudgedMcqAnswer) and answer.options else ("",) * 4
        return str(rng.choice(_letters(len(options))))

    # --- image answers ---------------------------------------------------------------------------

    def _image(self, request: TurnRequest, step: Item | Turn | None, correct: bool,
               rng: np.random.Generator) -> Image.Image:
        size = (request.output.width or 256, request.output.height or 256)
        answer = None if step is None else step.answer
        if isinstance(answer, DynamicGridAnswer):
            source = _output_image(request, answer.source_turn)
            cells = None if source is None else dynamic_cells(answer, source)
            if cells is not None:
                if not correct:
                    cells = near_miss(cells, rng)
                return draw.fit(draw.draw_grid(cells, like=source), *size)
        if step is None or answer is None:
            history = request.images
            base = history[-1].open() if history else generic_shape(rng, size)
            return draw.fit(base if correct else shift_colours(base), *size)
        if step.reference is not None:
            right = draw.fit(self.bank.open_image(step.reference), *size)
        else:
            right = respond(request)[1]
            right = right if isinstance(right, Image.Image) else draw.blank(*size)
        if correct:
            return right
        if isinstance(answer, VerifierAnswer):
            return wrong_image(answer, right, rng)
        return draw.blank(*size)
