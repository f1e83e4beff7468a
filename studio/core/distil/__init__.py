"""Distillation: build a training set from the prompt that already works (ISSUE 13).

A teacher (a proven prompt version on a big model) answers real inputs; each answer
is stored as a *candidate* (:class:`studio.core.models.distil.Candidate`) with its
provenance, reviewed, and on acceptance becomes the row's ideal output
(``example.ideal_source = "teacher"``). Where real inputs are few, synthetic inputs
are written from seed rows (``example.source = "synthetic"`` with
``example.provenance_json``), never near-duplicates of existing rows and never
leaks of test rows.

Modules: ``outputs`` (teacher runs on the evals runner: an ``eval_run`` of kind
``"distil"``, one variant per sample), ``candidates`` (listing and counts),
``review`` (accept / edit / reject as undoable dataset operations), ``inputs`` and
``plan`` (synthetic inputs and their generation plan), ``evidence`` (what review
shows, and what Decide uses).
"""
