"""World knowledge that can be drawn and checked: flags, clock faces, colour mixing, dice."""

from __future__ import annotations

from typing import Any

import numpy as np

from gapeval.bank.families.base import PairDraft, mcq
from gapeval.bank.schema import NumberAnswer, TextAnswer
from gapeval.scenes.grid import read_grid
from gapeval.scenes.render import render_clock, render_die, render_flag, render_swatches

CATEGORY = "world_knowledge"

#: Flags drawable from flat geometry with palette colours: name -> (difficulty, geometry, aliases).
FLAGS: dict[str, tuple[int, dict[str, Any], tuple[str, ...]]] = {
    "France": (1, {"layout": "vertical", "colours": ["blue", "white", "red"]}, ()),
    "Italy": (1, {"layout": "vertical", "colours": ["green", "white", "red"]}, ()),
    "Germany": (1, {"layout": "horizontal", "colours": ["black", "red", "yellow"]}, ()),
    "Japan": (1, {"layout": "disc", "field": "white", "disc": "red"}, ()),
    "Switzerland": (1, {"layout": "cross", "field": "red", "cross": "white"}, ()),
    "Belgium": (2, {"layout": "vertical", "colours": ["black", "yellow", "red"]}, ()),
    "Ireland": (2, {"layout": "vertical", "colours": ["green", "white", "orange"]}, ()),
    "Netherlands": (2, {"layout": "horizontal", "colours": ["red", "white", "blue"]}, ("Holland",)),
    "Russia": (2, {"layout": "horizontal", "colours": ["white", "blue", "red"]}, ("Russian Federation",)),
    "Poland": (2, {"layout": "horizontal", "colours": ["white", "red"]}, ()),
    "Ukraine": (2, {"layout": "horizontal", "colours": ["blue", "yellow"]}, ()),
    "Sweden": (2, {"layout": "cross", "field": "blue", "cross": "yellow", "nordic": True}, ()),
    "Denmark": (2, {"layout": "cross", "field": "red", "cross": "white", "nordic": True}, ()),
    "Austria": (3, {"layout": "horizontal", "colours": ["red", "white", "red"]}, ()),
    "Indonesia": (3, {"layout": "horizontal", "colours": ["red", "white"]}, ()),
    "Hungary": (3, {"layout": "horizontal", "colours": ["red", "white", "green"]}, ()),
    "Finland": (3, {"layout": "cross", "field": "white", "cross": "blue", "nordic": True}, ()),
    "Romania": (3, {"layout": "vertical", "colours": ["blue", "yellow", "red"]}, ()),
    "Nigeria": (3, {"layout": "vertical", "colours": ["green", "white", "green"]}, ()),
    "Bangladesh": (3, {"layout": "disc", "field": "green", "disc": "red", "offset": 0.05}, ()),
    "Peru": (4, {"layout": "vertical", "colours": ["red", "white", "red"]}, ()),
    "Bulgaria": (4, {"layout": "horizontal", "colours": ["white", "green", "red"]}, ()),
    "Estonia": (4, {"layout": "horizontal", "colours": ["blue", "black", "white"]}, ()),
    "Lithuania": (4, {"layout": "horizontal", "colours": ["yellow", "green", "red"]}, ()),
    "Mali": (4, {"layout": "vertical", "colours": ["green", "yellow", "red"]}, ()),
    "Guinea": (4, {"layout": "vertical", "colours": ["red", "yellow", "green"]}, ()),
    "Ivory Coast": (4, {"layout": "vertical", "colours": ["orange", "white", "green"]}, ("Cote d'Ivoire", "Côte d'Ivoire")),
    "Yemen": (5, {"layout": "horizontal", "colours": ["red", "white", "black"]}, ()),
    "Sierra Leone": (5, {"layout": "horizontal", "colours": ["green", "white", "blue"]}, ()),
    "Gabon": (5, {"layout": "horizontal", "colours": ["green", "yellow", "blue"]}, ()),
    "Armenia": (5, {"layout": "horizontal", "colours": ["red", "blue", "orange"]}, ()),
    "Bolivia": (5, {"layout": "horizontal", "colours": ["red", "yellow", "green"]}, ()),
}

#: (mixed colours, medium, result, difficulty, aliases of the result).
MIXES = (
    (("red", "yellow"), "paint", "orange", 1, ()),
    (("blue", "yellow"), "paint", "green", 1, ()),
    (("red", "blue"), "paint", "purple", 2, ("violet",)),
    (("red", "white"), "paint", "pink", 2, ()),
    (("black", "white"), "paint", "gray", 3, ("grey",)),
    (("red", "green"), "light", "yellow", 5, ()),
    (("green", "blue"), "light", "cyan", 4, ("turquoise", "aqua")),
)


def flag(rng: np.random.Generator, name: str) -> PairDraft:
    """Recognise a national flag (multiple choice when easy, free text when hard) / draw it."""
    difficulty, geometry, aliases = FLAGS[name]
    image = render_flag(geometry)
    if difficulty <= 3:
        shares = [n for n in FLAGS if n != name and _shares_colour(FLAGS[n][1], geometry)]
        pool = shares if len(shares) >= 3 else [n for n in FLAGS if n != name]
        others = list(rng.choice(pool, size=3, replace=False))
        options = others + [name]
        order = rng.permutation(4)
        options = [str(options[i]) for i in order]
        text, answer = mcq("Which country's national flag is shown?", options, options.index(name))
    else:
        text = "Which country's national flag is shown? Answer with the country's name."
        answer = TextAnswer(value=name, aliases=aliases)
    template = read_grid(image, rows=6, cols=9, min_share=0.75, strict=False)
    return PairDraft(
        category=CATEGORY,
        subtask="flag",
        difficulty=difficulty,
        params={"country": name, "geometry": geometry},
        und_text=text,
        und_images=(image,),
        und_answer=answer,
        gen_text=f"Draw the national flag of {name} so that it fills the whole image, in flat colours, without emblems.",
        gen_images=(),
        gen_verifier="template",
        gen_params={"template": template, "min_agree": 0.9},
        gen_points=(f"the flag of {name}", "correct colours in the correct order and orientation", "fills the image"),
        reference=image,
        wrong=render_flag(_wrong_flag(geometry)),
    )


def clock(rng: np.random.Generator, difficulty: int, *, hour: int, minute: int) -> PairDraft:
    """Read the time from an analogue clock / draw a clock showing a time."""
    time = f"{hour}:{minute:02d}"
    image = render_clock(hour, minute)
    wrong_hour = (hour + 2) % 12 or 12
    return PairDraft(
        category=CATEGORY,
        subtask="clock",
        difficulty=difficulty,
        params={"hour": hour, "minute": minute},
        und_text="What time does this analogue clock show? The short blue hand is the hour hand and the long red "
        "hand the minute hand. Answer as H:MM.",
        und_images=(image,),
        und_answer=TextAnswer(value=time, aliases=_time_aliases(hour, minute)),
        gen_text=f"Draw an analogue clock showing {time}: a black circular outline with tick marks, a short "
        "blue hour hand and a long red minute hand, on a white background.",
        gen_images=(),
        gen_verifier="clock",
        gen_params={"hour": hour, "minute": minute},
        gen_points=(f"an analogue clock reading {time}", "the hour hand is shorter than the minute hand"),
        reference=image,
        wrong=render_clock(wrong_hour, minute),
    )


def _time_aliases(hour: int, minute: int) -> tuple[str, ...]:
    """Other ways of writing ``hour:minute`` on a 12-hour dial (zero-padded, 24-hour afternoon)."""
    afternoon = 12 if hour == 12 else hour + 12
    forms = [f"{hour:02d}:{minute:02d}", f"{afternoon}:{minute:02d}", f"{hour}.{minute:02d}"]
    if hour == 12:
        forms.append(f"0:{minute:02d}")
    return tuple(dict.fromkeys(f for f in forms if f != f"{hour}:{minute:02d}"))


def mix(rng: np.random.Generator, index: int, *, flip: bool) -> PairDraft:
    """Name / show the colour obtained by mixing two paints or two lights."""
    colours, medium, result, difficulty, aliases = MIXES[index]
    colours = tuple(reversed(colours)) if flip else colours
    noun = "paints" if medium == "paint" else "coloured lights (additive mixing)"
    wrong = "blue" if result != "blue" else "red"
    return PairDraft(
        category=CATEGORY,
        subtask="colour_mixing",
        difficulty=difficulty,
        params={"colours": list(colours), "medium": medium, "result": result},
        und_text=f"The image shows two colours. If you mix these two {noun}, what colour do you get? "
        "Answer with one colour name.",
        und_images=(render_swatches(colours),),
        und_answer=TextAnswer(value=result, aliases=aliases),
        gen_text=f"Fill the whole image with the single flat colour you get by mixing {colours[0]} and "
        f"{colours[1]} {'paint' if medium == 'paint' else 'light'}.",
        gen_images=(),
        gen_verifier="colour",
        gen_params={"colour": result},
        gen_points=(f"the image is a flat {result}",),
        reference=render_swatches([result]),
        wrong=render_swatches([wrong]),
    )


def die(rng: np.random.Generator, pips: int) -> PairDraft:
    """Opposite faces of a standard die add up to seven."""
    opposite = 7 - pips
    return PairDraft(
        category=CATEGORY,
        subtask="die",
        difficulty=3,
        params={"pips": pips, "opposite": opposite},
        und_text="On a standard six-sided die, how many pips are on the face opposite the one shown? Answer with a number.",
        und_images=(render_die(pips),),
        und_answer=NumberAnswer(value=opposite),
        gen_text=f"Draw the face of a standard six-sided die that is opposite the face with {pips} pips: "
        "round black pips on a white face.",
        gen_images=(),
        gen_verifier="scene",
        gen_params={"constraints": [["black circle", "==", opposite]]},
        gen_points=(f"a die face with {opposite} pips",),
        reference=render_die(opposite),
        wrong=render_die(opposite % 6 + 1),
    )


def _shares_colour(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return len(_colours(a) & _colours(b)) >= 2


def _colours(geometry: dict[str, Any]) -> set[str]:
    return set(geometry.get("colours", [])) | {geometry[k] for k in ("field", "disc", "cross") if k in geometry}


def _wrong_flag(geometry: dict[str, Any]) -> dict[str, Any]:
    if "colours" in geometry:
        colours = list(geometry["colours"])
        shifted = colours[1:] + colours[:1]
        if shifted == colours or shifted[::-1] == colours:
            shifted = ["purple"] + colours[1:]
        return dict(geometry, colours=shifted)
    key = "disc" if geometry["layout"] == "disc" else "cross"
    return dict(geometry, field=geometry[key], **{key: geometry["field"]})
