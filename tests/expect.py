"""Expected outcomes for the hand-written transition tables of both tracks."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Expect:
    kind: str  # "ok" | "wrong_state" | "guard"
    detail: str = ""

    def __repr__(self):
        return f"{self.kind}({self.detail})" if self.detail else self.kind


def ok(dest):
    return Expect("ok", dest)


def guard(sentence):
    return Expect("guard", sentence)


WRONG = Expect("wrong_state")
