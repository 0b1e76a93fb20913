"""Refusals of the door. Each carries an HTTP status and sentences a person can read."""


class Refused(Exception):
    status = 400

    def __init__(self, message, reasons=None, field_errors=None):
        super().__init__(message)
        self.message = message
        self.reasons = list(reasons or [])
        self.field_errors = dict(field_errors or {})

    def __str__(self):
        details = self.reasons + [f"{k}: {v}" for k, v in self.field_errors.items()]
        return self.message + ("".join(f"\n  - {d}" for d in details))


class NotFound(Refused):
    status = 404


class Forbidden(Refused):
    status = 403


class StaleCase(Refused):
    status = 409


class WrongState(Refused):
    status = 409


class GuardFailed(Refused):
    status = 422


class InvalidData(Refused):
    status = 422
