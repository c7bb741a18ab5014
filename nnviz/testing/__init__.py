"""Helpers for driving nnviz from outside, shared by the tests, the benchmarks and docs/make_images.py.

Nothing in nnviz imports this package; it ships so that tools need not import tests/.
"""
