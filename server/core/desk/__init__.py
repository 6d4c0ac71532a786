"""The desk: requests and their trail, accounts and sessions, FAQ, answer memory, mail, erasure and figures.

Start at ``workflow`` (a request's life: create, draft, save, validate, reject, transfer, follow up) and
``tables`` (the database schema). The desk calls ``server.core.answer`` to draft; the reverse never happens.
"""
