"""Server-side form validation for the pages: each message is kept against its field, shown
beside it and listed in an error summary whose links move focus to the field."""

from __future__ import annotations

from recommender.problems import Problem


class FormErrors:
    """Messages by field name, in the order they were found."""

    def __init__(self) -> None:
        self.messages: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.messages.setdefault(field, message)

    def get(self, field: str) -> dict | None:
        """The ``errorMessage`` parameter of an NHS.UK form macro, or None."""
        message = self.messages.get(field)
        return {"text": message} if message else None

    def summary(self, anchors: dict[str, str] | None = None) -> list[dict]:
        """``errorList`` items for the error summary; ``anchors`` maps a field to the id of
        the input to focus when it is not the field name itself."""
        anchors = anchors or {}
        return [{"text": message, "href": f"#{anchors.get(field, field)}"}
                for field, message in self.messages.items()]

    def from_problem(self, problem: Problem, fields: dict[str, str]) -> None:
        """Take the errors of a service function's 422: ``fields`` maps each JSON pointer or
        query parameter (``?domain``) to a form field; the rest go on ``fields[""]``."""
        for error in problem.errors or [{"pointer": "", "detail": problem.detail}]:
            detail = error["detail"]
            self.add(fields.get(error["pointer"], fields.get("", "form")),
                     detail[:1].upper() + detail[1:])

    @property
    def status(self) -> int:
        return 422 if self.messages else 200

    def __bool__(self) -> bool:
        return bool(self.messages)

    def __contains__(self, field: str) -> bool:
        return field in self.messages
