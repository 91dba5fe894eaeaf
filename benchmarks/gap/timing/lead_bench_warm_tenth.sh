#!/bin/bash
# lead, tenth session, idle: bench_warm.py nuts --fits 3 (cache off), 91dd696 (before) against the merged main (after), alternated
for r in 1 2; do
  if [ $((r % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
  for tree in $order; do
    echo "=== repeat $r tree $tree $(date -u +%H:%M:%S) uptime: $(uptime)"
    ( cd /tmp/lead10/$tree && GAPEVAL_JAX_CACHE=off PYTHONPATH=/tmp/lead10/$tree /usr/bin/time -f "process wall %e s user %U s sys %S s" /work/main/.venv/bin/python benchmarks/gap/bench_warm.py nuts --fits 3 2>&1 | grep -v Warning )
  done
done
echo "=== done $(date -u +%H:%M:%S) uptime: $(uptime)"
