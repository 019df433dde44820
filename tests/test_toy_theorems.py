"""The Part I claims, each checked on a small sample: idempotence, Theorem 1 and 2, the ×2 bound."""
import numpy as np
import pytest
from scipy import stats

from idemlab.toy import (
    GaussianMixture1D, OffsetGaussian2D, RingQuantizer, TransformQuantizer, UniformQuantizer,
    gaussian, idempotence_rate, midpoint_decoder, mmse_decoder, posterior_sampling_decoder,
    ratio_confidence_interval, recompression_generations, rejection_sample,
)

MIXTURE = GaussianMixture1D([0.5, 0.3, 0.2], [-2.0, 0.5, 2.5], [0.5, 0.7, 0.4])
RING_SOURCE, RING = OffsetGaussian2D((1.0, 0.0), 1.0), RingQuantizer(0.5)


@pytest.mark.parametrize("source", [gaussian(1.0), MIXTURE])
def test_convex_cells_make_midpoint_mmse_and_posterior_decoders_idempotent(source):
    rng = np.random.default_rng(0)
    quantizer = UniformQuantizer(0.7)
    y = quantizer.encode(source.sample(20_000, rng))
    for decoder in (midpoint_decoder(quantizer), mmse_decoder(source, quantizer),
                    posterior_sampling_decoder(source, quantizer, rng)):
        assert idempotence_rate(quantizer, decoder, y) == 1.0


def test_ring_cells_break_the_mmse_decoder_but_not_the_posterior_sampler():
    rng = np.random.default_rng(1)
    y = RING.encode(RING_SOURCE.sample(20_000, rng))
    assert idempotence_rate(RING, mmse_decoder(RING_SOURCE, RING), y) < 0.15
    assert idempotence_rate(RING, posterior_sampling_decoder(RING_SOURCE, RING, rng), y) == 1.0


def test_mmse_ring_decoder_drifts_and_its_distortion_grows():
    x = RING_SOURCE.sample(5_000, np.random.default_rng(2))
    generations = recompression_generations(x, RING, mmse_decoder(RING_SOURCE, RING), 4)
    assert generations.changed[0] > 0.85
    assert generations.mse[-1] > 1.2 * generations.mse[0]


def test_mismatched_transform_decoder_drifts_and_the_exact_inverse_does_not():
    a = np.array([[1.0, 0.6], [-0.3, 1.2]])
    encoder = TransformQuantizer(a, 0.5)
    x = np.random.default_rng(3).standard_normal((5_000, 2)) * 2
    exact = recompression_generations(x, encoder, encoder.linear_decoder(np.linalg.inv(a)), 3)
    shrunk = recompression_generations(x, encoder, encoder.linear_decoder(0.9 * np.linalg.inv(a)), 3)
    assert np.all(exact.changed == 0.0)
    assert np.all(shrunk.changed > 0.2)


def test_rejection_sampling_the_prior_gives_the_exact_posterior():
    rng = np.random.default_rng(4)
    quantizer = UniformQuantizer(1.0)
    samples, acceptance = rejection_sample(MIXTURE, quantizer, 1, 20_000, rng)
    cell = quantizer.cell(np.array(1.0))
    assert acceptance == pytest.approx(MIXTURE.cell_probability(cell), abs=0.01)
    assert stats.kstest(samples, lambda x: MIXTURE.cell_cdf(cell, x)).pvalue > 0.001
    # and the test has power: a wrong prior's constrained samples are told apart
    wrong, _ = rejection_sample(gaussian(1.0, 0.5), quantizer, 1, 20_000, rng)
    assert stats.kstest(wrong, lambda x: MIXTURE.cell_cdf(cell, x)).pvalue < 1e-6


def test_posterior_sampling_doubles_the_mmse_distortion():
    rng = np.random.default_rng(5)
    quantizer = UniformQuantizer(1.5)
    x = MIXTURE.sample(200_000, rng)
    y = quantizer.encode(x)
    sampled = posterior_sampling_decoder(MIXTURE, quantizer, rng)(y)
    mean = mmse_decoder(MIXTURE, quantizer)(y)
    ratio, low, high = ratio_confidence_interval((x - sampled) ** 2, (x - mean) ** 2, 0.999)
    assert low < 2.0 < high
    assert high - low < 0.05
