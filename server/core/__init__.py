"""The core, in two systems and a few shared pieces. Imports nothing from the web layer, ingest or eval.

- ``answer/``: from a question to a cited draft or an abstention (parsing, retrieval, confidence, drafting,
  verification, LLM drafting, the embedders and the index). Pure computation over an index: no database.
- ``desk/``: the reception desk's records (requests and their trail, people and access, FAQ, answer memory,
  mail, erasure, the supervisor's figures). It calls ``answer`` to draft.
- Shared: ``config`` (settings), ``errors`` (the exception tree), ``text`` (French normalisation), ``pii``
  (personal data in free text), ``storage`` (room on the data disk).

``tests/test_layers.py`` fails when ``answer`` imports the desk, the database or the web.
"""
