"""Import API: a catalogue file sent as the request body becomes an import job run by the
worker (recommender.content.import_jobs); its status and counts are read back while it runs."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from catalogue.errors import DataError
from catalogue.importers import FORMATS, detect_format
from catalogue.importers.fetch import decode
from catalogue.importers.profiles import shipped_profiles
from recommender.content.import_job_views import API_PATH, job_view
from recommender.content.import_jobs import create_job, enqueue
from recommender.content.import_sources import CONTENT_TYPES
from recommender.contract.openapi.operations import Query, Reply, operation
from recommender.contract.validation import NUL
from recommender.problems import Problem, invalid
from recommender.storage import db
from recommender.storage.models import ImportJob

bp = Blueprint("imports", __name__, url_prefix="/api/v1/imports")
FLAGS = ("free_access", "strict", "dry_run")
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")
NAME = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^[^/\\]+$"}
FLAG = {"type": "boolean", "default": False}
# a file, not a JSON body: application/json is read as JSON-LD too, but not documented, so
# that no client takes this for an operation with a JSON request schema
MEDIA = ("application/ld+json", "application/x-ndjson", "text/csv", "application/xml",
         "text/xml", "application/yaml", "text/plain", "application/octet-stream")


@bp.post("")
@operation("Import a catalogue file, as a job on the worker",
           {202: Reply("The job, queued: follow it at the Location", "ImportJob",
                       headers=("Location",))},
           body="Text", body_media=MEDIA, errors=(503,),
           query=(Query("format", {"type": "string", "enum": list(FORMATS)},
                        "The file's format; default from the Content-Type, else from name"),
                  Query("profile", {"type": "string", "enum": shipped_profiles()},
                        "A shipped import profile; it names the format itself"),
                  Query("name", NAME, "The file's name, shown in each record's reason and "
                        "telling the format by its suffix; default upload"),
                  Query("free_access", FLAG, "The source declares every record free to "
                        "access: a record without a licence is admitted, not held"),
                  Query("strict", FLAG, "Import nothing if any record is held or rejected"),
                  Query("dry_run", FLAG, "Report what would change; write nothing")))
def create_import():
    """Send the file's bytes as the body (YAML, JSON Lines, CSV, schema.org/LRMI JSON-LD or
    OAI-PMH XML, UTF-8, up to IMPORT_MAX_BYTES: 413 above it) with its Content-Type. The
    import always runs on the worker: the answer is at once a 202 with the job, whose
    Location (GET) shows the records read, admitted, held and rejected while it runs, then
    the summary. All or nothing: a failed job changes nothing."""
    args, errors = _arguments()
    data = request.get_data(cache=False)
    text = None
    if not data.strip():
        errors.append({"pointer": "", "detail": "is empty: send the catalogue file's bytes"})
    else:
        try:
            text = decode(data, args["name"])
        except DataError as exc:
            errors.append({"pointer": "", "detail": exc.reason})
        else:
            if "\x00" in text:  # PostgreSQL refuses them in text
                errors.append({"pointer": "", "detail": NUL})
    if errors:
        raise invalid(errors)
    session = db.session()
    job = create_job(session, source_name=args["name"], payload_text=text,
                     format=args["format"], profile=args["profile"],
                     options={flag: args[flag] for flag in FLAGS})
    enqueue(job)
    current_app.logger.info("import job %s queued: %s, %d bytes", job.id, job.source,
                            len(data))
    response = jsonify(job_view(job))
    response.status_code = 202
    response.headers["Location"] = API_PATH + job.id
    return response


@bp.get("/<job_id>")
@operation("An import job's progress and outcome",
           {200: Reply("The job: its status, counts and, once done, its summary",
                       "ImportJob")},
           path={"job_id": "The job's id (from the Location of its POST)"})
def get_import(job_id: str):
    """An import job: queued, running (with the records read, admitted, held and rejected
    so far, and `stalled` when its worker stopped reporting), done (with the summary, the
    first rejected and held reasons, and the index update it queued) or failed (with why;
    nothing was imported)."""
    job = db.session().get(ImportJob, job_id)
    if job is None:
        raise Problem(404, "Not Found", f"no import job {job_id!r}", kind="not-found")
    return jsonify(job_view(job))


def _arguments() -> tuple[dict, list[dict]]:
    """The query's options, and an error entry for each one at fault."""
    errors: list[dict] = []
    args: dict = {"name": request.args.get("name", "upload").strip() or "upload"}
    if len(args["name"]) > NAME["maxLength"] or any(c in args["name"] for c in "/\\"):
        errors.append({"pointer": "?name", "detail": "must be a file name of at most 200 "
                       "characters, without / or \\"})
    for flag in FLAGS:
        raw = request.args.get(flag, "false").strip().lower()
        if raw not in TRUE + FALSE:
            errors.append({"pointer": f"?{flag}", "detail": "must be true or false"})
        args[flag] = raw in TRUE
    args["profile"] = request.args.get("profile") or None
    if args["profile"] is not None and args["profile"] not in shipped_profiles():
        errors.append({"pointer": "?profile",
                       "detail": f"must be one of {', '.join(shipped_profiles())}"})
    args["format"] = request.args.get("format") or None
    if args["format"] is not None and args["format"] not in FORMATS:
        errors.append({"pointer": "?format", "detail": f"must be one of {', '.join(FORMATS)}"})
    if args["profile"] is not None:
        args["format"] = None  # the profile names the format
    elif args["format"] is None:
        args["format"] = CONTENT_TYPES.get(request.mimetype) or _by_name(args["name"])
        if args["format"] is None:
            errors.append({"pointer": "?format", "detail": "cannot tell the format from the "
                           f"Content-Type or the name: give one of {', '.join(FORMATS)}"})
    return args, errors


def _by_name(name: str) -> str | None:
    try:
        return detect_format(name)
    except DataError:
        return None
