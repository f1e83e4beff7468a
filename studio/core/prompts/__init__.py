"""core/prompts"""
