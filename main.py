"""Run nnviz from a source checkout: ``python main.py`` (window) or ``python main.py train``."""

from nnviz.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
