"""The datasets nnviz trains on: MNIST and Fashion-MNIST, as NumPy arrays.

    from nnviz.data import load_dataset
    ds = load_dataset("mnist")          # ds.train_images: (60000, 28, 28) uint8
"""

from nnviz.data.loader import Dataset, load_dataset
from nnviz.data.locate import cache_dir
from nnviz.data.sources import DATASETS

__all__ = ["DATASETS", "Dataset", "cache_dir", "load_dataset"]
