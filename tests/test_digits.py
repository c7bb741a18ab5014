"""nnviz.data.digits: any picture of a digit made MNIST-like (fit in 20x20, centre of mass at the centre)."""

import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from nnviz.data import digits
from nnviz.data.digits import load_digit_image, normalize_digit
from nnviz.errors import NnvizError


def _ellipse(shape, centre, radii):
    rows, columns = np.mgrid[:shape[0], :shape[1]]
    return ((((rows - centre[0]) / radii[0]) ** 2 + ((columns - centre[1]) / radii[1]) ** 2) <= 1).astype(np.float32)


def _rectangle(shape, top, left, height, width):
    ink = np.zeros(shape, np.float32)
    ink[top:top + height, left:left + width] = 1.0
    return ink


def _ell(shape, top, left, size, stroke):
    """An L: a thin upright and a heavy foot, so its centre of mass is far from its bounding box's centre."""
    ink = _rectangle(shape, top, left, size, stroke)
    ink[top + size - 3 * stroke:top + size, left:left + size] = 1.0
    return ink


def _seven(shape=(400, 300), top=60, left=40, height=260, width=180, stroke=24):
    """A '7', anti-aliased: a top bar and a diagonal, drawn as distances to two segments."""
    rows, columns = np.mgrid[:shape[0], :shape[1]].astype(np.float32)

    def segment(a, b):
        (ay, ax), (by, bx) = a, b
        t = np.clip(((rows - ay) * (by - ay) + (columns - ax) * (bx - ax)) / ((by - ay) ** 2 + (bx - ax) ** 2), 0, 1)
        return np.hypot(rows - (ay + t * (by - ay)), columns - (ax + t * (bx - ax)))

    corner = (top, left + width)
    distance = np.minimum(segment((top, left), corner), segment(corner, (top + height, left + width // 3)))
    return np.clip(stroke / 2 - distance + 0.5, 0.0, 1.0)


SHAPES = {
    # name: (ink, (height, width) of the ink's bounding box)
    "tall ellipse, off-centre": (_ellipse((300, 200), (90, 140), (50, 10)), (101, 21)),
    "wide bar in a corner": (_rectangle((80, 120), 2, 3, 15, 60), (15, 60)),
    "square L": (_ell((64, 64), 20, 4, 40, 4), (40, 40)),
    "L near the bottom right": (_ell((200, 150), 110, 60, 80, 6), (80, 80)),
    "tiny, scaled up": (_rectangle((28, 28), 20, 1, 6, 3), (6, 3)),
    "7, anti-aliased": (_seven(), None),
}


def _centre_of_mass(image):
    image = image.astype(np.float64)
    rows, columns = np.indices(image.shape)
    return (image * rows).sum() / image.sum(), (image * columns).sum() / image.sum()


def _box(image, threshold=digits.INK_THRESHOLD * 255):
    rows, columns = np.flatnonzero((image > threshold).any(axis=1)), np.flatnonzero((image > threshold).any(axis=0))
    return rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1


@pytest.mark.parametrize("name", SHAPES)
def test_normalize_digit_centres_the_mass_and_fits_the_longer_side_to_20(name):
    ink, box = SHAPES[name]
    image = normalize_digit(ink)
    assert image.shape == (28, 28) and image.dtype == np.uint8
    row, column = _centre_of_mass(image)
    # Shifted by whole pixels, as MNIST was: within half a pixel (plus uint8 rounding).
    assert abs(row - 14) <= 0.52 and abs(column - 14) <= 0.52, (row, column)
    height, width = _box(image)
    assert max(height, width) in (19, 20, 21), (height, width)
    if box is not None:  # the aspect ratio is kept
        expected = min(box) * 20 / max(box)
        assert abs(min(height, width) - expected) <= 1.5, (height, width, expected)
        if max(box) > 1.2 * min(box):
            assert (height > width) == (box[0] > box[1])
    assert image.max() == 255  # the strongest ink is full, as in MNIST


def test_the_centre_of_mass_is_not_the_bounding_box_centre():
    """The L's heavy foot pulls its mass down: centring its box instead would put the mass ~4 pixels low."""
    image = normalize_digit(SHAPES["square L"][0])
    rows = np.flatnonzero(image.any(axis=1))
    assert (rows[0] + rows[-1]) / 2 < 14 - 2  # the box sits high so that the mass is centred


def test_normalize_digit_of_an_mnist_like_digit_changes_little():
    """A digit already 20 pixels tall and centred comes back nearly as it was."""
    image = normalize_digit(_seven(shape=(28, 28), top=4, left=5, height=19, width=14, stroke=3))
    again = normalize_digit(image / 255.0)
    assert np.abs(again.astype(int) - image.astype(int)).max() <= 2


def test_no_ink_gives_zeros():
    for ink in (np.zeros((50, 40)), np.full((28, 28), digits.INK_THRESHOLD / 2), np.zeros((1, 1))):
        image = normalize_digit(ink)
        assert image.shape == (28, 28) and image.dtype == np.uint8 and not image.any()


def test_normalize_digit_wants_a_2d_array():
    with pytest.raises(ValueError, match="2-D"):
        normalize_digit(np.zeros((4, 4, 3)))


# ---------------------------------------------------------------- pictures

def _grey_png(path, grey):
    Image.fromarray(np.round(np.clip(grey, 0, 1) * 255).astype(np.uint8), mode="L").save(path)
    return path


INK = _seven()
REFERENCE = normalize_digit(INK)


def _close(image, reference=REFERENCE):
    difference = np.abs(image.astype(int) - reference.astype(int))
    return difference.mean() <= 3 and difference.max() <= 40, (difference.mean(), difference.max())


def test_dark_on_light_and_light_on_dark_give_the_same_digit(tmp_path):
    dark_on_light = load_digit_image(_grey_png(tmp_path / "pen.png", 0.95 - 0.8 * INK))  # pen on paper
    light_on_dark = load_digit_image(_grey_png(tmp_path / "chalk.png", 0.1 + 0.8 * INK))  # chalk on a board
    ok, figures = _close(dark_on_light, light_on_dark)
    assert ok, figures
    for image in (dark_on_light, light_on_dark):
        ok, figures = _close(image)
        assert ok, figures
        assert image[14].any() and not image[0].any()  # white ink on black, as MNIST


def test_polarity_comes_from_the_background_not_the_overall_brightness(tmp_path):
    """A dim photo: a bold digit in dark pen on grey paper is darker than mid-grey overall, yet dark on light."""
    ink = _seven(stroke=70)
    grey = 0.55 - 0.5 * ink
    assert grey.mean() < 0.5
    ok, figures = _close(load_digit_image(_grey_png(tmp_path / "dim.png", grey)), normalize_digit(ink))
    assert ok, figures


def test_a_digit_touching_the_border_keeps_its_polarity(tmp_path):
    """Dark ink running off the top edge: the border's median is still the paper."""
    ink = _seven(top=0)
    image = load_digit_image(_grey_png(tmp_path / "cut.png", 1.0 - ink))
    ok, figures = _close(image, normalize_digit(ink))
    assert ok, figures


def _modes():
    def rgb_blue_pen(path):
        paper, pen = np.array([250, 245, 235]), np.array([20, 30, 140])
        rgb = paper + INK[..., None] * (pen - paper)
        Image.fromarray(np.round(rgb).astype(np.uint8), "RGB").save(path)

    def rgba_transparent(path):
        rgba = np.zeros(INK.shape + (4,), np.uint8)
        rgba[..., 3] = np.round(INK * 255)  # black ink; the background is transparent (black, alpha 0)
        Image.fromarray(rgba, "RGBA").save(path)

    def palette(path):
        Image.fromarray(np.round((1 - INK) * 255).astype(np.uint8), "L").convert("P").save(path)

    def grey_16_bit(path):
        Image.fromarray(np.round((1 - INK) * 65535).astype(np.uint16)).save(path)

    def jpeg(path):
        Image.fromarray(np.round((1 - INK) * 255).astype(np.uint8), "L").convert("RGB").save(path, quality=80)

    def large(path, size=(2400, 3200)):  # over WORKING_SIDE: block-averaged after decoding
        big = Image.fromarray(np.round((1 - INK) * 255).astype(np.uint8), "L").resize(size, Image.BILINEAR)
        big.save(path)

    def huge(path):  # over twice WORKING_SIDE: reduced by Pillow first
        large(path, (3300, 4400))

    return {"rgb.png": rgb_blue_pen, "rgba.png": rgba_transparent, "palette.png": palette,
            "grey16.png": grey_16_bit, "photo.jpg": jpeg, "large.png": large,
            "huge.png": huge}


@pytest.mark.parametrize("name", _modes())
def test_every_image_mode_gives_the_same_digit(tmp_path, name):
    path = tmp_path / name
    _modes()[name](path)
    ok, figures = _close(load_digit_image(path))
    assert ok, figures


def _write(path, content: bytes):
    path.write_bytes(content)
    return path


def _png_bytes(size=(16, 16), colour=255):
    from io import BytesIO

    stream = BytesIO()
    Image.new("L", size, colour).save(stream, "PNG")
    return stream.getvalue()


BAD = {
    "empty.png": (lambda path: _write(path, b""), "is empty"),
    "notes.png": (lambda path: _write(path, b"not a picture at all\n" * 20), "not an image"),
    "white.png": (lambda path: _write(path, _png_bytes(colour=255)), "all one colour"),
    "black.jpg": (lambda path: Image.new("RGB", (64, 48), (0, 0, 0)).save(path) or path, "all one colour"),
    "faint.png": (lambda path: _grey_png(path, 0.9 - 0.05 * INK), "all one colour"),  # 5% contrast: no ink
    "truncated.png": (lambda path: _write(path, _grey_png(path, 1 - INK).read_bytes()[:400]), "cannot decode"),
    "missing.png": (lambda path: path, "cannot read"),
    "folder.png": (lambda path: path.mkdir() or path, "is a directory"),
}


@pytest.mark.parametrize("name", BAD)
def test_a_bad_image_gets_one_line_naming_the_file(tmp_path, name):
    write, message = BAD[name]
    path = tmp_path / name
    write(path)
    with pytest.raises(NnvizError) as caught:
        load_digit_image(path)
    text = str(caught.value)
    assert "\n" not in text and str(path) in text and message in text, text


def _png_claiming(width, height) -> bytes:
    """A small real PNG whose header says width x height: the IHDR fields and their CRC rewritten."""
    data = bytearray(_png_bytes())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


@pytest.mark.parametrize("size", [(60_000, 60_000), (8_000, 7_000)])  # far over Pillow's own guard; just over ours
def test_a_decompression_bomb_is_refused_from_its_header(tmp_path, monkeypatch, size):
    def no_decoding(self):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    path = _write(tmp_path / "bomb.png", _png_claiming(*size))
    with pytest.raises(NnvizError) as caught:
        load_digit_image(path)
    text = str(caught.value)
    assert "\n" not in text and str(path) in text and "too large" in text, text
    assert Image.MAX_IMAGE_PIXELS == digits.MAX_PIXELS
