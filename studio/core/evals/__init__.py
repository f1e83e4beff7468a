"""core/evals"""
