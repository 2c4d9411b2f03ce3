"""Block events: articles about the same state action clustered into one event, kept up to date as news arrives.

- ``model.py``: the article reference an event is built from, and the event record (``event.schema.json``);
- ``cluster.py``: the pure clustering rules (which event an article belongs to, status, links);
- ``store.py`` with ``sqlite.py`` / ``redis.py``: events, their article index and the alert outbox in the state store;
- ``jsonl.py``: ``events.jsonl`` (locked whole-line appends; readers keep the highest version per ``event_id``);
- ``alerts.py`` / ``dispatch.py``: webhooks (HMAC-signed) and e-mail on a new event or a status change, once each;
- ``report.py``: one self-contained HTML page; ``cli.py``: ``blockradar events`` and ``blockradar report``;
- ``schema.py``: the record's validator; ``quality.py``: pairwise precision/recall of clusterings.
"""
