"""Answering: question → hybrid retrieval → confidence → cited draft or abstention, over an index.

Start at ``assistant.Assistant.draft``. The index (``index``, ``chunk``) and the embedders (``embed``,
``embed_onnx``, ``e5_*``) are here because answering owns how text becomes vectors; ingest writes through them.
Nothing here touches the database, the web or the desk (``tests/test_layers.py``).
"""
