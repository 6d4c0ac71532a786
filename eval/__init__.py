"""Evaluation of accueil on a question set: the same code path as the service, metrics and a report."""
