"""A rule-based baseline that truly reads and draws the built-in bank's clean scenes.

:class:`ProceduralAdapter` never sees an answer key. It reads only the request's history: the
prompt text, matched against the built-in templates (:mod:`gapeval.bank.families`,
:mod:`gapeval.bank.dialogues`), and the input images, read with the readers of :mod:`gapeval.scenes` (grids,
connected components, clock hands; see :mod:`gapeval.respondents.procedural_read`). It answers
understanding turns with a short text (an option letter, a number, a colour, a time, a country) and
generation turns by drawing with :mod:`gapeval.scenes.render` or by editing the grid it read
(:func:`gapeval.bank.grids.apply_rules`), at the requested size.

When it cannot parse a prompt or read an image it says so: ``"I don't know"`` for text; for an
image, the last image of the history unchanged (resized), or a blank white image when there is none.
Its answers are deterministic (the seed is not used). ``TurnResult.raw["solver"]`` names the rule
that answered (``"unparsed"`` when none did).

Examples
--------
>>> from gapeval.records import Message, OutputSpec, TextPart, TurnRequest
>>> request = TurnRequest(
...     request_id="r1", model="procedural", item="die-x", seed=0, output=OutputSpec(kind="image", width=96, height=96),
...     history=(Message(role="user", parts=(TextPart(text="Draw the face of a standard six-sided die that is "
...         "opposite the face with 2 pips: round black pips on a white face."),)),),
... )
>>> (result,) = ProceduralAdapter().run_turns([request])
>>> result.status, result.raw["solver"], (result.output.width, result.output.height)
('ok', 'die', (96, 96))
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PIL import Image

from gapeval.adapters.base import Capabilities, TurnAdapter, library_versions
from gapeval.bank.dialogues import NONE_OPTION
from gapeval.bank.families.world import FLAGS
from gapeval.bank.grids import apply_rules
from gapeval.protocols import prompts
from gapeval.protocols.steps import is_answer_step
from gapeval.records import ImagePart, TextPart, TurnRequest, TurnResult
from gapeval.respondents import procedural_draw as draw
from gapeval.respondents import procedural_read as read
from gapeval.respondents.procedural_read import Context
from gapeval.scenes.grid import read_grid
from gapeval.scenes.render import render_flag
from gapeval.scenes.scene import RELATIONS, count, relation_holds

__all__ = ["DONT_KNOW", "PROCEDURAL_VERSION", "UNDERSTANDING", "ProceduralAdapter", "respond"]

#: Version of the baseline's rules; bumped whenever an answer can change.
PROCEDURAL_VERSION = "1"
#: The text answer when the baseline cannot parse the prompt or read the image.
DONT_KNOW = "I don't know"

Answer = str | Image.Image | None
Solver = Callable[[re.Match[str], Context], Answer]


def _count_text(n: int) -> str:
    return str(int(n))


def _objects(ctx: Context) -> list[dict[str, Any]] | None:
    return read.read_scene(ctx.image)


# --- understanding -------------------------------------------------------------------------------


def _edit_question(m: re.Match[str], ctx: Context) -> Answer:
    grid, rules = ctx.grid(int(m[1]), int(m[2])), read.parse_rules(m[3])
    if grid is None or rules is None:
        return None
    result = apply_rules(grid, rules)
    if m[4]:
        return _count_text(sum(cell == m[4] for row in result for cell in row))
    return result[int(m[5]) - 1][int(m[6]) - 1]


def _count(m: re.Match[str], ctx: Context) -> Answer:
    objects = _objects(ctx)
    return None if objects is None else _count_text(count(objects, f"{m[1]} {m[2]}"))


def _compare(m: re.Match[str], ctx: Context) -> Answer:
    objects, options = _objects(ctx), read.parse_options(ctx.text)
    if objects is None:
        return None
    n_a, n_b = count(objects, f"{m[1]} {m[2]}"), count(objects, f"{m[3]} {m[4]}")
    wanted = f"more {m[1]} {m[2]}s" if n_a > n_b else f"more {m[3]} {m[4]}s" if n_b > n_a else "the same number"
    return next((letter for letter, text in options.items() if text.startswith(wanted)), None)


def _remove(m: re.Match[str], ctx: Context) -> Answer:
    objects = _objects(ctx)
    return None if objects is None else _count_text(len(objects) - count(objects, f"{m[1]} {m[2]}"))


def _difference(m: re.Match[str], ctx: Context) -> Answer:
    objects = _objects(ctx)
    if objects is None:
        return None
    return _count_text(count(objects, f"{m[1]} {m[2]}") - count(objects, f"{m[3]} {read.singular(m[4])}"))


def _spatial(m: re.Match[str], ctx: Context) -> Answer:
    objects, options = _objects(ctx), read.parse_options(ctx.text)
    if objects is None:
        return None
    a = [o for o in objects if o["colour"] == m[1] and o["shape"] == m[2]]
    b = [o for o in objects if o["colour"] == m[3] and o["shape"] == m[4]]
    if len(a) != 1 or len(b) != 1:
        return None
    holds = [r for r in RELATIONS if relation_holds(a[0], r, b[0])]
    for letter, text in options.items():
        words = next((w for w in read.RELATION_WORDS if text.lower().startswith(w)), None)
        if words is not None and read.RELATION_WORDS[words] in holds:
            return letter
    return None


def _sequence(m: re.Match[str], ctx: Context) -> Answer:
    row = read.sequence_row(ctx)
    return None if row is None else read.continue_row(row)


def _symmetry(m: re.Match[str], ctx: Context) -> Answer:
    grid = ctx.grid(int(m[1]), int(m[2]))
    full = None if grid is None else read.mirror_fill(grid, m[3])
    return None if full is None else full[int(m[4]) - 1][int(m[5]) - 1]


def _path(m: re.Match[str], ctx: Context) -> Answer:
    grid = ctx.grid()
    route = None if grid is None else read.shortest_route(grid)
    return None if route is None else _count_text(len(route) - 1)


def _flag_name(image: Image.Image | None, candidates: list[str]) -> str | None:
    """The known flag (among ``candidates``) whose 6 x 9 colour template best matches ``image``."""
    if image is None:
        return None
    seen = read_grid(image, rows=6, cols=9, min_share=0.75, strict=False)
    if seen is None:
        return None
    best, best_agree = None, -1.0
    for name in candidates:
        template = read_grid(render_flag(FLAGS[name][1], width=image.size[0], height=image.size[1]),
                             rows=6, cols=9, min_share=0.75, strict=False) or []
        pairs = [(s, t) for srow, trow in zip(seen, template) for s, t in zip(srow, trow) if "?" not in (s, t)]
        agree = sum(s == t for s, t in pairs) / max(1, len(pairs))
        if agree > best_agree:
            best, best_agree = name, agree
    return best


def _flag(m: re.Match[str], ctx: Context) -> Answer:
    options = read.parse_options(ctx.text)
    known = {name.casefold(): name for name in FLAGS}
    if options:
        names = {known[text.casefold()]: letter for letter, text in options.items() if text.casefold() in known}
        best = _flag_name(ctx.image, list(names))
        return None if best is None else names[best]
    return _flag_name(ctx.image, list(FLAGS))


def _clock(m: re.Match[str], ctx: Context) -> Answer:
    time = read.read_clock(ctx.image)
    return None if time is None else f"{time[0]}:{time[1]:02d}"


def _mix(m: re.Match[str], ctx: Context) -> Answer:
    colours = read.read_swatches(ctx.image)
    if colours is None or len(colours) != 2:
        return None
    medium = "paint" if m[1] == "paints" else "light"
    return read.MIXING.get((medium, frozenset(colours)))


def _die(m: re.Match[str], ctx: Context) -> Answer:
    objects = _objects(ctx)
    pips = None if objects is None else count(objects, "black circle")
    return None if pips is None or not 1 <= pips <= 6 else _count_text(7 - pips)


def _grid_query(m: re.Match[str], ctx: Context) -> Answer:
    grid, options = ctx.grid(), read.parse_options(ctx.text)
    if grid is None or not options:
        return None
    value = grid[int(m[1]) - 1][int(m[2]) - 1] if m[1] else _count_text(sum(c == m[3] for row in grid for c in row))
    letter = next((k for k, text in options.items() if text == value), None)
    return letter or next((k for k, text in options.items() if text == NONE_OPTION), None)


_W = r"(\w+)"
UNDERSTANDING: tuple[tuple[str, re.Pattern[str], Solver], ...] = tuple(
    (name, re.compile(pattern, re.S), solver)
    for name, pattern, solver in (
        ("edit", r"The image shows a (\d+)x(\d+) grid\. Instruction: (.+?)\. (?:How many (\w+) cells will the "
                 r"grid have after this edit|After this edit, what colour is the cell in row (\d+), column (\d+))",
         _edit_question),
        ("count", rf"How many {_W} (circle|square|triangle)s? are in the image\?", _count),
        ("compare", rf"Are there more {_W} {_W}s or more {_W} {_W}s in the image\?", _compare),
        ("arithmetic", rf"If every {_W} {_W} were removed, how many objects would be left", _remove),
        ("arithmetic", rf"How many more {_W} {_W}s than {_W} {_W} are there\?", _difference),
        ("spatial_relation", rf"Where is the {_W} {_W} relative to the {_W} {_W}\?", _spatial),
        ("sequence", r"repeating colour pattern and the last \(white\) cell is blank\. What colour", _sequence),
        ("symmetry", r"This (\d+)x(\d+) grid must become mirror-symmetric (left to right|top to bottom).*?"
                     r"hidden cell in row (\d+), column (\d+)", _symmetry),
        ("path", r"how many steps does the shortest path from the green cell to the red cell take", _path),
        ("flag", r"Which country's national flag is shown\?", _flag),
        ("clock", r"What time does this analogue clock show\?", _clock),
        ("colour_mixing", r"If you mix these two (paints|coloured lights)", _mix),
        ("die", r"how many pips are on the face opposite the one shown", _die),
        ("grid_query", r"Look at the grid you just made\. (?:What colour is the cell in row (\d+), column (\d+)\?"
                       r"|How many (\w+) cells does the grid have\?)", _grid_query),
    )
)


def respond(request: TurnRequest) -> tuple[str, str | Image.Image]:
    """The baseline's answer to ``request`` and the name of the rule that produced it.

    Returns ``(solver, answer)``: a text for a text turn, an RGB image of the requested size for an
    image turn. ``solver`` is ``"unparsed"`` (or the rule's name with ``":unreadable"`` when the
    prompt was understood but the image could not be read) for the honest fallback answers.
    """
    if not is_answer_step(request.step):
        return _step_reply(request)
    ctx = Context(request)
    if request.output.kind == "text":
        for name, pattern, solver in UNDERSTANDING:
            if match := pattern.search(ctx.text):
                answer = solver(match, ctx)
                return (name, answer) if isinstance(answer, str) else (f"{name}:unreadable", DONT_KNOW)
        return "unparsed", DONT_KNOW
    width, height = request.output.width or 256, request.output.height or 256
    name, image = draw.generate(request, ctx)
    if isinstance(image, Image.Image):
        return name, draw.fit(image, width, height)
    fallback = draw.blank(width, height) if ctx.any_image is None else draw.fit(ctx.any_image, width, height)
    return (name if name == "unparsed" else f"{name}:unreadable"), fallback


def _step_reply(request: TurnRequest) -> tuple[str, str | Image.Image]:
    """Protocol steps that do not answer the item. The baseline has no reasoning to show and no
    knowledge to add: a thought is a fixed sentence, a rewrite repeats the request (so the drawing
    step parses it), a sketch is its drawing for the question (or the fallback image). Its answers
    are deterministic, so re-solving agrees with them: a verdict is always YES and a rating 10."""
    kind = request.step.split("-")[0]
    if request.output.kind == "image":
        name, image = respond(request.model_copy(update={"step": "final"}))
        return f"step:{kind}:{name}", image
    if kind == "verify":
        return "step:verify", "YES"
    if kind == "rate":
        return "step:rate", "10"
    if kind == "rewrite":
        return "step:rewrite", request.question_message.text.replace(prompts.REWRITE, "").strip()
    return f"step:{kind}", "I will read the request and answer it directly."


class ProceduralAdapter(TurnAdapter):
    """The rule-based baseline: reads prompts and clean images, answers and draws (see the module).

    Parameters
    ----------
    name : str
        Name reported in the fingerprint.
    max_batch : int
        Requests answered per batch (answers do not depend on it).
    """

    def __init__(self, *, name: str = "procedural", max_batch: int = 64) -> None:
        self.name = name
        self._capabilities = Capabilities(image_in=True, image_out=True, max_batch=max_batch, seeded=True)

    def capabilities(self) -> Capabilities:
        """Reads text and images, answers in text and images."""
        return self._capabilities

    def fingerprint(self) -> dict[str, Any]:
        """Adapter name, rule version and library versions."""
        return {
            "adapter": "procedural",
            "name": self.name,
            "version": PROCEDURAL_VERSION,
            "libraries": library_versions("gapeval", "pillow", "numpy", "scipy"),
        }

    def answer(self, request: TurnRequest) -> TurnResult:
        """Answer one request from its history only."""
        solver, answer = respond(request)
        output = TextPart(text=answer) if isinstance(answer, str) else ImagePart.from_image(answer, origin="model")
        return TurnResult(request_id=request.request_id, status="ok", output=output, raw={"solver": solver})
