"""nnviz: watch a neural network learn handwritten digits, in real-time 3-D."""

__version__ = "0.1.0"
