"""SQL lint (sqlfluff, configured in .sqlfluff) over the dbt models and singular tests: `make lint` runs the same,
`make lint-fix` rewrites what sqlfluff can fix."""

from __future__ import annotations

import json
import subprocess
import sys

from warehouse_builds import REPO_ROOT

LINTED = ["dbt_project", "tests/dbt_project"]


def test_models_and_singular_tests_pass_the_sql_lint():
    completed = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", *LINTED, "--format", "json", "--nocolor"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert completed.stdout.strip(), completed.stderr[-2000:]
    files = json.loads(completed.stdout)
    sql_files = {str(p.relative_to(REPO_ROOT)) for d in LINTED for p in (REPO_ROOT / d).rglob("*.sql")}
    assert {f["filepath"] for f in files} == sql_files  # every model and test was linted
    problems = [f"{f['filepath']}:{v['start_line_no']}: {v['code']} {v['description']}"
                for f in files for v in f["violations"]]
    assert not problems, "sqlfluff (run `make lint-fix`, then `make lint`):\n  " + "\n  ".join(problems)
