"""The demo's distillation: 200 teacher outputs for new inputs, reviewed (ISSUE 13 §5).

The demo's A/B run proved banking-intent v4 on the large model; the decision report
suggests distilling it into a small model. This part takes the loop's next step with the
same simulated model (:mod:`studio.core.demo.simulated_server`):

1. ``resources/demo/banking77_distil.csv`` (200 more banking77 train queries over the
   demo's 10 intents, 20 each, none a near-duplicate of the demo's rows; see
   ``resources/demo/ATTRIBUTION.md``) is imported into the demo dataset WITHOUT its
   labels, as draft rows in the train split: unlabelled traffic.
2. A distil run asks the teacher (v4 on the large model) 3 samples per row through the
   real runner, SDK and store, against the simulated model; its answers become
   candidates with their majority and agreement.
   The same run also answers an audit sample of :data:`AUDIT_ROWS` rows that already have
   an approved human label (train and validation; ``--audit``), stored as ``audit``
   candidates: they measure the teacher against people, so ``studio distil stats`` and
   the decision report show its accuracy with a Wilson interval.
3. The demo's judge (``intent-judge@2`` on ``gpt-4.1-mini``, :mod:`studio.core.demo.judge`)
   scores the run's 200 pending candidates through the real path
   (:func:`studio.core.distil.run_judge.judge_run`, the judge stored on the run as
   ``studio distil outputs --judge`` does), so the Distil view's judge column, ``studio
   distil stats`` and ``accept --min-judge`` have scores with who gave them.
4. The review accepts "agreement = 1 and valid" (:func:`studio.core.distil.review.accept`),
   one undoable operation in the dataset's history; the rows where the samples
   disagreed stay pending for a person (audit answers are never accepted).

The simulated teacher knows each query's banking77 intent (the CSV's second column, kept
out of the dataset) and plays a good model: right on most queries, consistently wrong on
about 6 %, and unsure on about 12 % (its samples disagree: right, wrong, right). The run
carries :data:`studio.core.demo.run.DEMO_NOTE`.
"""

from __future__ import annotations

import csv
import hashlib
import threading
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from studio.core import paths
from studio.core.demo.judge import JUDGE_PROMPT, JUDGE_VERSION, SimulatedJudge
from studio.core.demo.simulated_server import SimulatedModelServer
from studio.core.llm.providers import ProviderConfig

if TYPE_CHECKING:
    from studio.core.db.project import Project

DISTIL_CSV = "banking77_distil.csv"
TEACHER_SAMPLES = 3
TEACHER_TEMPERATURE = 0.7  # samples > 1 need a temperature above 0
AUDIT_ROWS = 50  # rows with a human label the teacher also answers, to measure it
# Shares of the queries the simulated teacher gets consistently wrong / is unsure about
WRONG_SHARE = 0.06
UNSURE_SHARE = 0.12


def _u(*parts: object) -> float:
    """A stable uniform number in [0, 1) from ``parts``."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _norm(text_: str) -> str:
    return " ".join(text_.split()).casefold()


def distil_queries() -> list[tuple[str, str]]:
    """(text, banking77 intent) of the demo's 200 distil inputs, in file order."""
    path = paths.resources_dir() / "demo" / DISTIL_CSV
    with path.open(newline="", encoding="utf-8") as fh:
        return [(r["text"], r["category"]) for r in csv.DictReader(fh)]


class TeacherAndJudge:
    """One responder for the distil part's server: judge requests to the judge, the rest
    to the teacher."""

    def __init__(self, teacher: SimulatedTeacher, judge: SimulatedJudge) -> None:
        self.teacher = teacher
        self.judge = judge

    def __call__(self, body: dict[str, Any]) -> str:
        if self.judge.is_judge_request(body):
            return self.judge(body)
        return self.teacher(body)

    def latency(self, body: dict[str, Any]) -> float:
        """The judge's or the teacher's."""
        if self.judge.is_judge_request(body):
            return self.judge.latency(body)
        return self.teacher.latency(body)


class SimulatedTeacher:
    """Plays the teacher model: knows the intents, errs and hesitates on purpose.

    Each query's behaviour is fixed by a hash of its text: ``wrong`` (every sample the
    same wrong intent), ``unsure`` (its samples cycle right, wrong, right in call order,
    so 3 samples agree 2 of 3 whatever order they arrive in) or ``right``.
    """

    def __init__(self, labels_by_text: dict[str, str], label_set: list[str]) -> None:
        self.labels = {_norm(k): v for k, v in labels_by_text.items()}
        self.label_set = label_set
        self._calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    @staticmethod
    def behaviour(query: str) -> str:
        """``"wrong"``, ``"unsure"`` or ``"right"`` for a query text."""
        u = _u("teacher", _norm(query))
        if u < WRONG_SHARE:
            return "wrong"
        return "unsure" if u < WRONG_SHARE + UNSURE_SHARE else "right"

    def _wrong(self, key: str, label: str) -> str:
        others = [lb for lb in self.label_set if lb != label] or ["other"]
        return others[int(_u("teacher-wrong", key) * len(others))]

    def __call__(self, body: dict[str, Any]) -> str:
        query = ""
        for message in reversed(body.get("messages") or []):
            if message.get("role") == "user":
                query = str(message.get("content") or "")
                break
        key = _norm(query)
        label = self.labels.get(key, self.label_set[0] if self.label_set else "other")
        kind = self.behaviour(query)
        with self._lock:
            n = self._calls[key]
            self._calls[key] += 1
        wrong = kind == "wrong" or (kind == "unsure" and n % 3 == 1)
        answer = self._wrong(key, label) if wrong else label
        if body.get("response_format") is not None:
            return orjson.dumps({"intent": answer, "confidence": "high"}).decode()
        return answer

    @staticmethod
    def latency(body: dict[str, Any]) -> float:
        """3-9 ms."""
        return 0.003 + 0.006 * _u("teacher-latency", len(str(body)))


@dataclass(frozen=True)
class DemoDistil:
    """What the demo's distil part did."""

    run_id: int
    rows: int
    stored: int
    accepted: int
    op_id: int | None
    judged: int = 0  # candidates the demo judge scored


def add_demo_distil(project: Project, dataset: str | int | None = None) -> DemoDistil:
    """Import the 200 unlabelled inputs, run the teacher on them, accept the unanimous.

    Raises:
        NotFoundError: the demo dataset or the banking-intent prompt is missing.
    """
    from studio.core.datasets import curation
    from studio.core.datasets.catalog import get_dataset
    from studio.core.datasets.importing import import_file
    from studio.core.datasets.mapping import ImportMapping
    from studio.core.demo.run import (
        CANDIDATE_VERSION,
        DEMO_NOTE,
        DEMO_PROMPT,
        LARGE_MODEL,
        _find_dataset,
    )
    from studio.core.distil.outputs import OutputsSpec, create_outputs_run, execute_outputs_run
    from studio.core.distil.review import accept
    from studio.core.distil.run_judge import judge_run
    from studio.core.evals import run_store

    dataset_id, name = _find_dataset(project, dataset)
    queries = distil_queries()
    # The inputs only: the intents stay with the simulated teacher
    mapping = ImportMapping(input_fields=["text"], task_type="classification", status="draft")
    import_file(
        project, paths.resources_dir() / "demo" / DISTIL_CSV, name, mapping, all_or_nothing=True
    )
    new_ids = _rows_from(project, dataset_id, DISTIL_CSV)
    curation.set_split(project, dataset_id, new_ids, "train")

    label_set = list(get_dataset(project, dataset_id).label_set)
    human = _human_rows(project, dataset_id)  # the audit pool: approved human, not test
    # The simulated teacher knows the intents of the human rows as of the new ones
    known = {**dict(human.values()), **dict(queries)}
    model = TeacherAndJudge(SimulatedTeacher(known, label_set), SimulatedJudge(known))
    with SimulatedModelServer(responder=model, latency=model.latency, exact_usage=True) as srv:
        provider = ProviderConfig(
            name="Local loopback (simulated model)", base_url=srv.base_url, kind="compatible"
        )
        spec = OutputsSpec(
            dataset=dataset_id,
            prompt_ref=f"{DEMO_PROMPT}@{CANDIDATE_VERSION}",
            provider=provider,
            model=LARGE_MODEL,
            example_ids=new_ids + sorted(human),  # the human rows: the audit pool only
            samples=TEACHER_SAMPLES,
            temperature=TEACHER_TEMPERATURE,
            concurrency=16,
            name=f"{DEMO_PROMPT} v{CANDIDATE_VERSION} teacher outputs (demo)",
            audit=AUDIT_ROWS,
            judge=f"{JUDGE_PROMPT}@{JUDGE_VERSION}",
        )
        run_id = create_outputs_run(project, spec)
        run_store.set_recorded_note(project, run_id, DEMO_NOTE)
        # No cache: the simulated server's port changes every start (see demo/run.py)
        outcome = execute_outputs_run(project, run_id, key=None, cache=False)
        # The judge stored on the run scores its pending candidates, as after
        # `studio distil outputs --judge` (judged before the review: only pending ones are)
        judged = judge_run(project, run_id, provider=provider, key=None, cache=False)
    review = accept(project, dataset_id, min_agreement=1.0, example_ids=new_ids)
    return DemoDistil(
        run_id,
        outcome.rows,
        outcome.stored,
        review.changed,
        review.op_id,
        judged.scored if judged is not None else 0,
    )


def _human_rows(project: Project, dataset_id: int) -> dict[int, tuple[str, str]]:
    """id -> (input text, label) of the approved, human-labelled train/validation rows."""
    from sqlalchemy import text

    from studio.core.db.transactions import read_conn

    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT id, input_json, label FROM example WHERE dataset_id = :d "
                "AND status = 'approved' AND ideal_source = 'human' AND label IS NOT NULL "
                "AND split IN ('train', 'validation')"
            ),
            {"d": dataset_id},
        ).all()
    out: dict[int, tuple[str, str]] = {}
    for r in rows:
        query = orjson.loads(r[1]).get("text")
        if isinstance(query, str):
            out[int(r[0])] = (query, str(r[2]))
    return out


def _rows_from(project: Project, dataset_id: int, source: str) -> list[int]:
    """Ids of the dataset's rows imported from the file named ``source``."""
    from studio.core.datasets.queries import ExampleFilter, query_ids

    return query_ids(project, dataset_id, ExampleFilter(sources=(source,)))
