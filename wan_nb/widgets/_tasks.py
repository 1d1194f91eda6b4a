"""The task picker's table: each choice's label and the model row it makes (``wan_nb.family``).

The form asks the chosen row what to show (``spec.takes("first_frame")``, ``spec.references``,
``spec.source_video``, ``spec.ratios``...) and never compares a model's name. Wan 3.0 is offered as a preview:
its field rules are third-party (``official=False``, family.md §6).
"""

from __future__ import annotations

from dataclasses import dataclass

from wan_nb.family import WAN27_EDIT, WAN27_I2V, WAN27_R2V, WAN27_T2V, WAN30, ModelSpec

__all__ = ["TASK_CHOICES", "TaskChoice", "choice_for", "choice_named"]


@dataclass(frozen=True, slots=True)
class TaskChoice:
    """One button of the picker: its label (the widget's value), the model row it makes, and a tooltip."""

    label: str
    spec: ModelSpec
    what: str

    @property
    def tip(self) -> str:
        """What the task does, and the model it makes."""
        return f"{self.what} ({self.spec.model})"


TASK_CHOICES: tuple[TaskChoice, ...] = (
    TaskChoice("Text → video", WAN27_T2V, "A video from a sentence"),
    TaskChoice("Image → video", WAN27_I2V, "Animate a first frame, or continue a clip"),
    TaskChoice("References → video", WAN27_R2V, "Keep characters or props from images and videos"),
    TaskChoice("Edit a video", WAN27_EDIT, "Change a clip with an instruction"),
    TaskChoice("Wan 3.0 (preview)", WAN30, "Text, frames or references; its field rules are third-party"),
)


def choice_named(label: str) -> TaskChoice:
    return next(choice for choice in TASK_CHOICES if choice.label == label)


def choice_for(spec: ModelSpec) -> TaskChoice:
    """The choice that makes ``spec``'s model, else the one of the same task (an older i2v model, a
    snapshot's base: the form shows it as the family's current model of that task)."""
    exact = [choice for choice in TASK_CHOICES if choice.spec == spec]
    if exact:
        return exact[0]
    return next(choice for choice in TASK_CHOICES if choice.spec.task == spec.task)
