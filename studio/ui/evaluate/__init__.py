"""The Evaluate view: A/B runs of prompt versions, their results and blind review."""
