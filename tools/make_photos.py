#!/usr/bin/env python3
"""Writes the committed photos: demo/public/photos/ (what `npm run main` and the demo classify) and the
EXIF/WebP fixtures of tests/fixtures/images/.

Source: scikit-image's `chelsea.png` (Chelsea the cat, CC0 by the photographer, Stefan van der Walt), as shipped by
Debian's python3-skimage (/usr/lib/python3/dist-packages/skimage/data/chelsea.png). Run with Debian's python3:

    /usr/bin/python3 tools/make_photos.py [--source PATH/chelsea.png]
"""
import argparse
import os

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORIENTATION = 0x0112


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--source', default='/usr/lib/python3/dist-packages/skimage/data/chelsea.png')
    args = ap.parse_args()
    upright = Image.open(args.source).convert('RGB')  # 451x300
    photos = os.path.join(ROOT, 'demo/public/photos')
    fixtures = os.path.join(ROOT, 'tests/fixtures/images')
    os.makedirs(photos, exist_ok=True)
    os.makedirs(fixtures, exist_ok=True)

    upright.save(os.path.join(photos, 'chelsea-cat.jpg'), quality=90)
    # Orientation 6: the viewer rotates the stored pixels 90 degrees clockwise, so store them turned counter-clockwise.
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    upright.transpose(Image.Transpose.ROTATE_90).save(os.path.join(photos, 'chelsea-cat-exif6.jpg'), quality=90, exif=exif.tobytes())
    upright.save(os.path.join(photos, 'chelsea-cat.webp'), quality=90)
    # What a viewer shows for the EXIF-6 file, saved losslessly: the test compares the two.
    Image.open(os.path.join(photos, 'chelsea-cat-exif6.jpg')).transpose(Image.Transpose.ROTATE_270).save(os.path.join(fixtures, 'chelsea-cat-exif6-upright.png'))
    # Every orientation 1..8 of a small asymmetric image, for the EXIF transform tests.
    small = upright.resize((45, 30), Image.Resampling.BILINEAR)
    small.save(os.path.join(fixtures, 'orient-upright.png'))
    inverse = {
        1: lambda im: im,
        2: lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        3: lambda im: im.transpose(Image.Transpose.ROTATE_180),
        4: lambda im: im.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
        5: lambda im: im.transpose(Image.Transpose.TRANSPOSE),
        6: lambda im: im.transpose(Image.Transpose.ROTATE_90),
        7: lambda im: im.transpose(Image.Transpose.TRANSVERSE),
        8: lambda im: im.transpose(Image.Transpose.ROTATE_270),
    }
    for o, f in inverse.items():
        e = Image.Exif()
        e[ORIENTATION] = o
        f(small).save(os.path.join(fixtures, f'orient-{o}.jpg'), quality=95, exif=e.tobytes())
    with open(os.path.join(fixtures, 'truncated.jpg'), 'wb') as fh:
        data = open(os.path.join(photos, 'chelsea-cat.jpg'), 'rb').read()
        fh.write(data[: len(data) // 3])


if __name__ == '__main__':
    main()
