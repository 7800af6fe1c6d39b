"""Names every part of the project shares for a crisis, kept in this import-free module so the
channels, the action server and the staff console can use them without loading spaCy or Rasa's NLU."""

CRISIS_INTENT = "crisis_disclosure"
SIGNAL_ENTITY = "crisis_signal"
# "I'm not safe": the dialogue answers it with the urgent reply, and it is an escalation like a crisis turn.
NOT_SAFE_INTENT = "crisis_not_safe"
