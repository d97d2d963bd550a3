"""The API's OpenAPI document and docs page are served, with nothing from a CDN."""

import re


def test_openapi_document_lists_the_endpoints(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/auth/token", "/api/v1/residents", "/api/v1/residents/{pk}/reveal"} <= set(
        schema["paths"]
    )


def test_docs_page_loads_its_files_from_our_static(client, db):
    html = client.get("/api/v1/docs").content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in u for u in urls)
    assert all(u.startswith("/") for u in urls), urls
