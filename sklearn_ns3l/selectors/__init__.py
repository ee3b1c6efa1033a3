"""Negative-label selectors: which classes an unlabelled sample almost surely is not."""

from ._base import BaseNegativeSelector
from ._threshold import ThresholdSelector

__all__ = ["BaseNegativeSelector", "ThresholdSelector"]

#: Short names accepted by ``NS3LClassifier(selector=...)``.
SELECTORS = {"threshold": ThresholdSelector}
