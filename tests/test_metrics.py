"""PSNR, per-image squared errors and the bootstrap interval of a distortion ratio."""
import numpy as np
import pytest

from idemlab.metrics import distortion_ratio, psnr, squared_errors


def test_psnr_and_squared_errors_agree():
    originals = np.zeros((3, 4, 4, 3), np.uint8)
    reconstructions = originals + np.array([1, 2, 3], np.uint8)[:, None, None, None]
    assert squared_errors(reconstructions, originals).tolist() == [1, 4, 9]
    assert np.isclose(psnr(reconstructions, originals), 10 * np.log10(255**2 / (14 / 3)))


def test_a_distortion_ratio_and_its_interval():
    reference = np.random.default_rng(0).uniform(10, 20, size=50)
    assert distortion_ratio(2 * reference, reference) == (2.0, 2.0, 2.0)
    ratio, low, high = distortion_ratio(reference * np.random.default_rng(1).uniform(1, 3, size=50), reference)
    assert low < ratio < high and 1.5 < ratio < 2.5
    assert distortion_ratio(reference[::-1], reference, seed=3) == distortion_ratio(reference[::-1], reference, seed=3)


def test_bjontegaard_deltas_of_a_shifted_curve_are_the_shift():
    from idemlab.baselines import bd_psnr, bd_rate

    rates = np.array([0.1, 0.2, 0.4, 0.8])
    psnr = 30 + 6 * np.log2(rates / 0.1)  # 6 dB per doubling of the rate
    assert bd_psnr(rates, psnr, rates, psnr + 1.5) == pytest.approx(1.5)
    assert bd_rate(rates, psnr, rates * 0.8, psnr) == pytest.approx(-20.0)  # the same PSNRs at 80 % of the rate
    assert bd_rate(rates, psnr, rates, psnr + 6) == pytest.approx(-50.0)  # 6 dB is one doubling here
    assert np.isnan(bd_psnr(rates, psnr, rates * 100, psnr))  # no common rates
