"""Closed-form RDP against brute force and Monte Carlo; exact-score diffusion sampling."""
import numpy as np
import pytest
from scipy import stats

from idemlab.toy import (
    GaussianMixture1D, GaussianTestChannel, UniformQuantizer, brute_force_rdp_rate, dps_sample,
    mse_distortion, perfect_realism_distortion, rdp_distortion, rdp_rate, ste_constraint,
    w1_to_cdf, w2_squared,
)


@pytest.mark.parametrize("d, p", [(0.3, 0.0), (0.3, 0.02), (0.3, 5.0), (0.8, 0.05), (1.2, 0.01), (0.05, 0.0)])
def test_closed_form_rate_matches_brute_force(d, p):
    assert rdp_rate(d, p) == pytest.approx(brute_force_rdp_rate(d, p), abs=3e-3)


def test_corner_cases_of_the_rdp_function():
    assert rdp_rate(0.25, np.inf) == pytest.approx(1.0)  # classical ½log₂(σ²/D)
    assert rdp_rate(1.0, 1.0) == 0.0  # a constant reconstruction costs nothing
    assert rdp_rate(2.0, 0.0) == 0.0  # an independent copy of X: D = 2σ², perfect realism, no bits
    rates = np.linspace(0.01, 4, 50)
    np.testing.assert_allclose(rdp_distortion(rates, 0.0), perfect_realism_distortion(rates))
    np.testing.assert_allclose(rdp_distortion(rates, np.inf), mse_distortion(rates))
    assert np.all(perfect_realism_distortion(rates) <= 2 * mse_distortion(rates))
    assert np.all(perfect_realism_distortion(rates) >= mse_distortion(rates))
    np.testing.assert_allclose(rdp_rate(perfect_realism_distortion(rates), 0.0), rates, rtol=1e-9)


def test_gaussian_channel_decoders_reach_their_closed_forms():
    rng = np.random.default_rng(0)
    channel = GaussianTestChannel(rate=1.0)
    x = rng.standard_normal(400_000)
    y = channel.encode(x, rng)
    assert np.mean((x - channel.posterior_mean(y)) ** 2) == pytest.approx(mse_distortion(1.0), rel=0.01)
    assert np.mean((x - channel.posterior_sample(y, rng)) ** 2) == pytest.approx(2 * mse_distortion(1.0), rel=0.01)
    realistic = channel.rescaled_mean(y)
    assert np.mean((x - realistic) ** 2) == pytest.approx(perfect_realism_distortion(1.0), rel=0.01)
    assert w2_squared(realistic, x) < 1e-3


def test_unguided_exact_score_diffusion_samples_the_prior():
    prior = GaussianMixture1D([0.5, 0.5], [-1.5, 1.5], [0.5, 0.5])
    x = dps_sample(prior, ste_constraint(UniformQuantizer()), 0, 4_000, np.random.default_rng(1), zeta=0.0)
    assert stats.kstest(x, prior.cdf).pvalue > 0.001


def test_dps_sampling_is_seed_deterministic_and_guidance_enforces_the_cell():
    prior = GaussianMixture1D([0.5, 0.5], [-1.5, 1.5], [0.5, 0.5])
    quantizer = UniformQuantizer(1.0)
    kwargs = dict(n=2_000, n_steps=200, zeta=0.3)
    a = dps_sample(prior, ste_constraint(quantizer), 1, rng=np.random.default_rng(2), **kwargs)
    b = dps_sample(prior, ste_constraint(quantizer), 1, rng=np.random.default_rng(2), **kwargs)
    np.testing.assert_array_equal(a, b)
    assert np.mean(quantizer.encode(a) == 1) > 0.99
    cell = quantizer.cell(np.array(1.0))
    assert w1_to_cdf(a, lambda x: prior.cell_cdf(cell, x)) < 0.1
