"""The handoff from the bot to a person, owned in one place: queue → claim → reply → transfer → resolve → cancel.

Each step changes two things that must agree: the ticket's rows (the ticket
database) and the conversation (Rasa's tracker: paused while a person has it,
the agent's messages, the hand back to the bot). This package is the only code
that changes either for a handoff:

- `queueing`: opening a ticket and queueing it, or cancelling the wait. Run by
  the action server inside a custom action: the ticket rows change in the
  action, the conversation's side is the events the action returns (pause,
  resume), which Rasa applies with the action's result, or not at all when
  the action fails (the user is asked to try again, nothing half-done).
- `service.HandoffService`: what agents do in the console (claim, reply,
  transfer, resolve). The ticket change and the conversation steps it needs
  (`HandoffStep` rows: introduce the agent, announce the senior queue, hand
  back to the bot) are written in one transaction; the steps are then carried
  out through Rasa's API and marked done. A step whose Rasa call fails stays
  pending and is carried out again by the console's retry loop, so a change
  never stays half-done; repeating a claim or a resolve changes nothing.
- `decisions`: whether a new ticket goes to a live agent now, and the wait.

Channels never write the ticket database: a message a channel could not
deliver comes back to the service as Rasa's delivery error, and the service
notes it on the ticket.
"""
