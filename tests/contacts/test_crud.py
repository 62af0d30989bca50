"""Creating, reading, updating, archiving and restoring contacts over HTTP."""

from __future__ import annotations


async def test_create_returns_contact_location_and_etag(client):
    response = await client.post(
        "/v1/contacts",
        json={
            "first_name": " Jane ",
            "last_name": "Doe",
            "phone": "(415) 555-1234",
            "email": "Jane.Doe@Example.COM",
            "tags": ["vip", "beta", "vip"],
            "custom_fields": {"plan": "pro", "lifetime_value": 5000},
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/contacts/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert body["phone"] == "+14155551234"
    assert body["email"] == "Jane.Doe@example.com"
    assert body["name"] == "Jane Doe"
    assert body["first_name"] == "Jane"
    assert body["country"] == "US"
    assert body["tags"] == ["beta", "vip"]
    assert body["source"] == "api"
    assert body["version"] == 1
    assert body["preferences"]["sms"] == "unknown"
    assert body["handles"] == {
        "whatsapp": None,
        "viber": None,
        "rcs": None,
        "telegram": None,
        "messenger": None,
        "instagram": None,
    }
    assert body["created_at"].endswith("Z")
    got = await client.get(f"/v1/contacts/{body['id']}")
    assert got.status_code == 200
    assert got.json() == body
    assert got.headers["etag"] == '"1"'
