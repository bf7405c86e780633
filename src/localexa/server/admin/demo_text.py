"""The walk-through printed at the start of demo mode (kept apart from the seeding logic)."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from localexa.server.admin.demo import DemoAddresses, DemoState
    from localexa.server.settings import Settings


def render_walkthrough(settings: Settings, state: DemoState, addresses: DemoAddresses) -> str:
    """The steps with this server's ids, against the callback and My Lights the demo's records
    name (another process's, when that one seeded them)."""
    from localexa.server.admin.demo import CUSTOMER_EMAIL, CUSTOMER_PASSWORD

    base = settings.base_url()
    lights = addresses.mylights
    callback = addresses.callback
    lwa_url = f"{base}/ap/oa?" + urlencode(
        {
            "client_id": state.app_client_id,
            "scope": "alexa::skills:account_linking profile",
            "response_type": "code",
            "redirect_uri": callback,
            "state": "demo",
        }
    )
    lights_url = f"{lights}/authorize?" + urlencode(
        {
            "client_id": "alexa-skill",
            "response_type": "code",
            "scope": "lights",
            "redirect_uri": callback,
            "state": "demo",
        }
    )
    trust = ""
    if settings.tls:
        from localexa.server.core.tls import tls_dir

        # curl reads CURL_CA_BUNDLE (not SSL_CERT_FILE): without it every https:// call below fails.
        ca_file = (tls_dir(settings.data_dir) / "ca.pem").resolve()
        trust = f"\n  export CURL_CA_BUNDLE={shlex.quote(str(ca_file))}"
    # With LOCALEXA_ADMIN_KEY set, the data dir's admin-key file is not the server's key.
    key_file = settings.data_dir / "admin-key"
    # Quoted: a data dir with a space ("/Users/ada/my data") broke `cat` (packaging QA).
    read_key = f"$(cat {shlex.quote(str(key_file))})"
    admin_key = "$LOCALEXA_ADMIN_KEY" if settings.admin_key is not None else read_key
    return f"""
localexa demo: My Lights (device cloud on {lights}) is ready.

  export LX={base}{trust}
  export APP_CLIENT_ID={state.app_client_id}
  export APP_CLIENT_SECRET={state.app_client_secret}
  export SKILL_ID={state.skill_id}
  export DEMO_USER_ID={state.customer_id}

1. Sign in with Amazon as the demo customer ({CUSTOMER_EMAIL} / {CUSTOMER_PASSWORD}):
   {lwa_url}
   The callback page shows the code; exchange it:
   curl -s $LX/auth/o2/token -d grant_type=authorization_code -d code=$CODE \\
     -d redirect_uri={callback} -u $APP_CLIENT_ID:$APP_CLIENT_SECRET
   export AMAZON_TOKEN=<access_token>

2. Sign in to My Lights (user demo / demo) for the app's My Lights code:
   {lights_url}
   export LIGHTS_CODE=<code>

3. Enable the skill and link the accounts in one call, as the My Lights app would:
   curl -s $LX/v1/users/~current/skills/$SKILL_ID/enablement -H "Authorization: Bearer $AMAZON_TOKEN" \\
     -H 'Content-Type: application/json' -d '{{"stage": "development",
     "accountLinkRequest": {{"type": "AUTH_CODE", "authCode": "'$LIGHTS_CODE'",
     "redirectUri": "{callback}"}}}}'

4. Turn the kitchen light on, as Alexa would:
   export ADMIN_KEY={admin_key}
   curl -s $LX/_localexa/directives -H "X-Localexa-Admin-Key: $ADMIN_KEY" \\
     -H 'Content-Type: application/json' -d '{{"userId": "'$DEMO_USER_ID'", "skillId": "'$SKILL_ID'",
     "endpointId": "kitchen", "namespace": "Alexa.PowerController", "name": "TurnOn"}}'

Console: {base}/console   API docs: {base}/_localexa/docs
"""
