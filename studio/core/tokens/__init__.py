"""core/tokens"""
