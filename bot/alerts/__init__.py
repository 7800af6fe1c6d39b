"""Staff alerts for crisis escalations, kept off the reply path.

Rasa's event broker hands every conversation event to `broker.AlertOutbox`,
which only writes a row to the `crisis_alerts` table; a separate worker
(`delivery`) sends the webhook and e-mail, with retries. A slow mail server or
a failing webhook can therefore never delay or break the crisis reply.
"""
