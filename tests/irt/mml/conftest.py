"""Fixtures for the marginal ML tests: the LSAT7 and conftwo1 reference data and their fits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import irt
from irt import ResponseData


@pytest.fixture(scope="session")
def lsat7_table(reference_dir) -> pd.DataFrame:
    """The 32-pattern LSAT7 table with its ``freq`` column."""
    return pd.read_csv(reference_dir / "lsat7.csv")


@pytest.fixture(scope="session")
def lsat7(lsat7_table) -> ResponseData:
    """LSAT7 as 1000 respondents built from the pattern table."""
    return ResponseData.from_patterns(lsat7_table.drop(columns="freq"), lsat7_table["freq"])


@pytest.fixture(scope="session")
def lsat7_2pl(lsat7):
    """The 2PL marginal ML fit of LSAT7."""
    return irt.fit(lsat7, "2pl", method="mml")


@pytest.fixture(scope="session")
def lsat7_rasch(lsat7):
    """The Rasch marginal ML fit of LSAT7 (latent variance free)."""
    return irt.fit(lsat7, "rasch", method="mml")


@pytest.fixture(scope="session")
def conftwo1(reference_dir) -> tuple[ResponseData, np.ndarray]:
    """conftwo1 responses and its Q-matrix (F1: items 1-4, F2: items 4-8)."""
    data = ResponseData.from_wide(pd.read_csv(reference_dir / "conftwo1.csv"))
    q = np.zeros((8, 2), dtype=int)
    q[:4, 0] = 1
    q[3:, 1] = 1
    return data, q
