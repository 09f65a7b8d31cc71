"""The words other catalogues use for our labels: formats, levels and audiences.

Every importer maps a source's own words through these tables, so a schema.org
``learningResourceType`` of "Webpage", a DALIA ``ProficiencyLevel`` of "advanced beginner" or an
LRMI ``educationalRole`` of "nurse" mean the same whatever the format. A word none of them knows
is not an error: the field is inferred instead and the source's word kept in the note.
"""

from __future__ import annotations

import re

from catalogue.framework import ARCHETYPE_BADGES, BADGE_ARCHETYPES

FORMATS = ("course", "e-learning", "video", "guidance", "article", "book", "programme", "toolkit",
           "podcast", "webinar")
LEVELS = ("baseline", "specialist")

FORMAT_WORDS = {
    **{name.replace("-", ""): name for name in FORMATS},
    **dict.fromkeys(("course", "courseinstance", "mooc", "shortcourse", "module", "lesson",
                     "lecture", "lectures", "workshop", "tutorial", "tutorials", "training",
                     "trainingmaterial", "curriculum", "syllabus"), "course"),
    **dict.fromkeys(("elearning", "onlinemodule", "interactiveresource", "interactive",
                     "elearningmodule", "selfpacedcourse", "notebook", "jupyternotebook",
                     "exercise", "quiz", "simulation"), "e-learning"),
    **dict.fromkeys(("video", "videoobject", "movingimage", "videolecture", "lecturerecording",
                     "youtubevideo", "screencast", "recording", "videos"), "video"),
    **dict.fromkeys(("guidance", "guideline", "guidelines", "guide", "howto", "policy",
                     "documentation", "manual", "handbook", "standard"), "guidance"),
    **dict.fromkeys(("text", "article", "scholarlyarticle", "blogposting", "blogpost", "blog",
                     "report", "journalarticle", "paper", "publication", "preprint", "webpage",
                     "website", "webcontent", "newsarticle", "poster"), "article"),
    **dict.fromkeys(("book", "ebook", "textbook", "chapter", "bookchapter"), "book"),
    **dict.fromkeys(("programme", "program", "fellowship", "educationaloccupationalprogram",
                     "apprenticeship"), "programme"),
    **dict.fromkeys(("toolkit", "tool", "template", "checklist", "software", "code",
                     "application", "collection", "dataset", "slides", "slidedeck",
                     "presentation", "presentationdigitaldocument"), "toolkit"),
    **dict.fromkeys(("podcast", "podcastepisode", "podcastseries", "audio", "audioobject",
                     "sound"), "podcast"),
    **dict.fromkeys(("webinar", "recordedwebinar", "livesession", "event", "conference"),
                    "webinar"),
}

# Proficiency scales map onto our two levels: "baseline" is openly available learning for
# everyone, "specialist" advanced or hands-on. The Dreyfus scale DALIA and NFDI4BIOIMAGE use
# splits after "advanced beginner"; "intermediate" is beyond the baseline everyone needs.
LEVEL_WORDS = {
    **dict.fromkeys(("baseline", "novice", "beginner", "beginners", "advanced beginner",
                     "introductory", "introduction", "foundation", "foundations", "basic",
                     "entry", "entry level", "awareness", "elementary", "general public",
                     "everyone", "all", "essential", "level 1", "level 2", "1", "2"),
                    "baseline"),
    **dict.fromkeys(("specialist", "competent", "proficient", "expert", "intermediate",
                     "advanced", "postgraduate", "masters", "professional", "level 3",
                     "level 4", "3", "4", "champion"), "specialist"),
}
_SPECIALIST = re.compile(r"advanced|expert|specialist|postgraduate|proficient|competent|"
                         r"intermediate")
_BASELINE = re.compile(r"beginner|introduct|foundation|baseline|basic|novice|entry|awareness|"
                       r"elementary")

ROLE_WORDS = {  # archetype -> patterns for the audience words that suggest it
    "shaper": r"shapers?|policy ?makers?|policy|regulators?|national leaders?",
    "driver": r"drivers?|commissioners?|managers?|leaders?|cc?n?io|chief \w+ officers?|"
              r"chief \w+ information officers?|executives?|directors?|transformation leads?",
    "creator": r"creators?|developers?|(?:data |clinical )?scientists?|engineers?|researchers?|"
               r"analysts?",
    "embedder": r"embedders?|informatics|informaticians?|clinical (?:safety officers?|"
                r"scientists?)|it (?:staff|teams?|professionals?)|digital teams?",
    "user": r"users?|clinicians?|nurses?|doctors?|physicians?|ahps?|allied health[\w ]*|"
            r"practitioners?|midwi(?:fe|ves)|pharmacists?|paramedics?|healthcare workers?|"
            r"students?|learners?|general public|patients?",
}
_ROLES = {name: re.compile(rf"\b(?:{words})\b") for name, words in ROLE_WORDS.items()}


def key(term: str) -> str:
    """'http://schema.org/VideoObject' -> 'videoobject'; 'e-Learning' -> 'elearning'."""
    tail = re.split(r"[/#:]", term.strip().rstrip("/"))[-1]
    return re.sub(r"[^a-z0-9]", "", tail.lower())


def map_format(terms: list[str]) -> str | None:
    """Our format for the first term that names one (schema.org types, LRMI, DCMI words)."""
    for term in terms:
        if key(term) in FORMAT_WORDS:
            return FORMAT_WORDS[key(term)]
    return None


def map_level(terms: list[str]) -> str | None:
    """Our level for a list of level words; a resource fit for novices is baseline, so the
    lowest level named wins. None when no term says anything we know."""
    found = {level_of(term) for term in terms} - {None}
    if not found:
        return None
    return "baseline" if "baseline" in found else "specialist"


def level_of(term: str) -> str | None:
    text = " ".join(str(term).lower().replace("_", " ").replace("-", " ").split())
    if text in LEVEL_WORDS:
        return LEVEL_WORDS[text]
    number = re.search(r"(?:level|^)\s*([1-4])\b", text)
    if number:
        return "baseline" if number.group(1) in "12" else "specialist"
    if _SPECIALIST.search(text) and not re.search(r"advanced beginner", text):
        return "specialist"
    if _BASELINE.search(text):
        return "baseline"
    return None


def map_archetypes(terms: list[str]) -> list[str]:
    """Our archetypes named by a list of terms: our names (or plurals, or badge letters) and
    audience words such as 'nurses' or 'data scientists', in S, D, C, E, U order."""
    found: set[str] = set()
    for term in terms:
        text = str(term).strip()
        lowered = text.lower()
        if lowered.rstrip("s") in ARCHETYPE_BADGES:
            found.add(lowered.rstrip("s"))
        elif text in BADGE_ARCHETYPES:
            found.add(BADGE_ARCHETYPES[text])
        else:
            found.update(name for name, pattern in _ROLES.items() if pattern.search(lowered))
            if re.search(r"\bIT\b", text):
                found.add("embedder")
    return [name for name in ARCHETYPE_BADGES if name in found]


_ISO_DURATION = re.compile(r"P(?!$)(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
                           r"(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?"
                           r"(?:(\d+(?:\.\d+)?)S)?)?")
_SPOKEN_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(minutes?|mins?|m|hours?|hrs?|h|days?|d|"
                              r"weeks?|wks?|w)\b")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60, "w": 7 * 24 * 60}


def iso_minutes(text: str) -> int:
    """An ISO 8601 duration (PT45M, PT1H30M, P1D, P2W, P1DT2H) in whole minutes; ValueError
    saying why for anything else."""
    match = _ISO_DURATION.fullmatch(text.strip().upper())
    if not match:
        reason = ("years and months have no fixed length; give weeks, days or hours"
                  if re.fullmatch(r"P[\dYM.]+(T.*)?", text.strip().upper()) else
                  "must be an ISO 8601 duration such as PT45M, PT1H30M or P2D")
        raise ValueError(f"{text!r}: {reason}")
    weeks, days, hours, minutes, seconds = (float(g or 0) for g in match.groups())
    return _whole(((weeks * 7 + days) * 24 + hours) * 60 + minutes + seconds / 60, text)


def duration_of(text: str) -> int:
    """Minutes from a duration as sources write it: whole minutes ("45"), ISO 8601 ("PT45M")
    or words ("1 hour 30 minutes", "2h", "3 weeks"); ValueError saying why otherwise."""
    value = text.strip().lower()
    if value.isdigit():
        return _whole(int(value), text)
    if value.startswith("p"):
        return iso_minutes(value)
    parts = _SPOKEN_DURATION.findall(value)
    if not parts or _SPOKEN_DURATION.sub("", value).strip(" ,and") != "":
        raise ValueError(f"{text!r}: must be whole minutes, an ISO 8601 duration such as PT45M,"
                         " or a length such as '1 hour 30 minutes'")
    return _whole(sum(float(n) * _UNIT_MINUTES[unit[0]] for n, unit in parts), text)


def _whole(total: float, text: str) -> int:
    if total <= 0:
        raise ValueError(f"{text!r}: must be longer than zero")
    return max(1, int(total + 0.5))  # half a minute rounds up
