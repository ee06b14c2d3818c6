"""Tests of the apps checks: Laravel and Frappe settings, dashboards, workers and jobs."""
