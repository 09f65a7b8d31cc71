"""Import a file of resources from the browser, then watch the import and the index update.

The file is read as ``recommender import`` reads it (YAML, JSON Lines, CSV, JSON-LD or OAI-PMH
XML) and becomes an import job (recommender.content.import_jobs): a file of at most
IMPORT_JOB_THRESHOLD records is imported before the answer, a larger one by the worker while
the status page follows its counts. Either way the status page shows what the job did (new,
updated, unchanged, held, rejected, each rejected and held record's reason) and the index
update it queued.
"""

from __future__ import annotations

from flask import abort, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.utils import secure_filename

from catalogue.errors import DataError
from catalogue.importers import FORMATS, detect_format
from catalogue.importers.fetch import decode
from recommender.content.import_job_views import progress_text
from recommender.content.import_jobs import create_job, enqueue, run_job
from recommender.content.import_sources import count_records
from recommender.storage import db
from recommender.storage.models import ImportJob, IndexBuild
from recommender.storage.queue import BrokerUnavailable
from recommender.web.curator.blueprint import bp
from recommender.web.curator.index import summary
from recommender.web.forms import FormErrors


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
            job = _start(upload, name, chosen or detect_format(name), strict, errors)
            if job is not None:
                return redirect(url_for("curator.import_status", import_id=job.id), code=303)
    config = current_app.config
    return render_template("curator/import.html", errors=errors, formats=FORMATS,
                           chosen=chosen, threshold=config["IMPORT_JOB_THRESHOLD"],
                           max_mb=config["IMPORT_MAX_BYTES"] // (1024 * 1024)), errors.status


@bp.get("/imports/<import_id>")
def import_status(import_id: str):
    """What an import did (or how far it has got), and the index update it queued."""
    job = _job(import_id)
    build = db.session().get(IndexBuild, job.index_task) if job.index_task else None
    return render_template("curator/import_status.html", job=job, build=build,
                           summary=summary, progress_text=progress_text)


@bp.get("/imports/<import_id>.json")
def import_json(import_id: str):
    """The job's progress, for the page's script to show without a reload."""
    job = _job(import_id)
    return jsonify({"id": job.id, "status": job.status, "done": job.read, "total": job.total,
                    "summary": progress_text(job)})


def _start(upload, name: str, fmt: str, strict: bool, errors: FormErrors) -> ImportJob | None:
    """Make the file an import job: run at once when it is small, else queued for the worker;
    None (with the error on the form) when the file as a whole cannot be read, the broker
    cannot be reached or, in strict mode, any record is held or rejected."""
    try:
        text = decode(upload.read(), name)
        count = count_records(name, lambda _name: text, format=fmt)
    except DataError as exc:
        errors.add("file", f"The file could not be read: {exc}")
        return None
    session = db.session()
    job = create_job(session, source_name=name, payload_text=text, format=fmt,
                     options={"strict": strict}, total=count)
    if count > current_app.config["IMPORT_JOB_THRESHOLD"]:
        try:
            enqueue(job)
        except BrokerUnavailable as exc:  # the job is recorded as not queued
            errors.add("file", f"The import could not be queued: the task broker did not "
                       f"answer ({exc}). Nothing was imported.")
            return None
        return job
    run_job(current_app.extensions["db"], job.id)
    session.refresh(job)
    if job.status == "failed" and strict:
        errors.add("file", f"{job.detail} (all or nothing).")
        return None
    return job


def _job(import_id: str) -> ImportJob:
    job = db.session().get(ImportJob, import_id) if import_id.isalnum() else None
    if job is None:
        abort(404, "There is no such import.")
    return job
