"""A judge stand-in for scoring tests: scripted replies, every prompt recorded."""

from __future__ import annotations


class Judge:
    """Replies from a list (the last one repeats) and records every prompt."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.prompts: list[list] = []
        self.fingerprint = "judge-under-test"

    def __call__(self, parts):
        self.prompts.append(list(parts))
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
