"""The Distil view's teacher runs: the dialog, the key, progress, Cancel, resume.

As the Evaluate view runs A/B runs (``studio/ui/evaluate/view.py``): the run is created
on the database thread, then :func:`studio.core.distil.outputs.execute_outputs_run` runs
on the work pool (``db=False``) with a :class:`CancelToken`, so the window never freezes
and Cancel takes effect within a second. A local server is probed first (a model that is
still loading is waited for). The key is read on the GUI thread just before a run and
handed to that call only; a key over plain http to another machine is asked about first.
A cancelled, failed or interrupted run is resumed from the Runs tab without repeating
the calls it finished. With a judge chosen in the dialog, the judge is stored on the run
and the same worker then scores the run's new candidates
(:func:`studio.core.distil.run_judge.judge_run`, same provider, key, progress and
Cancel); a resumed run is judged the same way by the judge it was started with.
:attr:`OutputsRunning.last_judge` holds what it did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMessageBox

from studio.core.errors import UserError
from studio.core.progress import CancelToken, Progress
from studio.ui.distil.decisions import Decisions
from studio.ui.distil.provider_picker import key_for
from studio.ui.evaluate.progress_panel import ProgressPanel
from studio.ui.evaluate.text import usd
from studio.ui.workers import TaskHandle

if TYPE_CHECKING:
    from PySide6.QtWidgets import QPushButton, QTabWidget

    from studio.core.db.project import Project
    from studio.core.distil.judging import JudgeOutcome
    from studio.core.distil.outputs import OutputsOutcome, OutputsPlan, OutputsSpec
    from studio.core.llm.providers import ProviderConfig

# How long a run waits for a local server that answers 503 "loading model" (as Evaluate).
READY_TIMEOUT_S = 120.0
# A probe with no answer at all for this long stops probing; the run's own stop rule
# then ends the run (as Evaluate).
PROBE_SILENT_LIMIT_S = 5.0


def outcome_sentence(outcome: OutputsOutcome) -> str:
    """What the status bar and the progress tab say when a teacher run ends."""
    counts = (
        f"{outcome.stored:,} candidate(s) stored, {outcome.failed:,} failed, "
        + (f"{outcome.audit:,} audit answer(s), " if outcome.audit else "")
        + f"{outcome.skipped:,} row(s) skipped, {outcome.calls:,} new call(s), "
        f"cost {usd(outcome.cost_usd)}"
    )
    if outcome.cancelled:
        return (
            f"Run {outcome.run_id} cancelled ({counts}). Resume it from the Teacher Runs tab: "
            "answered calls are not repeated."
        )
    if outcome.failed_reason:
        return (
            f"Run {outcome.run_id} stopped: {outcome.failed_reason} ({counts}). "
            "Resume it from the Teacher Runs tab."
        )
    free = " — all from cache, nothing sent" if outcome.calls == 0 and outcome.rows else ""
    return f"Run {outcome.run_id} completed: {counts}{free}."


def judge_sentence(judged: JudgeOutcome) -> str:
    """What the status bar adds when a judge scored the run's candidates."""
    text = (
        f"Judge: {judged.scored:,} scored, {judged.unreadable:,} unreadable, "
        f"{judged.failed:,} failed, {judged.calls:,} new call(s), cost {usd(judged.cost_usd)}"
    )
    return text + (" (cancelled)." if judged.cancelled else ".")


class OutputsRunning(Decisions):
    """Generate teacher outputs with progress and Cancel; resume a stopped run.

    Signals:
        run_started(int): a teacher run (new or resumed) began executing.
        run_finished(object): its :class:`OutputsOutcome` arrived.
    """

    run_started = Signal(int)
    run_finished = Signal(object)

    # Built by DistilView
    progress: ProgressPanel
    tabs: QTabWidget
    generate_button: QPushButton

    def __init__(self, context: Any, parent: Any = None) -> None:
        super().__init__(context, parent)
        self._handle: TaskHandle | None = None
        self.outputs_dialog: Any = None
        self.last_outcome: OutputsOutcome | None = None
        self.last_judge: JudgeOutcome | None = None

    @property
    def running(self) -> bool:
        """True while a teacher run executes."""
        return self._handle is not None and not self._handle.done

    # -- the dialog ------------------------------------------------------------------------
    def open_outputs_dialog(self) -> Any:
        """“Generate Teacher Outputs…”: the form and its plan (non-blocking; returned)."""
        if self.dataset is None or self.project is None:
            return None
        if self.running:
            self.context.show_status("A teacher run is going: wait for it or cancel it first.")
            return None
        from studio.ui.distil.outputs_dialog import OutputsDialog

        selected = sorted({c.example_id for c in self.review.selected()})
        dialog = OutputsDialog(self.context, self.dataset.id, self.dataset.name, selected, self)
        self.outputs_dialog = dialog

        def finished(result: int) -> None:
            self.outputs_dialog = None
            if result and dialog.spec is not None and dialog.plan is not None:
                self.start_outputs(dialog.spec, dialog.plan, dialog.judge_ref)
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()
        return dialog

    # -- running ---------------------------------------------------------------------------
    def _key_confirmed(self, provider: ProviderConfig) -> tuple[bool, str | None]:
        try:
            key = key_for(provider)
        except UserError as exc:
            self.context.show_error(exc)
            return False, None
        from studio.ui.providers.insecure import confirm_insecure_key

        return confirm_insecure_key(self, provider.base_url, key), key

    def start_outputs(
        self, spec: OutputsSpec, plan: OutputsPlan, judge_ref: str | None = None
    ) -> None:
        """Create the teacher run of ``spec`` (the plan was confirmed) and execute it;
        then, with ``judge_ref``, score its new candidates with that judge."""
        project = self.project
        if project is None or self.running:
            return
        ok, key = self._key_confirmed(spec.provider)
        if not ok:
            return  # no key, or the user kept it off plain http
        import dataclasses

        from studio.core.distil.outputs import create_outputs_run

        if judge_ref:  # stored on the run, so a resume judges with it too
            spec = dataclasses.replace(spec, judge=judge_ref)
        probe = plan.n_calls > plan.n_cached

        def created(run_id: int) -> None:
            self._execute(
                project,
                run_id,
                key,
                spec.provider,
                probe,
                f"Run {run_id}: {spec.prompt_ref}",
            )

        self.generate_button.setEnabled(False)
        self._db(
            lambda: create_outputs_run(project, spec),
            created,
            project,
            lambda exc: self._run_failed(project, exc),
        )

    def resume_run(self, run_id: int) -> None:
        """Continue a cancelled, failed or interrupted teacher run."""
        project = self.project
        if project is None or self.running:
            return
        from studio.core.evals import review as core_review

        def meta_loaded(meta: Any) -> None:
            if meta.provider is None:
                self.context.show_error(f"Run {run_id} has no usable provider settings.")
                return
            ok, key = self._key_confirmed(meta.provider)
            if ok:
                self._execute(project, run_id, key, meta.provider, True, f"Run {run_id} (resumed)")

        self._db(lambda: core_review.run_meta(project, run_id), meta_loaded, project)

    def _execute(
        self,
        project: Project,
        run_id: int,
        key: str | None,
        provider: ProviderConfig,
        probe: bool,
        title: str,
    ) -> None:
        from studio.core.distil.outputs import execute_outputs_run

        token = CancelToken()
        self.last_judge = None

        def work(report: Any) -> tuple[OutputsOutcome, JudgeOutcome | None]:
            if probe and provider.kind == "compatible":
                _wait_for_server(provider, key, token, report)
            outcome = execute_outputs_run(project, run_id, key=key, progress=report, cancel=token)
            if outcome.cancelled or outcome.failed_reason:
                return outcome, None
            return outcome, _judge_run(project, run_id, provider, key, token, report)

        self.progress.start(title)
        self.tabs.setCurrentWidget(self.progress)
        self.generate_button.setEnabled(False)
        self._handle = self.context.runner.run(
            work,
            on_done=lambda done: self._run_done(project, *done),
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
        """Stop the running teacher run (finished answers are kept; resume finishes it)."""
        if self._handle is not None and not self._handle.done:
            self._handle.cancel()

    def _run_done(
        self, project: Project, outcome: OutputsOutcome, judged: JudgeOutcome | None = None
    ) -> None:
        if not shiboken6.isValid(self):
            return
        self.last_outcome = outcome
        self.last_judge = judged
        self.generate_button.setEnabled(self.dataset is not None)
        text = outcome_sentence(outcome)
        if judged is not None:
            text += " " + judge_sentence(judged)
        self.progress.finish(text)
        if not self._alive(project):
            return
        self.context.show_status(text, 10000)
        self.context.data_changed.emit("evals")
        self.reload()
        self.reload_runs(select=outcome.run_id)
        if not outcome.cancelled and not outcome.failed_reason:
            self.tabs.setCurrentIndex(0)  # the review queue
        self.run_finished.emit(outcome)

    def _run_failed(self, project: Project, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self.generate_button.setEnabled(self.dataset is not None)
        message = exc.message if isinstance(exc, UserError) else "The run stopped on an error."
        self.progress.finish(message)
        if self._alive(project):
            self.context.show_error(exc)
            self.reload()
            self.reload_runs()

    def delete_run(self, run_id: int) -> None:
        """Delete a teacher run after asking (its candidates stay, without the run)."""
        project = self.project
        if project is None or self.running:
            return
        answer = QMessageBox.question(
            self,
            "Delete Run",
            f"Delete run {run_id}? The candidates it stored stay for review; cached "
            "responses stay too, so running it again is free.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        from studio.core.evals import run_store

        self._db(
            lambda: run_store.delete_run(project, run_id), lambda _r: self.reload_runs(), project
        )


def _judge_run(
    project: Project,
    run_id: int,
    provider: ProviderConfig,
    key: str | None,
    token: CancelToken,
    report: Any,
) -> JudgeOutcome | None:
    """Score the run's pending candidates with the judge stored on the run (on the
    worker); None when the run was started without a judge."""
    from studio.core.distil.run_judge import judge_run, run_judge_ref, run_pending_candidates

    ref = run_judge_ref(project, run_id)
    if ref is None:
        return None
    n = len(run_pending_candidates(project, run_id))
    report(Progress(0, 0, f"Judging {n:,} candidate(s) with {ref}…"))
    return judge_run(project, run_id, provider=provider, key=key, progress=report, cancel=token)


def _wait_for_server(provider: Any, key: str | None, token: CancelToken, report: Any) -> None:
    """Wait (on the worker) until a local server lists its models, reporting why it waits."""
    from studio.core.errors import CancelledError
    from studio.core.llm.probe import wait_until_ready

    def on_wait(waited: float, message: str) -> None:
        loading = "loading" in message.lower()
        report(
            Progress(
                0,
                0,
                f"Server is loading the model… {waited:.0f} s"
                if loading
                else f"Waiting for the server… {waited:.0f} s: {message}",
            )
        )

    try:
        wait_until_ready(
            provider,
            key,
            timeout_s=READY_TIMEOUT_S,
            silent_limit_s=PROBE_SILENT_LIMIT_S,
            cancel=token,
            on_wait=on_wait,
        )
    except CancelledError:
        pass  # execute_outputs_run sees the token and records "cancelled"
    except UserError:
        pass  # the run reports it in its own words (fails fast)
