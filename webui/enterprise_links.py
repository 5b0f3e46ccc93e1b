"""Enterprise users stay linked only to enterprises that exist (issue 23).

An enterprise user is linked to its enterprise profile by id (``users.enterprise_id`` in the accounts database);
the profile lives in the push database. Deleting a profile unlinks its users in the same request
(:func:`webui.app.create_app` gives :func:`push_rules.api.build_push_router` the account store's
``unlink_enterprise``), so they can create or be given another profile; ids are never reused either
(push migration 0003). Links left by deletes made before that are removed when the server starts.
"""

from __future__ import annotations

from accounts.users import AccountStore
from push_rules.errors import NotFound
from push_rules.service import PushService


def forget_deleted_enterprises(accounts: AccountStore, push: PushService) -> int:
    """Unlink every user whose enterprise no longer exists; returns how many were unlinked."""
    unlinked = 0
    for enterprise_id in sorted(accounts.linked_enterprise_ids()):
        try:
            push.get_enterprise(enterprise_id)
        except NotFound:
            unlinked += accounts.unlink_enterprise(enterprise_id)
    return unlinked
