"""``/docs`` (Swagger UI) and ``/redoc`` served with their scripts from this service, never from a CDN.

Government networks rarely reach the internet, and pages that load their scripts from a CDN are blank there.
The assets come from the pinned ``fastapi-offline`` package; a Content-Security-Policy keeps the pages from
reaching anywhere but the service itself (Redoc's sidebar logo, which it fetches from its own CDN, included).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs-assets"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)
# Swagger UI shows each operationId (what a generated client calls it) and asks no online validator.
SWAGGER_PARAMETERS = {"validatorUrl": None, "displayOperationId": True}


def _page(html: HTMLResponse) -> HTMLResponse:
    html.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return html


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs``, its OAuth2 redirect and ``/redoc`` from the package's assets (the app is made with
    ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _page(
            get_swagger_ui_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{title} - Swagger UI",
                oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
                swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
                swagger_ui_parameters=SWAGGER_PARAMETERS,
            )
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _page(get_swagger_ui_oauth2_redirect_html())

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _page(
            get_redoc_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{title} - ReDoc",
                redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
                with_google_fonts=False,
            )
        )
