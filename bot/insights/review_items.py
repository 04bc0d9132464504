"""The review queue's rows: user messages the assistant was unsure about or got wrong (`bot.insights.review_queue`)."""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, Float, ForeignKey, Integer, String, Text, UniqueConstraint

from bot.database.schema import Base, UTCDateTime, utcnow

LOW_CONFIDENCE = "low_confidence"
FALLBACK = "fallback"
BEFORE_HANDOFF = "before_handoff"
NOT_SOLVED = "not_solved"
REPHRASED = "rephrased"
FLAGGED = "flagged"
REVIEW_REASONS = (LOW_CONFIDENCE, FALLBACK, REPHRASED, BEFORE_HANDOFF, NOT_SOLVED, FLAGGED)
PENDING = "pending"
CORRECTED = "corrected"
DISMISSED = "dismissed"
REVIEW_STATUSES = (PENDING, CORRECTED, DISMISSED)


class ReviewItem(Base):
    """A user message the assistant was unsure about or got wrong, waiting for (or given) a reviewer's intent.

    One row per message (conversation id and Rasa's `message_id`), however
    often it is collected or flagged. `text` is the message as the tracker
    store keeps it (secrets were masked before storage), redacted again when
    the item is made, and `entities` moved to match.
    """

    __tablename__ = "review_items"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False)
    #: Rasa's `message_id` of the user event (or "ts:<timestamp>" when Rasa recorded none).
    message_id = Column(String(255), nullable=False)
    channel = Column(String(16), nullable=False)
    text = Column(Text, nullable=False)
    predicted_intent = Column(String(255))
    confidence = Column(Float)
    #: Entities as the NLU found them: [{entity, value, start, end}, …].
    entities = Column(JSON, nullable=False, default=list)
    #: Why it was collected first (REVIEW_REASONS); an agent's flag on it is `flagged_by`.
    reason = Column(String(16), nullable=False)
    flagged_by = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))
    flagged_at = Column(UTCDateTime)
    status = Column(String(16), nullable=False, default=PENDING)
    corrected_intent = Column(String(255))
    corrected_entities = Column(JSON)
    reviewed_by = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))
    reviewed_at = Column(UTCDateTime)
    #: When the user sent it.
    message_at = Column(UTCDateTime, nullable=False, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("conversation_id", "message_id"),
        CheckConstraint(
            "reason IN ('low_confidence', 'fallback', 'rephrased', 'before_handoff', 'not_solved', 'flagged')",
            name="reason"),
        CheckConstraint("status IN ('pending', 'corrected', 'dismissed')", name="status"),
    )
