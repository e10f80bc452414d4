"""Real Label Studio users for tests: sign up through the organization's invite link (the
form a person fills in), so each has a password and an API token of their own."""

from __future__ import annotations

import requests


def sign_up(base_url: str, admin_client, email: str, password: str) -> str:
    """Create ``email`` through the invite-link sign-up form; return their legacy API token."""
    token = admin_client.organizations.invites.get_invite_link().token
    url = f"{base_url}/user/signup/?token={token}"
    session = requests.Session()
    session.get(url, timeout=30)
    response = session.post(
        url,
        data={
            "email": email,
            "password": password,
            "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
        },
        headers={"Referer": url},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, f"sign-up of {email} failed: {response.status_code}"
    return session.get(f"{base_url}/api/current-user/token", timeout=30).json()["token"]
