"""The commands ``nnviz`` runs: each turns parsed options into a run.

options   the options every command shares (model, data) and the one-line-error parser
builders  options -> TrainConfig, dataset and Trainer, as all commands need them
train     ``nnviz train``: headless training
render    ``nnviz render``: one frame into a PNG (EGL, no display)
window    ``nnviz``: the interactive window
edit      ``nnviz edit``: a saved network's architecture (nnviz.model.surgery)

nnviz.cli builds the parser from these and dispatches; nothing here imports
nnviz.cli. Modules import the engine and the window inside the functions
that run them, so that building the parser stays light and needs no display.
"""
