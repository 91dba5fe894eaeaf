"""Eighth session (issue 20, Build 5): formulations of the fused likelihood's gradient-only pass at 1000 x 10,000.

Each variant is the tiled loop of :mod:`irt.inference.dense_logistic` over full blocks of respondents (the rest
block left out: every variant alike) with another per-block formula; 20 calls a round, rounds alternated,
CPU and wall ms per call. ``current``: r = s(1 - sigma(s x)) (the value-and-gradient pass's);
``ymp``: r = y - sigma(x) (kept: ``logistic_log_likelihood_for_gradient``); ``ymp_sums``: the products as
sums; ``ymp_tanh``: sigma from tanh; ``elementwise_only``: no products; ``noexp``: r = y - x (what the
products and the conversion cost without exp and divide). Run from the repository root::

    PYTHONPATH=. .venv/bin/python benchmarks/irt/gradient_pass_variants.py [num_items] [rounds]

Records: ``results/gradient_pass_variants_svifloor.log``.
"""
import time, sys, re
import numpy as np, jax, jax.numpy as jnp
from jax import lax
from irt.inference import dense_logistic as dl
M, I = 1000, int(sys.argv[1]) if len(sys.argv) > 1 else 10000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
rng = np.random.default_rng(0)
theta = jnp.asarray(rng.standard_normal((M, 1)), jnp.float32)
a = jnp.asarray(np.exp(0.3 * rng.standard_normal((I, 1))), jnp.float32)
d = jnp.asarray(rng.standard_normal(I), jnp.float32)
y = jnp.asarray((rng.random((M, I)) < 0.5).astype(np.int8))

def blk_current(theta_b, loadings, d, y_b):
    sign = 2.0 * y_b.astype(theta_b.dtype) - 1.0
    z = sign * dl._logits(theta_b, loadings, d)
    r = sign * (1.0 - jax.nn.sigmoid(z))
    stacked = jnp.concatenate([theta_b, jnp.ones_like(theta_b[:, :1])], axis=1)
    return stacked.T @ r, r @ loadings
def blk_ymp(theta_b, loadings, d, y_b):
    r = y_b.astype(theta_b.dtype) - jax.nn.sigmoid(dl._logits(theta_b, loadings, d))
    stacked = jnp.concatenate([theta_b, jnp.ones_like(theta_b[:, :1])], axis=1)
    return stacked.T @ r, r @ loadings
def blk_ymp_sums(theta_b, loadings, d, y_b):
    r = y_b.astype(theta_b.dtype) - jax.nn.sigmoid(dl._logits(theta_b, loadings, d))
    cols = jnp.stack([(r * theta_b[:, 0:1]).sum(0), r.sum(0)])
    return cols, (r * loadings[:, 0]).sum(1, keepdims=True)
def blk_ymp_tanh(theta_b, loadings, d, y_b):
    r = y_b.astype(theta_b.dtype) - 0.5 - 0.5 * jnp.tanh(0.5 * dl._logits(theta_b, loadings, d))
    stacked = jnp.concatenate([theta_b, jnp.ones_like(theta_b[:, :1])], axis=1)
    return stacked.T @ r, r @ loadings
def blk_elementwise_only(theta_b, loadings, d, y_b):
    r = y_b.astype(theta_b.dtype) - jax.nn.sigmoid(dl._logits(theta_b, loadings, d))
    return jnp.zeros((2, r.shape[1])) + r.sum(), jnp.zeros((r.shape[0], 1))
def blk_noexp(theta_b, loadings, d, y_b):
    r = y_b.astype(theta_b.dtype) - dl._logits(theta_b, loadings, d)
    stacked = jnp.concatenate([theta_b, jnp.ones_like(theta_b[:, :1])], axis=1)
    return stacked.T @ r, r @ loadings

def make(block):
    def grad(theta, loadings, d, y):
        rows = dl._block_rows(*y.shape)
        nb = y.shape[0] // rows
        def body(k, carry):
            columns, gt = carry
            s = k * rows
            c, g = block(lax.dynamic_slice_in_dim(theta, s, rows), loadings, d, lax.dynamic_slice_in_dim(y, s, rows))
            return columns + c, lax.dynamic_update_slice_in_dim(gt, g, s, axis=0)
        columns, gt = lax.fori_loop(0, nb, body, (jnp.zeros((theta.shape[1] + 1, y.shape[1])), jnp.zeros_like(theta)))
        return gt, columns[:-1].T, columns[-1]
    return jax.jit(grad)

variants = {k[4:]: make(v) for k, v in dict(globals()).items() if k.startswith("blk_")}
ref = variants["current"](theta, a, d, y)
for name, fn in variants.items():
    out = fn(theta, a, d, y)
    print(name, "maxabs diff vs current", ["%.1e" % float(jnp.max(jnp.abs(o - r)) / jnp.max(jnp.abs(r))) for o, r in zip(out, ref)])
for r in range(ROUNDS):
    for name, fn in variants.items():
        jax.block_until_ready(fn(theta, a, d, y))
        w, c = time.perf_counter(), time.process_time()
        for _ in range(20): out = fn(theta, a, d, y)
        jax.block_until_ready(out)
        print(r, name, "wall ms %.2f cpu ms %.2f" % (50*(time.perf_counter()-w), 50*(time.process_time()-c)))
