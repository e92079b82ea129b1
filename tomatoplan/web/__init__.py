"""The web layer: middlewares, the route declarations and the OpenAPI document built from
them, request and response helpers, and one module per route area under `routes/`.

Handlers are thin: they validate the request, call one function of the rules layer and
answer JSON. No SQL here.
"""
