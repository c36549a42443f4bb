"""matplotlib for every plot of symbolicpot (Agg backend: no display needed), imported only when a plot is drawn."""


def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plain_log_labels(axis, values):
    """Tick labels such as 40 and 0.02 instead of 4×10¹ on a log `axis` (a matplotlib Axis: axes.xaxis or .yaxis)
    showing `values`; minor ones only within one decade."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    plain = FuncFormatter(lambda value, _: f"{value:g}")
    axis.set_major_formatter(plain)
    within_a_decade = values.max() < 10 * values.min()
    axis.set_minor_formatter(plain if within_a_decade else NullFormatter())
