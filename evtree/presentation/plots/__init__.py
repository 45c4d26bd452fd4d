"""Plots: matplotlib figures in one style, each function returning its Axes.

matplotlib is imported inside the plotting functions, never by ``import evtree``.
One module per analysis: ``sensitivity`` (one-way, two-way, tornado, spider),
``risk`` (risk profiles), ``psa`` (PSA scatter, acceptability, EVPI curves).
Shared look and helpers live in :mod:`evtree.plots.style`.
"""
