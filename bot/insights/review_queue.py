"""The review queue: user messages the assistant was unsure about or got wrong, and the reviewers' decisions.

`collect` reads the tracker store's `events` table for a period and adds one
pending item per message (never two: conversation id + Rasa's `message_id` is
unique) for:

- `fallback`: the NLU gave up (`nlu_fallback`);
- `low_confidence`: the intent's confidence was below the threshold
  (`review_confidence_threshold`), or less than MARGIN above the runner-up's
  (the classifier hesitated between two intents);
- `rephrased`: the user said it again in other words right after (the next
  message they typed shares at least REPHRASE_SIMILARITY of its characters
  and got another intent), so the first answer probably missed;
- `not_solved`: the user's message that opened a guide, when the user said
  没解决 (intent `deny`, the button "没解决" sends `/deny`) to the guide's
  *first* step: the guide itself may be the wrong one. A 没解决 to a later step
  says the step did not help, not that the message was misunderstood;
- `before_handoff`: the user's message before a ticket was prepared
  (`action_prepare_ticket`) for a ticket opened in the period.

For the last two, "the user's message" is the latest one the user typed
about their problem: button payloads (`/intent`), the console's `EXTERNAL_…`
intents, messages sent while an agent had the conversation (paused), and the
replies that only steer the dialogue (转人工, 好的, 没解决, 下一步, 试过了,
取消: STEERING_INTENTS) are skipped, since reviewing them teaches nothing.
Those rules apply to every reason: a paused conversation's messages went to
an agent, not to the NLU's answer.

The queue is read in groups (`group_items`): identical and near-identical
texts (same comparable text, or character-bigram Jaccard ≥ GROUP_SIMILARITY)
are one row with their count, corrected or dismissed together.

`flag` adds a message an agent points at in the console's transcript;
`correct` and `dismiss` record a reviewer's decision.

Every item's text and entities are redacted again when the item is made
(`bot.privacy.redact_with_entities`): messages reach the tracker store
redacted, but one stored before the current patterns, or added through
Rasa's HTTP API without a `UserMessage`, may still hold a secret.
"""
from __future__ import annotations

import bisect
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, Iterator, List, Sequence, Tuple

from sqlalchemy import Float, and_, cast, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.agents.models import Agent
from bot.content.catalog import intent_title
from bot.conversations.events_table import FALLBACK_INTENT, events, in_period, utter_action
from bot.database.schema import utcnow
from bot.evaluation.leakage import bigrams, comparable, jaccard
from bot.events import EXTERNAL_PREFIX, external_intent
from bot.insights.analytics import ticket_times
from bot.insights.nlu_labels import NluLabels
from bot.insights.period import Period, channel_of
from bot.insights.review_items import (
    BEFORE_HANDOFF,
    CORRECTED,
    DISMISSED,
    FALLBACK,
    FLAGGED,
    LOW_CONFIDENCE,
    NOT_SOLVED,
    PENDING,
    REPHRASED,
    REVIEW_STATUSES,
    ReviewItem,
)
from bot.privacy import redact_with_entities

#: 没解决: what the guide's "没解决" button sends, and what typing it is classified as.
NOT_SOLVED_INTENT = "deny"
#: The questions after a guide's step.
GUIDE_QUESTIONS = frozenset({"utter_ask_guide_helped", "utter_ask_guide_next"})
_GUIDE_INTRO = re.compile(r"utter_guide_\w+_intro$")
_GUIDE_STEP = re.compile(r"utter_guide_\w+_\d+$")
#: The classifier hesitated: its best intent less than this above the runner-up.
MARGIN = 0.1
#: A next message this close (Jaccard of their sets of characters) with another intent is a rephrase.
#: Characters, not bigrams: a rephrase reorders the words ("美团付款没成功钱扣了" → "用okpay付美团 钱扣了").
REPHRASE_SIMILARITY = 0.35
#: Conversations with a message below this confidence are read for rephrases.
SCAN_BELOW = 0.9
#: Texts this close are one row of the queue.
GROUP_SIMILARITY = 0.8
#: The most items one decision may cover.
MAX_GROUP = 500
PREPARE_TICKET = "action_prepare_ticket"
#: Replies that move the dialogue on rather than say what the problem is.
STEERING_INTENTS = frozenset({"human_handoff", "affirm", "deny", "continue_guide", "already_tried", "cancel"})
#: How far before the period a guide's or a handoff's opening message is looked for.
LOOKBACK_S = 24 * 3600
#: The reason kept when one message is collected for several.
REASON_ORDER = (FALLBACK, LOW_CONFIDENCE, REPHRASED, BEFORE_HANDOFF, NOT_SOLVED)
_CHUNK = 500
_CONTEXT_TYPES = ("user", "bot", "pause", "resume", "restart", "session_started")


class ConversationsUnavailable(RuntimeError):
    """The tracker store's events cannot be read (database down, no conversations file yet)."""


class ReviewError(Exception):
    """A review request that cannot be done; `code` and `status` for the console."""

    def __init__(self, code: str, status: int, detail: str = ""):
        super().__init__(detail or code)
        self.code, self.status = code, status


# ------------------------------------------------------------------ messages
@dataclass(frozen=True)
class Message:
    """One user message as a review item needs it."""

    conversation_id: str
    message_id: str
    text: str
    intent: str | None
    confidence: float | None
    entities: Tuple[Dict[str, Any], ...]
    timestamp: float
    #: How far the best intent was above the runner-up (None without a ranking).
    margin: float | None = None

    @property
    def typed(self) -> bool:
        """Written by the user: not a button payload, not an intent the console or a channel sent."""
        return not self.text.startswith("/") and not (self.intent or "").startswith(EXTERNAL_PREFIX)

    def item(self, reason: str) -> Dict[str, Any]:
        """The columns of a new pending review item for this message, its text and entities redacted."""
        text, entities = redact_with_entities(self.text, self.entities)
        return {
            "conversation_id": self.conversation_id, "message_id": self.message_id,
            "channel": channel_of(self.conversation_id), "text": text,
            "predicted_intent": self.intent, "confidence": self.confidence, "entities": entities,
            "reason": reason, "status": PENDING,
            "message_at": datetime.fromtimestamp(self.timestamp, timezone.utc), "created_at": utcnow(),
        }


def message_from_event(conversation_id: str, event: Dict[str, Any]) -> Message:
    """A user event (as Rasa stores it in `data`, or as its HTTP API returns it) as a Message."""
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    confidence = intent.get("confidence")
    timestamp = float(event.get("timestamp") or 0.0)
    message_id = event.get("message_id") or parse.get("message_id") or f"ts:{timestamp!r}"
    entities = tuple(
        {key: entity.get(key) for key in ("entity", "value", "start", "end")}
        for entity in parse.get("entities") or [] if isinstance(entity, dict)
    )
    return Message(
        conversation_id=conversation_id, message_id=str(message_id)[:255], text=event.get("text") or "",
        intent=intent.get("name") or external_intent(event),
        confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
        entities=entities, timestamp=timestamp, margin=_margin(parse.get("intent_ranking")),
    )


def _margin(ranking: Any) -> float | None:
    """The best intent's confidence minus the runner-up's, leaving out the fallback."""
    if not isinstance(ranking, list):
        return None
    scores = sorted((float(item["confidence"]) for item in ranking
                     if isinstance(item, dict) and isinstance(item.get("confidence"), (int, float))
                     and item.get("name") != FALLBACK_INTENT), reverse=True)
    return scores[0] - scores[1] if len(scores) >= 2 else None


# ----------------------------------------------------------------- collecting
def _confidence(dialect: str) -> ColumnElement | None:
    """The intent confidence inside `data`, in SQL, where the database reads JSON."""
    if dialect == "sqlite":
        return func.json_extract(events.c.data, "$.parse_data.intent.confidence")
    if dialect == "postgresql":
        return cast(cast(events.c.data, JSONB)["parse_data"]["intent"]["confidence"].astext, Float)
    return None


def _candidate_conversations(connection: Any, period: Period, threshold: float) -> set:
    """Conversations of the period with an unsure message or a 没解决 (SQL only, no JSON parsed in Python)."""
    user = and_(events.c.type_name == "user", in_period(period))
    not_external = or_(events.c.intent_name.is_(None),
                       ~events.c.intent_name.startswith(EXTERNAL_PREFIX, autoescape=True))
    confidence = _confidence(connection.dialect.name)
    unsure = events.c.intent_name.in_([FALLBACK_INTENT, NOT_SOLVED_INTENT])
    if confidence is None:
        unsure = events.c.intent_name.isnot(None)  # unknown dialect: every message, sorted out in Python
    else:
        # Below SCAN_BELOW: a hesitation (margin) or a rephrase may be there, sorted out in Python.
        unsure = or_(unsure, confidence < max(threshold, SCAN_BELOW))
    rows = connection.execute(select(events.c.sender_id).where(user, not_external, unsure).distinct())
    return {row.sender_id for row in rows}


def _context_rows(connection: Any, conversations: Sequence[str], period: Period) -> Iterator[Any]:
    """The user, bot, pause/resume and ticket-preparing events of these conversations, in order."""
    kinds = or_(events.c.type_name.in_(_CONTEXT_TYPES),
                and_(events.c.type_name == "action", events.c.action_name == PREPARE_TICKET))
    for first in range(0, len(conversations), _CHUNK):
        chunk = list(conversations[first:first + _CHUNK])
        yield from connection.execute(
            select(events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data)
            .where(events.c.sender_id.in_(chunk), kinds,
                   events.c.timestamp >= period.start_ts - LOOKBACK_S, events.c.timestamp < period.end_ts)
            .order_by(events.c.sender_id, events.c.id))


@dataclass
class _Walk:
    """What one conversation's events say, read in order."""

    unsure: List[Tuple[Message, str]]
    not_solved: List[Message]
    #: Messages that state a problem, in order, with their times.
    topics: List[Tuple[float, Message]]
    prepares: List[float]

    def topic_before(self, moment: float) -> Message | None:
        """The last problem-stating message before `moment`, and after the ticket prepared before that."""
        times = [ts for ts, _ in self.topics]
        index = bisect.bisect_right(times, moment) - 1
        earlier = [ts for ts in self.prepares if ts < moment]
        if index < 0 or (earlier and times[index] <= earlier[-1]):
            return None
        return self.topics[index][1]


def is_rephrase(earlier: Message, later: Message) -> bool:
    """`later` says what `earlier` said in other words, and was understood as something else."""
    first, second = comparable(earlier.text), comparable(later.text)
    if earlier.intent == later.intent or first == second:
        return False
    return jaccard(frozenset(first), frozenset(second)) >= REPHRASE_SIMILARITY


def _walk(conversation_id: str, rows: Iterable[Any], period: Period, threshold: float) -> _Walk:
    walk = _Walk([], [], [], [])
    paused, asked = False, False
    steps_shown = 0  # steps of the current guide shown so far
    previous: Message | None = None  # the last problem-stating message, for rephrases
    for row in rows:
        kind = row.type_name
        if kind == "pause":
            paused = True
        elif kind in ("resume", "restart", "session_started"):
            paused = False
        elif kind == "action":
            walk.prepares.append(row.timestamp)
        elif kind == "bot":
            name = utter_action(row.data) or ""
            asked = asked or name in GUIDE_QUESTIONS
            if _GUIDE_INTRO.match(name):
                steps_shown = 0
            elif _GUIDE_STEP.match(name):
                steps_shown += 1
        elif kind == "user":
            message = message_from_event(conversation_id, _json(row.data))
            in_period = period.start_ts <= row.timestamp < period.end_ts
            if message.typed and not paused and in_period:
                if message.intent == FALLBACK_INTENT:
                    walk.unsure.append((message, FALLBACK))
                elif message.confidence is not None and message.confidence < threshold:
                    walk.unsure.append((message, LOW_CONFIDENCE))
                elif message.margin is not None and message.margin < MARGIN:
                    walk.unsure.append((message, LOW_CONFIDENCE))
            if message.intent == NOT_SOLVED_INTENT and asked and in_period and steps_shown == 1:
                topic = walk.topics[-1][1] if walk.topics else None
                if topic is not None:
                    walk.not_solved.append(topic)
            if message.typed and not paused and message.intent not in STEERING_INTENTS:
                if previous is not None and in_period and is_rephrase(previous, message):
                    walk.unsure.append((previous, REPHRASED))
                walk.topics.append((row.timestamp, message))
                previous = message
            asked = False
    return walk


def _json(data: str | None) -> Dict[str, Any]:
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def collect(events_engine: Engine, session: Session, period: Period, threshold: float) -> Dict[str, int]:
    """Adds the period's messages to review as pending items; returns how many were new, by reason.

    Collecting the same period again adds nothing: messages already in the
    queue (whatever their status) are left as they are.
    """
    tickets = ticket_times(session, period)
    rows_by_conversation: Dict[str, List[Any]] = defaultdict(list)
    try:
        with events_engine.connect() as connection:
            conversations = sorted(_candidate_conversations(connection, period, threshold) | set(tickets))
            for row in _context_rows(connection, conversations, period):
                rows_by_conversation[row.sender_id].append(row)
    except DBAPIError as error:
        # Not the ticket database's OperationalError: the caller tells the two apart.
        raise ConversationsUnavailable(str(error.orig)) from error
    found: Dict[Tuple[str, str], Tuple[Message, str]] = {}

    def add(message: Message, reason: str) -> None:
        key = (message.conversation_id, message.message_id)
        if key not in found or REASON_ORDER.index(reason) < REASON_ORDER.index(found[key][1]):
            found[key] = (message, reason)

    for conversation_id in conversations:
        walk = _walk(conversation_id, rows_by_conversation.get(conversation_id, []), period, threshold)
        for message, reason in walk.unsure:
            add(message, reason)
        for message in walk.not_solved:
            add(message, NOT_SOLVED)
        for opened in tickets.get(conversation_id, []):
            prepared = [ts for ts in walk.prepares if ts <= opened]
            topic = walk.topic_before(prepared[-1] if prepared else opened)
            if topic is not None:
                add(topic, BEFORE_HANDOFF)
    return _insert_new(session, found)


def _insert_new(session: Session, found: Dict[Tuple[str, str], Tuple[Message, str]]) -> Dict[str, int]:
    existing = set()
    keys = sorted(found)
    for first in range(0, len(keys), _CHUNK):
        chunk = keys[first:first + _CHUNK]
        existing |= set(session.execute(select(ReviewItem.conversation_id, ReviewItem.message_id).where(
            ReviewItem.conversation_id.in_({c for c, _ in chunk}),
            ReviewItem.message_id.in_({m for _, m in chunk}))).all())
    new = [found[key][0].item(found[key][1]) for key in keys if key not in existing]
    counts = {reason: 0 for reason in REASON_ORDER}
    for row in new:
        counts[row["reason"]] += 1
    for first in range(0, len(new), _CHUNK):
        _insert_ignoring_duplicates(session, new[first:first + _CHUNK])
    return counts


def _insert_ignoring_duplicates(session: Session, rows: List[Dict[str, Any]]) -> None:
    """Inserts rows; one another process inserted meanwhile is left alone (SQLite and PostgreSQL)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        statement = insert(ReviewItem).on_conflict_do_nothing(index_elements=["conversation_id", "message_id"])
        session.execute(statement, rows)
    else:
        session.execute(ReviewItem.__table__.insert(), rows)


# ------------------------------------------------------------ agents' actions
def user_message_at(events_list: Sequence[Dict[str, Any]], seq: int, conversation_id: str) -> Message:
    """The user message at transcript position `seq` (its index among the tracker's events)."""
    if not 0 <= seq < len(events_list) or events_list[seq].get("event") != "user":
        raise ReviewError("message_not_found", 404, f"no user message at {seq}")
    message = message_from_event(conversation_id, events_list[seq])
    if not message.typed or not message.text.strip():
        raise ReviewError("message_not_found", 404, f"event {seq} is not a message the user wrote")
    return message


def flag(session: Session, message: Message, agent_id: int, now: datetime | None = None) -> ReviewItem:
    """An agent points at a message the assistant got wrong: added (reason `flagged`) or marked on its item.

    A dismissed item comes back to the queue (an agent says it was wrong after
    all); a corrected one keeps its correction.
    """
    now = now or utcnow()
    item = _item_for(session, message.conversation_id, message.message_id)
    if item is None:
        _insert_ignoring_duplicates(session, [message.item(FLAGGED)])
        item = _item_for(session, message.conversation_id, message.message_id)
        assert item is not None
    item.flagged_by, item.flagged_at = agent_id, now
    if item.status == DISMISSED:
        item.status, item.reviewed_by, item.reviewed_at = PENDING, None, None
    return item


def _item_for(session: Session, conversation_id: str, message_id: str) -> ReviewItem | None:
    return session.execute(select(ReviewItem).where(
        ReviewItem.conversation_id == conversation_id, ReviewItem.message_id == message_id)).scalar_one_or_none()


def review_item(session: Session, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise ReviewError("review_not_found", 404, f"no review item {item_id}")
    return item


def correct(session: Session, item_id: int, intent: Any, entities: Any, reviewer_id: int, labels: NluLabels,
            now: datetime | None = None) -> ReviewItem:
    """Records the right intent and entities of a message (again, if it was already corrected)."""
    item = review_item(session, item_id)
    intent = labels.check_intent(intent)
    entities = labels.check_entities(entities, item.text, [*(item.entities or []), *(item.corrected_entities or [])])
    item.status, item.corrected_intent, item.corrected_entities = CORRECTED, intent, entities
    item.reviewed_by, item.reviewed_at = reviewer_id, now or utcnow()
    return item


def dismiss(session: Session, item_id: int, reviewer_id: int, now: datetime | None = None) -> ReviewItem:
    """The prediction was right, or the message teaches nothing: out of the queue and of the export."""
    item = review_item(session, item_id)
    item.status, item.corrected_intent, item.corrected_entities = DISMISSED, None, None
    item.reviewed_by, item.reviewed_at = reviewer_id, now or utcnow()
    return item


# -------------------------------------------------------------------- reading
def items(session: Session, period: Period | None = None, status: str | None = PENDING,
          limit: int = 200) -> List[ReviewItem]:
    """Items by the message's time (newest first), of a period (message or flag in it) and channel, of one status
    or all (None)."""
    if status is not None and status not in REVIEW_STATUSES:
        raise ReviewError("bad_request", 400, f"unknown status {status!r}")
    query = select(ReviewItem)
    if status is not None:
        query = query.where(ReviewItem.status == status)
    if period is not None:
        # A flag made in the period counts too: agents flag older messages from a conversation's transcript.
        query = query.where(or_(and_(ReviewItem.message_at >= period.start, ReviewItem.message_at < period.end),
                                and_(ReviewItem.flagged_at >= period.start, ReviewItem.flagged_at < period.end)))
        if period.channel is not None:
            query = query.where(ReviewItem.channel == period.channel)
    return list(session.execute(query.order_by(ReviewItem.message_at.desc(), ReviewItem.id.desc())
                                .limit(limit)).scalars())


def corrected_items(session: Session) -> List[ReviewItem]:
    """Every corrected item, oldest correction first (the export's order)."""
    return list(session.execute(select(ReviewItem).where(ReviewItem.status == CORRECTED)
                                .order_by(ReviewItem.reviewed_at, ReviewItem.id)).scalars())


def item_json(item: ReviewItem, names: Dict[int, str] | None = None) -> Dict[str, Any]:
    """A review item for the console; `names` maps agent ids to display names."""
    names = names or {}

    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": item.id, "conversation_id": item.conversation_id, "channel": item.channel,
        "message_id": item.message_id, "text": item.text, "predicted_intent": item.predicted_intent,
        "confidence": item.confidence, "entities": item.entities or [], "reason": item.reason,
        "flagged": item.flagged_by is not None or item.reason == FLAGGED,
        "flagged_by": names.get(item.flagged_by) if item.flagged_by else None, "flagged_at": iso(item.flagged_at),
        "status": item.status, "corrected_intent": item.corrected_intent,
        "predicted_title": intent_title(item.predicted_intent), "corrected_title": intent_title(item.corrected_intent),
        "corrected_entities": item.corrected_entities,
        "reviewed_by": names.get(item.reviewed_by) if item.reviewed_by else None,
        "reviewed_at": iso(item.reviewed_at), "message_at": iso(item.message_at),
    }


def group_items(found: Sequence[ReviewItem]) -> List[List[ReviewItem]]:
    """Identical and near-identical texts together, in the order of their first item.

    Near-identical: the same comparable text (punctuation, width, script and
    emoji aside) or character-bigram Jaccard ≥ GROUP_SIMILARITY.
    """
    groups: List[List[ReviewItem]] = []
    keys: List[Tuple[str, frozenset]] = []
    for item in found:
        text = comparable(item.text)
        grams = bigrams(item.text)
        for index, (other_text, other_grams) in enumerate(keys):
            if text == other_text or jaccard(grams, other_grams) >= GROUP_SIMILARITY:
                groups[index].append(item)
                break
        else:
            groups.append([item])
            keys.append((text, grams))
    return groups


def group_json(group: Sequence[ReviewItem], names: Dict[int, str] | None = None) -> Dict[str, Any]:
    """A group of items for the console: its first item, how many there are and their ids and texts."""
    first = item_json(group[0], names)
    return {**first, "count": len(group), "ids": [item.id for item in group],
            "texts": sorted({item.text for item in group}),
            "channels": sorted({item.channel for item in group})}


def apply_to_group(item_id: int, others: Any, decide: Callable[[int], ReviewItem]) -> List[ReviewItem]:
    """Runs `decide(item_id)` for the item and every other id of its group (`others`: a list of ids)."""
    if others is None:
        others = []
    if not isinstance(others, list) or len(others) > MAX_GROUP or not all(
            isinstance(other, int) and not isinstance(other, bool) for other in others):
        raise ReviewError("bad_request", 400, "group must be a list of item ids")
    done = [decide(item_id)]
    for other in dict.fromkeys(others):
        if other != item_id:
            done.append(decide(other))
    return done


def agent_names(session: Session, review_items: Iterable[ReviewItem]) -> Dict[int, str]:
    """Display names of the agents who flagged or reviewed these items."""
    ids = {i for item in review_items for i in (item.flagged_by, item.reviewed_by) if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Agent.id, Agent.display_name).where(Agent.id.in_(ids))).all())
