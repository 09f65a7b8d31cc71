"""A plan taken away: an iCalendar feed with one event per week's learning block, and xAPI
statements of the learning done, for a learning record store (docs/plans.md)."""

from __future__ import annotations

import datetime
import uuid

import icalendar

VERBS = {"completed": "http://adlnet.gov/expapi/verbs/completed"}
ACTIVITY_TYPES = {"course": "http://adlnet.gov/expapi/activities/course",
                  "e-learning": "http://adlnet.gov/expapi/activities/module",
                  "video": "http://activitystrea.ms/schema/1.0/video",
                  "podcast": "http://activitystrea.ms/schema/1.0/audio",
                  "webinar": "http://adlnet.gov/expapi/activities/meeting"}
DOCUMENT = "http://id.tincanapi.com/activitytype/document"
PRODID = "-//DART-Ed recommender//learning plan//EN"


def calendar(plan: dict, page_url: str, host: str) -> bytes:
    """One all-day event on the first day of each week that has learning in it, naming the
    week's items and minutes; a week's done items are listed as done."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Learning plan")
    stamp = datetime.datetime.fromisoformat(plan["updated_at"])
    for week in plan["weeks"]:
        starts = datetime.date.fromisoformat(week["starts"])
        to_do = [i for i in week["items"] if i["status"] == "to_do"]
        event = icalendar.Event()
        event.add("uid", f"{plan['id']}-week-{week['week']}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", starts)
        event.add("dtend", starts + datetime.timedelta(days=1))
        event.add("summary", f"Learning plan, week {week['week']}: "
                  + (f"{week['minutes']} minutes" if to_do else "done"))
        lines = [f"{'[done] ' if i['status'] == 'done' else ''}{i['title']}"
                 f" ({i.get('this_week_minutes', i['minutes'])} min"
                 f"{', part ' + i['part'] if i.get('part') else ''}): {i['url']}"
                 for i in week["items"]]
        event.add("description", "\n".join([*lines, "", f"The whole plan: {page_url}"]))
        event.add("url", page_url)
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()


def xapi(plan: dict, home_page: str, statement_iri: str) -> list[dict]:
    """An xAPI 1.0.3 ``completed`` statement per done item: the learner as an account on
    ``home_page``, the resource as the object, the statements it served as context."""
    out = []
    for week in plan["weeks"]:
        for item in (i for i in week["items"] if i["status"] == "done"):
            out.append({
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{plan['id']}/{item['id']}")),
                "actor": {"objectType": "Agent",
                          "account": {"homePage": home_page, "name": plan["learner_id"]}},
                "verb": {"id": VERBS["completed"], "display": {"en-GB": "completed"}},
                "object": {"objectType": "Activity", "id": item["url"], "definition": {
                    "name": {"en-GB": item["title"]},
                    "type": ACTIVITY_TYPES.get(item["format"], DOCUMENT),
                    "moreInfo": item["url"]}},
                "result": {"completion": True, "duration": f"PT{item['minutes']}M"},
                "context": {
                    "platform": "DART-Ed recommender",
                    "language": "en-GB",
                    "contextActivities": {
                        "grouping": [{"objectType": "Activity",
                                      "id": f"{home_page.rstrip('/')}/plans/{plan['id']}"}],
                        "other": [{"objectType": "Activity",
                                   "id": f"{statement_iri}#{s['capability']}",
                                   "definition": {"name": {"en-GB": s["statement"]},
                                                  "type": "http://adlnet.gov/expapi/"
                                                          "activities/objective"}}
                                  for s in item["serves"]]}},
                "timestamp": item["completed_at"],
            })
    return out
