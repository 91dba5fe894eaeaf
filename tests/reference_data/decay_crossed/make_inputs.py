"""Write the input tables of the crossed decay reference cases (run once; the CSVs are committed).

    PYTHONPATH=<repo> python tests/reference_data/decay_crossed/make_inputs.py

Design of every case: 6 models x 30 dialogues x 8 turns x 2 directions, the same dialogues and items
for every model (``simulate_decay(shared=True)``), 2,880 answers. R fits them with ``fit_lme4.R``.
"""

from __future__ import annotations

from pathlib import Path

from gapeval.decay import simulate_decay

HERE = Path(__file__).resolve().parent
DESIGN = dict(num_models=6, num_sessions=30, num_turns=8, shared=True)

CASES = {
    # continuous scores: every variance component present, correlated model intercept and slope
    "gaussian": dict(sd_model=0.05, sd_model_turn=0.015, corr_model=0.3, sd_session=0.03, sd_dialogue=0.04,
                     sd_item=0.06, sd_residual=0.08, seed=11),
    # continuous scores without a dialogue effect: lme4 puts it on the boundary (a singular fit)
    "gaussian_singular": dict(sd_model=0.05, sd_model_turn=0.015, corr_model=0.3, sd_session=0.03,
                              sd_dialogue=0.0, sd_item=0.06, sd_residual=0.08, seed=5),
    # 0/1 scores
    "binomial": dict(intercept=1.0, turn=-0.05, generation=-0.6, turn_generation=-0.1, sd_model=0.5,
                     sd_model_turn=0.08, corr_model=0.3, sd_session=0.3, sd_dialogue=0.4, sd_item=0.7,
                     family="binomial", seed=12),
}


def main() -> None:
    for name, params in CASES.items():
        responses, _ = simulate_decay(**DESIGN, **params)
        responses.to_csv(HERE / f"{name}.csv", index=False, float_format="%.10g")


if __name__ == "__main__":
    main()
