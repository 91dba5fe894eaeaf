"""Any adapter as a judge: the callable the judge protocols expect, with a fingerprint.

The protocols in :mod:`gapeval.scoring.judge` take a ``JudgeFn``: prompt parts (text strings and
images carrying a ``sha256``) in, raw reply text out. :func:`adapter_judge` wraps an adapter into
one: each call becomes a single text turn (one user message holding the parts in order) answered by
``adapter.run_turns`` through :class:`gapeval.calls.Caller`, the same caller (and retry policy) the
runner uses. A result that is not ``ok`` with a text output — an adapter that raises included —
raises :class:`JudgeError` (a :class:`~gapeval.errors.GapevalError`), which the scoring dispatcher
records as an unscorable score; transient errors (``TurnResult.transient``, e.g. HTTP 429) are first
retried with back-off.

The judge's :attr:`AdapterJudge.fingerprint` — the SHA-256 of the adapter's ``fingerprint()``, the
seed and the decoding settings — goes into every judge cache key and into the name of the scores.

Examples
--------
>>> from gapeval.adapters.scripted import ScriptedAdapter
>>> judge = adapter_judge(ScriptedAdapter(default="VERDICT: 1"))
>>> judge(["Is the sky blue?"]), judge.calls, len(judge.fingerprint)
('VERDICT: 1', 1, 64)
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from typing import Any

from gapeval.calls import Caller, CallPolicy
from gapeval.errors import GapevalError
from gapeval.records import (
    Decoding,
    ImagePart,
    Message,
    OutputSpec,
    TextPart,
    TurnRequest,
    TurnResult,
    derive_seed,
)
from gapeval.scoring import judge as judge_protocols

__all__ = ["AdapterJudge", "JudgeError", "adapter_judge", "judge_fingerprint"]


class JudgeError(GapevalError):
    """The judge adapter did not give a text reply (error, refusal, unsupported, image output)."""


def judge_fingerprint(adapter: Any, *, seed: int, decoding: Decoding) -> str:
    """SHA-256 of the adapter's fingerprint, the seed and the decoding settings (hex).

    Examples
    --------
    >>> from gapeval.adapters.scripted import ScriptedAdapter
    >>> a = judge_fingerprint(ScriptedAdapter(default="1"), seed=0, decoding=Decoding())
    >>> b = judge_fingerprint(ScriptedAdapter(default="1"), seed=1, decoding=Decoding())
    >>> a == judge_fingerprint(ScriptedAdapter(default="1"), seed=0, decoding=Decoding()), a == b
    (True, False)
    """
    payload = {
        "adapter": adapter.fingerprint(),
        "seed": int(seed),
        "decoding": decoding.model_dump(mode="json"),
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _message_part(part: Any) -> TextPart | ImagePart:
    if isinstance(part, str):
        return TextPart(text=part)
    if isinstance(part, ImagePart):
        return part
    if isinstance(part, judge_protocols.JudgeImage):
        from PIL import Image

        with Image.open(io.BytesIO(part.data)) as image:
            width, height = image.size
        return ImagePart(sha256=part.sha256, width=width, height=height, origin="model", data=part.data)
    raise GapevalError(
        f"a judge prompt part must be text or an image part, got {type(part).__name__}; "
        "pass gapeval.records.ImagePart or gapeval.scoring.judge.JudgeImage images"
    )


class AdapterJudge:
    """A judge callable backed by an adapter; see :func:`adapter_judge`."""

    def __init__(
        self,
        adapter: Any,
        *,
        model_name: str = "judge",
        seed: int = 0,
        decoding: Decoding | None = None,
        transient_retries: int = 3,
        backoff_s: float = 1.0,
    ) -> None:
        if transient_retries < 0 or backoff_s < 0:
            raise GapevalError(
                f"transient_retries and backoff_s must be >= 0, got {transient_retries}, {backoff_s}"
            )
        self.adapter = adapter
        self.model_name = model_name
        self.seed = int(seed)
        self.decoding = decoding if decoding is not None else Decoding()
        self.transient_retries = int(transient_retries)
        self.backoff_s = float(backoff_s)
        self.fingerprint = judge_fingerprint(adapter, seed=self.seed, decoding=self.decoding)
        """Identifies the judge in cache keys and score names (hex SHA-256)."""
        self._caller = Caller(adapter, CallPolicy(max_retries=self.transient_retries, backoff_s=self.backoff_s))

    @property
    def calls(self) -> int:
        """Number of ``run_turns`` calls made (retries of transient errors included)."""
        return self._caller.calls

    def __call__(self, parts: Sequence[Any]) -> str:
        """Ask the adapter one text turn made of ``parts``; return its reply text.

        Raises
        ------
        JudgeError
            If the result is not ``ok`` with a text output (after retrying transient errors).
        """
        message = Message(role="user", parts=tuple(_message_part(part) for part in parts))
        digest = hashlib.sha256(message.model_dump_json().encode("utf-8")).hexdigest()
        request = TurnRequest(
            request_id=f"judge-{digest[:16]}",
            model=self.model_name,
            item=f"judge-{digest[:16]}",
            seed=derive_seed(self.seed, f"judge-{digest}", None, 0),
            history=(message,),
            output=OutputSpec(kind="text"),
            decoding=self.decoding,
        )
        result = self._caller.ask(request)
        if result.status != "ok" or not isinstance(result.output, TextPart):
            got = "an image" if isinstance(result.output, ImagePart) else "no text"
            reason = result.error or f"status {result.status} with {got}"
            raise JudgeError(
                f"judge {self.model_name!r} gave no text reply ({result.status}: {reason}); "
                "check the judge adapter (it must answer text turns with images in them)"
            )
        return result.output.text

    def close(self) -> None:
        """Close the private event loop of an asynchronous adapter (the adapter is not closed)."""
        self._caller.close(adapter=False)

    def __repr__(self) -> str:
        return f"AdapterJudge({self.model_name!r}, fingerprint={self.fingerprint[:12]!r})"


def adapter_judge(
    adapter: Any,
    *,
    model_name: str = "judge",
    seed: int = 0,
    decoding: Decoding | None = None,
    transient_retries: int = 3,
    backoff_s: float = 1.0,
) -> AdapterJudge:
    """Turn ``adapter`` into the judge callable the protocols of :mod:`gapeval.scoring.judge` take.

    Parameters
    ----------
    adapter
        A loaded adapter (:class:`~gapeval.adapters.base.Adapter`; an
        :class:`~gapeval.adapters.base.AsyncAdapter` is driven on a private event loop). Load it
        before the first call and close it afterwards (:func:`gapeval.adapters.loaded`).
    model_name
        The ``model`` field of the judge's requests (a label; not part of the fingerprint).
    seed
        Base seed; each question gets ``derive_seed(seed, "judge-<sha256 of the prompt>", None, 0)``.
    decoding
        Decoding settings of the judge's turns (default: greedy, ``Decoding()``).
    transient_retries, backoff_s
        Transient errors are asked again up to ``transient_retries`` times, waiting
        ``backoff_s * 2**(attempt - 1)`` seconds or the server's ``retry_after_s`` when longer
        (:class:`gapeval.calls.CallPolicy`, the runner's policy).

    Returns
    -------
    AdapterJudge
        Callable ``parts -> reply text`` with a ``fingerprint`` (str) and a ``calls`` counter.

    Raises
    ------
    GapevalError
        If a retry setting is negative.
    """
    return AdapterJudge(
        adapter,
        model_name=model_name,
        seed=seed,
        decoding=decoding,
        transient_retries=transient_retries,
        backoff_s=backoff_s,
    )
