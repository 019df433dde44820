"""PSNR, per-image squared errors and the bootstrap interval of a distortion ratio."""
import numpy as np

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
