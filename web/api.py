"""The JSON API: /api/search and the OpenAPI document describing it and the page twins."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from .openapi import openapi_document
from .views.search import api_search

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    """Search the reports; the JSON shape is the OpenAPI document's SearchResponse."""
    return jsonify(api_search(request.args))


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of every JSON route."""
    return jsonify(openapi_document())
