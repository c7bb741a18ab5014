"""The limits nnviz holds untrusted input to: files it loads, downloads, settings; defined once here.

A file that breaks one is refused with a one-line error before the memory or
disk it asks for is committed. Each limit sits well above anything nnviz
itself writes or any real dataset holds.
"""

from __future__ import annotations

#: Layers a network may have. Far deeper than a plain MLP trains on 28x28 pictures (the window draws at
#: most nnviz.engine.rules.MAX_LAYERS); bounds the work and the messages a config can cause.
MAX_NETWORK_LAYERS = 64
#: Neurons a layer may have: wider than any picture nnviz trains on has pixels (784) by far.
MAX_LAYER_SIZE = 2**16
#: Weights and biases a network may have: 2**26 float32 parameters are 256 MiB, four times that with the
#: optimiser's state, and far beyond what trains at a watchable pace on a CPU.
MAX_PARAMETERS = 2**26

#: Uncompressed bytes of all the members of an .npz file nnviz loads (weights or a recorded run).
MAX_ARCHIVE_BYTES = 2**30
#: Bytes of an .npz file's zip directory: zipfile builds an object per entry before anything can be
#: checked; nnviz's own files need well under 20 KiB.
MAX_ZIP_DIRECTORY_BYTES = 256 * 2**10
#: Characters of the JSON ``config`` member (nnviz writes about 400).
MAX_CONFIG_CHARS = 64 * 2**10
#: Nesting of JSON arrays and objects in ``config`` (nnviz writes 2 levels).
MAX_JSON_DEPTH = 16
#: Digits of an integer in ``config``: a 64-bit integer has at most 20.
MAX_JSON_DIGITS = 20

#: Longest download timeout NNVIZ_DOWNLOAD_TIMEOUT may set, in seconds (a day).
MAX_DOWNLOAD_TIMEOUT_S = 24 * 3600

#: Characters of a value quoted in an error message; the rest is elided.
MAX_ECHO_CHARS = 60


def gzip_size_limit(raw_size: int) -> int:
    """The most bytes a gzip file of ``raw_size`` bytes of content can take: deflate's stored blocks add
    5 bytes per 64 KiB to incompressible data; 1% and 64 KiB leave room for any compressor's framing."""
    return raw_size + raw_size // 100 + 64 * 2**10


def excerpt(value: object) -> str:
    """``str(value)`` as an error message may quote it: shortened to MAX_ECHO_CHARS characters (never all
    of a hostile file's 100,000 layer sizes), control characters escaped (never a terminal's commands)."""
    text = "".join(char if char.isprintable() else ascii(char)[1:-1] for char in str(value))
    if len(text) <= MAX_ECHO_CHARS:
        return text
    return f"{text[:MAX_ECHO_CHARS - 25]}... ({len(text):,} characters)"

#: Pictures a dataset nnviz converts (a Keras .npz, a CSV, an image folder) may hold, training and test together:
#: 2**20 28x28 pictures are 784 MiB, more than EMNIST's largest split (814,255) and 15 times MNIST.
MAX_DATASET_IMAGES = 2**20
#: Bytes of one line of a CSV dataset: a row of 785 numbers needs at most 3,140.
MAX_CSV_LINE_BYTES = 64 * 2**10
#: Classes an image folder may have (one sub-folder each): labels are uint8.
MAX_CLASSES = 256
#: Bytes of a file of class names (classes.txt): MAX_CLASSES names of up to 250 bytes each.
MAX_CLASS_NAMES_BYTES = 64 * 2**10
