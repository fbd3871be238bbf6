"""Run mutation testing: ``python -m tests.mutation [--stale] [--jobs N] [TARGET ...]``.

Each target runs in its own copy of the source tree (cosmic-ray writes each
mutant into the file it mutates, so the working tree is never touched and
targets can run side by side). A target's figures are recorded in
``scores.json`` beside this file with a fingerprint of the module, its tests
and its listed equivalents; ``--stale`` runs only the targets whose
fingerprint no longer matches, which is what CI does on every submission.

Exit status 1 when a target scores below the minimum, has a survivor that is
not listed as equivalent, or its tests fail on the unmutated code.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tests.mutation.targets import EQUIVALENT, MIN_SCORE, TARGETS

ROOT = Path(__file__).resolve().parents[2]
SCORES = Path(__file__).with_name("scores.json")
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.pyc", ".pytest_cache", "var")
MUTANT_TIMEOUT = 15  # seconds; the unit tests take about one: a mutant that loops forever is killed


@dataclass
class Outcome:
    """The figures of one target's run."""

    target: str
    mutants: int = 0
    killed: int = 0
    incompetent: int = 0
    equivalent: list = field(default_factory=list)
    survivors: list = field(default_factory=list)  # (operator, diff) not listed as equivalent
    baseline_failure: str = ""
    seconds: float = 0.0

    @property
    def judged(self):
        """Mutants that ran the tests (an incompetent one never got that far)."""
        return self.mutants - self.incompetent

    @property
    def score(self):
        """Percent of judged mutants killed; equivalents count as not killed."""
        return round(100.0 * self.killed / self.judged, 1) if self.judged else 0.0

    @property
    def passed(self):
        return not self.baseline_failure and not self.survivors and self.score >= MIN_SCORE

    def record(self, fingerprint):
        return {"fingerprint": fingerprint, "mutants": self.mutants, "killed": self.killed,
                "equivalent": len(self.equivalent), "survived": len(self.survivors),
                "incompetent": self.incompetent, "score": self.score}


def fingerprint(name, source=ROOT):
    """A hash of what a target's verdict depends on: module, tests, listed equivalents."""
    target = TARGETS[name]
    digest = hashlib.sha256()
    for path in (target.path, *target.tests):
        digest.update(path.encode() + b"\0" + (source / path).read_bytes() + b"\0")
    for item in EQUIVALENT:
        if item.target == name:
            digest.update(repr((item.operator, item.original, item.mutated)).encode())
    return digest.hexdigest()[:16]


def tests_command(name):
    """The unit tests of one target, stopping at the first failure (no conftest: no broker, no db)."""
    tests = " ".join(TARGETS[name].tests)
    return (f"{sys.executable} -m pytest -x -q -p no:cacheprovider -p no:pytest_nameko "
            f"--noconftest -o addopts= {tests}")


def config_text(name):
    return "\n".join([
        "[cosmic-ray]",
        f"module-path = {json.dumps(TARGETS[name].path)}",
        f"timeout = {MUTANT_TIMEOUT}",
        "excluded-modules = []",
        f"test-command = {json.dumps(tests_command(name))}",
        "",
        "[cosmic-ray.distributor]",
        'name = "local"',
        "",
    ])


def changed_lines(diff):
    """The first removed and first added source line of a mutant's diff, stripped (blank lines skipped)."""
    removed = [line[1:].strip() for line in diff.splitlines()
               if line.startswith("-") and not line.startswith("---") and line[1:].strip()]
    added = [line[1:].strip() for line in diff.splitlines()
             if line.startswith("+") and not line.startswith("+++") and line[1:].strip()]
    return (removed[0] if removed else ""), (added[0] if added else "")


def is_equivalent(name, operator, diff):
    original, mutated = changed_lines(diff)
    return any(item.target == name and item.operator == operator
               and item.original == original and item.mutated == mutated for item in EQUIVALENT)


def cosmic_ray(tree, *args):
    return subprocess.run([sys.executable, "-m", "cosmic_ray.cli", *args], cwd=tree,
                          capture_output=True, text=True)


def run_target(name, source):
    """Mutate one target in a fresh copy of ``source`` and judge every mutant."""
    started = time.monotonic()
    outcome = Outcome(name)
    work = Path(tempfile.mkdtemp(prefix=f"onenet-mutation-{name}-"))
    try:
        tree = work / "tree"
        shutil.copytree(source, tree, ignore=NOT_COPIED)
        config, session = work / "config.toml", work / "session.sqlite"
        config.write_text(config_text(name))
        baseline = subprocess.run(tests_command(name).split(), cwd=tree, capture_output=True, text=True)
        if baseline.returncode != 0:
            outcome.baseline_failure = baseline.stdout[-2000:] + baseline.stderr[-2000:]
            return outcome
        for step in (("init", str(config), str(session)), ("exec", str(config), str(session))):
            done = cosmic_ray(tree, *step)
            if done.returncode != 0:
                raise RuntimeError(f"cosmic-ray {step[0]} failed for {name}:\n{done.stdout}{done.stderr}")
        dump = cosmic_ray(tree, "dump", str(session))
        for line in dump.stdout.splitlines():
            item, result = json.loads(line)
            if result is None or result["worker_outcome"] in ("no-test", "skipped"):
                continue
            operator = item["mutations"][0]["operator_name"]
            outcome.mutants += 1
            if result["worker_outcome"] != "normal" or result["test_outcome"] == "incompetent":
                outcome.incompetent += 1
            elif result["test_outcome"] == "killed":
                outcome.killed += 1
            elif is_equivalent(name, operator, result["diff"]):
                outcome.equivalent.append((operator, result["diff"]))
            else:
                outcome.survivors.append((operator, result["diff"]))
        return outcome
    finally:
        outcome.seconds = time.monotonic() - started
        shutil.rmtree(work, ignore_errors=True)


def load_scores():
    return json.loads(SCORES.read_text()) if SCORES.exists() else {}


def record(outcome, fingerprint_now):
    """Write one target's figures to scores.json (a target whose tests failed unmutated is not recorded)."""
    if outcome.baseline_failure:
        return
    scores = load_scores()
    scores[outcome.target] = outcome.record(fingerprint_now)
    SCORES.write_text(json.dumps(dict(sorted(scores.items())), indent=2, ensure_ascii=False) + "\n")


def stale_targets(source):
    recorded = load_scores()
    return [name for name in TARGETS
            if recorded.get(name, {}).get("fingerprint") != fingerprint(name, source)]


def report(outcome):
    print(f"== {outcome.target} ({TARGETS[outcome.target].path}): ", end="")
    if outcome.baseline_failure:
        print("its tests fail on the unmutated code\n" + outcome.baseline_failure)
        return
    print(f"{outcome.mutants} mutants, {outcome.killed} killed, {len(outcome.equivalent)} equivalent, "
          f"{len(outcome.survivors)} survived, {outcome.incompetent} incompetent: "
          f"score {outcome.score}% in {outcome.seconds:.0f} s")
    matched = {changed_lines(diff) + (operator,) for operator, diff in outcome.equivalent}
    for item in EQUIVALENT:
        if item.target == outcome.target and (item.original, item.mutated, item.operator) not in matched:
            print(f"-- listed as equivalent but no such mutant survived (remove it?): {item.operator}: "
                  f"{item.original}")
    for operator, diff in outcome.survivors:
        print(f"-- survivor ({operator}):")
        print("\n".join(line for line in diff.splitlines()[1:] if not line.startswith(("---", "+++"))))
    sys.stdout.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help=f"targets to run (default: all): {', '.join(TARGETS)}")
    parser.add_argument("--stale", action="store_true",
                        help="only the targets whose module, tests or equivalents changed since recorded")
    parser.add_argument("--jobs", type=int, default=1, help="targets run side by side (default 1)")
    parser.add_argument("--source", type=Path, default=ROOT,
                        help="the source tree to mutate (default: this checkout); not recorded")
    args = parser.parse_args(argv)

    unknown = sorted(set(args.targets) - set(TARGETS))
    if unknown:
        parser.error(f"unknown target {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    source = args.source.resolve()
    names = args.targets or list(TARGETS)
    if args.stale:
        names = [name for name in names if name in stale_targets(source)]
        if not names:
            print("mutation: every target's recorded score is current")
            return 0
    print(f"mutation: {', '.join(names)} ({args.jobs} at a time)", flush=True)
    outcomes = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for done in as_completed([pool.submit(run_target, name, source) for name in names]):
            outcomes.append(done.result())
            report(outcomes[-1])
            if source == ROOT:
                record(outcomes[-1], fingerprint(outcomes[-1].target, source))
    failed = [outcome.target for outcome in outcomes if not outcome.passed]
    total_mutants = sum(outcome.judged for outcome in outcomes)
    total_killed = sum(outcome.killed for outcome in outcomes)
    print(f"mutation: {total_killed} of {total_mutants} mutants killed "
          f"({100.0 * total_killed / max(total_mutants, 1):.1f}%); "
          + (f"below {MIN_SCORE:g}% or with unexplained survivors: {', '.join(failed)}" if failed
             else f"every target at least {MIN_SCORE:g}% with no unexplained survivor"))
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
