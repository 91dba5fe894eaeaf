#!/bin/bash
# before/after alternated: bench_warm.py nuts --fits 3, cache off, 3 repeats each
cd /tmp/rhatlimit
for r in 1 2 3; do
  if [ $((r % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
  for tree in $order; do
    echo "=== repeat $r tree $tree $(date -u +%H:%M:%S) uptime: $(uptime)"
    ( cd $tree && GAPEVAL_JAX_CACHE=off PYTHONPATH=/tmp/rhatlimit/$tree /usr/bin/time -f "process wall %e s user %U s sys %S s" /work/main/.venv/bin/python benchmarks/gap/bench_warm.py nuts --fits 3 2>&1 | grep -v Warning )
  done
done
echo "=== done $(date -u +%H:%M:%S) uptime: $(uptime)"
