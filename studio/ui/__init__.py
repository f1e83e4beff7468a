"""ui"""

# Duplicates report (`duplicates --repo studio/ui`), pairs left on purpose, each with why.
# Shared builders live in studio/ui/widgets/labels.py (bold_label, named_label,
# wrapped_label) and undo.py (ask_undo_later); what is left is alike in shape only:
# - PySide6 import lists (providers/dialog ~ validate/dataset_dialog, datasets/
#   import_dialog ~ evaluate/setup, evaluate/progress_panel ~ prompts/preview): names.
# - Signal and widget declarations with __init__ openings (prompts/browser ~
#   validate/run, decide/view ~ evaluate/view, datasets/loading ~ prompts/browser,
#   evaluate/runs ~ prompts/history, prompts/params_form ~ prompts/history ~
#   prompts/prompt_list, datasets/duplicates_dialog ~ datasets/split_dialog ~ undo ~
#   widgets/json_editor): each class declares its own signals and fields.
# - Widget building, one widget at a time with its own text, tooltip, object name and
#   slot (prompts/params_form temperature ~ top_p, validate/view
#   buttons, evaluate/cases ~ evaluate/runs buttons, prompts/editor ~ providers/dialog
#   buttons, evaluate/cases ~ main_window text areas, datasets/detail_editor ~
#   evaluate/summary_panel layouts, prompts/editor ~ prompts/history splitters):
#   a table of them would only hide what each view shows.
# - Signal wiring (datasets/view ~ evaluate/view): different signals to different slots.
# - Calls of the one worker mechanism, context.runner.run(work, on_done=..., ...)
#   (datasets/duplicates_dialog ~ datasets/import_dialog ~ providers/dialog): the
#   callbacks are each caller's own; the mechanism itself is already shared.
# - Small look-alike flows: datasets/view open_split_dialog ~ open_duplicates_dialog
#   (different dialogs and reloads), datasets/duplicates_dialog _failed ~ the save's
#   failed (different busy flag and signal), evaluate/view start_run ~ resume_run
#   (getting the key; what follows differs), evaluate/setup request_run ~
#   providers/dialog accept (build from the form, show a UserError), prompts/browser
#   open_version_in_editor ~ prompts/version_actions _save_description (work/done on
#   the database thread), datasets/label_picker ~ providers/insecure (a Yes/No
#   question with its own words), prompts/history VersionsModel ~ prompts/prompt_list
#   PromptListModel (set_rows/row_of over a different row type and key),
#   evaluate/charts ScoreChart ~ LatencyChart (class header, paintEvent differs).
# Pairs with studio/core (`duplicates --repo studio`), the ui side named:
# - keyword calls and field lists of the same shape (validate/exports export_dataset(...)
#   ~ core/decide/cost and core/evals/runner; datasets/import_dialog and
#   providers/dialog runner.run(...) ~ core/datasets/preview Preview(...);
#   evaluate/view's result fields ~ core/evals/runner's __init__): different calls.
# - prompts/prompt_list PromptRow ~ core/prompts/records PromptSummary (and
#   core/quick_look): the row keeps the fields the list shows, copied off the
#   database thread; see the note at PromptRow.
