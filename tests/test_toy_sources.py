"""Exact cell posteriors of the toy sources agree with Monte Carlo and with quadrature."""
import numpy as np
import pytest
from scipy import integrate, stats

from idemlab.toy import Annulus, GaussianMixture1D, Interval, OffsetGaussian2D, gaussian
from idemlab.toy.sources import log_interval_probability

MIXTURE = GaussianMixture1D([0.5, 0.3, 0.2], [-2.0, 0.5, 2.5], [0.5, 0.7, 0.4])


def test_log_interval_probability_is_accurate_in_both_tails():
    a = np.array([-40.0, -1.0, 8.0, 30.0])
    b = np.array([-39.0, 1.0, 9.0, 31.0])
    expected = [stats.norm.logsf(39.0) + np.log1p(-np.exp(stats.norm.logsf(40.0) - stats.norm.logsf(39.0))),
                np.log(stats.norm.cdf(1) - stats.norm.cdf(-1)),
                np.log(stats.norm.sf(8.0) - stats.norm.sf(9.0)),
                stats.norm.logsf(30.0) + np.log1p(-np.exp(stats.norm.logsf(31.0) - stats.norm.logsf(30.0)))]
    np.testing.assert_allclose(log_interval_probability(a, b), expected, rtol=1e-9)


def test_mixture_moments_match_samples():
    x = MIXTURE.sample(400_000, np.random.default_rng(0))
    assert abs(x.mean() - MIXTURE.mean) < 0.01
    assert abs(x.var() - MIXTURE.variance) < 0.02


def test_cell_mean_matches_quadrature():
    lo, hi = -0.5, 1.5
    numerator = integrate.quad(lambda x: x * MIXTURE.pdf(x), lo, hi)[0]
    probability = integrate.quad(MIXTURE.pdf, lo, hi)[0]
    cell = Interval(np.array(lo), np.array(hi))
    assert MIXTURE.cell_probability(cell) == pytest.approx(probability, rel=1e-9)
    assert MIXTURE.cell_mean(cell) == pytest.approx(numerator / probability, rel=1e-9)


def test_cell_samples_stay_in_cell_and_follow_the_truncated_law():
    rng = np.random.default_rng(1)
    n = 50_000
    cell = Interval(np.full(n, 0.5), np.full(n, 1.5))
    x = MIXTURE.cell_sample(cell, rng)
    assert np.all((x >= 0.5) & (x < 1.5))
    one = Interval(np.array(0.5), np.array(1.5))
    assert stats.kstest(x, lambda t: MIXTURE.cell_cdf(one, t)).pvalue > 0.001


def test_zero_probability_cell_is_refused():
    with pytest.raises(ValueError, match="zero probability"):
        gaussian().cell_mean(Interval(np.array(0.5), np.array(0.5)))  # an empty cell


def test_noised_mixture_is_the_law_of_the_noised_samples():
    rng = np.random.default_rng(2)
    alpha_bar = 0.3
    x = np.sqrt(alpha_bar) * MIXTURE.sample(200_000, rng) + np.sqrt(1 - alpha_bar) * rng.standard_normal(200_000)
    assert stats.kstest(x, MIXTURE.noised(alpha_bar).cdf).pvalue > 0.001


def test_score_and_its_derivative_match_finite_differences():
    x, h = np.linspace(-4, 4, 41), 1e-5
    score, derivative = MIXTURE.score_and_derivative(x)
    np.testing.assert_allclose(score, (np.log(MIXTURE.pdf(x + h)) - np.log(MIXTURE.pdf(x - h))) / (2 * h), atol=1e-6)
    np.testing.assert_allclose(derivative, (MIXTURE.score(x + h) - MIXTURE.score(x - h)) / (2 * h), atol=1e-5)


def test_ring_posterior_matches_rejection_from_the_prior():
    source = OffsetGaussian2D((1.0, 0.0), 1.0)
    rng = np.random.default_rng(3)
    x = source.sample(400_000, rng)
    radius = np.linalg.norm(x, axis=1)
    in_ring = x[(radius >= 1.0) & (radius < 1.5)]
    ring = Annulus(np.array(1.0), np.array(1.5))
    assert source.cell_probability(ring) == pytest.approx(len(in_ring) / len(x), abs=0.003)
    np.testing.assert_allclose(source.cell_mean(ring), in_ring.mean(axis=0), atol=0.01)
    exact = source.cell_sample(Annulus(np.full(len(in_ring), 1.0), np.full(len(in_ring), 1.5)), rng)
    for axis in range(2):
        assert stats.ks_2samp(exact[:, axis], in_ring[:, axis]).pvalue > 0.001


def test_sources_refuse_foreign_cells():
    with pytest.raises(TypeError):
        gaussian().cell_mean(Annulus(np.array(0.0), np.array(1.0)))
    with pytest.raises(TypeError):
        OffsetGaussian2D().cell_mean(Interval(np.array(0.0), np.array(1.0)))
