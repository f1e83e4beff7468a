"""Datasets: import, curate, label, split, find duplicates and leaks (no Qt).

Public API (all functions take an open :class:`~studio.core.db.project.Project`;
long ones take ``progress: ProgressCallback | None`` and ``cancel: CancelToken | None``
and are meant to run in a worker thread; results are plain frozen dataclasses):

Import (``preview``, ``file_format``, ``record_reader``, ``mapping``, ``importing``)
    preview_file(path, n=20) -> Preview(path, format: "csv"|"jsonl"|"json",
        kind: "table"|"chat"|"prompt_completion"|"records", encoding, delimiter,
        columns, rows, warnings, rejected: [(line, reason)], size)
    auto_mapping(preview) -> ImportMapping(input_fields, output_field, label_field,
        tags_field, notes_field, rating_field, status_field, split_field, task_type,
        variable_names, status="needs_review", label_set)
    import_file(project, path, dataset_name, mapping=None, *, all_or_nothing=False,
        progress=None, cancel=None) -> ImportResult(imported, skipped_duplicates,
        rejected: [Rejected(line, reason)], dataset_id, op_id, rolled_back, warnings,
        format, kind, created_dataset); .to_json() is the CLI shape.

Datasets (``catalog``)
    create_dataset(project, name, task_type="generation", label_set=(),
        output_schema=None, input_fields=("text",), description="") -> DatasetInfo
    get_dataset(project, id_or_name) / list_datasets(project) -> DatasetInfo(s)
    rename_dataset(project, dataset_id, new_name); update_dataset(project, dataset_id,
        *, label_set, output_schema, input_fields, description, task_type)
    delete_dataset(project, dataset_id); dataset_summaries(project) -> [DatasetSummary]

Table queries (``queries``; filter and sort in SQL)
    query_ids(project, dataset_id, flt: ExampleFilter | None, sort=("id", True)) -> [int]
        ExampleFilter(search, regex, statuses, labels, splits, tags, rating,
        min_rating, ids); sort = (column, ascending); columns: SORT_COLUMNS (id, input,
        ideal_output, label, status, split, rating, tags, notes, source_line,
        created_at, updated_at); texts sort case-insensitively (NOCASE); empty values
        of NULLABLE_SORT_COLUMNS come last in both directions; ties by id
    fetch_rows(project, ids) -> [ExampleRow] (texts cut to 500 chars, newlines as ⏎)
    get_example(project, example_id) -> ExampleDetail (with history, newest first)
    example_history(project, example_id, limit=None) -> [HistoryEntry] newest first
    counts(project, dataset_id, flt) -> Counts(total, by_status, by_label, by_split,
        dataset_total); faceted: each facet counted with the *other* filter conditions
        applied, so a value's number is what choosing it would show; NONE_KEY ("none")
        counts examples without label / split
    all_tags(project, dataset_id) -> [str]
    compile_regex(pattern) -> re.Pattern (the search's flags; ValidationError if bad)
    iter_examples(project, dataset_id, after_id=0, limit=1000) -> [ExampleDetail]
        (keyset page, no history); iter_all_examples(project, dataset_id)

Curation (``curation``, ``change_sets``; each call = one transaction + one undoable
operation; undo/redo in ``operations``)
    update_example(project, example_id, **fields) -> Changes   fields: inputs, label,
        ideal_output, output_kind, status, tags, rating, notes, split,
        system_prompt, conversation, tools
    add_example(project, dataset_id, inputs, *, ideal_output, label, ...) -> Changes
    set_label / set_status / set_split / set_rating(project, dataset_id, target, value)
    add_tag / remove_tag(project, dataset_id, target, tag); delete(project, dataset_id,
        target) -> Changes    target: list of ids OR an ExampleFilter
    undo(project, dataset_id) / redo(...) -> OpSummary | None; undo_state(...) ->
        UndoState(undo: description | None, redo: description | None, other) — the
        current user's own operations only (personal undo, as in collaborative editors)

Operations (``operations``; undo/redo by id)
    list_operations(project, dataset_id) -> [OperationInfo] newest first;
        newest_of_others(project, dataset_id) -> OperationInfo | None
    undo_operation(project, dataset_id, op_id=None, *, cascade=False) -> [OpSummary];
        redo_operation(project, dataset_id, op_id) -> OpSummary; both raise
        OperationConflictError (naming the operations in the way) instead of
        overwriting later work
    Changes(op_id, description, example_ids, fields, rows_added_or_removed)

Splits (``splits``)
    split_dataset(project, dataset_id, test, validation=0.0, seed=0, stratify=True,
        move_locked=False) -> SplitResult(train, validation, test, kept_locked, moved,
        changes)
    lock_test_split(project, dataset_id) -> int; split_counts(project, dataset_id)
    move_test_to_train(project, dataset_id, ids, *, unlock=False) -> MoveResult(moved,
        skipped_locked, skipped_not_test, changes, message)

Duplicates and leaks (``near_duplicates``, ``duplicates``, ``duplicate_resolution``;
threshold 0.90, measured on banking77)
    find_duplicates(project, dataset_id, progress, cancel) -> [DuplicateGroup(
        example_ids, similarity, exact, similarities)]: keeper-centred, never chained
        (example_ids[0] is the keeper; every member is within the threshold of it)
    find_leaks(project, dataset_id, progress, cancel) -> [Leak(test_id, train_id,
        similarity, exact, train_split)]; analyse(...) -> (groups, leaks)
    group_leaks(leaks) -> [LeakGroup(test_id, matches)]: the leak count is its length
    keep_group / drop_duplicates / merge_duplicates(project, dataset_id, ids,
        keep_id=None, *, threshold) -> Changes (only rows within the threshold of
        the kept one go); resolve_leak(project, dataset_id, leak, action)

Stats (``stats``)
    dataset_stats(project, name_or_id, *, with_duplicates=True, with_tokens=True) ->
        {"examples", "by_status", "by_split", "by_label", "duplicates",
        "duplicate_groups", "leaks", "label_balance", "imbalance_ratio",
        "exact_duplicates", "token_lengths": {"exact", "method", "bins", "counts", …}}
    exact_duplicate_count(project, dataset_id) -> int (indexed hash, instant)
    text_samples(project, dataset_id, limit=None) -> [(input text, ideal output)]
    token_lengths(project, dataset_id, encoding="o200k_base") -> TokenLengths(lengths,
        sampled, population, method) (a spread sample above 20,000 examples)

Many labellers (``assignment``, ``agreement``, ``adjudication``; ISSUE-14 §3)
    Every change bumps ``example.version`` and sets ``updated_by``; update_example(...,
        expected_version=N) refuses a stale edit with StaleEditError (who, when, the
        value now); without it the edit is a compare-and-set on the version it reads.
    assign(project, dataset_id, [parse_share("alice=60%"), ...], overlap=0.2, seed=0)
        -> AssignResult; queue_ids(project, dataset_id, labeller);
        ExampleFilter(queue_of=labeller) ("My queue"); record_labels(project,
        dataset_id, ids, label, labeller=None, expected_version=None) -> LabelResult
        (blind on overlap rows: the label lands on the example on agreement)
    dataset_agreement(project, dataset_id) -> Agreement(kappa, alpha, per_label, ...)
    adjudication_queue(project, dataset_id) -> [Disagreement]; adjudicate(project,
        dataset_id, ids, label) -> AdjudicationResult; decisions(project, dataset_id)

Data conventions: ``input_json`` holds named variables; imported chats keep the
system prompt in ``system_prompt`` and the turns before the final assistant turn in
``conversation_json`` (tools in ``tools_json``). ``ideal_output`` is text, JSON text
(output_kind "json") or, for output_kind "tool_calls", the JSON text of
``{"content": str | null, "tool_calls": [...]}`` (the final assistant message without
its role). In classification datasets the label is also the ideal output. History
``before``/``after`` are JSON of the column value; ``__row__`` marks created/deleted rows.
"""

from __future__ import annotations

from studio.core.datasets.catalog import (
    DatasetInfo,
    DatasetSummary,
    create_dataset,
    dataset_summaries,
    delete_dataset,
    get_dataset,
    list_datasets,
    rename_dataset,
    update_dataset,
)
from studio.core.datasets.change_sets import Changes, OpSummary, Target
from studio.core.datasets.curation import (
    add_example,
    add_tag,
    delete,
    remove_tag,
    set_label,
    set_rating,
    set_split,
    set_status,
    update_example,
)
from studio.core.datasets.duplicate_resolution import (
    drop_duplicates,
    keep_group,
    merge_duplicates,
    resolve_leak,
)
from studio.core.datasets.duplicates import (
    DuplicateGroup,
    Leak,
    LeakGroup,
    analyse,
    find_duplicates,
    find_leaks,
    group_leaks,
)
from studio.core.datasets.importing import ImportResult, Rejected, import_file
from studio.core.datasets.mapping import ImportMapping, auto_mapping
from studio.core.datasets.near_duplicates import DEFAULT_THRESHOLD
from studio.core.datasets.operations import (
    OperationConflictError,
    OperationInfo,
    UndoState,
    list_operations,
    newest_of_others,
    redo,
    redo_operation,
    undo,
    undo_operation,
    undo_state,
)
from studio.core.datasets.preview import Preview, preview_file
from studio.core.datasets.queries import (
    NONE_KEY,
    NULLABLE_SORT_COLUMNS,
    SORT_COLUMNS,
    Counts,
    ExampleDetail,
    ExampleFilter,
    ExampleRow,
    HistoryEntry,
    all_tags,
    compile_regex,
    counts,
    example_history,
    fetch_rows,
    get_example,
    iter_all_examples,
    iter_examples,
    query_ids,
)
from studio.core.datasets.splits import (
    MoveResult,
    SplitResult,
    lock_test_split,
    move_test_to_train,
    split_counts,
    split_dataset,
)
from studio.core.datasets.stats import (
    TokenLengths,
    dataset_stats,
    exact_duplicate_count,
    text_samples,
    token_lengths,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "NONE_KEY",
    "NULLABLE_SORT_COLUMNS",
    "SORT_COLUMNS",
    "Changes",
    "Counts",
    "DatasetInfo",
    "DatasetSummary",
    "DuplicateGroup",
    "ExampleDetail",
    "ExampleFilter",
    "ExampleRow",
    "HistoryEntry",
    "ImportMapping",
    "ImportResult",
    "Leak",
    "LeakGroup",
    "MoveResult",
    "OpSummary",
    "OperationConflictError",
    "OperationInfo",
    "Preview",
    "Rejected",
    "SplitResult",
    "Target",
    "TokenLengths",
    "UndoState",
    "add_example",
    "add_tag",
    "all_tags",
    "analyse",
    "auto_mapping",
    "compile_regex",
    "counts",
    "create_dataset",
    "dataset_stats",
    "dataset_summaries",
    "delete",
    "delete_dataset",
    "drop_duplicates",
    "exact_duplicate_count",
    "example_history",
    "fetch_rows",
    "find_duplicates",
    "find_leaks",
    "get_dataset",
    "get_example",
    "group_leaks",
    "import_file",
    "iter_all_examples",
    "iter_examples",
    "keep_group",
    "list_datasets",
    "list_operations",
    "lock_test_split",
    "merge_duplicates",
    "move_test_to_train",
    "newest_of_others",
    "preview_file",
    "query_ids",
    "redo",
    "redo_operation",
    "remove_tag",
    "rename_dataset",
    "resolve_leak",
    "set_label",
    "set_rating",
    "set_split",
    "set_status",
    "split_counts",
    "split_dataset",
    "text_samples",
    "token_lengths",
    "undo",
    "undo_operation",
    "undo_state",
    "update_dataset",
    "update_example",
]
