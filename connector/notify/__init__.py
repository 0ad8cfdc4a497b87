"""Digests to where the team already talks (企业微信 / 钉钉 / 飞书 / Slack / e-mail), through apprise.

``config`` holds ``[notify]``; ``digest`` turns a run's new findings and moves into items and
messages; ``outbox`` keeps undelivered messages in the state store and sends them; ``hooks`` is
what ``sync`` and the webhook worker call. A notification never fails a run.
"""
