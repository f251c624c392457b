"""The worker processes the workflow's rules hand their stages to (evaluation.jobs)."""
from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap

from evaluation import jobs
from evaluation.ingest import InvalidInputError, Problem


def _python(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter: the zygote is forked, which a test process
    with threads of its own must not do."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_a_stage_runs_in_a_worker_and_its_error_comes_back_as_itself(tmp_path):
    proc = _python(f"""
        import os
        from evaluation import jobs, stages
        from evaluation.ingest import InvalidInputError, Problem

        def failing(study, inputs, out, log):
            log.info("worker %d", os.getpid())
            raise InvalidInputError([Problem("a.csv", 3, "SDQ1", "x", "not an answer code")])

        def here(study, inputs, out, log):
            pass

        def unpicklable(study, inputs, out, log):
            raise type("Local", (Exception,), {{}})("made in the worker")

        def killed(study, inputs, out, log):
            os.kill(os.getpid(), 9)

        stages.STAGES["failing"] = failing
        stages.STAGES["unpicklable"] = unpicklable
        stages.STAGES["killed"] = killed
        stages.STAGES["here"] = here
        assert jobs.start()
        zygote = jobs._zygote.pid
        try:
            jobs.run("failing", None, {{}}, {{}}, r"{tmp_path / 'a.log'}")
        except InvalidInputError as exc:
            assert exc.problems[0].line == 3 and "SDQ1" in str(exc), exc
        else:
            raise AssertionError("no error")
        try:
            jobs.run("unpicklable", None, {{}}, {{}}, r"{tmp_path / 'b.log'}")
        except jobs.StageError as exc:
            assert str(exc) == "Local: made in the worker", exc
        else:
            raise AssertionError("no error")
        try:
            jobs.run("killed", None, {{}}, {{}}, r"{tmp_path / 'c.log'}")
        except jobs.StageError as exc:
            assert "without a result (-9)" in str(exc), exc
        else:
            raise AssertionError("no error")
        jobs.run("here", None, {{}}, {{}}, r"{tmp_path / 'd.log'}")  # the zygote still serves
        jobs.stop()
        try:
            os.kill(zygote, 0)
        except ProcessLookupError:
            pass
        else:
            raise AssertionError("the zygote outlived stop()")
        print("parent", os.getpid())
    """)
    assert proc.returncode == 0, proc.stderr
    parent = int(proc.stdout.split()[-1])
    worker = int((tmp_path / "a.log").read_text().split("worker ")[1].split()[0])
    assert worker != parent


def test_without_a_pool_the_stage_runs_here(tmp_path):
    import os

    from evaluation import stages

    seen = []
    stages.STAGES["here"] = lambda study, inputs, out, log: seen.append((os.getpid(), inputs, out))
    try:
        jobs.run("here", None, {"a": "x"}, ["y"], str(tmp_path / "c.log"))
    finally:
        del stages.STAGES["here"]
    assert seen == [(os.getpid(), {"a": "x"}, ["y"])]


def test_no_pool_is_forked_from_a_process_with_threads():
    proc = _python("""
        import threading, time
        from evaluation import jobs
        threading.Thread(target=time.sleep, args=(2,), daemon=True).start()
        print(jobs.start())
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_invalid_input_error_pickles_with_its_problems():
    exc = InvalidInputError([Problem("a.csv", 3, "SDQ1", "x", "not an answer code")])
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is InvalidInputError and back.problems == exc.problems and str(back) == str(exc)


def test_side_by_side_runs_each_task_in_a_process_of_its_own_and_raises_the_first_error(tmp_path):
    proc = _python(f"""
        import os, time
        from evaluation import jobs
        from evaluation.ingest import InvalidInputError, Problem

        def note(name, seconds=0.3):
            def task():
                start = time.monotonic()
                time.sleep(seconds)
                with open(r"{tmp_path}/" + name, "w") as fh:
                    fh.write(f"{{os.getpid()}} {{start}} {{time.monotonic()}}")
            return task

        def invalid():
            raise InvalidInputError([Problem("b.csv", 7, "k1", "9", "not an answer code")])

        def killed():
            os.kill(os.getpid(), 9)

        jobs.side_by_side(note("a"), note("b"), note("c"))
        try:
            jobs.side_by_side(note("d", 0), invalid, killed)
        except InvalidInputError as exc:  # the first failure in the order given, as itself
            assert exc.problems[0].line == 7, exc
        else:
            raise AssertionError("no error")
        try:
            jobs.side_by_side(note("e", 0), killed)
        except jobs.StageError as exc:
            assert "without a result (-9)" in str(exc), exc
        else:
            raise AssertionError("no error")
        print(os.getpid())
    """)
    assert proc.returncode == 0, proc.stderr
    runs = {n: (tmp_path / n).read_text().split() for n in "abcd"}
    assert runs["a"][0] == proc.stdout.split()[-1]  # the first task runs in the calling process
    assert len({runs[n][0] for n in "abc"}) == 3
    # all three at once: each started before any other ended
    assert max(float(runs[n][1]) for n in "abc") < min(float(runs[n][2]) for n in "abc")
    assert (tmp_path / "e").exists()


def test_side_by_side_in_a_process_with_threads_runs_the_tasks_here_in_order():
    import os
    import threading

    seen = []
    stop = threading.Event()
    helper = threading.Thread(target=stop.wait, daemon=True)
    helper.start()
    try:
        jobs.side_by_side(lambda: seen.append(("a", os.getpid())), lambda: seen.append(("b", os.getpid())))
    finally:
        stop.set()
    assert seen == [("a", os.getpid()), ("b", os.getpid())]


def test_figures_drawn_by_forked_workers_are_the_bytes_drawn_here(tmp_path):
    """figures.drawing: two workers draw while the caller goes on; the files equal
    the ones drawn in the calling process."""
    proc = _python(f"""
        from pathlib import Path
        from matplotlib.figure import Figure
        from evaluation import figures

        def plot(k):
            def draw():
                fig = Figure(figsize=(3, 2))
                ax = fig.subplots()
                ax.plot([0, 1, 2], [k, 1.5, 2 * k], marker="o", label=f"gruppe {{k}}")
                ax.set_title("Forældrestress")
                ax.legend()
                return fig
            return draw

        drawings = {{f"fig{{k}}": plot(k) for k in range(5)}}
        with figures.drawing([(drawings, Path(r"{tmp_path}/pool"), "da")], workers=2) as done:
            pool = done()
        with figures.drawing([(drawings, Path(r"{tmp_path}/here"), "da")], workers=1) as done:
            here = done()
        print(len(pool), len(here))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["5", "5"]
    pool = sorted((tmp_path / "pool").glob("*.png"))
    assert [p.name for p in pool] == [f"fig{k}.png" for k in range(5)]
    for p in pool:
        assert p.read_bytes() == (tmp_path / "here" / p.name).read_bytes()


def test_map_side_by_side_keeps_the_order_and_uses_two_processes():
    proc = _python("""
        import os
        from evaluation import jobs
        out = jobs.map_side_by_side(lambda x: (x * x, os.getpid()), range(7))
        assert [v for v, _ in out] == [0, 1, 4, 9, 16, 25, 36], out
        assert len({pid for _, pid in out}) == 2 and out[0][1] == os.getpid(), out
        assert jobs.map_side_by_side(abs, []) == [] and jobs.map_side_by_side(abs, [-3]) == [3]
        print("ok")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_map_in_turn_keeps_the_order_and_each_process_takes_the_next_item_when_done():
    """A long first item keeps one process busy while the other takes every short one;
    results come back in the items' order; an item's error is raised."""
    proc = _python("""
        import os, time
        from evaluation import jobs

        def work(x):
            time.sleep(1.0 if x == 0 else 0.02)
            return x * x, os.getpid()

        out = jobs.map_in_turn(work, range(8))
        assert [v for v, _ in out] == [0, 1, 4, 9, 16, 25, 36, 49], out
        assert len({pid for _, pid in out}) == 2, out
        assert all(pid != out[0][1] for _, pid in out[1:]), out  # the short ones went to the other
        assert jobs.map_in_turn(abs, []) == [] and jobs.map_in_turn(abs, [-3]) == [3]
        assert jobs.map_in_turn(abs, [-1, -2], ways=1) == [1, 2]
        try:
            jobs.map_in_turn(lambda x: 1 // x, [1, 0, 2])
        except ZeroDivisionError:
            print("ok")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_analyse_stage_on_two_cores_writes_what_one_core_writes(tmp_path, monkeypatch):
    """From PARALLEL_PAIRS pair rows on, the reliabilities start in a process of their
    own before the pairs are made, and the other analyses are dealt over two processes:
    every file of the stage is the same as one process writes."""
    from conftest import REPO, run_stages
    from evaluation import stages
    from evaluation.config import Study, load_config

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("EVALUATION_ID_KEY", "fixed")
    study = Study.from_config(load_config(REPO / "config" / "config.yaml"), "parents")
    run_stages(study, tmp_path / "one", stages=("ingest", "score", "analyse"))
    calls = []
    side_by_side = jobs.side_by_side
    monkeypatch.setattr(jobs, "side_by_side", lambda *tasks: calls.append(len(tasks)) or side_by_side(*tasks))
    monkeypatch.setattr(stages, "PARALLEL_PAIRS", 1)
    monkeypatch.setattr(stages, "cores", lambda: 2)
    run_stages(study, tmp_path / "two", stages=("ingest", "score", "analyse"))
    assert calls and calls[0] == 2  # the early process, then the two that share the rest
    one, two = (tmp_path / run / "data" / "processed" / "parents" for run in ("one", "two"))
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file() and p.suffix != ".log")
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file() and p.suffix != ".log")
    assert any(f.name == "reliability.csv" for f in files)
    for f in files:
        assert (one / f).read_bytes() == (two / f).read_bytes(), f
