"""Import a file of resources from the browser, then watch the index update it queued.

The file is read and validated as ``recommender import`` reads it (YAML, JSON Lines, CSV,
JSON-LD or OAI-PMH XML); the valid records are upserted at once and each rejected one is
listed. What happened is kept as a small JSON file under ``VAR_DIR/imports`` (shared by every
web process of an install), and the page follows the index update the import queued.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from flask import abort, current_app, redirect, render_template, request, url_for
from werkzeug.utils import secure_filename

from catalogue.errors import DataError
from catalogue.importers import FORMATS, detect_format, read_resources
from recommender import db
from recommender.catalogue_store import upsert_resources
from recommender.models import IndexBuild
from recommender.queue import notify_index_changes
from recommender.services import statements
from recommender.web.curator import bp
from recommender.web.curator.index import summary
from recommender.web.forms import FormErrors

REJECTIONS_SHOWN = 100


@bp.route("/imports", methods=["GET", "POST"])
def start_import():
    errors = FormErrors()
    chosen = request.form.get("format", "")
    if request.method == "POST":
        upload = request.files.get("file")
        strict = request.form.get("strict") == "yes"
        name = secure_filename(upload.filename or "") if upload else ""
        if chosen and chosen not in FORMATS:
            errors.add("format", "Choose a format from the list")
        if not name:
            errors.add("file", "Choose a file to import")
        elif not chosen:
            try:
                detect_format(name)
            except DataError:
                errors.add("file", "The format cannot be told from the file name: choose it "
                           "from the list")
        if not errors:
            record = _run(upload, name, chosen or None, strict, errors)
            if record is not None:
                return redirect(url_for("curator.import_status", import_id=record["id"]),
                                code=303)
    return render_template("curator/import.html", errors=errors, formats=FORMATS,
                           chosen=chosen), errors.status


@bp.get("/imports/<import_id>")
def import_status(import_id: str):
    """What an import did, and the progress of the index update it queued."""
    path = _folder() / f"{import_id}.json"
    if not import_id.isalnum() or not path.exists():
        abort(404, "There is no such import.")
    record = json.loads(path.read_text())
    build = db.session().get(IndexBuild, record["task"]) if record.get("task") else None
    return render_template("curator/import_status.html", record=record, build=build,
                           summary=summary)


def _run(upload, name: str, fmt: str | None, strict: bool, errors: FormErrors) -> dict | None:
    """Read, validate and upsert the file; None (with the error on the form) when the file
    as a whole cannot be read or, in strict mode, any record is rejected."""
    import_id = uuid.uuid4().hex
    folder = _folder() / import_id
    folder.mkdir(parents=True)
    path = folder / name
    upload.save(path)
    try:
        batch = read_resources([str(path)], set(statements()), format=fmt,
                               licences=current_app.config["LICENCE_ALLOWLIST"])
    except DataError as exc:
        errors.add("file", f"The file could not be read: {exc}")
        return None
    finally:
        path.unlink(missing_ok=True)
        folder.rmdir()
    rejected = [str(e).replace(str(path), name) for e in batch.errors]
    if strict and rejected:
        errors.add("file", f"{len(rejected)} record(s) were rejected, so nothing was imported "
                   f"(all or nothing). The first: {rejected[0]}")
        return None
    result = upsert_resources(db.session(), batch.resources)
    task = notify_index_changes() if result.changed else None
    record = {"id": import_id, "file": name, "format": fmt or detect_format(name),
              "at": datetime.now(UTC).isoformat(), "new": result.new,
              "updated": result.updated, "unchanged": len(result.unchanged),
              "rejected": rejected[:REJECTIONS_SHOWN], "rejected_count": len(rejected),
              "task": task, "queued": bool(task) or not result.changed}
    (_folder() / f"{import_id}.json").write_text(json.dumps(record))
    return record


def _folder() -> Path:
    folder = Path(current_app.config["VAR_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
