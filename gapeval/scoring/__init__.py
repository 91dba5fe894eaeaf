"""Scoring: text rules, image verifiers, judge models and agreement statistics."""
