"""The Evaluate view: set up an A/B run, watch it, read the verdict, review the cases.

Tabs: Setup, Progress, Summary, Cases, Review, Past Runs, Compare.

Threads: lists, estimates, summaries, case rows, re-scoring and preferences run on the
task runner's database thread; :func:`studio.core.evals.run_execute.execute_run` runs on the
work pool (``db=False``) with a :class:`CancelToken` and its own asyncio loop, so the
window never freezes and Cancel takes effect within a second. Results arriving after
another project was opened are dropped. The API key is looked up on the GUI thread just
before a run and handed to ``execute_run`` for that call only: it is never stored by
the view, the project or the settings.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMessageBox, QTabWidget, QVBoxLayout, QWidget

from studio.core.errors import UserError
from studio.core.evals import review as core_review
from studio.core.evals.preferences import ReviewPair
from studio.core.evals.run_execute import RunOutcome
from studio.core.evals.run_results import CaseRow
from studio.core.evals.run_setup import RunSpec
from studio.core.evals.summary import RunSummary
from studio.core.llm import keys
from studio.core.progress import CancelToken, Progress
from studio.ui.context import AppContext
from studio.ui.evaluate.cases import CasesPanel
from studio.ui.evaluate.progress_panel import ProgressPanel
from studio.ui.evaluate.review import ReviewPanel
from studio.ui.evaluate.runs import ComparePanel, RunsPanel
from studio.ui.evaluate.setup import RunSetupPanel
from studio.ui.evaluate.summary_panel import SummaryPanel
from studio.ui.evaluate.text import duration
from studio.ui.workers import TaskHandle

if TYPE_CHECKING:
    from studio.core.db.project import Project

log = logging.getLogger(__name__)

TABS = ("setup", "progress", "summary", "cases", "review", "runs", "compare")
# How long a run waits for a local server that answers 503 "loading model".
READY_TIMEOUT_S = 120.0
# A probe with no answer at all for this long stops probing: the run's own stop rule
# (core.evals.limits, 75 s by default) then ends the run, within 90 s in all.
PROBE_SILENT_LIMIT_S = 5.0


class _Loaded:
    """A run's data for the panels (built on the database thread)."""

    def __init__(
        self,
        summary: RunSummary,
        rows: list[CaseRow],
        meta: core_review.RunMeta,
        pairs: list[ReviewPair],
        reviewed: int,
    ) -> None:
        self.summary = summary
        self.rows = rows
        self.meta = meta
        self.pairs = pairs
        self.reviewed = reviewed


def _load_run(project: Project, run_id: int) -> _Loaded:
    from studio.core.evals import run_results

    summary = run_results.run_summary(project, run_id)
    rows = run_results.case_rows(project, run_id, "all")
    meta = core_review.run_meta(project, run_id)
    pairs = core_review.pending_review_pairs(project, run_id) if len(summary.variants) >= 2 else []
    return _Loaded(summary, rows, meta, pairs, core_review.review_counts(project, run_id))


class EvaluateView(QWidget):
    """A/B runs of prompt versions on a dataset split.

    Signals:
        run_started(int): a run (new, resumed or re-run) began executing.
        run_finished(object): its :class:`RunOutcome` arrived.
        run_shown(int): a run's summary and cases are on screen.
        runs_listed(list): the past-runs list was (re)loaded.
        preference_recorded(int): a review choice was stored (preference id).
    """

    run_started = Signal(int)
    run_finished = Signal(object)
    run_shown = Signal(int)
    runs_listed = Signal(list)
    preference_recorded = Signal(int)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("evaluateView")
        self.context = context
        self.run_id: int | None = None
        self.loaded: _Loaded | None = None
        self.last_outcome: RunOutcome | None = None
        self._handle: TaskHandle | None = None
        self._token: CancelToken | None = None

        self._show_pending = False  # a show_run is on its way
        self.setup = RunSetupPanel(context)
        self.progress = ProgressPanel()
        self.summary = SummaryPanel()
        self.cases = CasesPanel()
        self.review = ReviewPanel()
        self.runs = RunsPanel()
        self.compare = ComparePanel()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("evaluate_tabs")
        for widget, title in (
            (self.setup, "Setup"),
            (self.progress, "Progress"),
            (self.summary, "Summary"),
            (self.cases, "Cases"),
            (self.review, "Review"),
            (self.runs, "Past Runs"),
            (self.compare, "Compare"),
        ):
            self.tabs.addTab(widget, title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs)

        self.setup.run_requested.connect(self.start_run)
        self.progress.cancel_requested.connect(self.cancel_run)
        self.cases.open_example_requested.connect(self.open_example)
        self.cases.rescore_requested.connect(self.rescore)
        self.cases.rerun_requested.connect(self.rerun)
        self.review.chosen.connect(self._record_choice)
        self.runs.run_selected.connect(self.show_run)
        self.runs.compare_requested.connect(self.compare_runs)
        self.runs.resume_requested.connect(self.resume_run)
        self.runs.delete_requested.connect(self.delete_run)
        context.project_changed.connect(self._project_changed)
        context.data_changed.connect(self._data_changed)
        self._project_changed(context.project)

    # -- helpers ---------------------------------------------------------------------------
    def show_tab(self, name: str) -> None:
        """Switch to a tab by name (see :data:`TABS`)."""
        self.tabs.setCurrentIndex(TABS.index(name))

    @property
    def running(self) -> bool:
        """True while a run executes."""
        return self._handle is not None and not self._handle.done

    def _alive(self, project: Project | None) -> bool:
        return shiboken6.isValid(self) and project is not None and (project is self.context.project)

    def _db(self, fn: Any, on_done: Any, project: Project) -> None:
        def done(result: Any) -> None:
            if self._alive(project):
                on_done(result)

        def failed(exc: BaseException) -> None:
            if self._alive(project):
                self.context.show_error(exc)

        self.context.runner.run(fn, on_done=done, on_error=failed)

    def _project_changed(self, project: Project | None) -> None:
        self.cancel_run()
        self.run_id = None
        self.loaded = None
        self._show_pending = False
        self.summary.clear()
        self.cases.clear()
        self.review.clear()
        self.runs.set_runs([])
        self.setup.reload()
        if project is not None:
            self.reload_runs()

    def _data_changed(self, area: str) -> None:
        if area in ("prompts", "datasets") and self.context.project is not None:
            self.setup.reload()

    def navigate_to(self, target: object) -> None:
        """``{"run_id": N}`` shows that run."""
        if isinstance(target, dict) and isinstance(target.get("run_id"), int):
            self.show_run(int(target["run_id"]))
            self.show_tab("summary")

    # -- past runs -------------------------------------------------------------------------
    def reload_runs(self, select: int | None = None) -> None:
        """Reload the past-runs list."""
        project = self.context.project
        if project is None:
            return

        def shown(entries: list[core_review.RunListEntry]) -> None:
            self.runs.set_runs(entries, select=select if select is not None else self.run_id)
            if select is None and self.run_id is None and not self._show_pending:
                # Open on the newest finished run, so Summary and Cases are not empty
                # when the project already holds runs (the demo's A/B)
                latest = next((e for e in entries if e.info.status == "completed"), None)
                if latest is not None:
                    self.show_run(latest.info.id)
            self.runs_listed.emit(entries)

        self._db(lambda: core_review.runs_with_verdicts(project), shown, project)

    def show_run(self, run_id: int) -> None:
        """Load and show a run's summary, cases and review queue."""
        project = self.context.project
        if project is None:
            return
        self._show_pending = True
        self._db(lambda: _load_run(project, run_id), lambda data: self._show(run_id, data), project)

    def _show(self, run_id: int, data: _Loaded) -> None:
        self._show_pending = False
        self.run_id = run_id
        self.loaded = data
        self.summary.set_summary(data.summary)
        self.cases.set_run(data.summary, data.rows)
        self.review.set_queue(data.pairs, data.reviewed)
        self.runs.select_run(run_id)
        self.run_shown.emit(run_id)

    def compare_runs(self, run_ids: list[int]) -> None:
        """Show several runs side by side."""
        project = self.context.project
        if project is None or len(run_ids) < 2:
            return
        from studio.core.evals import run_results

        def shown(comparison: Any) -> None:
            self.compare.set_comparison(comparison)
            self.show_tab("compare")

        self._db(lambda: run_results.compare_runs(project, run_ids), shown, project)

    def delete_run(self, run_id: int) -> None:
        """Delete a run after asking."""
        project = self.context.project
        if project is None or self.running:
            return
        answer = QMessageBox.question(
            self,
            "Delete Run",
            f"Delete run {run_id} with its answers and preferences? "
            "Cached responses stay, so running it again is free.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        from studio.core.evals import run_store

        def deleted(_: object) -> None:
            if self.run_id == run_id:
                self.run_id = None
                self.summary.clear()
                self.cases.clear()
                self.review.clear()
            self.reload_runs()
            self.context.data_changed.emit("evals")

        self._db(lambda: run_store.delete_run(project, run_id), deleted, project)

    # -- running ---------------------------------------------------------------------------
    def _key_for(self, provider: Any) -> str | None:
        """The provider's key (None is fine for local servers); raises if one is required."""
        key = keys.get_key(provider)
        if key is None and provider.kind != "compatible":
            raise UserError(
                f"No API key for provider {provider.name!r}: press Edit… next to Provider and "
                "save one, or set "
                f"{'AZURE_OPENAI_API_KEY' if provider.kind == 'azure' else 'OPENAI_API_KEY'}.",
                where=provider.name,
            )
        return key

    def start_run(self, spec: RunSpec, cache: bool = True) -> None:
        """Create a run from ``spec`` and execute it."""
        project = self.context.project
        if project is None or self.running:
            return
        try:
            key = self._key_for(spec.provider)
        except UserError as exc:
            self.context.show_error(exc)
            return
        from studio.ui.providers.insecure import confirm_insecure_key

        if not confirm_insecure_key(self, spec.provider.base_url, key):
            return  # the user kept the key off plain http
        estimate = self.setup.estimate
        all_cached = bool(
            cache
            and estimate is not None
            and estimate.n_calls
            and estimate.n_cached == estimate.n_calls
        )
        self._create_and_execute(project, spec, key, cache, probe=not all_cached)

    def _create_and_execute(
        self, project: Project, spec: RunSpec, key: str | None, cache: bool, probe: bool
    ) -> None:
        from studio.core.evals import run_setup, run_store

        def create() -> int:
            run_id = run_setup.create_run(project, spec)
            if spec.provider.is_local:
                run_store.set_recorded_note(
                    project, run_id, f"recorded against a local server ({spec.provider.base_url})"
                )
            return run_id

        def created(run_id: int) -> None:
            if self._alive(project):
                self._execute(
                    project,
                    run_id,
                    key,
                    cache,
                    probe,
                    f"Run {run_id}: " + " vs ".join(v.prompt_ref for v in spec.variants),
                )

        self.setup.set_running(True)
        self.context.runner.run(
            create, on_done=created, on_error=lambda exc: self._run_failed(project, exc)
        )

    def resume_run(self, run_id: int) -> None:
        """Continue a cancelled or failed run (completed calls are not repeated)."""
        project = self.context.project
        if project is None or self.running:
            return

        def meta_loaded(meta: core_review.RunMeta) -> None:
            if meta.provider is None:
                self.context.show_error(f"Run {run_id} has no usable provider settings.")
                return
            try:
                key = self._key_for(meta.provider)
            except UserError as exc:
                self.context.show_error(exc)
                return
            from studio.ui.providers.insecure import confirm_insecure_key

            if not confirm_insecure_key(self, meta.provider.base_url, key):
                return  # the user kept the key off plain http
            entry = self.runs.entry(run_id)
            join = entry is not None and entry.info.status == "running"  # Help finish it
            title = f"Run {run_id} (" + ("helping finish it" if join else "resumed") + ")"
            self._execute(project, run_id, key, True, True, title, join=join)

        self._db(lambda: core_review.run_meta(project, run_id), meta_loaded, project)

    def rerun(self) -> None:
        """Run the shown run's comparison again as a new run (cached calls are free)."""
        project = self.context.project
        if project is None or self.run_id is None or self.running:
            return
        from studio.core.evals import run_setup

        run_id = self.run_id

        def prepared(result: tuple[core_review.RunMeta, Any]) -> None:
            meta, estimate = result
            if meta.spec is None:
                self.context.show_error(
                    f"Run {run_id} cannot be re-run: its dataset or a prompt version was deleted."
                )
                return
            try:
                key = self._key_for(meta.spec.provider)
            except UserError as exc:
                self.context.show_error(exc)
                return
            from studio.ui.providers.insecure import confirm_insecure_key

            if not confirm_insecure_key(self, meta.spec.provider.base_url, key):
                return  # the user kept the key off plain http
            all_cached = estimate.n_calls > 0 and estimate.n_cached == estimate.n_calls
            self._create_and_execute(project, meta.spec, key, True, probe=not all_cached)

        def prepare() -> tuple[core_review.RunMeta, Any]:
            meta = core_review.run_meta(project, run_id)
            if meta.spec is None:
                return meta, None
            return meta, run_setup.estimate_run(project, meta.spec)

        self._db(prepare, prepared, project)

    def _execute(
        self,
        project: Project,
        run_id: int,
        key: str | None,
        cache: bool,
        probe: bool,
        title: str,
        *,
        join: bool = False,
    ) -> None:
        from studio.core.evals import run_execute, run_store

        token = CancelToken()
        self._token = token
        self.run_id = run_id
        self.runs.running_here = run_id

        def work(report: Any) -> RunOutcome:
            if probe:
                meta = core_review.run_meta(project, run_id)
                provider = meta.provider
                if provider is not None and provider.kind == "compatible":
                    from studio.core.errors import CancelledError
                    from studio.core.llm.probe import wait_until_ready

                    def on_wait(waited: float, message: str) -> None:
                        loading = "loading" in message.lower()
                        report(
                            Progress(
                                0,
                                0,
                                (
                                    f"Server is loading the model… {waited:.0f} s"
                                    if loading
                                    else f"Waiting for the server… {waited:.0f} s: {message}"
                                ),
                            )
                        )

                    from studio.core.evals.limits import RunLimits

                    stored = RunLimits.from_json(run_store.run_plan(project, run_id).get("limits"))
                    try:
                        wait_until_ready(
                            provider,
                            key,
                            timeout_s=READY_TIMEOUT_S,
                            silent_limit_s=min(PROBE_SILENT_LIMIT_S, stored.request_timeout_s),
                            cancel=token,
                            on_wait=on_wait,
                        )
                    except CancelledError:
                        pass  # execute_run sees the token and records "cancelled"
                    except UserError:
                        pass  # execute_run reports it in its own words (fails fast)
            return run_execute.execute_run(
                project, run_id, key=key, progress=report, cancel=token, cache=cache, join=join
            )

        self.progress.start(title)
        self.show_tab("progress")
        self.setup.set_running(True)
        self._handle = self.context.runner.run(
            work,
            on_done=lambda outcome: self._run_done(project, outcome),
            on_error=lambda exc: self._run_failed(project, exc),
            on_cancel=lambda: self._run_failed(project, UserError("The run was cancelled.")),
            on_progress=self._progress,
            token=token,
            db=False,
        )
        self.run_started.emit(run_id)
        self.reload_runs(select=run_id)

    def _progress(self, p: Any) -> None:
        if shiboken6.isValid(self):
            self.progress.report(p)

    def cancel_run(self) -> None:
        """Stop the running run (within a second; finished answers are kept)."""
        if self._handle is not None and not self._handle.done:
            self._handle.cancel()

    def _run_done(self, project: Project, outcome: RunOutcome) -> None:
        if not shiboken6.isValid(self):
            return
        self.last_outcome = outcome
        self.runs.running_here = None
        self.setup.set_running(False)
        text = outcome_sentence(outcome)
        self.progress.finish(text)
        if not self._alive(project):
            return
        self.context.show_status(text, 10000)
        self.context.data_changed.emit("evals")
        self.reload_runs(select=outcome.run_id)
        self.show_run(outcome.run_id)
        if outcome.completed:
            self.show_tab("summary")
        self.run_finished.emit(outcome)

    def _run_failed(self, project: Project, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self.runs.running_here = None
        self.setup.set_running(False)
        message = exc.message if isinstance(exc, UserError) else "The run stopped on an error."
        self.progress.finish(message)
        if self._alive(project):
            self.context.show_error(exc)
            self.reload_runs()

    # -- after a run -----------------------------------------------------------------------
    def open_example(self, example_id: int) -> None:
        """Ask the window to open this example in Datasets (to fix its label)."""
        meta = self.loaded.meta if self.loaded is not None else None
        if meta is None or meta.dataset_id is None:
            self.context.show_status("The run's dataset no longer exists.")
            return
        self.context.navigate_requested.emit(
            "datasets", {"dataset_id": meta.dataset_id, "example_id": example_id}
        )
        self.context.show_status(
            f"Example {example_id} opened in Datasets: fix its label, then come back and "
            "press Re-score (no new calls).",
            8000,
        )

    def rescore(self) -> None:
        """Score the shown run's stored answers again against the current labels."""
        project = self.context.project
        if project is None or self.run_id is None:
            return
        from studio.core.evals import run_results

        run_id = self.run_id

        def done(summary: RunSummary) -> None:
            self.context.show_status(
                f"Run {run_id} re-scored without new calls: {summary.verdict_text}", 8000
            )
            self.context.data_changed.emit("evals")
            self.show_run(run_id)
            self.reload_runs(select=run_id)

        self._db(lambda: run_results.rescore_run(project, run_id), done, project)

    def _record_choice(self, pair: ReviewPair, side: str) -> None:
        project = self.context.project
        if project is None:
            return
        from studio.core.evals import preferences

        def stored(pref_id: int) -> None:
            self.preference_recorded.emit(pref_id)
            if self.review.current is None:  # the last one: refresh the sign test
                self._refresh_summary(project, pair.run_id)

        self._db(
            lambda: preferences.record_review(project, pair, side),  # type: ignore[arg-type]
            stored,
            project,
        )

    def _refresh_summary(self, project: Project, run_id: int) -> None:
        from studio.core.evals import run_results

        def shown(summary: RunSummary) -> None:
            if self.run_id == run_id:
                self.summary.set_summary(summary)
                if self.loaded is not None:
                    self.loaded.summary = summary

        self._db(lambda: run_results.run_summary(project, run_id), shown, project)

    def refresh_summary(self) -> None:
        """Recompute the shown run's summary (e.g. after reviewing some pairs)."""
        if self.context.project is not None and self.run_id is not None:
            self._refresh_summary(self.context.project, self.run_id)

    def keyPressEvent(self, event: Any) -> None:
        if self.tabs.currentWidget() is self.review:
            self.review.keyPressEvent(event)
            return
        super().keyPressEvent(event)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.tabs.currentWidget() is self.review:
            self.review.setFocus(Qt.FocusReason.OtherFocusReason)


def outcome_sentence(outcome: RunOutcome) -> str:
    """What the status bar and the progress tab say when a run ends."""
    if outcome.stop_kind is not None:  # a silent server or the deadline: resumable
        return f"Run {outcome.run_id} stopped: {outcome.failed_reason} Resume it from Past Runs."
    if outcome.failed_reason:
        return f"Run {outcome.run_id} failed: {outcome.failed_reason}"
    counts = (
        f"{outcome.calls_made} new call(s), {outcome.cached} from cache, {outcome.failed} failed"
    )
    if outcome.cancelled:
        return (
            f"Run {outcome.run_id} cancelled after {duration(outcome.elapsed_s)} "
            f"({counts}). Resume it from Past Runs: finished calls are not repeated."
        )
    free = " — all from cache, nothing sent" if outcome.calls_made == 0 and outcome.cached else ""
    return f"Run {outcome.run_id} completed in {duration(outcome.elapsed_s)}: {counts}{free}."
