"""The seam index and the colour-cast index: about 1 and 0 on photos, and they see a patchwork of
squares and a colour shift."""

import numpy as np
import pytest

from idemlab.data import held_out_photos
from idemlab.realism import distortions
from idemlab.realism.defects import colour_cast, seam_index


@pytest.fixture(scope="module")
def photos() -> list[np.ndarray]:
    return [photo[:128, :192] for photo in held_out_photos(factor=2.0)]


def test_photos_show_no_grid_and_a_patchwork_does(photos):
    for photo in photos:
        assert 0.8 < seam_index(photo) < 1.4  # a few grid lines: one edge on a line counts
        assert seam_index(distortions.patchwork(photo, 12)) > 1.5 * seam_index(photo)
        # a patchwork on the shifted grid shows there and not on the training grid
        shifted = distortions.patchwork(photo, 12, offset=16)
        assert seam_index(shifted, offset=16) > 1.5 * seam_index(photo, offset=16)
        assert seam_index(shifted) < 1.1 * seam_index(photo)


def test_the_colour_cast_is_zero_for_the_same_image_and_grows_with_a_cast(photos):
    for photo in photos:
        assert colour_cast(photo, photo) == 0
        casts = [colour_cast(distortions.colour_cast(photo, delta_e), photo) for delta_e in (3, 6, 12)]
        assert casts[0] == pytest.approx(3, rel=0.25) and casts[0] < casts[1] < casts[2]
        # grain and blur leave the colour of whole regions alone
        assert colour_cast(distortions.white_noise(photo, 8), photo) < 1
        assert colour_cast(distortions.blur(photo, 1.0), photo) < 1


def test_bad_sizes_are_refused(photos):
    with pytest.raises(ValueError, match="no grid line"):
        seam_index(photos[0][:32, :32])
    with pytest.raises(ValueError, match="different sizes"):
        colour_cast(photos[0], photos[0][:64])
