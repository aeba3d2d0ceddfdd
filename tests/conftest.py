"""Shared fixtures: the real default model (multilingual-e5-small), and a real index over a tiny mixed corpus.

The tiny corpus is the shipped newspaper page plus small English, HTML and JSONL documents, so
every format and both scripts go through the same build the product uses. The suite has three
levels, one folder each, and every test is marked with its folder's name:

- `unit/`: one module at a time, with fakes where the code takes its dependencies; no model is
  loaded, so `make test-fast` (`pytest tests/unit`) runs in seconds.
- `integration/`: the real model, readers and one session index built here (`index_dir`).
- `system/`: real processes: `ragqa serve` under load, a real browser on the page.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from embeddings.encoder import DEFAULT_MODEL, load_encoder
from qa.ingest.indexer import build_index
from qa.pipeline import Pipeline
from tests.helpers import SEED
from web import create_app
from web.server_process import running_server

LEVELS = ("unit", "integration", "system")
# Fixtures that load a model or build an index: a unit test asking for one is a mistake of level.
HEAVY = {
    "encoder",
    "m3e_encoder",
    "index_dir",
    "pipeline",
    "heuristic_pipeline",
    "m3e_pipeline",
    "app",
    "client",
    "server",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its level (its folder under tests/), and keep unit tests off the model."""
    tests = Path(__file__).resolve().parent
    for item in items:
        level = Path(item.path).resolve().relative_to(tests).parts[0]
        if level not in LEVELS:
            raise pytest.UsageError(f"{item.nodeid}: tests live under tests/unit, tests/integration or tests/system")
        item.add_marker(getattr(pytest.mark, level))
        heavy = HEAVY & set(getattr(item, "fixturenames", ()))
        if level == "unit" and heavy:
            raise pytest.UsageError(f"{item.nodeid} is a unit test but uses {sorted(heavy)}: move it to integration/")


ENGLISH_DOC = """Solar Power in the Atacama Desert

The Cerro Dominador plant in northern Chile began commercial operation in June 2021.
It combines a 110 MW concentrated solar power tower with 100 MW of photovoltaic panels.

The tower stands 252 metres tall and is surrounded by 10,600 heliostats that track the sun.
Its molten-salt storage lets the plant deliver electricity for 17.5 hours without sunlight.

The project was developed by EIG Global Energy Partners and cost about 1.4 billion dollars.
"""

HTML_DOC = """<!doctype html>
<html><head><title>Lake Qinghai &amp; its birds</title><style>p { color: red }</style>
<script>document.write("hidden")</script></head>
<body><h1>Lake Qinghai</h1>
<p>青海湖是中国最大的内陆咸水湖，面积约4400平方千米。</p>
<p>每年春天，数以万计的斑头雁在青海湖的鸟岛繁殖。</p>
<p>&lt;img src=x onerror=alert(1)&gt; is how an attacker might write markup into a page.</p>
</body></html>
"""

JSONL_RECORDS = [
    {
        "id": "faq-1",
        "title": "Opening hours",
        "text": "The museum opens at 9:30 and closes at 17:00 from Tuesday to Sunday.",
    },
    {"id": "faq-2", "title": "门票", "text": "博物馆成人门票为60元，学生凭学生证半价。"},
]


@pytest.fixture(scope="session")
def encoder():
    return load_encoder(DEFAULT_MODEL)


@pytest.fixture(scope="session")
def m3e_encoder():
    """The other embedded model: the product works with both."""
    return load_encoder("m3e-small")


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    shutil.copy(SEED, root / SEED.name)
    (root / "english").mkdir()
    (root / "english" / "atacama.txt").write_text(ENGLISH_DOC, encoding="utf-8")
    (root / "qinghai.html").write_text(HTML_DOC, encoding="utf-8")
    (root / "faq.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in JSONL_RECORDS), encoding="utf-8"
    )
    return root


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, encoder) -> Path:
    target = tmp_path_factory.mktemp("var") / "index"
    build_index(corpus_dir, target, encoder)
    return target


@pytest.fixture(scope="session")
def pipeline(index_dir: Path, encoder) -> Pipeline:
    """What users get: the default model and the default reader (the trained one, models/)."""
    return Pipeline.load(index_dir, encoder=encoder)


@pytest.fixture(scope="session")
def heuristic_pipeline(index_dir: Path, encoder) -> Pipeline:
    """The same index read by the heuristic reader only (RAGQA_READER=heuristic)."""
    return Pipeline.load(index_dir, encoder=encoder, reader_dir="heuristic")


@pytest.fixture(scope="session")
def m3e_pipeline(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, m3e_encoder) -> Pipeline:
    """The same corpus indexed with m3e-small, heuristic reader."""
    target = tmp_path_factory.mktemp("var-m3e") / "index"
    build_index(corpus_dir, target, m3e_encoder)
    return Pipeline.load(target, encoder=m3e_encoder, reader_dir="heuristic")


@pytest.fixture()
def app(pipeline: Pipeline, tmp_path: Path):
    return create_app({"TESTING": True, "RAGQA_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3")}, pipeline=pipeline)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def server_feedback_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite file the `server` process keeps answer feedback in."""
    return tmp_path_factory.mktemp("feedback") / "feedback.sqlite3"


# Two workers each load the model; on a busy CI machine that alone can take minutes.
READY_SECONDS = 600


@pytest.fixture(scope="session")
def server(index_dir: Path, server_feedback_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """`ragqa serve` as a real process on a free loopback port; yields its base URL."""
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    ragqa = shutil.which("ragqa", path=str(Path(sys.executable).parent)) or "ragqa"  # the command users run
    with running_server(
        index_dir,
        log_path,
        "--workers",
        "2",
        launcher=[ragqa],
        env={"RAGQA_FEEDBACK_DB": str(server_feedback_db)},
        ready_within=READY_SECONDS,
    ) as base:
        yield base
