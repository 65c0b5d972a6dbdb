"""Generate the Kestrel Outfitters demo workspace (docs, DuckDB database, loose files, README).

Deterministic: fixed seeds, no network, no model. Usage:
    uv run python scripts/make_demo.py [--out DIR]     (default: examples/demo)
The workspace is built in a temporary folder next to DIR and swapped in only when complete.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb
from demo_content import adversarial, company, database, loose_files, policies, readme, reports, rows
from demo_content.model import render

REPO = Path(__file__).resolve().parent.parent
SLEUTH_TOML = """# Sleuth settings for the Kestrel Outfitters demo workspace (paths are relative to this folder).
[docs]
paths = ["docs"]

[sql]
db = "data/kestrel.duckdb"
data_dirs = ["files/exports"]

[files]
roots = ["files", "docs"]
"""


def build(out: Path) -> None:
    """Generate the whole workspace into `out`, which must not exist yet."""
    data = rows.generate()
    (out / "data").mkdir(parents=True)
    db_path = out / "data" / "kestrel.duckdb"
    database.build(data, db_path)
    loose_files.write_all(data, out)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        docs = [*company.all_docs(data), *policies.all_docs(), *reports.all_docs(con, data), *adversarial.all_docs()]
        for doc in docs:
            render(doc, out / "docs")
        doc_paths = sorted(d.path for d in docs)
        (out / "README.md").write_text(readme.render(out, con, doc_paths), encoding="utf-8")
    finally:
        con.close()
    (out / "sleuth.toml").write_text(SLEUTH_TOML, encoding="utf-8")
    (out / ".gitignore").write_text(".sleuth/\n", encoding="utf-8")


def _keep_identical_database(old: Path, new: Path) -> None:
    """Reuse the existing database file when its content is unchanged, so git sees no change."""
    old_db, new_db = old / "data" / "kestrel.duckdb", new / "data" / "kestrel.duckdb"
    if old_db.is_file() and database.content_digest(old_db) == database.content_digest(new_db):
        shutil.copyfile(old_db, new_db)


# Not generated, kept across regenerations: Sleuth's own state, and the hand-written golden set.
KEPT = (".sleuth", "golden.yaml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "examples" / "demo", help="target folder")
    args = parser.parse_args(argv)
    target: Path = args.out.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".make_demo-") as scratch:
        staged = Path(scratch) / "demo"
        build(staged)
        _keep_identical_database(target, staged)
        if target.exists():
            for name in KEPT:
                if (target / name).exists():
                    (target / name).replace(staged / name)
            shutil.rmtree(target)
        staged.replace(target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
