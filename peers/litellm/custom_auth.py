"""LiteLLM `custom_auth` for the peer tests: the master key passes, anything else is a 401.

LiteLLM without a database answers a wrong key with 400 "No connected db"; a deployment with its
database answers 401. This module gives the 401 without a database.
"""

import hmac

from fastapi import Request
from litellm.proxy._types import ProxyErrorTypes, ProxyException, UserAPIKeyAuth


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    from litellm.proxy import proxy_server  # its master key is set once the config is read

    expected = proxy_server.master_key or ""
    if expected and hmac.compare_digest((api_key or "").encode(), expected.encode()):
        return UserAPIKeyAuth(api_key=api_key, user_role="proxy_admin")
    raise ProxyException(
        message="Authentication Error: invalid API key",
        type=ProxyErrorTypes.auth_error,
        param="api_key",
        code=401,
    )
