"""The DART-Ed capability framework as data: domains, groups, statements, archetypes."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from catalogue.errors import DataError
from catalogue.text import capability_text

DATA_DIR = Path(__file__).parent / "data"
FRAMEWORK_FILE = DATA_DIR / "framework.yaml"

# The framework a request, a mapping or an assessment means when it names none.
DEFAULT_FRAMEWORK = "dart-ed"
# DART-Ed's archetype id -> badge letter used by the published framework. Resources' audience
# labels are in these ids; another framework's roles are its own data (``Framework.archetypes``).
ARCHETYPE_BADGES = {"shaper": "S", "driver": "D", "creator": "C", "embedder": "E", "user": "U"}
BADGE_ARCHETYPES = {badge: name for name, badge in ARCHETYPE_BADGES.items()}
# published: the framework's own words; paraphrased: its meaning in our words; authored: ours
PROVENANCES = ("published", "paraphrased", "authored")
LEVELS = (1, 2, 3, 4)
# stated: the level is the source's; inferred: a level the source does not give, assigned by us
LEVEL_SOURCES = ("stated", "inferred")
_ID = re.compile(r"^\d+(\.\d+)*$")
FRAMEWORK_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class Archetype:
    id: str
    badge: str
    name: str
    description: str


@dataclass(frozen=True)
class Capability:
    """One capability statement ("I can ...") with its level and archetype badges."""

    id: str
    text: str
    level: int
    archetypes: tuple[str, ...]
    provenance: str
    domain_id: str
    domain_name: str
    group_id: str
    group_name: str
    level_source: str = "stated"
    formerly: str = ""  # the id this statement had in the framework's earlier versions

    def embedding_text(self) -> str:
        """Text embedded for this statement: where it sits, then what it says."""
        return capability_text(self.domain_name, self.group_name, self.text)

    def lexical_text(self) -> str:
        """Words its BM25 list matches: the statement's own. Its domain's and group's names
        are shared by every statement under them, so they tell none apart and rank first
        the resources that repeat them (docs/ranking.md)."""
        return self.text


@dataclass(frozen=True)
class Framework:
    version: str
    title: str
    source_url: str
    archetypes: tuple[Archetype, ...]
    capabilities: tuple[Capability, ...]
    id: str = DEFAULT_FRAMEWORK  # e.g. "dart-ed"; not part of the checksum

    def capability(self, capability_id: str) -> Capability | None:
        return self._by_id().get(capability_id)

    def ids(self) -> frozenset[str]:
        return frozenset(self._by_id())

    def _by_id(self) -> dict[str, Capability]:
        cache = self.__dict__.get("_index")
        if cache is None:
            cache = {c.id: c for c in self.capabilities}
            object.__setattr__(self, "_index", cache)
        return cache

    def checksum(self) -> str:
        """Digest of every statement's id, level (with "/inferred" when it is), badges and
        text; a framework whose levels are all stated digests as it did before levels had a
        source."""
        digest = hashlib.sha256(self.version.encode())
        for cap in self.capabilities:
            level = f"{cap.level}/inferred" if cap.level_source == "inferred" else cap.level
            digest.update(f"\x1f{cap.id}\x1e{level}\x1e{','.join(cap.archetypes)}\x1e{cap.text}"
                          .encode())
        return digest.hexdigest()

    def groups(self) -> dict[str, str]:
        """Group id -> its domain id, in the order the statements come."""
        return {c.group_id: c.domain_id for c in self.capabilities}


def load_framework(path: Path | str = FRAMEWORK_FILE) -> Framework:
    """Read and validate the framework file; raise DataError naming the bad statement."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataError(f"cannot read framework: {exc}", source=str(path)) from exc
    if not isinstance(raw, dict):
        raise DataError("framework file must be a mapping", source=str(path))
    for key in ("version", "domains", "archetypes"):
        if not raw.get(key):
            raise DataError("is required", field=key, source=str(path))
    archetypes = tuple(_archetype(a, path) for a in raw["archetypes"])
    badges = {a.badge: a.id for a in archetypes}
    if len(badges) != len(archetypes) or len({a.id for a in archetypes}) != len(archetypes):
        raise DataError("archetype ids and badges must be unique", field="archetypes",
                        source=str(path))
    caps: list[Capability] = []
    seen: set[str] = set()
    for domain in raw["domains"]:
        for group in domain.get("groups") or []:
            for st in group.get("statements") or []:
                cap = _capability(st, domain, group, path, badges)
                if cap.id in seen:
                    raise DataError("duplicate statement id", field="id", record=cap.id,
                                    source=str(path))
                seen.add(cap.id)
                caps.append(cap)
    if not caps:
        raise DataError("framework has no statements", source=str(path))
    framework_id = str(raw.get("id") or DEFAULT_FRAMEWORK)
    if not FRAMEWORK_ID.match(framework_id):
        raise DataError("must be lower-case letters, digits and hyphens (at most 40)",
                        field="id", source=str(path))
    return Framework(version=str(raw["version"]), title=str(raw.get("title", "")),
                     source_url=str(raw.get("source_url", "")), archetypes=archetypes,
                     capabilities=tuple(caps), id=framework_id)


def shipped_archetypes() -> tuple[Archetype, ...]:
    """The five archetypes as the shipped framework file describes them (a spreadsheet gives
    only their badges)."""
    try:
        raw = yaml.safe_load(FRAMEWORK_FILE.read_text(encoding="utf-8"))
        return tuple(_archetype(a, FRAMEWORK_FILE) for a in raw["archetypes"])
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise DataError(f"cannot read the archetypes: {exc}", source=str(FRAMEWORK_FILE)) from exc


def parse_archetypes(text: str) -> tuple[tuple[str, ...], list[str]]:
    """Archetype ids from a cell such as ``S, D, U`` or ``shapers; users`` (badges or names,
    any case, separated by commas or semicolons), each once in the order given, and the items
    that are neither."""
    found: list[str] = []
    unknown: list[str] = []
    for item in (i.strip() for i in re.split(r"[,;]", text)):
        folded = item.casefold()
        name = BADGE_ARCHETYPES.get(item.upper()) or next(
            (a for a in ARCHETYPE_BADGES if folded in (a, a + "s")), None)
        if name is None and item:
            unknown.append(item)
        elif name is not None and name not in found:
            found.append(name)
    return tuple(found), unknown


def is_domain_level(domain_id: str, group_id: str) -> bool:
    """A group that holds a domain's own statements: its id is the domain's, or ``<d>.0``."""
    return group_id in (domain_id, f"{domain_id}.0")


def id_problem(domain_id: str, group_id: str, statement_id: str) -> tuple[str, str] | None:
    """(the id at fault: "group" or "statement", what is wrong) when the ids do not nest: a
    group id is its domain's id or starts with it and a dot; a statement id is its group's id,
    a dot and a number (docs/frameworks.md, "How ids nest")."""
    if not _ID.match(group_id) or not (group_id == domain_id
                                       or group_id.startswith(domain_id + ".")):
        return "group", f"group id must be '{domain_id}' or start with '{domain_id}.', " \
                        f"not {group_id!r}"
    head = statement_id.rpartition(".")[0]
    if not _ID.match(statement_id) or head != group_id:
        return "statement", f"id must be '{group_id}.<n>', not {statement_id!r}"
    return None


def _archetype(raw: dict, path: Path) -> Archetype:
    """One role of the framework: DART-Ed's five by default, or the framework's own (an id,
    a badge of one to three capitals, a name)."""
    role = str(raw.get("id") or "") if isinstance(raw, dict) else ""
    if not FRAMEWORK_ID.match(role):
        raise DataError(f"archetype id must be lower-case letters, digits and hyphens, not "
                        f"{role!r}", field="archetypes.id", source=str(path))
    badge = str(raw.get("badge") or ARCHETYPE_BADGES.get(role, ""))
    if not re.fullmatch(r"[A-Z]{1,3}", badge):
        raise DataError(f"archetype {role!r} needs a badge of one to three capitals",
                        field="archetypes.badge", source=str(path))
    return Archetype(id=role, badge=badge, name=str(raw.get("name") or role),
                     description=str(raw.get("description", "")))


def _capability(st: dict, domain: dict, group: dict, path: Path,
                badge_roles: dict[str, str]) -> Capability:
    sid = str(st.get("id", ""))
    group_id = str(group.get("id", ""))
    if not _ID.match(sid) or not sid.startswith(group_id + "."):
        raise DataError(f"id must be '{group_id}.<n>'", field="id", record=sid or "?",
                        source=str(path))
    if st.get("level_source", "stated") not in LEVEL_SOURCES:
        raise DataError("level_source must be stated or inferred", field="level_source",
                        record=sid, source=str(path))
    if st.get("level") not in LEVELS:
        raise DataError("level must be 1-4", field="level", record=sid, source=str(path))
    badges = st.get("archetypes") or []
    if not badges or any(b not in badge_roles for b in badges):
        raise DataError(f"archetypes must be badges from {', '.join(badge_roles)}",
                        field="archetypes", record=sid, source=str(path))
    if st.get("provenance") not in PROVENANCES:
        raise DataError("provenance must be published, paraphrased or authored",
                        field="provenance", record=sid, source=str(path))
    text = str(st.get("text", "")).strip()
    if not text:
        raise DataError("is required", field="text", record=sid, source=str(path))
    return Capability(
        id=sid, text=text, level=int(st["level"]),
        archetypes=tuple(badge_roles[b] for b in badges),
        provenance=st["provenance"], domain_id=str(domain["id"]), domain_name=str(domain["name"]),
        group_id=group_id, group_name=str(group.get("name", "")),
        level_source=st.get("level_source", "stated"),
        formerly=str(st.get("formerly") or ""),
    )


def statement_order(code: str) -> list[int]:
    """The sort key of a statement id: its numbers in turn (``2.10`` after ``2.9``)."""
    return [int(p) if p.isdigit() else 0 for p in code.split(".")]


def statement_key(framework: str, code: str) -> str:
    """A statement's key in an index that holds several frameworks' statements: the default
    framework's statements keep their ids (so an index built before frameworks were data still
    serves), another's are ``<framework>/<id>``."""
    return code if framework == DEFAULT_FRAMEWORK else f"{framework}/{code}"


def key_parts(key: str) -> tuple[str, str]:
    """(framework, statement id) of a key made by ``statement_key``."""
    framework, _, code = key.rpartition("/")
    return framework or DEFAULT_FRAMEWORK, code
