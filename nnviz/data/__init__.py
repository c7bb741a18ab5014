"""The datasets nnviz trains on: MNIST and Fashion-MNIST, as NumPy arrays.

    from nnviz.data import load_dataset
    ds = load_dataset("mnist")          # ds.train_images: (60000, 28, 28) uint8

and MNIST with an 11th class, "not a digit", made of Fashion-MNIST pictures:

    ds = with_not_a_digit(load_dataset("mnist"), load_not_a_digit_source())
"""

from nnviz.data.loader import Dataset, load_dataset
from nnviz.data.locate import cache_dir
from nnviz.data.mixing import NOT_A_DIGIT, load_not_a_digit_source, with_not_a_digit
from nnviz.data.sources import DATASETS

__all__ = ["DATASETS", "NOT_A_DIGIT", "Dataset", "cache_dir", "load_dataset", "load_not_a_digit_source",
           "with_not_a_digit"]
