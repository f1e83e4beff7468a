"""core/decide"""
