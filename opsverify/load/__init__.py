"""Locust orchestration: profiles to shapes, runs in a subprocess, exact percentiles, the SLA gate, history.

Nothing in this package imports Locust: it runs in its own processes (see runner.py), because
importing it monkey-patches the importing process with gevent.
"""
