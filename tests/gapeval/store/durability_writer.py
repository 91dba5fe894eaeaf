"""Subprocess of the durability test: answer N keys into a store, skipping what exists.

Usage: ``python durability_writer.py STORE_DIR N``. Answers come from the scripted mock adapter, so
a key gets the same answer in every run; every 5th key is an image turn and every 7th first logs a
transient error. Prints ``done <written> <skipped>`` when finished.
"""

from __future__ import annotations

import sys
import time

from storekit import request

from gapeval.adapters.scripted import ScriptedAdapter, Transient
from gapeval.store import AnswerKey, Store


def expected_request(index: int):
    return request(f"q{index:04d}", image=index % 5 == 0, sample=index % 3)


def main(folder: str, count: int) -> int:
    adapter = ScriptedAdapter({f"q{i:04d}": Transient(times=1) for i in range(0, count, 7)})
    written = skipped = 0
    with Store(folder) as store:
        done = store.keys()
        for index in range(count):
            req = expected_request(index)
            if AnswerKey.of(req) in done:
                skipped += 1
                continue
            while True:
                (result,) = adapter.run_turns([req])
                store.put(req, result)
                if result.status != "error":
                    break
            written += 1
            time.sleep(0.001)
    print(f"done {written} {skipped}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
