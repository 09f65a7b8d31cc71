"""The search index for curators: what is served and published, recent builds and their
progress, and a button to rebuild."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, url_for
from sqlalchemy import select

from recommender.indexing.serving import index_holder
from recommender.storage import db
from recommender.storage.models import IndexBuild
from recommender.storage.queue import enqueue_build
from recommender.web.curator.blueprint import bp

RECENT = 10
FINISHED = ("built", "updated", "unchanged", "failed", "not-queued")


@bp.get("/index")
def index_status():
    holder = index_holder()
    loaded = holder.get()
    builds = db.session().scalars(select(IndexBuild).order_by(IndexBuild.requested_at.desc())
                                  .limit(RECENT)).all()
    return render_template("curator/index.html", serving=loaded.manifest if loaded else None,
                           published=holder.store.current_name(), last_error=holder.last_error,
                           builds=builds, summary=summary)


@bp.post("/index/rebuild")
def rebuild():
    """Queue a full rebuild and show its progress."""
    try:
        task = enqueue_build(force=True)
    except Exception as exc:  # kombu raises many kinds when the broker is away
        flash(f"The rebuild could not be queued: the task broker did not answer ({exc}).")
        return redirect(url_for("curator.index_status"), code=303)
    return redirect(url_for("curator.build", build_id=task.id), code=303)


@bp.get("/index/builds/<build_id>")
def build(build_id: str):
    return render_template("curator/build.html", build=_build(build_id), summary=summary)


@bp.get("/index/builds/<build_id>.json")
def build_json(build_id: str):
    """The build's progress, for the page's script to show without a reload."""
    row = _build(build_id)
    return jsonify({"id": row.id, "status": row.status, "done": row.done, "total": row.total,
                    "summary": summary(row)})


def summary(build: IndexBuild | None) -> str:
    """A build's state in words."""
    if build is None:
        return "No index update was needed."
    kind = {"full": "Full build", "compaction": "Compaction"}.get(build.kind, "Update")
    if build.status in ("queued", "running"):
        done = f": {build.done} of {build.total} resources encoded" if build.total else ""
        return f"{kind} {build.status}{done}."
    if build.status == "failed" or build.status == "not-queued":
        return f"{kind} {build.status}: {build.detail or 'no detail'}."
    return f"{kind} finished ({build.status}): version {build.version}, {build.count} resources."


def _build(build_id: str) -> IndexBuild:
    row = db.session().get(IndexBuild, build_id)
    if row is None:
        abort(404, f"There is no index build {build_id}.")
    return row
