"""core/llm"""
