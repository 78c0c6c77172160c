import numpy as np
import pytest
from scipy import stats

from cm_zoo.evaluation import intervals_disjoint
from cm_zoo.evaluation import mean_confidence_interval
from cm_zoo.evaluation import seed_table
from cm_zoo.evaluation import t_quantile_975


@pytest.mark.parametrize("df", [1, 2, 4, 9, 29, 30, 31, 45, 120, 5000])
def test_t_quantile_matches_scipy(df):
    assert t_quantile_975(df) == pytest.approx(stats.t.ppf(0.975, df), abs=2e-4)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_interval_matches_scipy_t_interval(seed):
    values = np.random.default_rng(seed).normal(0.3, 0.05, size=5)
    low, high = stats.t.interval(
        0.95, df=4, loc=values.mean(), scale=stats.sem(values)
    )
    ci = mean_confidence_interval(values.tolist())
    assert (ci["low"], ci["high"]) == pytest.approx((low, high), abs=1e-5)
    assert ci["n"] == 5 and ci["std"] == pytest.approx(values.std(ddof=1))


@pytest.mark.parametrize("values", [[0.5], [], [0.1, float("nan")]])
def test_interval_needs_two_finite_values(values):
    with pytest.raises(ValueError, match="at least 2 finite numbers"):
        mean_confidence_interval(values)


def test_disjoint_only_when_the_intervals_do_not_touch():
    a = mean_confidence_interval([0.10, 0.11, 0.12])
    b = mean_confidence_interval([0.30, 0.31, 0.32])
    wide = mean_confidence_interval([0.0, 0.4, 0.2])
    assert intervals_disjoint(a, b) and intervals_disjoint(b, a)
    assert not intervals_disjoint(a, wide)


def test_seed_table_shows_mean_half_width_and_count():
    table = seed_table({"fc7": {"C": [0.2, 0.2, 0.2], "BL": []}})
    assert "| C | 20.0 ± 0.0 (n=3) |" in table
    assert "| BL | - |" in table
    with pytest.raises(ValueError, match="at least one column"):
        seed_table({})
