"""Stored events read back into Rasa's event objects, finding each event's class once.

Rasa's `Event.from_parameters` finds an event's class by walking every
subclass of `Event` for each event it reads (about 7% of the CPU of a turn,
py-spy). The tracker store reads every stored event through here instead,
remembering the class of each event name; a name not seen yet is looked up as
Rasa does (its first subclass with that `type_name`), so events defined after
start-up still resolve.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Iterable, List

logger = logging.getLogger(__name__)

_classes: Dict[str, Any] = {}


def event_class(type_name: str) -> Any:
    """The `Event` subclass of `type_name` ("user", "slot" …), or None (as Rasa: unknown, or old "topic")."""
    cls = _classes.get(type_name)
    if cls is None:
        import rasa.shared.utils.common
        from rasa.shared.core.events import Event

        cls = next((candidate for candidate in rasa.shared.utils.common.all_subclasses(Event)
                    if candidate.type_name == type_name), None)
        if cls is not None:
            _classes[type_name] = cls
    return cls


def event_from_dict(data: Dict[str, Any]) -> Any:
    """`Event.from_parameters(data)`: the event, or None when its name is missing or unknown."""
    name = data.get("event")
    cls = event_class(name) if name else None
    return cls._from_parameters(data) if cls is not None else None


def events_from_dicts(dicts: Iterable[Dict[str, Any]]) -> List[Any]:
    """`rasa.shared.core.events.deserialise_events`: every event that could be read, in order."""
    events = []
    for data in dicts:
        event = event_from_dict(data) if "event" in data else None
        if event is not None:
            events.append(event)
        elif "event" in data:
            logger.warning("a stored event of unknown kind %r was skipped", data.get("event"))
    return events
