#!/usr/bin/env python3
"""Independent references for the image decoders (tests/io/image_decode.test.ts): PIL's decode of small fixtures,
stored as .npy (HWC uint8), plus a small lossy WebP of tests/fixtures/images/orient-upright.png.

    /usr/bin/python3 tools/make_image_refs.py
"""
import os

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, 'tests/fixtures/images')


def main() -> None:
    # JPEG: PIL (libjpeg-turbo) decodes orient-1.jpg; jpeg-js must agree within JPEG decoder differences.
    np.save(os.path.join(FIX, 'orient-1.pil.npy'), np.asarray(Image.open(os.path.join(FIX, 'orient-1.jpg')).convert('RGB'), dtype=np.uint8))
    # WebP: a 45x30 lossy file and PIL's (libwebp's) decode of it.
    webp = os.path.join(FIX, 'orient-upright.webp')
    Image.open(os.path.join(FIX, 'orient-upright.png')).convert('RGB').save(webp, quality=90)
    np.save(os.path.join(FIX, 'orient-upright.webp.pil.npy'), np.asarray(Image.open(webp).convert('RGB'), dtype=np.uint8))


if __name__ == '__main__':
    main()
