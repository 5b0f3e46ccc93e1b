"""Accounts, API tokens, signed sessions and the audit log: who may use PolicyKB, kept in the data directory.

Used by the web app and by ``policykb users``; knows nothing of HTTP.
"""
