"""The Distil view: teacher outputs for a dataset's rows and their review (ISSUE 13)."""
