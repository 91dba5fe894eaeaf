"""IMUG-Bench's released ``data/`` folder: one dialogue per sample, keyed as the authors key it.

What the authors' scripts read (``scripts/run_evaluation.py``, ``scripts/auxiliary/*.py``,
``config/domain_classes.json`` and ``data/`` in ``ccccEsion/IMUG-Bench``):

* ``benchmark.jsonl``: per sample ``domain``, ``subdomain``, ``sample_id``, an optional
  ``system_prompt`` and ordered ``tasks``; a task has ``turn``, ``modality`` (``text`` or
  ``image``), ``input`` (a list of ``{"text": ...}`` and ``{"image": "<file in data/images>"}``
  parts, shown to the model in order) and ``output``: ``answer`` for text turns (letters A-G,
  ``"<DYNAMIC>"``, or fixed letters and the placeholder, ``"A+<DYNAMIC>"``) and
  ``evaluation_points`` for image turns. The key of a sample is (domain, subdomain, sample_id),
  as in every script: sample ids repeat across subdomains.
* ``dynamic_references.jsonl``: ``{domain, subdomain, sample_id, turn_idx, ref_turn_idxs}``, the
  earlier turns the judge resolves a dynamic key from.
* ``image_references.jsonl``: ``{sample_id, domain, subdomain, reference_links: [{turn_idx,
  refs: [{ref_turn, ref_type: "input" | "output"}]}]}``, the earlier images the image judge sees.
* ``grid_gt/Geometric_Coloring__<subdomain>__<sample_id>.jsonl``: ``{turn, grid}``, scored
  deterministically instead of by the judge for the cube subdomains.
* ``config/domain_classes.json`` (next to ``data/``): class name -> domains.

The schema of ``benchmark.jsonl`` is inferred from these scripts: the file itself is not in the
public repository.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gapeval.bank.importers import ImportedBank, Note
from gapeval.bank.importers._read import (
    Where, build, get_id, get_int, get_list, get_str, get_strings, object_at, read_json, read_jsonl,
)
from gapeval.bank.io import BankError
from gapeval.bank.schema import (
    BankImage, BankText, Dialogue, JudgedMcqAnswer, McqAnswer, PointsAnswer, Turn, VerifierAnswer,
)

__all__ = ["SampleKey", "dialogue_id", "import_imug_data", "sample_key"]

SampleKey = tuple[str, str, str]
_LETTERS = "ABCDEFG"
_STANDALONE = re.compile(r"\b([A-G])\b")
_JOINED = re.compile(r"\b([A-G]{2,7})\b")
_OPTION_LINE = re.compile(r"^\s*\(?([A-G])\s*[.):：]\s*(\S.*?)\s*$", re.MULTILINE)
_GRID_SUBDOMAINS = ("cubes_coloring", "cubes_completion", "cubes_synthesis")
_LICENCE = "IMUG-Bench licence pending (see the release); third-party images under their own terms"
LOST = (
    "image turns are judged on their evaluation points; IMUG-Bench's judge prompt (eval_prompt.txt) is not shipped",
    "historical image references (image_references.jsonl) are kept in dialogue params for the judge, "
    "not shown to the model",
    "the system_prompt of a sample is kept in dialogue params",
)


def sample_key(row: Mapping[str, Any], where: Where) -> SampleKey:
    """``(domain, subdomain, str(sample_id))``, the key of a sample in every IMUG-Bench script."""
    return (get_str(row, "domain", where) or "", get_str(row, "subdomain", where) or "",
            get_id(row, "sample_id", where))  # fmt: skip


def dialogue_id(key: SampleKey) -> str:
    """The id of a sample's dialogue: ``imug-<domain>-<subdomain>-<sample_id>``.

    Examples
    --------
    >>> dialogue_id(("Botany", "natural_growth", "3"))
    'imug-Botany-natural_growth-3'
    """
    domain, subdomain, sample_id = key
    return f"imug-{domain}-{subdomain}-{sample_id}"


def _data_folder(folder: Path) -> tuple[Path, Path]:
    """(``data/``, the repository root) from either of them."""
    if (folder / "benchmark.jsonl").is_file():
        return folder, folder.parent
    if (folder / "data" / "benchmark.jsonl").is_file():
        return folder / "data", folder
    raise BankError(f"{folder / 'benchmark.jsonl'} does not exist; point to IMUG-Bench's data/ folder "
                    "(or the repository root holding it)")


def _classes(repo: Path) -> dict[str, str] | None:
    path = repo / "config" / "domain_classes.json"
    if not path.is_file():
        return None
    config = object_at(read_json(path), path)
    classes = {}
    for name in config:
        for domain in get_strings(config, name, Where(path)):
            classes.setdefault(domain, name)
    return classes


def _dynamic_references(path: Path) -> dict[tuple[str, str, str, int], tuple[tuple[int, ...], Where]]:
    """(domain, subdomain, sample_id, turn) -> the referenced turns; a later row wins, as in the scripts."""
    if not path.is_file():
        return {}
    table = {}
    for where, row in read_jsonl(path):
        turn = get_int(row, "turn_idx", where)
        refs = get_list(row, "ref_turn_idxs", where, required=False)
        for index, ref in enumerate(refs):
            if isinstance(ref, bool) or not isinstance(ref, int) or not 1 <= ref < turn:
                raise BankError(f"{where.field(f'ref_turn_idxs[{index}]')} is {ref!r}; a dynamic turn can only "
                                f"be resolved from earlier turns (1 to {turn - 1})")
        table[(*sample_key(row, where), turn)] = (tuple(refs), where)
    return table


def _image_references(path: Path) -> dict[SampleKey, dict[str, list[dict[str, Any]]]]:
    """Sample -> turn -> the images the judge sees (``{"turn": k, "source": "input" | "output"}``)."""
    if not path.is_file():
        return {}
    table: dict[SampleKey, dict[str, list[dict[str, Any]]]] = {}
    for where, row in read_jsonl(path):
        links: dict[str, list[dict[str, Any]]] = {}
        for index, link in enumerate(get_list(row, "reference_links", where)):
            name = f"reference_links[{index}]"
            link = object_at(link, where.field(name))
            turn = str(get_int(link, "turn_idx", where, path=f"{name}.turn_idx"))
            refs = []
            for j, ref in enumerate(get_list(link, "refs", where, path=f"{name}.refs")):
                ref = object_at(ref, where.field(f"{name}.refs[{j}]"))
                kind = get_str(ref, "ref_type", where, path=f"{name}.refs[{j}].ref_type")
                if kind not in ("input", "output"):
                    raise BankError(f"{where.field(f'{name}.refs[{j}].ref_type')} is {kind!r}; use input or output")
                refs.append({"turn": get_int(ref, "ref_turn", where, path=f"{name}.refs[{j}].ref_turn"),
                             "source": kind})  # fmt: skip
            links.setdefault(turn, refs)  # the scripts take the first link of a turn
        table[sample_key(row, where)] = links
    return table


def _grid_truth(data: Path, key: SampleKey) -> dict[int, list[list[str]]]:
    domain, subdomain, sample_id = key
    if domain != "Geometric_Coloring" or subdomain not in _GRID_SUBDOMAINS:
        return {}
    path = data / "grid_gt" / f"Geometric_Coloring__{subdomain}__{sample_id}.jsonl"
    if not path.is_file():
        return {}
    truth = {}
    for where, row in read_jsonl(path):
        grid = get_list(row, "grid", where)
        if len(grid) != 3 or any(not isinstance(r, list) or len(r) != 3 or not all(c in ("0", "1", "r", "g") for c in r)
                                 for r in grid):
            raise BankError(f"{where.field('grid')} should be 3 rows of 3 cells \"0\", \"1\", \"r\" or \"g\", "
                            f"found {grid!r:.80}")
        truth.setdefault(get_int(row, "turn", where), grid)  # the scorer takes the first row of a turn
    return truth


def import_imug_data(folder: str | Path) -> ImportedBank:
    """Read IMUG-Bench's ``data/`` folder (or the repository root); each sample becomes a dialogue.

    Raises
    ------
    BankError
        For a missing ``benchmark.jsonl``, malformed JSON, a missing or mistyped field, a turn out of
        order, a missing input image, a repeated sample key, or a dynamic turn resolved from a turn
        that is not earlier; the message names the file, the line and the field.
    """
    data, repo = _data_folder(Path(folder))
    classes = _classes(repo)
    dynamic = _dynamic_references(data / "dynamic_references.jsonl")
    image_refs = _image_references(data / "image_references.jsonl")
    records: list[Dialogue] = []
    caveats: list[Note] = []
    seen: dict[SampleKey, Where] = {}
    for where, row in read_jsonl(data / "benchmark.jsonl"):
        key = sample_key(row, where)
        if key in seen:
            raise BankError(f"{where}: sample {key} repeats line {seen[key].line}; (domain, subdomain, sample_id) "
                            "must be unique")
        seen[key] = where
        turns = [_turn(data, task, index, where, key, dynamic, _grid_truth(data, key), caveats)
                 for index, task in enumerate(get_list(row, "tasks", where, non_empty=True))]  # fmt: skip
        domain, subdomain, sample_id = key
        params = {
            "domain": domain, "subdomain": subdomain, "sample_id": sample_id,
            "class": (classes or {}).get(domain, "Unassigned"),
            "image_references": image_refs.get(key, {}),
            "system_prompt": get_str(row, "system_prompt", where, required=False),
        }  # fmt: skip
        records.append(build(Dialogue, where, id=dialogue_id(key), category=domain,
                             turns=tuple(turns), params=params, source="IMUG-Bench", licence=_LICENCE))
    lost = LOST if classes is not None else (*LOST, "config/domain_classes.json not found: every class is 'Unassigned'")
    extra = (("distinct sample ids", len({sample_id for _, _, sample_id in seen})),)
    return ImportedBank(root=data, records=tuple(records), lost=lost, caveats=tuple(caveats), extra=extra)


def _turn(data: Path, task: Any, index: int, where: Where, key: SampleKey, dynamic: Mapping,
          grids: Mapping[int, list[list[str]]], caveats: list[Note]) -> Turn:  # fmt: skip
    name = f"tasks[{index}]"
    task = object_at(task, where.field(name))
    turn = get_int(task, "turn", where, path=f"{name}.turn")
    if turn != index + 1:
        raise BankError(f"{where.field(f'{name}.turn')} is {turn} at position {index + 1}; IMUG-Bench turns "
                        "run 1, 2, 3, ... in order")
    modality = get_str(task, "modality", where, path=f"{name}.modality")
    if modality not in ("text", "image"):
        raise BankError(f"{where.field(f'{name}.modality')} is {modality!r}; use text or image")
    parts = _parts(data, task, name, where)
    output = object_at(task.get("output", {}), where.field(f"{name}.output"))
    subtask = key[1]
    if modality == "image":
        points = get_strings(output, "evaluation_points", where, path=f"{name}.output.evaluation_points",
                             non_empty=True)
        answer: Any = PointsAnswer(points=tuple(points))
        if turn in grids:
            answer = VerifierAnswer(verifier="imug_grid", params={"grid": grids[turn], "points": len(points)},
                                    points=tuple(points))
        return build(Turn, where, index=turn, direction="generation", subtask=subtask, prompt=parts, answer=answer)
    raw = get_str(output, "answer", where, path=f"{name}.output.answer")
    text = "\n".join(part.text for part in parts if isinstance(part, BankText))
    if "<DYNAMIC>" in raw:
        answer = _dynamic_answer(raw, turn, where, key, dynamic, text, caveats)
    else:
        answer = _static_answer(raw, turn, where, name, text, caveats)
    return build(Turn, where, index=turn, direction="understanding", subtask=subtask, prompt=parts, answer=answer)


def _parts(data: Path, task: Mapping[str, Any], name: str, where: Where) -> tuple[Any, ...]:
    parts: list[Any] = []
    for j, part in enumerate(get_list(task, "input", where, path=f"{name}.input", non_empty=True)):
        part = object_at(part, where.field(f"{name}.input[{j}]"))
        for field in part:  # the runner shows a part's text and image in the order of its keys
            label = f"{name}.input[{j}].{field}"
            if field == "text":
                parts.append(BankText(text=get_str(part, "text", where, path=label)))
            elif field == "image":
                image = get_str(part, "image", where, path=label)
                path = Path(image)
                if path.is_absolute() or ".." in path.parts or not (data / "images" / path).is_file():
                    raise BankError(f"{where.field(label)} names {image!r}, which is not a file in {data / 'images'}")
                parts.append(BankImage(path=(Path("images") / path).as_posix()))
    if not parts:
        raise BankError(f"{where.field(f'{name}.input')} has no text or image part; the model would see nothing")
    return tuple(parts)


def _options(text: str, needed: set[str]) -> tuple[str, ...]:
    """Option texts labelled A, B, ... in the question; the letters themselves when not listed."""
    found = dict(_OPTION_LINE.findall(text))
    letters = [letter for letter in _LETTERS if letter in found]
    if letters == list(_LETTERS[: len(letters)]) and len(letters) >= 2 and needed <= set(letters):
        return tuple(found[letter] for letter in letters)
    last = max([_LETTERS.index(letter) for letter in needed] + [1])
    return tuple(_LETTERS[: last + 1])


def _dynamic_answer(raw: str, turn: int, where: Where, key: SampleKey, dynamic: Mapping, text: str,
                    caveats: list[Note]) -> JudgedMcqAnswer:  # fmt: skip
    fixed = tuple(sorted(set(re.findall(r"[A-G]", raw.split("<DYNAMIC>")[0]))))
    found = dynamic.get((*key, turn))
    if found is None:
        if turn == 1:
            raise BankError(f"{where}: dynamic turn 1 of sample {key} has no row in dynamic_references.jsonl "
                            "and no earlier turn to be resolved from")
        sources = tuple(range(1, turn))
        caveats.append(Note(str(where), f"dynamic turn {turn} of sample {key} has no row in "
                                           "dynamic_references.jsonl: IMUG-Bench never resolves or scores it; "
                                           "imported with every earlier turn as its source"))
    elif not found[0]:
        sources = tuple(range(1, turn))
        caveats.append(Note(str(found[1]), f"dynamic turn {turn} of sample {key} lists no reference turn; "
                                              "imported with every earlier turn as its source"))
    else:
        sources = found[0]
    multiple = key[0] == "Botany" and key[1] == "natural_growth"  # the resolver's MULTIPLE-CHOICE case
    return JudgedMcqAnswer(source_turns=sources, options=_options(text, set(fixed)), fixed=fixed, multiple=multiple)


def _static_answer(raw: str, turn: int, where: Where, name: str, text: str, caveats: list[Note]) -> McqAnswer:
    letters = set(_STANDALONE.findall(raw))
    if not letters:
        letters = {letter for word in _JOINED.findall(raw) if len(set(word)) == len(word) for letter in word}
        if letters:
            caveats.append(Note(str(where), f"turn {turn}: the key {raw!r} is written without separators; "
                                               "IMUG-Bench's regex reads no letter from it and scores the turn 0"))
    if not letters:
        raise BankError(f"{where.field(f'{name}.output.answer')} is {raw!r}: no option letter A-G; write the "
                        "correct letters (e.g. 'B' or 'A, C') or '<DYNAMIC>'")
    return McqAnswer(options=_options(text, letters), correct=tuple(sorted(letters)))
