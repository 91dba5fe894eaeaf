#!/usr/bin/env bash
# Create the peer environment for benchmarks/irt/compare_peers.py OUTSIDE the project's dependencies.
#
#   bash benchmarks/irt/setup_peers.sh /tmp/peers-venv
#
# It holds py-irt 0.7.1 and girth 0.8.0 (and what they pull in). torch is installed first, pinned to
# the CPU build 2.13.0 (a local wheel on our machines), so that py-irt does not make pip fetch a
# multi-GB CUDA build. Nothing here touches the project's .venv or pyproject.toml.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 VENV_PATH   (e.g. $0 /tmp/peers-venv)" >&2
    exit 2
fi
venv="$1"
python="${PYTHON:-python3}"

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --quiet)
# CPU torch first: the +cpu local wheel if pip can find it (find-links), else PyTorch's CPU index.
"${pip[@]}" "torch==2.13.0" || "${pip[@]}" "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
# Then the peers; torch stays pinned so the resolver cannot swap it for a CUDA build.
"${pip[@]}" "py-irt==0.7.1" "girth==0.8.0" "torch==2.13.0"
"$venv/bin/python" - <<'PY'
import importlib.metadata as md
for name in ("torch", "py-irt", "girth", "pyro-ppl", "numpy", "scipy"):
    try:
        print(f"{name} {md.version(name)}")
    except md.PackageNotFoundError:
        print(f"{name} (not installed)")
PY
