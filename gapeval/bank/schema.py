"""Typed, frozen records of an item bank: prompt parts, answer specs, items and dialogues.

A bank on disk is one JSON object per line, each a :data:`Record` (an :class:`Item` or a
:class:`Dialogue`, told apart by ``"record"``). Image paths are relative to the bank folder.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from gapeval.responses import DIRECTIONS, GENERATION, UNDERSTANDING

Category = Literal["instruction_following", "numerical_perception", "world_knowledge", "reasoning"]
#: An item's direction: the vocabulary of :mod:`gapeval.responses` (its owner).
Direction = Literal[UNDERSTANDING, GENERATION]  # type: ignore[valid-type]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
#: Names a ``verifier`` answer may use; :data:`gapeval.scoring.verifiers.VERIFIERS` holds one check
#: per name (a test keeps the two in step), so loading a bank needs no scorer.
VERIFIER_NAMES: tuple[str, ...] = ("scene", "grid", "path", "clock", "template", "colour", "imug_grid")


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BankText(_Record):
    """A piece of prompt text."""

    type: Literal["text"] = "text"
    text: str = Field(min_length=1)


class BankImage(_Record):
    """An image shipped with the bank; ``path`` is relative to the bank folder (``images/x.png``)."""

    type: Literal["image"] = "image"
    path: str = Field(min_length=1)


class BankTurnImage(_Record):
    """An image from an earlier turn of the same dialogue.

    ``source="input"`` is the ``index``-th image of turn ``turn``'s prompt; ``source="output"`` is the
    image the model generated at turn ``turn`` (in a gold-history dialogue, that turn's reference).
    """

    type: Literal["turn_image"] = "turn_image"
    turn: int = Field(ge=1)
    source: Literal["input", "output"]
    index: int = Field(default=0, ge=0)


Part = Annotated[Union[BankText, BankImage, BankTurnImage], Field(discriminator="type")]
ItemPart = Annotated[Union[BankText, BankImage], Field(discriminator="type")]


class McqAnswer(_Record):
    """Multiple choice: ``options`` are labelled A, B, ...; ``correct`` holds the right letters."""

    kind: Literal["mcq"] = "mcq"
    options: tuple[str, ...] = Field(min_length=2, max_length=26)
    correct: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _letters_exist(self) -> McqAnswer:
        letters = [chr(ord("A") + i) for i in range(len(self.options))]
        bad = [letter for letter in self.correct if letter not in letters]
        if bad:
            raise ValueError(f"correct letters {bad} are not among the options {letters}")
        return self


class NumberAnswer(_Record):
    """A number; answers within ``tolerance`` of ``value`` are right."""

    kind: Literal["number"] = "number"
    value: float
    tolerance: float = Field(default=0.0, ge=0)


class TextAnswer(_Record):
    """Short text; ``value`` or any of ``aliases`` is right (compared after normalisation)."""

    kind: Literal["text"] = "text"
    value: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()


class PointsAnswer(_Record):
    """Only a judge can score it: ``points`` lists what a right answer must show or say."""

    kind: Literal["points"] = "points"
    points: tuple[str, ...] = Field(min_length=1)


class VerifierAnswer(_Record):
    """An image checked by ``gapeval.scoring.verifiers.verify(verifier, image, params)``.

    ``points`` are evaluation points for a judge when the verifier finds the image unscorable.
    """

    kind: Literal["verifier"] = "verifier"
    verifier: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    points: tuple[str, ...] = ()


class DynamicMcqAnswer(_Record):
    """Multiple choice whose key is read from the model's own image at turn ``source_turn``.

    The grid (``rows`` x ``cols``) of that image is read and ``query`` is evaluated on it (see
    :func:`gapeval.bank.dialogues.evaluate_query`); the correct letter is that of the option equal
    to the result, else that of the last option (``"none of these"``). An unreadable image makes
    the turn unscorable, never wrong.
    """

    kind: Literal["dynamic_mcq"] = "dynamic_mcq"
    source_turn: int = Field(ge=1)
    rows: int = Field(ge=1, le=30)
    cols: int = Field(ge=1, le=30)
    query: dict[str, Any]
    options: tuple[str, ...] = Field(min_length=2, max_length=26)


class DynamicGridAnswer(_Record):
    """An edit checked against ``transforms`` applied to the grid read from turn ``source_turn``'s image."""

    kind: Literal["dynamic_grid"] = "dynamic_grid"
    source_turn: int = Field(ge=1)
    rows: int = Field(ge=1, le=30)
    cols: int = Field(ge=1, le=30)
    transforms: tuple[dict[str, Any], ...] = Field(min_length=1)
    points: tuple[str, ...] = ()


class JudgedMcqAnswer(_Record):
    """Multiple choice whose key a judge resolves from the outputs of earlier turns ``source_turns``
    (IMUG-Bench's dynamic MCQ, imported). ``options`` may be empty when the prompt lists them.

    ``fixed`` holds letters that are right whatever the earlier outputs (IMUG-Bench writes them
    before the placeholder, ``"A+<DYNAMIC>"``); the key is their union with the judge's letters.
    ``multiple`` says whether more than one option may be right (the judge is told so).
    """

    kind: Literal["judged_mcq"] = "judged_mcq"
    source_turns: tuple[int, ...] = Field(min_length=1)
    options: tuple[str, ...] = ()
    fixed: tuple[Annotated[str, Field(pattern=r"^[A-Z]$")], ...] = ()
    multiple: bool = False


StaticAnswer = Annotated[
    Union[McqAnswer, NumberAnswer, TextAnswer, PointsAnswer, VerifierAnswer], Field(discriminator="kind")
]
TurnAnswer = Annotated[
    Union[
        McqAnswer, NumberAnswer, TextAnswer, PointsAnswer, VerifierAnswer, DynamicMcqAnswer, DynamicGridAnswer,
        JudgedMcqAnswer,
    ],
    Field(discriminator="kind"),
]


class Item(_Record):
    """One question in one direction.

    ``direction="understanding"``: the answer is text about the prompt (usually an image).
    ``direction="generation"``: the answer is an image (drawn from text, or an edit of an input
    image); ``reference`` is a correct image (relative path) when one exists.
    """

    record: Literal["item"] = "item"
    id: str = Field(min_length=1)
    pair: str | None = None
    category: str = Field(min_length=1)
    subtask: str = Field(min_length=1)
    direction: Direction
    prompt: tuple[ItemPart, ...] = Field(min_length=1)
    answer: StaticAnswer
    reference: str | None = None
    difficulty: int | None = Field(default=None, ge=1, le=5)
    params: dict[str, Any] = Field(default_factory=dict)
    source: str = "unknown"
    licence: str = "unknown"


class Turn(_Record):
    """One step of a dialogue (1-based ``index``); prompt parts may point to earlier turns."""

    index: int = Field(ge=1)
    direction: Direction
    subtask: str = Field(min_length=1)
    prompt: tuple[Part, ...] = Field(min_length=1)
    answer: TurnAnswer
    reference: str | None = None
    difficulty: int | None = Field(default=None, ge=1, le=5)


class Dialogue(_Record):
    """An interleaved session of turns over a scene the model keeps editing.

    ``history="model"``: later turns see (and are keyed on) the model's own earlier images.
    ``history="gold"``: every earlier output is replaced by that turn's ``reference`` image, so a
    drop over turns cannot come from the model's own earlier mistakes (exposure bias).
    """

    record: Literal["dialogue"] = "dialogue"
    id: str = Field(min_length=1)
    category: str = Field(min_length=1)
    history: Literal["model", "gold"] = "model"
    twin: str | None = None
    turns: tuple[Turn, ...] = Field(min_length=1, max_length=100)
    params: dict[str, Any] = Field(default_factory=dict)
    source: str = "unknown"
    licence: str = "unknown"


Record = Annotated[Union[Item, Dialogue], Field(discriminator="record")]
RECORD_ADAPTER: TypeAdapter[Item | Dialogue] = TypeAdapter(Record)


def bank_json_schema() -> dict[str, Any]:
    """Return the JSON schema of one line of ``bank.jsonl``.

    Examples
    --------
    >>> sorted(bank_json_schema()["discriminator"]["mapping"])
    ['dialogue', 'item']
    """
    schema = RECORD_ADAPTER.json_schema()
    schema["title"] = "gapeval bank record (one line of bank.jsonl)"
    return schema
