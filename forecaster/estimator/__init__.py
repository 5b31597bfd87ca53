"""Behind `Forecaster`: the fitted state, fitting, inference over a fitted state, and the checks that data fits a model.

`state` holds every learned field and its one way to and from `config.json`; `fitting` builds a
state from series; `inference` forecasts from one; `checks` refuses data a model cannot use.
"""
