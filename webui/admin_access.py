"""The gate in front of every admin action (user administration): an admin, and proof the request came from this site.

:class:`webui.csrf.CsrfMiddleware` already refuses a cookie-authenticated request that names another origin.
Account changes are the most sensitive actions of the system, so for them a request signed in by the session
cookie must also *prove* it came from one of this site's pages: an ``Origin`` (or ``Referer``) header naming this
host. Browsers send ``Origin`` with every form POST, so the admin pages are unaffected; a request without it is
refused instead of being given the benefit of the doubt. API tokens carry no ambient credentials and need no proof.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from webui.csrf import is_cross_site
from webui.roles import AccessDenied, Identity, require_admin

ORIGIN_MISSING = "请求未注明来源网站，已拒绝（跨站请求伪造防护）。请在本站页面上重新操作。"


def require_admin_action(request: Request, identity: Annotated[Identity, Depends(require_admin)]) -> Identity:
    """The signed-in admin, when the request is a genuine same-site one; :raises AccessDenied: (403) otherwise."""
    headers = request.headers
    if headers.get("authorization", "").lower().startswith("bearer "):
        return identity
    if not (headers.get("origin") or headers.get("referer")) or is_cross_site(headers):
        raise AccessDenied(ORIGIN_MISSING)
    return identity


AdminAction = Annotated[Identity, Depends(require_admin_action)]
Admin = Annotated[Identity, Depends(require_admin)]
