"""The Prompts view: list, editor, history, diff and label dialogs."""
